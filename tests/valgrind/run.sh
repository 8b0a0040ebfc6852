#!/bin/sh
# The whole suite once under valgrind (make check-valgrind; slow, not in
# CI, which runs the same suite under ASan+UBSan instead):
#   tests/valgrind/run.sh BUILD_DIR
# Unit tests run under valgrind directly; the end-to-end tests run
# tests/valgrind/xfer as XFER_BIN.  Then every log is read: any memory
# error, or a definite/indirect leak with a frame in xfer's own code
# (lib/ or cmd/), fails the run.  Leaks wholly inside third-party
# libraries are listed, not failed (valgrind.supp names the known ones).
# Tests that time things may fail under valgrind's slowdown: they are
# listed, and only the valgrind findings decide the result.
set -u
command -v valgrind >/dev/null ||
    { echo "run.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
VG_LOGS=$(mktemp -d "${TMPDIR:-/tmp}/xfer-vg.XXXXXX")
export VG_LOGS VG_XFER="$build/xfer"
status=0
for t in "$build"/tests/test_*; do
	valgrind --quiet --error-exitcode=0 --leak-check=full \
	    --show-leak-kinds=definite,indirect --fullpath-after= \
	    --suppressions="$here/valgrind/valgrind.supp" \
	    --log-file="$VG_LOGS/unit.$(basename "$t").%p.log" "$t" \
	    >"$VG_LOGS/$(basename "$t").out" 2>&1 ||
	    echo "unit test failed under valgrind: $(basename "$t")"
done
# The fault-build tests run under ASan in check; not again here.
FAULT_XFER= XFER_BIN="$here/valgrind/xfer" "$here/run-e2e.sh" || :
logs=$(ls "$VG_LOGS"/*.log | wc -l)
bad=0 theirs=0
for f in "$VG_LOGS"/*.log; do
	[ -s "$f" ] || continue
	# Memory errors anywhere count; a leak counts when the first frame
	# above the C library's allocators is xfer's own code (lib/, cmd/).
	# A leak allocated inside libcurl or OpenSSL names xfer's frames
	# further up, as the caller: that is theirs, listed but not failed.
	if grep -q -E 'Invalid (read|write|free)|uninitialised|Mismatched free|overlap' "$f" ||
	    awk '
	    /are (definitely|indirectly) lost/ { l = 1; next }
	    /^==[0-9]+== $/ { l = 0 }
	    l && /(at|by) 0x[0-9A-F]+: / {
		if ($0 ~ /vgpreload|libc\.so|[(](string|libio|stdio-common|misc|malloc)\//)
			next
		if ($0 ~ /[(](\/[^)]*\/)?(lib|cmd)\/[a-z_]+\.c:[0-9]+[)]/)
			f = 1
		l = 0
	    }
	    END { exit !f }' "$f"; then
		echo "== $f"; cat "$f"
		bad=$((bad + 1))
	elif grep -q 'lost in loss record' "$f"; then
		echo "== $f: third-party leaks only:"
		grep 'lost in loss record' "$f"
		theirs=$((theirs + 1))
	fi
done
echo "valgrind: $logs process logs, $bad with errors or leaks in xfer's code, $theirs with third-party leaks only"
[ "$bad" -eq 0 ] || status=1
rm -rf "$VG_LOGS"
exit $status
