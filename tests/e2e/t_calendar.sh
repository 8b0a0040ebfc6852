# Business days across the Korean public holidays of 2026 (tests/data/
# calendar): date = previous-business-day over Seollal and Chuseok, catch-up
# without weekend or holiday batches, run_on = business-days, a cut-off
# that holds a batch (and send --date that sends it anyway), a calendar
# with a typo, a year the calendar does not cover, and {seq} names.
. "$(dirname "$0")/lib.sh"
DATA="$(cd "$(dirname "$0")/../data/calendar" && pwd)"
mkdir -p "$H/cal"
cp "$DATA/kr-2026.txt" "$DATA/kr-2026.ics" "$H/cal/"
dates() {
	sql "SELECT group_concat(date) FROM (SELECT date FROM send_batches WHERE job='$1' ORDER BY date)"
}
for d in 02-13 02-19 02-20 02-23 09-23 09-28 10-02; do
	printf 'n\n%s\n' "$d" > "$H/data/in_2026-$d.csv"
done

# --- previous-business-day over Seollal (Mon 16th - Wed 18th) ----------
job pb <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
calendar = cal/kr-2026.ics
date = previous-business-day
catch_up = 10d
[source]
type = csv
path = data/in_{date}.csv
required = no
[output]
name = pb_{date:%Y%m%d}.{seq}
[upload]
url = out
JOB
x check pb
expect_rc 0
# Thu 2026-02-19 10:00 in Seoul: the previous business day is Fri 13th.
export XFER_NOW='2026-02-19 01:00'
x send pb
expect_rc 0
[ "$(dates pb)" = 2026-02-13 ] || fail "current over Seollal: $(dates pb)"
[ -f "$H/out/pb_20260213.001" ] || fail "no pb_20260213.001: $(ls "$H/out")"
# Tue 24th: current Mon 23rd; catch-up adds 19th and 20th, never the
# weekend days or Seollal.
export XFER_NOW='2026-02-24 01:00'
x send pb
expect_rc 0
[ "$(dates pb)" = 2026-02-13,2026-02-19,2026-02-20,2026-02-23 ] ||
    fail "catch-up over a weekend: $(dates pb)"
x status pb
expect_rc 0

# --- {seq}: a changed resend is the next version -----------------------
printf 'n\n13 again\n' > "$H/data/in_2026-02-13.csv"
x send --date 2026-02-13 pb
expect_rc 0
[ -f "$H/out/pb_20260213.002" ] || fail "no .002 after a changed resend: $(ls "$H/out")"
grep -q '13 again' "$H/out/pb_20260213.002" || fail ".002 has the new data"
grep -q '^02-13$' "$H/out/pb_20260213.001" || fail ".001 was overwritten"
[ "$(sql "SELECT file FROM send_batches WHERE job='pb' AND date='2026-02-13'")" = pb_20260213.002 ] ||
    fail "ledger file: $(sql "SELECT file FROM send_batches WHERE date='2026-02-13'")"
# The same bytes again: still .002, no .003.
x send --date 2026-02-13 pb
expect_rc 0
[ ! -e "$H/out/pb_20260213.003" ] || fail "unchanged resend made .003"
# A rerun --regenerate with other bytes: .003.
printf 'n\n13 third\n' > "$H/data/in_2026-02-13.csv"
x rerun --force --regenerate --date 2026-02-13 pb
expect_rc 0
[ -f "$H/out/pb_20260213.003" ] || fail "no .003 after rerun --regenerate: $(ls "$H/out")"

# --- a year the calendar does not cover ---------------------------------
export XFER_NOW='2027-01-05 01:00'
x send pb
[ "$rc" -ne 0 ] || fail "a year not covered: exit 0"
expect_err "does not cover 2027"
x check pb
[ "$rc" -ne 0 ] || fail "check of a year not covered: exit 0"
expect_err "cal/kr-2026.ics' does not cover 2027"

# --- Chuseok (Thu 24th - Sat 26th) and 개천절's substitute (Mon 10-05) ---
job ch <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
calendar = cal/kr-2026.txt
date = previous-business-day
catch_up = 14d
[source]
type = csv
path = data/in_{date}.csv
required = no
[output]
name = ch_{date}.csv
[upload]
url = out
JOB
export XFER_NOW='2026-09-28 01:00'
x send ch
expect_rc 0
[ "$(dates ch)" = 2026-09-23 ] || fail "current over Chuseok: $(dates ch)"
# Tue 10-06: current Fri 10-02; catch-up 09-28 .. 10-02, nothing of
# Chuseok, the weekends or the 3rd-5th.
export XFER_NOW='2026-10-06 01:00'
x send ch
expect_rc 0
[ "$(dates ch)" = 2026-09-23,2026-09-28,2026-09-29,2026-09-30,2026-10-01,2026-10-02 ] ||
    fail "catch-up over Chuseok: $(dates ch)"

# --- run_on = business-days ----------------------------------------------
job rb <<'JOB'
[job]
direction = send
schedule = 0 9 * * *
timezone = Asia/Seoul
calendar = cal/kr-2026.txt
run_on = business-days
date = previous-business-day
[source]
type = csv
path = data/in_{date}.csv
required = no
[output]
name = rb_{date}.csv
[upload]
url = out
JOB
unset XFER_NOW
# Mon 2026-02-16 09:05 in Seoul: Seollal, the job does not run.
x -v run --now '2026-02-16 09:05+09:00'
expect_rc 0
expect_err "2026-02-16 is not a business day"
[ -z "$(dates rb)" ] || fail "ran on a holiday: $(dates rb)"
x -v run --now '2026-02-18 09:05+09:00'
expect_rc 0
[ -z "$(dates rb)" ] || fail "ran on a holiday: $(dates rb)"
# Thu 19th: it runs, for Fri 13th.
x run --now '2026-02-19 09:05+09:00'
expect_rc 0
[ "$(dates rb)" = 2026-02-13 ] || fail "run on a business day: $(dates rb)"

# --- cutoff ----------------------------------------------------------------
job co <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
calendar = cal/kr-2026.txt
run_on = business-days
date = previous-business-day
cutoff = 17:00
[source]
type = csv
path = data/in_{date}.csv
required = no
[output]
name = co_{date}.csv
[upload]
url = out
JOB
# Thu 19th 18:00 in Seoul: Fri 13th's batch was due by 17:00 on the 19th
# (the first business day after it).
export XFER_NOW='2026-02-19 09:00'
x -q send co
expect_rc 1
expect_err "past the cut-off 17:00 of 2026-02-19"
[ "$(sql "SELECT state || '|' || last_error FROM send_batches WHERE job='co'")" = "held|past the cut-off 17:00 of 2026-02-19" ] ||
    fail "held row: $(sql "SELECT * FROM send_batches WHERE job='co'")"
[ ! -e "$H/out/co_2026-02-13.csv" ] || fail "a batch past its cut-off was sent"
# Once: the next run says nothing more of it.
x -q send co
expect_rc 0
[ ! -s "$T/err" ] || fail "held twice: $(cat "$T/err")"
x status --failed co
expect_rc 1
expect_out "past the cut-off 17:00 of 2026-02-19"
# Before the cut-off: Fri 20th 16:59 sends Thu 19th.
export XFER_NOW='2026-02-20 07:59'
x send co
expect_rc 0
[ -f "$H/out/co_2026-02-19.csv" ] || fail "batch before its cut-off not sent"
# The operator sends the held one anyway.
x send --date 2026-02-13 co
expect_rc 0
expect_err "past its cut-off 17:00 of 2026-02-19"
[ -f "$H/out/co_2026-02-13.csv" ] || fail "send --date did not send it"
[ "$(sql "SELECT state FROM send_batches WHERE job='co' AND date='2026-02-13'")" = sent ] ||
    fail "send --date state"

# Without run_on a business-day rule is still due on a business day: Wed
# 2026-09-23's batch, before Chuseok (Thu 24th - Sat 26th), by 17:00 on
# Mon 28th, not on the holiday after it.
sed '/^run_on/d; s/co_{date}/c2_{date}/' "$H/jobs/co.job" >"$H/jobs/c2.job"
export XFER_NOW='2026-09-28 00:30'		# Mon 28th 09:30 in Seoul
x -q send c2
expect_rc 0
[ -f "$H/out/c2_2026-09-23.csv" ] || fail "Wednesday's batch held before its due day: $(cat "$T/err")"
sed 's/c2_{date}/c3_{date}/' "$H/jobs/c2.job" >"$H/jobs/c3.job"
export XFER_NOW='2026-09-28 09:30'		# Mon 28th 18:30
x -q send c3
expect_rc 1
expect_err "past the cut-off 17:00 of 2026-09-28"
[ ! -e "$H/out/c3_2026-09-23.csv" ] || fail "sent past its cut-off"

# --- a calendar with a typo -----------------------------------------------
printf '2026-01-01 New Year\n# comment\n2026-02-30 Typo\n' > "$H/cal/typo.txt"
sed 's#cal/kr-2026.txt#cal/typo.txt#' "$H/jobs/ch.job" > "$H/jobs/bad.job"
x check bad
[ "$rc" -ne 0 ] || fail "a calendar with a typo passed check"
expect_err "bad.job:4: key 'calendar': $H/cal/typo.txt:3: '2026-02-30 Typo' is not a holiday"

# --- receive: a date's files in {seq} order, past the padding -------------
mkdir -p "$H/inbox"
for s in 1000 001 999; do printf 'n\n%s\n' "$s" > "$H/inbox/pb_20260213.$s"; done
cat > "$H/data/handler.sh" <<'SH'
#!/bin/sh
basename "$XFER_FILE" >> "$(dirname "$0")/handler.log"
SH
chmod +x "$H/data/handler.sh"
job rx <<'JOB'
[job]
direction = receive
timezone = Asia/Seoul
[inbox]
path = inbox
pattern = pb_{date:%Y%m%d}.{seq}
format = csv
settle = 0s
[ingest]
type = command
command = data/handler.sh {file}
JOB
unset XFER_NOW
x receive rx
expect_rc 0
[ "$(tr '\n' ' ' < "$H/data/handler.log")" = "pb_20260213.001 pb_20260213.999 pb_20260213.1000 " ] ||
    fail "seq order: $(cat "$H/data/handler.log")"
echo "ok"
