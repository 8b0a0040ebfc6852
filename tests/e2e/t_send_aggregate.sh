# CSV source -> group_by/count/sum/min/max -> CSV in a local directory,
# with a sha256sum-compatible manifest; then the ledger says sent.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data/in"
cat > "$H/data/in/a.csv" <<'CSV'
day,store,amount,note
2026-11-24,s2,10.50,x
2026-11-24,s1,0.10,"with, comma"
2026-11-24,s1,0.20,"multi
line"
2026-11-23,s1,99.00,other day
2026-11-24,s2,,empty adds nothing
CSV
printf 'day,store,amount,note\r\n2026-11-24,s10,-1.25,crlf\r\n' > "$H/data/in/b.csv"
job sales <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in/*.csv
date_field = day
[aggregate]
group_by = store
count = orders
sum = amount
min = amount
max = amount
[output]
name = sales_{date:%Y%m%d}.csv
date_column = date
[upload]
url = out
JOB
x send --date 2026-11-24 sales
expect_rc 0
no_sanitizer_report
expect_file "$H/out/sales_20261124.csv" <<'CSV'
date,store,orders,amount,min_amount,max_amount
2026-11-24,s1,2,0.30,0.10,0.20
2026-11-24,s10,1,-1.25,-1.25,-1.25
2026-11-24,s2,2,10.50,10.50,10.50
CSV
(cd "$H/out" && sha256sum -c sales_20261124.csv.sha256) >/dev/null ||
    fail "manifest does not verify"
[ ! -e "$H/out/sales_20261124.csv.part" ] || fail ".part left behind"
[ "$(sql "SELECT state, records, attempts FROM send_batches WHERE job='sales'")" = "sent|3|1" ] ||
    fail "ledger: $(sql 'SELECT * FROM send_batches')"
x status --json
expect_rc 0
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r[0]["state"]=="sent" and r[0]["records"]==3, r' "$T/out" ||
    fail "status --json"
x status
expect_out "sales"
expect_out "sent"
# The same records give a byte-identical file: rebuild and compare.
cp "$H/out/sales_20261124.csv" "$T/first"
x send --date 2026-11-24 sales
expect_rc 0
cmp -s "$T/first" "$H/out/sales_20261124.csv" || fail "rebuild not identical"
expect_err "already at the destination with the same bytes"
