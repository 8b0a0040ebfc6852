# JSON Lines, SQLite (with :date/:start/:end bound, across a DST change)
# and command sources.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data/j"
cat > "$H/data/j/a.jsonl" <<'J'
{"at":"2026-11-24T10:00:00+09:00","sku":"A","qty":2,"price":0.10,"tag":null,"ok":true}

{"at":"2026-11-24","sku":"B","qty":1,"price":12345678901234567890.01,"tag":"x\"y","ok":false}
{"at":"2026-11-23T23:59:59+09:00","sku":"A","qty":100,"price":1,"tag":"","ok":true}
J
job js <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
[source]
type = jsonl
path = data/j/*.jsonl
date_field = at
[output]
name = js_{date}.jsonl
[upload]
url = out
JOB
job jsum <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
[source]
type = jsonl
path = data/j/*.jsonl
date_field = at
[aggregate]
count = n
sum = qty, price
[output]
name = jsum_{date}.json
[upload]
url = out
JOB
x send --date 2026-11-24 js jsum
expect_rc 0
no_sanitizer_report
expect_file "$H/out/js_2026-11-24.jsonl" <<'J'
{"at":"2026-11-24T10:00:00+09:00","sku":"A","qty":2,"price":0.10,"tag":null,"ok":true}
{"at":"2026-11-24","sku":"B","qty":1,"price":12345678901234567890.01,"tag":"x\"y","ok":false}
J
expect_file "$H/out/jsum_2026-11-24.json" <<'J'
[
{"n":2,"qty":3,"price":12345678901234567890.11}
]
J

# SQLite: the day of 2026-03-08 in New York has 23 hours.
sqlite3 "$H/data/db.sqlite" "CREATE TABLE t(id INTEGER, at TEXT, v REAL, s TEXT);
 INSERT INTO t VALUES (1,'2026-03-08T00:30:00-05:00',1.5,'01234'),
 (2,'2026-03-08T23:30:00-04:00',2,NULL),(3,'2026-03-09T00:00:00-04:00',3,'x');"
job sq <<'JOB'
[job]
direction = send
timezone = America/New_York
[source]
type = sqlite
database = data/db.sqlite
query = SELECT id, v, s, :date AS d, :start AS start, :end AS "end" FROM t WHERE at >= :start AND at < :end ORDER BY id
[output]
name = sq_{date}.json
manifest = json
[upload]
url = out
JOB
x send --date 2026-03-08 sq
expect_rc 0
expect_file "$H/out/sq_2026-03-08.json" <<'J'
[
{"id":1,"v":1.5,"s":"01234","d":"2026-03-08","start":"2026-03-08T00:00:00-05:00","end":"2026-03-09T00:00:00-04:00"},
{"id":2,"v":2.0,"s":null,"d":"2026-03-08","start":"2026-03-08T00:00:00-05:00","end":"2026-03-09T00:00:00-04:00"}
]
J
python3 - "$H/out" <<'PY' || fail "json manifest"
import json, sys, hashlib, os
d = sys.argv[1]
m = json.load(open(os.path.join(d, "sq_2026-03-08.json.manifest.json")))
data = open(os.path.join(d, "sq_2026-03-08.json"), "rb").read()
assert m["file"] == "sq_2026-03-08.json", m
assert m["bytes"] == len(data) and m["records"] == 2, m
assert m["sha256"] == hashlib.sha256(data).hexdigest(), m
assert m["job"] == "sq" and m["date"] == "2026-03-08" and m["created"], m
PY

# Command: its stdout is the input; the environment names the batch.
cat > "$H/data/gen.sh" <<'SH'
#!/bin/sh
echo "job,date,arg"
echo "$XFER_JOB,$XFER_DATE,$1"
SH
chmod +x "$H/data/gen.sh"
job cmd <<'JOB'
[job]
direction = send
[source]
type = command
command = data/gen.sh "day {date:%d} of {job}"
[output]
name = cmd_{date}.csv
[upload]
url = out
JOB
x send --date 2026-11-24 cmd
expect_rc 0
expect_file "$H/out/cmd_2026-11-24.csv" <<'CSV'
job,date,arg
cmd,2026-11-24,day 24 of cmd
CSV
