# Partner encodings: CSV and JSON Lines written in CP949 (byte for byte
# against golden files), a character EUC-KR lacks (the batch fails naming
# record and field, or '?' with a warning), CP949 and EUC-KR sources read,
# a CP949 file received and ingested into SQLite as UTF-8, bytes invalid in
# the declared encoding, json refused with an encoding, and quotes =
# lenient against strict.
. "$(dirname "$0")/lib.sh"
G="$(cd "$(dirname "$0")/../data/encoding" && pwd)"
mkdir -p "$H/data/in" "$H/inbox"

# Compare a file with its golden copy; show both in hex when they differ.
golden() { # golden FILE GOLDEN
	[ -f "$1" ] || fail "missing $1"
	cmp -s "$1" "$G/$2" || {
		echo "--- got"; xxd "$1"; echo "--- want"; xxd "$G/$2"
		fail "$1 differs from $2"
	}
}

sjob() { # sjob NAME OUTPUT-NAME SOURCE-PATH [EXTRA-SOURCE [EXTRA-OUTPUT]]
	job "$1" <<JOB
[job]
direction = send
[source]
type = csv
path = $3
${4:-}
[output]
name = $2
${5:-}
[upload]
url = out
JOB
}

printf 'id,name,city\n1,홍길동,서울\n2,뷁,"부산, 해운대"\n3,"Kim ""Q""",\n' \
    > "$H/data/in/k.csv"

# CSV and JSON Lines in CP949.
sjob kc 'kc_{date}.csv' data/in/k.csv '' 'encoding = cp949
line_ending = crlf'
sjob kj 'kj_{date}.jsonl' data/in/k.csv '' 'encoding = CP949'
x send --date 2026-11-24 kc kj
expect_rc 0
golden "$H/out/kc_2026-11-24.csv" out_cp949.csv
golden "$H/out/kj_2026-11-24.jsonl" out_cp949.jsonl
# No byte-order mark: the file starts with the header.
[ "$(head -c 2 "$H/out/kc_2026-11-24.csv")" = id ] || fail "BOM or junk first"

# 뷁 is not in EUC-KR: the batch fails, naming record and field, even
# under -q, and nothing is uploaded.
sjob ke 'ke_{date}.csv' data/in/k.csv '' 'encoding = euc-kr'
x -q send --date 2026-11-24 ke
[ "$rc" -ne 0 ] || fail "unmappable character sent with exit 0"
expect_err "record 2, field 'name': '뷁' (U+BDC1) cannot be written in EUC-KR"
[ ! -e "$H/out/ke_2026-11-24.csv" ] || fail "a failed batch was uploaded"

# unmappable = replace: '?' and one warning with the count.
sjob kr 'kr_{date}.csv' data/in/k.csv '' 'encoding = euc-kr
unmappable = replace'
x send --date 2026-11-24 kr
expect_rc 0
golden "$H/out/kr_2026-11-24.csv" out_euckr_replaced.csv
expect_err "1 character that EUC-KR cannot hold written as '?'"
[ "$(grep -c "cannot hold" "$T/err")" = 1 ] || fail "warning not once"

# Sources in CP949 (with a character only CP949 has, and a quoted
# newline) and in EUC-KR, written out as UTF-8.
cp "$G/src_cp949.csv" "$G/src_euckr.csv" "$H/data/in/"
sjob s9 's9_{date}.csv' data/in/src_cp949.csv 'encoding = cp949'
sjob se 'se_{date}.csv' data/in/src_euckr.csv 'encoding = euc-kr'
x send --date 2026-11-24 s9 se
expect_rc 0
expect_file "$H/out/s9_2026-11-24.csv" <<'CSV'
id,name,city
1,홍길동,서울
2,뷁,"부산
해운대"
3,갂,x
CSV
expect_file "$H/out/se_2026-11-24.csv" <<'CSV'
id,name,city
1,홍길동,서울
2,이순신,"부산
해운대"
CSV

# The CP949 file read as EUC-KR, and a byte no encoding has: the batch
# fails naming the file and the byte's offset.
cp "$G/bad_euckr.csv" "$H/data/in/"
sjob sb 'sb_{date}.csv' data/in/bad_euckr.csv 'encoding = euc-kr'
x -q send --date 2026-11-24 sb
[ "$rc" -ne 0 ] || fail "invalid EUC-KR sent with exit 0"
expect_err "bad_euckr.csv': byte 18 is not valid EUC-KR"
sjob sx 'sx_{date}.csv' data/in/src_cp949.csv 'encoding = euc-kr'
x -q send --date 2026-11-24 sx
[ "$rc" -ne 0 ] || fail "CP949 read as EUC-KR sent with exit 0"
expect_err "src_cp949.csv': byte "
expect_err "is not valid EUC-KR"
# 갂 is CP949 0x81 0x41: glibc alone would read it as EUC-KR U+0081 'A'.
printf 'id,name\n1,\201\101\n' > "$H/data/in/c1.csv"
sjob sc 'sc_{date}.csv' data/in/c1.csv 'encoding = euc-kr'
x -q send --date 2026-11-24 sc
[ "$rc" -ne 0 ] || fail "CP949-only character read as EUC-KR with exit 0"
expect_err "c1.csv': byte 11 is not valid EUC-KR"

# format = json is UTF-8 only: refused when the job is loaded.
sjob kjson 'k_{date}.json' data/in/k.csv '' 'encoding = cp949'
x check kjson
[ "$rc" -ne 0 ] || fail "json with encoding = cp949 accepted"
expect_err "kjson.job:9: key 'encoding': format = json is always UTF-8"
rm "$H/jobs/kjson.job"

# quotes: strict (the default) refuses 37°36'37.8"N and says what to do;
# lenient takes the quote as text, and only that.
printf 'id,pos\n1,37°36'"'"'37.8"N\n2,"x"\n' > "$H/data/in/q.csv"
sjob qs 'qs_{date}.csv' data/in/q.csv
sjob ql 'ql_{date}.csv' data/in/q.csv 'quotes = lenient'
x -q send --date 2026-11-24 qs
[ "$rc" -ne 0 ] || fail "strict took a quote inside an unquoted field"
expect_err "q.csv:2: malformed field: quote inside an unquoted field (quotes = lenient"
x send --date 2026-11-24 ql
expect_rc 0
expect_file "$H/out/ql_2026-11-24.csv" <<'CSV'
id,pos
1,"37°36'37.8""N"
2,x
CSV
printf 'id,pos\n1,"x"y\n' > "$H/data/in/q2.csv"
sjob q2 'q2_{date}.csv' data/in/q2.csv 'quotes = lenient'
x -q send --date 2026-11-24 q2
[ "$rc" -ne 0 ] || fail "lenient took text after a closing quote"
expect_err "q2.csv:2: malformed quoted field: text after the closing quote"

# Receive a CP949 file (with a lenient quote) into SQLite: UTF-8 rows.
job rx <<'JOB'
[job]
direction = receive
[inbox]
path = inbox
pattern = sales_{date:%Y%m%d}.csv
settle = 0s
encoding = cp949
quotes = lenient
[ingest]
type = sqlite
database = data/rx.db
table = sales
JOB
cp "$G/recv_cp949.csv" "$H/inbox/sales_20261124.csv"
x receive rx
expect_rc 0
q() { sqlite3 "$H/data/rx.db" "$1"; }
[ "$(q "SELECT store || '|' || amount FROM sales ORDER BY rowid")" = "강남점|1,500
뷁 상회|37°36'37.8\"N" ] || fail "rows not decoded: $(q "SELECT * FROM sales")"
[ "$(q "SELECT hex(store) FROM sales WHERE rowid = 2")" = \
    "$(printf '뷁 상회' | xxd -p | tr a-f A-F)" ] || fail "not UTF-8 in SQLite"

# A received file invalid in its declared encoding fails, naming the
# file and the byte.
cp "$G/bad_euckr.csv" "$H/inbox/sales_20261125.csv"
sed -i 's/cp949/euc-kr/' "$H/jobs/rx.job"
x -q receive rx
[ "$rc" -ne 0 ] || fail "invalid EUC-KR received with exit 0"
expect_err "sales_20261125.csv': byte 18 is not valid EUC-KR"
[ "$(q "SELECT count(*) FROM sales")" = 2 ] || fail "rows of a bad file loaded"
exit 0
