# make install into a DESTDIR: binary, man pages (found by man), README
# and example jobs, the systemd units (ExecStart pointing at the installed
# binary); the installed binary runs; make uninstall removes every file it
# put and the directories that were only xfer's.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$ROOT/bin/xfer" ]; then
	echo "note: no $ROOT/bin/xfer (make builds it first): skipped"
	exit 0
fi
D="$T/root"
P="$D/usr/local"
# -o bin/xfer: install the binary that is there, never rebuild it here.
# The variables of an outer make (BUILD=build/asan under check-asan) must
# not leak in: they would rebuild bin/xfer from the sanitizer build.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    make -s --no-print-directory -C "$ROOT" -o bin/xfer "$@" \
	    PREFIX=/usr/local DESTDIR="$D" >"$T/out" 2>"$T/err"
	rc=$?
}
mk install
expect_rc 0
for f in bin/xfer share/man/man1/xfer.1 share/man/man5/xfer.job.5 \
    share/man/man5/xfer.conf.5 \
    share/doc/xfer/README.md share/xfer/systemd/xfer.service \
    share/xfer/systemd/xfer.timer; do
	[ -f "$P/$f" ] || fail "not installed: $f"
done
[ -x "$P/bin/xfer" ] || fail "binary not executable"
n=0
for j in "$ROOT"/jobs/*.job; do
	cmp -s "$j" "$P/share/doc/xfer/examples/$(basename "$j")" ||
	    fail "example $(basename "$j") not installed"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no example jobs in $ROOT/jobs"
[ "$(stat -c %a "$P/share/xfer/systemd/xfer.service")" = 644 ] ||
    fail "unit mode"
grep -q -x 'ExecStart=/usr/local/bin/xfer --home /var/lib/xfer -q run' \
    "$P/share/xfer/systemd/xfer.service" || fail "ExecStart of the unit"
grep -q -x 'OnCalendar=\*-\*-\* \*:\*:00' "$P/share/xfer/systemd/xfer.timer" ||
    fail "OnCalendar of the timer"

# man finds and renders the pages.
if command -v man >/dev/null 2>&1; then
	w=$(MANPATH="$P/share/man" man -w xfer 2>/dev/null)
	[ "$w" = "$P/share/man/man1/xfer.1" ] || fail "man -w xfer: '$w'"
	w=$(MANPATH="$P/share/man" man -w 5 xfer.job 2>/dev/null)
	[ "$w" = "$P/share/man/man5/xfer.job.5" ] || fail "man -w 5 xfer.job: '$w'"
	MANWIDTH=80 man -l "$P/share/man/man1/xfer.1" 2>/dev/null |
	    grep -q 'cron-driven batch file transfer' || fail "man -l xfer.1"
else
	echo "note: no man: pages not looked up"
fi

"$P/bin/xfer" --version >"$T/out" 2>"$T/err" || fail "installed binary"
grep -q '^xfer [0-9]' "$T/out" || fail "--version: $(cat "$T/out")"

# Another PREFIX: the unit points at that binary.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
    make -s --no-print-directory -C "$ROOT" -o bin/xfer install \
    PREFIX=/opt/xfer DESTDIR="$T/opt" >"$T/out" 2>"$T/err" || fail "install PREFIX=/opt/xfer"
grep -q -x 'ExecStart=/opt/xfer/bin/xfer --home /var/lib/xfer -q run' \
    "$T/opt/opt/xfer/share/xfer/systemd/xfer.service" || fail "ExecStart with PREFIX"

# A file of someone else's in a shared directory survives uninstall.
echo keep > "$P/share/man/man1/other.1"
mk uninstall
expect_rc 0
left=$(find "$D" ! -type d | sort)
[ "$left" = "$P/share/man/man1/other.1" ] || fail "left after uninstall: $left"
for d in share/doc/xfer share/xfer; do
	[ ! -e "$P/$d" ] || fail "directory left: $d"
done
# Twice is harmless.
mk uninstall
expect_rc 0
