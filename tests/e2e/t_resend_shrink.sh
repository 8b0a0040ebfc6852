# Replacing what the partner already has (SPEC.md section 4): a resend of a
# sent date with other bytes is logged at warning level even under -q with
# the old and new record counts and SHA-256; one with no records replacing
# one with records is refused (exit 1, nothing sent, the destination, the
# spool and the ledger row untouched) unless `send --force`.
. "$(dirname "$0")/lib.sh"
D=2026-11-20
mkdir -p "$H/data/s"
job s <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/s/*.csv
[output]
name = s_{date}.csv
[upload]
url = file://$H/out
retries = 0
JOB
three() { printf 'id,v\n1,a\n2,b\n3,c\n' > "$H/data/s/in.csv"; }
two() { printf 'id,v\n1,a\n2,b\n' > "$H/data/s/in.csv"; }
none() { printf 'id,v\n' > "$H/data/s/in.csv"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
row() { sql "SELECT state, file, sha256, records, bytes, attempts, last_error, updated FROM send_batches WHERE job='s' AND date='$D'"; }

x send --help
expect_rc 0
expect_out "--force"

three
x -q send --date $D s
expect_rc 0
old=$(sha "$H/out/s_$D.csv")

# Other bytes: a warning under -q, the send goes on.
two
x -q send --date $D s
expect_rc 0
new=$(sha "$H/out/s_$D.csv")
[ "$old" != "$new" ] || fail "the new version was not delivered"
expect_err "warning"
expect_err "job=s date=$D event=replacing: resending $D: replaces the sent version (3 records, sha256 $old) with 2 records (sha256 $new)"
[ "$(grep -c . "$T/err")" -eq 1 ] || fail "one line under -q: $(cat "$T/err")"
# The same bytes again: nothing to say.
x -q send --date $D s
expect_rc 0
[ ! -s "$T/err" ] || fail "same bytes warned: $(cat "$T/err")"

# No records replacing some: refused, and everything stays as it was.
none
cp "$H/out/s_$D.csv" "$T/kept"
cp "$H/out/s_$D.csv.sha256" "$T/kept.sha256"
before=$(row)
meta_before=$(cat "$H/spool/s/sent/$D/batch.meta")
sleep 1	# a rewritten row would show a newer 'updated'
x -q send --date $D s
expect_rc 1
expect_err "job=s date=$D event=refused: refused to replace the sent version of $D (2 records, sha256 $new) with one of 0 records"
expect_err "run \`xfer send --force --date $D s\`"
cmp -s "$T/kept" "$H/out/s_$D.csv" || fail "refused, but the file was replaced"
cmp -s "$T/kept.sha256" "$H/out/s_$D.csv.sha256" || fail "manifest replaced"
[ "$(row)" = "$before" ] || fail "ledger row changed: $before -> $(row)"
[ "$(cat "$H/spool/s/sent/$D/batch.meta")" = "$meta_before" ] ||
    fail "the spooled sent version changed"
[ -f "$H/spool/s/sent/$D/s_$D.csv" ] || fail "the spooled sent file is gone"
cmp -s "$T/kept" "$H/spool/s/sent/$D/s_$D.csv" || fail "spooled sent file changed"
[ ! -e "$H/spool/s/out/$D" ] || fail "refused, but a batch is in out/"
[ -z "$(ls -A "$H/spool/s/tmp" 2>/dev/null)" ] || fail "tmp leftovers"
# The failure is counted in the run's exit status and the attempt history.
[ "$(sql "SELECT count(*) FROM attempts WHERE job='s' AND error LIKE 'refused%'")" = 1 ] ||
    fail "refusal not recorded as an attempt"
x send --dry-run --date $D s
expect_rc 1
expect_out "s $D: would refuse to replace the sent version (2 records, sha256 $new)"
expect_out "(0 records, sha256 "
# A later resend with records is no shrink.
three
x -q send --date $D s
expect_rc 0
expect_err "replaces the sent version (2 records, sha256 $new) with 3 records"
[ "$(sha "$H/out/s_$D.csv")" = "$old" ] || fail "three records again"

# --force: the empty version goes, with the warning.
none
x -q send --force --date $D s
expect_rc 0
expect_err "replaces the sent version (3 records, sha256 $old) with 0 records"
expect_err "--force given"
expect_file "$H/out/s_$D.csv" <<'EOF'
id,v
EOF
[ "$(sql "SELECT state || ' ' || records FROM send_batches WHERE job='s' AND date='$D'")" = "sent 0" ] ||
    fail "forced: ledger"
# 0 -> 0 with the same bytes, and 0 -> records, go without a fuss.
x -q send --date $D s
expect_rc 0
[ ! -s "$T/err" ] || fail "same empty bytes warned"

# Catch-up after a failed rebuild: the partner still has the sent version
# (the spool keeps it), so an empty rebuild by the next run is refused
# too; the batch stays failed and says how to go on.
three
D2=2026-11-21
x -q send --date $D2 s
expect_rc 0
kept2=$(sha "$H/out/s_$D2.csv")
mv "$H/data/s" "$H/data/s.away"
x -q send --date $D2 s
expect_rc 1
expect_err "missing input for $D2"
mv "$H/data/s.away" "$H/data/s"
none
export XFER_NOW='2026-11-22 03:00'
x -q send s
expect_rc 1
expect_err "refused to replace the sent version of $D2 (3 records, sha256 $kept2)"
[ "$(sha "$H/out/s_$D2.csv")" = "$kept2" ] || fail "catch-up replaced the partner's file"
expect_err "\`xfer send --force --date $D2 s\`"
# ... and only that: a plain send --date would be refused the same way.
grep -q "or run \`xfer send --date $D2 s\`" "$T/err" &&
    fail "a refused rebuild suggests a plain send --date"
x status --failed s
expect_rc 1
expect_out "refused to replace"
expect_out "s                    $D2 send    failed          -          -"
x -q send --force s
expect_rc 0
expect_err "--force given"
expect_file "$H/out/s_$D2.csv" <<'EOF'
id,v
EOF
x status --failed s
expect_rc 0
