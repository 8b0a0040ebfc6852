# A fleet receiving from one remote inbox (SPEC.md section 9): three
# homes a, b, c (own spool, own node name) share one PostgreSQL ledger
# and pull from the same SFTP inbox into one PostgreSQL target.  Each
# remote file (with its manifest) is claimed by one host; every file is
# ingested exactly once (the target's rows, one xfer_ingested key a
# file), recorded as ingested by one node (a duplicate on any other), and
# the work is shared.  Then a host is SIGKILLed holding claims of files
# it pulled but did not ingest: after the lease the others pull and
# ingest them, still exactly once; the killed host, back, finds its
# copies duplicates, not failures.
. "$(dirname "$0")/lib.sh"
chmod 755 "$T"
start_postgres
start_sshd
chmod 600 "$SSHD_CLIENT_KEY"

# The ledger in a database of its own; the target in the default one.
pg_sql "CREATE DATABASE fleet_ledger OWNER $PG_USER;" ||
    fail "cannot create the ledger database"
pg_sql "SET ROLE $PG_USER; CREATE TABLE fl (k int, v text);
    CREATE TABLE fw (k int, v text);" ||
    fail "cannot create the target table"
target() { pg_sql "SET ROLE $PG_USER; $1"; }
LEDGER_URL="postgresql://$PG_USER@127.0.0.1:$PG_PORT/fleet_ledger"

IN="$SSHD_HOME/inbox"
WIN="$SSHD_HOME/inbox-w"
mkdir -p "$IN" "$WIN"
chown "$SSHD_USER" "$IN" "$WIN" 2>/dev/null
# put FROM TO: files f_FROM..f_TO, two rows each; every fifth with its
# manifest (which must go to the host that pulls its file).
put() {
	i=$1
	while [ "$i" -le "$2" ]; do
		n=$(printf 'f_%04d.csv' "$i")
		printf 'k,v\n%d,a\n%d,b\n' "$i" "$i" >"$IN/$n"
		[ $((i % 5)) -ne 0 ] || (cd "$IN" && sha256sum "$n" >"$n.sha256")
		i=$((i + 1))
	done
	chown "$SSHD_USER" "$IN"/* 2>/dev/null
}

# rjob HOST JOB INBOX PREFIX REQUIRE_MANIFEST TABLE
rjob() {
	cat >"$T/$1/jobs/$2.job" <<JOB
[job]
direction = receive
schedule = * * * * *
timezone = UTC
[inbox]
url = $SSHD_URL$3/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
pattern = $4*.csv
settle = 0s
require_manifest = $5
[ingest]
type = postgresql
url = $PG_URL
password_file = $PG_PASSWORD_FILE
ca_file = $PG_CA
table = $6
JOB
}
for h in a b c; do
	mkdir -p "$T/$h/jobs" "$T/$h/spool"
	chmod 755 "$T/$h/spool"
	cat >"$T/$h/xfer.conf" <<CONF
[ledger]
url = $LEDGER_URL
password_file = $PG_PASSWORD_FILE
node = $h
lease = 3s
CONF
	rjob "$h" fl "$IN" f_ no fl
	rjob "$h" fw "$WIN" w_ yes fw
done

# hx HOST ARGS...: xfer in HOST's home; its output in $T/HOST.out/.err.
hx() {
	h=$1
	shift
	"$XFER_BIN" --home "$T/$h" "$@" >"$T/$h.out" 2>>"$T/$h.err"
}
# A host's run that failed shows its log.
host_failed() {
	echo "--- $1.err"
	cat "$T/$1.err"
	fail "$2"
}
ledger() {
	PGCONNECT_TIMEOUT=10 timeout 60 "$PG_BIN/psql" -X -w -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
	    -U "$PG_SUPERUSER" -d fleet_ledger -c "$1"
}
# check_once N [a]: N files in, each exactly once, nothing left at the
# source (with a: host a, killed, may still hold pulled copies).
check_once() {
	[ "$(target "SELECT count(*) FROM fl")" = $(($1 * 2)) ] ||
	    fail "target rows: $(target "SELECT count(*) FROM fl"), want $(($1 * 2))"
	[ "$(target "SELECT count(*) FROM (SELECT DISTINCT k, v FROM fl) d")" = \
	    $(($1 * 2)) ] || fail "a file's rows went in twice"
	[ "$(target "SELECT count(*) FROM xfer_ingested WHERE job = 'fl'")" = "$1" ] ||
	    fail "xfer_ingested: $(target "SELECT count(*) FROM xfer_ingested"), want $1"
	[ -z "$(ls "$IN")" ] || fail "left at the source: $(ls "$IN" | head)"
	# The ledger: one node recorded each file ingested; any other
	# copy is a duplicate; nothing failed.
	[ "$(ledger "SELECT count(DISTINCT name) FROM receive_files
	    WHERE job = 'fl' AND state = 'ingested'")" = "$1" ] ||
	    fail "files ingested"
	[ "$(ledger "SELECT count(*) FROM receive_files
	    WHERE job = 'fl' AND state = 'ingested'")" = "$1" ] ||
	    fail "a file ingested twice"
	[ "$(ledger "SELECT count(*) FROM receive_files
	    WHERE state NOT IN ('ingested', 'duplicate')
	    AND NOT (node = '${2:-}' AND state = 'received')")" = 0 ] ||
	    fail "rows not finished: $(ledger "SELECT name, node, state
	    FROM receive_files WHERE state NOT IN ('ingested', 'duplicate')")"
}

# --- three hosts at once, a few times ------------------------------------
put 1 300
# The schema is made once, before the race (xfer check does it).
hx a check || host_failed a "xfer check failed"
: >"$T/a.err"; : >"$T/b.err"; : >"$T/c.err"
pids=""
for h in a b c; do
	( for i in 1 2; do
		hx "$h" -q receive fl || exit 1
	done ) &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || { cat "$T/a.err" "$T/b.err" "$T/c.err"; fail "a host's receive failed"; }
done
for h in a b c; do
	[ ! -s "$T/$h.err" ] || host_failed "$h" "-q printed something"
done
check_once 300
nodes=$(ledger "SELECT count(DISTINCT node) FROM receive_files
    WHERE state = 'ingested'")
[ "$nodes" -ge 2 ] || fail "one node did all the work ($nodes)"
# A pulled file and its manifest went to the same host (the backup
# keeps them side by side).
for h in a b c; do
	[ ! -d "$T/$h/spool/fl/backup" ] ||
	    find "$T/$h/spool/fl/backup" -name 'f_*[05].csv'
done | while read -r f; do
	[ -f "$f.sha256" ] || echo "$f"
done >"$T/split"
[ "$(for h in a b c; do find "$T/$h/spool/fl/backup" -name 'f_*.sha256' 2>/dev/null; done |
    wc -l)" = 60 ] || fail "manifests backed up: not 60"
[ ! -s "$T/split" ] || fail "a manifest went to another host: $(head -3 "$T/split")"

# --- a host killed holding claims -----------------------------------------
# Few enough files that any chunk another host claims at once meets the
# claims a still holds (a chunk is 32 files).
put 301 340
# a's claims live 5s (b must meet them live even on a slow machine).
sed -i 's/^lease = 3s$/lease = 5s/' "$T/a/xfer.conf"
: >"$T/a.err"
"$XFER_BIN" --home "$T/a" -v receive fl >"$T/a.out" 2>"$T/a.err" &
apid=$!
# Killed once it has pulled a file of its first chunk: the chunk's files
# are claimed, some in its spool, none ingested or taken from the source.
i=0
until grep -q "'f_[0-9]*\.csv' is in the spool" "$T/a.err"; do
	i=$((i + 1))
	[ "$i" -le 1000 ] || fail "host a pulled nothing"
	kill -0 "$apid" 2>/dev/null || host_failed a "host a ended before the kill"
	sleep 0.01
done
kill -9 "$apid"
wait "$apid" 2>/dev/null
# The claim rounds are logged (debug) with their latency.
grep -q "event=claimed duration_ms=[0-9]*: n=[0-9]* ours=[0-9]* busy=[0-9]* done=[0-9]* ms=[0-9]*" \
    "$T/a.err" || host_failed a "no claim round logged"
held=$(ledger "SELECT count(*) FROM receive_files WHERE job = 'fl' AND node = 'a'
    AND state = 'received'")
[ "$held" -ge 1 ] || fail "host a holds no pulled file"
# Before the lease runs out the others leave a's claims alone ...
: >"$T/b.err"
hx b -v receive fl || host_failed b "b's receive failed"
grep -q "is being pulled by node 'a'" "$T/b.err" ||
    host_failed b "b did not skip a's live claims"
# ... after it, they take them over.
sed -i 's/^lease = 5s$/lease = 3s/' "$T/a/xfer.conf"
sleep 5.5
: >"$T/b.err"; : >"$T/c.err"
( hx b -q receive fl ) &
bp=$!
( hx c -q receive fl ) &
cp=$!
wait "$bp" || host_failed b "b's receive failed"
wait "$cp" || host_failed c "c's receive failed"
check_once 340 a
# a is back: what it pulled before the kill is a duplicate now.
: >"$T/a.err"
hx a receive fl || host_failed a "a's receive after the kill failed"
check_once 340
[ "$(ledger "SELECT count(*) FROM receive_files WHERE node = 'a'
    AND state = 'duplicate'")" -ge "$held" ] ||
    fail "a's copies are not duplicates"
hx a status --failed
[ $? -eq 0 ] || { cat "$T/a.out"; fail "status --failed lists something"; }

# --- a file one host saw waiting for its manifest, another pulled ------
printf 'k,v\n1,a\n' >"$WIN/w_0001.csv"
: >"$T/a.err"
hx a receive fw || host_failed a "a's receive failed"
[ "$(ledger "SELECT count(*) FROM receive_files WHERE job = 'fw'
    AND node = 'a' AND state = 'waiting'")" = 1 ] ||
    fail "a does not wait for the manifest"
(cd "$WIN" && sha256sum w_0001.csv >w_0001.csv.sha256)
hx b receive fw || host_failed b "b's receive failed"
[ "$(target "SELECT count(*) FROM fw")" = 1 ] || fail "fw not ingested"
hx a receive fw || host_failed a "a's receive failed"
# a's note went with the file: nothing waits for ever.
[ "$(ledger "SELECT count(*) FROM receive_files WHERE job = 'fw'
    AND state <> 'ingested'")" = 0 ] || fail "a still waits for w_0001.csv"
check_once 340

# --- a file that fails is its puller's: no other host pulls it again ----
printf 'x,y\n1,2\n' >"$IN/f_bad.csv"
hx b receive fl
[ $? -eq 1 ] || host_failed b "b's receive of a bad file did not fail"
hx c receive fl || host_failed c "c's receive failed"
[ "$(ledger "SELECT node || ' ' || state FROM receive_files
    WHERE name = 'f_bad.csv'")" = "b failed" ] ||
    fail "the bad file: $(ledger "SELECT node, state FROM receive_files
    WHERE name = 'f_bad.csv'")"
[ ! -e "$IN/f_bad.csv" ] || fail "the bad file is still at the source"

# --- replace-date: the last version of each date wins --------------------
# Every date comes twice, a_rd_D (first) and b_rd_D (the correction); the
# listing has every first version before any correction.  Whoever
# applies what, each date must end with the correction's rows: the
# versions of one date go through one node at a time, in order.
RIN="$SSHD_HOME/inbox-rd"
mkdir -p "$RIN"
target "CREATE TABLE rd (date date, v text);" || fail "cannot create rd"
d=1
while [ "$d" -le 40 ]; do
	ds=$(printf '202610%02d' "$d")
	dd=$(printf '2026-10-%02d' "$d")
	printf 'date,v\n%s,first\n%s,first\n' "$dd" "$dd" >"$RIN/a_rd_$ds.csv"
	printf 'date,v\n%s,second\n' "$dd" >"$RIN/b_rd_$ds.csv"
	d=$((d + 1))
	[ "$d" -le 31 ] || break
done
chown -R "$SSHD_USER" "$RIN" 2>/dev/null
for h in a b c; do
	rjob "$h" rd "$RIN" '' no rd
	sed -i 's/^pattern = .*/pattern = *_rd_{date:%Y%m%d}.csv/' "$T/$h/jobs/rd.job"
	printf 'mode = replace-date\n' >>"$T/$h/jobs/rd.job"
done
# Until the inbox is empty (a version may wait for a date another node
# is applying): three hosts at once, at most 5 rounds.
round=0
while [ -n "$(ls "$RIN")" ]; do
	round=$((round + 1))
	[ "$round" -le 5 ] || fail "rd: still at the source after 5 rounds: $(ls "$RIN" | head -3)"
	pids=""
	for h in a b c; do
		( hx "$h" -q receive rd ) &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || fail "a host's receive of rd failed"
	done
done
[ "$(target "SELECT count(*) FROM rd")" = 31 ] ||
    fail "rd rows: $(target "SELECT count(*) FROM rd"), want 31"
[ "$(target "SELECT count(*) FROM rd WHERE v <> 'second'")" = 0 ] ||
    fail "a date ends with its first version: $(target "SELECT date FROM rd WHERE v <> 'second' LIMIT 3")"
exit 0
