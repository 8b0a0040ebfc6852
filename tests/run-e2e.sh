#!/bin/sh
# Run every end-to-end test (tests/e2e/t_*.sh) against $XFER_BIN.
# Each test runs in its own temporary home; a failing test prints its log.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${XFER_BIN:?set XFER_BIN to the xfer binary}"
export XFER_BIN
# Build the fault-injection shim the I/O-fault tests preload.
export FAULTFS_SO="$here/work/faultfs.so"
mkdir -p "$here/work"
cc -shared -fPIC -O1 -o "$FAULTFS_SO" "$here/e2e/faultfs.c" -ldl || exit 1
pass=0 failed=""
for t in "$here"/e2e/t_*.sh; do
	[ -n "${E2E_ONLY:-}" ] && case "$t" in *"$E2E_ONLY"*) ;; *) continue ;; esac
	name=$(basename "$t" .sh)
	log="$here/work/$name.log"
	t0=$(date +%s)
	if sh "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		# The seconds keep make check's time budget in view.
		echo "ok   $name ($(($(date +%s) - t0)) s)"
	else
		echo "FAIL $name after $(($(date +%s) - t0)) s (log follows)"
		sed 's/^/    /' "$log"
		failed="$failed $name"
	fi
done
nfail=$(echo $failed | wc -w)
echo "e2e: $pass passed${failed:+, failed:$failed}"
[ -n "${XFER_TALLY:-}" ] && echo "$pass $nfail e2e" >>"$XFER_TALLY"
[ -z "$failed" ]
