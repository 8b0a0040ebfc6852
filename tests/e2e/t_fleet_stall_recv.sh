# A receiving host stopped past its lease with claims of remote files it
# had begun to pull (the fault build stops home a right after its first
# download): home b takes the files over when a's lease runs out and
# ingests each once; a, woken, changes nothing (its copy is a duplicate,
# the others are gone from the source) and says that its claims were
# taken over, instead of giving them up silently.
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "SKIP: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\`"
	exit 0
fi
chmod 755 "$T"
start_postgres
start_sshd
chmod 600 "$SSHD_CLIENT_KEY"
pg_sql "CREATE DATABASE stall_ledger OWNER $PG_USER;" ||
    fail "cannot create the ledger database"
pg_sql "SET ROLE $PG_USER; CREATE TABLE sr (k int, v text);" ||
    fail "cannot create the target table"
target() { pg_sql "SET ROLE $PG_USER; $1"; }
IN="$SSHD_HOME/inbox"
mkdir -p "$IN"
for i in 1 2 3; do
	printf 'k,v\n%d,a\n' "$i" >"$IN/s_$i.csv"
done
chown "$SSHD_USER" "$IN" "$IN"/* 2>/dev/null
apid=""
on_exit="[ -n \"\$apid\" ] && kill -CONT \$apid 2>/dev/null && kill -9 \$apid 2>/dev/null; $on_exit"
for h in a b; do
	mkdir -p "$T/$h/jobs" "$T/$h/spool"
	chmod 755 "$T/$h/spool"
	cat >"$T/$h/xfer.conf" <<CONF
[ledger]
url = postgresql://$PG_USER@127.0.0.1:$PG_PORT/stall_ledger
password_file = $PG_PASSWORD_FILE
node = $h
lease = 2s
CONF
	cat >"$T/$h/jobs/sr.job" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
url = $SSHD_URL$IN/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
pattern = s_*.csv
settle = 0s
[ingest]
type = postgresql
url = $PG_URL
password_file = $PG_PASSWORD_FILE
ca_file = $PG_CA
table = sr
JOB
done
"$XFER_BIN" --home "$T/a" check >"$T/a.out" 2>"$T/a.err" ||
    { cat "$T/a.err"; fail "check (the ledger's schema)"; }
XFER_FAULT=pull_after_download:stop "$FAULT_XFER" --home "$T/a" receive sr \
    >"$T/a.out" 2>"$T/a.err" &
apid=$!
i=0
until grep -q "fault point 'pull_after_download' hit 1: stopping" "$T/a.err"; do
	i=$((i + 1))
	[ "$i" -le 600 ] || { cat "$T/a.err"; fail "home a did not stop"; }
	sleep 0.05
done
# Past a's lease (2 s): b takes every file over and ingests it.
sleep 3
"$XFER_BIN" --home "$T/b" receive sr >"$T/b.out" 2>"$T/b.err" ||
    { cat "$T/b.err"; fail "b's run failed"; }
[ "$(target "SELECT string_agg(k::text, ',' ORDER BY k) FROM sr")" = 1,2,3 ] ||
    { cat "$T/b.err"; fail "rows after b: $(target "SELECT * FROM sr")"; }
kill -0 "$apid" 2>/dev/null || fail "home a is not stopped any more"
# a wakes: nothing of it goes in twice, and it says why it stops.
kill -CONT "$apid"
wait "$apid"
apid=""
[ "$(target "SELECT string_agg(k::text, ',' ORDER BY k) FROM sr")" = 1,2,3 ] ||
    fail "rows after a woke: $(target "SELECT * FROM sr")"
[ "$(target "SELECT count(*) FROM xfer_ingested WHERE job = 'sr'")" = 3 ] ||
    fail "keys: $(target "SELECT * FROM xfer_ingested")"
grep -q "taken over" "$T/a.err" ||
    { cat "$T/a.err"; fail "the woken host did not say its claims were taken over"; }
exit 0
