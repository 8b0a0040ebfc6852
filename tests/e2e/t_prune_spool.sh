# keep_days prunes old backups, and only backups: never the ledger, the
# locks or another job's batches in the spool, however old their files
# (the default backup path is inside the spool; pruning once started at
# the spool itself and removed them all).
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/inbox"
printf 'a\n1\n' > "$H/data/in.csv"
job s <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in.csv
[output]
name = s_{date}.csv
[upload]
url = out
JOB
job rc <<'JOB'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date}.csv
settle = 0s
[ingest]
type = none
JOB
export XFER_NOW='2026-11-25 10:00'
x send s
expect_rc 0
old="$H/spool/rc/backup/2025/01/02"
mkdir -p "$old"
printf 'x\n' > "$old/r_2025-01-02.csv"
find "$H/spool" -exec touch -d '2025-01-02 12:00' {} +
find "$H/spool" -type f ! -path "$old/*" | sort > "$T/before"
x receive rc
expect_rc 0
[ ! -e "$old/r_2025-01-02.csv" ] || fail "keep_days did not prune an old backup"
find "$H/spool" -type f ! -path "$old/*" | sort > "$T/after"
missing=$(comm -23 "$T/before" "$T/after")
[ -z "$missing" ] || fail "pruned outside the backup: $missing"
[ "$(sql "SELECT state FROM send_batches WHERE job='s'")" = sent ] || fail "ledger lost"

# A backup path whose fixed part holds the spool is not pruned at all.
job rc <<'JOB'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date}.csv
settle = 0s
[ingest]
type = none
[backup]
path = spool/{date:%Y}
JOB
find "$H/spool" -exec touch -d '2025-01-02 12:00' {} +
x receive rc
expect_rc 0
expect_err "not pruning backups in '$H/spool'"
[ -f "$H/spool/s/sent/2026-11-24/s_2026-11-24.csv" ] || fail "pruned the spool"
