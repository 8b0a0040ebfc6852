#!/bin/sh
# Install what building and testing xfer needs on Debian 12 (as root; as
# another user, print the command instead).  Safe to run again.
set -eu
pkgs="build-essential pkg-config libcurl4-openssl-dev libcsv-dev \
libarchive-dev libsqlite3-dev libjson-c-dev libssl-dev libcmocka-dev \
sqlite3 tzdata gzip unzip python3 \
openssh-server openssh-client nginx libnginx-mod-http-dav-ext openssl curl \
postgresql libpq-dev mariadb-server mariadb-client libmariadb-dev \
libexpat1-dev libgpgme-dev gpg gpg-agent"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
# moto (the S3 server of t_s3 and bench/s3.sh) is a Python package, not a
# Debian one, and PyPI is not reachable from every build machine: look for
# it, and say how to get it rather than fail half-way.
moto_check() {
	moto=${XFER_MOTO:-$(command -v moto_server 2>/dev/null ||
	    echo /root/.pyenv/shims/moto_server)}
	[ -x "$moto" ] && return 0
	echo "xfer: moto_server (S3 test server) not found; install it with:" >&2
	echo "  python3 -m pip install 'moto[server]'   (needs PyPI; or a venv:" >&2
	echo "  python3 -m venv /opt/moto && /opt/moto/bin/pip install 'moto[server]'" >&2
	echo "  then XFER_MOTO=/opt/moto/bin/moto_server)" >&2
	return 1
}
if [ -z "$missing" ]; then
	moto_check
	exit $?
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "xfer: missing packages:$missing" >&2
	echo "install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The e2e tests run their own sshd, nginx, PostgreSQL and MariaDB on
# loopback ports; a system copy started by a package's postinst would only
# get in the way, so keep invoke-rc.d from starting anything while we
# install.
policy=/usr/sbin/policy-rc.d
ourpolicy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	ourpolicy=1
fi
st=0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || st=$?
[ -n "$ourpolicy" ] && rm -f "$policy"
[ "$st" -eq 0 ] || exit "$st"
# Should a daemon have started anyway, stop it by its PID file.
# (PostgreSQL's postmaster.pid starts with the PID; the comm check below
# keeps a stale file from naming an unrelated process.)
for pidfile in /run/nginx.pid /run/sshd.pid /run/mysqld/mysqld.pid \
    /var/lib/mysql/"$(hostname)".pid /run/postgresql/*-main.pid \
    /var/lib/postgresql/*/main/postmaster.pid; do
	[ -s "$pidfile" ] || continue
	pid=$(head -n 1 "$pidfile")
	case "$pid" in ''|*[!0-9]*) continue ;; esac
	case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
	nginx|sshd|mariadbd|mysqld|postgres)
		kill "$pid" 2>/dev/null &&
		    echo "xfer: stopped system daemon $pid ($pidfile)" >&2 ;;
	esac
done
moto_check
