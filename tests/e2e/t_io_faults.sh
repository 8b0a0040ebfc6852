# A full disk or a read-only spool: a clear error naming the file and the
# cause, no partial file, and the ledger and earlier batches unchanged.
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
mkdir -p "$H/data"
printf 'a\n1\n' > "$H/data/in.csv"
job io <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = io_{date}.csv
[upload]
url = out
retries = 0
JOB
x send --date 2026-11-23 io
expect_rc 0
before=$(sql "SELECT * FROM send_batches")
LD_PRELOAD="$FAULTFS_SO" FAULT_ENOSPC_PREFIX="$H/spool/io/tmp" x send --date 2026-11-24 io
expect_rc 1
no_sanitizer_report
expect_err "No space left on device"
expect_err "io_2026-11-24.csv"
[ -z "$(find "$H/spool/io/tmp" "$H/spool/io/out" -mindepth 1)" ] || fail "partial files left"
[ ! -e "$H/out/io_2026-11-24.csv" ] || fail "delivered"
[ -d "$H/spool/io/sent/2026-11-23" ] || fail "earlier batch lost"
# Full destination disk: the produced batch stays in the spool for retry.
LD_PRELOAD="$FAULTFS_SO" FAULT_ENOSPC_PREFIX="$H/out" x send --date 2026-11-25 io
expect_rc 1
expect_err "No space left on device"
[ -d "$H/spool/io/out/2026-11-25" ] || fail "produced batch not kept"
[ -z "$(ls "$H/out" | grep part)" ] || fail ".part left at destination"
x send --date 2026-11-25 io
expect_rc 0
# Read-only spool.
LD_PRELOAD="$FAULTFS_SO" FAULT_EROFS_PREFIX="$H/spool" x send --date 2026-11-26 io
[ "$rc" -ne 0 ] || fail "read-only spool must fail"
expect_err "Read-only file system"
[ "$(sql "SELECT * FROM send_batches WHERE date < '2026-11-24'")" = "$before" ] || fail "ledger changed"
