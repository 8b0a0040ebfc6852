#!/bin/sh
# Check tests/servers/{sshd,nginx}.sh with the stock curl CLI (the same
# libcurl + libssh2 xfer links): start both in a temp directory, exercise
# everything the e2e tests rely on, stop both and make sure they are gone.
# Exit 0 only if every check passes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/xfer-servers.XXXXXX") || exit 1
S=$W/sshd
N=$W/nginx
pass=0 failed=0

cleanup() {
	sh "$here/nginx.sh" stop "$N" >/dev/null 2>&1
	sh "$here/sshd.sh" stop "$S" >/dev/null 2>&1
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

# Never let a proxy from the environment get between curl and 127.0.0.1.
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
# curl reads $HOME/.ssh/known_hosts for sftp://: give it one we control.
export HOME="$W/home"
mkdir -p "$HOME/.ssh"
CURL="curl -sS --max-time 20 --connect-timeout 5"

# --- start ------------------------------------------------------------
if ! sh "$here/sshd.sh" start "$S"; then
	echo "FAIL sshd.sh start"
	exit 1
fi
if ! sh "$here/nginx.sh" start "$N"; then
	echo "FAIL nginx.sh start"
	exit 1
fi
. "$S/env"
. "$N/env"

if sh "$here/sshd.sh" start "$S" 2>"$W/err"; then
	bad "second sshd.sh start in the same DIR succeeded"
else
	ok "second sshd.sh start refused: $(cat "$W/err")"
fi
if sh "$here/nginx.sh" start "$N" 2>"$W/err"; then
	bad "second nginx.sh start in the same DIR succeeded"
else
	ok "second nginx.sh start refused: $(cat "$W/err")"
fi
if XFER_SSHD=/nonexistent/sshd sh "$here/sshd.sh" start "$W/nossh" 2>"$W/err"; then
	bad "sshd.sh start without sshd succeeded"
else
	ok "sshd.sh start without sshd fails: $(cat "$W/err")"
fi
if XFER_NGINX=/nonexistent/nginx sh "$here/nginx.sh" start "$W/nongx" 2>"$W/err"; then
	bad "nginx.sh start without nginx succeeded"
else
	ok "nginx.sh start without nginx fails: $(cat "$W/err")"
fi

for f in "$SSHD_CLIENT_KEY" "$SSHD_CLIENT_KEY_PASS" "$SSHD_CLIENT_KEY_PASSFILE" \
    "$NGINX_PASSWORD_FILE" "$NGINX_CLIENT_KEY" ${SSHD_PASSWORD_FILE:+"$SSHD_PASSWORD_FILE"}; do
	is "mode of $(basename "$f")" 600 "$(stat -c %a "$f")"
done

# --- SFTP -------------------------------------------------------------
printf 'hello sftp\n' >"$W/small"
dd if=/dev/urandom of="$W/big" bs=1024 count=3072 2>/dev/null
SURL="sftp://127.0.0.1:$SSHD_PORT$SSHD_HOME"

# sftp NAME WANT_RC [curl args...]
sftp() {
	name=$1 want=$2
	shift 2
	$CURL "$@" 2>"$W/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name (curl exit $got)"
	else
		bad "$name: want curl exit $want, got $got: $(head -1 "$W/err")"
	fi
}

sftp "sftp upload, client key + SSHD_PIN" 0 -T "$W/big" "$SURL/big" \
    -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY" --hostpubsha256 "$SSHD_PIN"
if cmp -s "$W/big" "$SSHD_HOME/big"; then ok "sftp upload content"; else bad "sftp upload content"; fi
is "sftp file owner" "$SSHD_USER" "$(stat -c %U "$SSHD_HOME/big" 2>/dev/null)"

# Which host key does libssh2 negotiate when the server offers both?
works=""
for kt in ECDSA ED25519; do
	eval "p=\$SSHD_PIN_$kt"
	if $CURL -T "$W/small" "$SURL/pin-$kt" -u "$SSHD_USER:" \
	    --key "$SSHD_CLIENT_KEY" --hostpubsha256 "$p" 2>/dev/null; then
		works="$works $kt"
		[ "$p" = "$SSHD_PIN" ] && kt_pin=$kt
	fi
done
is "exactly the negotiated pin (SSHD_PIN) matches" " ${kt_pin:-none}" "$works"
echo "     negotiated host key type:$works"
sftp "sftp wrong pin refused" 60 -T "$W/small" "$SURL/wrongpin" \
    -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY" --hostpubsha256 "$SSHD_PIN_WRONG"
if [ -e "$SSHD_HOME/wrongpin" ]; then bad "wrong pin wrote a file"; else ok "wrong pin wrote nothing"; fi

cp "$SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
sftp "sftp with SSHD_KNOWN_HOSTS" 0 -T "$W/small" "$SURL/kh" \
    -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY"
cp "$SSHD_KNOWN_HOSTS_WRONG" "$HOME/.ssh/known_hosts"
sftp "sftp with SSHD_KNOWN_HOSTS_WRONG refused" 60 -T "$W/small" "$SURL/khw" \
    -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY"
rm -f "$HOME/.ssh/known_hosts"

sftp "sftp passphrase key with passphrase" 0 -T "$W/small" "$SURL/pass" \
    -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY_PASS" \
    --pass "$(cat "$SSHD_CLIENT_KEY_PASSFILE")" --hostpubsha256 "$SSHD_PIN"
sftp "sftp passphrase key without passphrase refused" 67 -T "$W/small" \
    "$SURL/nopass" -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY_PASS" \
    --hostpubsha256 "$SSHD_PIN"

if [ -n "$SSHD_PASSWORD_FILE" ]; then
	sftp "sftp password login" 0 -T "$W/small" "$SURL/pw" \
	    -u "$SSHD_USER:$(cat "$SSHD_PASSWORD_FILE")" --hostpubsha256 "$SSHD_PIN"
	sftp "sftp wrong password refused" 67 -T "$W/small" "$SURL/pwbad" \
	    -u "$SSHD_USER:wrong" --hostpubsha256 "$SSHD_PIN"
else
	echo "skip sftp password login ($(cat "$SSHD_DIR/nopassword"))"
fi
sftp "sftp missing directory" 78 -T "$W/small" "$SURL/no/such/dir/x" \
    -u "$SSHD_USER:" --key "$SSHD_CLIENT_KEY" --hostpubsha256 "$SSHD_PIN"

# --- HTTPS ------------------------------------------------------------
# code NAME WANT [curl args...]: the HTTP status of one request.
code() {
	name=$1 want=$2
	shift 2
	got=$($CURL -o "$W/body" -D "$W/headers" -w '%{http_code}' \
	    --cacert "$NGINX_CA" "$@" 2>"$W/err")
	case " $want " in
	*" $got "*) ok "$name (HTTP $got)" ;;
	*) bad "$name: want HTTP $want, got $got $(head -1 "$W/err")" ;;
	esac
}
U=$NGINX_URL

code "https PUT new" 201 -T "$W/big" "$U/dav/in/big"
code "https PUT again" 204 -T "$W/big" "$U/dav/in/big"
if cmp -s "$W/big" "$NGINX_ROOT/dav/in/big"; then ok "https PUT content"; else bad "https PUT content"; fi
code "https PUT part" 201 -T "$W/small" "$U/dav/in/x.part"
code "https MOVE" "201 204" -X MOVE -H "Destination: $U/dav/in/x" "$U/dav/in/x.part"
if [ -f "$NGINX_ROOT/dav/in/x" ] && [ ! -e "$NGINX_ROOT/dav/in/x.part" ]; then
	ok "https MOVE renamed the file"
else
	bad "https MOVE did not rename the file"
fi
code "https PUT part 2" 201 -T "$W/small" "$U/dav/in/y.part"
code "https MOVE Overwrite: F onto a file" 412 -X MOVE -H 'Overwrite: F' \
    -H "Destination: $U/dav/in/x" "$U/dav/in/y.part"
code "https DELETE" 204 -X DELETE "$U/dav/in/y.part"
code "https PUT nomove" 201 -T "$W/small" "$U/nomove/a.part"
code "https MOVE under /nomove/" 405 -X MOVE -H "Destination: $U/nomove/a" \
    "$U/nomove/a.part"
code "https /auth/ without credentials" 401 -T "$W/small" "$U/auth/a"
code "https /auth/ wrong password" 401 -T "$W/small" -u xfer:wrong "$U/auth/a"
code "https /auth/ with credentials" 201 -T "$W/small" \
    -u "$NGINX_USER:$(cat "$NGINX_PASSWORD_FILE")" "$U/auth/a"
code "https /mtls/ without client certificate" 403 -T "$W/small" "$U/mtls/a"
code "https /mtls/ with client certificate" 201 -T "$W/small" \
    --cert "$NGINX_CLIENT_CERT" --key "$NGINX_CLIENT_KEY" "$U/mtls/a"
code "https /fail500/" 500 -T "$W/small" "$U/fail500/a"
code "https /fail503/" 503 -T "$W/small" "$U/fail503/a"
if grep -q -i '^Retry-After: 1' "$W/headers"; then ok "503 has Retry-After"; else bad "503 lacks Retry-After"; fi
code "https /forbidden/" 403 -T "$W/small" "$U/forbidden/a"
code "https /redirect/" 301 -T "$W/small" "$U/redirect/a"
if grep -q -i "^Location: http://127.0.0.1:$NGINX_REDIRECT_PORT/dav/" "$W/headers"; then
	ok "301 Location"
else
	bad "301 Location: $(grep -i '^Location' "$W/headers")"
fi
code "https GET listing" 200 "$U/dav/in/"
if python3 -c '
import json, sys
names = sorted(e["name"] for e in json.load(open(sys.argv[1])))
sys.exit(names != ["big", "x"])' "$W/body"; then
	ok "listing is JSON with big, x"
else
	bad "listing: $(cat "$W/body")"
fi

# tls NAME WANT_RC [curl args...]: TLS failures show as curl's exit code.
tls() {
	name=$1 want=$2
	shift 2
	$CURL -o /dev/null "$@" 2>"$W/err"
	got=$?
	case " $want " in
	*" $got "*) ok "$name (curl exit $got)" ;;
	*) bad "$name: want curl exit $want, got $got: $(head -1 "$W/err")" ;;
	esac
}
tls "https wrong CA refused" 60 --cacert "$NGINX_WRONG_CA" "$U/dav/"
# 77: no system CA bundle at all (ca-certificates not installed).
tls "https system CA store refused" "60 77" "$U/dav/"
tls "https wrong host name refused" 60 --cacert "$NGINX_CA" \
    --resolve "wrong.example:$NGINX_PORT:127.0.0.1" "https://wrong.example:$NGINX_PORT/dav/"
tls "https localhost accepted" 0 --cacert "$NGINX_CA" "https://localhost:$NGINX_PORT/dav/"

# --- stop -------------------------------------------------------------
spid=$SSHD_PID npid=$NGINX_PID
kids="$(pgrep -P "$npid" | tr '\n' ' ')"
sh "$here/sshd.sh" stop "$S" || bad "sshd.sh stop failed"
sh "$here/nginx.sh" stop "$N" || bad "nginx.sh stop failed"
for p in $spid $npid $kids; do
	if running "$p"; then bad "PID $p still running"; else ok "PID $p gone"; fi
done
for port in "$SSHD_PORT" "$NGINX_PORT"; do
	if python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)' "$port"; then
		bad "port $port still accepts"
	else
		ok "port $port closed"
	fi
done
if sh "$here/sshd.sh" stop "$S" && sh "$here/nginx.sh" stop "$N"; then
	ok "stopping twice is harmless"
else
	bad "stopping twice failed"
fi

echo "servers: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
