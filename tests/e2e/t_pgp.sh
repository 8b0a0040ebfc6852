# OpenPGP both ways with the gpg command line: xfer encrypts and signs a
# batch that the partner's gpg decrypts to the exact file with a good
# signature; the partner's gpg --encrypt --sign is decrypted, checked and
# ingested by a receive job; tampered, unsigned, wrongly signed files and
# expired keys (a recipient at send, a signer at receive) fail clearly,
# also under -q; fingerprints and keyrings are checked when the job loads
# and by xfer check.
. "$(dirname "$0")/lib.sh"
command -v gpg >/dev/null 2>&1 || { echo "SKIP: no gpg"; exit 0; }

# Keyrings: ours (xfer's, home-relative), the partner's, a stranger's.
OURS="$H/keys/ours"
PART="$T/partner"
mkdir -p "$H/keys"
mkdir -m 700 "$OURS" "$PART"
on_exit="${on_exit:+$on_exit; }for d in '$OURS' '$PART'; do gpgconf --homedir \"\$d\" --kill gpg-agent 2>/dev/null; done"
# Keys are made at a fixed time in 2020 so that the partner can sign with
# a key that has expired since (at that time it was valid).
OLD=20200101T000000
g() { # g HOMEDIR gpg-args...
	d=$1; shift
	gpg --homedir "$d" --batch --no-tty "$@"
}
newkey() { # newkey HOMEDIR NAME EXPIRE: prints the fingerprint
	g "$1" --passphrase '' --faked-system-time $OLD \
	    --quick-gen-key "$2 <$2@example.com>" ed25519 sign,cert "$3" 2>/dev/null ||
	    fail "gen $2"
	f=$(g "$1" --with-colons --list-keys "$2@example.com" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
	g "$1" --passphrase '' --faked-system-time $OLD \
	    --quick-add-key "$f" cv25519 encr "$3" 2>/dev/null || fail "subkey $2"
	echo "$f"
}
pub() { # pub FROM FPR TO
	g "$1" --export "$2" | g "$3" --import 2>/dev/null || fail "import $2"
}
O=$(newkey "$OURS" ours never)
P=$(newkey "$PART" partner never)
W=$(newkey "$PART" wrong never)	# a key we know, not a listed signer
S=$(newkey "$PART" stale 1d)	# expired on 2020-01-02
E=$(newkey "$PART" expired 1d)	# a recipient that expired
pub "$OURS" "$O" "$PART"
for k in "$P" "$W" "$S" "$E"; do pub "$PART" "$k" "$OURS"; done
# As gpg --fingerprint shows it: groups of four, upper case.
P_SPACED=$(echo "$P" | sed 's/..../& /g; s/ $//')

printf 'a,b\n1,x\n2,y\n' > "$H/data/in.csv"
sjob() { # sjob NAME EXTRA-OUTPUT
	job "$1" <<JOB
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = $1_{date}.csv
keyring = keys/ours
$2
[upload]
url = file://$H/out/
JOB
}

# 1. Encrypted to the partner, signed by us: gpg decrypts it to the exact
#    file and reports the good signature.
sjob ps "encrypt_to = $P_SPACED
sign_with = $O"
x send --date 2026-11-24 ps
expect_rc 0
F="$H/out/ps_2026-11-24.csv.pgp"
[ -f "$F" ] || fail "no .pgp file: $(ls "$H/out")"
(cd "$H/out" && sha256sum -c ps_2026-11-24.csv.pgp.sha256 >/dev/null) ||
    fail "the manifest does not cover the ciphertext"
grep -q 'x,' "$F" && fail "plain text in the encrypted file"
g "$PART" --decrypt "$F" >"$T/dec" 2>"$T/gpg.err" || { cat "$T/gpg.err"; fail "gpg --decrypt"; }
cmp -s "$T/dec" "$H/data/in.csv" || fail "decrypted file differs"
grep -q "Good signature from \"ours <ours@example.com>\"" "$T/gpg.err" ||
    { cat "$T/gpg.err"; fail "no good signature"; }
if [ -n "${XFER_PGP_SAMPLE:-}" ]; then
	{ echo "\$ gpg --decrypt $(basename "$F")"; cat "$T/gpg.err" "$T/dec"; } >"$XFER_PGP_SAMPLE"
fi

# The same records again: the plain text is compared, not the
# ciphertext (which would be new every time), and the sent ciphertext is
# sent again: the same bytes, no "replacing" or "replaced" warning.
cp "$F" "$T/first.pgp"
x send --date 2026-11-24 ps
expect_rc 0
grep -q replac "$T/err" && fail "same plain text taken for a new version"
cmp -s "$F" "$T/first.pgp" || fail "same records, other ciphertext"
# Another recipient, the same records: new ciphertext (the partner's file
# is replaced, as the destination says), but not a new version of the
# data: no "replacing" warning.
sed -i "s|^encrypt_to = .*|encrypt_to = $P, $W|" "$H/jobs/ps.job"
x send --date 2026-11-24 ps
expect_rc 0
grep -q "resending" "$T/err" && fail "same plain text taken for a new version (new keys)"
cmp -s "$F" "$T/first.pgp" && fail "new recipients, old ciphertext"
g "$PART" --decrypt "$F" 2>/dev/null | cmp -s - "$H/data/in.csv" || fail "decrypt after new recipients"
# Other records: said, as for any batch.
printf 'a,b\n1,x\n' > "$H/data/in.csv"
x send --date 2026-11-24 ps
expect_rc 0
expect_err "replaces the sent version"
printf 'a,b\n1,x\n2,y\n' > "$H/data/in.csv"

# Several dates in one run (built as a group, synced together): each
# decrypts; sent again, each keeps its ciphertext.
x send --from 2026-11-20 --to 2026-11-22 ps
expect_rc 0
for d in 20 21 22; do
	g "$PART" --decrypt "$H/out/ps_2026-11-$d.csv.pgp" 2>/dev/null |
	    cmp -s - "$H/data/in.csv" || fail "group batch $d"
	cp "$H/out/ps_2026-11-$d.csv.pgp" "$T/g$d.pgp"
done
x send --from 2026-11-20 --to 2026-11-22 ps
expect_rc 0
expect_err "'ps_2026-11-21.csv.pgp' is already at the destination with the same bytes"
for d in 20 21 22; do
	cmp -s "$H/out/ps_2026-11-$d.csv.pgp" "$T/g$d.pgp" ||
	    fail "group batch $d: other ciphertext for the same records"
done

# 2. Armor after gzip: .csv.gz.asc.
sjob pa "encrypt_to = $P
armor = yes
compress = gzip"
x send --date 2026-11-24 pa
expect_rc 0
F="$H/out/pa_2026-11-24.csv.gz.asc"
[ "$(head -n 1 "$F")" = "-----BEGIN PGP MESSAGE-----" ] || fail "not armored"
g "$PART" --decrypt "$F" 2>/dev/null | gzip -dc >"$T/dec" || fail "gpg | gunzip"
cmp -s "$T/dec" "$H/data/in.csv" || fail "armored file differs"

# 3. An expired recipient: refused, naming the key, also under -q.
sjob pe "encrypt_to = $P, $E"
x -q send --date 2026-11-24 pe
[ "$rc" -ne 0 ] || fail "sent to an expired key"
expect_err "$E expired on 2020-01-02"
[ -f "$H/out/pe_2026-11-24.csv.pgp" ] && fail "an encrypted file went out"

# 4. Receive: the partner's gpg --encrypt --sign, decrypted and ingested.
mkdir -p "$H/inbox"
job pr <<JOB
[job]
direction = receive
[inbox]
path = inbox
pattern = pr_{date:%Y%m%d}.csv.pgp
settle = 0s
decrypt = yes
require_signature = $P, $S
keyring = keys/ours
[ingest]
type = sqlite
database = data/rx.db
table = t
JOB
q() { sqlite3 "$H/data/rx.db" "$1"; }
send_in() { # send_in DAY gpg-args...: the partner's file for 2026-11-DAY
	d=$1; shift
	printf 'a,b\n%s,x\n%s,y\n' "$d" "$d" >"$T/plain"
	g "$PART" --trust-model always --recipient "$O" "$@" \
	    --output "$H/inbox/pr_202611$d.csv.pgp" "$T/plain" 2>/dev/null ||
	    fail "partner gpg $*"
}
send_in 21 --local-user "$P" --sign --encrypt
x receive pr
expect_rc 0
[ "$(q "SELECT count(*) FROM t WHERE a = '21'")" = 2 ] || fail "not ingested"
expect_err "good signature by $P"
[ -f "$H/spool/pr/backup/2026/11/21/pr_20261121.csv.pgp" ] || fail "backup of the file as received"

# 5. Tampered ciphertext, an unsigned file, a wrong signer, a signer whose
#    key has expired: each fails, nothing of it ingested, under -q too.
send_in 22 --local-user "$P" --sign --encrypt
python3 - "$H/inbox/pr_20261122.csv.pgp" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-20] ^= 1
open(p, "wb").write(b)
PY
send_in 23 --encrypt
send_in 24 --local-user "$W" --sign --encrypt
send_in 25 --faked-system-time 20200101T120000 --local-user "$S" --sign --encrypt
x -q receive pr
expect_rc 1
expect_err "cannot decrypt 'pr_20261122.csv.pgp'"
expect_err "'pr_20261123.csv.pgp' is not signed"
expect_err "'pr_20261124.csv.pgp': signed by $W: not one of require_signature"
expect_err "'pr_20261125.csv.pgp': signed by $S: the signer's key has expired"
[ "$(q "SELECT count(*) FROM t")" = 2 ] || fail "a failed file was ingested"
for d in 22 23 24 25; do
	e=$(find "$H/spool/pr/failed" -name "pr_202611$d.csv.pgp.error")
	[ -n "$e" ] && [ -s "$e" ] || fail "no .error for $d"
done
ls -a "$H/spool/pr/in" 2>/dev/null | grep -q '^\.clear' && fail "decrypted text left in the spool"

# 6. Loading and checking: a bad fingerprint, a keyring others may read,
#    a key not in the keyring.
sjob pb "encrypt_to = 1234"
x check pb
[ "$rc" -ne 0 ] || fail "bad fingerprint taken"
expect_err "'1234' is not an OpenPGP fingerprint"
mkdir -m 755 "$H/keys/open"
sjob pk "encrypt_to = $P
sign_with = $O"
sed -i 's|keyring = keys/ours|keyring = keys/open|' "$H/jobs/pk.job"
x check pk
[ "$rc" -ne 0 ] || fail "open keyring taken"
expect_err "chmod 700"
sjob pm "encrypt_to = $P
sign_with = $P"
x check pm
[ "$rc" -ne 0 ] || fail "a key without its secret taken to sign"
expect_err "signing key $P: no secret key in the keyring"
# Keys without what they serve; a name that promises OpenPGP.
sjob pn "armor = yes"
sed -i 's|^name = .*|name = pn.csv.pgp|' "$H/jobs/pn.job"
x check pn
[ "$rc" -ne 0 ] || fail "keyring without encrypt_to taken"
expect_err "key 'keyring': only used with encrypt_to or sign_with"
expect_err "key 'armor': only used with encrypt_to or sign_with"
expect_err "'pn.csv.pgp' ends as an OpenPGP file, but nothing encrypts or signs it"
rm -f "$H/jobs/pn.job"
sed 's/^decrypt = yes$/decrypt = no/' "$H/jobs/pr.job" >"$H/jobs/pq.job"
x check pq
[ "$rc" -ne 0 ] || fail "require_signature without decrypt taken"
expect_err "key 'require_signature': only used with decrypt = yes"
rm -f "$H/jobs/pq.job"
x check ps pr
expect_rc 0
expect_err "warning: $H/jobs/pr.job: signature key $S expired on 2020-01-02"
rm -f "$H/jobs/pb.job" "$H/jobs/pk.job" "$H/jobs/pm.job" "$H/jobs/pe.job"
echo "ok"
