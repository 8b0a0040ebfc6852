#!/bin/bash
# make bench, receive part: 1,000 small CSV files (10 rows each) from a
# local inbox into SQLite, backup included: `xfer receive` against a shell
# loop of `sqlite3 -cmd '.mode csv' DB '.import FILE t'` over the same
# files into the same table (created first).  bench/run.sh calls it at its
# end (BENCH_RECEIVE=0 skips it).  See bench/README.md.
#
# Environment: BENCH_RECEIVE_FILES (1000), BENCH_RECEIVE_ROWS (10),
# BENCH_RUNS (3), XFER_BIN (bin/xfer).  Exit 0 when xfer ran and loaded
# every row exactly once (the same count as the sqlite3 loop, one
# xfer_ingested key a file, every file in the backup), else 1.  The
# target (xfer >= 3x the loop's files/s) is reported, not failed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/work/receive
files=${BENCH_RECEIVE_FILES:-1000}
rows=${BENCH_RECEIVE_ROWS:-10}
runs=${BENCH_RUNS:-3}
xfer=${XFER_BIN:-$root/bin/xfer}
target=3

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "BENCH_RECEIVE_FILES=$files" "BENCH_RECEIVE_ROWS=$rows" \
    "BENCH_RUNS=$runs"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
[ -x "$xfer" ] || die "'$xfer' not found, run make"
command -v sqlite3 > /dev/null || die "sqlite3 not found (apt-get install sqlite3)"
case $work in
*[][*?{}\"\'\\]* | *[[:space:]]*) die "the checkout path '$root' holds a pattern, quote or space character" ;;
esac
export LC_ALL=C TZ=UTC

home=$work/home
src=$work/files
inbox=$work/inbox
cleanup() {
	rm -rf "$home" "$inbox" "$work/loop.db"
}
trap cleanup EXIT

# The files: deterministic, kept for the next run when their count and
# size match.
stamp="$files $rows"
if [ ! -f "$src/.made" ] || [ "$(cat "$src/.made")" != "$stamp" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	awk -v files="$files" -v rows="$rows" -v dir="$src" 'BEGIN {
		for (f = 1; f <= files; f++) {
			p = sprintf("%s/sales_20261124_%05d.csv", dir, f)
			print "date,store_id,sku,qty,amount" > p
			for (r = 1; r <= rows; r++)
				printf "2026-11-24,%d,sku%d,%d,%d.%02d\n", \
				    (f * 31 + r) % 1000, f * rows + r, r % 7 + 1, \
				    (f * r) % 500, r % 100 >> p
			close(p)
		}
	}'
	echo "$stamp" > "$src/.made"
fi

now() { date +%s.%N; }

# xfer: a fresh home, spool and database each run; the files copied into
# the inbox before the clock starts.
mkdir -p "$work"
best_xfer=
xfer_ok=1
for ((i = 1; i <= runs; i++)); do
	rm -rf "$home" "$inbox"
	mkdir -p "$home/jobs" "$inbox" "$home/data"
	mkdir -m 700 "$home/spool"
	cat > "$home/jobs/brecv.job" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = $inbox
pattern = sales_{date:%Y%m%d}_*.csv
settle = 0s
[ingest]
type = sqlite
database = $home/data/rx.db
table = sales
JOB
	cp "$src"/*.csv "$inbox/"
	sync
	t0=$(now)
	if ! "$xfer" --home "$home" -q receive brecv > "$work/xfer.out" 2>&1; then
		xfer_ok=0
		printf 'bench: xfer receive failed:\n' >&2
		tail -5 "$work/xfer.out" >&2
		break
	fi
	t1=$(now)
	t=$(echo "$t1 - $t0" | bc -l)
	if [ -z "$best_xfer" ] || [ "$(echo "$t < $best_xfer" | bc -l)" = 1 ]; then
		best_xfer=$t
	fi
done

# The peer: the same table created first, then one sqlite3 a file.
best_loop=
for ((i = 1; i <= runs; i++)); do
	rm -f "$work/loop.db"
	sqlite3 "$work/loop.db" 'CREATE TABLE t (date TEXT, store_id TEXT, sku TEXT, qty TEXT, amount TEXT)'
	sync
	t0=$(now)
	for f in "$src"/*.csv; do
		sqlite3 -cmd '.mode csv' "$work/loop.db" ".import --skip 1 $f t"
	done
	t1=$(now)
	t=$(echo "$t1 - $t0" | bc -l)
	if [ -z "$best_loop" ] || [ "$(echo "$t < $best_loop" | bc -l)" = 1 ]; then
		best_loop=$t
	fi
done

status=0
printf 'receive: %s files of %s rows, local inbox into SQLite, backup included (best of %s)\n' \
    "$files" "$rows" "$runs"
printf '  %-28s %9s %10s %10s\n' tool seconds files/s xfer/tool
loop_rate=$(echo "$files / $best_loop" | bc -l)
if [ "$xfer_ok" = 1 ]; then
	xfer_rate=$(echo "$files / $best_xfer" | bc -l)
	printf '  %-28s %9.2f %10.1f %10.2f\n' "xfer receive" "$best_xfer" "$xfer_rate" 1
	printf '  %-28s %9.2f %10.1f %10.2f\n' "sqlite3 .import loop" "$best_loop" "$loop_rate" \
	    "$(echo "$xfer_rate / $loop_rate" | bc -l)"
else
	printf '  %-28s %9s %10s %10s\n' "xfer receive" failed - -
	printf '  %-28s %9.2f %10.1f %10s\n' "sqlite3 .import loop" "$best_loop" "$loop_rate" -
	status=1
fi

# Correctness: the last xfer run's rows, keys and backups.
if [ "$xfer_ok" = 1 ]; then
	want=$(sqlite3 "$work/loop.db" 'SELECT count(*) FROM t')
	got=$(sqlite3 "$home/data/rx.db" 'SELECT count(*) FROM sales')
	keys=$(sqlite3 "$home/data/rx.db" 'SELECT count(DISTINCT name) || "/" || count(*) FROM xfer_ingested')
	sums=$(sqlite3 "$home/data/rx.db" 'SELECT sum(CAST(replace(amount, ".", "") AS INTEGER)) FROM sales')
	lsums=$(sqlite3 "$work/loop.db" 'SELECT sum(CAST(replace(amount, ".", "") AS INTEGER)) FROM t')
	backups=$(find "$home/spool/brecv/backup" -name 'sales_*.csv' | wc -l)
	left=$(find "$inbox" -type f | wc -l)
	if [ "$got" = "$want" ] && [ "$want" = $((files * rows)) ] &&
	    [ "$keys" = "$files/$files" ] && [ "$sums" = "$lsums" ] &&
	    [ "$backups" = "$files" ] && [ "$left" = 0 ]; then
		printf '  correct: %s rows in both, %s keys, %s backups, inbox empty\n' \
		    "$got" "$files" "$backups"
	else
		printf '  WRONG: rows xfer %s loop %s (want %s), keys %s, sums %s/%s, backups %s, left in inbox %s\n' \
		    "$got" "$want" $((files * rows)) "$keys" "$sums" "$lsums" "$backups" "$left"
		status=1
	fi
	if [ "$(echo "$xfer_rate >= $target * $loop_rate" | bc -l)" = 1 ]; then
		printf '  target xfer >= %sx the sqlite3 .import loop: met\n' "$target"
	else
		printf '  target xfer >= %sx the sqlite3 .import loop: NOT met\n' "$target"
	fi
fi
exit "$status"
