# No silent skips: send dates between the job's first batch and its
# current date that were never sent and are older than catch_up are
# `missing` in status (--failed exits 1, the metric counts them); the
# send run that passes them over logs each range once, at warning level
# (shown under -q), with the exact command; running it clears them.  A
# failed batch outside catch_up stays listed as failed.
. "$(dirname "$0")/lib.sh"
job tx <<'JOB'
[job]
direction = send
schedule = 30 2 * * *
catch_up = 7d
[source]
type = csv
path = data/tx_{date}.csv
[output]
name = tx_{date}.csv
[upload]
url = out
retries = 0
JOB
for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24; do
	printf 'n\n%s\n' "$d" > "$H/data/tx_2026-11-$d.csv"
done
count() { grep -c -F -- "$1" "$T/err"; }

# The first batch, 20 days before the current date of 2026-11-25.
export XFER_NOW='2026-11-05 10:00'
x send tx
expect_rc 0
[ "$(sql "SELECT date FROM send_batches")" = 2026-11-04 ] || fail "first batch"
# A batch of 11-10 that failed long ago: listed as failed, not missing.
sql "INSERT INTO send_batches (job, date, state, attempts, last_error,
    created, updated) VALUES ('tx', '2026-11-10', 'failed', 1,
    'connection refused', 1, 1)"

# cron was dead for 20 days.  Catch-up covers 11-17..11-24; before that,
# 11-05..11-09 and 11-11..11-16 were never sent.
export XFER_NOW='2026-11-25 10:00'
x status --failed tx
expect_rc 1
[ "$(grep -c ' send    missing ' "$T/out")" = 11 ] || fail "11 missing rows"
expect_out "tx                   2026-11-05 send    missing"
expect_out "tx                   2026-11-16 send    missing"
expect_out "never sent and older than catch_up (7d): xfer send --from 2026-11-05 --to 2026-11-09 tx"
expect_out "never sent and older than catch_up (7d): xfer send --from 2026-11-11 --to 2026-11-16 tx"
expect_out "tx                   2026-11-10 send    failed"
grep -q "2026-11-1[7-9] send    missing\|2026-11-2. send    missing" "$T/out" &&
    fail "a date within catch_up shown as missing"
x -q send tx
expect_rc 0
[ "$(count 'event=never-sent')" = 2 ] || fail "two ranges, two warnings: $(cat "$T/err")"
expect_err "warning"
expect_err "2026-11-05..2026-11-09 were never sent and are older than catch_up (7d): send them with xfer send --from 2026-11-05 --to 2026-11-09 tx"
expect_err "2026-11-11..2026-11-16 were never sent and are older than catch_up (7d): send them with xfer send --from 2026-11-11 --to 2026-11-16 tx"
sed -n 's/.*send them with xfer //p' "$T/err" > "$T/commands"
[ "$(sql "SELECT count(*) FROM send_batches WHERE date BETWEEN '2026-11-17' AND '2026-11-24' AND state = 'sent'")" = 8 ] ||
    fail "catch-up did not send its window"
# Logged once: the next runs say nothing of it.
x -q send tx
expect_rc 0
[ ! -s "$T/err" ] || fail "warned again"
x send tx
grep -q never-sent "$T/err" && fail "warned again without -q"
grep -q -F 'xfer_missing_batches{job="tx",direction="send"} 11' "$H/spool/metrics.prom" ||
    fail "metric: $(grep missing "$H/spool/metrics.prom")"

# The commands from the log, run as given, send them.
[ "$(wc -l < "$T/commands")" = 2 ] || fail "commands: $(cat "$T/commands")"
while read -r cmd; do
	# shellcheck disable=SC2086 # the words of the logged command
	x $cmd </dev/null
	expect_rc 0
done < "$T/commands"
[ -f "$H/out/tx_2026-11-05.csv" ] && [ -f "$H/out/tx_2026-11-16.csv" ] || fail "not sent"
x status --failed tx
expect_rc 1
grep -q missing "$T/out" && fail "still missing after sending"
expect_out "tx                   2026-11-10 send    failed"
grep -q -F 'xfer_missing_batches{job="tx",direction="send"} 0' "$H/spool/metrics.prom" ||
    fail "metric after: $(grep missing "$H/spool/metrics.prom")"
x send --date 2026-11-10 tx
expect_rc 0
x status --failed tx
expect_rc 0
