# Versions, not "seen before" (SPEC.md section 4, v3), into real SQLite
# through the sqlite3 CLI: replace-date's A, B, A leaves A's rows; append's
# A, B, A makes the third a duplicate; an empty version that removes rows
# is applied and warned about under -q; a failed version followed by a
# newer one that goes in is superseded (status --failed exit 1 before, 0
# after, its file still in the failed area until keep_days); a transient
# failure is superseded too and never retried over its successor; the
# same rules for a command handler from the ledger; rerun --date picks up
# the date's inbox files first and says why it left each file alone; a
# target database an older xfer made is upgraded in place.
. "$(dirname "$0")/lib.sh"
I="$H/inbox"
mkdir -p "$I"
DB="$H/data/v.db"
q() { sqlite3 "$DB" "$1"; }
# vjob NAME MODE [EXTRA-INGEST]: sales_YYYYMMDD.csv into table NAME
vjob() {
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = sales_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = sqlite
database = data/v.db
table = $1
mode = $2
date_column = date
columns = date, store, amount
${3:-}
JOB
}
F="$I/sales_20261120.csv"
A='date,store,amount
2026-11-20,s1,10
2026-11-20,s2,20
2026-11-20,s3,30
'
B='date,store,amount
2026-11-20,s1,99
'
states() { sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM receive_files WHERE job = '$1' ORDER BY id)"; }

# --- replace-date: A, B, A leaves A's rows --------------------------------
vjob rd replace-date
printf '%s' "$A" > "$F"; x receive rd; expect_rc 0
printf '%s' "$B" > "$F"; x receive rd; expect_rc 0
[ "$(q "SELECT group_concat(amount) FROM rd")" = 99 ] || fail "B not applied"
printf '%s' "$A" > "$F"; x receive rd; expect_rc 0
[ "$(q "SELECT group_concat(amount) FROM (SELECT amount FROM rd ORDER BY store)")" = "10,20,30" ] ||
    fail "A again did not bring A's rows back: $(q 'SELECT * FROM rd')"
[ "$(states rd)" = "ingested ingested ingested" ] || fail "ledger: $(states rd)"
asha=$(printf '%s' "$A" | sha256sum | cut -d' ' -f1)
[ "$(q "SELECT sha256, records FROM xfer_applied WHERE job = 'rd'")" = "$asha|3" ] ||
    fail "xfer_applied: $(q 'SELECT * FROM xfer_applied')"
[ "$(q "SELECT count(*) FROM xfer_ingested WHERE job = 'rd'")" = 2 ] || fail "key rows"
# The version applied now, again: a duplicate, nothing loaded.
printf '%s' "$A" > "$F"; x receive rd; expect_rc 0
expect_err "the same bytes as the version applied for the date"
[ "$(states rd)" = "ingested ingested ingested duplicate" ] || fail "ledger: $(states rd)"
[ "$(q "SELECT count(*) FROM rd")" = 3 ] || fail "duplicate loaded"

# --- append: A, B, A: the third is a duplicate ----------------------------
vjob ap append
printf '%s' "$A" > "$F"; x receive ap
printf '%s' "$B" > "$F"; x receive ap
printf '%s' "$A" > "$F"; x receive ap; expect_rc 0
expect_err "the same name and bytes were already ingested"
[ "$(states ap)" = "ingested ingested duplicate" ] || fail "append ledger: $(states ap)"
[ "$(q "SELECT count(*) FROM ap")" = 4 ] || fail "append rows: $(q 'SELECT count(*) FROM ap')"

# --- an empty version that removes rows: applied, and said under -q -------
printf 'date,store,amount\n' > "$F"
esha=$(sha256sum "$F" | cut -d' ' -f1)
x -q receive rd
expect_rc 0
expect_err "version 'sales_20261120.csv' (sha256 $esha) has 0 records; removed 3 rows of 2026-11-20 from table 'rd'"
grep -q " warning .*event=empty-version" "$T/err" || fail "not a warning"
[ "$(q "SELECT count(*) FROM rd")" = 0 ] || fail "empty version not applied"
# The right file again (the same bytes as before the empty one): applied.
printf '%s' "$A" > "$F"; x -q receive rd; expect_rc 0
[ ! -s "$T/err" ] || fail "-q printed something for a plain ingest"
[ "$(q "SELECT count(*) FROM rd")" = 3 ] || fail "A after the empty version"

# --- failed, then superseded by a newer version -----------------------------
printf 'date,shop,amount\n2026-11-20,s1,1\n' > "$F"
x receive rd
expect_rc 1
expect_err "the partner can send it again: the next \`receive\` picks it up"
expect_err "or \`xfer rerun --date 2026-11-20 rd\` after the cause is fixed"
# The error line names the file once, not "'x': 'x': ...".
grep -q "'sales_20261120.csv': 'sales_20261120.csv'" "$T/err" &&
    fail "the file named twice in the error"
x status --failed rd
expect_rc 1
expect_out "sales_20261120.csv"
bad=$(find "$H/spool/rd/failed" -name sales_20261120.csv)
[ -n "$bad" ] || fail "no file in the failed area"
printf '%s' "$B" > "$F"
x receive rd
expect_rc 0
expect_err "is superseded by 'sales_20261120.csv'"
[ "$(q "SELECT group_concat(amount) FROM rd")" = 99 ] || fail "B not applied after the failure"
[ "$(states rd)" = "ingested ingested ingested duplicate ingested ingested superseded ingested" ] ||
    fail "ledger: $(states rd)"
x status --failed rd
expect_rc 0
x status rd
expect_out "superseded"
[ -f "$bad" ] || fail "superseded file left the failed area"
grep -q "superseded by 'sales_20261120.csv'" "$bad.error" || fail ".error does not say superseded"
grep -q "columns are (date, shop, amount)" "$bad.error" || fail ".error lost the cause"
# Not retried, not redone.
x receive rd; expect_rc 0
[ "$(states rd)" = "ingested ingested ingested duplicate ingested ingested superseded ingested" ] ||
    fail "ledger changed: $(states rd)"
# keep_days: gone from the failed area that long after it was superseded.
touch -d '2025-01-01 00:00' "$(dirname "$bad")"
cat >> "$H/jobs/rd.job" <<'EOF'
[backup]
keep_days = 30
EOF
x receive rd; expect_rc 0
[ ! -e "$bad" ] || fail "keep_days kept the superseded file"
[ "$(sql "SELECT state FROM receive_files WHERE job = 'rd' AND id = (SELECT max(id) FROM receive_files WHERE job = 'rd' AND state = 'superseded')")" = superseded ] ||
    fail "row lost"

# --- a transient failure superseded: never retried over its successor ------
# A handler that loads into its own log, and exits 75 (try again later)
# while the file has store s7.  Command ingest is append: the same name
# and bytes ingested before is a duplicate, by the ledger.
cat > "$H/handler.sh" <<'EOF'
#!/bin/sh
if grep -q ',s7,' "$1"; then echo "database busy" >&2; exit 75; fi
echo "$XFER_DATE $XFER_SHA256" >> "$(dirname "$0")/loaded"
EOF
chmod 755 "$H/handler.sh"
job cm <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = sales_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = command
command = $H/handler.sh {file}
JOB
printf 'date,store,amount\n2026-11-20,s7,7\n' > "$F"
x receive cm
expect_rc 1
[ "$(sql "SELECT state, transient FROM receive_files WHERE job = 'cm'")" = "failed|1" ] ||
    fail "75 not transient: $(sql "SELECT * FROM receive_files WHERE job = 'cm'")"
printf '%s' "$A" > "$F"
x receive cm
expect_rc 0
[ "$(states cm)" = "superseded ingested" ] || fail "command ledger: $(states cm)"
[ "$(grep -c . "$H/loaded")" = 1 ] || fail "handler runs: $(cat "$H/loaded")"
[ -z "$(ls -A "$H/spool/cm/in")" ] || fail "superseded file left in in/"
[ -n "$(find "$H/spool/cm/failed" -name sales_20261120.csv)" ] || fail "superseded file not in the failed area"
x status --failed cm
expect_rc 0
# A, B, A: the third is a duplicate, the handler is not run for it.
printf '%s' "$B" > "$F"; x receive cm; expect_rc 0
printf '%s' "$A" > "$F"; x receive cm; expect_rc 0
[ "$(states cm)" = "superseded ingested ingested duplicate" ] || fail "command A-B-A: $(states cm)"
[ "$(grep -c . "$H/loaded")" = 2 ] || fail "handler runs: $(cat "$H/loaded")"

# --- rerun --date: the inbox first, then the failed; why the rest was left --
vjob rr replace-date
G="$I/sales_20261121.csv"
printf '%s' "$A" > "$F"; x receive rr                              # ingested
printf '%s' "$A" > "$F"; x receive rr                              # duplicate
printf 'date,shop\n2026-11-20,x\n' > "$F"; x receive rr            # failed
printf '%s' "$B" > "$F"; x receive rr                              # ingested; supersedes
printf 'date,store,amount\n2026-11-20,s4,44\n' > "$F"               # fresh, in the inbox
printf 'date,store,amount\n2026-11-21,s5,55\n' > "$G"               # another date
x rerun --date 2026-11-20 rr
expect_rc 0
expect_out "rerun rr 2026-11-20: 1 picked up, 1 ingested, 0 duplicate, 0 failed, 0 held, 4 not redone"
expect_out "'sales_20261120.csv' (sha256 ${asha%"${asha#????????????}"}): already ingested"
expect_out "): duplicate: the same bytes as a version already in the target"
expect_out "): superseded by 'sales_20261120.csv' (sha256 "
[ "$(grep -c 'already ingested' "$T/out")" = 2 ] || fail "already ingested lines"
[ "$(q "SELECT group_concat(amount) FROM rr")" = 44 ] || fail "fresh file not applied"
[ -f "$G" ] || fail "rerun picked up another date's file"
[ "$(states rr)" = "ingested duplicate superseded ingested ingested" ] || fail "rerun ledger: $(states rr)"
# A failed file of the date with nothing newer is redone (the cause was
# ours: the table lacked a column, now added).
printf 'date,store,amount,note\n2026-11-21,s6,66,x\n' > "$G"
vjob wide replace-date
sed -i 's/^columns = .*/columns = date, store, amount, note/; s/^table = wide/table = rr/' "$H/jobs/wide.job"
mv "$H/jobs/wide.job" "$H/jobs/rr.job"
x receive rr
expect_rc 1
expect_err "table 'rr' has no column 'note'"
q "ALTER TABLE rr ADD COLUMN note TEXT"
x rerun --date 2026-11-21 rr
expect_rc 0
expect_out "rerun rr 2026-11-21: 0 picked up, 1 ingested, 0 duplicate, 0 failed, 0 held, 0 not redone"
[ "$(q "SELECT amount FROM rr WHERE date = '2026-11-21'")" = 66 ] || fail "redo"

# --- a target database an older xfer made: upgraded in place --------------
OLD="$H/data/old.db"
sqlite3 "$OLD" "CREATE TABLE od (date TEXT, store TEXT, amount TEXT);
INSERT INTO od VALUES ('2026-11-20', 's1', '99');
CREATE TABLE xfer_ingested (job TEXT, name TEXT, sha256 TEXT, date TEXT,
 records INTEGER, ingested_at TEXT, PRIMARY KEY (job, name, sha256));
INSERT INTO xfer_ingested VALUES ('od', 'sales_20261120.csv', '$asha',
 '2026-11-20', 3, '2026-11-21T01:00:00Z');
INSERT INTO xfer_ingested VALUES ('od', 'sales_20261120.csv',
 '$(printf '%s' "$B" | sha256sum | cut -d' ' -f1)', '2026-11-20', 1,
 '2026-11-21T02:00:00Z');"
vjob od replace-date
sed -i 's#^database = .*#database = data/old.db#' "$H/jobs/od.job"
# B is what the old rule left applied: a duplicate.
printf '%s' "$B" > "$F"; x receive od; expect_rc 0
[ "$(states od)" = duplicate ] || fail "old db: B: $(states od)"
# A was seen before but replaced since: applied again.
printf '%s' "$A" > "$F"; x receive od; expect_rc 0
[ "$(states od)" = "duplicate ingested" ] || fail "old db: A: $(states od)"
[ "$(sqlite3 "$OLD" "SELECT group_concat(amount) FROM (SELECT amount FROM od ORDER BY store)")" = "10,20,30" ] ||
    fail "old db rows: $(sqlite3 "$OLD" 'SELECT * FROM od')"
[ "$(sqlite3 "$OLD" "SELECT count(*) FROM pragma_table_info('xfer_ingested') WHERE name = 'delivery'")" = 1 ] ||
    fail "xfer_ingested not upgraded"
[ "$(sqlite3 "$OLD" "SELECT sha256 FROM xfer_applied")" = "$asha" ] || fail "xfer_applied"
[ "$(sqlite3 "$OLD" "PRAGMA integrity_check")" = ok ] || fail "integrity"
