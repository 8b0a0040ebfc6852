# xfer cron: the printed crontab line works in cron's bare environment
# (no HOME, no TTY, PATH=/usr/bin:/bin, cwd elsewhere), quotes odd home
# paths for sh and cron; --systemd prints both units with the right
# ExecStart (checked by systemd-analyze when it is there).
. "$(dirname "$0")/lib.sh"
BIN=$(realpath "$XFER_BIN")
HR=$(realpath "$H")
job nightly <<'JOB'
[job]
direction = send
schedule = * * * * *
timezone = UTC
[source]
type = csv
path = data/none/*.csv
required = no
[output]
name = nightly_{date}.csv
[upload]
url = out
JOB

x cron
expect_rc 0
line=$(grep -v '^#' "$T/out")
[ "$line" = "* * * * * XFER_HOME=$HR $BIN -q run" ] ||
    fail "crontab line: $line"
[ "$(grep -c -v '^#' "$T/out")" = 1 ] || fail "more than one crontab line"
head -n 1 "$T/out" | grep -q '^# xfer: ' || fail "no comment above the line"

# The command part (after the five time fields), as cron runs it: cron
# turns '\%' into '%', then hands the rest to sh with almost no
# environment.  Only the sanitizers' own settings are passed through.
cron_cmd() {
	printf '%s\n' "$1" | cut -d' ' -f6- | sed 's/\\%/%/g'
}
in_cron() {
	(cd / && env -i PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" \
	    LSAN_OPTIONS="$LSAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	    sh -c "$1" </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	no_sanitizer_report
}
if "$XFER_BIN" run --help >/dev/null 2>&1; then
	in_cron "$(cron_cmd "$line")"
	expect_rc 0
	[ ! -s "$T/out" ] && [ ! -s "$T/err" ] ||
	    fail "xfer -q run is not silent on success"
	[ "$(sql "SELECT state FROM send_batches WHERE job = 'nightly'")" = sent ] ||
	    fail "the due job did not run: $(sql 'SELECT * FROM send_batches')"
	ls "$H/out"/nightly_*.csv >/dev/null 2>&1 || fail "nothing delivered"
else
	echo "note: 'xfer run' is not there yet: the crontab line was not run"
fi

# A home whose path needs quoting for sh and escaping for cron.
Q="$T/my home 100%'s"
mkdir -p "$Q/jobs"
"$XFER_BIN" --home "$Q" cron >"$T/out" 2>"$T/err"
rc=$?
no_sanitizer_report
expect_rc 0
line=$(grep -v '^#' "$T/out")
cmd=$(cron_cmd "$line")
printf '%s\n' "$line" | sed 's/\\%//g' | grep -q '%' && fail "bare % in: $line"
pre=${cmd%" $BIN -q run"}
[ "$pre" != "$cmd" ] || fail "command part: $cmd"
[ "$(sh -c "$pre; printf %s \"\$XFER_HOME\"")" = "$(realpath "$Q")" ] ||
    fail "XFER_HOME not quoted right: $line"
if "$XFER_BIN" run --help >/dev/null 2>&1; then
	in_cron "$cmd"
	expect_rc 0
fi

x cron --systemd
expect_rc 0
expect_out "# --- /etc/systemd/system/xfer.service ---"
expect_out "# --- /etc/systemd/system/xfer.timer ---"
expect_out "ExecStart=$BIN --home $HR -q run"
expect_out "Type=oneshot"
expect_out "NoNewPrivileges=yes"
expect_out "ProtectSystem=full"
expect_out "OnCalendar=*-*-* *:*:00"
expect_out "AccuracySec=1s"
expect_out "Persistent=true"
expect_out "WantedBy=timers.target"
# The service comes before the timer, each under its header.
awk '/^# --- .*\/xfer\.service ---$/ { f = "s" } /^# --- .*\/xfer\.timer ---$/ { f = "t" }
    /^ExecStart=/ && f != "s" { exit 1 } /^OnCalendar=/ && f != "t" { exit 1 }' \
    "$T/out" || fail "a setting under the wrong unit"
mkdir -p "$T/units"
awk -v d="$T/units" '/^# --- .*\/xfer\.service ---$/ { f = d "/xfer.service"; next }
    /^# --- .*\/xfer\.timer ---$/ { f = d "/xfer.timer"; next }
    f { print > f }' "$T/out"
if command -v systemd-analyze >/dev/null 2>&1; then
	timeout 20 systemd-analyze verify --man=no "$T/units/xfer.service" \
	    "$T/units/xfer.timer" >"$T/verify" 2>&1 ||
	    { cat "$T/verify"; fail "systemd-analyze verify"; }
else
	echo "note: no systemd-analyze: units not verified"
fi

# Bad command lines.
x cron --bogus
expect_rc 64
x cron nightly
expect_rc 64
expect_err "unexpected argument"
x cron --help
expect_rc 0
expect_out "usage: xfer cron"
