# send without a date: the current batch (yesterday in the job's zone),
# catch-up of missing and failed dates within catch_up (not before the
# first recorded batch), retries until max_attempts, then held.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data"
job cu <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
catch_up = 3d
[source]
type = csv
path = data/cu_{date}.csv
# No file means no data here: the days without one are empty batches.
required = no
[output]
name = cu_{date}.csv
[upload]
url = out
max_attempts = 2
retries = 0
JOB
for d in 20 21 22 23 24; do printf 'a\n%s\n' "$d" > "$H/data/cu_2026-11-$d.csv"; done
# 2026-11-24 20:00 UTC is 05:00 on the 25th in Seoul: yesterday = 24th.
export XFER_NOW='2026-11-24 20:00'
x send cu
expect_rc 0
[ "$(sql "SELECT group_concat(date) FROM send_batches WHERE job='cu'")" = 2026-11-24 ] ||
    fail "first run sends only the current batch: $(sql 'SELECT date FROM send_batches')"
# Three days later: 25, 26 and 27 are due (26th and 27th missing input: empty).
export XFER_NOW='2026-11-27 20:00'
x send cu
expect_rc 0
[ "$(sql "SELECT group_concat(date) FROM (SELECT date FROM send_batches WHERE job='cu' ORDER BY date)")" = 2026-11-24,2026-11-25,2026-11-26,2026-11-27 ] ||
    fail "catch-up dates: $(sql 'SELECT date FROM send_batches')"
# Nothing is sent twice.
x send cu
expect_rc 0
[ "$(sql "SELECT count(*) FROM attempts WHERE job='cu'")" = 4 ] || fail "resent something"
# A failing delivery: failed, retried by the next run, then held.
rm -rf "$H/out"; printf 'not a directory' > "$H/out"
export XFER_NOW='2026-11-28 20:00'
x send cu
expect_rc 1
expect_err "attempt 1 of 2"
[ "$(sql "SELECT state, attempts FROM send_batches WHERE date='2026-11-28'")" = "failed|1" ] || fail "failed state"
[ -d "$H/spool/cu/out/2026-11-28" ] || fail "produced file kept for retry"
x send cu
expect_rc 1
[ "$(sql "SELECT state, attempts FROM send_batches WHERE date='2026-11-28'")" = "held|2" ] || fail "held state"
expect_err "xfer rerun --date 2026-11-28 cu"
x status --failed
expect_rc 1
expect_out "held"
# Held batches are not retried automatically ...
rm -f "$H/out"
x send cu
expect_rc 0
[ "$(sql "SELECT state FROM send_batches WHERE date='2026-11-28'")" = held ] || fail "held retried"
# ... but rerun redoes them, resending the spooled bytes.
x rerun --date 2026-11-28 cu
expect_rc 0
expect_out "rerun cu 2026-11-28: 1 sent, 0 failed, 0 held, 0 not redone"
[ "$(sql "SELECT state, attempts FROM send_batches WHERE date='2026-11-28'")" = "sent|1" ] || fail "rerun"
x status --failed
expect_rc 0
# rerun leaves sent batches alone unless forced; send --date rebuilds.
x rerun --date 2026-11-28 cu
expect_out "0 sent, 0 failed, 0 held, 1 not redone"
printf 'a\nchanged\n' > "$H/data/cu_2026-11-28.csv"
x rerun --date 2026-11-28 --force cu
expect_rc 0
grep -q changed "$H/out/cu_2026-11-28.csv" && fail "rerun --force must resend the same bytes"
x send --date 2026-11-28 cu
expect_rc 0
grep -q changed "$H/out/cu_2026-11-28.csv" || fail "send --date must rebuild"
