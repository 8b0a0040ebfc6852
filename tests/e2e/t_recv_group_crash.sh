# Crashes inside a receive run's groups (lib/recvjob.c process_group,
# lib/recv_pickup.c pick_group): 300 small files (two groups) with one bad
# file in the first, killed at each point of the grouped path (the fault
# build's FAULT_POINTs), then run again until settled.  Every row is then
# in the target exactly once (rows and xfer_ingested keys counted), every
# file in the backup exactly once, the bad one alone in the failed area,
# the ledger agreeing with the target and the spool.  Needs FAULT_XFER.
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "skip: needs FAULT_XFER (make fault)"
	exit 0
fi
D=2026-11-24
NFILES=300
BAD=g_20261124_120.csv

# The inbox, made once.
mkdir -p "$T/inbox"
n=1
while [ "$n" -le "$NFILES" ]; do
	f=$(printf 'g_20261124_%03d.csv' "$n")
	printf 'date,store,amount\n%s,s%d,%d.01\n%s,s%d,%d.02\n' \
	    "$D" "$n" "$n" "$D" "$n" "$n" > "$T/inbox/$f"
	n=$((n + 1))
done
printf 'date,store,amount\n%s,s120,1\n%s,s120,"2\n' "$D" "$D" > "$T/inbox/$BAD"
# A few come with their manifests.
for k in 001 002 130 299; do
	(cd "$T/inbox" && sha256sum "g_20261124_$k.csv" > "g_20261124_$k.csv.sha256")
done
GOOD=$((NFILES - 1))

home() {
	rm -rf "$H"
	mkdir -p "$H/jobs" "$H/data" "$H/spool"
	cp -r "$T/inbox" "$H/inbox"
	job gc <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = g_{date:%Y%m%d}_*.csv
settle = 0s
[ingest]
type = sqlite
database = data/t.db
table = t
[backup]
compress = $1
JOB
}

check() {
	db="$H/data/t.db"
	[ "$(sqlite3 "$db" "SELECT count(*), count(DISTINCT store || amount) FROM t")" = \
	    "$((GOOD * 2))|$((GOOD * 2))" ] ||
	    fail "$what: rows: $(sqlite3 "$db" "SELECT count(*), count(DISTINCT store || amount) FROM t")"
	[ "$(sqlite3 "$db" "SELECT count(*), count(DISTINCT name) FROM xfer_ingested")" = "$GOOD|$GOOD" ] ||
	    fail "$what: keys: $(sqlite3 "$db" "SELECT count(*), count(DISTINCT name) FROM xfer_ingested")"
	[ "$(sqlite3 "$db" "SELECT count(*) FROM t WHERE store = 's120'")" = 0 ] ||
	    fail "$what: rows of the bad file"
	[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "$what: target integrity"
	[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "$what: ledger integrity"
	# The ledger: one row a file, ingested (the bad one failed), each
	# under the delivery its key names, where the file is.
	[ "$(sql "SELECT count(*), count(DISTINCT name) FROM receive_files")" = "$NFILES|$NFILES" ] ||
	    fail "$what: ledger rows: $(sql "SELECT count(*), count(DISTINCT name) FROM receive_files")"
	[ "$(sql "SELECT state FROM receive_files WHERE name = '$BAD'")" = failed ] ||
	    fail "$what: the bad file: $(sql "SELECT * FROM receive_files WHERE name = '$BAD'")"
	[ "$(sql "SELECT count(*) FROM receive_files WHERE state = 'ingested'")" = "$GOOD" ] ||
	    fail "$what: ingested: $(sql "SELECT state, count(*) FROM receive_files GROUP BY 1")"
	[ "$(sql "SELECT group_concat(id || name, ',') FROM (SELECT id, name FROM receive_files WHERE state = 'ingested' ORDER BY name)")" = \
	    "$(sqlite3 "$db" "SELECT group_concat(delivery || name, ',') FROM (SELECT delivery, name FROM xfer_ingested ORDER BY name)")" ] ||
	    fail "$what: ledger and xfer_ingested disagree"
	bad=$(sql "SELECT count(*) FROM receive_files WHERE state = 'ingested' AND spool NOT LIKE '$H/spool/gc/backup/2026/11/24/%'")
	[ "$bad" = 0 ] || fail "$what: $bad ingested rows not in the backup"
	# Backups: each file once, with its bytes; the manifests beside.
	b="$H/spool/gc/backup/2026/11/24"
	ext=
	[ "$1" = gzip ] && ext=.gz
	[ "$(find "$b" -name 'g_*.csv*' ! -name '*.sha256' | wc -l)" = "$GOOD" ] ||
	    fail "$what: backups: $(find "$b" -name 'g_*.csv*' ! -name '*.sha256' | wc -l)"
	for k in 001 130 300; do
		f=g_20261124_$k.csv
		if [ "$1" = gzip ]; then
			gzip -dc "$b/$f$ext" | cmp -s - "$T/inbox/$f"
		else
			cmp -s "$b/$f" "$T/inbox/$f"
		fi || fail "$what: backup of $f"
	done
	for k in 001 002 130 299; do
		[ -f "$b/g_20261124_$k.csv$ext.sha256" ] || fail "$what: manifest of $k"
	done
	# The spool: nothing left in in/, the bad file alone in its token.
	[ -z "$(find "$H/spool/gc/in" -mindepth 1)" ] ||
	    fail "$what: left in in/: $(find "$H/spool/gc/in" -mindepth 1 | head -3)"
	p=$(sql "SELECT spool FROM receive_files WHERE name = '$BAD'")
	cmp -s "$p" "$T/inbox/$BAD" || fail "$what: the bad file is not at '$p'"
	[ "$(ls -A "$(dirname "$p")")" = "$BAD
$BAD.error" ] || fail "$what: the bad file's token: $(ls -A "$(dirname "$p")")"
	[ "$(find "$H/spool/gc/failed" -name "$BAD" | wc -l)" = 1 ] ||
	    fail "$what: the bad file is in the failed area more than once"
	[ -z "$(ls -A "$H/inbox")" ] || fail "$what: inbox: $(ls -A "$H/inbox" | head -3)"
}

n=0
# crash POINT[:HIT] BACKUP-COMPRESS
crash() {
	n=$((n + 1))
	point=${1%%:*}
	hit=${1#"$point"}; hit=${hit#:}; hit=${hit:-1}
	what="$1 ($2)"
	H="$T/h$n"
	home "$2"
	spec=$point:kill
	[ "$hit" = 1 ] || spec=$point:kill:$hit
	# Killed, it never reports leaks: the fast unwinder will do (the
	# slow one, for the leak suppressions, costs seconds a run here).
	XFER_FAULT=$spec ASAN_OPTIONS=detect_leaks=0:fast_unwind_on_malloc=1 \
	    "$FAULT_XFER" --home "$H" receive gc >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] || fail "$what: the fault run exited $rc: point not reached"
	grep -q "fault point '$point' hit $hit: killing" "$T/err" ||
	    fail "$what: killed, but not at the point"
	# The bad file fails (exit 1) in the run that meets it; after that
	# a run has nothing left to do.
	for i in 1 2 3; do
		x receive gc
		[ "$rc" = 0 ] && break
	done
	[ "$rc" = 0 ] || fail "$what: not settled after 3 runs (exit $rc)"
	check "$2"
	rm -rf "$H"
	echo "ok $what: settled in $i run(s)"
}

# Pick-up: after the renames (before the group is durable), a row of the
# second group, after the second group is durable.
crash recv_group_pickup_renamed none
crash recv_before_received_commit:290 none
crash recv_after_pickup:2 none
# The target's transaction: a row of a file, before the first commit,
# after the second.
crash ingest_mid:30 none
crash ingest_before_commit none
crash ingest_after_commit:2 none
# The bad file's move out of the group's token, after the ledger heard.
crash recv_failed_recorded none
# The finish: before the ledger's commit, before the backup, between the
# renames into the backup, before its fsync, after it, before the last
# ledger commit; a backup gzip'd on the way.
for p in recv_group_before_ledger recv_before_backup recv_mid_backup:100 \
    recv_group_mid_backup recv_group_after_backup recv_after_backup:2; do
	crash "$p" none
done
crash recv_mid_backup:100 gzip
crash recv_group_after_backup gzip
