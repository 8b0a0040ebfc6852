# A range of dates in groups over parallel connections ([upload]
# connections): a backfill over SFTP with connections = 4 really holds 4
# sessions open at once, and delivers every date once, with the right
# bytes, the ledger and `status` agreeing; connections = 1 is one session;
# a bad value is refused when the job loads; a failed sync of a group
# (syncfs) fails every batch of it, none delivered, each built anew by
# the next run.
. "$(dirname "$0")/lib.sh"
# The fsync fault shim is preloaded ahead of ASan's runtime.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
start_sshd
chmod 600 "$SSHD_CLIENT_KEY"
N=200
FIRST=2025-01-01
# One input per date, each with its own bytes.
i=0
while [ "$i" -lt "$N" ]; do
	d=$(date -u -d "$FIRST + $i day" +%F)
	printf 'date,n\n%s,%s\n' "$d" "$i" > "$H/data/in_$d.csv"
	i=$((i + 1))
done
LAST=$(date -u -d "$FIRST + $((N - 1)) day" +%F)

gjob() {	# gjob NAME CONNECTIONS-LINE
	job "$1" <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in_{date}.csv
[output]
name = g_{date}.csv
[upload]
url = $SSHD_URL$SSHD_HOME/$1/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
retries = 0
connect_timeout = 5s
$2
JOB
}
# sessions: SFTP sessions sshd accepted since the log was emptied, and
# how many of them were open at once at most.
sessions() {
	awk '/Accepted publickey/ { n++; open++; if (open > max) max = open }
	    /Disconnected from user|Connection closed by authenticating|session closed/ { open-- }
	    END { printf "%d %d\n", n, max }' "$SSHD_DIR/sshd.log"
}
# sent_all JOB: every date of the range sent once, its bytes at the
# destination and in the spool, nothing else there.
sent_all() {
	R="$SSHD_HOME/$1"
	[ "$(sql "SELECT count(*), sum(state = 'sent') FROM send_batches WHERE job = '$1'")" = "$N|$N" ] ||
	    fail "$1: ledger: $(sql "SELECT state, count(*) FROM send_batches WHERE job = '$1' GROUP BY state")"
	[ "$(sql "SELECT count(*) FROM attempts WHERE job = '$1' AND ok = 1")" = "$N" ] ||
	    fail "$1: $(sql "SELECT count(*) FROM attempts WHERE job = '$1' AND ok = 1") successful attempts, not $N"
	[ "$(ls -A "$R" | wc -l)" = $((2 * N)) ] ||
	    fail "$1: the destination holds $(ls -A "$R" | wc -l) names, not $((2 * N))"
	(cd "$R" && sha256sum -c --quiet ./*.sha256 >/dev/null 2>&1) ||
	    fail "$1: a manifest does not match its file"
	i=0
	while [ "$i" -lt "$N" ]; do
		d=$(date -u -d "$FIRST + $i day" +%F)
		cmp -s "$R/g_$d.csv" "$H/data/in_$d.csv" ||
		    fail "$1: g_$d.csv differs from its input"
		i=$((i + 1))
	done
	[ -z "$(find "$H/spool/$1/out" "$H/spool/$1/tmp" -mindepth 1)" ] ||
	    fail "$1: out/ or tmp/ not empty"
	[ "$(ls "$H/spool/$1/sent" | wc -l)" = "$N" ] || fail "$1: sent/"
}

# --- 4 connections: a backfill of N dates ----------------------------------
gjob par "connections = 4"
: > "$SSHD_DIR/sshd.log"
x send --from "$FIRST" --to "$LAST" par
expect_rc 0
sent_all par
[ "$(grep -c 'event=produced' "$T/err")" = "$N" ] || fail "par: produced lines"
[ "$(grep -c 'event=sent' "$T/err")" = "$N" ] || fail "par: sent lines"
s=$(sessions)
[ "$s" = "4 4" ] || fail "par: want 4 sessions, 4 at once; sshd says '$s'"
x status par
[ "$(grep -c '^par  *[0-9-]* send  *sent ' "$T/out")" = "$N" ] ||
    fail "par: status does not show $N sent batches"
# Nothing left to do: a catch-up run sends nothing again.
XFER_NOW="$(date -u -d "$LAST + 1 day" +%F) 10:00" x send par
expect_rc 0
[ "$(sql "SELECT count(*) FROM attempts WHERE job = 'par'")" = "$N" ] ||
    fail "par: a catch-up sent something again"

# --- 1 connection: serial, one session -------------------------------------
N=20
LAST=$(date -u -d "$FIRST + $((N - 1)) day" +%F)
gjob one "connections = 1"
: > "$SSHD_DIR/sshd.log"
x send --from "$FIRST" --to "$LAST" one
expect_rc 0
sent_all one
s=$(sessions)
[ "$s" = "1 1" ] || fail "one: want 1 session; sshd says '$s'"

# --- refused at load --------------------------------------------------------
for v in 0 33 four 4x ""; do
	gjob bad "connections = $v"
	x send --date "$FIRST" bad
	expect_rc 78
	expect_err "$H/jobs/bad.job"
	expect_err "connections"
	[ ! -d "$SSHD_HOME/bad" ] || fail "bad ($v): sent something"
done
rm "$H/jobs/bad.job"

# --- a failed sync of a group: every batch of it is built anew -------------
N=5
LAST=$(date -u -d "$FIRST + $((N - 1)) day" +%F)
gjob fs "connections = 4"
rm -f "$T/flog"
LD_PRELOAD="$FAULTFS_SO" FAULT_LOG="$T/flog" \
    FAULT_EIO_FSYNC_PREFIX="$H/spool/fs/tmp" x send --from "$FIRST" --to "$LAST" fs
expect_rc 1
grep -q '^syncfs ' "$T/flog" || fail "fs: no syncfs failed: $(cat "$T/flog")"
expect_err "cannot make the batches built in '$H/spool/fs/tmp' durable (syncfs): Input/output error"
[ "$(grep -c 'producing the batch failed (attempt 1 of 10)' "$T/err")" = "$N" ] ||
    fail "fs: not every batch of the group failed"
[ "$(sql "SELECT count(*), sum(state = 'failed'), sum(file = '') FROM send_batches WHERE job = 'fs'")" = "$N|$N|$N" ] ||
    fail "fs: ledger: $(sql "SELECT * FROM send_batches WHERE job = 'fs'")"
[ ! -d "$SSHD_HOME/fs" ] || [ -z "$(ls -A "$SSHD_HOME/fs")" ] ||
    fail "fs: something was delivered: $(ls -A "$SSHD_HOME/fs")"
[ -z "$(find "$H/spool/fs/out" "$H/spool/fs/tmp" -mindepth 1)" ] || fail "fs: spool not clean"
x send --from "$FIRST" --to "$LAST" fs
expect_rc 0
[ "$(grep -c 'event=produced' "$T/err")" = "$N" ] || fail "fs: not rebuilt"
! grep -q 'recovered' "$T/err" || fail "fs: an unsynced batch was recovered"
sent_all fs
# --- one name for every date: put one after another, the last date wins ----
# (`name` without the date: the connections must not write it at once.)
N=24
LAST=$(date -u -d "$FIRST + $((N - 1)) day" +%F)
i=0
while [ "$i" -lt "$N" ]; do
	d=$(date -u -d "$FIRST + $i day" +%F)
	{ printf 'date,n\n'; seq 1 20000 | sed "s/^/$d,/"; } > "$H/data/big_$d.csv"
	i=$((i + 1))
done
job same <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/big_{date}.csv
[output]
name = latest.csv
[upload]
url = $SSHD_URL$SSHD_HOME/same/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
retries = 0
connections = 4
JOB
x send --from "$FIRST" --to "$LAST" same
expect_rc 0
[ "$(sql "SELECT count(*), sum(state = 'sent') FROM send_batches WHERE job = 'same'")" = "$N|$N" ] ||
    fail "same: ledger: $(sql "SELECT state, count(*) FROM send_batches WHERE job = 'same' GROUP BY state")"
cmp -s "$SSHD_HOME/same/latest.csv" "$H/data/big_$LAST.csv" ||
    fail "same: latest.csv is not the last date's file"
(cd "$SSHD_HOME/same" && sha256sum -c --quiet latest.csv.sha256) ||
    fail "same: the manifest does not match latest.csv"
[ "$(ls -A "$SSHD_HOME/same" | wc -l)" = 2 ] ||
    fail "same: the destination holds $(ls -A "$SSHD_HOME/same")"
echo "ok"
