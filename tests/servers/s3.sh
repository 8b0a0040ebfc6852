#!/bin/sh
# A throwaway S3 server (moto's moto_server) on 127.0.0.1 for the
# end-to-end tests and bench/s3.sh.
#
#   s3.sh start DIR    start moto on a free port, make an IAM user with an
#                      access key (DIR/credentials,
#                      mode 600, AWS shared-credentials format) and the
#                      bucket xfer-test, write DIR/env
#   s3.sh stop DIR     stop that moto by PID
#   s3.sh restart DIR  start it again on the same port (moto keeps nothing:
#                      the user and bucket are made again, with a new key)
#
# DIR/env: S3_PORT, S3_PID, S3_ENDPOINT (http://127.0.0.1:PORT), S3_BUCKET,
# S3_REGION, S3_CREDENTIALS (the credentials file), S3_KEY_ID, S3_SECRET,
# S3_PYTHON (a python3 with boto3, for tests that look inside the server).
#
# S3_AUTH=1 at start: moto checks every request's SigV4 signature and key
# (after the three IAM calls that make the user).  Not the default: moto
# 5.2.1 recomputes a signature from the query string as werkzeug decoded
# it, so any request whose query holds an escaped character (a listing
# with prefix=dir%2F, delimiter=%2F) fails its own check, also from boto3
# and the aws CLI.  With S3_AUTH=1 only requests without such a query
# work (PUT, HEAD, GET and DELETE of an object).
set -u

die() {
	echo "s3.sh: $*" >&2
	exit 1
}

. "$(dirname "$0")/common.sh"

MOTO=${XFER_MOTO:-$(command -v moto_server 2>/dev/null ||
    echo /root/.pyenv/shims/moto_server)}

find_python() {
	for py in "$(dirname "$MOTO")/python3" "$(dirname "$MOTO")/python" \
	    python3; do
		if "$py" -c 'import boto3, moto' >/dev/null 2>&1; then
			echo "$py"
			return 0
		fi
	done
	return 1
}

start() {
	[ -x "$MOTO" ] || die "moto_server not found (tests/deps.sh says how to install it; XFER_MOTO=PATH to point at one)"
	PY=$(find_python) || die "no python3 with boto3 and moto next to '$MOTO'"
	mkdir -p "$1" || die "cannot create '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	if [ -s "$DIR/moto.pid" ] && running "$(cat "$DIR/moto.pid")"; then
		die "a moto (PID $(cat "$DIR/moto.pid")) is already running in '$DIR'"
	fi
	port=${2:-}
	[ -n "$port" ] || port=$(free_port) || die "no free port"
	rm -f "$DIR/env"
	# setsid: a test's kill of its process group leaves the server alone.
	if [ "${S3_AUTH:-0}" = 1 ]; then
		INITIAL_NO_AUTH_ACTION_COUNT=3
		export INITIAL_NO_AUTH_ACTION_COUNT
	fi
	echo "${S3_AUTH:-0}" >"$DIR/auth"
	setsid "$MOTO" -H 127.0.0.1 -p "$port" >"$DIR/moto.log" 2>&1 \
	    </dev/null &
	echo $! >"$DIR/moto.pid"
	i=0
	until accepts "$port"; do
		running "$(cat "$DIR/moto.pid")" ||
		    die "moto exited (see '$DIR/moto.log')"
		[ $i -lt 200 ] || die "moto does not accept on port $port"
		sleep 0.1
		i=$((i + 1))
	done
	"$PY" - "$port" "$DIR/credentials" <<'PY' || die "cannot set up moto (see '$DIR/moto.log')"
import os, sys, boto3
port, cred = sys.argv[1], sys.argv[2]
ep = "http://127.0.0.1:%s" % port
kw = dict(endpoint_url=ep, region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="xfer")
iam.put_user_policy(UserName="xfer", PolicyName="all", PolicyDocument=
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Action":"*","Resource":"*"}]}')
k = iam.create_access_key(UserName="xfer")["AccessKey"]
fd = os.open(cred, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, ("[default]\naws_access_key_id = %s\n"
              "aws_secret_access_key = %s\n" % (k["AccessKeyId"],
              k["SecretAccessKey"])).encode())
os.close(fd)
kw.update(aws_access_key_id=k["AccessKeyId"],
          aws_secret_access_key=k["SecretAccessKey"])
boto3.client("s3", **kw).create_bucket(Bucket="xfer-test")
PY
	id=$(sed -n 's/^aws_access_key_id = //p' "$DIR/credentials")
	secret=$(sed -n 's/^aws_secret_access_key = //p' "$DIR/credentials")
	{
		echo "S3_PORT=$port"
		echo "S3_PID=$(cat "$DIR/moto.pid")"
		echo "S3_ENDPOINT=http://127.0.0.1:$port"
		echo "S3_BUCKET=xfer-test"
		echo "S3_REGION=us-east-1"
		echo "S3_CREDENTIALS=$(q "$DIR/credentials")"
		echo "S3_KEY_ID=$(q "$id")"
		echo "S3_SECRET=$(q "$secret")"
		echo "S3_PYTHON=$(q "$PY")"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env"
	chmod 600 "$DIR/env"
	echo "moto on 127.0.0.1:$port (PID $(cat "$DIR/moto.pid"))"
}

stop() {
	DIR=$1
	[ -d "$DIR" ] || die "no such directory '$DIR'"
	pid=$(cat "$DIR/moto.pid" 2>/dev/null) || pid=""
	case "$pid" in ''|*[!0-9]*)
		echo "s3.sh: no moto running in '$DIR'" >&2
		return 0 ;;
	esac
	running "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	i=0
	while [ $i -lt 50 ]; do
		running "$pid" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.1
	running "$pid" && die "moto PID $pid does not die"
	return 0
}

case "${1:-}" in
start)	[ $# -eq 2 ] || die "usage: s3.sh start DIR"; start "$2" ;;
stop)	[ $# -eq 2 ] || die "usage: s3.sh stop DIR"; stop "$2" ;;
restart)
	[ $# -eq 2 ] || die "usage: s3.sh restart DIR"
	[ -s "$2/env" ] || die "'$2' was never started"
	port=$(sed -n 's/^S3_PORT=//p' "$2/env")
	S3_AUTH=$(cat "$2/auth")
	stop "$2" && start "$2" "$port" ;;
*)	die "usage: s3.sh start|stop|restart DIR" ;;
esac
