# Files changed within settle are left for a later run, and receive says
# so in one info line (how many, settle, when the first is eligible);
# --dry-run lists each with the time it becomes eligible.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/in"
job st <<'JOB'
[job]
direction = receive
schedule = * * * * *
[inbox]
path = in
pattern = st_*.csv
settle = 60s
[ingest]
type = none
JOB
export XFER_NOW='2026-11-25 10:00'
printf 'a\n1\n' > "$H/in/st_a.csv"
printf 'a\n2\n' > "$H/in/st_b.csv"
printf 'a\n3\n' > "$H/in/st_c.csv"
touch -d '2026-11-25 09:59:50' "$H/in/st_a.csv"
touch -d '2026-11-25 09:59:20' "$H/in/st_b.csv"
touch -d '2026-11-25 09:58:00' "$H/in/st_c.csv"	# settled
x receive --dry-run st
expect_rc 0
expect_out "st 2026-11-25: 'st_a.csv' is waiting to settle (settle = 60s): eligible at 10:00:50"
expect_out "st 2026-11-25: 'st_b.csv' is waiting to settle (settle = 60s): eligible at 10:00:20"
expect_out "would pick up 'st_c.csv'"
grep -q "st_c.csv' is waiting" "$T/out" && fail "a settled file listed as waiting"
x receive st
expect_rc 0
[ "$(grep -c 'waiting to settle' "$T/err")" = 1 ] || fail "one line wanted"
expect_err "2 files waiting to settle (settle = 60s): next eligible at 10:00:20"
[ -f "$H/in/st_a.csv" ] && [ -f "$H/in/st_b.csv" ] || fail "a settling file was taken"
[ ! -f "$H/in/st_c.csv" ] || fail "the settled file was left"
# Nothing left to settle: no line.
export XFER_NOW='2026-11-25 10:01'
x receive st
expect_rc 0
grep -q "waiting to settle" "$T/err" && fail "settle line with nothing settling"
[ ! -f "$H/in/st_a.csv" ] || fail "settled file not picked up"
# A writer whose clock is ahead of ours: the file's time is in the future.
# It waits out settle from that time (and -v says why) ...
printf 'a\n4\n' > "$H/in/st_d.csv"
touch -d '2026-11-25 10:30:00' "$H/in/st_d.csv"
x -v receive st
expect_rc 0
expect_err "'st_d.csv' was changed in the future by our clock"
[ -f "$H/in/st_d.csv" ] || fail "a file from the future was taken within settle"
# ... but settle = 0s never waits, whatever the file's clock says.
sed -i 's/^settle = 60s/settle = 0s/' "$H/jobs/st.job"
x receive st
expect_rc 0
[ ! -f "$H/in/st_d.csv" ] || fail "settle = 0s left a file with a future time"
