# PostgreSQL as a source and an ingest target (SPEC.md section 8), against
# a real PostgreSQL 15 (tests/servers/postgres.sh) in this test's temp dir:
# every type sent (exact numerics, non-ASCII text, NULL, bool, date,
# timestamptz across the 23- and 25-hour days of America/New_York, bytea
# as hex, json), :start/:end bound, aggregation exact to the cent, a
# backfill on one connection; received: columns by name, replace-date,
# A-B-A versions, a constraint violation and a column the table lacks
# (file failed, nothing written, the file's line named), the server
# stopped mid-COPY then restarted (ingested exactly once), a wrong
# password, TLS with the wrong CA, a certificate login, a read-only
# database (transient, retried), check --connect; the password never in
# output, logs, status or the process list.
. "$(dirname "$0")/lib.sh"
chmod 755 "$T"
start_postgres
PW=$(cat "$PG_PASSWORD_FILE")
# Fixtures as the table owner, xfer.
as_xfer() { pg_sql "SET ROLE $PG_USER; $1"; }
no_password() {
	for f in "$T/out" "$T/err" "$@"; do
		! grep -F -q -- "$PW" "$f" || fail "password in $f"
	done
}
CONN="url = $PG_URL
password_file = $PG_PASSWORD_FILE
ca_file = $PG_CA"

# --- send: every type, :start/:end across DST days ------------------------
as_xfer "CREATE TABLE ev (id int, at timestamptz, n numeric(20,4), f float8,
  b bool, d date, s text, by bytea, j jsonb, big bigint);
INSERT INTO ev VALUES
 (1, '2026-03-08 00:00:00-05', 12345678901234.5678, 1.5, true, '2026-03-08',
  'héllo, \"wörld\"', '\\x00ff0a', '{\"a\": [1, 2.50], \"b\": \"x y\"}', 9223372036854775807),
 (2, '2026-03-08 23:59:59.5-04', NULL, 'NaN', false, NULL, NULL, NULL, NULL, -1),
 (3, '2026-03-09 00:00:00-04', 0.1, 2, NULL, '2026-03-09', '', '', 'null', 0),
 (4, '2026-11-01 00:30:00-04', 1, 1, true, '2026-11-01', 'fall', NULL, NULL, 1),
 (5, '2026-11-01 01:30:00-05', 2, 2, true, '2026-11-01', 'again', NULL, NULL, 2),
 (6, '2026-11-01 23:59:00-05', 3, 3, true, '2026-11-01', 'last', NULL, NULL, 3),
 (7, '2026-11-02 00:00:00-05', 4, 4, true, '2026-11-02', 'next day', NULL, NULL, 4);"
job ev <<JOB
[job]
direction = send
timezone = America/New_York
[source]
type = postgresql
$CONN
query = SELECT id, at, n, f, b, d, s, by, j, big, :date AS day, ((extract(epoch FROM :end::timestamptz) - extract(epoch FROM :start::timestamptz)) / 3600)::int AS hours FROM ev WHERE at >= :start AND at < :end ORDER BY id
[output]
name = ev_{date}.json
[upload]
url = out
JOB
x send --date 2026-03-08 ev
expect_rc 0
no_password
expect_file "$H/out/ev_2026-03-08.json" <<'J'
[
{"id":1,"at":"2026-03-08T00:00:00-05:00","n":12345678901234.5678,"f":1.5,"b":true,"d":"2026-03-08","s":"héllo, \"wörld\"","by":"\\x00ff0a","j":{"a":[1,2.50],"b":"x y"},"big":9223372036854775807,"day":"2026-03-08","hours":23},
{"id":2,"at":"2026-03-08T23:59:59.5-04:00","n":null,"f":"NaN","b":false,"d":null,"s":null,"by":null,"j":null,"big":-1,"day":"2026-03-08","hours":23}
]
J
x send --date 2026-11-01 ev
expect_rc 0
expect_file "$H/out/ev_2026-11-01.json" <<'J'
[
{"id":4,"at":"2026-11-01T00:30:00-04:00","n":1.0000,"f":1,"b":true,"d":"2026-11-01","s":"fall","by":null,"j":null,"big":1,"day":"2026-11-01","hours":25},
{"id":5,"at":"2026-11-01T01:30:00-05:00","n":2.0000,"f":2,"b":true,"d":"2026-11-01","s":"again","by":null,"j":null,"big":2,"day":"2026-11-01","hours":25},
{"id":6,"at":"2026-11-01T23:59:00-05:00","n":3.0000,"f":3,"b":true,"d":"2026-11-01","s":"last","by":null,"j":null,"big":3,"day":"2026-11-01","hours":25}
]
J
# CSV: NULL and the empty string are both an empty field; an empty bytea is \x
sed -e 's/ev_{date}.json/ev_{date}.csv/' "$H/jobs/ev.job" > "$H/jobs/evc.job"
x send --date 2026-03-09 evc
expect_rc 0
expect_file "$H/out/ev_2026-03-09.csv" <<'C'
id,at,n,f,b,d,s,by,j,big,day,hours
3,2026-03-09T00:00:00-04:00,0.1000,2,,2026-03-09,,\x,null,0,2026-03-09,24
C

# --- aggregation exact to the cent; a backfill on one connection ----------
as_xfer "CREATE TABLE sales (day date, store text, amount numeric(12,2));
INSERT INTO sales SELECT '2026-11-20'::date + (i % 3), 's' || (i % 4),
  ((i * 7919) % 100000) / 100.0 + 0.01 FROM generate_series(1, 30000) i;"
job agg <<JOB
[job]
direction = send
timezone = UTC
[source]
type = postgresql
$CONN
query = SELECT store, amount FROM sales WHERE day = :date
[aggregate]
group_by = store
count = n
sum = amount
[output]
format = csv
name = agg_{date}.csv
[upload]
url = out
JOB
conns() { grep -c 'connection authorized: user=xfer' "$PG_LOG"; }
before=$(conns)
x send --from 2026-11-20 --to 2026-11-22 agg
expect_rc 0
[ "$(($(conns) - before))" -eq 1 ] || fail "backfill of 3 dates used $(($(conns) - before)) connections"
for d in 20 21 22; do
	want=$(pg_sql "SELECT store || ',' || count(*) || ',' || sum(amount) FROM sales
	    WHERE day = '2026-11-$d' GROUP BY store ORDER BY store")
	got=$(tail -n +2 "$H/out/agg_2026-11-$d.csv")
	[ "$got" = "$want" ] || fail "aggregate of 2026-11-$d: got $got, want $want"
done

# --- receive: columns by name, replace-date, A-B-A -------------------------
as_xfer "CREATE TABLE rcv (day date NOT NULL, store text, amount numeric(12,2)
  CHECK (amount >= 0), note text, id serial);"
mkdir -p "$H/inbox"
rjob() {
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = ${1}_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = postgresql
$CONN
table = ${2:-public.rcv}
mode = replace-date
date_column = day
JOB
}
rjob r
F="$H/inbox/r_20261120.csv"
A='Amount,note,day,store
10.50,"a	tab",2026-11-20,s1
20,"",2026-11-20,s2
30,,2026-11-20,"multi
line"
'
B='day,store,amount
2026-11-20,s9,99.99
'
printf '%s' "$A" > "$F"; x receive r; expect_rc 0
no_password
got=$(pg_sql "SELECT day, store, amount, coalesce(note, '<null>') FROM rcv ORDER BY id")
want="2026-11-20|s1|10.50|a	tab
2026-11-20|s2|20.00|
2026-11-20|multi
line|30.00|"
[ "$got" = "$want" ] || fail "rows of A: $got"
printf '%s' "$B" > "$F"; x receive r; expect_rc 0
[ "$(pg_sql "SELECT store || amount FROM rcv")" = "s999.99" ] || fail "B did not replace A"
printf '%s' "$A" > "$F"; x receive r; expect_rc 0
[ "$(pg_sql "SELECT count(*), sum(amount) FROM rcv")" = "3|60.50" ] || fail "A again"
asha=$(printf '%s' "$A" | sha256sum | cut -d' ' -f1)
[ "$(pg_sql "SELECT sha256, records FROM xfer_applied WHERE job = 'r'")" = "$asha|3" ] ||
    fail "xfer_applied: $(pg_sql 'SELECT * FROM xfer_applied')"
[ "$(pg_sql "SELECT count(*) FROM xfer_ingested WHERE job = 'r'")" = 2 ] || fail "key rows"
printf '%s' "$A" > "$F"; x receive r; expect_rc 0
expect_err "the same bytes as the version applied for the date"
[ "$(pg_sql "SELECT count(*) FROM rcv")" = 3 ] || fail "duplicate loaded"

# An empty CSV field: NULL in a numeric column, '' in a text one.
printf 'day,store,amount,note\n2026-11-21,,,""\n' > "$H/inbox/r_20261121.csv"
x receive r; expect_rc 0
[ "$(pg_sql "SELECT store = '', amount IS NULL, note = '' FROM rcv WHERE day = '2026-11-21'")" = "t|t|t" ] ||
    fail "empty fields: $(pg_sql "SELECT * FROM rcv WHERE day = '2026-11-21'")"
pg_sql "DELETE FROM rcv WHERE day = '2026-11-21'"

# --- a rejected row, a column the table lacks: nothing written ------------
printf 'day,store,amount\n2026-11-20,s1,1\n2026-11-20,"two\nlines",2\n2026-11-20,s3,-3\n' > "$F"
x receive r; expect_rc 1
expect_err "r_20261120.csv:5: cannot load into 'public.rcv': new row for relation \"rcv\" violates check constraint"
[ "$(pg_sql "SELECT count(*), sum(amount) FROM rcv")" = "3|60.50" ] || fail "rejected file changed rows"
printf 'day,store,amount\n2026-11-20,s1,x1\n' > "$F"
x receive r; expect_rc 1
expect_err "r_20261120.csv:2: cannot load into 'public.rcv': invalid input syntax for type numeric: \"x1\""
printf 'day,store,amount,color\n2026-11-20,s1,1,red\n' > "$F"
x receive r; expect_rc 1
expect_err "table 'public.rcv' has no column 'color'"
[ "$(pg_sql "SELECT count(*), sum(amount) FROM rcv")" = "3|60.50" ] || fail "failed files changed rows"
rjob nt public.no_such_table
printf 'day\n2026-11-20\n' > "$H/inbox/nt_20261120.csv"
x receive nt; expect_rc 1
expect_err "no table 'public.no_such_table'"

# --- another host loading the same job: wait for its lock, then retry ----
pg_sql "SELECT pg_advisory_lock(2020042098, hashtext('r')); SELECT pg_sleep(20)" >/dev/null 2>&1 &
lpid=$!
i=0
until [ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the other host's lock never came"; sleep 0.1
done
sed -i 's/^table = public.rcv/&\nlock_timeout = 1s/' "$H/jobs/r.job"
printf 'day,store,amount\n2026-11-22,s1,1\n' > "$H/inbox/r_20261122.csv"
x receive r; expect_rc 1
expect_err "cannot lock the job: canceling statement due to lock timeout (attempt 1 of"
[ "$(pg_sql "SELECT count(*) FROM rcv WHERE day = '2026-11-22'")" = 0 ] || fail "loaded without the lock"
pg_sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'" >/dev/null
wait $lpid
x receive r; expect_rc 0
[ "$(pg_sql "SELECT count(*) FROM rcv WHERE day = '2026-11-22'")" = 1 ] || fail "not loaded after the lock"

# --- the server stopped mid-COPY, restarted: ingested exactly once --------
# A trigger holds the COPY at its 2nd row (pg_sleep) while the server stops.
pg_sql "CREATE TABLE slow (day date, v int);
CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS
\$\$BEGIN IF NEW.v = 2 AND EXISTS (SELECT 1 FROM pg_class WHERE relname = 'slow_on')
THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END\$\$;
CREATE TRIGGER slow_row BEFORE INSERT ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();
CREATE TABLE slow_on (x int);
ALTER TABLE slow OWNER TO $PG_USER; GRANT SELECT ON slow_on TO $PG_USER;"
rjob s public.slow
sed -i 's/^mode = .*/mode = append/; /^date_column/d' "$H/jobs/s.job"
printf 'day,v\n2026-11-20,1\n2026-11-20,2\n2026-11-20,3\n' > "$H/inbox/s_20261120.csv"
"$XFER_BIN" --home "$H" receive s >"$T/out" 2>"$T/err" &
xpid=$!
i=0
until [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%'")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "the COPY never started"; sleep 0.1
done
# The pattern from a file: grep's own argv must not hold the password.
printf '%s\n' "$PW" > "$T/pwpat"
ps -eo args | grep -F -q -f "$T/pwpat" && fail "password in the process list"
"$SERVERS/postgres.sh" stop "$T/pg" >/dev/null 2>&1
wait $xpid; rc=$?
expect_rc 1
expect_err "the next run retries it"
"$SERVERS/postgres.sh" restart "$T/pg" >"$T/pg.restart" 2>&1 || fail "restart: $(cat "$T/pg.restart")"
pg_sql "DROP TABLE slow_on"
[ "$(pg_sql "SELECT count(*) FROM slow")" = 0 ] || fail "rows of the interrupted COPY"
x receive s; expect_rc 0
x receive s; expect_rc 0
[ "$(pg_sql "SELECT string_agg(v::text, ',' ORDER BY v) FROM slow")" = "1,2,3" ] || fail "not exactly once: $(pg_sql 'SELECT * FROM slow')"
[ "$(sql "SELECT state FROM receive_files WHERE job = 's'")" = ingested ] || fail "ledger: $(sql "SELECT state FROM receive_files WHERE job = 's'")"

# --- read-only (a failover): transient, retried ---------------------------
pg_sql "ALTER DATABASE $PG_DB SET default_transaction_read_only = on"
printf 'day,v\n2026-11-21,7\n' > "$H/inbox/s_20261121.csv"
x receive s; expect_rc 1
expect_err "cannot execute"
expect_err "the next run retries it"
pg_sql "SET default_transaction_read_only = off; ALTER DATABASE $PG_DB RESET default_transaction_read_only"
x receive s; expect_rc 0
[ "$(pg_sql "SELECT count(*) FROM slow WHERE v = 7")" = 1 ] || fail "retry after read-only"

# --- logins: wrong password, wrong CA, a client certificate ---------------
printf 'not-the-password\n' > "$T/wrongpw"; chmod 600 "$T/wrongpw"
rjob w
sed -i "s|^password_file = .*|password_file = $T/wrongpw|" "$H/jobs/w.job"
printf 'day\n2026-11-20\n' > "$H/inbox/w_20261120.csv"
x receive w; expect_rc 1
expect_err "database '$PG_URL': cannot connect:"
expect_err "password authentication failed for user \"xfer\""
! grep -F -q "not-the-password" "$T/err" || fail "wrong password echoed"
rjob ca
sed -i "s|^ca_file = .*|ca_file = $PG_CA_WRONG|" "$H/jobs/ca.job"
printf 'day\n2026-11-20\n' > "$H/inbox/ca_20261120.csv"
x receive ca; expect_rc 1
expect_err "certificate verify failed"
job cert <<JOB
[job]
direction = send
timezone = UTC
[source]
type = postgresql
url = postgresql://$PG_CERT_USER@127.0.0.1:$PG_PORT/$PG_DB
ca_file = $PG_CA
client_cert = $PG_CLIENT_CERT
client_key = $PG_CLIENT_KEY
query = SELECT current_user AS who, :date AS d
[output]
name = cert_{date}.csv
[upload]
url = out
JOB
x send --date 2026-11-20 cert; expect_rc 0
expect_file "$H/out/cert_2026-11-20.csv" <<C
who,d
$PG_CERT_USER,2026-11-20
C

# --- check --connect: version, TLS, the query prepared / the table --------
x check --connect ev
expect_rc 0
expect_out "ok   server PostgreSQL 15"
expect_out "ok   TLS TLSv1.3"
expect_out "ok   query prepared (3 parameters)"
x check --connect r
expect_rc 0
expect_out "table public.rcv (day, store, amount, note, id)"
sed -e 's/FROM ev WHERE/FROM ev WHER/' "$H/jobs/ev.job" > "$H/jobs/bad.job"
x check --connect bad
expect_rc 1
expect_out "syntax error"

# --- the password in no log, status or spool file -------------------------
x status
no_password
! grep -r -F -q -- "$PW" "$H" || fail "password in $(grep -r -l -F -- "$PW" "$H")"
echo "ok"
