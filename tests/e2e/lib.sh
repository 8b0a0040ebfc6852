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
trap 'rm -rf "$T"' EXIT
# The sanitizer build must see leaks and stop at the first error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TZ=UTC

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
