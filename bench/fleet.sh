#!/bin/bash
# make bench, fleet part: a soak of several receiving hosts sharing one
# PostgreSQL ledger (SPEC.md section 9).  FLEET_FILES small CSV files in
# an SFTP inbox (the sshd of tests/servers; FLEET_INBOX=s3: an S3 one,
# moto's) are pulled by 1, 2 and 3
# "hosts" (xfer homes with their own spool and xfer.conf: [ledger] url,
# node, a short lease) into a PostgreSQL table (the server of
# tests/servers, which also holds the ledger in another database), each
# host running `xfer receive` in a loop as cron would.  The 1- and 2-host
# runs are calm; in the 3-host run a random host's xfer is SIGKILLed every
# 2-5 s (its loop starts the next run), one is SIGSTOPped past its lease
# once and then SIGCONTed, and PostgreSQL is restarted once.  Every run
# starts from a fresh inbox, target database and ledger.  bench/run.sh
# calls it at its end (BENCH_FLEET=0 skips it).  See bench/README.md.
#
# Environment: FLEET_FILES (10000), FLEET_LEASE (3, seconds), FLEET_TIMEOUT
# (600: seconds a run may take before it is stopped and counted as
# failed), FLEET_CALM3 (0; 1 adds a calm 3-host run before the chaos one),
# FLEET_CHAOS (1; 0 runs the 3 hosts calm), FLEET_INBOX (sftp, or s3),
# XFER_BIN (bin/xfer).
#
# Prints files/s per run, claim latency, the chaos done, where the time
# went, the invariants (0 lost, 0 ingested twice, 0 rows changed by a
# stale token, ...) as "N passed, N failed", and the target (3 hosts >= 2x
# the files/s of one, every invariant holding) as met or NOT met.  Exit 0
# when every invariant held, else 1; a target not met is reported, not
# failed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/work/fleet
servers=$root/tests/servers
files=${FLEET_FILES:-10000}
lease=${FLEET_LEASE:-3}
run_timeout=${FLEET_TIMEOUT:-600}
calm3=${FLEET_CALM3:-0}
chaos=${FLEET_CHAOS:-1}
inbox_kind=${FLEET_INBOX:-sftp}
xfer=${XFER_BIN:-$root/bin/xfer}
job=fleet
target_ratio=2

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

for v in "FLEET_FILES=$files" "FLEET_LEASE=$lease" \
    "FLEET_TIMEOUT=$run_timeout"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0 | 0*) die "${v%%=*} must be a positive integer, not '${v#*=}'" ;;
	esac
done
case $inbox_kind in
sftp | s3) ;;
*) die "FLEET_INBOX must be sftp or s3, not '$inbox_kind'" ;;
esac
for v in "FLEET_CALM3=$calm3" "FLEET_CHAOS=$chaos"; do
	case ${v#*=} in
	0 | 1) ;;
	*) die "${v%%=*} must be 0 or 1, not '${v#*=}'" ;;
	esac
done
[ -x "$xfer" ] || die "'$xfer' not found, run make"
for p in sshd.sh postgres.sh s3.sh; do
	[ -x "$servers/$p" ] || die "'$servers/$p' not found"
done
# Job files and xfer.conf hold these paths.
case $work in
*[][*?{}\"\'\\]* | *[[:space:]]*) die "the checkout path '$root' holds a pattern, quote or space character" ;;
esac

show() {
	case $1 in
	"$root"/*) printf '%s' "${1#"$root"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# No PG* variable or ~/.pgpass of the caller reaches a client.
while read -r v; do
	unset "$v"
done < <(compgen -e | grep -e '^PG' || true)
export LC_ALL=C TZ=UTC

srv=
# The run under way (fleet_run): its directory, loops and chaos process.
cur_run=
cur_pids=()
cleanup() {
	local f pid
	if [ -n "$cur_run" ]; then
		# Its loops and chaos (our children: the PPID says they are
		# still the processes we started), then the xfer they ran (a
		# stopped one is woken so that it can die).
		touch "$cur_run/stop"
		for pid in "${cur_pids[@]}"; do
			[ "$(ppid_of "$pid")" = $$ ] && kill -KILL "$pid" 2> /dev/null
		done
		for f in "$cur_run"/pid.h*; do
			if pid=$(live_xfer "$f" "$cur_run/${f##*/pid.}"); then
				kill -CONT "$pid" 2> /dev/null
				kill -KILL "$pid" 2> /dev/null
			fi
		done
	fi
	if [ -n "$srv" ]; then
		"$servers/postgres.sh" stop "$srv/pg" > /dev/null 2>&1 || true
		"$servers/sshd.sh" stop "$srv/sshd" > /dev/null 2>&1 || true
		"$servers/s3.sh" stop "$srv/s3" > /dev/null 2>&1 || true
		rm -rf "$srv"
	fi
}
ppid_of() {
	local stat
	local -a f
	stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 0
	read -r -a f <<< "${stat##*) }"
	echo "${f[1]}"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkdir -p "$work"
: > "$work/psql.err"
# Two runs at once would share $work and the CPUs.
exec 9> "$work/lock"
flock -n 9 || die "another bench/fleet.sh is running (lock '$(show "$work/lock")')"

# ---- The files: deterministic, kept for the next run -------------------
# sales_20261124_NNNNN.csv, 5-10 rows each: file,line,store_id,amount.
# File f has 5 + f % 6 rows, so what each file must leave in the table is
# known without reading it again.
src=$work/files
stamp="v1 $files"
if [ ! -f "$src/.made" ] || [ "$(cat "$src/.made")" != "$stamp" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	awk -v files="$files" -v dir="$src" 'BEGIN {
		for (f = 1; f <= files; f++) {
			p = sprintf("%s/sales_20261124_%05d.csv", dir, f)
			n = 5 + f % 6
			print "file,line,store_id,amount" > p
			for (r = 1; r <= n; r++)
				printf "%d,%d,%d,%d.%02d\n", f, r, \
				    (f * 31 + r) % 1000, (f * r) % 500, \
				    (f + r) % 100 >> p
			close(p)
		}
	}'
	echo "$stamp" > "$src/.made"
fi
want_rows=$(awk -v files="$files" 'BEGIN {
	for (f = 1; f <= files; f++) n += 5 + f % 6
	print n }')

# ---- The servers ---------------------------------------------------------
srv=$(mktemp -d "${TMPDIR:-/tmp}/xfer-fleet.XXXXXX") ||
    die "cannot make a directory in '${TMPDIR:-/tmp}'"
# The SFTP user and the server's user must reach their directories.
chmod 755 "$srv"
mkdir -m 700 "$srv/home"
export HOME=$srv/home
remote=sshd
[ "$inbox_kind" = sftp ] || remote=s3
for s in "$remote" postgres; do
	d=$s
	[ "$s" = postgres ] && d=pg
	if ! "$servers/$s.sh" start "$srv/$d" > "$work/$s.start" 2>&1; then
		sed -e 's/^/  /' "$work/$s.start" >&2
		die "cannot start $s (tests/deps.sh installs what the servers need)"
	fi
done
# shellcheck source=/dev/null
. "$srv/pg/env"
if [ "$inbox_kind" = sftp ]; then
	# shellcheck source=/dev/null
	. "$srv/sshd/env"
	chmod 600 "$SSHD_CLIENT_KEY"
	inbox=$SSHD_HOME/inbox
	remote_pid=$SSHD_PID
	remote_name=sshd
else
	# shellcheck source=/dev/null
	. "$srv/s3/env"
	remote_pid=$S3_PID
	remote_name=moto
fi

# fill_inbox: the files into an empty inbox (SFTP: the directory the
# server serves; S3: the bucket's inbox/ prefix, 8 uploads at a time).
fill_inbox() {
	if [ "$inbox_kind" = sftp ]; then
		rm -rf "$inbox"
		cp -R "$src" "$inbox"
		rm -f "$inbox/.made"
		chown -R "$SSHD_USER" "$inbox"
		return
	fi
	s3py empty && s3py fill "$src"
}
# inbox_left: how many files the inbox still holds.
inbox_left() {
	if [ "$inbox_kind" = sftp ]; then
		find "$inbox" -type f | wc -l
	else
		s3py count
	fi
}
# s3py empty | fill DIR | count: the bucket's inbox/ through boto3.
s3py() {
	S3_ENDPOINT=$S3_ENDPOINT S3_REGION=$S3_REGION S3_BUCKET=$S3_BUCKET \
	    AWS_SHARED_CREDENTIALS_FILE=$S3_CREDENTIALS \
	    timeout 600 "$S3_PYTHON" -c "$s3py_code" "$@"
}
s3py_code='
import os, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"],
                  region_name=os.environ["S3_REGION"])
bucket = os.environ["S3_BUCKET"]
def keys():
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix="inbox/"):
        for o in page.get("Contents", []):
            yield o["Key"]
if sys.argv[1] == "count":
    print(sum(1 for _ in keys()))
elif sys.argv[1] == "empty":
    for k in list(keys()):
        s3.delete_object(Bucket=bucket, Key=k)
else:
    d = sys.argv[2]
    names = sorted(n for n in os.listdir(d) if n.endswith(".csv"))
    def put(n):
        with open(os.path.join(d, n), "rb") as f:
            s3.put_object(Bucket=bucket, Key="inbox/" + n, Body=f.read())
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(put, names))
'

# pgq DB SQL: one value or rows (psql -At), as the superuser over the
# socket; fails when the server does not answer.
pgq() {
	PGCONNECT_TIMEOUT=5 timeout 30 "$PG_BIN/psql" -X -w -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d "$1" -c "$2" 2>> "$work/psql.err"
}
# pgq_quiet DB SQL: the same, errors expected (the progress poll).
pgq_quiet() {
	PGCONNECT_TIMEOUT=5 timeout 30 "$PG_BIN/psql" -X -w -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d "$1" -c "$2" 2> /dev/null
}

# The claims' history (see fleet_run): ev is claim, release or done, name
# the file's name (the key's first line); live says a claim took a key
# from another node whose lease had not ended (never, if the ledger's SQL
# is right).  at is the database's clock, as the target's commit times
# that fleet_ingest_times gets after the run.
# shellcheck disable=SC2016  # $$ is PL/pgSQL's quoting
audit_sql='
SET ROLE '"$PG_USER"';
CREATE TABLE fleet_claim_log (id bigserial PRIMARY KEY, kind text,
	name text, ev text, old_node text, node text, token bigint,
	live boolean, at timestamptz DEFAULT clock_timestamp());
CREATE INDEX fleet_claim_log_name ON fleet_claim_log (name, id);
CREATE TABLE fleet_ingest_times (name text PRIMARY KEY,
	committed timestamptz);
CREATE FUNCTION fleet_claim_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	n text := split_part(NEW.key, chr(10), 1);
BEGIN
	IF TG_OP = '\''INSERT'\'' THEN
		INSERT INTO fleet_claim_log (kind, name, ev, node, token, live)
		VALUES (NEW.kind, n, '\''claim'\'', NEW.node, NEW.token, false);
	ELSIF NEW.token <> OLD.token THEN
		INSERT INTO fleet_claim_log (kind, name, ev, old_node, node, token, live)
		VALUES (NEW.kind, n, '\''claim'\'', OLD.node, NEW.node, NEW.token,
		    OLD.node <> NEW.node AND OLD.lease_until > now());
	ELSIF NEW.done AND NOT OLD.done THEN
		INSERT INTO fleet_claim_log (kind, name, ev, node, token)
		VALUES (NEW.kind, n, '\''done'\'', NEW.node, NEW.token);
	ELSIF NEW.lease_until <= now() AND OLD.lease_until > now() THEN
		INSERT INTO fleet_claim_log (kind, name, ev, node, token)
		VALUES (NEW.kind, n, '\''release'\'', NEW.node, NEW.token);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER fleet_claim_audit AFTER INSERT OR UPDATE ON claims
	FOR EACH ROW EXECUTE FUNCTION fleet_claim_audit();
'

# Commit times of the target's rows, to tell when a file was ingested on
# the clock the claims are stamped by (a restart makes it take effect).
if ! pgq "$PG_DB" "ALTER SYSTEM SET track_commit_timestamp = on" > /dev/null ||
    ! "$servers/postgres.sh" stop "$PG_DIR" > "$work/postgres.stop" 2>&1 ||
    ! "$servers/postgres.sh" restart "$PG_DIR" > "$work/postgres.restart" 2>&1; then
	die "cannot turn on track_commit_timestamp (see $(show "$work/psql.err"))"
fi

# ---- CPU accounting from /proc -------------------------------------------
clk=$(getconf CLK_TCK)
# proc_tree ROOT...: "PID TICKS CHILD-TICKS" for each process of the
# trees under the ROOTs (utime + stime; cutime + cstime: what it reaped),
# from one pass over /proc.
proc_tree() {
	# cat, not awk's own reading: a process may end between the glob
	# and the read, which gawk takes as fatal.
	cat /proc/[0-9]*/stat 2> /dev/null | awk -v roots="$*" '
	{
		n = split($0, part, ") ")
		split(part[n], f, " ")
		pid = $1 + 0
		parent[pid] = f[2] + 0
		own[pid] = f[12] + f[13]
		reaped[pid] = f[14] + f[15]
	}
	END {
		split(roots, r, " ")
		for (i in r) want[r[i] + 0] = 1
		for (p in parent) {
			q = p + 0
			for (k = 0; k < 64 && q > 1; k++) {
				if (q in want) { print p, own[p], reaped[p]; break }
				q = parent[q]
			}
		}
	}'
}
# tree_ticks ROOT...: CPU ticks of the trees so far, what their live
# processes used and what they reaped.
tree_ticks() {
	proc_tree "$@" | awk '{ t += $2 + $3 } END { print t + 0 }'
}
# busy_ticks: the machine's CPU ticks so far as "busy total".
busy_ticks() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
		print t - $5 - $6, t; exit }' /proc/stat
}
# sshd's sessions end in an order that leaves their CPU time with no
# parent to collect it (a session's process outlives its monitor and is
# reaped by init), so the remote server's use (sshd, or moto) is sampled:
# the most seen of each of its processes' own time, summed by
# remote_ticks.
declare -A remote_seen=()
remote_sample() {
	local p t
	while read -r p t _; do
		remote_seen[$p]=$t
	done < <(proc_tree "$remote_pid")
}
remote_ticks() {
	local p t=0
	for p in "${!remote_seen[@]}"; do
		t=$((t + remote_seen[$p]))
	done
	echo "$t"
}
pg_pid() {
	head -n 1 "$PG_DIR/data/postmaster.pid" 2> /dev/null || echo 0
}
secs_of() {
	awk -v t="$1" -v c="$clk" 'BEGIN { printf "%.1f", t / c }'
}

# ---- One run ---------------------------------------------------------------
now() { date +%s.%N; }

# The report's figures, per run label.
declare -A r_secs=() r_rate=() r_hosts=() r_p50=() r_p95=() r_nclaim=()
declare -A r_cpu=() r_xacts=() r_note=() r_kills=() r_reclaims=()
declare -A r_taken=() r_dups=() r_split=() r_pause=() r_open=()
labels=()
passed=0
failed=0
check_lines=()

# check RUN LABEL OK DETAIL: one invariant's line.
check() {
	if [ "$3" = 1 ]; then
		passed=$((passed + 1))
		check_lines+=("$(printf '  %-6s ok    %s (%s)' "$1" "$2" "$4")")
	else
		failed=$((failed + 1))
		check_lines+=("$(printf '  %-6s FAIL  %s (%s)' "$1" "$2" "$4")")
	fi
}

# host_setup DIR N LEDGER-DB: an xfer home with its own spool and xfer.conf.
host_setup() {
	mkdir -p "$1/jobs"
	mkdir -m 700 "$1/spool"
	cat > "$1/xfer.conf" << EOF
# Written by bench/fleet.sh: host $2 of the fleet.
[ledger]
url = postgresql://$PG_USER@127.0.0.1:$PG_PORT/$3
password_file = $PG_PASSWORD_FILE
node = h$2
lease = ${lease}s
EOF
	if [ "$inbox_kind" = sftp ]; then
		inbox_conf="url = $SSHD_URL$inbox/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS"
	else
		inbox_conf="url = s3://$S3_BUCKET/inbox/
endpoint = $S3_ENDPOINT
region = $S3_REGION
credentials_file = $S3_CREDENTIALS"
	fi
	cat > "$1/jobs/$job.job" << EOF
# Written by bench/fleet.sh.
[job]
direction = receive
timezone = UTC

[inbox]
$inbox_conf
pattern = sales_{date:%Y%m%d}_*.csv
settle = 0s
after_pull = delete

[ingest]
type = postgresql
url = postgresql://$PG_USER@127.0.0.1:$PG_PORT/$4
password_file = $PG_PASSWORD_FILE
table = public.sales
mode = append
EOF
}

# runner HOME PIDFILE STOPFILE DEADLINE LOG: `xfer receive` again and
# again, as cron would (a killed run is simply followed by the next one),
# until STOPFILE exists or DEADLINE (epoch seconds) passes.  The running
# xfer's PID is in PIDFILE for the chaos.
runner() {
	local home=$1 pidfile=$2 stopfile=$3 deadline=$4 log=$5 i t0 t1
	for ((i = 0; i < 100000; i++)); do
		[ ! -e "$stopfile" ] || break
		[ "$(date +%s)" -lt "$deadline" ] || break
		t0=$(date +%s%N)
		"$xfer" --home "$home" -v --log-format json receive "$job" \
		    > /dev/null 2>> "$log" &
		echo "$!" > "$pidfile"
		wait "$!" || true
		: > "$pidfile"
		t1=$(date +%s%N)
		# A run with nothing to do (or one that failed at once) is
		# followed by the next tick a little later, not at once.
		if [ $(((t1 - t0) / 1000000)) -lt 1000 ]; then
			sleep 0.2
		fi
	done
}

# live_xfer PIDFILE HOME: the PID of that host's running xfer, if any.
live_xfer() {
	local pid
	pid=$(cat "$1" 2> /dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	{ tr '\0' ' ' < "/proc/$pid/cmdline"; } 2> /dev/null |
	    grep -q -F -- "$2 " || return 1
	echo "$pid"
}

# chaos DIR NHOSTS LEDGER-DB: until DIR/stop exists, SIGKILL a random
# host's xfer every 2-5 s; once DIR/progress (files ingested) passes 15%,
# SIGSTOP one host's xfer (pause) for twice the lease and 2 s more, and
# on until another node has claimed one of its files (at most 10 s more),
# then SIGCONT it; once the pause is over and 40% are in, restart
# PostgreSQL.  What it did goes to DIR/chaos.log, one event a line:
# "SECONDS WHAT ...".
chaos() {
	local d=$1 n=$2 ldb=$3 t0 h pid p paused=0 pg_done=0 next_kill
	t0=$(date +%s%N)
	next_kill=$(next_kill_at)
	while [ ! -e "$d/stop" ]; do
		sleep 0.25
		p=$(cat "$d/progress" 2> /dev/null || echo 0)
		if [ "$paused" = 0 ] && [ $((p * 100)) -ge $((files * 15)) ]; then
			h=$((RANDOM % n + 1))
			if pid=$(live_xfer "$d/pid.h$h" "$d/h$h"); then
				paused=1
				echo "$h" > "$d/paused"
				pause "$d" "$h" "$pid" "$ldb" "$t0" &
			fi
		fi
		if [ "$pg_done" = 0 ] && [ "$paused" = 1 ] && [ ! -e "$d/paused" ] &&
		    [ $((p * 100)) -ge $((files * 40)) ]; then
			pg_done=1
			tree_ticks "$(pg_pid)" > "$d/pg-stop.ticks"
			echo "$(elapsed "$t0") pg-stop (pg_ctl stop -m fast, then restart)" >> "$d/chaos.log"
			"$servers/postgres.sh" stop "$PG_DIR" > "$d/pg-stop.out" 2>&1 || true
			if "$servers/postgres.sh" restart "$PG_DIR" > "$d/pg-restart.out" 2>&1; then
				tree_ticks "$(pg_pid)" > "$d/pg-up.ticks"
				echo "$(elapsed "$t0") pg-up" >> "$d/chaos.log"
			else
				echo "$(elapsed "$t0") pg-restart-failed" >> "$d/chaos.log"
			fi
		fi
		[ "$(date +%s%N)" -ge "$next_kill" ] || continue
		next_kill=$(next_kill_at)
		h=$((RANDOM % n + 1))
		if [ "$(cat "$d/paused" 2> /dev/null)" = "$h" ]; then
			continue
		fi
		if pid=$(live_xfer "$d/pid.h$h" "$d/h$h") &&
		    kill -KILL "$pid" 2> /dev/null; then
			echo "$(elapsed "$t0") kill h$h $pid" >> "$d/chaos.log"
		else
			echo "$(elapsed "$t0") miss h$h" >> "$d/chaos.log"
		fi
	done
	wait
}
next_kill_at() {
	echo $(($(date +%s%N) + (2000 + RANDOM % 3001) * 1000000))
}

# pause DIR HOST PID LEDGER-DB T0: the SIGSTOP and SIGCONT of chaos();
# DIR/pause gets "HOST STOP-EPOCH CONT-EPOCH PROGRESS-AT-STOP
# PROGRESS-AT-CONT".
pause() {
	local d=$1 h=$2 pid=$3 ldb=$4 t0=$5 ts i taken=0 p0
	kill -STOP "$pid"
	ts=$(date +%s.%N)
	p0=$(cat "$d/progress")
	echo "$(elapsed "$t0") stop h$h $pid" >> "$d/chaos.log"
	sleep $((2 * lease + 2))
	for ((i = 0; i < 20; i++)); do
		taken=$(pgq_quiet "$ldb" "SELECT count(*) FROM fleet_claim_log WHERE ev = 'claim' AND old_node = 'h$h' AND node <> 'h$h' AND at > to_timestamp($ts)" || echo 0)
		[ "${taken:-0}" = 0 ] || break
		[ ! -e "$d/stop" ] || break
		sleep 0.5
	done
	kill -CONT "$pid" 2> /dev/null || true
	echo "$h $ts $(date +%s.%N) $p0 $(cat "$d/progress")" > "$d/pause"
	echo "$(elapsed "$t0") cont h$h $pid" >> "$d/chaos.log"
	# Time to wake and say what it finds before a SIGKILL may come.
	sleep 2
	rm -f "$d/paused"
}
elapsed() {
	awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

# percentile P: the P-th percentile of the numbers on stdin (nearest rank).
percentile() {
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1
		print v[i] }'
}

# fleet_run LABEL NHOSTS CHAOS: one run from a fresh inbox, target
# database and ledger; fills the r_* figures and the checks.
fleet_run() {
	local label=$1 n=$2 with_chaos=$3 d tdb ldb h i t0 t1 got=0 last
	local deadline cpu1 pg0 pg1 rem0 rem1 x1 busy0 busy1 all0 all1
	local rpids=() chaos_pid='' x0l x0t pid waited=0 load0
	d=$work/runs/$label
	tdb=target_$label
	ldb=ledger_$label
	rm -rf "$d"
	mkdir -p "$d"
	labels+=("$label")
	r_hosts[$label]=$n

	pgq "$PG_DB" "DROP DATABASE IF EXISTS $tdb" > /dev/null
	pgq "$PG_DB" "DROP DATABASE IF EXISTS $ldb" > /dev/null
	pgq "$PG_DB" "CREATE DATABASE $tdb OWNER $PG_USER" > /dev/null
	pgq "$PG_DB" "CREATE DATABASE $ldb OWNER $PG_USER" > /dev/null
	pgq "$tdb" "CREATE TABLE sales (file integer NOT NULL,
		line integer NOT NULL, store_id integer NOT NULL,
		amount numeric(12,2) NOT NULL);
		ALTER TABLE sales OWNER TO $PG_USER" > /dev/null
	if ! fill_inbox > "$d/fill.out" 2>&1; then
		check "$label" "the inbox filled" 0 "$(tail -n 1 "$d/fill.out")"
		return 1
	fi
	for ((h = 1; h <= n; h++)); do
		host_setup "$d/h$h" "$h" "$ldb" "$tdb"
	done
	# The job checked, and the ledger's schema made once before the
	# clock starts (each host would also make it on first use).
	if ! "$xfer" --home "$d/h1" check "$job" > "$d/check.out" 2>&1 ||
	    ! "$xfer" --home "$d/h1" status > "$d/status.out" 2>&1; then
		check "$label" "xfer check and status on a new ledger" 0 \
		    "$(cat "$d/check.out" "$d/status.out" | tail -n 1)"
		return 1
	fi
	# The claims' history, for the reclaims and the checks: a row for
	# every claim, release and finish (not for renewals), written by a
	# trigger in the claim's own transaction.  It costs each claim
	# statement one insert a key, in every run alike.
	if ! pgq "$ldb" "$audit_sql" > /dev/null; then
		check "$label" "the claims can be audited" 0 "no claims table in $ldb"
		return 1
	fi
	sync

	read -r busy0 all0 < <(busy_ticks)
	load0=$(cut -d ' ' -f 1 /proc/loadavg)
	pg0=$(tree_ticks "$(pg_pid)")
	remote_seen=()
	remote_sample
	rem0=$(remote_ticks)
	x0l=$(pgq "$ldb" "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$ldb'")
	x0t=$(pgq "$tdb" "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$tdb'")
	t0=$(now)
	deadline=$(($(date +%s) + run_timeout))
	echo 0 > "$d/progress"
	cur_run=$d
	cur_pids=()
	for ((h = 1; h <= n; h++)); do
		runner "$d/h$h" "$d/pid.h$h" "$d/stop" "$deadline" "$d/h$h.log" \
		    2> "$d/runner$h.err" &
		rpids+=("$!")
		cur_pids+=("$!")
	done
	if [ "$with_chaos" = 1 ]; then
		chaos "$d" "$n" "$ldb" &
		chaos_pid=$!
		cur_pids+=("$!")
	fi
	# Until every file is in the target (xfer_ingested, written in the
	# same transaction as the rows), or the deadline.  While PostgreSQL
	# restarts the count stays where it was.
	while :; do
		# (No xfer_ingested before the first ingest: no count.)
		last=$(pgq_quiet "$tdb" "SELECT count(*) FROM xfer_ingested" || true)
		case $last in '' | *[!0-9]*) ;; *) got=$last ;; esac
		echo "$got" > "$d/progress"
		remote_sample
		[ "$got" -lt "$files" ] || break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			r_note[$label]="stopped after ${run_timeout}s with $got of $files files in"
			break
		fi
		sleep 0.25
	done
	t1=$(now)
	# The clock stops here; the CPU is read before the loops end.
	read -r busy1 all1 < <(busy_ticks)
	cpu1=$(tree_ticks "${rpids[@]}")
	pg1=$(tree_ticks "$(pg_pid)")
	remote_sample
	rem1=$(remote_ticks)
	x1=$(pgq "$ldb" "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$ldb'")/$(pgq "$tdb" "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$tdb'")

	# The chaos ends (a paused host is woken first), then the loops end
	# after their current run; what is left runs once more, calm, like
	# the next cron tick.
	touch "$d/stop"
	if [ -n "$chaos_pid" ]; then
		wait "$chaos_pid" || true
	fi
	for i in "${rpids[@]}"; do
		while kill -0 "$i" 2> /dev/null && [ "$waited" -lt 600 ]; do
			sleep 0.1
			waited=$((waited + 1))
		done
	done
	for ((h = 1; h <= n; h++)); do
		if pid=$(live_xfer "$d/pid.h$h" "$d/h$h"); then
			kill -CONT "$pid" 2> /dev/null || true
			kill -KILL "$pid" 2> /dev/null || true
			r_note[$label]="${r_note[$label]:-}h$h's last run was killed after 60 s; "
		fi
	done
	for i in "${rpids[@]}"; do
		wait "$i" 2> /dev/null || true
	done
	cur_run=
	cur_pids=()
	for ((h = 1; h <= n; h++)); do
		timeout 120 "$xfer" --home "$d/h$h" -v --log-format json receive "$job" \
		    > /dev/null 2> "$d/h$h.final.log" || true
	done

	r_secs[$label]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	r_rate[$label]=$(awk -v s="${r_secs[$label]}" -v n="$got" 'BEGIN { printf "%.1f", n / s }')
	# The pg tree restarted in the chaos run: what it used before the
	# stop and since the restart.
	if [ -f "$d/pg-up.ticks" ]; then
		pg1=$(($(cat "$d/pg-stop.ticks") - pg0 + pg1 - $(cat "$d/pg-up.ticks")))
	else
		pg1=$((pg1 - pg0))
	fi
	rem1=$((rem1 - rem0))
	r_cpu[$label]="xfer $(secs_of "$cpu1") s, postgres $(secs_of "$pg1") s, $remote_name $(secs_of "$rem1") s: $(awk -v t=$((cpu1 + pg1 + rem1)) -v c="$clk" -v n="$got" 'BEGIN { printf "%.1f", n ? 1000 * t / c / n : 0 }') ms a file; the machine $(awk -v b=$((busy1 - busy0)) -v a=$((all1 - all0)) 'BEGIN { printf "%.0f", a ? 100 * b / a : 0 }')% busy (load average $load0 before, $(cut -d ' ' -f 1 /proc/loadavg) after)"
	r_xacts[$label]=$(awk -v x="$x1" -v l="$x0l" -v t="$x0t" -v n="$got" 'BEGIN {
		split(x, v, "/")
		if (n == 0) { print "-"; exit }
		printf "ledger %.1f, target %.2f", (v[1] - l) / n, (v[2] - t) / n }')

	# Claim latency: the receive path's debug event "claimed", one per
	# claim round, with the round's latency in ms.
	cat "$d"/h*.log | grep -F '"event":"claimed"' |
	    sed -n 's/.*"duration_ms":\([0-9][0-9]*\).*/\1/p' > "$d/claim_ms" || true
	r_nclaim[$label]=$(wc -l < "$d/claim_ms")
	r_p50[$label]=$(percentile 50 < "$d/claim_ms")
	r_p95[$label]=$(percentile 95 < "$d/claim_ms")

	fleet_checks "$label" "$n" "$with_chaos" "$d" "$tdb" "$ldb"
}

# fleet_checks LABEL NHOSTS CHAOS DIR TARGET-DB LEDGER-DB: the invariants.
fleet_checks() {
	local label=$1 n=$2 with_chaos=$3 d=$4 tdb=$5 ldb=$6 v ok h
	# 0 lost: every file's key and rows are in the target, the inbox is
	# empty (after_pull = delete).
	v=$(pgq "$tdb" "SELECT count(DISTINCT name) FROM xfer_ingested WHERE job = '$job'")
	[ "$v" = "$files" ] && ok=1 || ok=0
	check "$label" "0 lost: every file has its xfer_ingested key" "$ok" "$v of $files"
	v=$(pgq "$tdb" "SELECT count(DISTINCT file) FROM sales")
	[ "$v" = "$files" ] && ok=1 || ok=0
	check "$label" "0 lost: every file has rows in the table" "$ok" "$v of $files"
	v=$(inbox_left)
	[ "$v" = 0 ] && ok=1 || ok=0
	check "$label" "the inbox is empty (after_pull = delete)" "$ok" "$v left"
	# 0 ingested twice: one key a file, each file's rows exactly once.
	v=$(pgq "$tdb" "SELECT count(*) - count(DISTINCT name) FROM xfer_ingested WHERE job = '$job'")
	[ "$v" = 0 ] && ok=1 || ok=0
	check "$label" "0 ingested twice: one xfer_ingested key a file" "$ok" "$v extra"
	v=$(pgq "$tdb" "SELECT count(*) FROM sales")/$(pgq "$tdb" "SELECT count(*) FROM (SELECT file FROM sales GROUP BY file HAVING count(*) <> 5 + file % 6 OR count(DISTINCT line) <> count(*)) AS x")
	[ "$v" = "$want_rows/0" ] && ok=1 || ok=0
	check "$label" "0 ingested twice: every file's rows exactly once" "$ok" \
	    "${v%/*} rows of $want_rows, ${v#*/} files with a wrong count"
	v=$(pgq "$tdb" "SELECT count(*) FROM xfer_ingested k LEFT JOIN (SELECT file, count(*) AS n FROM sales GROUP BY file) AS s ON s.file = substr(k.name, 16, 5)::int WHERE k.records IS DISTINCT FROM s.n")
	[ "$v" = 0 ] && ok=1 || ok=0
	check "$label" "each key's records = its file's rows" "$ok" "$v differ"
	# The ledger: one ingested row a file, across the nodes; nothing
	# failed or held; nothing left in a spool's inbox.
	v=$(pgq "$ldb" "SELECT count(*) FROM (SELECT name FROM receive_files WHERE job = '$job' AND state = 'ingested' GROUP BY name HAVING count(*) > 1) AS x")/$(pgq "$ldb" "SELECT count(DISTINCT name) FROM receive_files WHERE job = '$job' AND state = 'ingested'")
	[ "$v" = "0/$files" ] && ok=1 || ok=0
	check "$label" "ledger: exactly one ingested row a file" "$ok" \
	    "${v#*/} files ingested, ${v%/*} with more than one row"
	v=$(pgq "$ldb" "SELECT coalesce(string_agg(state || ' ' || n, ', '), 'none') FROM (SELECT state, count(*) AS n FROM receive_files WHERE job = '$job' AND state NOT IN ('ingested', 'duplicate') GROUP BY state ORDER BY state) AS x")
	[ "$v" = none ] && ok=1 || ok=0
	check "$label" "ledger: no row left received, failed or held" "$ok" "$v"
	r_dups[$label]=$(pgq "$ldb" "SELECT count(*) FROM receive_files WHERE job = '$job' AND state = 'duplicate'")
	v=0
	for ((h = 1; h <= n; h++)); do
		v=$((v + $(find "$d/h$h/spool/$job" -path '*/in/*' -type f 2> /dev/null | wc -l)))
	done
	[ "$v" = 0 ] && ok=1 || ok=0
	check "$label" "no spool holds an unfinished pick-up" "$ok" "$v files"
	# 0 rows changed by a stale token: each file's ingested row was
	# written by the node that holds its claim in the end.
	fleet_stale_checks "$label" "$with_chaos" "$d" "$tdb" "$ldb"
}

# The claims' part of the checks, from the PostgreSQL ledger's claims
# table (kind, job, key = name LF size LF stamp, node, token, done) and
# the history fleet_claim_log kept of it.
fleet_stale_checks() {
	local label=$1 with_chaos=$2 d=$3 tdb=$4 ldb=$5 v ok h t p0 p1 p_taken p_said
	# Not a check: a done release lost (PostgreSQL restarting, a kill
	# after after_pull) leaves a claim open whose file is gone from the
	# source, so nobody claims it again; the files' checks above say
	# whether anything was lost.
	r_open[$label]=$(pgq "$ldb" "SELECT count(*) FILTER (WHERE NOT done) FROM claims WHERE kind = 'pull' AND job = '$job'")
	v=$(pgq "$ldb" "SELECT count(*) FROM claims WHERE kind = 'pull' AND job = '$job'")
	[ "$v" = "$files" ] && ok=1 || ok=0
	check "$label" "one claim a file" "$ok" "$v claims"
	# 0 rows changed by a stale token: the node whose row says a file
	# is ingested held the file's newest claim when the target committed
	# it (the commit time of its xfer_ingested key, copied over).  A node
	# that ingested with a claim taken over while it slept fails this.
	if ! PGCONNECT_TIMEOUT=5 timeout 60 "$PG_BIN/psql" -X -w -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d "$tdb" -c "COPY (SELECT name, pg_xact_commit_timestamp(xmin) FROM xfer_ingested WHERE job = '$job') TO STDOUT" 2>> "$work/psql.err" |
	    PGCONNECT_TIMEOUT=5 timeout 60 "$PG_BIN/psql" -X -w -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d "$ldb" -c "\\copy fleet_ingest_times FROM pstdin" 2>> "$work/psql.err"; then
		check "$label" "0 stale writes: the target's commit times copied" 0 "see $(show "$work/psql.err")"
	fi
	pgq "$ldb" "CREATE VIEW fleet_stale AS SELECT t.name, f.node, t.committed FROM fleet_ingest_times t JOIN receive_files f ON f.job = '$job' AND f.name = t.name AND f.state = 'ingested' WHERE t.committed IS NULL OR (SELECT l.node FROM fleet_claim_log l WHERE l.name = t.name AND l.kind = 'pull' AND l.ev = 'claim' AND l.at <= t.committed ORDER BY l.id DESC LIMIT 1) IS DISTINCT FROM f.node" > /dev/null
	v=$(pgq "$ldb" "SELECT count(*) FILTER (WHERE committed IS NULL) || '/' || count(*) FILTER (WHERE committed IS NOT NULL) FROM fleet_stale")
	[ "$v" = 0/0 ] && ok=1 || ok=0
	# The evidence: each such file's claims and when the target
	# committed it.
	pgq "$ldb" "SELECT s.name, 'ingested by ' || s.node || ' at ' || s.committed, l.ev, coalesce(l.old_node || '->', '') || l.node, l.token, l.at FROM fleet_stale s JOIN fleet_claim_log l USING (name) ORDER BY s.name, l.id" > "$d/stale.txt" || true
	check "$label" "0 stale writes: each file ingested by the holder of its newest claim" "$ok" \
	    "${v#*/} ingested by a node whose claim was taken over, ${v%%/*} without a commit time$([ "$ok" = 1 ] || printf '; see %s' "$(show "$d/stale.txt")")"
	v=$(pgq "$ldb" "SELECT count(*) FROM fleet_claim_log WHERE live")
	[ "$v" = 0 ] && ok=1 || ok=0
	check "$label" "0 claims taken from another node's live lease" "$ok" "$v taken"
	# A reclaim: a key claimed by another node while the last event of
	# its history was a claim (not a release): the lease ran out.
	r_reclaims[$label]=$(pgq "$ldb" "SELECT count(*) FILTER (WHERE old_node <> node) || ' by another node, ' || count(*) FILTER (WHERE old_node = node) || ' by the same node (its next run after a kill)' FROM (SELECT ev, old_node, node, lag(ev) OVER (PARTITION BY kind, name ORDER BY id) AS prev FROM fleet_claim_log) AS x WHERE ev = 'claim' AND prev = 'claim'")
	r_split[$label]=$(pgq "$ldb" "SELECT string_agg(node || ' ' || n, ', ' ORDER BY node) FROM (SELECT node, count(*) AS n FROM receive_files WHERE job = '$job' AND state = 'ingested' GROUP BY node) AS x")
	r_taken[$label]=$(cat "$d"/h*.log | grep -c -F 'taken over' || true)
	[ "$with_chaos" = 1 ] || return 0
	r_kills[$label]=$(grep -c ' kill ' "$d/chaos.log" || true)
	v=${r_kills[$label]}
	[ "$v" -gt 0 ] && ok=1 || ok=0
	check "$label" "chaos: hosts were SIGKILLed" "$ok" "$v kills"
	if [ -s "$d/pause" ]; then
		# "HOST STOP-EPOCH CONT-EPOCH": what the others took over
		# from it while it slept, and what it said when it woke.
		read -r h t v p0 p1 < "$d/pause"
		# Taken over: claimed from it while it slept, unless it had
		# given that claim (token - 1: each claim raises the token by
		# one) back or finished it before; a claim it released is
		# the fleet's, not "its claim taken over".
		p_taken=$(pgq "$ldb" "SELECT count(*) FROM fleet_claim_log c WHERE ev = 'claim' AND old_node = 'h$h' AND node <> 'h$h' AND at BETWEEN to_timestamp($t) AND to_timestamp($v) AND NOT EXISTS (SELECT 1 FROM fleet_claim_log r WHERE r.kind = c.kind AND r.name = c.name AND r.ev IN ('release', 'done') AND r.node = 'h$h' AND r.token = c.token - 1)")
		p_said=$(grep -c -F 'taken over' "$d/h$h.log" || true)
		r_pause[$label]="h$h stopped for $(awk -v a="$t" -v b="$v" 'BEGIN { printf "%.1f", b - a }') s (lease ${lease} s): $p_taken of its claims taken over meanwhile, $((p1 - p0)) files ingested by the others, $p_said \"taken over\" lines in its log"
		check "$label" "chaos: a host was SIGSTOPped past its lease and woken" 1 "${r_pause[$label]}"
		# Woken, it must find out and say so (its updates change
		# nothing), if it still had work under a lost claim.
		if [ "$p_taken" -gt 0 ]; then
			[ "$p_said" -gt 0 ] && ok=1 || ok=0
			check "$label" "the woken host says its claims were taken over" "$ok" "$p_said lines"
		fi
	else
		check "$label" "chaos: a host was SIGSTOPped past its lease and woken" 0 never
	fi
	v=$(grep -c ' pg-up$' "$d/chaos.log" || true)
	[ "$v" = 1 ] && ! grep -q pg-restart-failed "$d/chaos.log" && ok=1 || ok=0
	check "$label" "chaos: PostgreSQL was restarted" "$ok" "$v restarts"
}

if [ "$inbox_kind" = sftp ]; then
	inbox_label="SFTP inbox (OpenSSH sshd)"
else
	inbox_label="S3 inbox (moto $("$S3_PYTHON" -c 'import moto; print(moto.__version__)' 2> /dev/null))"
fi
printf 'fleet soak: %s files of 5-10 rows, %s -> PostgreSQL, ledger in PostgreSQL, lease %ss\n' \
    "$files" "$inbox_label" "$lease"
printf '%s CPUs, %s; PostgreSQL %s on 127.0.0.1\n\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(pgq "$PG_DB" 'SHOW server_version')"

status=0
fleet_run 1 1 0 || status=1
fleet_run 2 2 0 || status=1
if [ "$calm3" = 1 ]; then
	fleet_run 3calm 3 0 || status=1
fi
fleet_run 3 3 "$chaos" || status=1

printf '%-6s %5s %9s %9s %9s %9s  %s\n' run hosts seconds files/s \
    'claim p50' 'claim p95' 'files ingested by'
for l in "${labels[@]}"; do
	printf '%-6s %5s %9s %9s %9s %9s  %s\n' "$l" "${r_hosts[$l]}" \
	    "${r_secs[$l]:--}" "${r_rate[$l]:--}" "${r_p50[$l]:--} ms" \
	    "${r_p95[$l]:--} ms" "${r_split[$l]:--}"
done
printf '\nwhere the time went (CPU seconds while the clock ran; PostgreSQL transactions a file):\n'
for l in "${labels[@]}"; do
	printf '  %-5s %s\n' "$l" "${r_cpu[$l]:--}"
	printf '        transactions a file: %s; %s claim rounds\n' \
	    "${r_xacts[$l]:--}" "${r_nclaim[$l]:-0}"
	[ -z "${r_note[$l]:-}" ] || printf '        note: %s\n' "${r_note[$l]}"
done
for l in "${labels[@]}"; do
	printf '\nrun %s: reclaims %s; %s duplicate deliveries; %s "taken over" lines logged; %s claims left open\n' \
	    "$l" "${r_reclaims[$l]:--}" "${r_dups[$l]:--}" "${r_taken[$l]:-0}" "${r_open[$l]:--}"
	[ -f "$work/runs/$l/chaos.log" ] || continue
	printf '  chaos: %s SIGKILLs (%s times no xfer was running); %s\n' \
	    "${r_kills[$l]:-0}" "$(grep -c ' miss ' "$work/runs/$l/chaos.log" || true)" \
	    "${r_pause[$l]:-no pause}"
	grep -v -e ' kill ' -e ' miss ' "$work/runs/$l/chaos.log" |
	    awk '{ $1 = "at " $1 " s:"; print "  " $0 }'
done

printf '\ninvariants:\n'
printf '%s\n' "${check_lines[@]}"

printf '\ntargets:\n'
ratio=$(awk -v a="${r_rate[3]:-0}" -v b="${r_rate[1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')
if awk -v r="$ratio" -v t="$target_ratio" 'BEGIN { exit !(r >= t) }'; then
	verdict=met
else
	verdict='NOT met'
fi
printf '  %-52s %s (%sx)\n' "3 hosts >= ${target_ratio}x the files/s of one host" "$verdict" "$ratio"
if [ "$failed" = 0 ]; then
	verdict=met
else
	verdict='NOT met'
fi
printf '  %-52s %s\n' 'every invariant holding' "$verdict"
printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" = 0 ] || status=1
exit "$status"
