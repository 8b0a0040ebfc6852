# The crash loop for groups (lib/fault.h, "Send of a group"): a catch-up
# of 20 dates, built in groups (7 of the first 8 dates, then 13) while the connections deliver
# the group before, killed by SIGKILL at each step of a group (files
# written, not synced; synced, not renamed; renamed, not recorded;
# recorded, not delivered; part of the deliveries done, on 4 SFTP
# connections; delivered, not moved; moved, not recorded), then the
# normal build run until it settles.  Each time every date ends sent,
# once, whole: the remote holds exactly the right bytes under each name
# and nothing else, the ledger and the spool agree.  A local directory
# with one connection (no thread) takes the same points.
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "SKIP: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\`"
	exit 0
fi
start_sshd
chmod 600 "$SSHD_CLIENT_KEY"
D0=2026-10-01
N=21			# D0, sent before, and the 20 dates of the catch-up
NOW="2026-10-22 10:00"	# yesterday: 2026-10-21 = D0 + 20
mkdir -p "$T/in"
i=0
while [ "$i" -lt "$N" ]; do
	d=$(date -u -d "$D0 + $i day" +%F)
	printf 'date,n\n%s,%s\n' "$d" "$i" > "$T/in/in_$d.csv"
	i=$((i + 1))
done

n=0
# group_home KIND: a fresh home $H whose job gc has sent D0 (so that the
# catch-up starts there), to a fresh destination $DEST.
group_home() {
	mkdir -p "$H/jobs" "$H/spool"
	case $1 in
	sftp)
		DEST="$SSHD_HOME/g$n"
		up="url = $SSHD_URL$DEST/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
connections = 4" ;;
	dir)
		DEST="$T/dest/g$n"
		up="url = $DEST
connections = 1" ;;
	esac
	job gc <<JOB
[job]
direction = send
timezone = UTC
catch_up = 30d
[source]
type = csv
path = $T/in/in_{date}.csv
[output]
name = gc_{date}.csv
[upload]
$up
retries = 0
connect_timeout = 5s
JOB
	XFER_NOW="2026-10-02 10:00" x send gc
	[ "$rc" = 0 ] || fail "$what: the first send exited $rc"
}

check_group() {
	[ "$(sql "SELECT count(*), sum(state = 'sent') FROM send_batches")" = "$N|$N" ] ||
	    fail "$what: ledger: $(sql "SELECT date, state FROM send_batches WHERE state != 'sent'")"
	[ -z "$(sql "SELECT date FROM attempts WHERE ok = 1 GROUP BY date HAVING count(*) > 1")" ] ||
	    fail "$what: sent more than once: $(sql "SELECT date, count(*) FROM attempts WHERE ok = 1 GROUP BY date HAVING count(*) > 1")"
	[ -z "$(find "$H/spool/gc/out" "$H/spool/gc/tmp" -mindepth 1)" ] ||
	    fail "$what: out/ or tmp/ not empty: $(ls -AR "$H/spool/gc/out" "$H/spool/gc/tmp")"
	[ "$(ls -A "$DEST" | wc -l)" = $((2 * N)) ] ||
	    fail "$what: the destination holds: $(ls -A "$DEST" | tr '\n' ' ')"
	i=0
	while [ "$i" -lt "$N" ]; do
		d=$(date -u -d "$D0 + $i day" +%F)
		f=gc_$d.csv
		s="$H/spool/gc/sent/$d"
		cmp -s "$DEST/$f" "$T/in/in_$d.csv" ||
		    fail "$what: $f at the destination is not its batch"
		(cd "$DEST" && sha256sum -c "$f.sha256" >/dev/null 2>&1) ||
		    fail "$what: $f.sha256 does not vouch for $f"
		cmp -s "$s/$f" "$DEST/$f" || fail "$what: sent/$d differs"
		sha=$(sha256sum "$s/$f" | cut -d' ' -f1)
		[ "$(sql "SELECT sha256 FROM send_batches WHERE date = '$d'")" = "$sha" ] ||
		    fail "$what: the ledger's sha256 of $d is not the spool's"
		i=$((i + 1))
	done
	[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "$what: ledger integrity"
}

# What the kill left, where a step is visible: proof that it died in the
# middle of a group, not before or after it.
after_kill() {
	outs=$(ls "$H/spool/gc/out" | wc -l)
	tmps=$(ls "$H/spool/gc/tmp" | wc -l)
	rows=$(sql "SELECT count(*) FROM send_batches")
	case $point:$hit in
	group_before_sync:1|group_after_sync:1)
		[ "$tmps" = 7 ] && [ "$outs" = 0 ] && [ "$rows" = 1 ] ||
		    fail "$what: want 7 batches in tmp/ only: tmp $tmps, out $outs, rows $rows" ;;
	send_after_out_rename:1)
		[ "$outs" = 7 ] && [ "$tmps" = 0 ] && [ "$rows" = 1 ] ||
		    fail "$what: want 7 batches in out/, unrecorded: out $outs, rows $rows" ;;
	send_after_produced_commit:1)
		[ "$outs" = 7 ] && [ "$rows" = 8 ] && [ "$(ls -A "$DEST" | wc -l)" = 2 ] ||
		    fail "$what: want 7 recorded, none delivered" ;;
	send_before_sent_commit:1)
		[ "$(ls "$H/spool/gc/sent" | wc -l)" = 8 ] &&
		    [ "$(sql "SELECT count(*) FROM send_batches WHERE state = 'sent'")" = 1 ] ||
		    fail "$what: want 7 moved to sent/, unrecorded" ;;
	esac
}

# crash SPEC KIND: one point, one fresh home.
crash() {
	n=$((n + 1))
	point=${1%%:*}
	hit=${1#"$point"}; hit=${hit#:}; hit=${hit:-1}
	what="$1 ($2)"
	H="$T/h$n"
	group_home "$2"
	spec=$point:kill
	[ "$hit" = 1 ] || spec=$point:kill:$hit
	XFER_NOW=$NOW XFER_FAULT=$spec "$FAULT_XFER" --home "$H" send gc \
	    >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] || fail "$what: the fault run exited $rc: point not reached"
	grep -q "fault point '$point' hit $hit: killing" "$T/err" ||
	    fail "$what: killed, but not at the point"
	after_kill
	for runs in 1 2 3; do
		XFER_NOW=$NOW x send gc
		[ "$rc" = 0 ] && break
	done
	[ "$rc" = 0 ] || fail "$what: not settled after 3 runs (exit $rc)"
	check_group
	rm -rf "$H"
	echo "ok $what: settled in $runs run(s)"
}

# The first group (hit 1) and the second (hit 2), built while the first
# is delivered.
for p in send_after_write:3 send_after_fsync:12 group_before_sync \
    group_before_sync:2 group_after_sync group_after_sync:2 \
    send_after_out_rename send_after_out_rename:2 \
    send_after_produced_commit send_after_produced_commit:2 \
    group_delivered:3 group_delivered:13 send_before_sent_move \
    send_before_sent_move:2 send_before_sent_commit \
    send_before_sent_commit:2 remote_before_rename:7 \
    manifest_before_upload:5 upload_mid:9; do
	crash "$p" sftp
done
for p in group_before_sync:2 send_after_out_rename group_delivered:5 \
    send_before_sent_commit:2 copy_before_rename:6; do
	crash "$p" dir
done
