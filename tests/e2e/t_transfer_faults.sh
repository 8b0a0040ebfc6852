# The network misbehaving, against the real sshd: server down (failed,
# retried, sent once when it is back), server down then up within one run
# (retries with backoff), a stalled transfer (stall_timeout fires), and
# kill -9 in the middle of a large upload (the next run sends it once,
# whole, and leaves no .part).
. "$(dirname "$0")/lib.sh"
start_sshd
chmod 600 "$SSHD_CLIENT_KEY"
R="$SSHD_HOME/in"
sjob() { # sjob NAME COMMAND EXTRA
	job "$1" <<JOB
[job]
direction = send
timezone = UTC
[source]
type = command
command = $2
[output]
name = $1_{date}.csv
[upload]
url = $SSHD_URL$R/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
connect_timeout = 3s
${3:-}
JOB
}
restart_sshd() {
	/usr/sbin/sshd -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" ||
	    fail "cannot restart sshd"
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $SSHD_PORT), 1)" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || fail "sshd did not come back"; sleep 0.1
	done
	SSHD_PID=$(cat "$SSHD_DIR/sshd.pid")
}
descendants() {
	for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done
}

# Down: a transient failure, retried by the next run, sent once.
sjob down "sh -c 'echo a; echo 1'" "retries = 0"
"$SERVERS/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1
x send --date 2026-11-24 down
expect_rc 1
[ "$(sql "SELECT state, attempts FROM send_batches WHERE job='down'")" = "failed|1" ] || fail "down: not failed"
restart_sshd
export XFER_NOW='2026-11-25 10:00'
x send down
expect_rc 0
[ "$(sql "SELECT state, attempts FROM send_batches WHERE job='down'")" = "sent|2" ] || fail "down: not sent"
[ "$(sql "SELECT count(*) FROM attempts WHERE job='down' AND ok=1")" = 1 ] || fail "down: sent twice"

# Down, then up while the run is still retrying with backoff.
sjob flap "sh -c 'echo a; echo 2'" "retries = 4
retry_delay = 1s"
"$SERVERS/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1
"$XFER_BIN" --home "$H" send --date 2026-11-24 flap >"$T/flap.out" 2>"$T/flap.err" &
xp=$!
sleep 1.5
restart_sshd
wait $xp || { cat "$T/flap.err"; fail "flap: run failed"; }
grep -q "try 1 of 5 failed" "$T/flap.err" || fail "flap: no retry logged"
[ -f "$R/flap_2026-11-24.csv" ] || fail "flap: not delivered"

# A stalled transfer: the session process stops mid-upload.
big="sh -c 'yes 2026-11-24,abcdefghijklmnopqrstuvwxyz0123456789 | head -n 5000000'"
sjob stall "$big" "retries = 0
stall_timeout = 2s"
"$XFER_BIN" --home "$H" send --date 2026-11-24 stall >"$T/stall.out" 2>"$T/stall.err" &
xp=$!
i=0
while [ ! -s "$R/stall_2026-11-24.csv.part" ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "stall: upload never started"; sleep 0.05
done
stopped=$(descendants "$SSHD_PID")
[ -n "$stopped" ] || fail "stall: no session process"
kill -STOP $stopped
i=0
while kill -0 $xp 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || { kill -CONT $stopped; fail "stall: stall_timeout did not fire"; }
	sleep 0.1
done
kill -CONT $stopped 2>/dev/null
wait $xp && fail "stall: must fail"
grep -E -q "too slow|timed out|Timeout" "$T/stall.err" || { cat "$T/stall.err"; fail "stall: reason"; }
[ "$(sql "SELECT state FROM send_batches WHERE job='stall'")" = failed ] || fail "stall: not failed"
[ ! -e "$R/stall_2026-11-24.csv" ] || fail "stall: partial file under the final name"

# kill -9 in the middle of a large upload, then the next run.
sjob kill "$big"
"$XFER_BIN" --home "$H" send --date 2026-11-24 kill >/dev/null 2>&1 &
xp=$!
i=0
while [ ! -s "$R/kill_2026-11-24.csv.part" ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "kill: upload never started"; sleep 0.05
done
kill -9 $xp
wait $xp 2>/dev/null
[ ! -e "$R/kill_2026-11-24.csv" ] || fail "kill: final name visible after the kill"
x send kill
expect_rc 0
(cd "$R" && sha256sum -c kill_2026-11-24.csv.sha256 >/dev/null) || fail "kill: not whole"
[ "$(wc -l < "$R/kill_2026-11-24.csv")" = 5000000 ] || fail "kill: line count"
[ -z "$(find "$R" -name 'kill_*.part*')" ] || fail "kill: .part left"
[ "$(sql "SELECT count(*) FROM attempts WHERE job='kill' AND ok=1")" = 1 ] || fail "kill: sent twice"
