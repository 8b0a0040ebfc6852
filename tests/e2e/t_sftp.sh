# Upload over SFTP to a real OpenSSH sshd: temp name + rename, missing
# directories, overwrite, same bytes, host keys (known_hosts, pin, wrong,
# unknown), credentials (key, key with passphrase, password, wrong ones),
# permissions of key files, check --connect.
. "$(dirname "$0")/lib.sh"
# libssh2's leak of an encrypted ECDSA key is suppressed by its stack.
asan_full_stacks
start_sshd
mkdir -p "$H/data"
printf 'a,b\n1,2\n' > "$H/data/in.csv"
chmod 600 "$SSHD_CLIENT_KEY"
sjob() { # sjob NAME SUBDIR EXTRA-UPLOAD-LINES
	job "$1" <<JOB
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = $1_{date}.csv
[upload]
url = $SSHD_URL$SSHD_HOME/$2/
user = $SSHD_USER
retries = 0
connect_timeout = 5s
${3:-}
JOB
}
R="$SSHD_HOME"
sjob kh in/deep/er "identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS"
x send --date 2026-11-24 kh
expect_rc 0
expect_file "$R/in/deep/er/kh_2026-11-24.csv" <<'CSV'
a,b
1,2
CSV
(cd "$R/in/deep/er" && sha256sum -c kh_2026-11-24.csv.sha256 >/dev/null) || fail "manifest"
[ -z "$(find "$R" -name '*.part*')" ] || fail ".part left"
# Same bytes: counted as sent, nothing rewritten.
x send --date 2026-11-24 kh
expect_rc 0
expect_err "already at the destination with the same bytes"
# Other bytes: replaced although SFTP v3 rename cannot overwrite.
printf 'a,b\n1,3\n' > "$H/data/in.csv"
x send --date 2026-11-24 kh
expect_rc 0
expect_err "replaced 'kh_2026-11-24.csv'"
grep -q '1,3' "$R/in/deep/er/kh_2026-11-24.csv" || fail "not replaced"
(cd "$R/in/deep/er" && sha256sum -c kh_2026-11-24.csv.sha256 >/dev/null) || fail "manifest after replace"
[ -z "$(find "$R" -name '*.part*')" ] || fail ".part left after replace"
# on_exists = fail holds the batch and leaves the remote file alone.
sjob keep in/deep/er "identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
on_exists = fail"
printf 'other\n' > "$R/in/deep/er/keep_2026-11-24.csv"
x send --date 2026-11-24 keep
expect_rc 1
expect_err "already exists at the destination with other bytes"
[ "$(sql "SELECT state FROM send_batches WHERE job='keep'")" = held ] || fail "not held"
[ "$(cat "$R/in/deep/er/keep_2026-11-24.csv")" = other ] || fail "overwritten"

# Host keys: the negotiated key pinned works; a wrong pin, a changed key
# and an unknown key are permanent failures naming the offered key.
sjob pin out "identity = $SSHD_CLIENT_KEY
host_key_sha256 = $SSHD_PIN"
x send --date 2026-11-24 pin
expect_rc 0
sjob badpin out "identity = $SSHD_CLIENT_KEY
host_key_sha256 = $SSHD_PIN_WRONG"
x send --date 2026-11-24 badpin
expect_rc 1
expect_err "does not match host_key_sha256"
expect_err "SHA256:$SSHD_PIN"
[ "$(sql "SELECT state, attempts FROM send_batches WHERE job='badpin'")" = "held|1" ] || fail "wrong pin must be held at once"
sjob wrongkh out "identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS_WRONG"
x send --date 2026-11-24 wrongkh
expect_rc 1
expect_err "does NOT match known_hosts"
printf '' > "$T/empty_known_hosts"
sjob unknown out "identity = $SSHD_CLIENT_KEY
known_hosts = $T/empty_known_hosts"
x send --date 2026-11-24 unknown
expect_rc 1
expect_err "is unknown"
expect_err "host_key_sha256 = $SSHD_PIN"
[ ! -e "$R/out/unknown_2026-11-24.csv" ] || fail "uploaded to an unknown host"
sjob nokey out "identity = $SSHD_CLIENT_KEY"
x send --date 2026-11-24 nokey
expect_rc 1
expect_err "needs known_hosts or host_key_sha256"

# Credentials.
sjob pass out "identity = $SSHD_CLIENT_KEY_PASS
passphrase_file = $SSHD_CLIENT_KEY_PASSFILE
known_hosts = $SSHD_KNOWN_HOSTS"
chmod 600 "$SSHD_CLIENT_KEY_PASS" "$SSHD_CLIENT_KEY_PASSFILE"
x send --date 2026-11-24 pass
expect_rc 0
if [ -n "$SSHD_PASSWORD_FILE" ]; then
	sjob pw out "password_file = $SSHD_PASSWORD_FILE
known_hosts = $SSHD_KNOWN_HOSTS"
	x send --date 2026-11-24 pw
	expect_rc 0
	printf 'wrong\n' > "$T/badpw"; chmod 600 "$T/badpw"
	sjob badpw out "password_file = $T/badpw
known_hosts = $SSHD_KNOWN_HOSTS"
	x send --date 2026-11-24 badpw
	expect_rc 1
	[ "$(sql "SELECT state FROM send_batches WHERE job='badpw'")" = held ] || fail "wrong password must be held"
fi
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger" >/dev/null
sjob badkey out "identity = $T/stranger
known_hosts = $SSHD_KNOWN_HOSTS"
x send --date 2026-11-24 badkey
expect_rc 1
[ "$(sql "SELECT state FROM send_batches WHERE job='badkey'")" = held ] || fail "wrong key must be held"
# A key file others can read is refused, as ssh does.
cp "$SSHD_CLIENT_KEY" "$T/open_key"; chmod 644 "$T/open_key"
sjob openkey out "identity = $T/open_key
known_hosts = $SSHD_KNOWN_HOSTS"
x send --date 2026-11-24 openkey
expect_rc 1
expect_err "accessible by group or others (mode 0644)"

x check --connect kh
expect_rc 0
expect_out "host key verified, logged in"
expect_out "rename them into place"
[ -z "$(find "$R" -name '.xfer-check*')" ] || fail "check left its probe file"
x check --connect unknown
expect_rc 1
expect_out "FAIL"

# A progress bar for a transfer over 1 MiB when stderr is a terminal
# (script(1) gives it one), never otherwise (cron).
job prog <<JOB
[job]
direction = send
[source]
type = command
command = sh -c "yes 2026-11-24,0123456789abcdef0123456789abcdef | head -n 100000"
[output]
name = prog_{date}.csv
[upload]
url = $SSHD_URL$R/prog/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
JOB
x send --date 2026-11-24 prog
expect_rc 0
grep -q "ETA" "$T/err" && fail "progress bar without a terminal"
expect_err "MB/s"
if command -v script >/dev/null; then
	script -qec "$XFER_BIN --home $H send --date 2026-11-23 prog" /dev/null > "$T/tty" 2>&1 ||
	    { cat "$T/tty"; fail "send under a terminal"; }
	grep -q "ETA" "$T/tty" || { cat "$T/tty"; fail "no progress bar on a terminal"; }
fi

# A backfill whose later names already exist: past the first few probes a
# connection answers "absent" from one directory listing, and every name
# the listing holds is still looked up and compared.  A second job sends
# the same dates to the same directory after it was tampered with.
for d in 01 02 03 04 05 06 07 08 09 10 11 12; do
	printf 'a,b\n%s,%s\n' "$d" "$d$d" > "$H/data/d_2026-11-$d.csv"
done
for j in bfa bfb; do
	job "$j" <<JOB
[job]
direction = send
[source]
type = csv
path = data/d_{date}.csv
[output]
name = bf_{date}.csv
[upload]
url = $SSHD_URL$R/bf/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
retries = 0
JOB
done
x send --from 2026-11-01 --to 2026-11-12 bfa
expect_rc 0
[ "$(ls "$R/bf" | wc -l)" -eq 24 ] || fail "backfill: $(ls "$R/bf" | wc -l) files, want 24"
rm "$R/bf/bf_2026-11-08.csv" "$R/bf/bf_2026-11-08.csv.sha256"
printf 'a,b\n09,other bytes\n' > "$R/bf/bf_2026-11-09.csv"	# other size
printf 'a,b\n10,1011\n' > "$R/bf/bf_2026-11-10.csv"		# same size
x -v send --from 2026-11-01 --to 2026-11-12 bfb
expect_rc 0
expect_err "event=listing"
expect_err "names: new names need no lookup"
n=$(grep -c "already at the destination with the same bytes" "$T/err")
[ "$n" -eq 9 ] || fail "backfill over existing names: $n batches already there, want 9"
expect_err "replaced 'bf_2026-11-09.csv'"
expect_err "replaced 'bf_2026-11-10.csv'"
[ "$(grep -c "event=replaced" "$T/err")" -eq 2 ] || fail "replaced more than 09 and 10"
(cd "$R/bf" && sha256sum -c --quiet ./*.sha256) || fail "backfill: remote files differ from their manifests"
grep -q '^10,1010$' "$R/bf/bf_2026-11-10.csv" || fail "same-size other bytes not replaced"
[ -f "$R/bf/bf_2026-11-08.csv" ] || fail "the removed name was not sent again"
[ -z "$(find "$R/bf" -name '*.part*')" ] || fail ".part left after the backfill"
