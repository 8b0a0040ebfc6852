# Helpers for the end-to-end tests: sourced by each tests/e2e/t_*.sh.
# Every test gets a fresh home in $H (removed on exit) and runs
# "$XFER_BIN --home $H ..." through x, which records the exit status in
# $rc and the output in $H/.out / $H/.err.
set -u
: "${XFER_BIN:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/xfer-e2e.XXXXXX")
H="$T/home"
mkdir -p "$H/jobs" "$H/data" "$H/spool"
chmod 755 "$H/spool"
# Servers a test starts are stopped by PID on any exit (see start_sshd).
on_exit=""
trap 'eval "$on_exit"; rm -rf "$T"' EXIT
SERVERS="$(cd "$(dirname "$0")/../servers" && pwd)"
# The sanitizer build must see leaks and stop at the first error.  Stacks
# at malloc come from frame pointers (the slow unwinder makes every
# malloc-heavy client library, MariaDB's above all, ten times slower); a
# test whose suppressed third-party leak needs the full stack to match
# (t_sftp: libssh2) asks for it with asan_full_stacks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")/.." && pwd)/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TZ=UTC
asan_full_stacks() {
	ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
}

x() {
	"$XFER_BIN" --home "$H" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	no_sanitizer_report
	return 0
}

fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$T/out" 2>/dev/null
	echo "--- stderr"; cat "$T/err" 2>/dev/null
	exit 1
}

expect_rc() {
	[ "$rc" -eq "$1" ] || fail "expected exit $1, got $rc"
}

expect_err() {
	grep -F -q -- "$1" "$T/err" || fail "stderr lacks: $1"
}

expect_out() {
	grep -F -q -- "$1" "$T/out" || fail "stdout lacks: $1"
}

# The sanitizers report through stderr; a report is a failure.
no_sanitizer_report() {
	if grep -E -q 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/err"; then
		fail "sanitizer report"
	fi
}

expect_file() {
	# expect_file PATH <<EOF ... EOF: byte-exact content
	cat > "$T/want"
	[ -f "$1" ] || fail "missing file $1"
	cmp -s "$1" "$T/want" || { diff "$T/want" "$1"; fail "content of $1"; }
}

job() {
	# job NAME <<EOF ... EOF
	cat > "$H/jobs/$1.job"
}

sql() {
	sqlite3 "$H/spool/ledger.db" "$1"
}

# Start the real OpenSSH sshd of tests/servers and load its settings
# (SSHD_PORT, SSHD_USER, SSHD_HOME, keys ...).  Skips the test (exit 0 with
# a note) only when sshd is not installed and we may not install it.
start_sshd() {
	# The test user must reach its upload directory under $T.
	chmod 755 "$T"
	"$SERVERS/sshd.sh" start "$T/sshd" >"$T/sshd.start" 2>&1 ||
	    { cat "$T/sshd.start"; fail "cannot start sshd"; }
	on_exit="$on_exit \"$SERVERS/sshd.sh\" stop \"$T/sshd\" >/dev/null 2>&1;"
	. "$T/sshd/env"
}

start_nginx() {
	"$SERVERS/nginx.sh" start "$T/nginx" >"$T/nginx.start" 2>&1 ||
	    { cat "$T/nginx.start"; fail "cannot start nginx"; }
	on_exit="$on_exit \"$SERVERS/nginx.sh\" stop \"$T/nginx\" >/dev/null 2>&1;"
	. "$T/nginx/env"
}

# A throwaway S3 server (moto) in $T/${1:-s3} (S3_* variables, see
# tests/servers/s3.sh); S3_AUTH=1 in the environment checks signatures.
start_s3() {
	"$SERVERS/s3.sh" start "$T/${1:-s3}" >"$T/${1:-s3}.start" 2>&1 ||
	    { cat "$T/${1:-s3}.start"; fail "cannot start the S3 server"; }
	on_exit="$on_exit \"$SERVERS/s3.sh\" stop \"$T/${1:-s3}\" >/dev/null 2>&1;"
	. "$T/${1:-s3}/env"
}

# A throwaway PostgreSQL 15 (PG_* variables, see tests/servers/README.md);
# pg_sql SQL runs as the superuser over the socket, psql's -At output.
start_postgres() {
	"$SERVERS/postgres.sh" start "$T/pg" >"$T/pg.start" 2>&1 ||
	    { cat "$T/pg.start"; fail "cannot start postgres"; }
	on_exit="$on_exit \"$SERVERS/postgres.sh\" stop \"$T/pg\" >/dev/null 2>&1;"
	. "$T/pg/env"
}

pg_sql() {
	PGCONNECT_TIMEOUT=10 timeout 60 "$PG_BIN/psql" -X -w -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d "$PG_DB" <<SQL
$1
SQL
}

# A throwaway MariaDB 10.11 (MY_* variables); my_sql SQL runs as root
# over the socket, tab-separated output without column names.
start_mariadb() {
	"$SERVERS/mariadb.sh" start "$T/my" >"$T/my.start" 2>&1 ||
	    { cat "$T/my.start"; fail "cannot start mariadb"; }
	on_exit="$on_exit \"$SERVERS/mariadb.sh\" stop \"$T/my\" >/dev/null 2>&1;"
	. "$T/my/env"
}

my_sql() {
	timeout 60 "$MY_BIN/mariadb" --no-defaults -S "$MY_SOCKET" -u root \
	    -N -B "$MY_DB" <<SQL
$1
SQL
}
