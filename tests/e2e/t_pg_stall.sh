# A host stopped inside its ingest transaction (SIGSTOP keeps its TCP
# connection alive) must not stall the other hosts' ingest of the job for
# as long as it sleeps: the server ends a session idle in a transaction
# for 10 s, freeing the job's advisory lock.  Two homes load one job into one PostgreSQL table; the fault
# build stops home A at ingest_before_commit (rows copied, lock held);
# home B waits lock_timeout and fails (transient), then, once the idle
# session is ended, goes in; A, woken, finds its session gone (transient)
# and its next run loads its file: each file exactly once.
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "SKIP: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\`"
	exit 0
fi
chmod 755 "$T"
start_postgres
pg_sql "CREATE TABLE st (k int, v text); ALTER TABLE st OWNER TO $PG_USER" ||
    fail "cannot create the table"
apid=""
on_exit="[ -n \"\$apid\" ] && kill -CONT \$apid 2>/dev/null && kill -9 \$apid 2>/dev/null; $on_exit"
for h in a b; do
	mkdir -p "$T/$h/jobs" "$T/$h/inbox" "$T/$h/spool"
	chmod 755 "$T/$h/spool"
	cat >"$T/$h/jobs/st.job" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = st_*.csv
settle = 0s
[ingest]
type = postgresql
url = $PG_URL
password_file = $PG_PASSWORD_FILE
ca_file = $PG_CA
table = st
lock_timeout = 2s
JOB
done
printf 'k,v\n1,a\n2,a\n' >"$T/a/inbox/st_a.csv"
printf 'k,v\n3,b\n' >"$T/b/inbox/st_b.csv"
XFER_FAULT=ingest_before_commit:stop "$FAULT_XFER" --home "$T/a" receive st \
    >"$T/a.out" 2>"$T/a.err" &
apid=$!
i=0
until grep -q "fault point 'ingest_before_commit' hit 1: stopping" "$T/a.err"; do
	i=$((i + 1))
	[ "$i" -le 600 ] || { cat "$T/a.err"; fail "home a did not stop"; }
	sleep 0.05
done
start=$(date +%s)
# B meets A's lock: transient, after lock_timeout.
"$XFER_BIN" --home "$T/b" receive st >"$T/b.out" 2>"$T/b.err"
rc=$?
[ "$rc" = 1 ] || { cat "$T/b.err"; fail "b's first run exited $rc, want 1"; }
grep -q "lock" "$T/b.err" || { cat "$T/b.err"; fail "b did not meet the lock"; }
# After the idle timeout (10 s from A's last statement) B goes in,
# though A still sleeps.
ok=0
while [ $(($(date +%s) - start)) -le 40 ]; do
	sleep 2
	if "$XFER_BIN" --home "$T/b" receive st >"$T/b.out" 2>"$T/b.err"; then
		ok=1
		break
	fi
done
[ "$ok" = 1 ] || { cat "$T/b.err"; fail "b stalled behind the stopped host"; }
kill -0 "$apid" 2>/dev/null || fail "home a is not stopped any more"
[ "$(pg_sql "SELECT string_agg(k::text, ',' ORDER BY k) FROM st")" = 3 ] ||
    { cat "$T/b.err"; fail "rows after b: $(pg_sql "SELECT * FROM st")"; }
# A wakes: its session is gone, nothing of it went in.
kill -CONT "$apid"
wait "$apid"
rc=$?
apid=""
[ "$rc" = 1 ] || { cat "$T/a.err"; fail "woken a exited $rc, want 1"; }
"$XFER_BIN" --home "$T/a" receive st >"$T/a.out" 2>"$T/a.err" ||
    { cat "$T/a.err"; fail "a's next run failed"; }
[ "$(pg_sql "SELECT string_agg(k::text, ',' ORDER BY k) FROM st")" = "1,2,3" ] ||
    fail "rows: $(pg_sql "SELECT * FROM st")"
[ "$(pg_sql "SELECT count(*) FROM xfer_ingested WHERE job = 'st'")" = 2 ] ||
    fail "keys: $(pg_sql "SELECT * FROM xfer_ingested")"
exit 0
