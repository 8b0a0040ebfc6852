#!/bin/sh
# A throwaway MariaDB 10.11 on 127.0.0.1 for the end-to-end tests.
#
#   mariadb.sh start DIR    generate a CA, certificates and passwords in
#                           DIR, mariadb-install-db into DIR/data, start
#                           mariadbd on a free port, create the users and
#                           the database, write DIR/env
#   mariadb.sh stop DIR     stop that server by PID (SIGTERM, then SIGKILL)
#   mariadb.sh restart DIR  start it again, same data, config and port,
#                           after a stop
#
# DIR/env holds shell assignments (MY_PORT, MY_URL, MY_CA, ...); see
# tests/servers/README.md.  Everything lives in DIR.  As root the server
# runs as the system user `mysql` (created with useradd -r when missing),
# so DIR and the directories above it must let that user pass (start adds
# o+x where needed).
set -u

MARIADBD=${XFER_MARIADBD:-/usr/sbin/mariadbd}	# overridable for tests
INSTALL_DB=${XFER_MARIADB_INSTALL_DB:-/usr/bin/mariadb-install-db}
MY_CLIENT=${XFER_MARIADB:-/usr/bin/mariadb}
MY_USER_NAME=xfer	# password login
MY_CERT_USER_NAME=xfercert	# client certificate login (REQUIRE X509)
MY_DB_NAME=xfer
RUN_AS=mysql		# the server's OS user when started as root

die() {
	echo "mariadb.sh: $*" >&2
	exit 1
}

. "$(dirname "$0")/common.sh"

# server_pid: the mariadbd PID of DIR if it runs, else fail.
server_pid() {
	f=$DIR/run/mariadbd.pid
	[ -s "$f" ] || return 1
	pid=$(head -n 1 "$f") || return 1
	case "$pid" in ''|*[!0-9]*) return 1 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ] &&
	    running "$pid" && echo "$pid"
}

# reachable: the server's user can read the files in DIR it needs.
reachable() {
	[ -z "$RUN" ] && return 0
	runuser -u "$RUN" -- sh -c \
	    'test -r "$1" && test -r "$2" && test -w "$3" && test -w "$4"' sh \
	    "$DIR/server.key" "$DIR/ca.pem" "$DIR/data" "$DIR/run" 2>/dev/null
}

# newlog: what mariadbd logged since run_server began.
newlog() {
	tail -c "+$((logsize + 1))" "$DIR/mariadbd.log" 2>/dev/null
}

# run_server: start mariadbd of DIR in the background, in its own session,
# with the options kept in DIR/mariadbd.args; wait at most 30 s for it to
# accept connections on PORT.  Sets pid; fails (with that mariadbd gone)
# if it gave up or timed out.
run_server() {
	rm -f "$DIR/run/mariadbd.pid"
	: >"$DIR/mariadbd.out"
	logsize=$(wc -c <"$DIR/mariadbd.log" 2>/dev/null) || logsize=0
	# shellcheck disable=SC2046
	setsid "$MARIADBD" --no-defaults $(cat "$DIR/mariadbd.args") \
	    </dev/null >>"$DIR/mariadbd.out" 2>&1 &
	bg=$!
	i=0
	while [ $i -lt 300 ]; do
		if pid=$(server_pid) && accepts "$port" &&
		    [ -S "$DIR/run/mariadbd.sock" ]; then
			return 0
		fi
		# A fatal start-up error (a lost race for the port, say)
		# ends with "Aborting" in the log.
		newlog | grep -q 'Aborting' && break
		sleep 0.1
		i=$((i + 1))
	done
	# Do not leave a half-started server behind.
	kill -TERM "$bg" 2>/dev/null
	i=0
	while running "$bg" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$bg" 2>/dev/null
	wait "$bg" 2>/dev/null
	return 1
}

start() {
	[ -x "$MARIADBD" ] ||
	    die "'$MARIADBD' not found (install mariadb-server: tests/deps.sh)"
	[ -x "$INSTALL_DB" ] ||
	    die "'$INSTALL_DB' not found (install mariadb-server: tests/deps.sh)"
	[ -x "$MY_CLIENT" ] ||
	    die "'$MY_CLIENT' not found (install mariadb-client: tests/deps.sh)"
	need python3
	need openssl
	need setsid
	mkdir -p "$1" || die "cannot create '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	if pid=$(server_pid); then
		die "a mariadbd (PID $pid) is already running in '$DIR'"
	fi
	RUN=""
	userarg=""
	if [ "$(id -u)" -eq 0 ]; then
		RUN=$RUN_AS
		if ! getent passwd "$RUN" >/dev/null; then
			useradd -r -M -d /nonexistent -s /bin/false \
			    -c "MariaDB Server" "$RUN" ||
			    getent passwd "$RUN" >/dev/null ||
			    die "cannot create user '$RUN'"
		fi
		userarg="--user=$RUN"
		chmod 711 "$DIR"
	fi
	rm -rf "$DIR/env" "$DIR/data" "$DIR/run" "$DIR/tmp" \
	    "$DIR/mariadbd.log" "$DIR/install.log" "$DIR/mariadbd.out"
	mkdir -p "$DIR/data" "$DIR/run" "$DIR/tmp" || die "cannot populate '$DIR'"
	chmod 700 "$DIR/data" "$DIR/tmp"
	chmod 755 "$DIR/run"
	: >"$DIR/mariadbd.log"
	if [ -n "$RUN" ]; then
		chown "$RUN" "$DIR/data" "$DIR/run" "$DIR/tmp" \
		    "$DIR/mariadbd.log" ||
		    die "cannot chown the server's files in '$DIR'"
	fi
	tls_certs "$MY_CERT_USER_NAME"

	pw=$(openssl rand -hex 12) || die "openssl rand failed"
	(umask 077 && printf '%s\n' "$pw" >"$DIR/password") ||
	    die "cannot write '$DIR/password'"
	open_path "$RUN" "$DIR"

	# root@localhost: no password, socket only (skip-networking is not
	# set, but root has no 127.0.0.1 account).
	# shellcheck disable=SC2086
	"$INSTALL_DB" --no-defaults $userarg --datadir="$DIR/data" \
	    --auth-root-authentication-method=normal --skip-test-db \
	    --skip-name-resolve --tmpdir="$DIR/tmp" \
	    >"$DIR/install.log" 2>&1 || {
		sed 's/^/    /' "$DIR/install.log" >&2
		die "mariadb-install-db failed"
	}

	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(free_port) || die "no free port in 20000-60000"
		# One option a line, no spaces (DIR comes from mktemp).
		cat >"$DIR/mariadbd.args" <<EOF
$userarg
--datadir=$DIR/data
--tmpdir=$DIR/tmp
--socket=$DIR/run/mariadbd.sock
--pid-file=$DIR/run/mariadbd.pid
--log-error=$DIR/mariadbd.log
--port=$port
--bind-address=127.0.0.1
--skip-name-resolve
--character-set-server=utf8mb4
--collation-server=utf8mb4_bin
--default-storage-engine=InnoDB
--innodb-buffer-pool-size=64M
--innodb-log-file-size=48M
--max-connections=100
--ssl-ca=$DIR/ca.pem
--ssl-cert=$DIR/server.pem
--ssl-key=$DIR/server.key
EOF
		case "$DIR" in *[[:space:]]*)
			die "'$DIR' has white space: use a mktemp -d directory" ;;
		esac
		run_server && break
		if newlog | grep -q -e 'Address already in use' -e 'Bind on TCP' &&
		    [ $tries -lt 5 ]; then
			continue	# lost a race for the port: pick another
		fi
		sed 's/^/    /' "$DIR/mariadbd.log" "$DIR/mariadbd.out" >&2
		die "mariadbd did not come up on 127.0.0.1:$port"
	done

	"$MY_CLIENT" --no-defaults -S "$DIR/run/mariadbd.sock" -u root \
	    >"$DIR/setup.log" 2>&1 <<EOF || {
CREATE DATABASE $MY_DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER '$MY_USER_NAME'@'127.0.0.1' IDENTIFIED BY '$pw';
CREATE USER '$MY_USER_NAME'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL ON $MY_DB_NAME.* TO '$MY_USER_NAME'@'127.0.0.1';
GRANT ALL ON $MY_DB_NAME.* TO '$MY_USER_NAME'@'localhost';
CREATE USER '$MY_CERT_USER_NAME'@'127.0.0.1'
    REQUIRE SUBJECT '/CN=$MY_CERT_USER_NAME' AND ISSUER '/CN=xfer test CA';
GRANT ALL ON $MY_DB_NAME.* TO '$MY_CERT_USER_NAME'@'127.0.0.1';
EOF
		sed 's/^/    /' "$DIR/setup.log" >&2
		stop "$DIR"
		die "cannot create the test users and database"
	}

	{
		echo "MY_DIR=$(q "$DIR")"
		echo "MY_PORT=$port"
		echo "MY_PID=$pid"
		echo "MY_HOST=127.0.0.1"
		echo "MY_SOCKET=$(q "$DIR/run/mariadbd.sock")"
		echo "MY_DB=$MY_DB_NAME"
		echo "MY_USER=$MY_USER_NAME"
		echo "MY_PASSWORD_FILE=$(q "$DIR/password")"
		echo "MY_CERT_USER=$MY_CERT_USER_NAME"
		echo "MY_CA=$(q "$DIR/ca.pem")"
		echo "MY_CA_WRONG=$(q "$DIR/wrong-ca.pem")"
		echo "MY_CLIENT_CERT=$(q "$DIR/client.pem")"
		echo "MY_CLIENT_KEY=$(q "$DIR/client.key")"
		echo "MY_URL=$(q "mysql://$MY_USER_NAME@127.0.0.1:$port/$MY_DB_NAME")"
		echo "MY_BIN=$(q "$(dirname "$MY_CLIENT")")"
		echo "MY_LOG=$(q "$DIR/mariadbd.log")"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env" ||
	    die "cannot write '$DIR/env'"
	echo "mariadb.sh: mariadbd PID $pid on 127.0.0.1:$port ($DIR)"
}

stop() {
	[ -d "$1" ] || die "no such directory '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	if ! pid=$(server_pid); then
		echo "mariadb.sh: no mariadbd running in '$DIR'" >&2
		return 0
	fi
	# SIGTERM is a normal shutdown; InnoDB may take a few seconds.
	kill -TERM "$pid" 2>/dev/null
	i=0
	while [ $i -lt 300 ]; do
		running "$pid" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.1
	running "$pid" && die "mariadbd PID $pid does not die"
	return 0
}

# restart DIR: the stopped server of DIR again, on its port, with its data
# (a server that went away and came back); DIR/env gets the new MY_PID.
restart() {
	[ -d "$1" ] || die "no such directory '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	[ -s "$DIR/env" ] || die "no mariadbd was started in '$DIR'"
	if pid=$(server_pid); then
		die "a mariadbd (PID $pid) is already running in '$DIR'"
	fi
	port=$(sed -n 's/^MY_PORT=//p' "$DIR/env")
	run_server || {
		sed 's/^/    /' "$DIR/mariadbd.out" >&2
		die "mariadbd did not come back on 127.0.0.1:$port (see '$DIR/mariadbd.log')"
	}
	sed "s/^MY_PID=.*/MY_PID=$pid/" "$DIR/env" >"$DIR/env.tmp" &&
	    mv "$DIR/env.tmp" "$DIR/env" || die "cannot write '$DIR/env'"
	echo "mariadb.sh: mariadbd PID $pid on 127.0.0.1:$port again ($DIR)"
}

case "${1:-} ${2:+x}" in
"start x") start "$2" ;;
"stop x") stop "$2" ;;
"restart x") restart "$2" ;;
*) die "usage: mariadb.sh start|stop|restart DIR" ;;
esac
