# The crash loop: for every crash point of lib/fault.h, a fresh home, the
# fault build ($FAULT_XFER, `make fault`) killed by SIGKILL at that point,
# then the normal $XFER_BIN run until it settles (at most 3 runs), then
# the invariants: the batch is in exactly one terminal place, whole, once;
# the ledger agrees with the spool; both databases pass integrity_check.
# Send goes over SFTP (real sshd), HTTPS (real nginx) and to a local
# directory; receive takes a local inbox into SQLite.
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
	[ "$(sql "SELECT count(*) FROM receive_files")" = 1 ] ||
	    fail "$what: ledger rows: $(sql 'SELECT id, name, state, spool FROM receive_files')"
	b="$H/spool/rc/backup/2026/11/24/$f"
	[ "$2" = gzip ] && b="$b.gz"
	row=$(sql "SELECT state, sha256, spool, records FROM receive_files")
	[ "$row" = "ingested|$sha|$b|$want" ] ||
	    fail "$what: ledger row '$row', want ingested in '$b', $want records"
	if [ "$2" = gzip ]; then
		[ "$(gzip -dc "$b" | sha256sum | cut -d' ' -f1)" = "$sha" ] ||
		    fail "$what: backup is not the file"
	else
		[ "$(sha256sum "$b" | cut -d' ' -f1)" = "$sha" ] ||
		    fail "$what: backup is not the file"
	fi
	[ "$(ls -A "$(dirname "$b")" | sort | tr '\n' ' ')" = "$(basename "$b") $(basename "$b").sha256 " ] ||
	    fail "$what: backup holds: $(ls -A "$(dirname "$b")")"
	for a in inbox spool/rc/in spool/rc/tmp; do
		[ -z "$(ls -A "$H/$a")" ] || fail "$what: $a not empty: $(ls -AR "$H/$a")"
	done
	[ ! -e "$H/spool/rc/failed" ] || [ -z "$(ls -A "$H/spool/rc/failed")" ] ||
	    fail "$what: failed area not empty"
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
}

# --- the loop ---------------------------------------------------------------

n=0
# crash SPEC DIRECTION KIND INPUT: one point, one fresh home.
crash() {
	n=$((n + 1))
	point=${1%%:*}
	hit=${1#"$point"}; hit=${hit#:}; hit=${hit:-1}
	what="$1 ($2 $3 $4)"
	H="$T/h$n"
	if [ "$2" = send ]; then
		send_home "$3" "$4"
		set -- "$1" "$2" "$3" "$4" send cl
		export XFER_NOW="2026-11-25 10:00"
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
	after_kill "$2" "$3"
	for i in 1 2 3; do
		x "$5" "$6"
		[ "$rc" = 0 ] && break
	done
	[ "$rc" = 0 ] || fail "$what: not settled after 3 runs (exit $rc)"
	[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "$what: ledger integrity"
	if [ "$2" = send ]; then
		check_send
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
