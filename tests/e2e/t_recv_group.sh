# Group commit on the receive side: 300 small files from a local inbox into
# SQLite go in groups (one target transaction, a savepoint a file), each
# still keyed in xfer_ingested.  A bad file in the middle of a group fails
# alone (its rows rolled back, the others in), a file failing at the SQL
# level too; the duplicate rule holds file by file, within a group too;
# every file is backed up once and logged on its own.
. "$(dirname "$0")/lib.sh"
I="$H/inbox"
DB="$H/data/rx.db"
mkdir -p "$I"
q() { sqlite3 "$DB" "$1"; }
job gx <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = g_{date:%Y%m%d}_*.csv
settle = 0s
[ingest]
type = sqlite
database = data/rx.db
table = sales
JOB

# 300 files of 3 rows, each value unique to its file.
n=1
while [ "$n" -le 300 ]; do
	f=$(printf 'g_20261124_%03d.csv' "$n")
	printf 'date,store,amount\n2026-11-24,s%d,%d.01\n2026-11-24,s%d,%d.02\n2026-11-24,s%d,%d.03\n' \
	    "$n" "$n" "$n" "$n" "$n" "$n" > "$I/$f"
	n=$((n + 1))
done
# 150: two good rows, then an unterminated quote: rows inserted, then
# rolled back to its savepoint.  200: a column the table does not have.
printf 'date,store,amount\n2026-11-24,s150,150.01\n2026-11-24,s150,150.02\n2026-11-24,s150,"150.03\n' \
    > "$I/g_20261124_150.csv"
printf 'date,shop,amount\n2026-11-24,s200,200.01\n' > "$I/g_20261124_200.csv"
# The same bytes under another name: another file, ingested.
cp "$I/g_20261124_010.csv" "$I/g_20261124_010b.csv"
cp -r "$I" "$T/orig"

x receive gx
expect_rc 1
expect_err "g_20261124_150.csv"
expect_err "has no column 'shop'"
[ "$(q "SELECT count(*) FROM sales")" = $((298 * 3 + 3)) ] ||
    fail "rows: $(q "SELECT count(*) FROM sales")"
[ "$(q "SELECT count(*) FROM sales WHERE store IN ('s150', 's200')")" = 0 ] ||
    fail "a failed file left rows"
[ "$(q "SELECT count(*) FROM sales WHERE store = 's10'")" = 6 ] ||
    fail "the same bytes under two names: want both ingested"
# Every row once: no (store, amount) twice but file 10's.
[ "$(q "SELECT count(*) FROM (SELECT store, amount FROM sales GROUP BY 1, 2 HAVING count(*) > 1)")" = 3 ] ||
    fail "rows loaded twice"
[ "$(q "SELECT count(*), count(DISTINCT name) FROM xfer_ingested")" = "299|299" ] ||
    fail "keys: $(q "SELECT count(*), count(DISTINCT name) FROM xfer_ingested")"
[ "$(sql "SELECT state, count(*) FROM receive_files GROUP BY state ORDER BY state")" = \
    "failed|2
ingested|299" ] || fail "ledger: $(sql "SELECT state, count(*) FROM receive_files GROUP BY state")"
# The ledger's delivery is the key's.
[ "$(sql "SELECT group_concat(id || ':' || name, ',') FROM (SELECT id, name FROM receive_files WHERE state = 'ingested' ORDER BY id)")" = \
    "$(q "SELECT group_concat(delivery || ':' || name, ',') FROM (SELECT delivery, name FROM xfer_ingested ORDER BY delivery)")" ] ||
    fail "ledger and xfer_ingested disagree"
[ -z "$(ls -A "$I")" ] || fail "inbox not emptied: $(ls -A "$I" | head)"
[ -z "$(find "$H/spool/gx/in" -mindepth 1)" ] || fail "left in in/: $(find "$H/spool/gx/in" -mindepth 1 | head)"
bk="$H/spool/gx/backup/2026/11/24"
[ "$(find "$bk" -type f | wc -l)" = 299 ] || fail "backups: $(find "$bk" -type f | wc -l)"
for f in g_20261124_001.csv g_20261124_010b.csv g_20261124_299.csv; do
	cmp -s "$T/orig/$f" "$bk/$f" || fail "backup of $f"
done
# The failed ones alone in failed/, each in its own token, with its reason.
for k in 150 200; do
	f=g_20261124_$k.csv
	p=$(sql "SELECT spool FROM receive_files WHERE name = '$f'")
	cmp -s "$T/orig/$f" "$p" || fail "$f not kept in the failed area: '$p'"
	[ "$(ls -A "$(dirname "$p")")" = "$f
$f.error" ] || fail "$f's failed token: $(ls -A "$(dirname "$p")")"
	[ -s "$p.error" ] || fail "$f.error"
done
# Logged file by file.
[ "$(grep -c 'event=received' "$T/err")" = 301 ] || fail "received lines"
[ "$(grep -c 'event=ingested' "$T/err")" = 299 ] || fail "ingested lines"
[ "$(grep -c 'event=failed' "$T/err")" = 2 ] || fail "failed lines"
x status gx
expect_out "ingested"

# A resend (same name, same bytes) is a duplicate; a new version goes in.
cp "$T/orig/g_20261124_005.csv" "$I/"
printf 'date,store,amount\n2026-11-24,s7v2,7.99\n' > "$I/g_20261124_007.csv"
x receive gx
expect_rc 0
expect_err "already ingested"
[ "$(q "SELECT count(*) FROM sales")" = $((298 * 3 + 3 + 1)) ] || fail "resend"
[ "$(sql "SELECT state FROM receive_files WHERE name = 'g_20261124_005.csv' ORDER BY id DESC LIMIT 1")" = duplicate ] ||
    fail "resend: not a duplicate"
[ "$(find "$bk" -name 'g_20261124_007*' | wc -l)" = 2 ] || fail "new version's backup"

# The partner's fixed version supersedes the failed one.
printf 'date,store,amount\n2026-11-24,s150,150.01\n' > "$I/g_20261124_150.csv"
x receive gx
expect_rc 0
[ "$(q "SELECT count(*) FROM sales WHERE store = 's150'")" = 1 ] || fail "fixed version"
x status --failed gx
expect_out "g_20261124_200.csv"
[ "$(grep -c g_20261124_150 "$T/out")" = 0 ] || fail "superseded still listed"

# replace-date: two names with the same bytes for one date, in one group:
# the second adds nothing to what the first applied (a duplicate, decided
# inside the group's transaction), and both are backed up.
job gr <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox-r
pattern = d_{date:%Y%m%d}_*.csv
settle = 0s
[ingest]
type = sqlite
database = data/rx.db
table = daily
mode = replace-date
date_column = date
JOB
mkdir -p "$H/inbox-r"
printf 'date,v\n2026-11-24,1\n2026-11-24,2\n' > "$H/inbox-r/d_20261124_a.csv"
cp "$H/inbox-r/d_20261124_a.csv" "$H/inbox-r/d_20261124_b.csv"
printf 'date,v\n2026-11-23,9\n' > "$H/inbox-r/d_20261123_a.csv"
x receive gr
expect_rc 0
[ "$(q "SELECT count(*) FROM daily")" = 3 ] || fail "replace-date rows: $(q "SELECT * FROM daily")"
[ "$(sql "SELECT name || ':' || state FROM receive_files WHERE job = 'gr' ORDER BY name")" = \
    "d_20261123_a.csv:ingested
d_20261124_a.csv:ingested
d_20261124_b.csv:duplicate" ] || fail "replace-date states: $(sql "SELECT name, state FROM receive_files WHERE job = 'gr'")"
[ "$(find "$H/spool/gr/backup" -type f | wc -l)" = 3 ] || fail "replace-date backups"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "target integrity"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "ledger integrity"
