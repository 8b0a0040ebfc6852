#!/bin/sh
# A throwaway PostgreSQL 15 on 127.0.0.1 for the end-to-end tests.
#
#   postgres.sh start DIR   generate a CA, certificates and passwords in
#                           DIR, initdb DIR/data, start PostgreSQL on a free
#                           port, create the users and the database, write
#                           DIR/env
#   postgres.sh stop DIR    stop that server by PID (pg_ctl stop -m fast,
#                           then SIGKILL)
#   postgres.sh restart DIR start it again, same data, config and port,
#                           after a stop
#
# DIR/env holds shell assignments (PG_PORT, PG_URL, PG_CA, ...); see
# tests/servers/README.md.  Everything lives in DIR; initdb refuses to run
# as root, so as root the server runs as the system user `postgres`
# (created with useradd -r when missing), and DIR and the directories
# above it must let that user pass (start adds o+x where needed).
set -u

PG_BIN=${XFER_PG_BIN:-/usr/lib/postgresql/15/bin}	# overridable for tests
PG_USER_NAME=xfer	# password login (scram-sha-256)
PG_CERT_USER_NAME=xfercert	# client certificate login (CN = user name)
PG_DB_NAME=xfer
RUN_AS=postgres		# the server's OS user when started as root

die() {
	echo "postgres.sh: $*" >&2
	exit 1
}

# q VALUE: VALUE as a single-quoted shell word.
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

need() {
	command -v "$1" >/dev/null 2>&1 ||
	    die "'$1' not found (run tests/deps.sh)"
}

# running PID: PID is a live process (a zombie that nobody reaped is not).
running() {
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# server_pid: the postmaster PID of DIR/data if it runs, else fail.
# postmaster.pid starts with the PID; a stale file (after a SIGKILL) may
# name a recycled PID, hence the check of the command name.
server_pid() {
	f=$DIR/data/postmaster.pid
	[ -s "$f" ] || return 1
	pid=$(head -n 1 "$f") || return 1
	case "$pid" in ''|*[!0-9]*) return 1 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] &&
	    running "$pid" && echo "$pid"
}

# free_port: a port in 20000-60000 that 127.0.0.1 can bind right now.
free_port() {
	python3 -c '
import random, socket, sys
for _ in range(200):
    p = random.randint(20000, 60000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit(1)'
}

# accepts PORT: something accepts TCP connections on 127.0.0.1:PORT.
accepts() {
	python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1"
}

# as_server CMD...: CMD as the server's OS user, from inside DIR.
as_server() {
	if [ -n "$RUN" ]; then
		(cd "$DIR" && runuser -u "$RUN" -- "$@")
	else
		(cd "$DIR" && "$@")
	fi
}

mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$DIR/$1.key" -out "$DIR/$1.pem" -days 30 \
	    -subj "/CN=$2" -config "$DIR/openssl.cnf" -extensions ca \
	    2>>"$DIR/openssl.log" ||
	    die "cannot make CA '$1' (see '$DIR/openssl.log')"
	chmod 600 "$DIR/$1.key"
	chmod 644 "$DIR/$1.pem"
}

# mkcert NAME CA EXT CN: a P-256 key NAME.key and a certificate NAME.pem
# signed by CA (CA.pem/CA.key), with the extensions of section EXT.
mkcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$DIR/$1.key" -out "$DIR/$1.csr" -subj "/CN=$4" \
	    -config "$DIR/openssl.cnf" 2>>"$DIR/openssl.log" &&
	openssl x509 -req -in "$DIR/$1.csr" -CA "$DIR/$2.pem" \
	    -CAkey "$DIR/$2.key" -set_serial "0x$(openssl rand -hex 8)" \
	    -days 30 -extfile "$DIR/openssl.cnf" -extensions "$3" \
	    -out "$DIR/$1.pem" 2>>"$DIR/openssl.log" ||
	    die "cannot make certificate '$1' (see '$DIR/openssl.log')"
	chmod 600 "$DIR/$1.key"
	chmod 644 "$DIR/$1.pem"
	rm -f "$DIR/$1.csr"
}

certs() {
	cat >"$DIR/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	rm -f "$DIR/openssl.log"
	mkca ca "xfer test CA"
	mkca wrong-ca "xfer unrelated CA"
	mkcert server ca server localhost
	mkcert client ca client "$PG_CERT_USER_NAME"
	# The server reads its key as its own user and insists on mode 600.
	[ -z "$RUN" ] || chown "$RUN" "$DIR/server.key" ||
	    die "cannot chown '$DIR/server.key'"
}

# reachable: the server's user can read the files in DIR it needs.
reachable() {
	[ -z "$RUN" ] && return 0
	runuser -u "$RUN" -- sh -c \
	    'test -r "$1" && test -r "$2" && test -w "$3"' sh \
	    "$DIR/server.key" "$DIR/ca.pem" "$DIR/data" 2>/dev/null
}

open_path() {
	reachable && return 0
	d=$DIR
	while [ "$d" != / ]; do
		if [ -z "$(find "$d" -maxdepth 0 -perm -o+x)" ]; then
			echo "postgres.sh: note: chmod o+x '$d' so '$RUN' can reach '$DIR'" >&2
			chmod o+x "$d" || die "cannot chmod '$d'"
		fi
		d=$(dirname "$d")
	done
	reachable || die "user '$RUN' cannot reach '$DIR'"
}

# pg_start: pg_ctl start of DIR/data, waiting at most 30 s.
pg_start() {
	as_server "$PG_BIN/pg_ctl" start -w -t 30 -D "$DIR/data" \
	    -l "$DIR/postgres.log" >"$DIR/pg_ctl.out" 2>&1
}

start() {
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
	    die "'$PG_BIN/initdb' not found (install postgresql: tests/deps.sh)"
	need python3
	need openssl
	mkdir -p "$1" || die "cannot create '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	if pid=$(server_pid); then
		die "a PostgreSQL (PID $pid) is already running in '$DIR'"
	fi
	RUN=""
	if [ "$(id -u)" -eq 0 ]; then
		RUN=$RUN_AS
		if ! getent passwd "$RUN" >/dev/null; then
			# A concurrent start may have just made it.
			useradd -r -M -d /var/lib/postgresql -s /bin/sh \
			    -c "PostgreSQL administrator" "$RUN" ||
			    getent passwd "$RUN" >/dev/null ||
			    die "cannot create user '$RUN'"
		fi
		chmod 711 "$DIR"
	fi
	superuser=${RUN:-$(id -un)}
	rm -rf "$DIR/env" "$DIR/data" "$DIR/sock" "$DIR/postgres.log" \
	    "$DIR/initdb.log" "$DIR/pg_ctl.out"
	mkdir -p "$DIR/data" "$DIR/sock" || die "cannot populate '$DIR'"
	chmod 700 "$DIR/data"
	chmod 755 "$DIR/sock"
	: >"$DIR/postgres.log"
	if [ -n "$RUN" ]; then
		chown "$RUN" "$DIR/data" "$DIR/sock" "$DIR/postgres.log" ||
		    die "cannot chown the server's files in '$DIR'"
	fi
	certs

	pw=$(openssl rand -hex 12) || die "openssl rand failed"
	(umask 077 && printf '%s\n' "$pw" >"$DIR/password") ||
	    die "cannot write '$DIR/password'"
	open_path

	# Local (socket) logins are trusted: that is how this script and a
	# test's fixtures get in as the superuser.  Over TCP only the two
	# test users, the password user with or without TLS, the cert user
	# only with TLS and a certificate from ca.pem naming it.
	as_server "$PG_BIN/initdb" -D "$DIR/data" -U "$superuser" -E UTF8 \
	    --locale=C.UTF-8 --auth-local=trust --auth-host=reject --no-sync \
	    --no-instructions >"$DIR/initdb.log" 2>&1 || {
		sed 's/^/    /' "$DIR/initdb.log" >&2
		die "initdb failed"
	}
	cat >"$DIR/data/pg_hba.conf" <<EOF
# Generated by tests/servers/postgres.sh.
# TYPE  DATABASE USER                  ADDRESS       METHOD
local   all      all                                 trust
hostssl all      $PG_CERT_USER_NAME              127.0.0.1/32  cert clientcert=verify-full
host    all      $PG_USER_NAME                  127.0.0.1/32  scram-sha-256
EOF
	echo "include 'xfer.conf'" >>"$DIR/data/postgresql.conf"

	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(free_port) || die "no free port in 20000-60000"
		cat >"$DIR/data/xfer.conf" <<EOF
# Generated by tests/servers/postgres.sh: a loopback-only server for tests.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/sock'
unix_socket_permissions = 0777
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$DIR/server.pem'
ssl_key_file = '$DIR/server.key'
ssl_ca_file = '$DIR/ca.pem'
max_connections = 50
shared_buffers = 32MB
logging_collector = off
log_connections = on
log_disconnections = on
log_line_prefix = '%m [%p] %q%u@%d '
EOF
		pg_start && pid=$(server_pid) && accepts "$port" && break
		pid=$(server_pid) &&
		    as_server "$PG_BIN/pg_ctl" stop -m immediate -D "$DIR/data" \
		    >/dev/null 2>&1
		if grep -q -e 'could not bind' -e 'already in use' \
		    "$DIR/postgres.log" && [ $tries -lt 5 ]; then
			continue	# lost a race for the port: pick another
		fi
		sed 's/^/    /' "$DIR/pg_ctl.out" "$DIR/postgres.log" >&2
		die "PostgreSQL did not come up on 127.0.0.1:$port"
	done

	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/sock" -p "$port" \
	    -U "$superuser" -d postgres \
	    >"$DIR/setup.log" 2>&1 <<EOF || {
\\set pw '$pw'
CREATE ROLE $PG_USER_NAME LOGIN PASSWORD :'pw';
CREATE ROLE $PG_CERT_USER_NAME LOGIN;
CREATE DATABASE $PG_DB_NAME OWNER $PG_USER_NAME;
\\connect $PG_DB_NAME
GRANT ALL ON SCHEMA public TO $PG_CERT_USER_NAME;
EOF
		sed 's/^/    /' "$DIR/setup.log" >&2
		stop "$DIR"
		die "cannot create the test users and database"
	}

	{
		echo "PG_DIR=$(q "$DIR")"
		echo "PG_PORT=$port"
		echo "PG_PID=$pid"
		echo "PG_HOST=127.0.0.1"
		echo "PG_SOCKET_DIR=$(q "$DIR/sock")"
		echo "PG_DB=$PG_DB_NAME"
		echo "PG_USER=$PG_USER_NAME"
		echo "PG_PASSWORD_FILE=$(q "$DIR/password")"
		echo "PG_CERT_USER=$PG_CERT_USER_NAME"
		echo "PG_SUPERUSER=$(q "$superuser")"
		echo "PG_CA=$(q "$DIR/ca.pem")"
		echo "PG_CA_WRONG=$(q "$DIR/wrong-ca.pem")"
		echo "PG_CLIENT_CERT=$(q "$DIR/client.pem")"
		echo "PG_CLIENT_KEY=$(q "$DIR/client.key")"
		echo "PG_URL=$(q "postgresql://$PG_USER_NAME@127.0.0.1:$port/$PG_DB_NAME")"
		echo "PG_BIN=$(q "$PG_BIN")"
		echo "PG_LOG=$(q "$DIR/postgres.log")"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env" ||
	    die "cannot write '$DIR/env'"
	echo "postgres.sh: PostgreSQL PID $pid on 127.0.0.1:$port ($DIR)"
}

stop() {
	[ -d "$1" ] || die "no such directory '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	RUN=""
	[ "$(id -u)" -eq 0 ] && RUN=$RUN_AS
	if ! pid=$(server_pid); then
		echo "postgres.sh: no PostgreSQL running in '$DIR'" >&2
		return 0
	fi
	# Backends would outlive a killed postmaster: note them first.
	kids=$(pgrep -P "$pid")
	as_server "$PG_BIN/pg_ctl" stop -w -t 20 -m fast -D "$DIR/data" \
	    >"$DIR/pg_ctl.out" 2>&1
	i=0
	while [ $i -lt 50 ]; do
		gone=1
		for p in $pid $kids; do
			running "$p" && gone=""
		done
		[ -n "$gone" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	kill -KILL $pid $kids 2>/dev/null
	sleep 0.1
	running "$pid" && die "PostgreSQL PID $pid does not die"
	return 0
}

# restart DIR: the stopped server of DIR again, on its port, with its data
# (a server that went away and came back); DIR/env gets the new PG_PID.
restart() {
	[ -d "$1" ] || die "no such directory '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	[ -s "$DIR/env" ] || die "no PostgreSQL was started in '$DIR'"
	if pid=$(server_pid); then
		die "a PostgreSQL (PID $pid) is already running in '$DIR'"
	fi
	RUN=""
	[ "$(id -u)" -eq 0 ] && RUN=$RUN_AS
	port=$(sed -n 's/^PG_PORT=//p' "$DIR/env")
	pg_start || {
		sed 's/^/    /' "$DIR/pg_ctl.out" >&2
		die "PostgreSQL did not start (see '$DIR/postgres.log')"
	}
	i=0
	until pid=$(server_pid) && accepts "$port"; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "PostgreSQL did not come back on 127.0.0.1:$port"
		sleep 0.1
	done
	sed "s/^PG_PID=.*/PG_PID=$pid/" "$DIR/env" >"$DIR/env.tmp" &&
	    mv "$DIR/env.tmp" "$DIR/env" || die "cannot write '$DIR/env'"
	echo "postgres.sh: PostgreSQL PID $pid on 127.0.0.1:$port again ($DIR)"
}

case "${1:-} ${2:+x}" in
"start x") start "$2" ;;
"stop x") stop "$2" ;;
"restart x") restart "$2" ;;
*) die "usage: postgres.sh start|stop|restart DIR" ;;
esac
