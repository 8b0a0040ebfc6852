#!/bin/bash
# make bench, database part: xfer's PostgreSQL and MariaDB ingest and
# sources against psql \copy, LOAD DATA LOCAL INFILE and mariadb --batch,
# side by side in one run, on the same generated sales file, the same
# table definitions and the same throwaway servers (tests/servers).
# bench/run.sh calls it at its end; `make bench-db` runs it alone.  See
# bench/README.md.
#
# Environment: XFER_BENCH_DB_ROWS (10000000), XFER_BENCH_DB_RUNS (1),
# XFER_BIN (bin/xfer), CC (cc).  Exit 0 when every xfer row either ran
# and gave the right rows and sums or is not built yet ("n/a"), and every
# peer ran; else 1.  Targets not met are reported, not failed: this is a
# benchmark, not a test.

# Many functions here run only through a tool's PREP or CHECK argument.
# shellcheck disable=SC2317
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/work/db
servers=$root/tests/servers
rows=${XFER_BENCH_DB_ROWS:-10000000}
runs=${XFER_BENCH_DB_RUNS:-1}
xfer=${XFER_BIN:-$root/bin/xfer}
cc=${CC:-cc}
date=2026-11-24
inname=sales_20261124.csv
outname=sales_20261124.csv
rss_limit_mib=32

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "XFER_BENCH_DB_ROWS=$rows" "XFER_BENCH_DB_RUNS=$runs"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
[ -x "$xfer" ] || die "'$xfer' not found, run make"
command -v "$cc" > /dev/null || die "no C compiler '$cc' (apt-get install gcc)"
command -v mariadb > /dev/null ||
    die "mariadb not found (tests/deps.sh installs the servers and clients)"
for p in postgres.sh mariadb.sh; do
	[ -x "$servers/$p" ] || die "'$servers/$p' not found"
done
# Job files and SQL string literals hold these paths.
case $work in
*[][*?{}\"\'\\]* | *[[:space:]]*) die "the checkout path '$root' holds a pattern, quote or space character" ;;
esac

show() {
	case $1 in
	"$root"/*) printf '%s' "${1#"$root"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# The clients must see none of the caller's settings: no PG*/MYSQL*
# variables, no ~/.pgpass, ~/.psqlrc, ~/.my.cnf, pg_service.conf.
while read -r v; do
	unset "$v"
done < <(compgen -e | grep -e '^PG' -e '^MYSQL' -e '^MARIADB' || true)
export LC_ALL=C TZ=UTC

srv=
home=
cleanup() {
	# The last run's copies of the file (inbox, spool backup) go; the
	# generated file stays for the next run.
	if [ -n "$home" ]; then
		rm -rf "$home/spool" "$work/inbox-pg" "$work/inbox-my"
	fi
	if [ -n "$srv" ]; then
		"$servers/postgres.sh" stop "$srv/pg" > /dev/null 2>&1 || true
		"$servers/mariadb.sh" stop "$srv/my" > /dev/null 2>&1 || true
		rm -rf "$srv"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

start_time=$(date +%s)
mkdir -p "$work"
# Two runs at once would share $work and fight over the CPUs.
exec 9> "$work/lock"
flock -n 9 || die "another bench/db.sh is running (lock '$(show "$work/lock")')"

# The data: named by row count, kept and reused, written under a temporary
# name so that an interrupted run never leaves a short file behind.  The
# manifest is what a partner would send with it.
"$cc" -O2 "$root/bench/gen.c" -o "$work/gen"
data=$work/dbsales_$rows.csv
if [ ! -s "$data" ] || [ ! -s "$data.sha256" ]; then
	printf 'generating %s (%s rows)\n' "$(show "$data")" "$rows"
	"$work/gen" --db "$rows" > "$data.tmp"
	printf '%s  %s\n' "$(sha256sum < "$data.tmp" | cut -d ' ' -f 1)" \
	    "$inname" > "$data.sha256"
	mv "$data.tmp" "$data"
fi

srv=$(mktemp -d "${TMPDIR:-/tmp}/xfer-benchdb.XXXXXX") ||
    die "cannot make a directory in '${TMPDIR:-/tmp}'"
mkdir -m 700 "$srv/home"
export HOME=$srv/home
for s in postgres mariadb; do
	d=pg
	[ "$s" = mariadb ] && d=my
	if ! "$servers/$s.sh" start "$srv/$d" > "$work/$s.start" 2>&1; then
		sed -e 's/^/  /' "$work/$s.start" >&2
		die "cannot start $s (tests/deps.sh installs what the servers need)"
	fi
done
# shellcheck source=/dev/null
. "$srv/pg/env"
# shellcheck source=/dev/null
. "$srv/my/env"

# The clients log in as xfer does: the same user, password and TCP
# address (TLS as each client does by default), the password from a file.
(
	umask 077
	printf '127.0.0.1:%s:%s:%s:%s\n' "$PG_PORT" "$PG_DB" "$PG_USER" \
	    "$(cat "$PG_PASSWORD_FILE")" > "$srv/pgpass"
	printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\ndatabase=%s\n' \
	    "$MY_USER" "$(cat "$MY_PASSWORD_FILE")" "$MY_HOST" "$MY_PORT" \
	    "$MY_DB" > "$srv/my.cnf"
)
export PGPASSFILE=$srv/pgpass
psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_URL")
mysql=(mariadb "--defaults-file=$srv/my.cnf")

# Both servers' sessions run in UTC, for every client alike, so that the
# file's zoneless sold_at means the same instant everywhere.  Nothing else
# is changed: the servers run as tests/servers starts them.
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
    -U "$PG_SUPERUSER" -d "$PG_DB" \
    -c "ALTER DATABASE $PG_DB SET timezone TO 'UTC'" > /dev/null
mariadb --no-defaults -S "$MY_SOCKET" -u root \
    -e "SET GLOBAL time_zone = '+00:00'"

# The same table definition for every tool, per database.
"${psql[@]}" > /dev/null << 'EOF'
CREATE TABLE sales (
	store_id integer NOT NULL,
	sku text NOT NULL,
	qty integer NOT NULL,
	amount numeric(12,2) NOT NULL,
	sold_at timestamptz NOT NULL,
	note text
);
CREATE TABLE sales_text (
	store_id text, sku text, qty text, amount text, sold_at text, note text
);
EOF
"${mysql[@]}" << 'EOF'
CREATE TABLE sales (
	store_id integer NOT NULL,
	sku varchar(16) NOT NULL,
	qty integer NOT NULL,
	amount decimal(12,2) NOT NULL,
	sold_at timestamp NOT NULL,
	note varchar(64)
) ENGINE=InnoDB;
EOF

pg_tls=$("${psql[@]}" -At -c \
    "SELECT CASE WHEN ssl THEN version ELSE 'no' END FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
my_tls=$("${mysql[@]}" -N -e "SHOW SESSION STATUS LIKE 'Ssl_version'" | cut -f 2)

# pgq SQL / myq SQL: one value or rows, unadorned.
pgq() {
	"${psql[@]}" -At -c "$1"
}
myq() {
	"${mysql[@]}" -N -B -e "$1"
}

# ---- The xfer home: a receive and a send job per database --------------
home=$work/home
rm -rf "$home"
mkdir -p "$home/jobs" "$work/inbox-pg" "$work/inbox-my"
mkdir -m 700 "$home/spool"
pg_query="SELECT store_id, sku, qty, amount, sold_at, note FROM sales WHERE sold_at >= :start AND sold_at < :end"
my_query=$pg_query

# receive_job NAME TYPE URL PASSWORD-FILE INBOX
receive_job() {
	cat > "$home/jobs/$1.job" << EOF
# Written by bench/db.sh.
[job]
direction = receive
timezone = UTC

[inbox]
path = $5
pattern = sales_{date:%Y%m%d}.csv
settle = 0s
require_manifest = yes

[ingest]
type = $2
url = $3
password_file = $4
table = sales
mode = append
EOF
}

# send_job NAME TYPE URL PASSWORD-FILE QUERY OUTBOX
send_job() {
	cat > "$home/jobs/$1.job" << EOF
# Written by bench/db.sh.
[job]
direction = send
timezone = UTC

[source]
type = $2
url = $3
password_file = $4
query = $5

[aggregate]
group_by = store_id
count = orders
sum = amount

[output]
format = csv
name = sales_{date:%Y%m%d}.csv
manifest = sha256

[upload]
url = $6
EOF
}

receive_job pg_in postgresql "$PG_URL" "$PG_PASSWORD_FILE" "$work/inbox-pg"
receive_job my_in mysql "$MY_URL" "$MY_PASSWORD_FILE" "$work/inbox-my"
send_job pg_out postgresql "$PG_URL" "$PG_PASSWORD_FILE" "$pg_query" \
    "$work/outbox-pg"
send_job my_out mysql "$MY_URL" "$MY_PASSWORD_FILE" "$my_query" \
    "$work/outbox-my"

# ---- Measuring ----------------------------------------------------------

declare -A secs=() kib=() note=() t_prep=() t_check=() checked=()
tools=()

# tool NAME PREP CHECK CMD...: a row of the current part.  PREP runs before
# each run (untimed); CHECK after it confirms the result, printing one line
# that says what it confirmed, or why not (and fails).
tool() {
	local name=$1
	t_prep[$name]=$2
	t_check[$name]=$3
	shift 3
	declare -g -a "cmd_$name"
	local -n new_cmd="cmd_$name"
	# shellcheck disable=SC2034  # new_cmd is cmd_NAME, read by run_once
	new_cmd=("$@")
	tools+=("$name")
}

# run_once NAME: one timed run, stdout and stderr to $work/NAME.out and
# .err.  Keeps the best wall time and the highest peak RSS; on failure
# leaves a note instead and returns 1.  An xfer backend that is not built
# yet is "n/a", not a failure.
run_once() {
	local name=$1 rc t m
	local -n cmd="cmd_$name"
	"${t_prep[$name]}"
	rc=0
	/usr/bin/time -f '%e %M' -o "$work/$name.time" "${cmd[@]}" \
	    > "$work/$name.out" 2> "$work/$name.err" || rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'is not built yet' "$work/$name.err"; then
		note[$name]='n/a (type not built)'
	elif [ "$rc" -ne 0 ]; then
		note[$name]="failed (exit $rc), see $(show "$work/$name.err")"
	elif ! "${t_check[$name]}" > "$work/$name.check" 2>&1; then
		note[$name]="exited 0, but $(head -n 1 "$work/$name.check")"
	else
		checked[$name]=$(head -n 1 "$work/$name.check")
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
# tool that failed sits the rest out.
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

# ratio X T: how many times faster xfer (X seconds) was than a tool (T
# seconds) doing the same work.  %e has a resolution of 0.01 s.
ratio() {
	awk -v x="$1" -v t="$2" 'BEGIN {
		if (x < 0.01) x = 0.01; if (t < 0.01) t = 0.01
		printf "%.2f", t / x }'
}

# table ROW...: ROW is "NAME|db|label|XFERNAME"; rows/s for $rows rows.
table() {
	local row name db label x r
	printf '%-4s %-34s %8s %10s %10s %8s\n' db tool seconds rows/s \
	    xfer/tool 'RSS MiB'
	for row in "$@"; do
		IFS='|' read -r name db label x <<< "$row"
		if [ -z "${secs[$name]:-}" ]; then
			printf '%-4s %-34s %s\n' "$db" "$label" \
			    "${note[$name]:-not measured}"
			continue
		fi
		r=-
		if [ -n "${secs[$x]:-}" ]; then
			r=$(ratio "${secs[$x]}" "${secs[$name]}")
		fi
		printf '%-4s %-34s %8.2f %10s %10s %8.1f\n' "$db" "$label" \
		    "${secs[$name]}" \
		    "$(awk -v a="$rows" -v s="${secs[$name]}" 'BEGIN {
			if (s < 0.01) { s = 0.01; printf ">" }
			printf "%.0f", a / s }')" \
		    "$r" "$(awk -v k="${kib[$name]}" 'BEGIN { print k / 1024 }')"
	done
	for row in "$@"; do
		IFS='|' read -r name db label x <<< "$row"
		case ${note[$name]:-} in
		failed* | exited*)
			printf '\n%s %s stderr (last lines):\n' "$db" "$label"
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
	'xfer n/a'*) verdict=${2#xfer } ;;
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
		target "$1" "xfer ${note[$2]:-not measured}" ''
	elif [ -z "${secs[$3]:-}" ]; then
		target "$1" 'peer not measured' ''
	else
		r=$(ratio "${secs[$2]}" "${secs[$3]}")
		target "$1" "$(awk -v r="$r" -v m="$4" 'BEGIN { print (r >= m) ? 1 : 0 }')" "${r}x"
	fi
}

# rss_target LABEL NAME
rss_target() {
	if [ -z "${kib[$2]:-}" ]; then
		target "$1" "xfer ${note[$2]:-not measured}" ''
	else
		target "$1" "$(awk -v k="${kib[$2]}" -v l="$rss_limit_mib" 'BEGIN { print (k < l * 1024) ? 1 : 0 }')" \
		    "$(awk -v k="${kib[$2]}" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
	fi
}

# ---- Correctness --------------------------------------------------------
#
# The reference is SQL's own count(*) and sum(amount) per store over the
# typed PostgreSQL table as psql \copy loaded it: "store_id,count,sum",
# sorted as text.  xfer's aggregated batches must equal it line for line;
# the tables xfer loaded must give it back; MariaDB's table after LOAD DATA
# must give the same.
ref=$work/reference.sorted
rm -f "$ref"
pg_sums() {
	pgq "SELECT store_id || ',' || count(*) || ',' || sum(amount) FROM sales GROUP BY store_id" |
	    LC_ALL=C sort
}
my_sums() {
	myq "SELECT CONCAT(store_id, ',', count(*), ',', sum(amount)) FROM sales GROUP BY store_id" |
	    LC_ALL=C sort
}

# same_as_ref LABEL FILE: FILE (sorted) against the reference.
same_as_ref() {
	if [ ! -s "$ref" ]; then
		printf '%s not checked: no reference (psql \\copy did not load the table)\n' "$1"
		return 1
	fi
	if ! cmp -s "$ref" "$2"; then
		printf '%s differ from SQL count/sum per store (diff: %s)\n' "$1" \
		    "$(show "$2.diff")"
		diff -u --label reference --label "$1" "$ref" "$2" > "$2.diff" || true
		return 1
	fi
}

# count_is LABEL GOT: GOT must be $rows.
count_is() {
	if [ "$2" != "$rows" ]; then
		printf '%s: %s rows, want %s\n' "$1" "$2" "$rows"
		return 1
	fi
}

# ---- Ingest ---------------------------------------------------------------

# Every run starts from an empty table and, for xfer, an empty spool and
# ledger, no exactly-once keys in the database, and the file and its
# manifest in the inbox: the whole work, as on the day the file arrives.
# A CHECKPOINT first, so that no run pays for the previous one's writes.
prep_pg() {
	pgq "SET client_min_messages TO warning; TRUNCATE sales, sales_text; DROP TABLE IF EXISTS xfer_ingested, xfer_applied" > /dev/null
	"$PG_BIN/psql" -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d "$PG_DB" -c CHECKPOINT
}
prep_my() {
	myq "TRUNCATE TABLE sales; DROP TABLE IF EXISTS xfer_ingested, xfer_applied"
}
# prep_inbox DIR: the file and its manifest, fresh copies (xfer refuses a
# file with several hard links), in the page cache like the peers' file
# and on disk like a file that has settled: xfer's pick-up fsyncs it, and
# must not be timed writing back what cp just wrote.
prep_inbox() {
	find "$home/spool" -mindepth 1 -delete
	find "$1" -mindepth 1 -delete
	cp "$data" "$1/$inname"
	cp "$data.sha256" "$1/$inname.sha256"
	sync "$1/$inname" "$1/$inname.sha256" "$1"
}
# Whether xfer's sessions used TLS, as the peers' do by default: the new
# "connection authorized" lines of the PostgreSQL log that are not psql's,
# and MariaDB's count of TLS handshakes (less the checking client's own).
pg_log_mark=0
my_ssl_mark=0
mark_sessions() {
	pg_log_mark=$(wc -l < "$PG_LOG")
	my_ssl_mark=$(myq "SHOW GLOBAL STATUS LIKE 'Ssl_accepts'" | cut -f 2)
}
pg_session_tls() {
	tail -n "+$((pg_log_mark + 1))" "$PG_LOG" |
	    grep 'connection authorized: user=' | grep -v 'application_name=psql' |
	    awk '/SSL enabled/ { t = 1 } END { print (NR == 0) ? "no session seen" : t ? "TLS" : "no TLS" }'
}
my_session_tls() {
	local n
	n=$(myq "SHOW GLOBAL STATUS LIKE 'Ssl_accepts'" | cut -f 2)
	if [ $((n - my_ssl_mark)) -gt 1 ]; then
		echo TLS
	else
		echo 'no TLS'
	fi
}

prep_pg_xfer() {
	prep_pg
	prep_inbox "$work/inbox-pg"
	mark_sessions
}
prep_my_xfer() {
	prep_my
	prep_inbox "$work/inbox-my"
	mark_sessions
}

check_pg_copy() {
	count_is sales "$(pgq 'SELECT count(*) FROM sales')" || return 1
	if [ ! -s "$ref" ]; then
		pg_sums > "$ref.tmp"
		mv "$ref.tmp" "$ref"
	fi
	printf '%s rows in sales\n' "$rows"
}
check_pg_text() {
	count_is sales_text "$(pgq 'SELECT count(*) FROM sales_text')" || return 1
	printf '%s rows in sales_text\n' "$rows"
}
# check_xfer_in INBOX KEYS: rows, sums, the key, the inbox emptied and the
# backup the same bytes as the file.
check_xfer_in() {
	local backup
	if [ -n "$(find "$1" -mindepth 1 -print -quit)" ]; then
		printf 'the inbox is not empty: %s\n' \
		    "$(find "$1" -mindepth 1 -printf '%f ')"
		return 1
	fi
	backup=$(find "$home/spool" -path '*/backup/*' -name "$inname" -type f)
	if [ -z "$backup" ] || ! cmp -s "$backup" "$data"; then
		printf 'no backup of %s with the same bytes in the spool\n' "$inname"
		return 1
	fi
	if [ "$2" != "$inname|$rows" ]; then
		printf 'xfer_ingested holds "%s", want "%s|%s"\n' "$2" "$inname" "$rows"
		return 1
	fi
}
check_pg_xfer() {
	local tls
	tls=$(pg_session_tls)
	count_is sales "$(pgq 'SELECT count(*) FROM sales')" || return 1
	pg_sums > "$work/pg_xfer_in.sorted"
	same_as_ref 'sums per store in sales' "$work/pg_xfer_in.sorted" ||
	    return 1
	check_xfer_in "$work/inbox-pg" \
	    "$(pgq "SELECT name || '|' || records FROM xfer_ingested")" || return 1
	printf '%s rows in sales, sums per store = reference, key in xfer_ingested, backup (%s)\n' \
	    "$rows" "$tls"
}
check_my_load() {
	local w
	w=$(tail -n 1 "$work/my_load.out")
	if [ "$w" != 0 ]; then
		printf 'LOAD DATA gave %s warnings\n' "$w"
		return 1
	fi
	count_is sales "$(myq 'SELECT count(*) FROM sales')" || return 1
	my_sums > "$work/my_load.sorted"
	same_as_ref 'MariaDB sums per store' "$work/my_load.sorted" || return 1
	printf '%s rows in sales, 0 warnings, sums per store = reference\n' "$rows"
}
check_my_xfer() {
	local tls
	tls=$(my_session_tls)
	count_is sales "$(myq 'SELECT count(*) FROM sales')" || return 1
	my_sums > "$work/my_xfer_in.sorted"
	same_as_ref 'sums per store in sales' "$work/my_xfer_in.sorted" ||
	    return 1
	check_xfer_in "$work/inbox-my" \
	    "$(myq "SELECT CONCAT(name, '|', records) FROM xfer_ingested")" || return 1
	printf '%s rows in sales, sums per store = reference, key in xfer_ingested, backup (%s)\n' \
	    "$rows" "$tls"
}

printf 'xfer database benchmark: PostgreSQL %s and MariaDB %s on 127.0.0.1 (tests/servers)\n' \
    "$(pgq 'SHOW server_version' | cut -d ' ' -f 1)" \
    "$(myq 'SELECT VERSION()' | cut -d - -f 1)"
printf '%s CPUs, %s; best wall time of %s round(s) (one run of each tool a round),\npeak RSS the highest of them (the client; the server is not counted)\n' \
    "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$runs"
printf '%s rows, %s MiB: %s\n' "$rows" \
    "$(( $(stat -c %s "$data") / 1048576 ))" "$(show "$data")"
printf 'clients over TCP with TLS as by default: PostgreSQL %s, MariaDB %s\n' \
    "${pg_tls:-no}" "${my_tls:-no}"

# Warm the page cache so that the first tool timed does not pay for the disk.
cat "$data" > /dev/null

printf '\ningest: the file into an empty table (xfer: local inbox, manifest, pick-up,\nverification, load, exactly-once key, backup)\n\n'
copy_in="\\copy sales FROM '$data' csv header"
copy_text="\\copy sales_text FROM '$data' csv header"
load_data="LOAD DATA LOCAL INFILE '$data' INTO TABLE sales CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' IGNORE 1 LINES (store_id, sku, qty, amount, sold_at, note); SELECT @@warning_count"
# One untimed psql \copy first: the reference for every check, and no
# timed run pays for a cold server.  xfer runs first in every round (the
# cold seat, if any is left), so that each part ends with the peer's table.
prep_pg
"${psql[@]}" -c "$copy_in"
check_pg_copy > /dev/null ||
    die "psql \copy did not load the file: $(check_pg_copy)"
tool pg_xfer_in prep_pg_xfer check_pg_xfer "$xfer" --home "$home" receive pg_in
tool pg_copy_in prep_pg check_pg_copy "${psql[@]}" -c "$copy_in"
tool pg_copy_text prep_pg check_pg_text "${psql[@]}" -c "$copy_text"
rounds "$runs"
tool my_xfer_in prep_my_xfer check_my_xfer "$xfer" --home "$home" receive my_in
tool my_load prep_my check_my_load "${mysql[@]}" --local-infile=1 -N -B \
    -e "$load_data"
rounds "$runs"

table "pg_xfer_in|pg|xfer receive|pg_xfer_in" \
    "pg_copy_in|pg|psql \\copy FROM (typed table)|pg_xfer_in" \
    "pg_copy_text|pg|psql \\copy FROM (all-text table)|pg_xfer_in" \
    "my_xfer_in|my|xfer receive|my_xfer_in" \
    "my_load|my|LOAD DATA LOCAL INFILE|my_xfer_in"

speed_target 'PostgreSQL ingest: xfer >= 1.0x psql \copy (typed) rows/s' \
    pg_xfer_in pg_copy_in 1.0
speed_target 'MariaDB ingest: xfer >= 1.0x LOAD DATA LOCAL INFILE rows/s' \
    my_xfer_in my_load 1.0

# ---- Send -------------------------------------------------------------------
#
# Both read the typed table, loaded with the whole file (by the last
# ingest run, or here), vacuumed so that no reader pays for setting hint
# bits.  psql and mariadb write every row to a file; xfer runs the job's
# query for the date, groups by store, sums exactly and writes the batch
# file (+ .sha256) to a local outbox, from an empty spool each run.

if [ "$(pgq 'SELECT count(*) FROM sales')" != "$rows" ]; then
	prep_pg
	"${psql[@]}" -c "$copy_in"
fi
pgq 'VACUUM ANALYZE sales'
if [ "$(myq 'SELECT count(*) FROM sales')" != "$rows" ]; then
	prep_my
	"${mysql[@]}" --local-infile=1 -N -B -e "$load_data" > /dev/null
fi
myq 'ANALYZE TABLE sales' > /dev/null
if [ ! -s "$ref" ]; then
	pg_sums > "$ref"
fi

prep_pg_out() {
	find "$home/spool" -mindepth 1 -delete
	rm -rf "$work/outbox-pg"
	mkdir -p "$work/outbox-pg"
	mark_sessions
}
prep_my_out() {
	find "$home/spool" -mindepth 1 -delete
	rm -rf "$work/outbox-my"
	mkdir -p "$work/outbox-my"
	mark_sessions
}
prep_none() {
	:
}
# check_lines FILE: FILE holds a header and $rows rows.
check_lines() {
	count_is "$(show "$1") (without its header)" \
	    "$(($(wc -l < "$1") - 1))" || return 1
	printf '%s rows in %s\n' "$rows" "$(show "$1")"
}
check_pg_copy_out() {
	check_lines "$work/pg_copy_out.csv"
}
check_my_batch() {
	check_lines "$work/my_batch.out"
}
# check_batch OUTBOX TLS: the batch file and its manifest, the batch equal
# to the reference; TLS says whether xfer's session used it.
check_batch() {
	local f=$1/$outname head
	if [ ! -s "$f" ] || [ ! -s "$f.sha256" ]; then
		printf 'no %s and .sha256 in %s\n' "$outname" "$(show "$1")"
		return 1
	fi
	head=$(head -n 1 "$f")
	if [ "$head" != store_id,orders,amount ]; then
		printf '%s has the header "%s"\n' "$outname" "$head"
		return 1
	fi
	tail -n +2 "$f" | LC_ALL=C sort > "$f.sorted"
	same_as_ref "$outname" "$f.sorted" || return 1
	printf '%s: %s stores, counts and sums = SQL per store (%s)\n' \
	    "$outname" "$(wc -l < "$f.sorted")" "$2"
}
check_pg_out() {
	check_batch "$work/outbox-pg" "$(pg_session_tls)"
}
check_my_out() {
	check_batch "$work/outbox-my" "$(my_session_tls)"
}

printf '\nsend: the rows of %s out of the typed table (xfer: its query, aggregated\nby store into a batch file + .sha256 in a local outbox)\n\n' "$date"
pg_literal="SELECT store_id, sku, qty, amount, sold_at, note FROM sales WHERE sold_at >= '${date}T00:00:00+00:00' AND sold_at < '$(date -u -d "$date + 1 day" +%F)T00:00:00+00:00'"
# MariaDB takes no offset in a timestamp literal (it drops it with a
# warning); its sessions run in UTC, so the day's bounds are these.  xfer
# binds :start and :end the same way: the wall-clock midnights, in a
# session at the job zone's offset (UTC here).
my_literal="SELECT store_id, sku, qty, amount, sold_at, note FROM sales WHERE sold_at >= '$date 00:00:00' AND sold_at < '$(date -u -d "$date + 1 day" +%F) 00:00:00'"
tool pg_xfer_out prep_pg_out check_pg_out \
    "$xfer" --home "$home" send --date "$date" pg_out
tool pg_copy_out prep_none check_pg_copy_out "${psql[@]}" \
    -c "\\copy ($pg_literal) TO '$work/pg_copy_out.csv' csv header"
rounds "$runs"
tool my_xfer_out prep_my_out check_my_out \
    "$xfer" --home "$home" send --date "$date" my_out
tool my_batch prep_none check_my_batch "${mysql[@]}" --batch --quick \
    -e "$my_literal"
rounds "$runs"
rm -f "$work/pg_copy_out.csv" "$work/my_batch.out"

table "pg_xfer_out|pg|xfer send (aggregated)|pg_xfer_out" \
    "pg_copy_out|pg|psql \\copy (query) TO file|pg_xfer_out" \
    "my_xfer_out|my|xfer send (aggregated)|my_xfer_out" \
    "my_batch|my|mariadb --batch --quick -e > file|my_xfer_out"

speed_target 'PostgreSQL send: xfer >= 0.95x psql \copy TO rows/s' \
    pg_xfer_out pg_copy_out 0.95
speed_target 'MariaDB send: xfer >= 0.95x mariadb --batch rows/s' \
    my_xfer_out my_batch 0.95
rss_target "xfer peak RSS < $rss_limit_mib MiB: PostgreSQL ingest" pg_xfer_in
rss_target "xfer peak RSS < $rss_limit_mib MiB: MariaDB ingest" my_xfer_in
rss_target "xfer peak RSS < $rss_limit_mib MiB: PostgreSQL send" pg_xfer_out
rss_target "xfer peak RSS < $rss_limit_mib MiB: MariaDB send" my_xfer_out

printf '\ntargets:\n'
printf '%s\n' "${targets[@]}"

status=0
printf '\ncorrectness (reference: SQL count and sum(amount) per store in PostgreSQL\nafter psql \\copy, %s stores):\n' "$(wc -l < "$ref" 2> /dev/null || echo 0)"
for n in pg_copy_in pg_copy_text pg_xfer_in my_load my_xfer_in pg_copy_out \
    pg_xfer_out my_batch my_xfer_out; do
	if [ -n "${checked[$n]:-}" ]; then
		printf '  %-13s OK: %s\n' "$n" "${checked[$n]}"
	else
		printf '  %-13s %s\n' "$n" "${note[$n]:-not measured}"
		case ${note[$n]:-} in
		n/a*) ;;
		*) status=1 ;;
		esac
	fi
done
printf '\ndatabase benchmark: %s s in all (servers, data and checks included)\n' "$(($(date +%s) - start_time))"
exit "$status"
