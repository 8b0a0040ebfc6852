# Two overlapping runs of one job: exactly one works on it, the other
# skips it with exit 75; the lock goes with the process (kill -9).
. "$(dirname "$0")/lib.sh"
job slow <<'JOB'
[job]
direction = send
[source]
type = command
command = sh -c "sleep 2; echo a; echo 1"
[output]
name = slow_{date}.csv
[upload]
url = out
JOB
"$XFER_BIN" --home "$H" send --date 2026-11-24 slow >"$T/o1" 2>"$T/e1" &
p1=$!
i=0
while [ ! -e "$H/spool/slow/lock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
sleep 0.3
x send --date 2026-11-24 slow
expect_rc 75
expect_err "another xfer is working on this job"
wait $p1 || fail "first run failed: $(cat "$T/e1")"
[ "$(sql "SELECT count(*) FROM attempts")" = 1 ] || fail "both runs worked"
# A killed run leaves no stale lock.
"$XFER_BIN" --home "$H" send --date 2026-11-24 slow >/dev/null 2>&1 &
p2=$!
sleep 0.5
kill -9 $p2; wait $p2 2>/dev/null
x send --date 2026-11-24 slow
expect_rc 0
