#!/bin/bash
# make bench, transport part: xfer's uploads over SFTP and HTTPS against
# OpenSSH sftp, rclone, lftp and the curl CLI, side by side in one run on
# the loopback servers of tests/servers: one big file, then a backfill of
# many small daily batches.  bench/run.sh calls it at its end.  See
# bench/README.md.
#
# Environment: BENCH_BIG_MB (1024), BENCH_FILES (1000), BENCH_RUNS (3),
# BENCH_BIG_RUNS (BENCH_RUNS; runs of the big file), BENCH_PARTS ("big
# backfill": the parts to run, e.g. BENCH_PARTS=backfill), XFER_BIN (bin/xfer),
# BENCH_SERVER_DIR (where the servers keep what they receive: /dev/shm
# when it has room, else ${TMPDIR:-/tmp}).  Exit 0 when every xfer upload
# ran and arrived intact, else 1.  Targets not met are reported, not
# failed: this is a benchmark, not a test.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/work/transport
servers=$root/tests/servers
big_mb=${BENCH_BIG_MB:-1024}
nfiles=${BENCH_FILES:-1000}
runs=${BENCH_RUNS:-3}
big_runs=${BENCH_BIG_RUNS:-$runs}
parts=" ${BENCH_PARTS:-big backfill} "
xfer=${XFER_BIN:-$root/bin/xfer}
big_date=2026-11-24
big_name=big_$big_date.csv
first_day=2024-01-01
rss_limit_mib=32

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "BENCH_BIG_MB=$big_mb" "BENCH_FILES=$nfiles" "BENCH_RUNS=$runs" \
    "BENCH_BIG_RUNS=$big_runs"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
for p in $parts; do
	case $p in
	big | backfill) ;;
	*) die "BENCH_PARTS: unknown part '$p' (big, backfill)" ;;
	esac
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
[ -x "$xfer" ] || die "'$xfer' not found, run make"
for p in sshd.sh nginx.sh; do
	[ -x "$servers/$p" ] || die "'$servers/$p' not found"
done
# Job files hold these paths; a source path is a pattern.
case $work in
*[][*?{}\"\\]*) die "the checkout path '$root' holds a pattern or quote character" ;;
esac

show() {
	case $1 in
	"$root"/*) printf '%s' "${1#"$root"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# "1024" (MiB) -> "1 GiB", for labels.
human_mib() {
	awk -v n="$1" 'BEGIN {
		if (n % 1024 == 0) printf "%d GiB", n / 1024
		else printf "%d MiB", n
	}'
}

# The tools must see none of the user's settings (~/.curlrc, ~/.ssh/config,
# ~/.lftprc, rclone's config and RCLONE_* flags, proxies): HOME becomes a
# private directory below, and these go.
unset http_proxy https_proxy all_proxy no_proxy HTTP_PROXY HTTPS_PROXY \
    ALL_PROXY NO_PROXY
while read -r v; do
	unset "$v"
done < <(compgen -e | grep '^RCLONE_' || true)
export LC_ALL=C TZ=UTC

# The servers.  What they receive lands in RAM when /dev/shm has room for
# the big file, so that the timings do not include the server's disk
# writeback (the same for every tool, but noisy on a shared disk).
server_base() {
	local need_kib avail
	if [ -n "${BENCH_SERVER_DIR:-}" ]; then
		printf '%s' "$BENCH_SERVER_DIR"
		return
	fi
	need_kib=$(((big_mb + 512) * 1024))
	avail=$(df -Pk /dev/shm 2> /dev/null | awk 'NR == 2 { print $4 }')
	if [ -d /dev/shm ] && [ -w /dev/shm ] && [ -n "$avail" ] &&
	    [ "$avail" -ge "$need_kib" ]; then
		printf '/dev/shm'
	else
		printf '%s' "${TMPDIR:-/tmp}"
	fi
}

srv=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	if [ -n "$srv" ]; then
		"$servers/nginx.sh" stop "$srv/nginx" > /dev/null 2>&1 || true
		"$servers/sshd.sh" stop "$srv/sshd" > /dev/null 2>&1 || true
		"$servers/sshd.sh" stop "$srv/sshd-ctr" > /dev/null 2>&1 || true
		rm -rf "$srv"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkdir -p "$work"
# Two runs at once would share $work and fight over the CPUs.
exec 9> "$work/lock"
flock -n 9 || die "another bench/transport.sh is running (lock '$(show "$work/lock")')"
srv=$(mktemp -d "$(server_base)/xfer-bench.XXXXXX") ||
    die "cannot make a directory in '$(server_base)'"
# The SFTP user must reach its directory below this one.
chmod 755 "$srv"
mkdir -m 700 "$srv/home"
export HOME=$srv/home

for s in sshd nginx; do
	if ! "$servers/$s.sh" start "$srv/$s" > "$work/$s.start" 2>&1; then
		sed -e 's/^/  /' "$work/$s.start" >&2
		die "cannot start $s (tests/deps.sh installs what the servers need)"
	fi
done
# A second sshd offers only what libssh2 1.10 (xfer's SFTP, through
# libcurl) can negotiate at best: aes128-ctr with hmac-sha2-256.  The
# peers' big-file runs against it show how much of their lead is their
# cipher (OpenSSH chacha20-poly1305, rclone aes128-gcm).
if ! SSHD_CONFIG_EXTRA=$'Ciphers aes128-ctr\nMACs hmac-sha2-256' \
    "$servers/sshd.sh" start "$srv/sshd-ctr" > "$work/sshd-ctr.start" 2>&1; then
	sed -e 's/^/  /' "$work/sshd-ctr.start" >&2
	die "cannot start the second sshd"
fi
# shellcheck source=/dev/null
ctr_port=$(. "$srv/sshd-ctr/env" && printf '%s' "$SSHD_PORT")
# shellcheck source=/dev/null
ctr_known_hosts=$(. "$srv/sshd-ctr/env" && printf '%s' "$SSHD_KNOWN_HOSTS")
# shellcheck source=/dev/null
ctr_key=$(. "$srv/sshd-ctr/env" && printf '%s' "$SSHD_CLIENT_KEY")
chmod 600 "$ctr_key"
# shellcheck source=/dev/null
. "$srv/sshd/env"
# shellcheck source=/dev/null
. "$srv/nginx/env"
chmod 600 "$SSHD_CLIENT_KEY"

# A remote directory, emptied, as the file system of the server sees it.
sftp_dir() {
	printf '%s/%s/%s' "$SSHD_HOME" "$1" "$2"
}
dav_dir() {
	printf '%s/dav/%s/%s' "$NGINX_ROOT" "$1" "$2"
}

# Every timed run starts from an empty directory that exists, so that no
# tool pays for creating it.  $dir is the current tool's.
dir=
# shellcheck disable=SC2317  # called through measure's PREP argument
prep_dir() {
	rm -rf "$dir"
	mkdir -p "$dir"
	case $dir in
	"$SSHD_HOME"/*) chown "$SSHD_USER" "$dir" ;;
	esac
}

# Peers configured for the run: rclone's remotes, OpenSSH's options, an
# ssh wrapper for lftp (which splits its connect-program on spaces).
export RCLONE_CONFIG=$srv/rclone.conf
cat > "$RCLONE_CONFIG" << EOF
[s]
type = sftp
host = 127.0.0.1
port = $SSHD_PORT
user = $SSHD_USER
key_file = $SSHD_CLIENT_KEY
known_hosts_file = $SSHD_KNOWN_HOSTS
shell_type = none
disable_hashcheck = true

[c]
type = sftp
host = 127.0.0.1
port = $ctr_port
user = $SSHD_USER
key_file = $ctr_key
known_hosts_file = $ctr_known_hosts
shell_type = none
disable_hashcheck = true

[d]
type = webdav
url = $NGINX_URL/dav/
vendor = other
EOF
ssh_opts=(-F /dev/null -i "$SSHD_CLIENT_KEY"
	-o "UserKnownHostsFile=$SSHD_KNOWN_HOSTS"
	-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes
	-o BatchMode=yes)
# OpenSSH keeps the first value of an option: a list of its own.
ssh_opts_ctr=(-F /dev/null -i "$ctr_key"
	-o "UserKnownHostsFile=$ctr_known_hosts"
	-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes
	-o BatchMode=yes)
{
	printf '#!/bin/sh\nexec ssh'
	printf " '%s'" "${ssh_opts[@]}"
	printf ' "$@"\n'
} > "$srv/lftp-ssh"
chmod 755 "$srv/lftp-ssh"
curl_sftp=(curl -q -sS --key "$SSHD_CLIENT_KEY" --hostpubsha256 "$SSHD_PIN"
	-u "$SSHD_USER:")
curl_https=(curl -q -sS -f --cacert "$NGINX_CA")

declare -A secs=() kib=() note=() t_dir=() t_prep=() t_check=()
tools=()

# tool NAME DIR PREP CHECK CMD...: a row of the current part.  Before each
# run PREP empties DIR (the tool's remote directory as the server's file
# system sees it); after it CHECK confirms what arrived there and clears it
# away, or prints why not.
tool() {
	local name=$1
	t_dir[$name]=$2
	t_prep[$name]=$3
	t_check[$name]=$4
	shift 4
	declare -g -a "cmd_$name"
	local -n new_cmd="cmd_$name"
	# shellcheck disable=SC2034  # new_cmd is cmd_NAME, read by run_once
	new_cmd=("$@")
	tools+=("$name")
}

# run_once NAME: one timed run, stdout and stderr to $work/NAME.out and
# .err.  Keeps the best wall time and the highest peak RSS; on failure
# leaves a note instead and returns 1.
run_once() {
	local name=$1 rc t m
	local -n cmd="cmd_$name"
	dir=${t_dir[$name]}
	"${t_prep[$name]}"
	rc=0
	/usr/bin/time -f '%e %M' -o "$work/$name.time" "${cmd[@]}" \
	    > "$work/$name.out" 2> "$work/$name.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		note[$name]="failed (exit $rc), see $(show "$work/$name.err")"
	elif ! "${t_check[$name]}" > "$work/$name.check" 2>&1; then
		note[$name]="exited 0, but $(head -n 1 "$work/$name.check")"
	fi
	if [ -n "${note[$name]:-}" ]; then
		unset "secs[$name]" "kib[$name]"
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

# rounds N: N rounds over the tools of the part, one run of each in turn,
# so that whatever else the machine does weighs on all of them alike.  A
# tool that failed or is not installed sits the rest out.
rounds() {
	local i name
	for ((i = 1; i <= $1; i++)); do
		for name in "${tools[@]}"; do
			if [ -z "${note[$name]:-}" ]; then
				run_once "$name" || true
			fi
		done
	done
	tools=()
}

# need NAME PROGRAM PACKAGE: note that NAME is skipped when PROGRAM is
# missing.
need() {
	if ! command -v "$2" > /dev/null; then
		note[$1]="skipped (not installed: apt-get install $3)"
	fi
}

# ratio X T: how many times faster xfer (X seconds) was than a tool (T
# seconds) doing the same work.  %e has a resolution of 0.01 s.
ratio() {
	awk -v x="$1" -v t="$2" 'BEGIN {
		if (x < 0.01) x = 0.01; if (t < 0.01) t = 0.01
		printf "%.2f", t / x }'
}

# table UNIT AMOUNT ROW...: ROW is "NAME|proto|label|XFERNAME"; the rate is
# AMOUNT / seconds (MB/s with AMOUNT in MB, files/s with a file count).
table() {
	local unit=$1 amount=$2 row name proto label x r
	shift 2
	printf '%-6s %-26s %8s %10s %10s %8s\n' proto tool seconds "$unit" \
	    xfer/tool 'RSS MiB'
	for row in "$@"; do
		IFS='|' read -r name proto label x <<< "$row"
		if [ -z "${secs[$name]:-}" ]; then
			printf '%-6s %-26s %s\n' "$proto" "$label" \
			    "${note[$name]:-not measured}"
			continue
		fi
		r=-
		if [ -n "${secs[$x]:-}" ]; then
			r=$(ratio "${secs[$x]}" "${secs[$name]}")
		fi
		printf '%-6s %-26s %8.2f %10s %10s %8.1f\n' "$proto" "$label" \
		    "${secs[$name]}" \
		    "$(awk -v a="$amount" -v s="${secs[$name]}" 'BEGIN {
			if (s < 0.01) { s = 0.01; printf ">" }
			printf "%.1f", a / s }')" \
		    "$r" "$(awk -v k="${kib[$name]}" 'BEGIN { print k / 1024 }')"
	done
	for row in "$@"; do
		IFS='|' read -r name proto label x <<< "$row"
		case ${note[$name]:-} in
		failed* | exited*)
			printf '\n%s %s stderr (last lines):\n' "$proto" "$label"
			tail -n 5 "$work/$name.err" | sed -e 's/^/  /'
			;;
		esac
	done
}

targets=()
# target LABEL OK VALUE: one line of the targets list, kept for the end.
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
	targets+=("$(printf '  %-58s %s' "$1" "$verdict")")
}

# speed_target LABEL XFERNAME TOOLNAME MIN: xfer's rate >= MIN x the tool's?
speed_target() {
	local r
	if [ -z "${secs[$2]:-}" ]; then
		target "$1" 'xfer not measured' ''
	elif [ -z "${secs[$3]:-}" ]; then
		target "$1" "${3##*_} not measured" ''
	else
		r=$(ratio "${secs[$2]}" "${secs[$3]}")
		target "$1" "$(awk -v r="$r" -v m="$4" 'BEGIN { print (r >= m) ? 1 : 0 }')" "${r}x"
	fi
}

# rss_target LABEL NAME
rss_target() {
	if [ -z "${kib[$2]:-}" ]; then
		target "$1" 'xfer not measured' ''
	else
		target "$1" "$(awk -v k="${kib[$2]}" -v l="$rss_limit_mib" 'BEGIN { print (k < l * 1024) ? 1 : 0 }')" \
		    "$(awk -v k="${kib[$2]}" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
	fi
}

big_label=$(human_mib "$big_mb")
printf 'xfer transport benchmark: sshd and nginx on 127.0.0.1 (tests/servers), receiving into %s\n' \
    "$(dirname "$srv")"
printf '%s CPUs, %s; best wall time of N rounds (one run of each tool a round),\npeak RSS the highest of them\n' \
    "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

# The [upload] lines of a job for either server (both parts).
sftp_upload() {
	printf 'url = %s%s/\nuser = %s\nidentity = %s\nknown_hosts = %s\n' \
	    "$SSHD_URL" "$1" "$SSHD_USER" "$SSHD_CLIENT_KEY" "$SSHD_KNOWN_HOSTS"
}
https_upload() {
	printf 'url = %s/dav/%s/\nca_file = %s\n' "$NGINX_URL" "$1" "$NGINX_CA"
}

# ---- Part 1: one big file ---------------------------------------------
if [[ $parts == *" big "* ]]; then
#
# xfer produces the batch once (untimed) from a command that writes
# deterministic incompressible-looking CSV (AES-CTR keystream in base64,
# one 76-character field a line); the timed runs are
# "xfer rerun --force --date D big", which sends the spooled file again
# without rebuilding it: remote size check, upload to a temporary name,
# rename.  Every peer sends that same spooled file.
home_big=$work/home-big
rm -rf "$home_big"
mkdir -p "$home_big/jobs"
mkdir -m 700 "$home_big/spool"
big_lines=$((big_mb * 1048576 / 77))
big_cmd="openssl enc -aes-128-ctr -nosalt -K 00000000000000000000000000000000 -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null | head -c $((big_lines * 57)) | base64 -w 76"

# write_big_job UPLOAD-LINES: the job "big", delivering as told.
write_big_job() {
	cat > "$home_big/jobs/big.job" << EOF
# Written by bench/transport.sh.
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
retries = 0
$1
EOF
}


big=$home_big/spool/big/sent/$big_date/$big_name

# shellcheck disable=SC2317  # a tool's CHECK
check_big() {
	local got
	if [ ! -f "$dir/$big_name" ]; then
		printf 'no %s at the destination\n' "$big_name"
		return 1
	fi
	got=$(cd "$dir" && ls -A)
	if [ "$got" != "$big_name" ]; then
		printf 'the destination holds more than %s: %s\n' "$big_name" \
		    "$(printf '%s' "$got" | tr '\n' ' ')"
		return 1
	fi
	cmp "$big" "$dir/$big_name" || return 1
	rm -f "$dir/$big_name"
}

# The same spooled batch goes to either destination: the job says which.
# shellcheck disable=SC2317  # a tool's PREP
prep_big_sftp() {
	write_big_job "$(sftp_upload "$dir")"
	prep_dir
}
# shellcheck disable=SC2317  # a tool's PREP
prep_big_https() {
	write_big_job "$(https_upload big/xfer)"
	prep_dir
}

printf '\n%s upload: "xfer rerun --force" of a produced batch (upload only)\n' \
    "$big_label"
dir=$(sftp_dir big xfer)
prep_big_sftp
rc=0
/usr/bin/time -f '%e' -o "$work/produce.time" \
    "$xfer" --home "$home_big" send --date "$big_date" big \
    > "$work/produce.out" 2> "$work/produce.err" || rc=$?
if [ "$rc" -eq 0 ] && [ -f "$big" ]; then
	printf 'produced with "xfer send" (untimed, %s s, sent over SFTP once): %s\n' \
	    "$(tail -n 1 "$work/produce.time")" "$(show "$big")"
else
	note[big_sftp_xfer]="the first \"xfer send\" failed (exit $rc), see $(show "$work/produce.err")"
	note[big_https_xfer]=${note[big_sftp_xfer]}
	# The peers still get the same bytes.
	big=$work/$big_name
	sh -c "$big_cmd" > "$big"
	printf 'xfer could not produce the batch: the peers send %s, made by the same command\n' \
	    "$(show "$big")"
fi
big_bytes=$(stat -c %s "$big")
printf '%s bytes, read from the page cache; MB = 10^6 bytes; best of %s round(s)\n\n' \
    "$big_bytes" "$big_runs"
# Let the disk settle: writeback of the spooled file must not overlap.
sync
cat "$big" > /dev/null

printf 'put "%s" "%s/%s"\n' "$big" "$(sftp_dir big sftp)" "$big_name" \
    > "$srv/sftp.batch"
need big_sftp_sftp sftp openssh-client
need big_sftp_rclone rclone rclone
need big_sftp_curl curl curl
need big_ctr_sftp sftp openssh-client
need big_ctr_rclone rclone rclone
printf 'put "%s" "%s/%s"\n' "$big" "$(sftp_dir big sftpctr)" "$big_name" \
    > "$srv/sftp-ctr.batch"
need big_https_curl curl curl
tool big_sftp_xfer "$(sftp_dir big xfer)" prep_big_sftp check_big \
    "$xfer" --home "$home_big" rerun --force --date "$big_date" big
tool big_sftp_sftp "$(sftp_dir big sftp)" prep_dir check_big \
    sftp -q "${ssh_opts[@]}" -b "$srv/sftp.batch" -P "$SSHD_PORT" \
    "$SSHD_USER@127.0.0.1"
tool big_sftp_rclone "$(sftp_dir big rclone)" prep_dir check_big \
    rclone copy "$big" "s:$(sftp_dir big rclone)"
tool big_ctr_sftp "$(sftp_dir big sftpctr)" prep_dir check_big \
    sftp -q "${ssh_opts_ctr[@]}" -b "$srv/sftp-ctr.batch" -P "$ctr_port" "$SSHD_USER@127.0.0.1"
tool big_ctr_rclone "$(sftp_dir big rclonectr)" prep_dir check_big \
    rclone copy "$big" "c:$(sftp_dir big rclonectr)"
tool big_sftp_curl "$(sftp_dir big curl)" prep_dir check_big \
    "${curl_sftp[@]}" -T "$big" "$SSHD_URL$(sftp_dir big curl)/$big_name"
tool big_https_xfer "$(dav_dir big xfer)" prep_big_https check_big \
    "$xfer" --home "$home_big" rerun --force --date "$big_date" big
tool big_https_curl "$(dav_dir big curl)" prep_dir check_big \
    "${curl_https[@]}" -T "$big" "$NGINX_URL/dav/big/curl/$big_name"
rounds "$big_runs"

table MB/s "$(awk -v b="$big_bytes" 'BEGIN { printf "%.6f", b / 1000000 }')" \
    "big_sftp_xfer|sftp|xfer rerun --force|big_sftp_xfer" \
    "big_sftp_sftp|sftp|OpenSSH sftp -b (put)|big_sftp_xfer" \
    "big_sftp_rclone|sftp|rclone copy|big_sftp_xfer" \
    "big_sftp_curl|sftp|curl -T|big_sftp_xfer" \
    "big_ctr_sftp|sftp|sftp, aes128-ctr+sha2-256|big_sftp_xfer" \
    "big_ctr_rclone|sftp|rclone, aes128-ctr+sha2-256|big_sftp_xfer" \
    "big_https_xfer|https|xfer rerun --force|big_https_xfer" \
    "big_https_curl|https|curl -T (PUT)|big_https_xfer"

speed_target "SFTP $big_label: xfer >= 1.0x OpenSSH sftp MB/s" big_sftp_xfer big_sftp_sftp 1.0
speed_target "SFTP $big_label: xfer >= 1.0x rclone MB/s" big_sftp_xfer big_sftp_rclone 1.0
speed_target "HTTPS $big_label: xfer >= 0.95x curl -T MB/s" big_https_xfer big_https_curl 0.95
rss_target "SFTP $big_label: xfer peak RSS < $rss_limit_mib MiB" big_sftp_xfer
rss_target "HTTPS $big_label: xfer peak RSS < $rss_limit_mib MiB" big_https_xfer

# The spooled file is not needed any more: give the disk back.
rm -rf "$home_big" "${work:?}/$big_name"
fi	# part 1

# ---- Part 2: a backfill of many small daily batches -------------------
#
# One input file of about 1 KiB per date; "xfer send --from D1 --to DN"
# reads it, writes the batch durably to the spool (in groups: one syncfs,
# one fsync of out/ and sent/, one ledger commit a group) and uploads it
# (no manifest) over [upload] connections (default 4), building the next
# group while the last one uploads.
# Every run starts from an empty spool and ledger and an empty remote
# directory.  The peers copy the same N files from one local directory.
if [[ $parts == *" backfill "* ]]; then
days=$work/days_$nfiles
# dates FIRST N: N consecutive dates from FIRST, one a line.
dates() {
	awk -v first="$1" -v n="$2" 'BEGIN {
		split(first, p, "-"); y = p[1] + 0; m = p[2] + 0; d = p[3] + 0
		split("31 28 31 30 31 30 31 31 30 31 30 31", ml, " ")
		for (i = 0; i < n; i++) {
			printf "%04d-%02d-%02d\n", y, m, d
			last = ml[m] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
			if (++d > last) { d = 1; if (++m > 12) { m = 1; y++ } }
		}
	}'
}
last_day=$(dates "$first_day" "$nfiles" | tail -n 1)

# The inputs: 31 sales rows a date, 1,000-odd bytes, kept and reused.
if [ ! -f "$days/done" ]; then
	rm -rf "$days"
	mkdir -p "$days"
	dates "$first_day" "$nfiles" | awk -v dir="$days" '{
		f = dir "/in_" $1 ".csv"
		print "date,store_id,sku,qty,amount" > f
		for (r = 0; r < 31; r++)
			printf "%s,%d,SKU-%05d,%d,%d.%02d\n", $1, r % 7 + 1,
			    (NR * 31 + r * 17) % 100000, r % 5 + 1,
			    (NR * r) % 997, (NR + r) % 100 > f
		close(f)
	}'
	: > "$days/done"
fi

home_days=$work/home-days
rm -rf "$home_days"
mkdir -p "$home_days/jobs"
mkdir -m 700 "$home_days/spool"
# write_days_job NAME UPLOAD-LINES
write_days_job() {
	cat > "$home_days/jobs/$1.job" << EOF
# Written by bench/transport.sh.
[job]
direction = send
timezone = UTC

[source]
type = csv
path = $days/in_{date}.csv

[output]
name = day_{date}.csv
manifest = none

[upload]
retries = 0
$2
EOF
}
write_days_job days_sftp "$(sftp_upload "$(sftp_dir days xfer)")"
write_days_job days_https "$(https_upload days/xfer)"

# shellcheck disable=SC2317  # a tool's PREP
# The last run's spool is moved aside, and removed only after the rounds:
# on ext4 without a journal (as here) the inodes of a tree removed just
# before are skipped one by one by every inode allocation of the next 60 s
# in the same block group (ext4's recently_deleted()), which would bill
# xfer, the one tool that creates files on that disk, for the harness's
# clean-up.
spool_trash=$work/spool-trash
rm -rf "$spool_trash"
mkdir -p "$spool_trash"
prep_days_xfer() {
	if [ -d "$home_days/spool" ]; then
		mv "$home_days/spool" "$(mktemp -d "$spool_trash/s.XXXXXX")/"
	fi
	mkdir -m 700 "$home_days/spool"
	prep_dir
	# xfer's first fsync would otherwise commit these renames for us.
	sync
}

# What the peers send: xfer's own batches, from its spool after an untimed
# first run (which also warms up the caches), else the inputs under the
# same names.  Every timed run, xfer's too, must deliver exactly these.
flat=$work/flat_$nfiles
rm -rf "$flat" "$flat.tmp"
mkdir -p "$flat.tmp"
dir=$(sftp_dir days xfer)
prep_days_xfer
rc=0
"$xfer" --home "$home_days" send --from "$first_day" --to "$last_day" \
    days_sftp > "$work/days-first.out" 2> "$work/days-first.err" || rc=$?
if [ "$rc" -eq 0 ]; then
	find "$home_days/spool/days_sftp/sent" -name 'day_*.csv' \
	    -exec cp -t "$flat.tmp" {} +
fi
if [ "$(find "$flat.tmp" -type f | wc -l)" -eq "$nfiles" ]; then
	flat_from="xfer's spool after an untimed first run"
else
	rm -rf "$flat.tmp"
	mkdir -p "$flat.tmp"
	for f in "$days"/in_*.csv; do
		cp "$f" "$flat.tmp/day_${f##*/in_}"
	done
	flat_from="the inputs (the first xfer run failed, exit $rc: $(show "$work/days-first.err"))"
fi
mv "$flat.tmp" "$flat"

# shellcheck disable=SC2317  # a tool's CHECK
check_days() {
	local n
	n=$(find "$dir" -mindepth 1 | wc -l)
	if [ "$n" -ne "$nfiles" ]; then
		printf '%s entries at the destination, want %s files\n' "$n" "$nfiles"
		return 1
	fi
	diff -r "$flat" "$dir" | head -n 5
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	rm -rf "$dir"
}

printf '\nbackfill of %s daily batches of ~1 KiB (%s .. %s): "xfer send --from --to",\n' \
    "$nfiles" "$first_day" "$last_day"
printf 'production and durable spooling included; each xfer run from an empty spool\n'
printf 'and ledger, each run from an empty remote directory; best of %s round(s)\n' "$runs"
printf '%s files, %s bytes in all, from %s\n\n' "$nfiles" \
    "$(cat "$flat"/* | wc -c)" "$flat_from"

# curl -K: one process, one connection, the files one after another.
curl_config() {
	local f
	for f in "$flat"/*; do
		printf 'upload-file = "%s"\nurl = "%s%s"\n' "$f" "$1" "${f##*/}"
	done
}
curl_config "$SSHD_URL$(sftp_dir days curl)/" > "$srv/curl-sftp.conf"
curl_config "$NGINX_URL/dav/days/curl/" > "$srv/curl-https.conf"

need days_sftp_rclone rclone rclone
need days_sftp_lftp lftp lftp
need days_sftp_curl curl curl
need days_https_rclone rclone rclone
need days_https_curl curl curl
tool days_sftp_xfer "$(sftp_dir days xfer)" prep_days_xfer check_days \
    "$xfer" --home "$home_days" send --from "$first_day" --to "$last_day" \
    days_sftp
tool days_sftp_rclone "$(sftp_dir days rclone)" prep_dir check_days \
    rclone copy --transfers 4 "$flat" "s:$(sftp_dir days rclone)"
tool days_sftp_lftp "$(sftp_dir days lftp)" prep_dir check_days \
    lftp --norc -c "set cmd:fail-exit yes; set net:max-retries 1; set sftp:connect-program $srv/lftp-ssh; open -u $SSHD_USER, -p $SSHD_PORT sftp://127.0.0.1; mirror -R -P 4 \"$flat\" \"$(sftp_dir days lftp)\""
tool days_sftp_curl "$(sftp_dir days curl)" prep_dir check_days \
    "${curl_sftp[@]}" -K "$srv/curl-sftp.conf"
tool days_https_xfer "$(dav_dir days xfer)" prep_days_xfer check_days \
    "$xfer" --home "$home_days" send --from "$first_day" --to "$last_day" \
    days_https
tool days_https_rclone "$(dav_dir days rclone)" prep_dir check_days \
    rclone copy --transfers 4 --ca-cert "$NGINX_CA" "$flat" "d:days/rclone"
tool days_https_curl "$(dav_dir days curl)" prep_dir check_days \
    "${curl_https[@]}" -K "$srv/curl-https.conf"
rounds "$runs"

table files/s "$nfiles" \
    "days_sftp_xfer|sftp|xfer send --from --to|days_sftp_xfer" \
    "days_sftp_rclone|sftp|rclone copy --transfers 4|days_sftp_xfer" \
    "days_sftp_lftp|sftp|lftp mirror -R -P 4|days_sftp_xfer" \
    "days_sftp_curl|sftp|curl -K (1 connection)|days_sftp_xfer" \
    "days_https_xfer|https|xfer send --from --to|days_https_xfer" \
    "days_https_rclone|https|rclone copy --transfers 4|days_https_xfer" \
    "days_https_curl|https|curl -K (1 connection)|days_https_xfer"

speed_target "SFTP backfill: xfer >= 1.0x lftp mirror -R -P 4 files/s" \
    days_sftp_xfer days_sftp_lftp 1.0
speed_target "SFTP backfill: xfer >= 1.0x rclone --transfers 4 files/s" \
    days_sftp_xfer days_sftp_rclone 1.0
speed_target "HTTPS backfill: xfer >= 0.5x curl -K (1 connection) files/s" \
    days_https_xfer days_https_curl 0.5
speed_target "HTTPS backfill: xfer >= 20x rclone WebDAV files/s" \
    days_https_xfer days_https_rclone 20
rm -rf "$spool_trash"
fi	# part 2

printf '\ntargets:\n'
printf '%s\n' "${targets[@]}"

status=0
measured=
[[ $parts == *" big "* ]] && measured="big_sftp_xfer big_https_xfer"
[[ $parts == *" backfill "* ]] && measured="$measured days_sftp_xfer days_https_xfer"
for n in $measured; do
	if [ -z "${secs[$n]:-}" ]; then
		printf '\nbench: xfer was not measured (%s): %s\n' "$n" \
		    "${note[$n]:-unknown}" >&2
		status=1
	fi
done
exit "$status"
