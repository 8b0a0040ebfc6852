#!/bin/sh
# A throwaway nginx (HTTPS + WebDAV) on 127.0.0.1 for the end-to-end tests.
#
#   nginx.sh start DIR  generate a CA, certificates, a basic-auth password
#                       and a config in DIR, start nginx on a free port,
#                       write DIR/env
#   nginx.sh stop DIR   stop that nginx by PID
#   nginx.sh restart DIR start it again, same config and port, after a stop
#
# NGINX_PRELOAD=SO at start runs nginx under LD_PRELOAD=SO with the
# FAULT_ENOSPC_PREFIX, FAULT_EROFS_PREFIX and FAULT_EACCES_PREFIX of the
# environment (tests/e2e/faultfs.c), passed on to the workers.
#
# DIR/env holds shell assignments (NGINX_PORT, NGINX_URL, NGINX_CA, ...);
# see tests/servers/README.md.  Everything, temp files included, lives in DIR.
set -u

NGINX=${XFER_NGINX:-/usr/sbin/nginx}	# overridable for selftest.sh
MODDIR=/usr/lib/nginx/modules

die() {
	echo "nginx.sh: $*" >&2
	exit 1
}

q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

need() {
	command -v "$1" >/dev/null 2>&1 ||
	    die "'$1' not found (run tests/deps.sh)"
}

alive() {
	[ -s "$1" ] || return 1
	pid=$(cat "$1") || return 1
	case "$pid" in ''|*[!0-9]*) return 1 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && running "$pid"
}

# running PID: PID is a live process (a zombie that nobody reaped is not).
running() {
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}

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

accepts() {
	python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1"
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
	rm -f "$DIR/$1.csr"
}

mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$DIR/$1.key" -out "$DIR/$1.pem" -days 30 \
	    -subj "/CN=$2" -config "$DIR/openssl.cnf" -extensions ca \
	    2>>"$DIR/openssl.log" ||
	    die "cannot make CA '$1' (see '$DIR/openssl.log')"
	chmod 600 "$DIR/$1.key"
}

start() {
	[ -x "$NGINX" ] || die "'$NGINX' not found (install nginx: tests/deps.sh)"
	need python3
	need openssl
	mod=$MODDIR/ngx_http_dav_ext_module.so
	[ -f "$mod" ] ||
	    die "'$mod' not found (install libnginx-mod-http-dav-ext: tests/deps.sh)"
	mkdir -p "$1" || die "cannot create '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	if alive "$DIR/nginx.pid" nginx; then
		die "an nginx (PID $(cat "$DIR/nginx.pid")) is already running in '$DIR'"
	fi
	rm -f "$DIR/nginx.pid" "$DIR/env" "$DIR/openssl.log"
	mkdir -p "$DIR/www/dav" "$DIR/www/auth" "$DIR/www/nomove" \
	    "$DIR/www/mtls" "$DIR/www/flaky" "$DIR/www/full" "$DIR/tmp" ||
	    die "cannot populate '$DIR'"
	rm -f "$DIR/flaky.429" "$DIR/flaky.503" "$DIR/preload"
	envs=""
	if [ -n "${NGINX_PRELOAD:-}" ]; then
		[ -f "$NGINX_PRELOAD" ] || die "no such file '$NGINX_PRELOAD'"
		# Kept for restart: the same faults when it comes back.
		{
			echo "LD_PRELOAD=$(q "$NGINX_PRELOAD")"
			for v in FAULT_ENOSPC_PREFIX FAULT_EROFS_PREFIX \
			    FAULT_EACCES_PREFIX; do
				eval "val=\${$v-}"
				echo "$v=$(q "$val")"
			done
		} >"$DIR/preload" || die "cannot write '$DIR/preload'"
		# Workers see only the variables that "env" names.
		envs="env FAULT_ENOSPC_PREFIX; env FAULT_EROFS_PREFIX; env FAULT_EACCES_PREFIX;"
	fi

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
	mkca ca "xfer test CA"
	mkca wrong-ca "xfer unrelated CA"
	mkcert server ca server localhost
	mkcert client ca client "xfer test client"

	pw=$(openssl rand -hex 12) || die "openssl rand failed"
	(umask 077 && printf '%s\n' "$pw" >"$DIR/http_password") ||
	    die "cannot write '$DIR/http_password'"
	hash=$(openssl passwd -apr1 "$pw") || die "openssl passwd failed"
	(umask 077 && printf 'xfer:%s\n' "$hash" >"$DIR/htpasswd") ||
	    die "cannot write '$DIR/htpasswd'"

	user=""
	[ "$(id -u)" -eq 0 ] && user="user root;"

	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(free_port) || die "no free port in 20000-60000"
		# Where /redirect/ points: nothing listens there.
		port2=$(free_port) || die "no free port in 20000-60000"
		cat >"$DIR/nginx.conf" <<EOF
# Generated by tests/servers/nginx.sh: a loopback-only WebDAV server for tests.
load_module $mod;
$user
daemon on;
master_process on;
worker_processes 2;
$envs
pid $DIR/nginx.pid;
error_log $DIR/error.log info;
events {
	worker_connections 512;
}
http {
	default_type application/octet-stream;
	# The tests read the Idempotency-Key each PUT carried from here.
	log_format xfer '\$request_method \$uri \$status idem=\$http_idempotency_key';
	access_log $DIR/access.log xfer;
	client_body_temp_path $DIR/tmp/client_body;
	proxy_temp_path $DIR/tmp/proxy;
	fastcgi_temp_path $DIR/tmp/fastcgi;
	uwsgi_temp_path $DIR/tmp/uwsgi;
	scgi_temp_path $DIR/tmp/scgi;
	sendfile on;
	server_tokens off;
	server {
		listen 127.0.0.1:$port ssl;
		server_name localhost 127.0.0.1;
		ssl_certificate $DIR/server.pem;
		ssl_certificate_key $DIR/server.key;
		ssl_client_certificate $DIR/ca.pem;
		ssl_verify_client optional;
		client_max_body_size 0;
		root $DIR/www;
		location /dav/ {
			dav_methods PUT DELETE MKCOL COPY MOVE;
			dav_ext_methods PROPFIND OPTIONS;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			autoindex on;
			autoindex_format json;
		}
		location /auth/ {
			auth_basic "xfer";
			auth_basic_user_file $DIR/htpasswd;
			dav_methods PUT DELETE MKCOL COPY MOVE;
			dav_ext_methods PROPFIND OPTIONS;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			autoindex on;
			autoindex_format json;
		}
		# Like /dav/ but only for clients with a certificate from ca.pem.
		location /mtls/ {
			if (\$ssl_client_verify != SUCCESS) {
				return 403;
			}
			dav_methods PUT DELETE MKCOL COPY MOVE;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			autoindex on;
			autoindex_format json;
		}
		location /nomove/ {
			dav_methods PUT DELETE;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			autoindex on;
			autoindex_format json;
		}
		# Like /dav/, but 429 or 503 (with Retry-After: 1) while the
		# file DIR/flaky.429 or DIR/flaky.503 exists.
		location /flaky/ {
			add_header Retry-After 1 always;
			if (-f $DIR/flaky.429) {
				return 429;
			}
			if (-f $DIR/flaky.503) {
				return 503;
			}
			dav_methods PUT DELETE MKCOL COPY MOVE;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			autoindex on;
			autoindex_format json;
		}
		# Like /dav/ with its own request body directory: replace
		# DIR/tmp/full by a file and every PUT fails (500), as when
		# the disk is full.
		location /full/ {
			client_body_temp_path $DIR/tmp/full;
			dav_methods PUT DELETE MKCOL COPY MOVE;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
			autoindex on;
			autoindex_format json;
		}
		location /fail500/ {
			return 500;
		}
		location /fail503/ {
			add_header Retry-After 1 always;
			return 503;
		}
		location /forbidden/ {
			return 403;
		}
		location /redirect/ {
			return 301 http://127.0.0.1:$port2/dav/;
		}
	}
}
EOF
		: >"$DIR/error.log"
		# With daemon on, nginx binds before it forks, so a lost race
		# for the port shows here; the master writes the PID file.
		if ! run_nginx; then
			if grep -q 'Address already in use' "$DIR/nginx.out" &&
			    [ $tries -lt 5 ]; then
				continue
			fi
			sed 's/^/    /' "$DIR/nginx.out" >&2
			die "nginx did not start (see '$DIR/error.log')"
		fi
		up=""
		i=0
		while [ $i -lt 100 ]; do
			if alive "$DIR/nginx.pid" nginx && accepts "$port"; then
				up=1
				break
			fi
			sleep 0.1
			i=$((i + 1))
		done
		[ -n "$up" ] && break
		sed 's/^/    /' "$DIR/error.log" >&2
		die "nginx did not come up on 127.0.0.1:$port"
	done
	pid=$(cat "$DIR/nginx.pid")

	{
		echo "NGINX_DIR=$(q "$DIR")"
		echo "NGINX_PORT=$port"
		echo "NGINX_PID=$pid"
		echo "NGINX_URL=$(q "https://127.0.0.1:$port")"
		echo "NGINX_CA=$(q "$DIR/ca.pem")"
		echo "NGINX_WRONG_CA=$(q "$DIR/wrong-ca.pem")"
		echo "NGINX_ROOT=$(q "$DIR/www")"
		echo "NGINX_USER=xfer"
		echo "NGINX_PASSWORD_FILE=$(q "$DIR/http_password")"
		echo "NGINX_CLIENT_CERT=$(q "$DIR/client.pem")"
		echo "NGINX_CLIENT_KEY=$(q "$DIR/client.key")"
		echo "NGINX_REDIRECT_PORT=$port2"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env" ||
	    die "cannot write '$DIR/env'"
	echo "nginx.sh: nginx PID $pid on https://127.0.0.1:$port ($DIR)"
}

# run_nginx: start the master of DIR (under DIR/preload, if any).
run_nginx() {
	(
		if [ -f "$DIR/preload" ]; then
			set -a
			. "$DIR/preload"
			set +a
		fi
		exec "$NGINX" -c "$DIR/nginx.conf" -p "$DIR/" -e "$DIR/error.log" \
		    </dev/null >"$DIR/nginx.out" 2>&1
	)
}

# restart DIR: the stopped nginx of DIR again, on its port (a server that
# went away and came back); DIR/env gets the new NGINX_PID.
restart() {
	[ -d "$1" ] || die "no such directory '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	[ -s "$DIR/env" ] || die "no nginx was started in '$DIR'"
	if alive "$DIR/nginx.pid" nginx; then
		die "an nginx (PID $(cat "$DIR/nginx.pid")) is already running in '$DIR'"
	fi
	port=$(sed -n 's/^NGINX_PORT=//p' "$DIR/env")
	rm -f "$DIR/nginx.pid"
	run_nginx || {
		sed 's/^/    /' "$DIR/nginx.out" >&2
		die "nginx did not start (see '$DIR/error.log')"
	}
	i=0
	until alive "$DIR/nginx.pid" nginx && accepts "$port"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "nginx did not come back on 127.0.0.1:$port"
		sleep 0.1
	done
	pid=$(cat "$DIR/nginx.pid")
	sed "s/^NGINX_PID=.*/NGINX_PID=$pid/" "$DIR/env" >"$DIR/env.tmp" &&
	    mv "$DIR/env.tmp" "$DIR/env" || die "cannot write '$DIR/env'"
	echo "nginx.sh: nginx PID $pid on https://127.0.0.1:$port again ($DIR)"
}

stop() {
	DIR=$1
	[ -d "$DIR" ] || die "no such directory '$DIR'"
	if ! alive "$DIR/nginx.pid" nginx; then
		echo "nginx.sh: no nginx running in '$DIR'" >&2
		return 0
	fi
	pid=$(cat "$DIR/nginx.pid")
	# Workers would outlive a killed master: note them first.
	kids=$(pgrep -P "$pid")
	# TERM is nginx's fast shutdown: it does not wait for slow clients.
	kill -TERM "$pid" 2>/dev/null
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
	running "$pid" && die "nginx PID $pid does not die"
	return 0
}

case "${1:-} ${2:+x}" in
"start x") start "$2" ;;
"stop x") stop "$2" ;;
"restart x") restart "$2" ;;
*) die "usage: nginx.sh start|stop|restart DIR" ;;
esac
