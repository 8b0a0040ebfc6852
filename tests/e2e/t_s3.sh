# S3 (SPEC.md section 10) against a real S3 implementation, moto, on
# 127.0.0.1: single PUT and multipart (parallel parts) uploads with the
# manifest last, resend and on_exists, a kill -9 in the middle of a
# multipart upload then a rerun (nothing left behind), pulling with
# delete/keep/move and ListObjectsV2 paging, check --connect; with
# moto's signature checks on, good and wrong credentials; against a
# canned server, RequestTimeTooSkewed and 503 SlowDown with Retry-After;
# keys refused when the job loads; with FAULT_XFER, the S3 crash points.
. "$(dirname "$0")/lib.sh"
start_s3
E="$S3_ENDPOINT"
B="$S3_BUCKET"
# moto runs without signature checks here, so curl looks inside (its
# --aws-sigv4 is good enough for requests without a query; see
# tests/servers/README.md).
printf 'user = "%s:%s"\n' "$S3_KEY_ID" "$S3_SECRET" > "$T/curl.cfg"	# not in argv
chmod 600 "$T/curl.cfg"
scurl() {
	curl -sf -K "$T/curl.cfg" --aws-sigv4 aws:amz:us-east-1:s3 \
	    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}
s3get() { scurl "$E/$B/$1"; }
s3put() { scurl -o /dev/null -T "$1" "$E/$B/$2" || fail "curl PUT $2"; }
s3has() { scurl -o /dev/null -I "$E/$B/$1"; }
uploads() { curl -sf "$E/$B?uploads" | grep -o '<UploadId>' | wc -l; }
sjob() { # sjob NAME PREFIX EXTRA-UPLOAD-LINES [SOURCE-FILE]
	job "$1" <<JOB
[job]
direction = send
[source]
type = csv
path = data/${4:-in.csv}
[output]
name = $1_{date}.csv
[upload]
url = s3://$B/$2/
endpoint = $E
credentials_file = $S3_CREDENTIALS
retries = 0
${3:-}
JOB
}
printf 'a,b\n1,2\n' > "$H/data/in.csv"

# --- a single PUT, the manifest after the data --------------------------
sjob one out/day
x send --date 2026-11-24 one
expect_rc 0
[ "$(s3get out/day/one_2026-11-24.csv)" = "$(printf 'a,b\n1,2')" ] || fail "data"
s3get out/day/one_2026-11-24.csv.sha256 | grep -q one_2026-11-24.csv || fail "manifest"
d=$(grep -n 'PUT /xfer-test/out/day/one_2026-11-24.csv HTTP' "$T/s3/moto.log" | cut -d: -f1)
m=$(grep -n 'PUT /xfer-test/out/day/one_2026-11-24.csv.sha256 HTTP' "$T/s3/moto.log" | cut -d: -f1)
[ -n "$d" ] && [ -n "$m" ] && [ "$d" -lt "$m" ] || fail "manifest must go last ($d, $m)"
scurl -I "$E/$B/out/day/one_2026-11-24.csv" | grep -qi '^x-amz-meta-sha256: [0-9a-f]\{64\}' ||
    fail "no x-amz-meta-sha256"
x send --date 2026-11-24 one
expect_rc 0
expect_err "already at the destination with the same bytes"
[ "$(grep -c 'PUT /xfer-test/out/day/one_2026-11-24.csv HTTP' "$T/s3/moto.log")" = 1 ] ||
    fail "a resend of the same bytes must not upload"
x check --connect one
expect_rc 0
expect_out "credentials accepted, bucket 'xfer-test' reachable"
expect_out "can delete objects"
s3has "out/day/.xfer-check.$$" && fail "check left its probe"

# other bytes: replaced, or held with on_exists = fail
printf 'a,b\n9,9\n' > "$H/data/in.csv"
x send --date 2026-11-24 one
expect_rc 0
expect_err "replaced"
s3get out/day/one_2026-11-24.csv | grep -q 9,9 || fail "not replaced"
printf 'a,b\n7,7\n' > "$H/data/in.csv"
sed -i 's/^retries = 0$/retries = 0\non_exists = fail/' "$H/jobs/one.job"
x send --date 2026-11-24 one
expect_rc 1
expect_err "on_exists = fail"
[ "$(sql "SELECT state FROM send_batches WHERE job='one'")" = held ] || fail "must be held"
s3get out/day/one_2026-11-24.csv | grep -q 9,9 || fail "kept the old bytes"

# A backfill: after a few probes one listing answers "absent" for new
# names; a name it holds (other bytes) is looked up and replaced.  One
# connection: each connection makes its own first probes.
printf 'x\n' > "$T/tamper"
s3put "$T/tamper" bf/bf_2026-11-07.csv
sjob bf bf "connections = 1"
printf 'a,b\n1,2\n' > "$H/data/in.csv"
x send --from 2026-11-01 --to 2026-11-08 bf
expect_rc 0
expect_err "replaced 'bf_2026-11-07.csv'"
s3get bf/bf_2026-11-07.csv | grep -q '1,2' || fail "tampered name not replaced"
[ "$(grep -c '"HEAD /xfer-test/bf/' "$T/s3/moto.log")" -le 8 ] ||
    fail "expected the listing to answer for new names: $(grep -c '"HEAD /xfer-test/bf/' "$T/s3/moto.log") HEADs"
[ "$(grep -c '"PUT /xfer-test/bf/' "$T/s3/moto.log")" = 17 ] || fail "PUTs"

# --- multipart: 5M parts in parallel, checked end to end ----------------
python3 -c '
import random, sys
r = random.Random(7)
with open(sys.argv[1], "w") as f:
    f.write("a,b,c\n")
    for i in range(520000):
        f.write("%d,%d,%s\n" % (i, r.getrandbits(62), "y" * 22))' "$H/data/big.csv"
sjob big mp "part_size = 5M" big.csv
x send --date 2026-11-24 big
expect_rc 0
want=$(s3get mp/big_2026-11-24.csv.sha256 | cut -c1-64)
got=$(s3get mp/big_2026-11-24.csv | sha256sum | cut -c1-64)
[ "$got" = "$want" ] || fail "multipart bytes differ ($got, $want)"
[ "$(grep -c 'PUT /xfer-test/mp/big_2026-11-24.csv?partNumber=' "$T/s3/moto.log")" -ge 5 ] ||
    fail "expected a multipart upload of 5M parts"
s3has mp/big_2026-11-24.csv.sha256 || fail "multipart manifest"
[ "$(uploads)" = 0 ] || fail "a multipart upload left behind"

# --- crash points (with the fault build, `make fault`) -------------------
# Killed at each point of an S3 upload, then run normally until it
# settles: the batch is sent once, the object is the batch's bytes, the
# manifest names them, and no multipart upload is left behind.
if [ -n "${FAULT_XFER:-}" ] && [ -x "$FAULT_XFER" ]; then
	cn=0
	s3crash() { # POINT[:N] INPUT
		cn=$((cn + 1))
		p=${1%%:*}
		hit=${1#"$p"}; hit=${hit#:}; hit=${hit:-1}
		sjob "c$cn" "crash/c$cn" "part_size = 5M" "$2"
		XFER_FAULT="$p:kill:$hit" "$FAULT_XFER" --home "$H" send \
		    --date 2026-11-24 "c$cn" >"$T/crash.out" 2>&1
		grep -q "fault point '$p' hit" "$T/crash.out" ||
		    fail "crash $1: not reached: $(tail -n 3 "$T/crash.out")"
		k=0
		while :; do
			x send --date 2026-11-24 "c$cn"
			[ "$rc" = 0 ] && break
			k=$((k + 1))
			[ $k -lt 3 ] || fail "crash $1: does not settle"
		done
		[ "$(sql "SELECT state FROM send_batches WHERE job='c$cn'")" = sent ] ||
		    fail "crash $1: not sent"
		sha=$(sql "SELECT sha256 FROM send_batches WHERE job='c$cn'")
		f="crash/c$cn/c${cn}_2026-11-24.csv"
		[ "$(s3get "$f" | sha256sum | cut -c1-64)" = "$sha" ] ||
		    fail "crash $1: the object is not the batch"
		s3get "$f.sha256" | grep -q "^$sha " || fail "crash $1: manifest"
		[ "$(uploads)" = 0 ] || fail "crash $1: a multipart upload left behind"
	}
	s3crash upload_start in.csv
	s3crash upload_mid:1 in.csv
	s3crash manifest_before_upload in.csv
	s3crash s3_multipart_start big.csv
	s3crash s3_part_done:2 big.csv
	s3crash s3_before_complete big.csv
	s3crash upload_mid:30 big.csv
fi

# --- kill -9 in the middle of a multipart upload, then a rerun ----------
python3 -c '
import random, sys
r = random.Random(8)
with open(sys.argv[1], "w") as f:
    f.write("a,b,c\n")
    for i in range(1500000):
        f.write("%d,%d,%s\n" % (i, r.getrandbits(62), "z" * 22))' "$H/data/huge.csv"
sjob kill kl "part_size = 5M" huge.csv
"$XFER_BIN" --home "$H" send --date 2026-11-24 kill >"$T/kill.out" 2>&1 &
pid=$!
i=0
while [ "$(uploads)" = 0 ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ "$(uploads)" = 1 ] || fail "the killed run should have left its multipart upload (test too slow?)"
s3has kl/kill_2026-11-24.csv && fail "a partial object is visible"
x send --date 2026-11-24 kill
expect_rc 0
expect_err "aborted 1 unfinished multipart upload"
[ "$(uploads)" = 0 ] || fail "multipart uploads left after the rerun"
got=$(s3get kl/kill_2026-11-24.csv | sha256sum | cut -c1-64)
[ "$got" = "$(sha256sum < "$H/data/huge.csv" | cut -c1-64)" ] || fail "rerun bytes"
rm -f "$H/data/huge.csv"

# --- pulling: delete, keep, move, paging, hostile names ------------------
pjob() { # pjob NAME PREFIX EXTRA
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
url = s3://$B/$2/
endpoint = $E
credentials_file = $S3_CREDENTIALS
pattern = p_{date}.csv
settle = 0s
retries = 0
${3:-}
[ingest]
type = sqlite
database = data/pull.db
table = t_$1
JOB
}
printf 'k,v\n1,a\n' > "$T/p1.csv"
(cd "$T" && sha256sum p1.csv | sed 's/p1.csv/p_2026-11-24.csv/' > "$T/p1.sha")
s3put "$T/p1.csv" in/p_2026-11-24.csv
s3put "$T/p1.sha" in/p_2026-11-24.csv.sha256
s3put "$T/p1.csv" in/-p_2026-11-23.csv
s3put "$T/p1.csv" in/sub/p_2026-11-22.csv
pjob del in
x receive del
expect_rc 0
[ "$(sqlite3 "$H/data/pull.db" "SELECT k, v FROM t_del")" = "1|a" ] || fail "pull rows"
s3has in/p_2026-11-24.csv && fail "after_pull delete"
s3has in/p_2026-11-24.csv.sha256 && fail "after_pull delete (manifest)"
s3has in/-p_2026-11-23.csv && s3has in/sub/p_2026-11-22.csv || fail "must leave the others"

printf 'k,v\n2,b\n' > "$T/p2.csv"
s3put "$T/p2.csv" kp/p_2026-11-21.csv
pjob keep kp "after_pull = keep"
x receive keep
expect_rc 0
x receive keep
expect_rc 0
[ "$(sqlite3 "$H/data/pull.db" "SELECT count(*) FROM t_keep")" = 1 ] || fail "keep: pulled twice"
s3has kp/p_2026-11-21.csv || fail "after_pull keep"

s3put "$T/p2.csv" mv/p_2026-11-20.csv
pjob move mv "after_pull = move:done"
x receive move
expect_rc 0
s3has mv/done/p_2026-11-20.csv && ! s3has mv/p_2026-11-20.csv || fail "after_pull move"
pjob amove mv "after_pull = move:/archive/x"
s3put "$T/p2.csv" mv/p_2026-11-19.csv
x receive amove
expect_rc 0
s3has archive/x/p_2026-11-19.csv && ! s3has mv/p_2026-11-19.csv || fail "after_pull move:/abs"

# More than one page (S3 and moto give at most 1,000 keys a page): the
# file to pull sorts after 1,001 others.
printf 'x\n' > "$T/junk"
scurl -o /dev/null -T "$T/junk" "$E/$B/pg/a-[0000-1000].txt" || fail "junk keys"
printf 'k,v\n3,c\n' > "$T/p3.csv"
s3put "$T/p3.csv" pg/p_2026-11-18.csv
pjob page pg
x receive page
expect_rc 0
[ "$(sqlite3 "$H/data/pull.db" "SELECT v FROM t_page")" = c ] || fail "the second page was not read"
grep -q 'GET /xfer-test?continuation-token=' "$T/s3/moto.log" || fail "no continuation token used"

# --- load-time checks ----------------------------------------------------
sjob badep x
sed -i "s|^endpoint = .*|endpoint = http://192.0.2.1:9000|" "$H/jobs/badep.job"
x send --date 2026-11-24 badep
expect_rc 78
expect_err "badep.job:"
expect_err "key 'endpoint': plain http:// is only allowed to a loopback address"
sjob badps x "part_size = 1M"
x send --date 2026-11-24 badps
expect_rc 78
expect_err "key 'part_size': must be at least 5M"
sjob badkey x "identity = /nonexistent"
x send --date 2026-11-24 badkey
expect_rc 78
expect_err "not used with an s3:// url"
cp "$S3_CREDENTIALS" "$T/open-creds"
chmod 644 "$T/open-creds"
sjob opencred x
sed -i "s|^credentials_file = .*|credentials_file = $T/open-creds|" "$H/jobs/opencred.job"
x send --date 2026-11-24 opencred
[ "$rc" -ne 0 ] || fail "a readable credentials file must be refused"
expect_err "open-creds"
x check opencred
[ "$rc" -ne 0 ] || fail "check: a readable credentials file must be refused"
expect_err "credentials_file"
grep -q "$S3_SECRET" "$T/err" "$T/out" && fail "the secret shows in the output"
rm -f "$H/jobs/badep.job" "$H/jobs/badps.job" "$H/jobs/badkey.job"

# --- signatures checked: good and wrong credentials ----------------------
S3_AUTH=1 start_s3 s3auth
EA="$S3_ENDPOINT"
sjob auth au
sed -i "s|^endpoint = .*|endpoint = $EA|" "$H/jobs/auth.job"
x send --date 2026-11-24 auth
expect_rc 0
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = wrong\n' \
    "$S3_KEY_ID" > "$T/bad-secret"
printf '[other]\naws_access_key_id = AKIANOSUCHKEY0000000\naws_secret_access_key = x\n' \
    > "$T/bad-id"
chmod 600 "$T/bad-secret" "$T/bad-id"
sjob badsig au
sed -i "s|^endpoint = .*|endpoint = $EA|; s|^credentials_file = .*|credentials_file = $T/bad-secret|" \
    "$H/jobs/badsig.job"
x send --date 2026-11-24 badsig
expect_rc 1
expect_err "SignatureDoesNotMatch"
[ "$(sql "SELECT state FROM send_batches WHERE job='badsig'")" = held ] || fail "wrong secret: must be held"
sjob badid au "profile = other"
sed -i "s|^endpoint = .*|endpoint = $EA|; s|^credentials_file = .*|credentials_file = $T/bad-id|" \
    "$H/jobs/badid.job"
x send --date 2026-11-24 badid
expect_rc 1
expect_err "InvalidAccessKeyId"
grep -q wrong "$T/err" && fail "the secret shows in the output"

# --- a canned S3: RequestTimeTooSkewed, SlowDown then success ------------
cat > "$T/canned.py" <<'PY'
import http.server, sys
seen = {}
stored = {}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        sys.stderr.write("%s %s\n" % (self.command, self.path))
    def answer(self, code, body=b"", extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def do_HEAD(self):
        if self.path not in stored:
            return self.answer(404)
        n, sha = stored[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.send_header("x-amz-meta-sha256", sha)
        self.end_headers()
    def do_GET(self):
        # ListObjectsV2 that never shows the "race" object stored below,
        # as if it appeared after the listing.
        self.answer(200, b"<ListBucketResult><IsTruncated>false"
            b"</IsTruncated></ListBucketResult>")
    def do_DELETE(self):
        stored.pop(self.path, None)
        self.answer(204)
    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        if self.headers.get("If-None-Match") == "*" and self.path in stored:
            return self.answer(412, b"<Error><Code>PreconditionFailed"
                b"</Code><Message>At least one of the pre-conditions you "
                b"specified did not hold</Message></Error>")
        if "/skew/" in self.path:
            return self.answer(403, b"<?xml version='1.0'?><Error><Code>"
                b"RequestTimeTooSkewed</Code><Message>The difference between "
                b"the request time and the current time is too large."
                b"</Message></Error>")
        seen[self.path] = seen.get(self.path, 0) + 1
        if "/slow/" in self.path and seen[self.path] == 1:
            return self.answer(503, b"<Error><Code>SlowDown</Code><Message>"
                b"Please reduce your request rate.</Message></Error>",
                [("Retry-After", "2")])
        stored[self.path] = (n, self.headers.get("x-amz-meta-sha256", ""))
        self.answer(200, extra=[("ETag", '"x"')])
stored["/xfer-test/race/race_2026-11-06.csv"] = (3, "0" * 64)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
PY
python3 "$T/canned.py" >"$T/canned.port" 2>"$T/canned.log" &
cpid=$!
on_exit="$on_exit kill $cpid 2>/dev/null;"
i=0
while [ ! -s "$T/canned.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
CE="http://127.0.0.1:$(cat "$T/canned.port")"
sjob skew skew
sed -i "s|^endpoint = .*|endpoint = $CE|; s|^credentials_file = .*|credentials_file = $T/bad-secret|" \
    "$H/jobs/skew.job"
x send --date 2026-11-24 skew
expect_rc 1
expect_err "this machine's clock is off (RequestTimeTooSkewed"
sjob slow slow "retry_delay = 1s"
sed -i "s|^retries = 0|retries = 2|; s|^endpoint = .*|endpoint = $CE|; s|^credentials_file = .*|credentials_file = $T/bad-secret|" \
    "$H/jobs/slow.job"
t0=$(date +%s%N)
x send --date 2026-11-24 slow
expect_rc 0
expect_err "SlowDown: Please reduce your request rate. (Retry-After: 2 s)"
[ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 1900 ] || fail "Retry-After not honoured"
[ "$(grep -c '^PUT /xfer-test/slow/slow_2026-11-24.csv$' "$T/canned.log")" = 2 ] &&
    [ "$(grep -c '^PUT /xfer-test/slow/slow_2026-11-24.csv.sha256$' "$T/canned.log")" = 2 ] ||
    fail "SlowDown: expected one retry of each object"
# A backfill lists the prefix once and PUTs names it did not hold with
# If-None-Match: *; one that appeared since (412) is looked at again and
# replaced as on_exists says, never overwritten unseen.  One connection,
# as above.
sjob race race "retry_delay = 1s
connections = 1"
sed -i "s|^retries = 0|retries = 2|; s|^endpoint = .*|endpoint = $CE|; s|^credentials_file = .*|credentials_file = $T/bad-secret|" \
    "$H/jobs/race.job"
cp "$H/data/in.csv" "$H/data/in2.csv"
x send --from 2026-11-01 --to 2026-11-06 race
expect_rc 0
expect_err "'race_2026-11-06.csv' appeared at the destination meanwhile"
expect_err "replaced 'race_2026-11-06.csv' at the destination"
[ "$(grep -c '^HEAD /xfer-test/race/' "$T/canned.log")" -le 10 ] ||
    fail "the listing was not used: $(grep -c '^HEAD' "$T/canned.log") HEADs"
grep -q '^GET /xfer-test?' "$T/canned.log" || fail "no listing"
echo "t_s3: ok"
