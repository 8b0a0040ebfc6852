#!/bin/bash
# make bench, partner-format part: one bank-style batch of N transfers
# (Hangul names of 1 to 5 syllables, signed amounts) written as 120-byte
# CP949 fixed-width records with a header and a trailer (count, exact
# total), by `xfer send` and by a straightforward Python reference that
# formats the same layout with Python's own cp949 codec.  The two files
# must be byte-identical (a differential check of padding in bytes,
# signs, totals); then the times and peak RSS side by side.  bench/run.sh
# calls it (BENCH_FORMATS=0 skips it).  See bench/README.md.
#
# Environment: BENCH_FORMATS_ROWS (1000000), BENCH_RUNS (3), XFER_BIN
# (bin/xfer).  Exit 0 when xfer ran and its file equals the reference's,
# else 1.  The target (xfer >= 5x the reference's rows/s) is reported,
# not failed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/work/formats
rows=${BENCH_FORMATS_ROWS:-1000000}
runs=${BENCH_RUNS:-3}
xfer=${XFER_BIN:-$root/bin/xfer}
target=5

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "BENCH_FORMATS_ROWS=$rows" "BENCH_RUNS=$runs"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
[ -x "$xfer" ] || die "'$xfer' not found, run make"
command -v python3 >/dev/null || die "python3 not found"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
case $work in
*[][*?{}\"\'\\]* | *[[:space:]]*) die "the checkout path '$root' holds a pattern, quote or space character" ;;
esac
export LC_ALL=C TZ=UTC

home=$work/home
src=$work/transfers_20261124.csv
cleanup() {
	rm -rf "$home" "$work/ref.dat"
}
trap cleanup EXIT
mkdir -p "$work"

# The data: deterministic, kept for the next run when the row count matches.
if [ ! -f "$src" ] || [ "$(cat "$work/.made" 2>/dev/null)" != "$rows" ]; then
	python3 - "$rows" "$src" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
family = ["김", "이", "박", "최", "정", "남궁", "황보", "Lee ", "O'"]
given = ["민수", "지우", "서연", "길동", "하늘", "뷁", "", "Jiwoo", "수"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("value_date,account,name,amount\n")
    x = 12345
    for i in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        name = family[x % 9] + given[(x >> 8) % 9]
        amount = (x >> 4) % 100000000 - 20000000
        f.write("2026-11-24,%03d-%02d-%06d,%s,%d\n" %
                (x % 1000, (x >> 10) % 100, (x >> 3) % 1000000, name, amount))
EOF
	echo "$rows" >"$work/.made"
fi

rm -rf "$home"
mkdir -p "$home/jobs" "$home/out"
cat >"$home/jobs/bank.job" <<EOF
[job]
direction = send
[source]
type = csv
path = $src
[output]
format = fixed
name = TRF088_{date:%Y%m%d}.dat
encoding = cp949
record_end = crlf
manifest = none
[header]
record_type = 1 const H
bank_code   = 3 const 088
batch_date  = 8 date %Y%m%d
seq         = 3 seq
filler      = 105 filler
[record]
record_type = 1 const D
account     = 14 text
name        = 20 text
amount      = 13 number sign=leading
filler      = 72 filler
[trailer]
record_type = 1 const T
count       = 7 count
total       = 15 sum amount sign=leading
filler      = 97 filler
[upload]
url = out
EOF

ref=$work/ref.py
cat >"$ref" <<'EOF'
import csv, sys
src, dst = sys.argv[1], sys.argv[2]
def num(v, w):
    s = "-" if v < 0 else "+"
    d = str(abs(v))
    if len(d) > w - 1:
        raise SystemExit("too wide")
    return (s + d.rjust(w - 1, "0")).encode()
def text(v, w):
    b = v.encode("cp949")
    if len(b) > w:
        raise SystemExit("too long: " + v)
    return b + b" " * (w - len(b))
count = total = 0
with open(src, encoding="utf-8", newline="") as f, open(dst, "wb") as o:
    o.write(b"H08820261124001" + b" " * 105 + b"\r\n")
    r = csv.reader(f)
    next(r)
    for row in r:
        a = int(row[3])
        o.write(b"D" + text(row[1], 14) + text(row[2], 20) + num(a, 13) +
                b" " * 72 + b"\r\n")
        count += 1
        total += a
    o.write(b"T" + str(count).rjust(7, "0").encode() + num(total, 15) +
            b" " * 97 + b"\r\n")
EOF

best() { # best SECONDS... -> the smallest
	printf '%s\n' "$@" | sort -g | head -1
}

xt=() xr=0 pt=() pr=0
for i in $(seq "$runs"); do
	rm -rf "$home/spool" "$home/out"/*
	/usr/bin/time -f '%e %M' -o "$work/t" "$xfer" --home "$home" -q \
	    send --date 2026-11-24 bank || die "xfer send failed"
	read -r s m <"$work/t"
	xt+=("$s")
	[ "$m" -gt "$xr" ] && xr=$m
	/usr/bin/time -f '%e %M' -o "$work/t" python3 "$ref" "$src" \
	    "$work/ref.dat" || die "the Python reference failed"
	read -r s m <"$work/t"
	pt+=("$s")
	[ "$m" -gt "$pr" ] && pr=$m
done
xb=$(best "${xt[@]}")
pb=$(best "${pt[@]}")
out=$home/out/TRF088_20261124.dat
bytes=$(stat -c %s "$out")

printf 'xfer partner-format benchmark: %s transfers as 120-byte CP949 fixed-width records\n' "$rows"
printf 'with header and trailer (%s bytes); best wall time of %s run(s), peak RSS the highest;\n' "$bytes" "$runs"
printf '%s CPUs, %s\n\n' "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | awk '{ print $1, $2 }')"
printf '%-28s %9s %12s %10s %9s\n' tool seconds rows/s xfer/tool 'RSS MiB'
row() { # row NAME SECONDS RSS_KIB
	awk -v n="$1" -v s="$2" -v r="$3" -v rows="$rows" -v xb="$xb" 'BEGIN {
		rs = s > 0 ? rows / s : 0
		ratio = xb > 0 ? s / xb : 0
		printf "%-28s %9.2f %12.0f %10.2f %9.1f\n", n, s, rs, ratio, \
		    r / 1024 }'
}
row "xfer send (fixed, CP949)" "$xb" "$xr"
row "python3 reference" "$pb" "$pr"

status=0
printf '\ncorrectness:\n'
if cmp -s "$out" "$work/ref.dat"; then
	printf '  xfer file = reference file, byte for byte (%s bytes, trailer %s)\n' \
	    "$bytes" "$(tail -c 122 "$out" | head -c 23)"
else
	printf '  xfer file DIFFERS from the reference: %s\n' \
	    "$(cmp "$out" "$work/ref.dat" 2>&1 | head -1)"
	status=1
fi
printf '\ntargets:\n'
awk -v xb="$xb" -v pb="$pb" -v t="$target" 'BEGIN {
	r = xb > 0 ? pb / xb : 0
	printf "  %-52s %s (%.2fx)\n", "xfer >= " t "x the Python reference rows/s", \
	    r >= t ? "met" : "NOT met", r }'
exit "$status"
