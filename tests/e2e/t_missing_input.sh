# Missing input is not an empty day (SPEC.md section 4): a glob matching
# nothing, an absent ready_file or SQLite database fails the batch
# transiently (exit 1 even under -q, listed by status --failed, retried by
# catch-up), produces and uploads nothing, and never replaces what the
# partner has; required = no keeps the empty batch; check warns.
. "$(dirname "$0")/lib.sh"
D=2026-11-20
mkdir -p "$H/data/orders"
cat > "$H/data/orders/shop1.csv" <<'CSV'
id,day,amount
1,2026-11-20,1.50
2,2026-11-20,2.00
3,2026-11-20,3.25
CSV
orders_job() { # orders_job GLOB
	job orders <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = $1
date_field = day
[output]
name = orders_{date}.csv
[upload]
url = file://$H/out
retries = 0
JOB
}

# --- the typo'd glob story -------------------------------------------------
orders_job 'data/orders/*.csv'
x -q send --date $D orders
expect_rc 0
cp "$H/out/orders_$D.csv" "$T/v1"
cp "$H/out/orders_$D.csv.sha256" "$T/v1.sha256"
[ "$(wc -l < "$T/v1")" -eq 4 ] || fail "first version: 3 records"

# Someone edits the job and mistypes the directory.
orders_job 'data/order/*.csv'
x check orders
expect_rc 0
expect_err "warning: $H/jobs/orders.job: no file matches '$H/data/order/*.csv' (directory '$H/data/order' does not exist) for the current date"
expect_err "a send now would fail"
x -q send --date $D orders
expect_rc 1
expect_err "error"
expect_err "job=orders date=$D event=failed"
expect_err "missing input for $D: no file matches '$H/data/order/*.csv' (directory '$H/data/order' does not exist)"
expect_err "set 'required = no' in [source] of $H/jobs/orders.job"
cmp -s "$T/v1" "$H/out/orders_$D.csv" || fail "the partner's file was replaced"
cmp -s "$T/v1.sha256" "$H/out/orders_$D.csv.sha256" || fail "manifest replaced"
[ "$(ls "$H/out" | wc -l)" -eq 2 ] || fail "something else was uploaded: $(ls "$H/out")"
[ -d "$H/spool/orders/sent/$D" ] || fail "spool lost the sent version"
[ ! -e "$H/spool/orders/out/$D" ] || fail "a batch was produced"
# status --failed lists it, with no figures of the earlier version.
x status --failed
expect_rc 1
expect_out "orders               $D send    failed          -          -   1"
expect_out "missing input for $D"
x status --json orders
expect_out '"state":"failed","file":null,"records":null,"bytes":null'
[ "$(sql "SELECT coalesce(records, 'none') || '/' || coalesce(bytes, 'none') FROM send_batches WHERE job='orders'")" = none/none ] ||
    fail "ledger keeps the old figures"
# The typo fixed, catch-up retries the failed date: the same bytes as the
# partner already has.
orders_job 'data/orders/*.csv'
export XFER_NOW='2026-11-21 03:00'
x -q send
expect_rc 0
[ ! -s "$T/err" ] || fail "quiet run printed: $(cat "$T/err")"
cmp -s "$T/v1" "$H/out/orders_$D.csv" || fail "partner's file after the fix"
[ "$(sql "SELECT state || ' ' || records FROM send_batches WHERE job='orders'")" = "sent 3" ] ||
    fail "catch-up did not send it: $(sql 'SELECT * FROM send_batches')"
x status --failed orders
expect_rc 0
unset XFER_NOW

# A new job whose glob never matched: cron's run fails, nothing goes out.
job fresh <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = jsonl
path = data/fresh/{date}.jsonl
[output]
name = fresh_{date}.csv
[upload]
url = out
JOB
export XFER_NOW='2026-11-21 03:00'
x -q send fresh
expect_rc 1
expect_err "no file matches '$H/data/fresh/$D.jsonl' (directory '$H/data/fresh' does not exist)"
[ ! -e "$H/out/fresh_$D.csv" ] || fail "fresh: a file was sent"
mkdir -p "$H/data/fresh"
x check fresh
expect_err "no file matches '$H/data/fresh/$D.jsonl' for the current date $D"
if grep -q "directory" "$T/err"; then fail "the directory exists now"; fi
printf '{"a":1}\n' > "$H/data/fresh/$D.jsonl"
x check fresh
expect_rc 0
if grep -q "warning" "$T/err"; then fail "check warns with the input there"; fi
x -q send fresh
expect_rc 0
expect_file "$H/out/fresh_$D.csv" <<'EOF'
a
1
EOF
unset XFER_NOW

# --- required = no: no file means no data, an empty batch ------------------
job optional <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/optional/*_{date:%Y%m%d}.csv
required = no
[aggregate]
fields = id, amount
[output]
name = optional_{date}.csv
[upload]
url = out
JOB
x check optional
expect_rc 0
expect_err "a send now would deliver an empty batch (required = no)"
x -q send --date $D optional
expect_rc 0
expect_file "$H/out/optional_$D.csv" <<'EOF'
id,amount
EOF
x send --date $D optional
expect_err "event=no-input: no file matches '$H/data/optional/*_20261120.csv'"
expect_err "the batch is empty (required = no)"

# --- a ready_file that is not there ----------------------------------------
mkdir -p "$H/flags"
job ready <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/orders/*.csv
date_field = day
ready_file = flags/{date}.done
# An absent ready file means "not finished", never "no data".
required = no
[output]
name = ready_{date}.csv
[upload]
url = out
JOB
x check ready
expect_rc 0
expect_err "ready file '$H/flags/"
x -q send --date $D ready
expect_rc 1
expect_err "ready file '$H/flags/$D.done' is not there yet"
[ ! -e "$H/out/ready_$D.csv" ] || fail "ready: sent before the upstream finished"
x status --failed ready
expect_rc 1
expect_out "ready                $D send    failed          -          -"
touch "$H/flags/$D.done"
export XFER_NOW='2026-11-21 03:00'
x -q send ready
expect_rc 0
cmp -s "$T/v1" "$H/out/ready_$D.csv" || fail "ready: content"
unset XFER_NOW

# --- an SQLite database that is not there ----------------------------------
job db <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = sqlite
database = data/db/shop_{date:%Y%m%d}.db
query = SELECT id, amount FROM orders ORDER BY id
[output]
format = json
name = db_{date}.json
[upload]
url = out
JOB
x check db
expect_rc 0
expect_err "database '$H/data/db/shop_"
expect_err "(directory '$H/data/db' does not exist)"
x -q send --date $D db
expect_rc 1
expect_err "missing input for $D: database '$H/data/db/shop_20261120.db' does not exist (directory '$H/data/db' does not exist)"
expect_err "required = no"
[ ! -e "$H/out/db_$D.json" ] || fail "db: sent without its database"
mkdir -p "$H/data/db"
x -q send --date $D db
expect_rc 1
expect_err "database '$H/data/db/shop_20261120.db' does not exist;"
sqlite3 "$H/data/db/shop_20261120.db" \
    "CREATE TABLE orders (id INTEGER, amount TEXT); INSERT INTO orders VALUES (1, '1.50');"
export XFER_NOW='2026-11-21 03:00'
x -q send db
expect_rc 0
expect_file "$H/out/db_$D.json" <<'EOF'
[
{"id":1,"amount":"1.50"}
]
EOF
unset XFER_NOW
# required = no: no database that day, an empty batch.
sed -i 's/^query = .*/&\nrequired = no/' "$H/jobs/db.job"
x -q send --date 2026-11-19 db
expect_rc 0
expect_file "$H/out/db_2026-11-19.json" <<'EOF'
[]
EOF

# --- a command source: its exit status says whether its input was there ----
job cmd <<'JOB'
[job]
direction = send
[source]
type = command
command = true
required = no
[output]
name = cmd_{date}.csv
[upload]
url = out
JOB
x check cmd
expect_rc 78
expect_err "key 'required': not used with type = command"
