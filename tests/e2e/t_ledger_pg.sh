# The PostgreSQL ledger (SPEC.md section 9) against a real PostgreSQL 15:
# the ledger's unit tests (tests/unit/test_ledger.c: the contract both
# backends keep, and the claims: lease, takeover, stale token, done,
# renewal, node scoping, reconnection) run against it, with the unit
# binary of the same build as XFER_BIN (so plain, and ASan in the ASan
# pass); then xfer itself: a [ledger] url whose server cannot be reached
# fails the run loudly (exit 1, the ledger named, nothing produced), and
# one that can be reached gets its schema and is read by status.
. "$(dirname "$0")/lib.sh"
chmod 755 "$T"
UNIT="$(dirname "$XFER_BIN")/tests/test_ledger"
[ -x "$UNIT" ] || fail "no $UNIT: build it first (make $(dirname "$XFER_BIN")/tests/test_ledger)"
start_postgres

# --- the unit tests, every one run (none skipped) --------------------------
XFER_TEST_LEDGER_URL="$PG_URL" XFER_TEST_LEDGER_PASSWORD_FILE="$PG_PASSWORD_FILE" \
    timeout 120 "$UNIT" >"$T/out" 2>&1
rc=$?
cat "$T/out"
cp "$T/out" "$T/err"
expect_rc 0
no_sanitizer_report
expect_out "[  PASSED  ] 12 test(s)."
! grep -q SKIPPED "$T/out" || fail "claim tests skipped"

# --- a ledger that cannot be reached: exit 1, named, nothing produced ------
mkdir -p "$H/data/in"
printf 'store,amount\n1,2.50\n' >"$H/data/in/s.csv"
job sales <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/in/*.csv
[output]
name = sales_{date}.csv
manifest = none
[upload]
url = out
JOB
# Port 1: nothing listens there.
cat >"$H/xfer.conf" <<CONF
[ledger]
url = postgresql://xfer@127.0.0.1:1/xfer
node = host-a
CONF
x send sales --date 2026-11-24
expect_rc 1
expect_err "ledger PostgreSQL 'postgresql://xfer@127.0.0.1:1/xfer': cannot connect"
[ -z "$(find "$H/spool" -type f)" ] || { find "$H/spool" -type f; fail "something was produced"; }
[ ! -e "$H/out" ] || fail "something was sent"

# --- a reachable one: three hosts starting at once on a new ledger ---------
# make its schema together (one upgrade, under the advisory lock), and
# status reads it.
pg_sql "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION $PG_USER;"
for n in a b c; do
	mkdir -p "$T/h$n/jobs" "$T/h$n/spool"
	chmod 755 "$T/h$n/spool"
	cat >"$T/h$n/xfer.conf" <<CONF
[ledger]
url = $PG_URL
password_file = $PG_PASSWORD_FILE
node = host-$n
lease = 3s
CONF
done
pids=""
for n in a b c; do
	timeout 60 "$XFER_BIN" --home "$T/h$n" status >"$T/h$n.out" 2>"$T/h$n.err" &
	pids="$pids $!"
done
for n in a b c; do
	set -- $pids
	wait "$1"
	rc=$?
	pids=${pids#* $1}
	cp "$T/h$n.out" "$T/out"
	cp "$T/h$n.err" "$T/err"
	expect_rc 0
	no_sanitizer_report
	expect_err "no batches recorded yet"
	[ ! -e "$T/h$n/spool/ledger.db" ] || fail "an SQLite ledger was made too"
done
[ "$(pg_sql "SELECT version FROM xfer_schema")" = 2 ] || fail "schema version"
[ "$(pg_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 9 ] ||
    fail "tables: $(pg_sql "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")"
echo "ok"
