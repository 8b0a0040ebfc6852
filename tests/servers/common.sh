# Shell functions shared by the test servers (sshd.sh, nginx.sh,
# postgres.sh, mariadb.sh), sourced after each defines die() and, where it
# uses the TLS and path helpers, DIR, RUN and reachable().

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

# mkca NAME CN: a self-signed P-256 CA, NAME.key and NAME.pem in DIR.
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

# tls_certs CLIENT_CN: in DIR, a test CA (ca.pem), an unrelated one
# (wrong-ca.pem), a server certificate for 127.0.0.1 and localhost
# (server.pem) and a client certificate for CLIENT_CN (client.pem), all
# signed by ca; the server's key is handed to RUN when set (the servers
# read it as their own user and insist on mode 600).
tls_certs() {
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
	mkcert client ca client "$1"
	[ -z "${RUN:-}" ] || chown "$RUN" "$DIR/server.key" ||
	    die "cannot chown '$DIR/server.key'"
}

# open_path USER WHAT: let USER through every directory from DIR up to /
# (o+x, said on stderr), then check with reachable() that USER can use
# WHAT.
open_path() {
	reachable && return 0
	d=$DIR
	while [ "$d" != / ]; do
		if [ -z "$(find "$d" -maxdepth 0 -perm -o+x)" ]; then
			echo "$(basename "$0"): note: chmod o+x '$d' so '$1' can reach '$DIR'" >&2
			chmod o+x "$d" || die "cannot chmod '$d'"
		fi
		d=$(dirname "$d")
	done
	reachable || die "user '$1' cannot reach '$2'"
}
