# A fleet (homes a, b, c, one PostgreSQL ledger, lease 3s) sending one
# job over SFTP, when things go wrong in the middle of an upload (made
# slow on purpose: the server's SFTP session sleeps before it starts):
# - the host holding the claim is SIGKILLed: another host skips the date
#   while the lease lives, finishes it after; the killed host's copy is
#   then stale and discarded; one remote file, the ledger says who;
# - the host is SIGSTOPped past its lease while it sends two dates,
#   another finishes both, then SIGCONT: the woken host changes nothing
#   in the ledger and says so (exit 1); the date whose upload it had not
#   begun is not uploaded again; nothing is duplicated;
# - PostgreSQL goes away mid-upload: the run fails loudly, naming the
#   ledger; a run while it is down produces nothing; once it is back,
#   the next runs end the batch exactly once.
. "$(dirname "$0")/lib.sh"
start_postgres
SSHD_SFTP=external start_sshd
chmod 600 "$SSHD_CLIENT_KEY"
mkdir -p "$T/data"
for d in 01 02 03 04 05; do
	printf 'store,qty\n1,%s\n2,7\n' "$d" >"$T/data/in_2026-11-$d.csv"
done
R="$SSHD_HOME/in"
NODES="a b c"
for n in $NODES; do
	mkdir -p "$T/$n/jobs" "$T/$n/spool"
	chmod 755 "$T/$n/spool"
	cat >"$T/$n/xfer.conf" <<CONF
[ledger]
url = $PG_URL
password_file = $PG_PASSWORD_FILE
node = $n
lease = 3s
CONF
	cat >"$T/$n/jobs/slow.job" <<JOB
[job]
direction = send
date = yesterday
timezone = UTC
catch_up = 3d
[source]
type = csv
path = $T/data/in_{date}.csv
[output]
name = slow_{date}.csv
[upload]
url = $SSHD_URL$R/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
retries = 0
connect_timeout = 60s
connections = 1
JOB
done

# xh NODE ARGS...: run xfer on host NODE (exit status in $rc).
xh() {
	n=$1
	shift
	timeout 60 "$XFER_BIN" --home "$T/$n" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	no_sanitizer_report
}
# The next SFTP session marks that it started, then sleeps S seconds
# before serving: an upload that has begun and hangs there.
slow() { # slow MARK S
	printf 'touch %s\nsleep %s\n' "$SSHD_HOME/reached.$1" "$2" \
	    >"$SSHD_SFTP_ENV"
	chmod 644 "$SSHD_SFTP_ENV"
}
fast() { rm -f "$SSHD_SFTP_ENV"; }
# Start host NODE's `send [ARGS] slow` in the background; $bg is its PID.
bg_send() {
	n=$1
	shift
	"$XFER_BIN" --home "$T/$n" send "$@" slow >"$T/$n.bg.out" \
	    2>"$T/$n.bg.err" &
	bg=$!
}
wait_mark() {
	i=0
	while [ ! -e "$SSHD_HOME/reached.$1" ]; do
		i=$((i + 1))
		[ "$i" -le 300 ] || { cat "$T"/*.bg.err; fail "the upload never started"; }
		sleep 0.1
	done
}
# Wait (at most 60 s) for the background run; its status in $bgrc.
wait_bg() {
	i=0
	while kill -0 "$bg" 2>/dev/null && [ "$(ps -o stat= -p "$bg" | cut -c1)" != Z ]; do
		i=$((i + 1))
		[ "$i" -le 600 ] || { kill -9 "$bg"; fail "the background run hangs"; }
		sleep 0.1
	done
	wait "$bg"
	bgrc=$?
}
row() { # row DATE: state node
	pg_sql "SELECT state || ' ' || node FROM send_batches
	    WHERE job = 'slow' AND date = '$1'"
}
sent_once() { # sent_once DATE NODE
	[ "$(row "$1")" = "sent $2" ] || fail "$1: the ledger says '$(row "$1")', expected 'sent $2'"
	k=$(pg_sql "SELECT count(*) FROM attempts WHERE job = 'slow'
	    AND date = '$1' AND error IS NULL")
	[ "$k" = 1 ] || fail "$1: sent $k times"
	[ -f "$R/slow_$1.csv" ] || fail "$1: not at the destination"
	sum=$(pg_sql "SELECT sha256 FROM send_batches WHERE job = 'slow'
	    AND date = '$1'")
	[ "$(sha256sum <"$R/slow_$1.csv" | cut -d' ' -f1)" = "$sum" ] ||
	    fail "$1: the remote bytes are not the ledger's"
}
remote_ok() { # remote_ok N: N batches there, nothing else
	n=$(find "$R" -type f -name 'slow_2026-11-??.csv' | wc -l)
	[ "$n" = "$1" ] || fail "$n remote files, expected $1: $(ls -la "$R")"
	extra=$(find "$R" -type f ! -name 'slow_2026-11-??.csv' \
	    ! -name 'slow_2026-11-??.csv.sha256')
	[ -z "$extra" ] || fail "stray remote files: $extra"
}
mkdir -p "$R" && chown "$SSHD_USER" "$R"

# --- SIGKILL of the host holding the claim, mid-upload ---------------
export XFER_NOW='2026-11-02 03:00'
D=2026-11-01
slow 1 8
bg_send a
wait_mark 1
kill -9 "$bg"
wait_bg
fast
# a's lease still lives: b leaves the date to it.
xh b -v send slow
expect_rc 0
expect_err "claimed by node 'a' until"
[ ! -e "$R/slow_$D.csv" ] || fail "b sent a batch a holds"
[ "$(row $D)" = "produced a" ] || fail "row after the kill: $(row $D)"
# After the lease: b rebuilds it (a's file is in a's spool) and sends it.
sleep 4
xh b send slow
expect_rc 0
expect_err "by node 'a' and is not in this spool"
sent_once $D b
remote_ok 1
# The killed host comes back: its copy in out/ is stale, not resent.
[ -d "$T/a/spool/slow/out/$D" ] || fail "a's produced batch should still be in its spool"
xh a send slow
expect_rc 0
expect_err "stale"
[ ! -e "$T/a/spool/slow/out/$D" ] || fail "a's stale copy must be discarded"
sent_once $D b
remote_ok 1

# --- SIGSTOP past the lease, another finishes, SIGCONT -----------------
# a sends two dates over one connection: the first one's upload hangs in
# the server, a is stopped there, b sends both after a's lease.  When a
# wakes, its renewing thread finds both claims taken over: the first
# upload, already under way, ends, but nothing of it is recorded or
# moved; the second is never started.
export XFER_NOW='2026-11-04 03:00'
D=2026-11-02
E=2026-11-03
slow 2 8
bg_send a --from $D --to $E
wait_mark 2
kill -STOP "$bg"
fast
sleep 4
xh b send --from $D --to $E slow
expect_rc 0
sent_once $D b
sent_once $E b
kill -CONT "$bg"
wait_bg
[ "$bgrc" = 1 ] || { cat "$T/a.bg.err"; fail "the woken host must exit 1, not $bgrc"; }
for d in $D $E; do
	grep -q "claim lost: node 'b' took over slow $d; this node changed nothing" "$T/a.bg.err" ||
	    { cat "$T/a.bg.err"; fail "the woken host must say its claim of $d was lost"; }
done
! grep -q "event=sent" "$T/a.bg.err" || fail "the woken host must not record a sent batch"
! grep -q "date=$E event=\(already-there\|sent\|retry\)" "$T/a.bg.err" ||
    { cat "$T/a.bg.err"; fail "a lost claim must not be uploaded"; }
sent_once $D b
sent_once $E b
remote_ok 3
# Its next run leaves b's batches alone.
xh a send slow
expect_rc 0
sent_once $D b
sent_once $E b
remote_ok 3

# --- PostgreSQL goes away mid-upload, and comes back --------------------
export XFER_NOW='2026-11-05 03:00'
D=2026-11-04
slow 3 4
bg_send a
wait_mark 3
"$SERVERS/postgres.sh" stop "$T/pg" >/dev/null 2>&1 || fail "cannot stop postgres"
fast
wait_bg
[ "$bgrc" = 1 ] || { cat "$T/a.bg.err"; fail "a run that lost the ledger must exit 1, not $bgrc"; }
grep -q "PostgreSQL" "$T/a.bg.err" || { cat "$T/a.bg.err"; fail "the failure must name the ledger"; }
# While it is down: nothing starts.
xh c send slow
expect_rc 1
expect_err "PostgreSQL"
[ -z "$(find "$T/c/spool" -path '*/out/*' -print -quit)" ] ||
    fail "a run without its ledger must produce nothing"
"$SERVERS/postgres.sh" restart "$T/pg" >/dev/null 2>&1 || fail "cannot restart postgres"
# a's claim could not be given back: it ends with its lease.
sleep 4
: >"$T/after.err"
for n in a b c; do
	xh "$n" send slow
	expect_rc 0
	cat "$T/err" >>"$T/after.err"
done
sent_once 2026-11-01 b
sent_once 2026-11-02 b
sent_once 2026-11-03 b
# a delivered it before the ledger went away: its next run records that
# (from its sent/ area), or a host sends it again; once, either way.
k=$(grep -c "date=$D event=\(sent\|recovered\)" "$T/after.err")
[ "$k" = 1 ] || { cat "$T/after.err"; fail "$D: ended $k times after the restart"; }
k=$(pg_sql "SELECT count(*) FROM attempts WHERE job = 'slow' AND date = '$D' AND error IS NULL")
[ "$k" -le 1 ] || fail "$D: sent $k times"
[ "$(pg_sql "SELECT state FROM send_batches WHERE job = 'slow' AND date = '$D'")" = sent ] ||
    fail "$D: $(row $D)"
remote_ok 4
for n in a b c; do
	[ -z "$(find "$T/$n/spool" -path '*/out/*' -name batch.meta)" ] ||
	    fail "host $n still holds a produced batch"
done
echo "ok"
