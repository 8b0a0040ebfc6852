# Receive jobs with a local inbox and real SQLite: pick-up into the spool,
# verify, ingest exactly once, backup, duplicates, new versions, bad
# checksums and columns, truncated files, hostile names, manifests that
# are late, a failed file superseded by the partner's new version.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/inbox"
I="$H/inbox"
DB="$H/data/rx.db"
rjob() { # rjob NAME PATTERN TABLE [EXTRA-INBOX [EXTRA-INGEST]]
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = $2
settle = 0s
${4:-}
[ingest]
type = sqlite
database = data/rx.db
table = $3
columns = date, store, amount
${5:-}
JOB
}
rjob rx 'sales_{date:%Y%m%d}.csv' sales
q() { sqlite3 "$DB" "$1"; }
cat > "$I/sales_20261124.csv" <<'CSV'
date,store,amount
2026-11-24,s1,"1.50"
2026-11-24,"",""
2026-11-24,s3,"multi
line"
CSV
x receive rx
expect_rc 0
[ "$(q "SELECT count(*) FROM sales")" = 3 ] || fail "rows"
[ "$(q "SELECT count(*) FROM sales WHERE store = '' AND amount = ''")" = 1 ] || fail "quoted empty must be '' not NULL"
[ "$(q "SELECT amount FROM sales WHERE store = 's3'")" = "multi
line" ] || fail "embedded newline"
[ "$(q "SELECT job, name, date, records FROM xfer_ingested")" = "rx|sales_20261124.csv|2026-11-24|3" ] || fail "xfer_ingested"
[ -z "$(ls "$I")" ] || fail "inbox not emptied"
[ -f "$H/spool/rx/backup/2026/11/24/sales_20261124.csv" ] || fail "backup"
x status rx
expect_out "receive"
expect_out "ingested"

# The same bytes again: a duplicate, not ingested.
cp "$H/spool/rx/backup/2026/11/24/sales_20261124.csv" "$I/"
x receive rx
expect_rc 0
expect_err "already ingested"
[ "$(q "SELECT count(*) FROM sales")" = 3 ] || fail "duplicate ingested"
[ "$(sql "SELECT state FROM receive_files WHERE job='rx' ORDER BY id DESC LIMIT 1")" = duplicate ] || fail "duplicate state"

# A new version of the same name: ingested.
printf 'date,store,amount\n2026-11-24,s9,9\n' > "$I/sales_20261124.csv"
x receive rx
expect_rc 0
[ "$(q "SELECT count(*) FROM sales")" = 4 ] || fail "new version"

# Bad checksum, wrong columns, truncated: failed area with a reason.
printf 'date,store,amount\n2026-11-23,s1,1\n' > "$I/sales_20261123.csv"
echo "0000000000000000000000000000000000000000000000000000000000000000  sales_20261123.csv" > "$I/sales_20261123.csv.sha256"
printf 'date,shop,amount\n2026-11-22,s1,1\n' > "$I/sales_20261122.csv"
printf 'date,store,amount\n2026-11-21,s1,"1\n' > "$I/sales_20261121.csv"
x receive rx
expect_rc 1
expect_err "checksum mismatch"
expect_err "columns"
expect_err "sales_20261121.csv"
[ "$(q "SELECT count(*) FROM sales")" = 4 ] || fail "bad files loaded rows"
for d in 23 22 21; do
	e=$(find "$H/spool/rx/failed" -name "sales_202611$d.csv.error")
	[ -n "$e" ] && [ -s "$e" ] || fail "no .error for $d"
done
x status --failed
expect_rc 1
expect_out "sales_20261122.csv"

# The spool is never edited: the partner sends the file again, fixed; the
# next receive takes it and the failed version is superseded.
f=$(find "$H/spool/rx/failed" -name sales_20261122.csv)
printf 'date,store,amount\n2026-11-22,s1,1\n' > "$I/sales_20261122.csv"
x receive rx
expect_rc 0
expect_err "superseded by 'sales_20261122.csv'"
[ "$(q "SELECT count(*) FROM sales WHERE date = '2026-11-22'")" = 1 ] || fail "new version after a failure"
[ -f "$f" ] || fail "the superseded file left the failed area"
x status --failed rx
expect_rc 1
grep -q sales_20261122 "$T/out" && fail "a superseded file is still listed as failed"
x rerun --date 2026-11-22 rx
expect_rc 0
expect_out "0 picked up, 0 ingested, 0 duplicate, 0 failed, 0 held, 2 not redone"
expect_out "superseded by 'sales_20261122.csv'"
# Re-ingesting finished files is refused for append mode.
x rerun --date 2026-11-22 --force rx
expect_err "would duplicate its rows"
[ "$(q "SELECT count(*) FROM sales WHERE date = '2026-11-22'")" = 1 ] || fail "forced append duplicated"

# Hostile names and special files are refused and left alone.
printf 'date,store,amount\n' > "$I/-rf.csv"
printf 'date,store,amount\n' > "$I/$(printf 'a\nb').csv"
ln -s /etc/passwd "$I/link.csv"
mkfifo "$I/fifo.csv"
mkdir "$I/dir.csv"
printf 'date,store,amount\n' > "$T/outside.csv"; ln "$T/outside.csv" "$I/hard.csv"
rjob any '*.csv' sales
x receive any
expect_rc 0
expect_err "not a plain file name"
expect_err "symbolic link"
expect_err "not a regular file"
expect_err "directory"
expect_err "several hard links"
[ -e "$I/-rf.csv" ] && [ -L "$I/link.csv" ] && [ -p "$I/fifo.csv" ] || fail "hostile entries touched"
rm -rf "$I"/* "$I"/.??* 2>/dev/null; rm -f "$I/$(printf 'a\nb').csv"

# replace-date: a new version replaces that date's rows in one go.
rjob rd 'rd_{date}.csv' sales_rd "" "mode = replace-date
[backup]
compress = gzip"
printf 'date,store,amount\n2026-11-24,a,1\n2026-11-24,b,2\n' > "$I/rd_2026-11-24.csv"
x receive rd
expect_rc 0
printf 'date,store,amount\n2026-11-24,c,3\n' > "$I/rd_2026-11-24.csv"
x receive rd
expect_rc 0
[ "$(q "SELECT group_concat(store) FROM sales_rd")" = c ] || fail "replace-date"
ls "$H/spool/rd/backup/2026/11/24/" | grep -q '^rd_2026-11-24.csv.gz$' || fail "gzip backup"
# --force re-ingests finished files from the (gzip'd) backup.
x rerun --date 2026-11-24 --force rd
expect_rc 0
expect_out "2 ingested"
[ "$(q "SELECT group_concat(store) FROM sales_rd")" = c ] || fail "forced replace-date: $(q 'SELECT * FROM sales_rd')"

# require_manifest: waits, is late after manifest_timeout, then goes.
rjob mf 'mf_{date}.csv' sales_mf "require_manifest = yes
manifest_timeout = 1h"
printf 'date,store,amount\n2026-11-24,a,1\n' > "$I/mf_2026-11-24.csv"
touch -d '2026-11-25 09:00' "$I/mf_2026-11-24.csv"
export XFER_NOW='2026-11-25 10:00'
x receive mf
expect_rc 0
[ "$(sql "SELECT state FROM receive_files WHERE job='mf'")" = waiting ] || fail "waiting: $(sql "SELECT * FROM receive_files WHERE job='mf'") $(cat $H/jobs/mf.job)"
export XFER_NOW='2026-11-25 11:30'
x receive mf
expect_rc 1
expect_err "waited for its manifest"
x status --failed mf
expect_rc 1
expect_out "late"
(cd "$I" && sha256sum mf_2026-11-24.csv > mf_2026-11-24.csv.sha256)
x receive mf
expect_rc 0
[ "$(q "SELECT count(*) FROM sales_mf")" = 1 ] || fail "manifest arrived"
[ "$(sql "SELECT count(*) FROM receive_files WHERE job='mf' AND state IN ('waiting','late')")" = 0 ] || fail "waiting row left"

# keep_days: backups older than that are pruned at the end of a run.
old="$H/spool/rx/backup/2025/01/02"
mkdir -p "$old"
printf 'x\n' > "$old/sales_20250102.csv"
touch -d '2025-01-02 12:00' "$old/sales_20250102.csv"
x receive rx
expect_rc 0
[ ! -e "$old/sales_20250102.csv" ] || fail "keep_days did not prune"
[ -f "$H/spool/rx/backup/2026/11/24/sales_20261124.csv" ] || fail "keep_days pruned a recent backup"

# A database in a directory that does not exist yet: created.
unset XFER_NOW
job fresh <<'JOB'
[job]
direction = receive
[inbox]
path = inbox
pattern = fresh_*.csv
settle = 0s
[ingest]
type = sqlite
database = warehouse/new/fresh.db
table = t
JOB
printf 'a\n1\n' > "$I/fresh_1.csv"
x receive fresh
expect_rc 0
[ "$(sqlite3 "$H/warehouse/new/fresh.db" 'SELECT a FROM t')" = 1 ] || fail "fresh database"
