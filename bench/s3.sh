#!/bin/bash
# make bench, S3 part: xfer's uploads to a local S3 server (moto, from
# tests/servers/s3.sh) against rclone copy, with its default settings and
# with --transfers 4: one big file (multipart), then a backfill of many
# small daily batches.  bench/run.sh calls it at its end.  See
# bench/README.md.
#
# Environment: BENCH_S3_BIG_MB (BENCH_BIG_MB, else 1024), BENCH_FILES
# (1000), BENCH_S3_RUNS (1: moto is slow, and every tool waits on it
# alike), XFER_BIN (bin/xfer).  Exit 0 when every xfer upload ran and
# arrived intact, else 1.  Targets not met are reported, not failed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/work/s3
big_mb=${BENCH_S3_BIG_MB:-${BENCH_BIG_MB:-1024}}
nfiles=${BENCH_FILES:-1000}
runs=${BENCH_S3_RUNS:-1}
xfer=${XFER_BIN:-$root/bin/xfer}
rss_limit_mib=32
big_date=2026-11-24
status=0

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}
for v in "BENCH_S3_BIG_MB=$big_mb" "BENCH_FILES=$nfiles" "BENCH_S3_RUNS=$runs"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
[ -x "$xfer" ] || die "'$xfer' not found, run make"
command -v rclone > /dev/null || die "rclone not found (apt-get install rclone)"
unset http_proxy https_proxy all_proxy no_proxy HTTP_PROXY HTTPS_PROXY \
    ALL_PROXY NO_PROXY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RCLONE_\|^AWS_' || true)
export LC_ALL=C TZ=UTC

rm -rf "$work"
mkdir -p "$work"
"$root/tests/servers/s3.sh" start "$work/moto" > "$work/moto.start" 2>&1 ||
    die "cannot start the S3 server: $(tail -n 1 "$work/moto.start")"
trap '"$root/tests/servers/s3.sh" stop "$work/moto" > /dev/null 2>&1' EXIT
. "$work/moto/env"
# rclone's remote "s3:", from the environment only (no config file).
export HOME=$work RCLONE_CONFIG=/dev/null RCLONE_CONFIG_S3_TYPE=s3 \
    RCLONE_CONFIG_S3_PROVIDER=Other RCLONE_CONFIG_S3_ENDPOINT=$S3_ENDPOINT \
    RCLONE_CONFIG_S3_ACCESS_KEY_ID=$S3_KEY_ID \
    RCLONE_CONFIG_S3_SECRET_ACCESS_KEY=$S3_SECRET \
    RCLONE_CONFIG_S3_REGION=us-east-1
B=$S3_BUCKET

declare -A secs kib note
# timed NAME CMD...: best wall time and highest peak RSS over the runs.
timed() {
	local name=$1 rc=0 t m
	shift
	/usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" \
	    > "$work/$name.out" 2> "$work/$name.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		note[$name]="failed (exit $rc), see $work/$name.err"
		return 1
	fi
	read -r t m < <(tail -n 1 "$work/$name.time")
	if [ -z "${secs[$name]:-}" ] ||
	    awk -v a="$t" -v b="${secs[$name]}" 'BEGIN { exit !(a < b) }'; then
		secs[$name]=$t
	fi
	if [ -z "${kib[$name]:-}" ] || [ "$m" -gt "${kib[$name]}" ]; then
		kib[$name]=$m
	fi
}
ratio() {
	awk -v x="$1" -v t="$2" 'BEGIN { if (x < 0.01) x = 0.01
		if (t < 0.01) t = 0.01; printf "%.2f", t / x }'
}
# row UNIT AMOUNT NAME LABEL XFERNAME
row() {
	if [ -z "${secs[$3]:-}" ]; then
		printf '%-34s %s\n' "$4" "${note[$3]:-not measured}"
		return
	fi
	printf '%-34s %8.2f %10.1f %10s %8.1f\n' "$4" "${secs[$3]}" \
	    "$(awk -v a="$2" -v s="${secs[$3]}" 'BEGIN { if (s < 0.01) s = 0.01; print a / s }')" \
	    "$( [ -n "${secs[$5]:-}" ] && ratio "${secs[$5]}" "${secs[$3]}" || echo -)" \
	    "$(awk -v k="${kib[$3]}" 'BEGIN { print k / 1024 }')"
}
targets=()
speed_target() { # LABEL XFERNAME TOOLNAME
	local r v='NOT met'
	if [ -z "${secs[$2]:-}" ] || [ -z "${secs[$3]:-}" ]; then
		targets+=("$(printf '  %-58s %s' "$1" 'not measured')")
		return
	fi
	r=$(ratio "${secs[$2]}" "${secs[$3]}")
	awk -v r="$r" 'BEGIN { exit !(r >= 1.0) }' && v=met
	targets+=("$(printf '  %-58s %s (%sx)' "$1" "$v" "$r")")
}
rss_target() { # LABEL NAME
	local v='NOT met'
	if [ -z "${kib[$2]:-}" ]; then
		targets+=("$(printf '  %-58s %s' "$1" 'not measured')")
		return
	fi
	[ "${kib[$2]}" -lt $((rss_limit_mib * 1024)) ] && v=met
	targets+=("$(printf '  %-58s %s (%.1f MiB)' "$1" "$v" \
	    "$(awk -v k="${kib[$2]}" 'BEGIN { print k / 1024 }')")")
}
purge() { rclone purge "s3:$B/$1" > /dev/null 2>&1 || true; }

printf 'xfer S3 benchmark: moto %s on 127.0.0.1 (tests/servers/s3.sh); rclone %s\n' \
    "$("$S3_PYTHON" -c 'import moto; print(moto.__version__)' 2>/dev/null)" \
    "$(rclone version 2>/dev/null | head -n 1 | sed 's/^rclone //')"
printf '%s CPUs; best wall time of %s run(s); MB = 10^6 bytes; moto is a Python\nserver: it, not the client, sets the pace, the same for every tool\n' \
    "$(nproc)" "$runs"

# ---- one big file --------------------------------------------------------
home=$work/home
mkdir -p "$home/jobs" "$home/data"
mkdir -m 700 "$home/spool"
lines=$((big_mb * 1048576 / 77))
big_cmd="openssl enc -aes-128-ctr -nosalt -K 00000000000000000000000000000000 -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null | head -c $((lines * 57)) | base64 -w 76"
cat > "$home/jobs/big.job" << EOF
[job]
direction = send
timezone = UTC
[source]
type = command
command = /bin/sh -c "$big_cmd"
timeout = 10m
[output]
name = big_{date}.csv
manifest = none
[upload]
url = s3://$B/big/xfer/
endpoint = $S3_ENDPOINT
credentials_file = $S3_CREDENTIALS
retries = 0
EOF
"$xfer" --home "$home" send --date "$big_date" big > "$work/produce.out" 2>&1 ||
    die "the first xfer send failed, see $work/produce.out"
big=$home/spool/big/sent/$big_date/big_$big_date.csv
[ -f "$big" ] || big=$(find "$home/spool/big" -name "big_$big_date.csv" | head -n 1)
[ -f "$big" ] || die "cannot find the produced batch under $home/spool/big"
bytes=$(stat -c %s "$big")
mkdir -p "$work/bigdir"
ln -f "$big" "$work/bigdir/big_$big_date.csv"
cat "$big" > /dev/null
printf '\n%s MiB upload ("xfer rerun --force" of a produced batch; multipart, 64M parts)\n' "$big_mb"
printf '%-34s %8s %10s %10s %8s\n' tool seconds MB/s xfer/tool 'RSS MiB'
for ((i = 1; i <= runs; i++)); do
	purge big/xfer
	timed big_xfer "$xfer" --home "$home" rerun --force --date "$big_date" big || status=1
	purge big/rclone
	timed big_rclone rclone copy "$work/bigdir" "s3:$B/big/rclone" || true
	purge big/rclone4
	timed big_rclone4 rclone copy --transfers 4 "$work/bigdir" "s3:$B/big/rclone4" || true
done
got=$(rclone cat "s3:$B/big/xfer/big_$big_date.csv" 2> /dev/null | cmp - "$big" > /dev/null && echo ok || echo bad)
[ "$got" = ok ] || { note[big_xfer]="uploaded, but the object differs"; unset "secs[big_xfer]"; status=1; }
purge big
MB=$(awk -v b="$bytes" 'BEGIN { print b / 1000000 }')
row MB/s "$MB" big_xfer "xfer rerun --force" big_xfer
row MB/s "$MB" big_rclone "rclone copy" big_xfer
row MB/s "$MB" big_rclone4 "rclone copy --transfers 4" big_xfer
speed_target "S3 ${big_mb} MiB: xfer >= 1.0x rclone copy MB/s" big_xfer big_rclone
speed_target "S3 ${big_mb} MiB: xfer >= 1.0x rclone --transfers 4 MB/s" big_xfer big_rclone4
rss_target "S3 ${big_mb} MiB: xfer peak RSS < $rss_limit_mib MiB" big_xfer
rm -rf "$home/spool/big" "$work/bigdir"

# ---- a backfill of many small daily batches ------------------------------
days=$work/days
mkdir -p "$days"
dates=$(awk -v n="$nfiles" 'BEGIN { t = mktime("2024 01 01 12 00 00")
	for (i = 0; i < n; i++) print strftime("%Y-%m-%d", t + i * 86400, 1) }')
first=$(head -n 1 <<< "$dates")
last=$(tail -n 1 <<< "$dates")
while read -r d; do
	{
		echo date,store_id,sku,qty,amount
		for r in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31; do
			echo "$d,$((r % 7 + 1)),SKU-$r,$((r % 5 + 1)),$r.$r"
		done
	} > "$days/in_$d.csv"
done <<< "$dates"
mkdir -p "$work/out"
printf '\nbackfill of %s daily ~1 KiB batches ("xfer send --from --to", durable\nproduction included) against copying the same number of files\n' "$nfiles"
printf '%-34s %8s %10s %10s %8s\n' tool seconds files/s xfer/tool 'RSS MiB'
for ((i = 1; i <= runs; i++)); do
	rm -rf "$home/spool" "$home/jobs/big.job"
	mkdir -m 700 "$home/spool"
	cat > "$home/jobs/days.job" << EOF
[job]
direction = send
timezone = UTC
[source]
type = csv
path = $days/in_{date}.csv
[output]
name = days_{date}.csv
manifest = none
[upload]
url = s3://$B/days/xfer/
endpoint = $S3_ENDPOINT
credentials_file = $S3_CREDENTIALS
retries = 0
EOF
	purge days
	timed small_xfer "$xfer" --home "$home" send --from "$first" --to "$last" days || status=1
	timed small_rclone rclone copy "$days" "s3:$B/days/rclone" || true
	timed small_rclone4 rclone copy --transfers 4 "$days" "s3:$B/days/rclone4" || true
done
n=$(rclone lsf "s3:$B/days/xfer" 2> /dev/null | wc -l)
[ "$n" = "$nfiles" ] || { note[small_xfer]="$n of $nfiles objects arrived"; unset "secs[small_xfer]"; status=1; }
purge days
row files/s "$nfiles" small_xfer "xfer send --from --to" small_xfer
row files/s "$nfiles" small_rclone "rclone copy" small_xfer
row files/s "$nfiles" small_rclone4 "rclone copy --transfers 4" small_xfer
speed_target "S3 backfill of $nfiles: xfer >= 1.0x rclone copy files/s" small_xfer small_rclone
speed_target "S3 backfill of $nfiles: xfer >= 1.0x rclone --transfers 4 files/s" small_xfer small_rclone4

printf '\ntargets (S3):\n'
printf '%s\n' "${targets[@]}"
exit "$status"
