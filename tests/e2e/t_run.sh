# xfer run: cron schedules in the job's zone, due since the last run,
# missed slots once, a job that never ran counts from the start of its
# day, DST (a skipped 02:30 runs once after the jump; a repeated 01:30 runs
# once), a month of minutes, silent on success.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data"
job ny <<'JOB'
[job]
direction = send
schedule = 30 2 * * *
timezone = America/New_York
[source]
type = csv
path = data/none.csv
required = no
[aggregate]
fields = a
[output]
name = ny_{date}.csv
[upload]
url = out
JOB
job fb <<'JOB'
[job]
direction = send
schedule = 30 1 * * *
timezone = America/New_York
[source]
type = csv
path = data/none.csv
required = no
[aggregate]
fields = a
[output]
name = fb_{date}.csv
[upload]
url = out
JOB
# Each run of a job logs "due" with -v; count them over all calls.
: > "$T/runs.log"
runs() { grep -c "job=$1 event=due" "$T/runs.log"; }
at() { x -v run --now "$1"; expect_rc 0; cat "$T/err" >> "$T/runs.log"; }

# Added at 09:00: its 02:30 slot today already passed, so it runs at once.
x run --now '2026-02-10 09:00-05:00'
expect_rc 0
[ ! -s "$T/err" ] || { cat "$T/err"; fail "run must be silent on success"; }
[ "$(sql "SELECT count(*) FROM runs")" = 2 ] || fail "never-ran jobs added after their slot must run"
printf 'job=ny event=due\n' >> "$T/runs.log"
at '2026-02-10 09:15-05:00'
[ "$(runs ny)" = 1 ] || fail "ran twice in one day"
at '2026-02-11 02:29-05:00'
[ "$(runs ny)" = 1 ] || fail "ran before its slot"
at '2026-02-11 02:30-05:00'
[ "$(runs ny)" = 2 ] || fail "did not run at its slot"
# Machine off for three days: one run, not three.
at '2026-02-14 12:00-05:00'
[ "$(runs ny)" = 3 ] || fail "missed slots must run once"
# Spring forward 2026-03-08: 02:30 does not exist; runs once after the jump.
at '2026-03-07 03:00-05:00'
n=$(runs ny)
at '2026-03-08 01:59-05:00'
[ "$(runs ny)" = "$n" ] || fail "ran before the jump"
at '2026-03-08 03:00-04:00'
[ "$(runs ny)" = $((n + 1)) ] || fail "skipped 02:30 must run once after the jump"
at '2026-03-08 23:00-04:00'
[ "$(runs ny)" = $((n + 1)) ] || fail "ran twice on the spring-forward day"
# Fall back 2026-11-01: 01:30 happens twice, the job runs once.
at '2026-10-31 12:00-04:00'
m=$(runs fb)
at '2026-11-01 01:31-04:00'
[ "$(runs fb)" = $((m + 1)) ] || fail "first 01:30 must run"
at '2026-11-01 01:31-05:00'
[ "$(runs fb)" = $((m + 1)) ] || fail "repeated 01:30 must not run again"
# A month, called every 6 hours: once a day, 30 runs in November.
m=$(runs fb)
d=2
while [ $d -le 30 ]; do
	for h in 00 06 12 18; do
		at "$(printf '2026-11-%02d %s:00' $d $h)-05:00"
	done
	d=$((d + 1))
done
[ "$(runs fb)" = $((m + 29)) ] || fail "November: $(( $(runs fb) - m )) runs, want 29"
# A job without a schedule is never run by `run`.
job manual <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/none.csv
required = no
[aggregate]
fields = a
[output]
name = m_{date}.csv
[upload]
url = out
JOB
at '2026-12-01 12:00-05:00'
[ "$(runs manual)" = 0 ] || fail "unscheduled job ran"
# A failure is not silent, and exits 1.
rm -rf "$H/out"; printf x > "$H/out"
x run --now '2026-12-02 12:00-05:00'
expect_rc 1
expect_err "failed"
# Every run rewrites the metrics file.
rm -f "$H/spool/metrics.prom"
x run --now '2026-12-03 12:00-05:00'
[ -s "$H/spool/metrics.prom" ] || fail "run did not write metrics.prom"
grep -q '^xfer_last_success_timestamp_seconds{job="ny"}' "$H/spool/metrics.prom" || fail "metrics content"
