# format = xml: a batch sent as XML byte for byte (elements and
# attributes, an empty day), received into SQLite with every tricky value
# intact (& < > quotes, Hangul, '' against NULL, newlines), and the
# classic XML attacks refused: the file fails, nothing is loaded, and no
# file the attacker names is ever read.
. "$(dirname "$0")/lib.sh"
DATA="$(cd "$(dirname "$0")/../data/xml" && pwd)"
mkdir -p "$H/data" "$H/inbox"
cp "$DATA/in.jsonl" "$H/data/in.jsonl"
job sx <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = jsonl
path = data/in.jsonl
date_field = day
[output]
name = sx_{date}.xml
format = xml
[upload]
url = inbox
JOB
job sa <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = jsonl
path = data/in.jsonl
date_field = day
[aggregate]
fields = id, name, note, 금액
[output]
name = sa_{date}.xml
format = xml
date_column = biz_date
xml_root = settlement
xml_record = item
xml_fields = attributes
[upload]
url = out
JOB
x send --date 2026-11-24 sx sa
expect_rc 0
cmp "$H/inbox/sx_2026-11-24.xml" "$DATA/sx_2026-11-24.xml" ||
	fail "elements: not the golden file"
cmp "$H/out/sa_2026-11-24.xml" "$DATA/sa_2026-11-24.xml" ||
	fail "attributes: not the golden file"
# An empty day is the root alone.
x send --date 2026-11-26 sa
expect_rc 0
cmp "$H/out/sa_2026-11-26.xml" "$DATA/sa_2026-11-26.xml" ||
	fail "empty day: not the golden file"
# Deterministic: the same records give the same bytes.
x rerun --regenerate --date 2026-11-24 sa
cmp "$H/out/sa_2026-11-24.xml" "$DATA/sa_2026-11-24.xml" ||
	fail "regenerated: other bytes"

# A value XML cannot hold fails the batch naming record and field.
printf '{"day":"2026-11-27","id":9,"name":"bell\\u0007"}\n' >> "$H/data/in.jsonl"
x send --date 2026-11-27 sx
[ "$rc" -ne 0 ] || fail "a control character was sent"
expect_err "record 1"
expect_err "field 'name': the value holds U+0007, which XML 1.0 cannot hold"
[ ! -e "$H/inbox/sx_2026-11-27.xml" ] || fail "a failed batch was delivered"
# A column name that is not an XML name.
printf '{"day":"2026-11-28","id":9,"bad name":"x"}\n' > "$H/data/in.jsonl"
x send --date 2026-11-28 sx
[ "$rc" -ne 0 ] || fail "a column that is no XML name was sent"
expect_err "column 'bad name' is not an XML name"

# Receive what was sent: every value as it was.
DB="$H/data/rx.db"
q() { sqlite3 "$DB" "$1"; }
rjob() { # rjob NAME PATTERN TABLE [EXTRA-INBOX [EXTRA-INGEST]]
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = $2
format = xml
settle = 0s
${4:-}
[ingest]
type = sqlite
database = data/rx.db
table = $3
${5:-}
JOB
}
rjob rx 'sx_{date}.xml' t
rm -f "$H/inbox/"*.sha256
x receive rx
expect_rc 0
[ "$(q "SELECT count(*) FROM t")" = 3 ] || fail "rows"
[ "$(q "SELECT hex(name) FROM t WHERE id = '1'")" = \
  "$(printf '%s' "Kim & Lee <co> \"q\" 'a'" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ] ||
	fail "escaped name: $(q "SELECT name FROM t WHERE id = '1'")"
[ "$(q "SELECT hex(note) FROM t WHERE id = '1'")" = \
  "$(printf 'line1\nline2\r\nx\ty' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ] ||
	fail "newlines, CR and tab: $(q "SELECT hex(note) FROM t WHERE id = '1'")"
[ "$(q "SELECT typeof(name) || ':' || name || '|' || typeof(note) FROM t WHERE id = '2'")" = "text:|null" ] ||
	fail "'' against NULL: $(q "SELECT quote(name), quote(note) FROM t WHERE id = '2'")"
[ "$(q "SELECT name || '|' || note || '|' || typeof(\"금액\") FROM t WHERE id = '3'")" = "서울 ]]> 끝|  spaced  |null" ] ||
	fail "Hangul, spaces, absent: $(q "SELECT * FROM t WHERE id = '3'")"
[ "$(q "SELECT \"금액\" FROM t WHERE id = '1'")" = 12.50 ] || fail "Hangul column"

# Attributes, another root, the empty day.
cp "$H/out/sa_2026-11-24.xml" "$H/out/sa_2026-11-26.xml" "$H/inbox/"
rjob ra 'sa_{date}.xml' ta 'xml_root = settlement
xml_record = item
xml_fields = attributes'
x receive ra
expect_rc 0
[ "$(q "SELECT count(*) FROM ta")" = 3 ] || fail "attribute rows"
[ "$(q "SELECT hex(note) FROM ta WHERE id = '1'")" = \
  "$(printf 'line1\nline2\r\nx\ty' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ] ||
	fail "attribute newlines"
[ "$(q "SELECT typeof(note) || typeof(name) FROM ta WHERE id = '2'")" = nulltext ] ||
	fail "attribute '' against NULL"
[ "$(q "SELECT records FROM xfer_ingested WHERE name = 'sa_2026-11-26.xml'")" = 0 ] ||
	fail "the empty day"

# EUC-KR out and in: the declaration names it, every row is encoded, a
# character EUC-KR lacks fails the batch naming record and field.
cp "$DATA/kr.jsonl" "$H/data/kr.jsonl"
job sk <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = jsonl
path = data/kr.jsonl
date_field = day
[output]
name = sk_{date}.xml
format = xml
encoding = euc-kr
[upload]
url = inbox
JOB
x send --date 2026-11-24 sk
expect_rc 0
cmp "$H/inbox/sk_2026-11-24.xml" "$DATA/sk_2026-11-24.xml" ||
	fail "EUC-KR: not the golden file"
x send --date 2026-11-25 sk
[ "$rc" -ne 0 ] || fail "뷁 was sent in EUC-KR"
expect_err "record 1, field '이름'"
expect_err "cannot be written in EUC-KR"
[ ! -e "$H/inbox/sk_2026-11-25.xml" ] || fail "a failed batch was delivered"
# unmappable = replace: '?' instead, counted in one warning.
sed -i 's/^encoding = euc-kr$/encoding = euc-kr\nunmappable = replace/' "$H/jobs/sk.job"
x send --date 2026-11-25 sk
expect_rc 0
expect_err "1 character that EUC-KR cannot hold written as '?'"
iconv -f EUC-KR -t UTF-8 "$H/inbox/sk_2026-11-25.xml" | grep -q '<이름>?</이름>' ||
	fail "unmappable = replace: $(od -c "$H/inbox/sk_2026-11-25.xml" | head)"
rm -f "$H/inbox/sk_2026-11-25.xml"*
# Its first record has no note (NULL): without [ingest] columns the
# first record fixes the columns, and the second one's note is an error,
# never dropped.
rjob rk 'sk_{date}.xml' tk 'encoding = euc-kr'
x receive rk
expect_rc 1
expect_err "sk_2026-11-24.xml:4:65: record 2: field 'note' is not one of the columns (day, id, 이름), which the first record fixed"
[ -z "$(q "SELECT name FROM sqlite_master WHERE name = 'tk'")" ] ||
	fail "a file that failed was loaded"
# With the columns listed, a field absent anywhere is NULL.
rjob rk 'sk_{date}.xml' tk 'encoding = euc-kr' 'columns = day, id, 이름, note'
cp "$DATA/sk_2026-11-24.xml" "$H/inbox/"
x receive rk
expect_rc 0
[ "$(q "SELECT \"이름\" || '|' || quote(note) FROM tk ORDER BY id")" = "서울 & 부산|NULL
김철수 <대표>|'줄1
줄2'" ] || fail "EUC-KR values: $(q 'SELECT * FROM tk')"
# The same file read as UTF-8: its declaration disagrees, so it fails.
cp "$DATA/sk_2026-11-24.xml" "$H/inbox/su_2026-11-24.xml"
rjob ru 'su_{date}.xml' tu
x receive ru
expect_rc 1
expect_err "the XML declaration says encoding=\"EUC-KR\", the job reads the file as UTF-8"
[ -z "$(q "SELECT name FROM sqlite_master WHERE name = 'tu'")" ] ||
	fail "a file in the wrong encoding was loaded"

# [header] and [trailer]: <header> first, <trailer> last, also on an
# empty day; on receive the trailer is checked against the records.
mkdir -p "$H/data/pay"
printf 'id,amount\n1,12.5\n2,-3.25\n3,100\n' > "$H/data/pay/pay.csv"
parts='[header]
rec = const H
day = date %Y%m%d
org = const "ACME & Co <x>"
[trailer]
rec = const T
n = count
total = sum amount decimals=2'
job px <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/pay/*.csv
required = no
[aggregate]
fields = id, amount
[output]
name = px_{date:%Y%m%d}.xml
format = xml
manifest = none
$parts
[upload]
url = paybox
JOB
x send --date 2026-11-24 px
expect_rc 0
cmp "$H/paybox/px_20261124.xml" "$DATA/px_20261124.xml" ||
	fail "header and trailer: not the golden file"
rm "$H/data/pay/pay.csv"
x send --date 2026-11-25 px
expect_rc 0
cmp "$H/paybox/px_20261125.xml" "$DATA/px_20261125.xml" ||
	fail "an empty day's header and trailer: not the golden file"
job pxin <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = paybox
pattern = px_{date:%Y%m%d}.xml
format = xml
settle = 0s
$parts
[ingest]
type = sqlite
database = data/rx.db
table = pay
JOB
x receive pxin
expect_rc 0
[ "$(q "SELECT group_concat(id || ':' || amount, ' ') FROM pay")" = "1:12.5 2:-3.25 3:100" ] ||
	fail "pay rows: $(q 'SELECT * FROM pay')"
[ "$(q "SELECT records FROM xfer_ingested WHERE name = 'px_20261125.xml'")" = 0 ] ||
	fail "the empty day with header and trailer"
sed 's/20261124/20261126/; s/<total>109.25</<total>109.00</' "$DATA/px_20261124.xml" > "$H/paybox/px_20261126.xml"
sed 's/20261124/20261127/; s/<n>3</<n>4</' "$DATA/px_20261124.xml" > "$H/paybox/px_20261127.xml"
grep -v '<trailer>' "$DATA/px_20261124.xml" | sed 's/20261124/20261128/' > "$H/paybox/px_20261128.xml"
x receive pxin
expect_rc 1
expect_err "'px_20261126.xml': trailer 'total' is 109.00, the records sum to 109.25"
expect_err "'px_20261127.xml': trailer 'n' says 4 records, the file has 3"
expect_err "px_20261128.xml:7:1: no <trailer> (the job has [trailer])"
[ "$(q "SELECT count(*) FROM pay")" = 3 ] || fail "a file whose trailer disagrees loaded rows"

# The attacks.  Each is a well-known way to make a parser read a local
# file, fetch a URL or expand entities without end.
SECRET="xfer-secret-$$-do-not-leak"
printf '%s\n' "$SECRET" > "$T/secret.txt"
A="$H/inbox"
cat > "$A/ax_20261101.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<records><record><id>1</id><v>&lol9;</v></record></records>
XML
cat > "$A/ax_20261102.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE records [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<records><record><id>1</id><v>&xxe;</v></record></records>
XML
cat > "$A/ax_20261103.xml" <<XML
<?xml version="1.0"?>
<!DOCTYPE records [<!ENTITY xxe SYSTEM "file://$T/secret.txt">]>
<records><record><id>1</id><v>&xxe;</v></record></records>
XML
cat > "$A/ax_20261104.xml" <<XML
<?xml version="1.0"?>
<!DOCTYPE records SYSTEM "file://$T/secret.txt">
<records><record><id>1</id><v>x</v></record></records>
XML
cat > "$A/ax_20261105.xml" <<XML
<?xml version="1.0"?>
<!DOCTYPE records [<!ENTITY % p SYSTEM "file://$T/secret.txt"> %p;]>
<records><record><id>1</id><v>x</v></record></records>
XML
cat > "$A/ax_20261106.xml" <<'XML'
<?xml version="1.0"?>
<records><record><id>1</id><v>x</v></record><record><id>2</v></record></records>
XML
cat > "$A/ax_20261107.xml" <<'XML'
<?xml version="1.0"?>
<records>
  <record><id>1</id><v>x</v></record>
  <record><id>2</id><v>y<script>z</script></v></record>
</records>
XML
rjob ax 'ax_{date:%Y%m%d}.xml' tx
x receive ax
expect_rc 1
grep -c "DOCTYPE not allowed" "$T/err" | grep -qx 5 ||
	fail "five DOCTYPEs refused: $(grep -c 'DOCTYPE not allowed' "$T/err")"
expect_err "ax_20261106.xml:2:60: mismatched tag"
expect_err "ax_20261107.xml:4:25: record 2, field 'v': element <script> inside a field"
for d in 1 2 3 4 5 6 7; do
	f=$(find "$H/spool/ax/failed" -name "ax_2026110$d.xml")
	[ -n "$f" ] || fail "ax_2026110$d.xml is not in the failed area"
	[ -s "$f.error" ] || fail "no .error for ax_2026110$d.xml"
done
grep -q "DOCTYPE not allowed" "$(find "$H/spool/ax/failed" -name ax_20261103.xml.error)" ||
	fail "the .error says why"
[ -z "$(q "SELECT name FROM sqlite_master WHERE name = 'tx'")" ] ||
	[ "$(q "SELECT count(*) FROM tx")" = 0 ] || fail "an attack loaded rows"
[ "$(q "SELECT count(*) FROM xfer_ingested WHERE job = 'ax'")" = 0 ] ||
	fail "an attack was recorded as ingested"
# The secret is nowhere but in its own file: not in the database, the
# spool, the ledger, the logs or the output.
if grep -r -l -a -F -- "$SECRET" "$T" | grep -v -x "$T/secret.txt"; then
	fail "the secret leaked"
fi
grep -q -a "root:" "$DB" "$T/out" "$T/err" && fail "/etc/passwd leaked"
x status --failed ax
expect_rc 1
expect_out "ax_20261103.xml"
exit 0
