#!/bin/sh
# Check tests/servers/{postgres,mariadb}.sh with the stock clients (psql,
# mariadb): start both in a temp directory, exercise logins, TLS, the
# test users and the database, restart and stop both and make sure they
# are gone.  Every client call is bounded (timeout 30, connect timeout
# 10 s).  Exit 0 only if every check passes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/xfer-dbservers.XXXXXX") || exit 1
P=$W/pg
M=$W/my
pass=0 failed=0

cleanup() {
	sh "$here/postgres.sh" stop "$P" >/dev/null 2>&1
	sh "$here/mariadb.sh" stop "$M" >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ok() {
	pass=$((pass + 1))
	echo "ok   $*"
}

bad() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# is NAME WANT GOT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi
}

now() {
	date +%s.%N
}

# secs T0: seconds since T0, one decimal.
secs() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# mode FILE: its permission bits, octal.
mode() {
	stat -c %a "$1"
}

# No client settings from the environment or HOME (~/.pgpass,
# ~/.postgresql/root.crt, ~/.my.cnf) may get into the checks.
for v in PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD \
    PGPASSFILE PGSERVICE PGSERVICEFILE PGSSLMODE PGSSLROOTCERT PGSSLCERT \
    PGSSLKEY PGOPTIONS PGCONNECT_TIMEOUT MYSQL_PWD MYSQL_HOST MYSQL_TCP_PORT \
    MYSQL_UNIX_PORT; do
	unset "$v"
done
export HOME="$W/home"
mkdir -p "$HOME"

# --- start ------------------------------------------------------------
t0=$(now)
if ! sh "$here/postgres.sh" start "$P"; then
	echo "FAIL postgres.sh start"
	exit 1
fi
pg_start_s=$(secs "$t0")
t0=$(now)
if ! sh "$here/mariadb.sh" start "$M"; then
	echo "FAIL mariadb.sh start"
	exit 1
fi
my_start_s=$(secs "$t0")
echo "start: postgres ${pg_start_s}s, mariadb ${my_start_s}s"
. "$P/env"
. "$M/env"
PGPW=$(cat "$PG_PASSWORD_FILE")
MYPW=$(cat "$MY_PASSWORD_FILE")

if sh "$here/postgres.sh" start "$P" 2>"$W/err"; then
	bad "second postgres.sh start in the same DIR succeeded"
else
	ok "second postgres.sh start refused: $(cat "$W/err")"
fi
if sh "$here/mariadb.sh" start "$M" 2>"$W/err"; then
	bad "second mariadb.sh start in the same DIR succeeded"
else
	ok "second mariadb.sh start refused: $(cat "$W/err")"
fi
if XFER_PG_BIN=/nonexistent sh "$here/postgres.sh" start "$W/nopg" 2>"$W/err"; then
	bad "postgres.sh start without PostgreSQL succeeded"
else
	ok "postgres.sh start without PostgreSQL fails: $(cat "$W/err")"
fi
if XFER_MARIADBD=/nonexistent/mariadbd sh "$here/mariadb.sh" start "$W/nomy" 2>"$W/err"; then
	bad "mariadb.sh start without mariadbd succeeded"
else
	ok "mariadb.sh start without mariadbd fails: $(cat "$W/err")"
fi

for port in "$PG_PORT" "$MY_PORT"; do
	if [ "$port" -ge 20000 ] && [ "$port" -le 60000 ]; then
		ok "port $port in 20000-60000"
	else
		bad "port $port outside 20000-60000"
	fi
done
is "PG_PID is a postgres" postgres "$(cat "/proc/$PG_PID/comm" 2>/dev/null)"
is "MY_PID is a mariadbd" mariadbd "$(cat "/proc/$MY_PID/comm" 2>/dev/null)"
is "PG_PASSWORD_FILE mode" 600 "$(mode "$PG_PASSWORD_FILE")"
is "MY_PASSWORD_FILE mode" 600 "$(mode "$MY_PASSWORD_FILE")"
is "PG_CLIENT_KEY mode" 600 "$(mode "$PG_CLIENT_KEY")"
is "PG_URL" "postgresql://$PG_USER@127.0.0.1:$PG_PORT/xfer" "$PG_URL"
is "MY_URL" "mysql://$MY_USER@127.0.0.1:$MY_PORT/xfer" "$MY_URL"
is "PG_HOST" 127.0.0.1 "$PG_HOST"
is "MY_HOST" 127.0.0.1 "$MY_HOST"
[ -x "$PG_BIN/psql" ] && ok "PG_BIN has psql" || bad "no psql in PG_BIN '$PG_BIN'"
[ -x "$MY_BIN/mariadb" ] && ok "MY_BIN has mariadb" || bad "no mariadb in MY_BIN '$MY_BIN'"

# --- PostgreSQL -------------------------------------------------------
# pg CONNINFO SQL: the unaligned result of SQL (password from PGPW_USE;
# -w: never prompt for one).  PGCONNECT_TIMEOUT bounds the connection.
pg() {
	PGPASSWORD=${PGPW_USE-} PGCONNECT_TIMEOUT=10 timeout 30 \
	    "$PG_BIN/psql" -X -w -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" \
	    </dev/null 2>"$W/err"
}
tcp="host=127.0.0.1 port=$PG_PORT dbname=$PG_DB"
vf="sslmode=verify-full sslrootcert=$PG_CA"

PGPW_USE=$PGPW
is "pg: password login, TLS verify-full with PG_CA" "t|$PG_USER" \
    "$(pg "$tcp user=$PG_USER $vf" \
    "select ssl, current_user from pg_stat_ssl where pid = pg_backend_pid()")"
is "pg: the URL with verify-full" "t" \
    "$(pg "$PG_URL?sslmode=verify-full&sslrootcert=$PG_CA" \
    "select ssl from pg_stat_ssl where pid = pg_backend_pid()")"
is "pg: host=localhost matches the certificate" "t" \
    "$(pg "host=localhost port=$PG_PORT dbname=$PG_DB user=$PG_USER $vf" \
    "select ssl from pg_stat_ssl where pid = pg_backend_pid()")"
is "pg: password login without TLS" "f" \
    "$(pg "$tcp user=$PG_USER sslmode=disable" \
    "select ssl from pg_stat_ssl where pid = pg_backend_pid()")"
if pg "$tcp user=$PG_USER sslmode=verify-full sslrootcert=$PG_CA_WRONG" \
    "select 1" >/dev/null; then
	bad "pg: login with PG_CA_WRONG succeeded"
else
	ok "pg: PG_CA_WRONG refused: $(head -n 1 "$W/err")"
fi
PGPW_USE=wrong-$PGPW
if pg "$tcp user=$PG_USER $vf" "select 1" >/dev/null; then
	bad "pg: a wrong password was accepted"
else
	ok "pg: wrong password refused: $(head -n 1 "$W/err")"
fi
PGPW_USE=""
if pg "$tcp user=$PG_USER $vf" "select 1" >/dev/null; then
	bad "pg: no password was accepted"
else
	ok "pg: no password refused: $(head -n 1 "$W/err")"
fi
cert="sslcert=$PG_CLIENT_CERT sslkey=$PG_CLIENT_KEY"
is "pg: cert user login with PG_CLIENT_CERT" "t|$PG_CERT_USER" \
    "$(pg "$tcp user=$PG_CERT_USER $vf $cert" \
    "select ssl, current_user from pg_stat_ssl where pid = pg_backend_pid()")"
if pg "$tcp user=$PG_CERT_USER $vf sslcert=/nonexistent sslkey=/nonexistent" \
    "select 1" >/dev/null; then
	bad "pg: cert user without a certificate got in"
else
	ok "pg: cert user without a certificate refused: $(head -n 1 "$W/err")"
fi
if pg "$tcp user=$PG_CERT_USER sslmode=disable" "select 1" >/dev/null; then
	bad "pg: cert user without TLS got in"
else
	ok "pg: cert user without TLS refused: $(head -n 1 "$W/err")"
fi
if pg "$tcp user=$PG_USER $vf $cert" "select 1" >/dev/null; then
	bad "pg: the client certificate stood in for the password user's password"
else
	ok "pg: the client certificate is no password: $(head -n 1 "$W/err")"
fi
is "pg: superuser over the socket" "$PG_SUPERUSER" \
    "$(pg "host=$PG_SOCKET_DIR port=$PG_PORT dbname=$PG_DB user=$PG_SUPERUSER" \
    "select current_user")"
PGPW_USE=$PGPW
is "pg: create/insert/select in $PG_DB" "1|é€ x|12.50" \
    "$(pg "$tcp user=$PG_USER $vf" "create table t (id int primary key,
    s text, amount numeric(14,2)); insert into t values (1, 'é€ x', 12.5);
    select * from t")"
is "pg: server encoding" "UTF8" "$(pg "$tcp user=$PG_USER $vf" "show server_encoding")"
PGPW_USE=""
is "pg: cert user may use table t" "1" \
    "$(pg "$tcp user=$PG_CERT_USER $vf $cert" "create table t2 (i int);
    insert into t2 values (1); select count(*) from t2")"

# --- MariaDB ----------------------------------------------------------
# my SQL ARGS...: the tab-separated result of SQL (password from MYPW_USE).
my() {
	sql=$1
	shift
	MYSQL_PWD=${MYPW_USE-} timeout 30 "$MY_BIN/mariadb" --no-defaults \
	    --connect-timeout=10 -N -B "$@" -e "$sql" 2>"$W/err"
}
mytcp="-h 127.0.0.1 -P $MY_PORT -D $MY_DB"
myvf="--ssl-ca=$MY_CA --ssl-verify-server-cert"

MYPW_USE=$MYPW
# shellcheck disable=SC2086
got=$(my "select variable_value <> '', current_user() from
    information_schema.session_status where variable_name = 'Ssl_cipher'" \
    $mytcp -u "$MY_USER" $myvf)
is "my: password login, TLS verified with MY_CA" "1	$MY_USER@127.0.0.1" "$got"
# shellcheck disable=SC2086
got=$(my "select variable_value from information_schema.session_status
    where variable_name = 'Ssl_cipher'" $mytcp -u "$MY_USER" --skip-ssl)
is "my: password login without TLS" "" "$got"
# shellcheck disable=SC2086
if my "select 1" $mytcp -u "$MY_USER" --ssl-ca="$MY_CA_WRONG" \
    --ssl-verify-server-cert >/dev/null; then
	bad "my: login with MY_CA_WRONG succeeded"
else
	ok "my: MY_CA_WRONG refused: $(head -n 1 "$W/err")"
fi
MYPW_USE=wrong-$MYPW
# shellcheck disable=SC2086
if my "select 1" $mytcp -u "$MY_USER" $myvf >/dev/null; then
	bad "my: a wrong password was accepted"
else
	ok "my: wrong password refused: $(head -n 1 "$W/err")"
fi
MYPW_USE=""
# shellcheck disable=SC2086
got=$(my "select current_user()" $mytcp -u "$MY_CERT_USER" $myvf \
    --ssl-cert="$MY_CLIENT_CERT" --ssl-key="$MY_CLIENT_KEY")
is "my: cert user login with MY_CLIENT_CERT" "$MY_CERT_USER@127.0.0.1" "$got"
# shellcheck disable=SC2086
if my "select 1" $mytcp -u "$MY_CERT_USER" $myvf >/dev/null; then
	bad "my: cert user without a certificate got in"
else
	ok "my: cert user without a certificate refused: $(head -n 1 "$W/err")"
fi
MYPW_USE=$MYPW
got=$(my "select current_user()" -S "$MY_SOCKET" -u "$MY_USER" -D "$MY_DB")
is "my: password user over the socket" "$MY_USER@localhost" "$got"
# shellcheck disable=SC2086
got=$(my "create table t (id int primary key, s varchar(20),
    amount decimal(14,2)) engine=InnoDB; insert into t values (1, 'é€ x', 12.5);
    select * from t" $mytcp -u "$MY_USER" $myvf --default-character-set=utf8mb4)
is "my: create/insert/select in $MY_DB" "1	é€ x	12.50" "$got"
# shellcheck disable=SC2086
is "my: table engine" "InnoDB" "$(my "select engine from
    information_schema.tables where table_schema = '$MY_DB' and
    table_name = 't'" $mytcp -u "$MY_USER" $myvf)"

# --- stop and restart -------------------------------------------------
pg_pid=$PG_PID
my_pid=$MY_PID
sh "$here/postgres.sh" stop "$P" || bad "postgres.sh stop failed"
sh "$here/mariadb.sh" stop "$M" || bad "mariadb.sh stop failed"
running "$pg_pid" && bad "postgres PID $pg_pid survived stop" ||
    ok "postgres PID $pg_pid gone after stop"
running "$my_pid" && bad "mariadbd PID $my_pid survived stop" ||
    ok "mariadbd PID $my_pid gone after stop"
accepts "$PG_PORT" && bad "port $PG_PORT still accepts after stop" ||
    ok "port $PG_PORT closed after stop"
accepts "$MY_PORT" && bad "port $MY_PORT still accepts after stop" ||
    ok "port $MY_PORT closed after stop"
if sh "$here/postgres.sh" stop "$P" 2>/dev/null &&
    sh "$here/mariadb.sh" stop "$M" 2>/dev/null; then
	ok "stopping twice is harmless"
else
	bad "stopping twice failed"
fi

t0=$(now)
sh "$here/postgres.sh" restart "$P" || bad "postgres.sh restart failed"
pg_restart_s=$(secs "$t0")
t0=$(now)
sh "$here/mariadb.sh" restart "$M" || bad "mariadb.sh restart failed"
my_restart_s=$(secs "$t0")
echo "restart: postgres ${pg_restart_s}s, mariadb ${my_restart_s}s"
old_pg_port=$PG_PORT
old_my_port=$MY_PORT
. "$P/env"
. "$M/env"
is "pg: restart keeps the port" "$old_pg_port" "$PG_PORT"
is "my: restart keeps the port" "$old_my_port" "$MY_PORT"
[ "$PG_PID" != "$pg_pid" ] && running "$PG_PID" &&
    ok "pg: env has the new PID $PG_PID" || bad "pg: PG_PID not updated"
[ "$MY_PID" != "$my_pid" ] && running "$MY_PID" &&
    ok "my: env has the new PID $MY_PID" || bad "my: MY_PID not updated"
PGPW_USE=$PGPW
is "pg: data kept across restart" "1|é€ x|12.50" \
    "$(pg "$tcp user=$PG_USER $vf" "select * from t")"
MYPW_USE=$MYPW
# shellcheck disable=SC2086
is "my: data kept across restart" "1	é€ x	12.50" \
    "$(my "select * from t" $mytcp -u "$MY_USER" $myvf \
    --default-character-set=utf8mb4)"
if sh "$here/postgres.sh" restart "$P" 2>"$W/err"; then
	bad "postgres.sh restart of a running server succeeded"
else
	ok "postgres.sh restart of a running server refused: $(cat "$W/err")"
fi

# --- the end ------------------------------------------------------------
pids="$PG_PID $MY_PID"
kids=$(for p in $pids; do pgrep -P "$p"; done)
sh "$here/postgres.sh" stop "$P" || bad "postgres.sh stop failed"
sh "$here/mariadb.sh" stop "$M" || bad "mariadb.sh stop failed"
left=""
for p in $pids $kids; do
	running "$p" && left="$left $p"
done
is "no server process left (of $(echo $pids $kids | wc -w))" "" "$left"
accepts "$PG_PORT" && bad "port $PG_PORT still accepts" ||
    ok "port $PG_PORT closed"
accepts "$MY_PORT" && bad "port $MY_PORT still accepts" ||
    ok "port $MY_PORT closed"

echo "db servers: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
