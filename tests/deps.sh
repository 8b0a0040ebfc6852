#!/bin/sh
# Install what building and testing xfer needs on Debian 12 (as root; as
# another user, print the command instead).  Safe to run again.
set -eu
pkgs="build-essential pkg-config libcurl4-openssl-dev libcsv-dev \
libarchive-dev libsqlite3-dev libjson-c-dev libssl-dev libcmocka-dev \
sqlite3 tzdata gzip unzip python3"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "xfer: missing packages:$missing" >&2
	echo "install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
