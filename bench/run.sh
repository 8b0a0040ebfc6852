#!/bin/bash
# make bench: time xfer's send path (CSV in, group by store, count and exact
# sum, CSV out to a local directory) against Miller, sqlite3, a bare libcsv
# loop and cat on one generated file, then check xfer's sums to the cent.
# See bench/README.md.
#
# Environment: BENCH_ROWS (10000000), BENCH_RUNS (3), XFER_BIN (bin/xfer),
# CC (cc); BENCH_SEND, BENCH_TRANSPORT, BENCH_DB, BENCH_S3, BENCH_RECEIVE,
# BENCH_FORMATS, BENCH_FLEET (0 skips a part).  Exit 0 when xfer ran and its output is exact, else 1.
# Targets not met are reported, not failed: this is a benchmark, not a test.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)

# The peers are Debian packages: install the missing ones when we may (as
# root), else they show as "skipped" with the package to install.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	missing=""
	for p in miller sqlite3 rclone lftp openssh-client curl time; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "bench: installing peers:$missing" >&2
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $missing >/dev/null 2>&1 ||
		    echo "bench: could not install:$missing" >&2
	fi
fi

# BENCH_SEND=0 skips this send benchmark, BENCH_TRANSPORT=0 the transport
# one (bench/transport.sh) that runs after it, BENCH_DB=0 the database one
# (bench/db.sh), BENCH_S3=0 the S3 one (bench/s3.sh), BENCH_RECEIVE=0 the
# receive one (bench/receive.sh), BENCH_FORMATS=0 the partner-format one
# (bench/formats.sh), BENCH_FLEET=0 the fleet soak
# (bench/fleet.sh) that runs last; any of them failing exits 1.
if [ "${BENCH_SEND:-1}" = 0 ]; then
	status=0
	if [ "${BENCH_TRANSPORT:-1}" != 0 ]; then
		"$root/bench/transport.sh" || status=1
	fi
	if [ "${BENCH_DB:-1}" != 0 ]; then
		[ "${BENCH_TRANSPORT:-1}" = 0 ] || printf '\n'
		"$root/bench/db.sh" || status=1
	fi
	if [ "${BENCH_S3:-1}" != 0 ]; then
		printf '\n'
		"$root/bench/s3.sh" || status=1
	fi
	if [ "${BENCH_RECEIVE:-1}" != 0 ]; then
		printf '\n'
		"$root/bench/receive.sh" || status=1
	fi
	if [ "${BENCH_FORMATS:-1}" != 0 ]; then
		printf '\n'
		"$root/bench/formats.sh" || status=1
	fi
	if [ "${BENCH_FLEET:-1}" != 0 ]; then
		printf '\n'
		"$root/bench/fleet.sh" || status=1
	fi
	exit "$status"
fi

work=$root/bench/work
rows=${BENCH_ROWS:-10000000}
runs=${BENCH_RUNS:-3}
xfer=${XFER_BIN:-$root/bin/xfer}
cc=${CC:-cc}
date=2026-11-24
outname=bench_20261124.csv
small_max=1000000
rss_limit_mib=32

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "BENCH_ROWS=$rows" "BENCH_RUNS=$runs"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
command -v "$cc" > /dev/null || die "no C compiler '$cc' (apt-get install gcc)"

# A path as the user knows it: relative to the checkout when inside it.
show() {
	case $1 in
	"$root"/*) printf '%s' "${1#"$root"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# "10000000" -> "10M", for labels.
human_rows() {
	awk -v n="$1" 'BEGIN {
		if (n % 1000000 == 0) printf "%dM", n / 1000000
		else if (n % 1000 == 0) printf "%dk", n / 1000
		else printf "%d", n
	}'
}

# The job's source path is a glob pattern that may hold {date}.
case $work in
*[][*?{}]*) die "the checkout path '$root' holds a glob or pattern character" ;;
esac

mkdir -p "$work"
"$cc" -O2 "$root/bench/gen.c" -o "$work/gen"
"$cc" -O2 "$root/bench/csvsum.c" -lcsv -o "$work/csvsum"

# The data: named by row count, written under a temporary name so that an
# interrupted run never leaves a short file that a later run would reuse.
data=$work/sales_$rows.csv
if [ ! -s "$data" ]; then
	printf 'generating %s (%s rows)\n' "$(show "$data")" "$rows"
	"$work/gen" "$rows" > "$data.tmp"
	mv "$data.tmp" "$data"
fi
if [ "$rows" -le "$small_max" ]; then
	small_rows=$rows
	small=$data
else
	small_rows=$small_max
	small=$work/sales_$small_rows.csv
	if [ ! -s "$small" ]; then
		head -n "$((small_rows + 1))" "$data" > "$small.tmp"
		mv "$small.tmp" "$small"
	fi
fi

# The xfer home: two jobs built from one template, each with its own outbox.
home=$work/home
outbox=$work/outbox
small_outbox=$work/outbox-small
mkdir -p "$home/jobs"
[ -d "$home/spool" ] || mkdir -m 700 "$home/spool"

sed_escape() {
	printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

write_job() {
	sed -e "s|@SOURCE@|$(sed_escape "$2")|" \
	    -e "s|@OUTBOX@|$(sed_escape "$3")|" \
	    "$root/bench/bench.job.in" > "$home/jobs/$1.job"
}

write_job bench "$data" "$outbox"
write_job bench_small "$small" "$small_outbox"

# Every timed xfer run starts from an empty spool and outbox so that it does
# the whole work (send --date rebuilds anyway, but leave it no shortcut).
# shellcheck disable=SC2317  # called through measure's PREP argument
prep_xfer() {
	find "$home/spool" -mindepth 1 -delete
	rm -rf "$outbox"
	mkdir -p "$outbox"
}

# The same for the small run, which must leave the big run's output alone.
prep_small() {
	find "$home/spool" -mindepth 1 -delete
	rm -rf "$small_outbox"
	mkdir -p "$small_outbox"
}

db=$work/sales.db
prep_sqlite() {
	rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
}

declare -A secs=() kib=() note=()

# measure NAME PREP OUT CMD...: run CMD $runs times (PREP before each, its
# stdout to OUT, stderr to $work/NAME.err); keep the best wall time and the
# highest peak RSS.  On failure leaves a note and returns 1.
measure() {
	local name=$1 prep=$2 out=$3 i rc t m best='' peak=0
	shift 3
	for ((i = 1; i <= runs; i++)); do
		"$prep"
		rc=0
		/usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" \
		    > "$out" 2> "$work/$name.err" || rc=$?
		if [ "$rc" -ne 0 ]; then
			note[$name]="failed (exit $rc), see $(show "$work/$name.err")"
			return 1
		fi
		read -r t m < <(tail -n 1 "$work/$name.time")
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
		fi
		[ "$m" -le "$peak" ] || peak=$m
	done
	secs[$name]=$best
	kib[$name]=$peak
}

# Warm the page cache so that the first tool timed does not pay for the disk.
cat "$data" > /dev/null

printf 'xfer send benchmark: %s rows, %s MiB, %s\n' "$rows" \
    "$(( $(stat -c %s "$data") / 1048576 ))" "$(show "$data")"
printf 'best wall time of %s run(s); peak RSS is the highest of them; %s CPUs, %s\n\n' \
    "$runs" "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

xfer_ok=0
if [ ! -x "$xfer" ]; then
	note[xfer]="$(show "$xfer") not found, run make"
	printf 'xfer: %s\n\n' "${note[xfer]}" >&2
elif measure xfer prep_xfer "$work/xfer.out" \
    "$xfer" --home "$home" send --date "$date" bench; then
	if [ -s "$outbox/$outname" ]; then
		xfer_ok=1
	else
		note[xfer]="exited 0 but wrote no $(show "$outbox/$outname")"
	fi
fi
if [ "$xfer_ok" -eq 0 ]; then
	unset 'secs[xfer]' 'kib[xfer]'
fi

if ! command -v mlr > /dev/null; then
	note[mlr]='skipped (not installed: apt-get install miller)'
else
	measure mlr : "$work/mlr.out" \
	    mlr --icsv --ocsv stats1 -a count,sum -f amount -g store_id "$data" ||
	    true
fi

have_sqlite=0
if ! command -v sqlite3 > /dev/null; then
	note[sqlite3]='skipped (not installed: apt-get install sqlite3)'
else
	have_sqlite=1
	# -init /dev/null: a ~/.sqliterc must not change what is timed.
	measure sqlite3 prep_sqlite "$work/sqlite3.out" \
	    sqlite3 -init /dev/null -bail "$db" '.mode csv' \
	    ".import \"$data\" sales" \
	    'SELECT store_id, count(*), sum(amount) FROM sales GROUP BY store_id' ||
	    true
fi

measure csvsum : "$work/csvsum.out" "$work/csvsum" "$data" || true
measure cat : /dev/null cat "$data" || true

# The table.  Times are clamped to 0.01 s (the resolution of %e) so that a
# very fast row on a small file gives a large rate rather than a division
# by zero.
rate() {
	awk -v r="$rows" -v s="$1" 'BEGIN {
		if (s < 0.01) { s = 0.01; printf ">" }
		printf "%.0f", r / s }'
}

printf '%-10s %9s %12s %10s %9s\n' tool seconds rows/s xfer/tool 'RSS MiB'
for tool in xfer mlr sqlite3 csvsum cat; do
	if [ -z "${secs[$tool]:-}" ]; then
		printf '%-10s %s\n' "$tool" "${note[$tool]:-not measured}"
		continue
	fi
	ratio=-
	if [ -n "${secs[xfer]:-}" ]; then
		ratio=$(awk -v x="${secs[xfer]}" -v t="${secs[$tool]}" 'BEGIN {
			if (x < 0.01) x = 0.01; if (t < 0.01) t = 0.01
			printf "%.2f", t / x }')
	fi
	printf '%-10s %9.2f %12s %10s %9.1f\n' "$tool" "${secs[$tool]}" \
	    "$(rate "${secs[$tool]}")" "$ratio" \
	    "$(awk -v k="${kib[$tool]}" 'BEGIN { print k / 1024 }')"
done
for tool in xfer mlr sqlite3 csvsum cat; do
	case ${note[$tool]:-} in
	failed*)
		printf '\n%s stderr (last lines):\n' "$tool"
		tail -n 5 "$work/$tool.err" | sed -e 's/^/  /'
		;;
	esac
done

# Memory must stay flat as the file grows: one run on the small file.
small_kib=
if [ "$xfer_ok" -eq 1 ] && [ "$small_rows" -ne "$rows" ]; then
	prep_small
	rc=0
	/usr/bin/time -f '%e %M' -o "$work/xfer-small.time" \
	    "$xfer" --home "$home" send --date "$date" bench_small \
	    > "$work/xfer-small.out" 2> "$work/xfer-small.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		read -r _ small_kib < <(tail -n 1 "$work/xfer-small.time")
		printf '\nxfer on %s rows: peak RSS %.1f MiB\n' \
		    "$(human_rows "$small_rows")" \
		    "$(awk -v k="$small_kib" 'BEGIN { print k / 1024 }')"
	else
		printf '\nxfer on %s rows: failed (exit %s), see %s\n' \
		    "$(human_rows "$small_rows")" "$rc" \
		    "$(show "$work/xfer-small.err")"
	fi
fi

# target LABEL OK VALUE: one line of the targets list.
target() {
	local verdict
	case $2 in
	1) verdict=met ;;
	0) verdict='NOT met' ;;
	*) verdict="unknown ($2)" ;;
	esac
	if [ -n "$3" ]; then
		verdict="$verdict ($3)"
	fi
	printf '  %-40s %s\n' "$1" "$verdict"
}

# speed_target LABEL TOOL MIN: xfer rows/s >= MIN x TOOL rows/s?
speed_target() {
	local r
	if [ -z "${secs[xfer]:-}" ]; then
		target "$1" 'xfer not measured' ''
	elif [ -z "${secs[$2]:-}" ]; then
		target "$1" "$2 not measured" ''
	else
		r=$(awk -v x="${secs[xfer]}" -v t="${secs[$2]}" 'BEGIN {
			if (x < 0.01) x = 0.01; if (t < 0.01) t = 0.01
			printf "%.2f", t / x }')
		target "$1" "$(awk -v r="$r" -v m="$3" 'BEGIN { print (r >= m) ? 1 : 0 }')" "${r}x"
	fi
}

# rss_target LABEL KIB
rss_target() {
	if [ -z "$2" ]; then
		target "$1" 'xfer not measured' ''
	else
		target "$1" "$(awk -v k="$2" -v l="$rss_limit_mib" 'BEGIN { print (k < l * 1024) ? 1 : 0 }')" \
		    "$(awk -v k="$2" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
	fi
}

printf '\ntargets:\n'
speed_target 'xfer >= 10x Miller rows/s' mlr 10
speed_target 'xfer >= 0.7x csvsum rows/s' csvsum 0.7
rss_target "xfer peak RSS < $rss_limit_mib MiB on $(human_rows "$rows") rows" "${kib[xfer]:-}"
if [ "$small_rows" -ne "$rows" ]; then
	rss_target "xfer peak RSS < $rss_limit_mib MiB on $(human_rows "$small_rows") rows" "$small_kib"
fi

# Correctness: per-store counts and sums, compared as text with an exact
# computation in integer cents.  gen.c writes every amount with exactly two
# decimals, so deleting the point gives cents; the first query proves that
# held for every row sqlite3 imported.
printf '\ncorrectness:\n'
status=0
ref=$work/reference.sorted
ref_label=
if [ "$have_sqlite" -eq 1 ]; then
	if [ -z "${secs[sqlite3]:-}" ]; then
		prep_sqlite
		sqlite3 -init /dev/null -bail "$db" '.mode csv' \
		    ".import \"$data\" sales"
	fi
	shape=$(sqlite3 -init /dev/null "$db" \
	    "SELECT count(*) || ',' || count(*) FILTER (WHERE amount NOT GLOB '*[0-9].[0-9][0-9]') FROM sales")
	if [ "$shape" != "$rows,0" ]; then
		printf '  sqlite3 imported %s rows (want %s) or amounts without two decimals\n' \
		    "${shape%%,*}" "$rows"
		exit 1
	fi
	sqlite3 -init /dev/null "$db" "
	    SELECT printf('%s,%d,%s%d.%02d', store_id, n,
	        CASE WHEN c < 0 THEN '-' ELSE '' END, abs(c) / 100, abs(c) % 100)
	    FROM (SELECT store_id, count(*) AS n,
	        sum(CAST(replace(amount, '.', '') AS INTEGER)) AS c
	        FROM sales GROUP BY store_id)" | LC_ALL=C sort > "$ref"
	ref_label='sqlite3 over integer cents'
elif [ -n "${secs[csvsum]:-}" ]; then
	tail -n +2 "$work/csvsum.out" | LC_ALL=C sort > "$ref"
	ref_label='bench/csvsum (sqlite3 not installed)'
fi

# check LABEL FILE HEADER: FILE's header and its rows, in any order,
# against the reference.
check() {
	local got=$work/$1.sorted head
	head=$(head -n 1 "$2")
	if [ "$head" != "$3" ]; then
		printf '  %s: header is "%s", want "%s"\n' "$1" "$head" "$3"
		return 1
	fi
	tail -n +2 "$2" | LC_ALL=C sort > "$got"
	if cmp -s "$ref" "$got"; then
		printf '  %s: OK (%s stores, to the cent)\n' "$1" "$(wc -l < "$got")"
		return 0
	fi
	printf '  %s: MISMATCH with %s (first lines of the diff):\n' "$1" "$ref_label"
	diff -u --label reference --label "$(show "$2")" "$ref" "$got" |
	    head -n 40 | sed -e 's/^/    /'
	return 1
}

if [ -z "$ref_label" ]; then
	printf '  not checked: neither sqlite3 nor csvsum gave a reference\n'
	status=1
else
	printf '  reference: %s\n' "$ref_label"
	if [ "$have_sqlite" -eq 1 ] && [ -n "${secs[csvsum]:-}" ]; then
		check csvsum "$work/csvsum.out" 'store_id,count,sum' || status=1
	fi
	if [ "$xfer_ok" -eq 1 ]; then
		check xfer "$outbox/$outname" 'store_id,orders,amount' || status=1
	else
		printf '  xfer: not checked (%s)\n' "${note[xfer]:-not measured}"
	fi
fi

if [ "$xfer_ok" -eq 0 ]; then
	printf '\nbench: xfer was not measured: %s\n' "${note[xfer]:-unknown}" >&2
	status=1
fi
if [ "${BENCH_TRANSPORT:-1}" != 0 ]; then
	printf '\n'
	"$root/bench/transport.sh" || status=1
fi
if [ "${BENCH_DB:-1}" != 0 ]; then
	printf '\n'
	"$root/bench/db.sh" || status=1
fi
if [ "${BENCH_S3:-1}" != 0 ]; then
	printf '\n'
	"$root/bench/s3.sh" || status=1
fi
if [ "${BENCH_RECEIVE:-1}" != 0 ]; then
	printf '\n'
	"$root/bench/receive.sh" || status=1
fi
if [ "${BENCH_FORMATS:-1}" != 0 ]; then
	printf '\n'
	"$root/bench/formats.sh" || status=1
fi
if [ "${BENCH_FLEET:-1}" != 0 ]; then
	printf '\n'
	"$root/bench/fleet.sh" || status=1
fi
exit "$status"
