# An empty batch still produces a file: CSV header only or zero bytes,
# JSON [], JSON Lines zero bytes (required = no: no file means no data);
# a source that matches nothing fails instead by default (required = yes),
# while one that is there but holds no records is an empty batch.
. "$(dirname "$0")/lib.sh"
for f in csv json jsonl; do
	job "e_$f" <<JOB
[job]
direction = send
[source]
type = csv
path = data/none/*.csv
required = no
[aggregate]
group_by = store
count = n
[output]
format = $f
name = e_{date}.$f
manifest = none
[upload]
url = out
JOB
done
job e_zero <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/none/*.csv
required = no
[aggregate]
fields = a, b
[output]
name = z_{date}.csv
empty = zero-bytes
[upload]
url = out
JOB
job e_req <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/none/*.csv
[output]
name = r_{date}.csv
[upload]
url = out
JOB
x send --date 2026-11-24 e_csv e_json e_jsonl e_zero
expect_rc 0
no_sanitizer_report
expect_file "$H/out/e_2026-11-24.csv" <<'EOF2'
store,n
EOF2
expect_file "$H/out/e_2026-11-24.json" <<'EOF2'
[]
EOF2
[ -f "$H/out/e_2026-11-24.jsonl" ] && [ ! -s "$H/out/e_2026-11-24.jsonl" ] ||
    fail "empty jsonl must be zero bytes"
[ -f "$H/out/z_2026-11-24.csv" ] && [ ! -s "$H/out/z_2026-11-24.csv" ] ||
    fail "empty=zero-bytes must be zero bytes"
[ -f "$H/out/z_2026-11-24.csv.sha256" ] || fail "manifest of empty file"
x send --date 2026-11-24 e_req
expect_rc 1
expect_err "missing input for 2026-11-24: no file matches '$H/data/none/*.csv' (directory '$H/data/none' does not exist)"
expect_err "set 'required = no' in [source] of $H/jobs/e_req.job"
[ ! -e "$H/out/r_2026-11-24.csv" ] || fail "required source: no file"
[ "$(sql "SELECT state FROM send_batches WHERE job='e_req'")" = failed ] ||
    fail "required: state"
# There but empty (a header, no records): an empty batch, required or not.
mkdir -p "$H/data/none"
printf 'a,b\n' > "$H/data/none/x.csv"
x send --date 2026-11-24 e_req
expect_rc 0
expect_file "$H/out/r_2026-11-24.csv" <<'EOF2'
a,b
EOF2
