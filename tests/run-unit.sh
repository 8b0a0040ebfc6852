#!/bin/sh
# Run each cmocka test binary given; fail if any fails.
status=0
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then
		echo "FAIL: $t" >&2
		status=1
	fi
done
exit $status
