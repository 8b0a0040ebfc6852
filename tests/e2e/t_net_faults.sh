# Network faults against the real sshd and nginx, as a table of cases.
# Covered elsewhere, not repeated here: SFTP server down, down then up,
# stalled, client killed mid-upload (t_transfer_faults.sh); 401 held, 5xx
# retried, Retry-After timing, redirect to http:// never followed
# (t_https.sh); host keys, credentials, on_exists over SFTP (t_sftp.sh).
#
# Here: a listener that accepts and says nothing (no SSH banner, no TLS
# handshake), the server killed mid-upload, HTTPS down and stalled, a full
# disk, a read-only directory, a directory that cannot be created, an
# HTTPS file already there with other bytes, 429 and 503 with Retry-After
# (waited for, then delivered; or failed after the tries), 403 held.
# Every failure keeps the batch, shows no partial file under the final
# name, and the run after the fault delivers it once, whole.
#
# Faults inside the servers come from tests/e2e/faultfs.c ($FAULTFS_SO):
# sshd runs OpenSSH's sftp-server through a wrapper that reads
# $SSHD_SFTP_ENV, nginx runs under NGINX_PRELOAD (tests/servers/README.md).
. "$(dirname "$0")/lib.sh"
: "${FAULTFS_SO:?set by tests/run-e2e.sh}"
D=2026-11-24
export XFER_NOW='2026-11-25 10:00'	# the current batch is $D

# The servers' users must be able to load the shim.
cp "$FAULTFS_SO" "$T/faultfs.so" && chmod 755 "$T/faultfs.so" ||
    fail "cannot copy '$FAULTFS_SO'"

# A listener that accepts connections and never says a word.
cat > "$T/mute.c" <<'EOF'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int s, one = 1, n;
	FILE *f;

	if (argc != 3)
		return 64;
	alarm(60);	/* whatever happens to the test, this goes away */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s, 16) == -1) {
		perror("mute");
		return 1;
	}
	if ((f = fopen(argv[2], "w")) == NULL || fclose(f) != 0)
		return 1;
	/* Connections stay open, unread and unanswered, until exit. */
	for (n = 0; n < 100; n++)
		if (accept(s, NULL, NULL) == -1)
			n--;
	pause();
	return 0;
}
EOF
${CC:-cc} -o "$T/mute" "$T/mute.c" || fail "cannot build the mute listener"
# What this test starts or stops beyond the servers, undone on any exit.
mute_pid="" xp="" stopped=""
net_cleanup() {
	[ -z "$stopped" ] || kill -CONT $stopped 2>/dev/null
	[ -z "$xp" ] || kill -9 $xp 2>/dev/null
	[ -z "$mute_pid" ] || kill $mute_pid 2>/dev/null
}
on_exit="$on_exit net_cleanup;"
mute_on() { # mute_on PORT: the mute listener on 127.0.0.1:PORT
	rm -f "$T/mute.up"
	"$T/mute" "$1" "$T/mute.up" &
	mute_pid=$!
	i=0
	while [ ! -e "$T/mute.up" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "mute listener did not start"
		kill -0 $mute_pid 2>/dev/null || fail "mute listener failed"
		sleep 0.05
	done
}
mute_off() {
	kill $mute_pid && wait $mute_pid 2>/dev/null
	mute_pid=""
}

export SSHD_SFTP=external
start_sshd
unset SSHD_SFTP
chmod 600 "$SSHD_CLIENT_KEY"
mkdir -p "$T/nginx/www/dav/ro"
export NGINX_PRELOAD="$T/faultfs.so" FAULT_EROFS_PREFIX="$T/nginx/www/dav/ro/"
start_nginx
unset NGINX_PRELOAD FAULT_EROFS_PREFIX
R=$SSHD_HOME
W=$NGINX_ROOT

printf 'a,b\n1,2\n' > "$H/data/in.csv"
BIG="sh -c 'yes 2026-11-24,abcdefghijklmnopqrstuvwxyz0123456789 | head -n 3000000'"
BIG_BYTES=144000000
# mkjob NAME URL EXTRA-UPLOAD-LINES [COMMAND]: a send job, 2 s timeouts,
# no retries within the run unless EXTRA says otherwise.
mkjob() {
	case "${3:-}" in *retries*) r="" ;; *) r="retries = 0" ;; esac
	if [ -n "${4:-}" ]; then
		src="type = command
command = $4"
	else
		src="type = csv
path = data/in.csv"
	fi
	job "$1" <<JOB
[job]
direction = send
[source]
$src
[output]
name = $1_{date}.csv
[upload]
url = $2
connect_timeout = 2s
stall_timeout = 2s
$r
${3:-}
JOB
}
sjob() { # sjob NAME DIR EXTRA [COMMAND]
	mkjob "$1" "$SSHD_URL$R/$2/" "user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
${3:-}" "${4:-}"
}
hjob() { # hjob NAME PATH EXTRA [COMMAND]
	mkjob "$1" "$NGINX_URL/$2/" "ca_file = $NGINX_CA
${3:-}" "${4:-}"
}
state() { # state NAME WANT: the batch's state|attempts
	got=$(sql "SELECT state || '|' || attempts FROM send_batches WHERE job='$1'")
	[ "$got" = "$2" ] || fail "$1: state|attempts is '$got', not '$2'"
}
kept() { # kept NAME: the produced file is still in the spool
	[ -s "$H/spool/$1/out/$D/$1_$D.csv" ] || fail "$1: batch not kept in the spool"
}
absent() { # absent FILE: nothing under the final name
	[ ! -e "$1" ] || fail "'$1' exists"
}
whole() { # whole DIR NAME: delivered once, matching its manifest, no .part
	(cd "$1" && sha256sum -c "$2_$D.csv.sha256" >/dev/null) ||
	    fail "$2: not whole at the destination"
	[ -z "$(find "$1" -name '*.part*')" ] || fail "$2: .part left in '$1'"
	[ "$(sql "SELECT count(*) FROM attempts WHERE job='$2' AND ok=1")" = 1 ] ||
	    fail "$2: not delivered exactly once"
}
elapsed_ms() {
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
descendants() {
	for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done
}
# mid_upload PATH: wait until a file at or under PATH has bytes, then stop
# the background xfer there (SIGSTOP), so that whatever the test does to
# the server next happens in the middle of the upload, however fast the
# machine; make sure the upload is indeed not complete.
mid_upload() {
	i=0
	while [ -z "$(find "$1" -type f -size +0 2>/dev/null)" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || fail "upload to '$1' never started"
		kill -0 $xp 2>/dev/null || fail "xfer ended before '$1' grew"
		sleep 0.02
	done
	kill -STOP $xp
	[ -n "$(find "$1" -type f -size -$((BIG_BYTES / 1024))k)" ] ||
	    { kill -CONT $xp; fail "the upload to '$1' ended before the fault"; }
}
# bg NAME: xfer send NAME in the background, its PID in $xp.
bg() {
	"$XFER_BIN" --home "$H" send "$1" >"$T/out" 2>"$T/err" &
	xp=$!
}
bg_wait() { # bg_wait: rc of the background xfer, bounded
	i=0
	while kill -0 $xp 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || { kill $xp; fail "xfer hangs"; }
		sleep 0.1
	done
	wait $xp
	rc=$?
	xp=""
	no_sanitizer_report
}

# --- SFTP ---------------------------------------------------------------

# s-mute: sshd gone, its port accepts and says nothing.  The run gives up
# after connect_timeout; the next one, with sshd back, delivers.
sjob smute in
"$SERVERS/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1
mute_on "$SSHD_PORT"
t0=$(date +%s%N)
x send smute
expect_rc 1
[ "$(elapsed_ms)" -lt 8000 ] || fail "smute: took $(elapsed_ms) ms, connect_timeout is 2s"
expect_err "'$SSHD_URL$R/in/smute_$D.csv'"
expect_err "did not complete the SSH handshake within connect_timeout"
expect_err "will retry"
state smute "failed|1"
kept smute
mute_off
"$SERVERS/sshd.sh" restart "$SSHD_DIR" >/dev/null || fail "cannot restart sshd"
. "$SSHD_DIR/env"
x send smute
expect_rc 0
state smute "sent|2"
whole "$R/in" smute

# s-reset: the session processes killed mid-upload.
sjob sreset big "" "$BIG"
bg sreset
mid_upload "$R/big/sreset_$D.csv.part"
kids=$(descendants "$SSHD_PID")
[ -n "$kids" ] || fail "sreset: no session process"
# One at a time: killing a parent may end its children first.
for k in $kids; do kill -9 "$k" 2>/dev/null; done
kill -CONT $xp
bg_wait
expect_rc 1
expect_err "upload of 'sreset_$D.csv' to '$SSHD_URL$R/big/sreset_$D.csv.part' failed"
expect_err "dropped the connection after"
expect_err "will retry"
state sreset "failed|1"
kept sreset
absent "$R/big/sreset_$D.csv"
x send sreset
expect_rc 0
whole "$R/big" sreset
[ "$(wc -l < "$R/big/sreset_$D.csv")" = 3000000 ] || fail "sreset: line count"

# s-full: every write of sftp-server fails with ENOSPC.  OpenSSH (SFTP
# v3) can only answer "failure": transient, retried next run.
sjob sfull full
printf 'LD_PRELOAD=%s\nFAULT_ENOSPC_PREFIX=%s\n' "$T/faultfs.so" "$R/full/" \
    > "$SSHD_SFTP_ENV"
chmod 644 "$SSHD_SFTP_ENV"
x send sfull
expect_rc 1
expect_err "upload of 'sfull_$D.csv' to '$SSHD_URL$R/full/sfull_$D.csv.part' failed"
expect_err "the server failed a write or dropped the connection after"
expect_err "of 8 bytes (a full disk"
state sfull "failed|1"
kept sfull
absent "$R/full/sfull_$D.csv"
rm -f "$SSHD_SFTP_ENV"
x send sfull
expect_rc 0
whole "$R/full" sfull

# s-rofs: a read-only file system (EROFS): again only "failure", so
# transient; the path is named.
sjob srofs rofs
mkdir -p "$R/rofs"
chown "$SSHD_USER" "$R/rofs"
printf 'LD_PRELOAD=%s\nFAULT_EROFS_PREFIX=%s\n' "$T/faultfs.so" "$R/rofs/" \
    > "$SSHD_SFTP_ENV"
x send srofs
expect_rc 1
expect_err "upload of 'srofs_$D.csv' to '$SSHD_URL$R/rofs/srofs_$D.csv.part' failed"
expect_err "will retry"
state srofs "failed|1"
kept srofs
rm -f "$SSHD_SFTP_ENV"

# s-perm: a directory the SFTP user may not write (the session runs as
# SSHD_USER, never root, so a mode is enough): permission denied is
# permanent, the batch is held at once; `rerun` after the fix sends it.
sjob sperm ro
mkdir -p "$R/ro"
chmod 555 "$R/ro"
x send sperm
expect_rc 1
expect_err "upload of 'sperm_$D.csv' to '$SSHD_URL$R/ro/sperm_$D.csv.part' failed"
expect_err "Permission denied"
expect_err "the batch is held"
state sperm "held|1"
kept sperm
# s-mkdir: a missing directory is created, but not under one that cannot
# be written: transient (someone may create it), and said so.
sjob smkdir ro/sub
x send smkdir
expect_rc 1
expect_err "the directory '$R/ro/sub/' is missing and cannot be created there"
expect_err "will retry"
state smkdir "failed|1"
chmod 755 "$R/ro"
chown "$SSHD_USER" "$R/ro"
x rerun --date "$D" sperm
expect_rc 0
whole "$R/ro" sperm
x send smkdir
expect_rc 0
whole "$R/ro/sub" smkdir

# --- HTTPS --------------------------------------------------------------

# h-down, then h-mute: nginx gone (refused), then its port accepts and
# no TLS handshake follows; with nginx back, delivered once.
hjob hmute dav/mute
"$SERVERS/nginx.sh" stop "$NGINX_DIR" >/dev/null 2>&1
x send hmute
expect_rc 1
expect_err "'$NGINX_URL/dav/mute/hmute_$D.csv'"
expect_err "connect"
expect_err "will retry"
state hmute "failed|1"
mute_on "$NGINX_PORT"
t0=$(date +%s%N)
x send hmute
expect_rc 1
[ "$(elapsed_ms)" -lt 8000 ] || fail "hmute: took $(elapsed_ms) ms, connect_timeout is 2s"
expect_err "'$NGINX_URL/dav/mute/hmute_$D.csv'"
expect_err "did not complete the TLS handshake within connect_timeout"
state hmute "failed|2"
kept hmute
mute_off
"$SERVERS/nginx.sh" restart "$NGINX_DIR" >/dev/null || fail "cannot restart nginx"
. "$NGINX_DIR/env"
x send hmute
expect_rc 0
state hmute "sent|3"
whole "$W/dav/mute" hmute

# h-reset: the nginx workers killed mid-PUT (the master starts new ones).
hjob hreset dav/big "" "$BIG"
bg hreset
mid_upload "$NGINX_DIR/tmp/client_body"
for k in $(pgrep -P "$NGINX_PID"); do kill -9 "$k" 2>/dev/null; done
kill -CONT $xp
bg_wait
expect_rc 1
expect_err "upload of 'hreset_$D.csv' to '$NGINX_URL/dav/big/hreset_$D.csv.part' failed"
expect_err "will retry"
state hreset "failed|1"
kept hreset
absent "$W/dav/big/hreset_$D.csv"
x send hreset
expect_rc 0
whole "$W/dav/big" hreset

# h-stall: the workers stopped mid-PUT: stall_timeout fires.
hjob hstall dav/stall "" "$BIG"
rm -f "$NGINX_DIR"/tmp/client_body/*
bg hstall
mid_upload "$NGINX_DIR/tmp/client_body"
stopped=$(echo $(pgrep -P "$NGINX_PID"))
kill -STOP $stopped
kill -CONT $xp
bg_wait
kill -CONT $stopped
stopped=""
expect_rc 1
grep -E -q "too slow|timed out" "$T/err" || fail "hstall: no timeout in the message"
expect_err "will retry"
state hstall "failed|1"
absent "$W/dav/stall/hstall_$D.csv"
x send hstall
expect_rc 0
whole "$W/dav/stall" hstall

# h-full: nginx cannot write the request body (as on a full disk): 500,
# transient; delivered when it can again.
hjob hfull full
rm -rf "$NGINX_DIR/tmp/full"
: > "$NGINX_DIR/tmp/full"
x send hfull
expect_rc 1
expect_err "upload of 'hfull_$D.csv' to '$NGINX_URL/full/hfull_$D.csv.part' failed: the server answered HTTP 500"
state hfull "failed|1"
kept hfull
absent "$W/full/hfull_$D.csv"
rm -f "$NGINX_DIR/tmp/full"
mkdir "$NGINX_DIR/tmp/full"
x send hfull
expect_rc 0
whole "$W/full" hfull

# h-rofs: a read-only directory (EROFS under dav/ro/), and h-mkdir: a
# directory that cannot be created (a file is in the way): nginx says
# 500 for both, transient.
hjob hrofs dav/ro
x send hrofs
expect_rc 1
expect_err "upload of 'hrofs_$D.csv' to '$NGINX_URL/dav/ro/hrofs_$D.csv.part' failed: the server answered HTTP 500"
state hrofs "failed|1"
kept hrofs
[ -z "$(find "$W/dav/ro" -mindepth 1)" ] || fail "hrofs: something written under dav/ro"
hjob hmkdir dav/afile/sub
: > "$W/dav/afile"
x send hmkdir
expect_rc 1
expect_err "'$NGINX_URL/dav/afile/sub/hmkdir_$D.csv.part' failed: the server answered HTTP 500"
state hmkdir "failed|1"
kept hmkdir

# h-exists: other bytes under the final name and on_exists = fail: held
# with the reason, never overwritten.
hjob hexists dav/ex "on_exists = fail"
mkdir -p "$W/dav/ex"
printf 'other\n' > "$W/dav/ex/hexists_$D.csv"
x send hexists
expect_rc 1
expect_err "'hexists_$D.csv' already exists at the destination with other bytes and on_exists = fail"
[ "$(grep -o 'xfer rerun' "$T/err" | wc -l)" = 1 ] || fail "hexists: advice repeated"
state hexists "held|1"
[ "$(cat "$W/dav/ex/hexists_$D.csv")" = other ] || fail "hexists: overwritten"
[ -z "$(find "$W/dav/ex" -name '*.part')" ] || fail "hexists: .part left"

# h-429 and h-503: the server asks to come back after 1 s; with
# retry_delay = 0s the tries still wait for it, and the run delivers once
# the server recovers.
for code in 429 503; do
	n=h$code
	hjob $n flaky "retries = 3
retry_delay = 0s"
	: > "$NGINX_DIR/flaky.$code"
	t0=$(date +%s%N)
	bg $n
	sleep 1.5
	rm -f "$NGINX_DIR/flaky.$code"
	bg_wait
	expect_rc 0
	expect_err "try 1 of 4 failed"
	expect_err "the server answered HTTP $code (Retry-After: 1 s)"
	[ "$(elapsed_ms)" -ge 1000 ] || fail "$n: Retry-After not waited for"
	state $n "sent|1"
	whole "$W/flaky" $n
done
# h-429-gone: still 429 after every try: failed (transient), not held.
hjob h429x flaky "retries = 1
retry_delay = 0s"
: > "$NGINX_DIR/flaky.429"
t0=$(date +%s%N)
x send h429x
rm -f "$NGINX_DIR/flaky.429"
expect_rc 1
expect_err "try 1 of 2 failed"
expect_err "HTTP 429 (Retry-After: 1 s)"
[ "$(elapsed_ms)" -ge 900 ] || fail "h429x: Retry-After not waited for"
state h429x "failed|1"
kept h429x
absent "$W/flaky/h429x_$D.csv"

# h-403: held at once, the status in the message.
hjob h403 forbidden
x send h403
expect_rc 1
expect_err "the server answered HTTP 403 (permission denied)"
state h403 "held|1"
exit 0
