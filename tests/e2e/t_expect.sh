# [inbox] expect = HH:MM, the dead man's switch: before the deadline all
# is well; from it the date is missing (status alone shows it, even with
# no run since), the error is logged once and every receive run exits 1,
# the metric counts it; the late file is ingested and logged as late by
# how much, and everything is clean again.  Deadlines across a DST change
# (America/New_York) and across midnight (Asia/Seoul); a receive job that
# never runs; check's warning about a job without schedule; bad values.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/in" "$H/ny" "$H/kr"
job rx <<'JOB'
[job]
direction = receive
schedule = */10 * * * *
timezone = Asia/Seoul
date = yesterday
[inbox]
path = in
pattern = sales_{date:%Y%m%d}.csv
expect = 06:00
[ingest]
type = sqlite
database = db/rx.db
table = sales
JOB
# Never run, no schedule: only status can tell.
job dead <<'JOB'
[job]
direction = receive
timezone = Asia/Seoul
[inbox]
path = nowhere
pattern = dead_{date}.csv
expect = 06:00
[ingest]
type = none
JOB
count() { grep -c -F -- "$1" "$T/err"; }

# No ledger yet, no run ever: status computes the missing date itself.
# 2026-11-24 20:00 UTC is 05:00 on the 25th in Seoul: the newest deadline
# passed is 06:00 on the 24th, for the 23rd's batch.
export XFER_NOW='2026-11-24 20:00'
x status dead
expect_rc 0
expect_out "dead                 2026-11-23 receive missing"
expect_out "no file came by expect 06:00 (2026-11-24T06:00:00+09:00)"
[ ! -e "$H/spool/ledger.db" ] || fail "status created the ledger"
x status --failed dead
expect_rc 1
x check dead
expect_rc 0
expect_err "dead.job: receive job without schedule: \`xfer run\` never runs it"
expect_err "its expect is then only judged by \`xfer status\`"
x check rx
expect_rc 0
grep -q "without schedule" "$T/err" && fail "warned about a job with a schedule"

# rx: the 23rd's file is in before anything is due.
printf 'store,amount\n1,10\n' > "$H/in/sales_20261123.csv"
touch -d '2026-11-24 19:00' "$H/in/sales_20261123.csv"
x -q receive rx
expect_rc 0
[ ! -s "$T/err" ] || fail "a quiet run on time printed something"
export XFER_NOW='2026-11-24 20:59'
x status --failed rx
expect_rc 0
# 06:00 in Seoul: the 24th's file is due.  status says so before any run.
export XFER_NOW='2026-11-24 21:00'
x status --failed rx
expect_rc 1
expect_out "rx                   2026-11-24 receive missing"
expect_out "(2026-11-25T06:00:00+09:00)"
x status --json rx
expect_out '"date":"2026-11-24","direction":"receive","state":"missing","file":"sales_20261124.csv"'
# The run logs it once, at error level (shown under -q) ...
x -q receive rx
expect_rc 1
[ "$(count 'event=missing')" = 1 ] || fail "missing logged $(count 'event=missing') times"
expect_err "no file for 2026-11-24 came by its deadline 2026-11-25T06:00:00+09:00 (expect = 06:00): nothing matching 'sales_20261124.csv' was ingested"
# ... every later run still exits 1, silently.
export XFER_NOW='2026-11-24 21:10'
x -q receive rx
expect_rc 1
[ ! -s "$T/err" ] || fail "missing logged again"
x -q run --now '2026-11-24 21:20Z'
expect_rc 1
[ ! -s "$T/err" ] || fail "missing logged again by run"
grep -q -F 'xfer_missing_batches{job="rx",direction="receive"} 1' "$H/spool/metrics.prom" ||
    fail "metric: $(grep missing "$H/spool/metrics.prom")"
[ "$(sql "SELECT date FROM missing_logged WHERE job='rx'")" = 2026-11-24 ] || fail "logged row"

# The file comes at 09:12 in Seoul: ingested, logged as 3h12m late.
printf 'store,amount\n1,20\n' > "$H/in/sales_20261124.csv"
touch -d '2026-11-25 00:00' "$H/in/sales_20261124.csv"
export XFER_NOW='2026-11-25 00:12'
x -q receive rx
expect_rc 0
expect_err "'sales_20261124.csv' arrived 3h12m after expect 06:00 (deadline 2026-11-25T06:00:00+09:00)"
[ "$(count 'arrived')" = 1 ] || fail "late logged $(count 'arrived') times"
[ "$(sql "SELECT state FROM receive_files WHERE name='sales_20261124.csv'")" = ingested ] || fail "late file not ingested"
x status --failed rx
expect_rc 0
grep -q -F 'xfer_missing_batches{job="rx",direction="receive"} 0' "$H/spool/metrics.prom" ||
    fail "metric after: $(grep missing "$H/spool/metrics.prom")"
x -q receive rx
expect_rc 0
[ ! -s "$T/err" ] || fail "late logged again"

# Receive did not run for days (07:00 on the 28th in Seoul): every date
# in between is missing.
export XFER_NOW='2026-11-27 22:00'
x status --failed rx
expect_rc 1
expect_out "rx                   2026-11-25 receive missing"
expect_out "rx                   2026-11-26 receive missing"
expect_out "rx                   2026-11-27 receive missing"
x -q receive rx
expect_rc 1
[ "$(count 'event=missing')" = 3 ] || fail "three dates, three lines: $(cat "$T/err")"
x status --date 2026-11-26 rx
expect_out "2026-11-26 receive missing"
grep -q "2026-11-25" "$T/out" && fail "--date shows another date"

# DST: America/New_York springs forward at 02:00 on 2026-03-08, so 02:30
# does not exist that day; the deadline is the first time after the gap,
# 03:00 EDT (07:00 UTC), not 02:30 EST (07:30 UTC).
job ny <<'JOB'
[job]
direction = receive
schedule = 0 * * * *
timezone = America/New_York
date = today
[inbox]
path = ny
pattern = ny_{date}.csv
settle = 1s
expect = 02:30
[ingest]
type = none
JOB
printf 'a\n1\n' > "$H/ny/ny_2026-03-07.csv"
touch -d '2026-03-07 12:00' "$H/ny/ny_2026-03-07.csv"
export XFER_NOW='2026-03-08 06:00'
x receive ny
expect_rc 0
export XFER_NOW='2026-03-08 06:59'
x status --failed ny
expect_rc 0
export XFER_NOW='2026-03-08 07:00'
x status --failed ny
expect_rc 1
expect_out "ny                   2026-03-08 receive missing"
expect_out "(2026-03-08T03:00:00-04:00)"

# Midnight in Seoul: expect = 00:30 for yesterday's batch is 15:30 UTC on
# the day itself; the UTC date and the Seoul date differ around it.
job kr <<'JOB'
[job]
direction = receive
schedule = 0 * * * *
timezone = Asia/Seoul
[inbox]
path = kr
pattern = kr_{date}.csv
settle = 1s
expect = 00:30
[ingest]
type = none
JOB
printf 'a\n1\n' > "$H/kr/kr_2026-11-23.csv"
touch -d '2026-11-23 12:00' "$H/kr/kr_2026-11-23.csv"
export XFER_NOW='2026-11-24 15:29'
x receive kr
expect_rc 0
x status --failed kr
expect_rc 0
export XFER_NOW='2026-11-24 15:30'
x status --failed kr
expect_rc 1
expect_out "kr                   2026-11-24 receive missing"
expect_out "(2026-11-25T00:30:00+09:00)"

# expect is checked: HH:MM from 00:00 to 23:59, a FILE:LINE error (78).
job badx <<'JOB'
[job]
direction = receive
[inbox]
path = in
pattern = b_{date}.csv
expect = 24:00
[ingest]
type = none
JOB
x check badx
expect_rc 78
expect_err "badx.job:6: key 'expect': '24:00' is not a time of day: expected HH:MM from 00:00 to 23:59"
x receive badx
expect_rc 78
