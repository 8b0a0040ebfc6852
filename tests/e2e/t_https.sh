# Upload over HTTPS to a real nginx with WebDAV: PUT to a temp name then
# MOVE; a server without MOVE gets a direct PUT; certificates verified
# (wrong CA refused); basic auth; 4xx held, 5xx retried; redirects to
# http:// never followed; check --connect.
. "$(dirname "$0")/lib.sh"
start_nginx
mkdir -p "$H/data"
printf 'a,b\n1,2\n' > "$H/data/in.csv"
hjob() { # hjob NAME PATH EXTRA-UPLOAD-LINES
	job "$1" <<JOB
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = $1_{date}.csv
[upload]
url = $NGINX_URL/$2/
ca_file = $NGINX_CA
retries = 0
${3:-}
JOB
}
W="$NGINX_ROOT"
hjob mv dav/a/b
x send --date 2026-11-24 mv
expect_rc 0
expect_file "$W/dav/a/b/mv_2026-11-24.csv" <<'CSV'
a,b
1,2
CSV
(cd "$W/dav/a/b" && sha256sum -c mv_2026-11-24.csv.sha256 >/dev/null) || fail manifest
[ -z "$(find "$W" -name '*.part')" ] || fail ".part left"
x send --date 2026-11-24 mv
expect_rc 0
expect_err "already at the destination with the same bytes"
printf 'a,b\n9,9\n' > "$H/data/in.csv"
x send --date 2026-11-24 mv
expect_rc 0
expect_err "replaced"
grep -q 9,9 "$W/dav/a/b/mv_2026-11-24.csv" || fail "not replaced"

# Every PUT carries one Idempotency-Key per batch, the same on a resend.
grep -q '^PUT /dav/a/b/mv_2026-11-24.csv.part 20[14] idem=[0-9a-f]\{64\}$' "$NGINX_DIR/access.log" ||
    { cat "$NGINX_DIR/access.log"; fail "no Idempotency-Key"; }
printf 'a,b\n1,2\n' > "$H/data/in.csv"
x send --date 2026-11-24 mv
expect_rc 0
puts=$(grep -c '^PUT /dav/a/b/mv_2026-11-24.csv.part' "$NGINX_DIR/access.log")
keys=$(grep '^PUT /dav/a/b/mv_2026-11-24.csv.part' "$NGINX_DIR/access.log" | sed 's/.*idem=//' | sort -u | wc -l)
[ "$puts" = 3 ] && [ "$keys" = 2 ] || fail "expected 3 PUTs with 2 keys, got $puts with $keys"

hjob nm nomove
x send --date 2026-11-24 nm
expect_rc 0
expect_err "refuses WebDAV MOVE"
[ -f "$W/nomove/nm_2026-11-24.csv" ] || fail "direct PUT"
[ -z "$(find "$W" -name '*.part')" ] || fail ".part left (no MOVE)"

hjob noauth auth
x send --date 2026-11-24 noauth
expect_rc 1
expect_err "HTTP 401"
[ "$(sql "SELECT state FROM send_batches WHERE job='noauth'")" = held ] || fail "401 must be held"
hjob auth auth "user = $NGINX_USER
password_file = $NGINX_PASSWORD_FILE"
chmod 600 "$NGINX_PASSWORD_FILE"
x send --date 2026-11-24 auth
expect_rc 0
[ -f "$W/auth/auth_2026-11-24.csv" ] || fail "auth upload"
hjob cert dav/cert "client_cert = $NGINX_CLIENT_CERT
client_key = $NGINX_CLIENT_KEY"
chmod 600 "$NGINX_CLIENT_KEY"
x send --date 2026-11-24 cert
expect_rc 0

hjob wrongca dav/w
sed -i "s|^ca_file = .*|ca_file = $NGINX_WRONG_CA|" "$H/jobs/wrongca.job"
x send --date 2026-11-24 wrongca
expect_rc 1
expect_err "certificate"
[ "$(sql "SELECT state FROM send_batches WHERE job='wrongca'")" = held ] || fail "bad certificate must be held"
hjob sysca dav/s
sed -i "/^ca_file = /d" "$H/jobs/sysca.job"
x send --date 2026-11-24 sysca
expect_rc 1
[ ! -e "$W/dav/s/sysca_2026-11-24.csv" ] || fail "private CA accepted without ca_file"

hjob e500 fail500
x send --date 2026-11-24 e500
expect_rc 1
expect_err "HTTP 500"
[ "$(sql "SELECT state FROM send_batches WHERE job='e500'")" = failed ] || fail "5xx must be retried"
hjob e503 fail503
x send --date 2026-11-24 e503
expect_rc 1
[ "$(sql "SELECT state FROM send_batches WHERE job='e503'")" = failed ] || fail "503 must be retried"
# Retry-After is honoured between tries within a run.
hjob e503b fail503 "retries = 1
retry_delay = 0s"
sed -i '/^retries = 0$/d' "$H/jobs/e503b.job"
t0=$(date +%s%N)
x send --date 2026-11-24 e503b
t1=$(date +%s%N)
expect_rc 1
expect_err "try 1 of 2 failed"
[ $(( (t1 - t0) / 1000000 )) -ge 900 ] || fail "Retry-After: 1 not honoured"
hjob e403 forbidden
x send --date 2026-11-24 e403
expect_rc 1
[ "$(sql "SELECT state FROM send_batches WHERE job='e403'")" = held ] || fail "403 must be held"
hjob redir redirect
x send --date 2026-11-24 redir
expect_rc 1
expect_err "HTTP 301"

x check --connect mv nm
expect_rc 0
expect_out "WebDAV MOVE works"
expect_out "no WebDAV MOVE"
[ -z "$(find "$W" -name '.xfer-check*')" ] || fail "check left its probe file"
x check --connect noauth
expect_rc 1

# A backfill whose later names already exist: past the first few probes a
# connection answers "absent" from one WebDAV PROPFIND, and every name it
# holds is still looked up and compared.  A second job sends the same
# dates to the same collection after it was tampered with.
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
url = $NGINX_URL/dav/bf/
ca_file = $NGINX_CA
retries = 0
JOB
done
x send --from 2026-11-01 --to 2026-11-12 bfa
expect_rc 0
[ "$(ls "$W/dav/bf" | wc -l)" -eq 24 ] || fail "backfill: $(ls "$W/dav/bf" | wc -l) files, want 24"
rm "$W/dav/bf/bf_2026-11-08.csv" "$W/dav/bf/bf_2026-11-08.csv.sha256"
printf 'a,b\n09,other bytes\n' > "$W/dav/bf/bf_2026-11-09.csv"	# other size
printf 'a,b\n10,1011\n' > "$W/dav/bf/bf_2026-11-10.csv"		# same size
x -v send --from 2026-11-01 --to 2026-11-12 bfb
expect_rc 0
expect_err "event=listing"
expect_err "names: new names need no lookup"
n=$(grep -c "already at the destination with the same bytes" "$T/err")
[ "$n" -eq 9 ] || fail "backfill over existing names: $n batches already there, want 9"
expect_err "replaced 'bf_2026-11-09.csv'"
expect_err "replaced 'bf_2026-11-10.csv'"
[ "$(grep -c "event=replaced" "$T/err")" -eq 2 ] || fail "replaced more than 09 and 10"
(cd "$W/dav/bf" && sha256sum -c --quiet ./*.sha256) || fail "backfill: remote files differ from their manifests"
grep -q '^10,1010$' "$W/dav/bf/bf_2026-11-10.csv" || fail "same-size other bytes not replaced"
[ -f "$W/dav/bf/bf_2026-11-08.csv" ] || fail "the removed name was not sent again"
[ -z "$(find "$W/dav/bf" -name '*.part*')" ] || fail ".part left after the backfill"
