# Receive: command handlers (exit 0, 75 = later, 1 = failed), compressed
# inputs (gzip, zip; zip slip and a gzip bomb refused), JSON and JSON
# Lines, and kill -9 in the middle of a large ingest (the next run ends
# with every row exactly once).
. "$(dirname "$0")/lib.sh"
I="$H/inbox"
mkdir -p "$I"
cat > "$H/data/handler.sh" <<'SH'
#!/bin/sh
# Records what it was given; exits with the code in data/handler.rc.
echo "$XFER_JOB $XFER_DATE $XFER_FILE $XFER_SHA256 $1" >> "$(dirname "$0")/handler.log"
echo "handler says no" >&2
exit "$(cat "$(dirname "$0")/handler.rc")"
SH
chmod +x "$H/data/handler.sh"
job cmd <<'JOB'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = c_{date}.csv
settle = 0s
[ingest]
type = command
command = data/handler.sh {file}
JOB
printf 'a\n1\n' > "$I/c_2026-11-24.csv"
echo 75 > "$H/data/handler.rc"
x receive cmd
expect_rc 1
expect_err "try again later"
[ "$(sql "SELECT state, transient FROM receive_files WHERE job='cmd'")" = "failed|1" ] || fail "75: transient failure"
echo 0 > "$H/data/handler.rc"
x receive cmd
expect_rc 0
[ "$(sql "SELECT state FROM receive_files WHERE job='cmd'")" = ingested ] || fail "75 then 0: ingested"
sha=$(sha256sum "$H/spool/cmd/backup/2026/11/24/c_2026-11-24.csv" | cut -d' ' -f1)
grep -q "^cmd 2026-11-24 .*/c_2026-11-24.csv $sha .*/c_2026-11-24.csv$" "$H/data/handler.log" ||
    { cat "$H/data/handler.log"; fail "handler environment"; }
printf 'a\n2\n' > "$I/c_2026-11-23.csv"
echo 1 > "$H/data/handler.rc"
x receive cmd
expect_rc 1
expect_err "handler says no"
[ -n "$(find "$H/spool/cmd/failed" -name 'c_2026-11-23.csv.error')" ] || fail "exit 1: failed area"

# Compressed inputs and JSON formats, verified only (ingest none).
job z <<'JOB'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = z_*
settle = 0s
max_size = 1M
[ingest]
type = sqlite
database = data/z.db
table = t
JOB
printf 'k,v\n1,a\n2,b\n' > "$T/z_good.csv"
gzip -c "$T/z_good.csv" > "$I/z_good.csv.gz"
python3 - "$I" <<'PY'
import sys, zipfile, os
d = sys.argv[1]
with zipfile.ZipFile(os.path.join(d, "z_good2.csv.zip"), "w") as z:
    z.writestr("z_good2.csv", "k,v\n3,c\n")
with zipfile.ZipFile(os.path.join(d, "z_slip.csv.zip"), "w") as z:
    z.writestr("../../evil.csv", "k,v\n9,x\n")
with open(os.path.join(d, "z_j.jsonl"), "w") as f:
    f.write('{"k":"4","v":"d"}\n{"k":"5","v":null}\n')
with open(os.path.join(d, "z_a.json"), "w") as f:
    f.write('[\n{"k":"6","v":"e"}\n]\n')
PY
head -c 20000000 /dev/zero | gzip -c > "$I/z_bomb.csv.gz"
x receive z
expect_rc 1
expect_err "z_slip.csv.zip"
expect_err "z_bomb.csv.gz"
[ ! -e "$H/evil.csv" ] && [ ! -e "$T/evil.csv" ] || fail "zip slip wrote outside"
[ "$(sqlite3 "$H/data/z.db" "SELECT group_concat(k, ',') FROM (SELECT k FROM t ORDER BY k)")" = "1,2,3,4,5,6" ] ||
    fail "compressed/json rows: $(sqlite3 "$H/data/z.db" 'SELECT * FROM t')"
[ "$(sqlite3 "$H/data/z.db" "SELECT count(*) FROM t WHERE v IS NULL")" = 1 ] || fail "JSON null must be NULL"

# kill -9 during the ingest of a large file, then run again.
job big <<'JOB'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = big_{date}.csv
settle = 0s
[ingest]
type = sqlite
database = data/big.db
table = t
JOB
python3 -c "
import sys
w = sys.stdout.write
w('id,payload\n')
for i in range(400000): w('%d,%s\n' % (i, 'x' * 40))
" > "$I/big_2026-11-24.csv"
"$XFER_BIN" --home "$H" receive big >/dev/null 2>&1 &
xp=$!
i=0
while [ ! -e "$H/data/big.db-wal" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
sleep 0.2
kill -9 $xp 2>/dev/null
wait $xp 2>/dev/null
x receive big
expect_rc 0
x receive big
expect_rc 0
[ "$(sqlite3 "$H/data/big.db" "SELECT count(*), count(DISTINCT id) FROM t")" = "400000|400000" ] ||
    fail "rows after kill: $(sqlite3 "$H/data/big.db" 'SELECT count(*) FROM t')"
[ "$(sqlite3 "$H/data/big.db" "SELECT count(*) FROM xfer_ingested")" = 1 ] || fail "key rows"
[ "$(sqlite3 "$H/data/big.db" "PRAGMA integrity_check")" = ok ] || fail integrity
[ "$(sql "SELECT count(*) FROM receive_files WHERE job='big' AND state='ingested'")" = 1 ] || fail "ledger"
