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
expect_out "[  PASSED  ] 11 test(s)."
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

# --- a reachable one: the schema is made, status reads it ------------------
cat >"$H/xfer.conf" <<CONF
[ledger]
url = $PG_URL
password_file = $PG_PASSWORD_FILE
node = host-a
lease = 3s
CONF
x status
expect_rc 0
[ "$(pg_sql "SELECT version FROM xfer_schema")" = 1 ] || fail "schema version"
[ ! -e "$H/spool/ledger.db" ] || fail "an SQLite ledger was made too"
echo "ok"
