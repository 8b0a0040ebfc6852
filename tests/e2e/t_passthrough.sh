# Pass-through with fields, date filtering with time zones, delimiter,
# CRLF, formula guard, JSON kinds (CSV text stays a string).
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data/in"
printf '\357\273\277ts,id,name,amount\n' > "$H/data/in/a.csv"
cat >> "$H/data/in/a.csv" <<'CSV'
2026-11-23T16:30:00Z,01234,=cmd|' /C calc'!A0,-5.00
2026-11-23T14:59:59Z,2,too early in Seoul,1
2026-11-24T14:59:59Z,3,"semi;colon",+7
2026-11-24T15:00:00Z,4,next day in Seoul,1
2026-11-24 09:00,5,@SUM(A1),2
CSV
job pt <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
[source]
type = csv
path = data/in/a.csv
date_field = ts
[aggregate]
fields = id, name, amount
[output]
name = pt_{date}.csv
delimiter = ;
line_ending = crlf
formula_guard = yes
[upload]
url = out
JOB
job pj <<'JOB'
[job]
direction = send
timezone = Asia/Seoul
[source]
type = csv
path = data/in/a.csv
date_field = ts
[aggregate]
fields = id, amount
[output]
name = pj_{date}.json
[upload]
url = out
JOB
x send --date 2026-11-24 pt pj
expect_rc 0
no_sanitizer_report
printf 'id;name;amount\r\n01234;'"'"'=cmd|'"'"' /C calc'"'"'!A0;-5.00\r\n3;"semi;colon";+7\r\n5;'"'"'@SUM(A1);2\r\n' > "$T/want_pt"
cmp -s "$T/want_pt" "$H/out/pt_2026-11-24.csv" || { od -c "$H/out/pt_2026-11-24.csv"; fail "pass-through csv"; }
expect_file "$H/out/pj_2026-11-24.json" <<'JSON'
[
{"id":"01234","amount":"-5.00"},
{"id":"3","amount":"+7"},
{"id":"5","amount":"2"}
]
JSON
