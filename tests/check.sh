#!/bin/sh
# make check: the whole suite, then its verdict in one closing line.
#   tests/check.sh MAKE [MAKE ARGS...]
# Builds the fault binary, runs unit + end-to-end tests on the plain build,
# then again under ASan+UBSan.  A failing pass does not stop the others,
# so the last line, "N passed, N failed", covers every test of the run
# (unit test cases and end-to-end scripts of both passes; a build that
# fails counts as one failure).  Exits non-zero if anything failed.
set -u
tally=$(mktemp "${TMPDIR:-/tmp}/xfer-tally.XXXXXX") || exit 1
trap 'rm -f "$tally"' EXIT
export XFER_TALLY="$tally"
status=0
step() {
	# step LABEL MAKE-ARGS...: a failure that reported no tests (a build
	# error) is one failed test.
	label=$1; shift
	before=$(wc -l <"$tally")
	if ! "$@"; then
		status=1
		[ "$(wc -l <"$tally")" -eq "$before" ] &&
		    echo "0 1 $label" >>"$tally"
	fi
	return 0
}
make=$1; shift
step fault "$make" "$@" fault
# The plain pass skips the fault-build tests; the ASan pass runs them.
step plain "$make" "$@" check-one FAULT_XFER=
step asan "$make" "$@" check-asan
pass=0 fail=0
while read -r p f what; do
	pass=$((pass + p)) fail=$((fail + f))
	[ "$f" -gt 0 ] && echo "failed in $what: $f" >&2
done <"$tally"
[ "$fail" -gt 0 ] && status=1
echo "$pass passed, $fail failed"
exit $status
