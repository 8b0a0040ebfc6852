# The crash loop: for every crash point of lib/fault.h, a fresh home, the
# fault build ($FAULT_XFER, `make fault`) killed by SIGKILL at that point,
# then the normal $XFER_BIN run until it settles (at most 3 runs), then
# the invariants: the batch is in exactly one terminal place, whole, once;
# the ledger agrees with the spool; both databases pass integrity_check.
# Send goes over SFTP (real sshd), HTTPS (real nginx) and to a local
# directory; receive takes a local inbox into SQLite, and pulls from the
# same sshd and nginx (after_pull = delete or move:done) into SQLite.
# Versions: a replace-date A, B, A whose third delivery is killed on its
# way in, and a new version killed before it supersedes a failed one.
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "SKIP: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\`"
	exit 0
fi
start_sshd
start_nginx
chmod 600 "$SSHD_CLIENT_KEY"
D="2026-11-24"

# Inputs, made once: small, and big enough for the :N points in loops
# (SFTP reads 2 MiB a call, HTTPS 64 KiB, a durable copy 256 KiB).
printf 'id,v\n1,a\n2,b\n3,c\n' > "$T/small.csv"
awk 'BEGIN { print "id,v"; for (i = 0; i < 100000; i++)
    printf "%d,abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvw\n", i }' \
    > "$T/big.csv"

# --- send ---------------------------------------------------------------

# send_home KIND INPUT: a fresh home $H with job cl sending INPUT to a
# fresh destination of KIND (sftp, https, dir); $DEST is its directory.
send_home() {
	mkdir -p "$H/jobs" "$H/data" "$H/spool"
	cp "$T/$2.csv" "$H/data/in.csv"
	case $1 in
	sftp)
		DEST="$SSHD_HOME/$n"
		up="url = $SSHD_URL$DEST/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS" ;;
	https)
		DEST="$NGINX_ROOT/dav/$n"
		up="url = $NGINX_URL/dav/$n/
ca_file = $NGINX_CA" ;;
	dir)
		DEST="$T/dest/$n"
		up="url = $DEST" ;;
	esac
	job cl <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in.csv
[output]
name = cl_{date}.csv
[upload]
$up
retries = 0
connect_timeout = 5s
JOB
}

check_send() {
	f="cl_$D.csv"
	s="$H/spool/cl/sent/$D"
	[ "$(sql "SELECT count(*) FROM send_batches")" = 1 ] ||
	    fail "$what: ledger rows: $(sql 'SELECT * FROM send_batches')"
	row=$(sql "SELECT state, file, sha256, bytes FROM send_batches")
	[ -f "$s/$f" ] && [ -f "$s/$f.sha256" ] && [ -f "$s/batch.meta" ] ||
	    fail "$what: sent/$D incomplete: $(ls -la "$s" 2>&1)"
	sha=$(sha256sum "$s/$f" | cut -d' ' -f1)
	[ "$row" = "sent|$f|$sha|$(stat -c %s "$s/$f")" ] ||
	    fail "$what: ledger '$row' disagrees with the spool ($sha)"
	grep -q "$sha" "$s/batch.meta" || fail "$what: batch.meta disagrees"
	[ -z "$(ls -A "$H/spool/cl/out")" ] && [ -z "$(ls -A "$H/spool/cl/tmp")" ] ||
	    fail "$what: out/ or tmp/ not empty: $(ls -AR "$H/spool/cl/out" "$H/spool/cl/tmp")"
	[ "$(ls -A "$DEST" | sort | tr '\n' ' ')" = "$f $f.sha256 " ] ||
	    fail "$what: destination holds: $(ls -A "$DEST")"
	(cd "$DEST" && sha256sum -c "$f.sha256" >/dev/null 2>&1) ||
	    fail "$what: manifest check at the destination"
	cmp -s "$DEST/$f" "$s/$f" || fail "$what: destination differs from the spool"
	[ "$(sql "SELECT count(*) <= 1 FROM attempts WHERE ok = 1")" = 1 ] ||
	    fail "$what: sent more than once"
}

# --- receive --------------------------------------------------------------

# recv_home INPUT BACKUP-COMPRESS: a fresh home $H with job rc and the
# file r_D.csv (with its manifest) in the inbox.
recv_home() {
	mkdir -p "$H/jobs" "$H/data" "$H/spool" "$H/inbox"
	cp "$T/$1.csv" "$H/inbox/r_$D.csv"
	(cd "$H/inbox" && sha256sum "r_$D.csv" > "r_$D.csv.sha256")
	job rc <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date}.csv
settle = 0s
[ingest]
type = sqlite
database = data/t.db
table = t
[backup]
compress = $2
JOB
}

check_recv() {
	f="r_$D.csv"
	db="$H/data/t.db"
	sha=$(sha256sum "$T/$1.csv" | cut -d' ' -f1)
	want=$(($(wc -l < "$T/$1.csv") - 1))
	[ "$(sqlite3 "$db" "SELECT count(*) FROM t")" = "$want" ] ||
	    fail "$what: $(sqlite3 "$db" "SELECT count(*) FROM t") rows, not $want"
	[ "$(sqlite3 "$db" "SELECT count(*), sum(sha256 = '$sha') FROM xfer_ingested")" = "1|1" ] ||
	    fail "$what: xfer_ingested: $(sqlite3 "$db" "SELECT * FROM xfer_ingested")"
	[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "$what: target integrity"
	b="$H/spool/rc/backup/2026/11/24/$f"
	[ "$2" = gzip ] && b="$b.gz"
	# One row ingested; a pulled file fetched again after a crash is one
	# more row, a duplicate of the same bytes in the same backup file.
	rows="ingested|$sha|$b|$want"
	k=0
	while [ "$k" -lt "${dups:-0}" ]; do
		rows="$rows duplicate|$sha|$b|$want"
		k=$((k + 1))
	done
	row=$(sql "SELECT group_concat(r, ' ') FROM (SELECT state || '|' ||
	    sha256 || '|' || spool || '|' || records AS r FROM receive_files
	    ORDER BY state DESC, id)")
	[ "$row" = "$rows" ] ||
	    fail "$what: ledger rows '$row', want '$rows'"
	if [ "$2" = gzip ]; then
		[ "$(gzip -dc "$b" | sha256sum | cut -d' ' -f1)" = "$sha" ] ||
		    fail "$what: backup is not the file"
	else
		[ "$(sha256sum "$b" | cut -d' ' -f1)" = "$sha" ] ||
		    fail "$what: backup is not the file"
	fi
	[ "$(ls -A "$(dirname "$b")" | sort | tr '\n' ' ')" = "$(basename "$b") $(basename "$b").sha256 " ] ||
	    fail "$what: backup holds: $(ls -A "$(dirname "$b")")"
	ins=inbox
	[ "${3:-}" = pull ] && ins=
	for a in $ins spool/rc/in spool/rc/tmp; do
		[ -z "$(ls -A "$H/$a")" ] || fail "$what: $a not empty: $(ls -AR "$H/$a")"
	done
	[ ! -e "$H/spool/rc/failed" ] || [ -z "$(ls -A "$H/spool/rc/failed")" ] ||
	    fail "$what: failed area not empty"
}

# --- receive by pulling ---------------------------------------------------

# pull_home KIND INPUT AFTER: a fresh home $H with job rc pulling r_D.csv
# and its manifest from a fresh directory $SRC of the real sshd or nginx;
# AFTER is after_pull (delete or move:done).  Beside them, the manifest
# of the next day's file, sent ahead of it: never ours to take.
pull_home() {
	mkdir -p "$H/jobs" "$H/data" "$H/spool"
	case $1 in
	sftp)
		SRC="$SSHD_HOME/p$n"
		src="url = $SSHD_URL$SRC/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS" ;;
	https)
		SRC="$NGINX_ROOT/dav/p$n"
		src="url = $NGINX_URL/dav/p$n/
ca_file = $NGINX_CA" ;;
	esac
	mkdir -p "$SRC"
	[ "$3" = delete ] || mkdir "$SRC/done"
	cp "$T/$2.csv" "$SRC/r_$D.csv"
	(cd "$SRC" && sha256sum "r_$D.csv" > "r_$D.csv.sha256")
	echo "$(echo next | sha256sum | cut -d' ' -f1)  r_2026-11-25.csv" \
	    > "$SRC/r_2026-11-25.csv.sha256"
	chown -R "$SSHD_USER" "$SRC" 2>/dev/null
	job rc <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
$src
pattern = r_{date}.csv
settle = 0s
require_manifest = yes
after_pull = $3
retries = 0
connect_timeout = 5s
[ingest]
type = sqlite
database = data/t.db
table = t
[backup]
compress = none
JOB
}

# check_src INPUT AFTER: nothing of the batch is left at the source (the
# next day's manifest is); with move:done the file and its manifest are
# whole in done/.
check_src() {
	f="r_$D.csv"
	ahead=r_2026-11-25.csv.sha256
	if [ "$2" = delete ]; then
		[ "$(ls -A "$SRC")" = "$ahead" ] ||
		    fail "$what: the source holds: $(ls -A "$SRC")"
		return
	fi
	[ "$(ls -A "$SRC" | sort | tr '\n' ' ')" = "done $ahead " ] &&
	    [ "$(ls -A "$SRC/done" | sort | tr '\n' ' ')" = "$f $f.sha256 " ] ||
	    fail "$what: the source holds: $(ls -AR "$SRC")"
	cmp -s "$SRC/done/$f" "$T/$1.csv" &&
	    (cd "$SRC/done" && sha256sum -c "$f.sha256" >/dev/null 2>&1) ||
	    fail "$what: done/ does not hold the file and its manifest"
}

# What the kill must have left where a point's step is visible: proof
# that it died in the middle, not before or after.
after_kill() {
	f=cl_$D.csv
	case "$1:$2:$point:$hit" in
	send:sftp:upload_mid:*|send:dir:copy_mid:*|send:*:remote_before_rename:1|\
	send:dir:copy_before_rename:1)
		[ -e "$DEST/$f.part" ] && [ ! -e "$DEST/$f" ] ||
		    fail "$what: want only $f.part at the destination: $(ls -A "$DEST")" ;;
	send:*:remote_after_rename:1|send:*:manifest_before_upload:1)
		[ -e "$DEST/$f" ] && [ ! -e "$DEST/$f.sha256" ] ||
		    fail "$what: want $f without its manifest: $(ls -A "$DEST")" ;;
	send:*:send_before_sent_move:1)
		[ -e "$DEST/$f.sha256" ] && [ -d "$H/spool/cl/out/$D" ] ||
		    fail "$what: want delivered, still in out/" ;;
	receive:*:ingest_mid:*|receive:*:ingest_before_commit:*)
		[ "$(sqlite3 "$H/data/t.db" "SELECT count(*) FROM sqlite_master")" = 0 ] ||
		    fail "$what: the target holds part of an ingest" ;;
	receive:*:recv_after_manifest_pickup:*)
		[ -e "$H/inbox/r_$D.csv" ] && [ ! -e "$H/inbox/r_$D.csv.sha256" ] ||
		    fail "$what: want the file in the inbox, its manifest gone" ;;
	esac
	[ "$1" = pull ] || return 0
	f=r_$D.csv
	tok=$(ls -d "$H"/spool/rc/in/* 2>/dev/null)
	rows=$(sql "SELECT group_concat(state) FROM receive_files")
	case "$point:$hit" in
	pull_mid_download:1)
		[ "$(ls -A "$tok" 2>&1)" = "$f.sha256" ] && [ -z "$rows" ] ||
		    fail "$what: want only the manifest in in/TOKEN: $(ls -A "$tok" 2>&1)" ;;
	pull_mid_download:*)
		sz=$(stat -c %s "$tok/.download.$f" 2>/dev/null || echo 0)
		[ "$sz" -gt 0 ] && [ "$sz" -lt "$(stat -c %s "$T/$3.csv")" ] &&
		    [ ! -e "$tok/$f" ] && [ -z "$rows" ] ||
		    fail "$what: want part of the file in .download.$f ($sz bytes), nothing recorded: $(ls -A "$tok" 2>&1)" ;;
	pull_after_download:*|recv_before_received_commit:*)
		cmp -s "$tok/$f" "$T/$3.csv" && [ -f "$tok/$f.sha256" ] &&
		    [ ! -e "$tok/.download.$f" ] && [ -z "$rows" ] &&
		    [ -e "$SRC/$f" ] ||
		    fail "$what: want the whole file in in/TOKEN, unrecorded, still at the source" ;;
	pull_before_remove:1)
		[ "$rows" = received ] && [ -e "$SRC/$f" ] && [ -e "$SRC/$f.sha256" ] ||
		    fail "$what: want it received, the source untouched: $(ls -A "$SRC")" ;;
	pull_before_remove:2)
		[ "$rows" = received ] && [ ! -e "$SRC/$f" ] && [ -e "$SRC/$f.sha256" ] &&
		    { [ "$4" = delete ] || [ -e "$SRC/done/$f" ]; } ||
		    fail "$what: want the file gone from the source, its manifest not: $(ls -AR "$SRC")" ;;
	ingest_after_commit:*)
		[ "$(sqlite3 "$H/data/t.db" "SELECT count(*) FROM xfer_ingested")" = 1 ] &&
		    [ "$rows" = received ] && [ ! -e "$SRC/$f.sha256" ] ||
		    fail "$what: want it committed, the ledger behind, the source done" ;;
	recv_mid_backup:*)
		[ -f "$H/spool/rc/backup/2026/11/24/$f" ] && [ -f "$tok/$f.sha256" ] &&
		    [ "$rows" = ingested ] ||
		    fail "$what: want the file in the backup, its manifest in in/TOKEN" ;;
	esac
}

# --- the loop ---------------------------------------------------------------

n=0
# crash SPEC DIRECTION KIND INPUT [AFTER_PULL]: one point, one fresh home.
# DIRECTION send (KIND sftp, https, dir), receive (KIND the backup's
# compress) or pull (KIND sftp, https).
crash() {
	n=$((n + 1))
	point=${1%%:*}
	hit=${1#"$point"}; hit=${hit#:}; hit=${hit:-1}
	what="$1 ($2 $3 $4${5:+ $5})"
	H="$T/h$n"
	after=${5:-}
	# Killed after the pulled file is durable in the spool but before
	# the source let go of it, the next run pulls it again: that copy is
	# recorded as a duplicate, one more ledger row, never ingested twice.
	dups=0
	case "$2:$point:$hit" in
	pull:pull_after_download:*|pull:recv_before_received_commit:*|\
	pull:pull_before_remove:1)
		dups=1 ;;
	esac
	if [ "$2" = send ]; then
		send_home "$3" "$4"
		set -- "$1" "$2" "$3" "$4" send cl
		export XFER_NOW="2026-11-25 10:00"
	elif [ "$2" = pull ]; then
		pull_home "$3" "$4" "$5"
		set -- "$1" "$2" "$3" "$4" receive rc
		unset XFER_NOW
	else
		recv_home "$4" "$3"
		set -- "$1" "$2" "$3" "$4" receive rc
		unset XFER_NOW
	fi
	spec=$point:kill
	[ "$hit" = 1 ] || spec=$point:kill:$hit
	XFER_FAULT=$spec "$FAULT_XFER" --home "$H" "$5" "$6" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] || fail "$what: the fault run exited $rc: point not reached"
	grep -q "fault point '$point' hit $hit: killing" "$T/err" ||
	    fail "$what: killed, but not at the point"
	after_kill "$2" "$3" "$4" "$after"
	for i in 1 2 3; do
		x "$5" "$6"
		[ "$rc" = 0 ] && break
	done
	[ "$rc" = 0 ] || fail "$what: not settled after 3 runs (exit $rc)"
	[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "$what: ledger integrity"
	if [ "$2" = send ]; then
		check_send
	elif [ "$2" = pull ]; then
		check_recv "$4" none pull
		check_src "$4" "$after"
	else
		check_recv "$4" "$3"
	fi
	rm -rf "$H"
	echo "ok $what: settled in $i run(s)"
}

for kind in sftp https dir; do
	for p in send_after_write send_after_fsync send_after_out_rename \
	    send_after_produced_commit manifest_before_upload \
	    send_before_sent_move send_before_sent_commit; do
		crash "$p" send "$kind" small
	done
done
for kind in sftp https; do
	crash upload_start send "$kind" small
	crash upload_start:2 send "$kind" small		# the manifest
	crash remote_before_rename send "$kind" small
	crash remote_before_rename:2 send "$kind" small
	crash remote_after_rename send "$kind" small
	crash remote_after_rename:2 send "$kind" small
done
crash upload_mid:2 send sftp big
crash upload_mid:8 send https big
crash copy_mid:3 send dir big
crash copy_before_rename send dir small
crash copy_before_rename:2 send dir small

for bk in none gzip; do
	for p in recv_after_manifest_pickup recv_after_pickup \
	    recv_before_received_commit ingest_before_commit \
	    ingest_after_commit recv_before_backup recv_mid_backup \
	    recv_after_backup; do
		crash "$p" receive "$bk" small
	done
done
crash ingest_mid:50000 receive none big

# Pulls: mid-download (the manifest's one chunk, then the data file's),
# each durability step of a pull, and the receive steps after it.
for kind in sftp https; do
	crash pull_mid_download:3 pull "$kind" big delete
	for p in pull_after_download recv_before_received_commit \
	    pull_before_remove pull_before_remove:2 ingest_after_commit \
	    recv_mid_backup; do
		crash "$p" pull "$kind" small delete
	done
	crash pull_before_remove pull "$kind" small move:done
	crash pull_before_remove:2 pull "$kind" small move:done
done
# nginx lists by name: hit 1 is the one chunk of r_D.csv's manifest.
crash pull_mid_download pull https small delete

# --- versions (SPEC.md section 4, v3) ---------------------------------------
# versions_home KIND: a fresh home $H whose job rc (replace-date) has a
# history made by the normal build, and a new version in the inbox:
#   aba        A and B ingested, A again waiting: the version applied now
#              is B, so A is a new version again and must end up applied
#              (a crash must not pass it off as the earlier A);
#   supersede  a file that failed (wrong columns), then a good version of
#              the same date waiting: it goes in and supersedes the other.
versions_home() {
	mkdir -p "$H/jobs" "$H/data" "$H/spool" "$H/inbox"
	job rc <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date}.csv
settle = 0s
[ingest]
type = sqlite
database = data/t.db
table = t
mode = replace-date
date_column = id
columns = id, v
JOB
	f="$H/inbox/r_$D.csv"
	if [ "$1" = aba ]; then
		# The date column is id: every row carries the date.
		printf 'id,v\n%s,a1\n%s,a2\n%s,a3\n' "$D" "$D" "$D" > "$T/va.csv"
		printf 'id,v\n%s,b\n' "$D" > "$T/vb.csv"
		cp "$T/va.csv" "$f"; x receive rc
		[ "$rc" = 0 ] || fail "$what: setup A: exit $rc"
		cp "$T/vb.csv" "$f"; x receive rc
		[ "$rc" = 0 ] || fail "$what: setup B: exit $rc"
		cp "$T/va.csv" "$f"
	else
		printf 'id,x\n%s,bad\n' "$D" > "$f"; x receive rc
		[ "$rc" = 1 ] || fail "$what: setup: the bad file exited $rc"
		printf 'id,v\n%s,a1\n%s,a2\n%s,a3\n' "$D" "$D" "$D" > "$T/va.csv"
		cp "$T/va.csv" "$f"
	fi
}

check_versions() {
	db="$H/data/t.db"
	sha=$(sha256sum "$T/va.csv" | cut -d' ' -f1)
	[ "$(sqlite3 "$db" "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)")" = "a1,a2,a3" ] ||
	    fail "$what: the target holds: $(sqlite3 "$db" 'SELECT * FROM t')"
	[ "$(sqlite3 "$db" "SELECT sha256 FROM xfer_applied")" = "$sha" ] ||
	    fail "$what: xfer_applied: $(sqlite3 "$db" 'SELECT * FROM xfer_applied')"
	[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "$what: target integrity"
	want="ingested ingested ingested"
	[ "$1" = supersede ] && want="superseded ingested"
	got=$(sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM receive_files ORDER BY id)")
	[ "$got" = "$want" ] || fail "$what: ledger '$got', want '$want'"
	for a in inbox spool/rc/in spool/rc/tmp; do
		[ -z "$(ls -A "$H/$a")" ] || fail "$what: $a not empty: $(ls -AR "$H/$a")"
	done
	x status --failed rc
	[ "$rc" = 0 ] || fail "$what: status --failed exits $rc"
	if [ "$1" = supersede ]; then
		[ "$(find "$H/spool/rc/failed" -name "r_$D.csv" | wc -l)" = 1 ] ||
		    fail "$what: the superseded file is not in the failed area"
		grep -q "superseded by" "$H"/spool/rc/failed/*/"r_$D.csv.error" ||
		    fail "$what: its .error does not say superseded"
	fi
}

# crash_versions SPEC KIND: as crash(), for a versions_home.
crash_versions() {
	n=$((n + 1))
	point=${1%%:*}
	hit=${1#"$point"}; hit=${hit#:}; hit=${hit:-1}
	what="$1 (versions $2)"
	H="$T/h$n"
	unset XFER_NOW
	versions_home "$2"
	spec=$point:kill
	[ "$hit" = 1 ] || spec=$point:kill:$hit
	XFER_FAULT=$spec "$FAULT_XFER" --home "$H" receive rc >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] || fail "$what: the fault run exited $rc: point not reached"
	grep -q "fault point '$point' hit $hit: killing" "$T/err" ||
	    fail "$what: killed, but not at the point"
	if [ "$point" = recv_before_supersede ]; then
		[ "$(sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM receive_files ORDER BY id)")" = "failed ingested" ] ||
		    fail "$what: want the new version in, the old one still failed"
	fi
	for i in 1 2 3; do
		x receive rc
		[ "$rc" = 0 ] && break
	done
	[ "$rc" = 0 ] || fail "$what: not settled after 3 runs (exit $rc)"
	[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "$what: ledger integrity"
	check_versions "$2"
	rm -rf "$H"
	echo "ok $what: settled in $i run(s)"
}

for p in recv_after_pickup recv_before_received_commit ingest_before_commit \
    ingest_after_commit recv_before_backup recv_after_backup; do
	crash_versions "$p" aba
done
for p in ingest_after_commit recv_before_backup recv_before_supersede; do
	crash_versions "$p" supersede
done
