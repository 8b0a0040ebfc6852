#!/bin/sh
# A throwaway OpenSSH sshd (SFTP) on 127.0.0.1 for the end-to-end tests.
#
#   sshd.sh start DIR   generate keys, a test user's credentials and a config
#                       in DIR, start sshd on a free port, write DIR/env
#   sshd.sh stop DIR    stop that sshd (and its sessions) by PID
#   sshd.sh restart DIR start it again, same config and port, after a stop
#
# SSHD_SFTP=external at start serves SFTP with OpenSSH's sftp-server
# through DIR/sftp-server.sh instead of internal-sftp: each session first
# reads the assignments in DIR/sftp.env (when that file exists), so a test
# can put the server under LD_PRELOAD (tests/e2e/faultfs.c) and take it
# out again without restarting anything.
#
# SSHD_CONFIG_EXTRA at start: lines appended to DIR/sshd_config (the
# benchmark limits Ciphers and MACs with it).
#
# DIR/env holds shell assignments (SSHD_PORT, SSHD_PID, SSHD_USER, ...);
# see tests/servers/README.md.  Everything lives in DIR; the one thing
# outside it is the system user `xfertest` (created when run as root, so
# that password login can be tested) and, for the same reason, the
# generated password that user keeps between runs (see set_password).
set -u

SSHD=${XFER_SSHD:-/usr/sbin/sshd}	# overridable for selftest.sh
SFTP_SERVER=${XFER_SFTP_SERVER:-/usr/lib/openssh/sftp-server}
TEST_USER=xfertest
# Where root keeps the test user's current password, so that servers
# started at the same time (plain and ASan runs, a benchmark) agree on it.
PW_STATE=/var/lib/xfer-test/xfertest.password

die() {
	echo "sshd.sh: $*" >&2
	exit 1
}

. "$(dirname "$0")/common.sh"

# alive PIDFILE NAME: the PID in PIDFILE is a running NAME process.
alive() {
	[ -s "$1" ] || return 1
	pid=$(cat "$1") || return 1
	case "$pid" in ''|*[!0-9]*) return 1 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && running "$pid"
}

# pin FILE.pub: the unpadded base64 SHA-256 of a public key.
pin() {
	ssh-keygen -l -E sha256 -f "$1" | sed -n 's/^[0-9]* SHA256:\([^ ]*\) .*/\1/p'
}

# known_line PORT FILE.pub: a known_hosts line for [127.0.0.1]:PORT.
known_line() {
	printf '[127.0.0.1]:%s %s\n' "$1" "$(cut -d' ' -f1,2 "$2")"
}

keygen() {
	# ssh-keygen asks before overwriting (and would wait for an answer).
	rm -f "$1" "$1.pub"
	ssh-keygen -q -t "$2" -N "$3" -C "xfer-test-$(basename "$1")" \
	    -f "$1" </dev/null || die "cannot generate key '$1'"
}

# set_password: give TEST_USER a password (stored in PW_STATE) and copy it
# to DIR/password.  An existing one is kept if the shadow hash still
# matches it, so a second server does not break the first one's logins.
set_password() {
	mkdir -p "$(dirname "$PW_STATE")" &&
	    chmod 700 "$(dirname "$PW_STATE")" ||
	    die "cannot create '$(dirname "$PW_STATE")'"
	# Two servers starting at once must not each pick a password.
	exec 9>"$PW_STATE.lock"
	flock -w 30 9 || die "cannot lock '$PW_STATE.lock'"
	hash=$(getent shadow "$TEST_USER" | cut -d: -f2)
	pw=""
	if [ -s "$PW_STATE" ]; then
		pw=$(cat "$PW_STATE")
		case "$hash" in
		'$6$'*)
			salt=$(printf '%s' "$hash" | cut -d'$' -f3)
			[ "$(openssl passwd -6 -salt "$salt" "$pw")" = "$hash" ] ||
			    pw=""
			;;
		*) pw="" ;;
		esac
	fi
	if [ -z "$pw" ]; then
		pw=$(openssl rand -hex 12) || die "openssl rand failed"
		(umask 077 && printf '%s\n' "$pw" >"$PW_STATE") ||
		    die "cannot write '$PW_STATE'"
		usermod -p "$(openssl passwd -6 "$pw")" "$TEST_USER" ||
		    die "cannot set the password of '$TEST_USER'"
	fi
	exec 9>&-
	(umask 077 && printf '%s\n' "$pw" >"$DIR/password") ||
	    die "cannot write '$DIR/password'"
}

# reachable: the test user can read authorized_keys and write the upload
# directory.  sshd opens authorized_keys as that user, and the SFTP
# session runs as that user, so every directory above DIR must let it pass.
reachable() {
	runuser -u "$TEST_USER" -- sh -c \
	    'test -r "$1" && test -w "$2" && test -x "$2"' sh \
	    "$DIR/authorized_keys" "$DIR/sftproot" 2>/dev/null
}

start() {
	[ -x "$SSHD" ] || die "'$SSHD' not found (install openssh-server: tests/deps.sh)"
	need ssh-keygen
	need python3
	need openssl
	mkdir -p "$1" || die "cannot create '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	if alive "$DIR/sshd.pid" sshd; then
		die "an sshd (PID $(cat "$DIR/sshd.pid")) is already running in '$DIR'"
	fi
	rm -f "$DIR/sshd.pid" "$DIR/env" "$DIR/password" "$DIR/nopassword"

	keygen "$DIR/host_ed25519" ed25519 ""
	keygen "$DIR/host_ecdsa" ecdsa ""
	keygen "$DIR/wrong_host_ed25519" ed25519 ""
	keygen "$DIR/wrong_host_ecdsa" ecdsa ""
	keygen "$DIR/client_ed25519" ed25519 ""
	keygen "$DIR/client_ecdsa_pass" ecdsa secret
	(umask 077 && printf 'secret\n' >"$DIR/client_ecdsa_pass.passphrase") ||
	    die "cannot write the passphrase file"
	chmod 600 "$DIR/client_ed25519" "$DIR/client_ecdsa_pass"
	cat "$DIR/client_ed25519.pub" "$DIR/client_ecdsa_pass.pub" \
	    >"$DIR/authorized_keys"
	chmod 644 "$DIR/authorized_keys"
	mkdir -p "$DIR/sftproot"

	if [ "$(id -u)" -eq 0 ]; then
		user=$TEST_USER
		if ! getent passwd "$user" >/dev/null; then
			# A concurrent start may have just made it.
			useradd -r -m -s /bin/sh -c "xfer e2e tests" "$user" ||
			    getent passwd "$user" >/dev/null ||
			    die "cannot create user '$user'"
		fi
		set_password
		pwfile=$DIR/password
		chown "$user" "$DIR/sftproot" || die "cannot chown '$DIR/sftproot'"
		chmod 755 "$DIR/sftproot"
		chmod 711 "$DIR"
		open_path "$TEST_USER" "$DIR/sftproot"
		# sshd insists on its privilege separation directory.
		mkdir -p /run/sshd && chmod 755 /run/sshd
	else
		# Only root can give an account a password sshd will check.
		user=$(id -un)
		pwfile=""
		echo "no password login: sshd.sh not run as root" >"$DIR/nopassword"
		chmod 755 "$DIR/sftproot"
	fi
	home=$(getent passwd "$user" | cut -d: -f6)

	subsystem=internal-sftp
	rm -f "$DIR/sftp.env" "$DIR/sftp-server.sh"
	case "${SSHD_SFTP:-internal}" in
	internal) ;;
	external)
		[ -x "$SFTP_SERVER" ] || die "'$SFTP_SERVER' not found"
		# sshd runs it through the user's shell, as that user.
		{
			echo '#!/bin/sh'
			echo '# Generated by tests/servers/sshd.sh (SSHD_SFTP=external).'
			echo "if [ -r $(q "$DIR/sftp.env") ]; then"
			echo "	set -a; . $(q "$DIR/sftp.env"); set +a"
			echo 'fi'
			echo "exec $(q "$SFTP_SERVER") \"\$@\""
		} >"$DIR/sftp-server.sh" && chmod 755 "$DIR/sftp-server.sh" ||
		    die "cannot write '$DIR/sftp-server.sh'"
		subsystem=$DIR/sftp-server.sh
		;;
	*) die "SSHD_SFTP must be 'internal' or 'external'" ;;
	esac

	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(free_port) || die "no free port in 20000-60000"
		cat >"$DIR/sshd_config" <<EOF
# Generated by tests/servers/sshd.sh: a loopback-only SFTP server for tests.
ListenAddress 127.0.0.1
Port $port
HostKey $DIR/host_ed25519
HostKey $DIR/host_ecdsa
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $user
Subsystem sftp $subsystem
MaxStartups 200:30:400
MaxSessions 100
LogLevel VERBOSE
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
EOF
		if [ -n "${SSHD_CONFIG_EXTRA:-}" ]; then
			printf '%s\n' "$SSHD_CONFIG_EXTRA" >>"$DIR/sshd_config"
		fi
		"$SSHD" -t -f "$DIR/sshd_config" 2>"$DIR/sshd-t.log" || {
			cat "$DIR/sshd-t.log" >&2
			die "sshd rejects '$DIR/sshd_config'"
		}
		: >"$DIR/sshd.log"
		# sshd daemonises before it binds and writes its PID file
		# only after it listens: wait for both, or for it to give up.
		"$SSHD" -f "$DIR/sshd_config" -E "$DIR/sshd.log" ||
		    die "'$SSHD' failed (see '$DIR/sshd.log')"
		up=""
		i=0
		while [ $i -lt 100 ]; do
			if [ -s "$DIR/sshd.pid" ] && accepts "$port"; then
				up=1
				break
			fi
			grep -q -e 'Cannot bind' -e 'fatal' "$DIR/sshd.log" && break
			sleep 0.1
			i=$((i + 1))
		done
		[ -n "$up" ] && break
		if alive "$DIR/sshd.pid" sshd; then
			kill "$(cat "$DIR/sshd.pid")" 2>/dev/null
		fi
		if grep -q 'Cannot bind' "$DIR/sshd.log" && [ $tries -lt 5 ]; then
			continue	# lost a race for the port: pick another
		fi
		sed 's/^/    /' "$DIR/sshd.log" >&2
		die "sshd did not come up on 127.0.0.1:$port"
	done
	pid=$(cat "$DIR/sshd.pid")

	known_line "$port" "$DIR/host_ecdsa.pub" >"$DIR/known_hosts"
	known_line "$port" "$DIR/host_ed25519.pub" >>"$DIR/known_hosts"
	known_line "$port" "$DIR/wrong_host_ecdsa.pub" >"$DIR/known_hosts_wrong"
	known_line "$port" "$DIR/wrong_host_ed25519.pub" >>"$DIR/known_hosts_wrong"
	pin_ed=$(pin "$DIR/host_ed25519.pub")
	pin_ec=$(pin "$DIR/host_ecdsa.pub")
	[ -n "$pin_ed" ] && [ -n "$pin_ec" ] || die "cannot fingerprint the host keys"

	# libssh2 1.10 (under libcurl) asks for ecdsa first, so that is the
	# key a client sees and the pin that matches (selftest.sh checks it).
	{
		echo "SSHD_DIR=$(q "$DIR")"
		echo "SSHD_PORT=$port"
		echo "SSHD_PID=$pid"
		echo "SSHD_USER=$(q "$user")"
		echo "SSHD_USER_HOME=$(q "$home")"
		echo "SSHD_HOME=$(q "$DIR/sftproot")"
		echo "SSHD_URL=$(q "sftp://127.0.0.1:$port")"
		echo "SSHD_KNOWN_HOSTS=$(q "$DIR/known_hosts")"
		echo "SSHD_KNOWN_HOSTS_WRONG=$(q "$DIR/known_hosts_wrong")"
		echo "SSHD_PIN_ED25519=$(q "$pin_ed")"
		echo "SSHD_PIN_ECDSA=$(q "$pin_ec")"
		echo "SSHD_PIN=$(q "$pin_ec")"
		echo "SSHD_PIN_WRONG=$(q "$(pin "$DIR/wrong_host_ecdsa.pub")")"
		echo "SSHD_CLIENT_KEY=$(q "$DIR/client_ed25519")"
		echo "SSHD_CLIENT_KEY_PASS=$(q "$DIR/client_ecdsa_pass")"
		echo "SSHD_CLIENT_KEY_PASSFILE=$(q "$DIR/client_ecdsa_pass.passphrase")"
		echo "SSHD_PASSWORD_FILE=$(q "$pwfile")"
		echo "SSHD_SFTP_ENV=$(q "$DIR/sftp.env")"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env" ||
	    die "cannot write '$DIR/env'"
	echo "sshd.sh: sshd PID $pid on 127.0.0.1:$port (user $user, $DIR)"
}

# descendants PID: every process below PID, children first.
descendants() {
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

stop() {
	DIR=$1
	[ -d "$DIR" ] || die "no such directory '$DIR'"
	if ! alive "$DIR/sshd.pid" sshd; then
		echo "sshd.sh: no sshd running in '$DIR'" >&2
		return 0
	fi
	pid=$(cat "$DIR/sshd.pid")
	# Sessions outlive the listener, so note them before it goes.
	kids=$(descendants "$pid")
	kill -TERM "$pid" 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$kids" ] && kill -TERM $kids 2>/dev/null
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
	running "$pid" && die "sshd PID $pid does not die"
	return 0
}

# restart DIR: the stopped sshd of DIR again, on its port (a server that
# went away and came back); DIR/env gets the new SSHD_PID.
restart() {
	[ -d "$1" ] || die "no such directory '$1'"
	DIR=$(cd "$1" && pwd) || die "cannot enter '$1'"
	[ -s "$DIR/env" ] || die "no sshd was started in '$DIR'"
	if alive "$DIR/sshd.pid" sshd; then
		die "an sshd (PID $(cat "$DIR/sshd.pid")) is already running in '$DIR'"
	fi
	port=$(sed -n 's/^SSHD_PORT=//p' "$DIR/env")
	rm -f "$DIR/sshd.pid"
	"$SSHD" -f "$DIR/sshd_config" -E "$DIR/sshd.log" ||
	    die "'$SSHD' failed (see '$DIR/sshd.log')"
	i=0
	until [ -s "$DIR/sshd.pid" ] && accepts "$port"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "sshd did not come back on 127.0.0.1:$port"
		sleep 0.1
	done
	pid=$(cat "$DIR/sshd.pid")
	sed "s/^SSHD_PID=.*/SSHD_PID=$pid/" "$DIR/env" >"$DIR/env.tmp" &&
	    mv "$DIR/env.tmp" "$DIR/env" || die "cannot write '$DIR/env'"
	echo "sshd.sh: sshd PID $pid on 127.0.0.1:$port again ($DIR)"
}

case "${1:-} ${2:+x}" in
"start x") start "$2" ;;
"stop x") stop "$2" ;;
"restart x") restart "$2" ;;
*) die "usage: sshd.sh start|stop|restart DIR" ;;
esac
