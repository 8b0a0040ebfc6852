#!/bin/sh
# Run each cmocka test binary given; fail if any fails.  Counts test
# cases (cmocka's own PASSED/FAILED lines; a binary that dies before
# reporting counts as one failure) and, when XFER_TALLY names a file,
# appends "PASSED FAILED unit" to it for tests/check.sh's closing line.
status=0 npass=0 nfail=0
out=$(mktemp "${TMPDIR:-/tmp}/xfer-unit.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
for t in "$@"; do
	echo "== $t"
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ]; then
		[ "$f" -eq 0 ] && f=1
		echo "FAIL: $t" >&2
		status=1
	fi
	npass=$((npass + p)) nfail=$((nfail + f))
done
echo "unit: $npass passed, $nfail failed"
[ -n "${XFER_TALLY:-}" ] && echo "$npass $nfail unit" >>"$XFER_TALLY"
exit $status
