# A crash between writing the spool and the ledger is repaired by the next
# run: a produced batch the ledger does not know is found and sent; a batch
# moved to sent/ before the ledger heard of it is recorded as sent; a
# ledger row whose spool file vanished is rebuilt; tmp/ leftovers go.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data"
printf 'a\n1\n' > "$H/data/in.csv"
job cr <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in.csv
[output]
name = cr_{date}.csv
[upload]
url = out
JOB
export XFER_NOW='2026-11-25 10:00'
x send --dry-run cr
expect_rc 0
expect_out "would produce 'cr_2026-11-24.csv' (1 records"
[ ! -e "$H/out" ] && [ -z "$(ls "$H/spool/cr/out")" ] || fail "dry-run changed something"
[ "$(sql "SELECT count(*) FROM send_batches")" = 0 ] || fail "dry-run wrote the ledger"
x send cr
expect_rc 0
# Simulate: produced and durable, ledger row lost (crash before commit).
mv "$H/spool/cr/sent/2026-11-24" "$H/spool/cr/out/2026-11-24"
sql "DELETE FROM send_batches"
rm -rf "$H/out"
mkdir -p "$H/spool/cr/tmp/2026-11-24.junk"; echo x > "$H/spool/cr/tmp/2026-11-24.junk/f"
x send cr
expect_rc 0
expect_err "found produced batch"
[ -f "$H/out/cr_2026-11-24.csv" ] || fail "recovered batch not delivered"
[ "$(sql "SELECT state FROM send_batches")" = sent ] || fail "not sent"
[ -z "$(ls "$H/spool/cr/tmp")" ] || fail "tmp not cleaned"
# Simulate: delivered and moved to sent/, ledger still says produced.
sql "UPDATE send_batches SET state='produced'"
x send cr
expect_rc 0
[ "$(sql "SELECT state, attempts FROM send_batches")" = "sent|1" ] || fail "sent not recovered: $(sql 'SELECT * FROM send_batches')"
# Simulate: the ledger knows a produced file the spool lost.
x send --date 2026-11-24 cr
sql "UPDATE send_batches SET state='failed'"
rm -rf "$H/spool/cr/sent/2026-11-24"
x send cr
expect_rc 0
expect_err "will be rebuilt"
[ "$(sql "SELECT state FROM send_batches")" = sent ] || fail "not rebuilt"
