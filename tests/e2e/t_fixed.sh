# format = fixed and header/trailer layouts, both ways: CP949 fields
# counted in bytes (Hangul names of every byte length, a character split
# at the boundary refused or cut with truncate), an unmappable character
# (뷁 is in CP949, not in EUC-KR), the 120-byte bank layout of jobs/ with
# header and trailer, an empty day, result files whose trailer disagrees
# or whose record has the wrong length, CSV with header and trailer
# lines, and the job-file checks.  Golden files: tests/data/fixed/.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
G="$ROOT/tests/data/fixed"
export XFER_NOW="2026-11-30 09:00"

same() {
	# same GOLDEN FILE: byte for byte
	[ -f "$2" ] || fail "missing $2"
	cmp -s "$1" "$2" || { od -A x -t x1z "$2" | head -20; fail "$2 differs from $1"; }
}

# --- names of every byte length in CP949 --------------------------------
mkdir -p "$H/data/n" "$H/data/e"
printf 'id,name\n1,abc\n2,가\n3,가나다\n4,abc가나\n5,뷁\n' > "$H/data/n/names.csv"
printf 'id,name\n1,abc\n2,뷁\n' > "$H/data/e/names.csv"
names_job() {
	# names_job NAME DIR ENCODING TRUNCATE [UNMAPPABLE]
	job "$1" <<JOB
[job]
direction = send
[source]
type = csv
path = data/$2/names.csv
[output]
format = fixed
name = $1_{date:%Y%m%d}.dat
encoding = $3
record_end = lf
manifest = none
${5:+unmappable = $5}
[record]
id = 2 number
name = 6 text $4
[upload]
url = out
JOB
}
names_job n_trunc n cp949 truncate
names_job n_split n cp949 ""
names_job n_euc e euc-kr ""
names_job n_eucr e euc-kr "" replace
x send --date 2026-11-24 n_trunc
expect_rc 0
same "$G/names_cp949.dat" "$H/out/n_trunc_20261124.dat"
# Without truncate the 4th name would be cut inside 나: refused.
x -q send --date 2026-11-24 n_split
[ "$rc" -ne 0 ] || fail "a split character was accepted"
expect_err "record 4, field 'name': 'abc가나' is 7 bytes in CP949, the field has 6"
[ ! -f "$H/out/n_split_20261124.dat" ] || fail "a file was delivered"
# 뷁 into EUC-KR: an error naming record and field (even under -q) ...
x -q send --date 2026-11-24 n_euc
[ "$rc" -ne 0 ] || fail "an unmappable character was accepted"
expect_err "record 2, field 'name': '뷁' (U+BDC1) cannot be written in EUC-KR"
# ... or '?' with a warning.
x send --date 2026-11-24 n_eucr
expect_rc 0
same "$G/names_euckr_replace.dat" "$H/out/n_eucr_20261124.dat"
expect_err "event=unmappable"
expect_err "1 character that EUC-KR cannot hold written as '?'"

# --- the bank example of jobs/: 120 bytes, header and trailer ------------
cp "$ROOT/jobs/bank-transfer.job" "$ROOT/jobs/bank-result.job" "$H/jobs/"
mkdir -p "$H/data/bank"
cp "$ROOT/data/bank/transfers_20261124.csv" "$H/data/bank/"
x send --date 2026-11-24 bank-transfer
expect_rc 0
same "$G/TRF088_20261124.dat" "$H/outbox/bank/TRF088_20261124.dat"
# An empty day: header and trailer, count 0.
x send --date 2026-11-25 bank-transfer
expect_rc 0
same "$G/TRF088_20261125.dat" "$H/outbox/bank/TRF088_20261125.dat"
# The same records again give the same bytes.
x rerun --date 2026-11-24 --regenerate bank-transfer
same "$G/TRF088_20261124.dat" "$H/outbox/bank/TRF088_20261124.dat"

# --- the bank's result files ---------------------------------------------
mkdir -p "$H/inbox/bank" "$H/warehouse"
cp "$G/RES088_ok.dat" "$H/inbox/bank/RES088_20261124.dat"
x receive bank-result
expect_rc 0
q() { sqlite3 "$H/warehouse/bank.db" "$1"; }
[ "$(q "SELECT group_concat(account || '|' || name || '|' || amount || '|' || result, ';') FROM transfer_results")" = \
    "110-234-567890|홍길동|150000|0000;3333-01-555555|김민수|-2500|0000;1002-123-45678|Lee Jiwoo|1230000|E012;020-88-112233|남궁민수|75000|0000" ] ||
    fail "result rows: $(q 'SELECT * FROM transfer_results')"
# Trailers that disagree, a record one byte short: failed, nothing loaded.
cp "$G/RES088_badcount.dat" "$H/inbox/bank/RES088_20261126.dat"
cp "$G/RES088_badsum.dat" "$H/inbox/bank/RES088_20261127.dat"
cp "$G/RES088_short.dat" "$H/inbox/bank/RES088_20261128.dat"
x receive bank-result
expect_rc 1
expect_err "'RES088_20261126.dat': trailer 'count' says 3 records, the file has 4"
expect_err "'RES088_20261127.dat': trailer 'total' is 1452400, the records sum to 1452500"
expect_err "'RES088_20261128.dat': record 3 (record) is 119 bytes, the [record] layout has 120"
[ "$(q "SELECT count(*) FROM transfer_results")" = 4 ] || fail "a bad file loaded rows"
for d in 26 27 28; do
	e=$(find "$H/spool/bank-result/failed" -name "RES088_202611$d.dat.error")
	[ -n "$e" ] && [ -s "$e" ] || fail "no .error for the $d"
done
x status --failed bank-result
expect_out "RES088_20261126.dat"
# A header whose date is not the file's: refused.
sed 's/^H08820261124/H08820261123/' "$G/RES088_ok.dat" > "$H/inbox/bank/RES088_20261129.dat"
x receive bank-result
expect_rc 1
expect_err "header 'batch_date' is '20261123', the file's date 2026-11-29 gives '20261129'"

# --- CSV with header and trailer lines, both ways ------------------------
mkdir -p "$H/data/pay"
printf 'id,amount\n1,12.5\n2,-3.25\n3,100\n' > "$H/data/pay/pay.csv"
job pay <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/pay/*.csv
required = no
[output]
name = pay_{date:%Y%m%d}.csv
manifest = none
[header]
rec = const H
day = date %Y%m%d
org = const "ACME, Inc."
[trailer]
rec = const T
n = count
total = sum amount decimals=2
[upload]
url = paybox
JOB
x send --date 2026-11-24 pay
expect_rc 0
same "$G/pay_20261124.csv" "$H/paybox/pay_20261124.csv"
rm "$H/data/pay/pay.csv"
job pay_empty <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/pay/*.csv
required = no
[aggregate]
fields = id, amount
[output]
name = pay_{date:%Y%m%d}.csv
manifest = none
[header]
rec = const H
day = date %Y%m%d
org = const "ACME, Inc."
[trailer]
rec = const T
n = count
total = sum amount decimals=2
[upload]
url = paybox
JOB
x send --date 2026-11-25 pay_empty
expect_rc 0
same "$G/pay_20261125.csv" "$H/paybox/pay_20261125.csv"
job payin <<'JOB'
[job]
direction = receive
[inbox]
path = paybox
pattern = pay_{date:%Y%m%d}.csv
settle = 0s
[header]
rec = const H
day = date %Y%m%d
org = const "ACME, Inc."
[trailer]
rec = const T
n = count
total = sum amount decimals=2
[ingest]
type = sqlite
database = pay.db
table = pay
JOB
x receive payin
expect_rc 0
[ "$(sqlite3 "$H/pay.db" "SELECT group_concat(id || ':' || amount, ' ') FROM pay")" = "1:12.5 2:-3.25 3:100" ] ||
    fail "pay rows: $(sqlite3 "$H/pay.db" 'SELECT * FROM pay')"
sed 's/^H,20261124/H,20261126/; s/^T,3,109.25$/T,3,109.00/' "$G/pay_20261124.csv" > "$H/paybox/pay_20261126.csv"
sed 's/^H,20261124/H,20261127/; s/^T,3,/T,4,/' "$G/pay_20261124.csv" > "$H/paybox/pay_20261127.csv"
x receive payin
expect_rc 1
expect_err "'pay_20261126.csv': trailer 'total' is 109.00, the records sum to 109.25"
expect_err "'pay_20261127.csv': trailer 'n' says 4 records, the file has 3"
[ "$(sqlite3 "$H/pay.db" "SELECT count(*) FROM pay")" = 3 ] || fail "a bad CSV loaded rows"

# CP949 both ways: the header line encoded like the rows; read back, the
# lines between header and trailer are decoded as a part of the file.
mkdir -p "$H/data/kr"
printf 'id,name,amount\n1,홍길동,10\n2,뷁,5.5\n' > "$H/data/kr/kr.csv"
job kr <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/kr/*.csv
[output]
name = kr_{date:%Y%m%d}.csv
encoding = cp949
manifest = none
[header]
org = const 한국은행
day = date %Y%m%d
[trailer]
n = count
total = sum amount decimals=1
[upload]
url = krbox
JOB
x send --date 2026-11-24 kr
expect_rc 0
printf '한국은행,20261124\nid,name,amount\n1,홍길동,10\n2,뷁,5.5\n2,15.5\n' |
    iconv -f UTF-8 -t CP949 > "$T/kr.want"
same "$T/kr.want" "$H/krbox/kr_20261124.csv"
job krin <<'JOB'
[job]
direction = receive
[inbox]
path = krbox
pattern = kr_{date:%Y%m%d}.csv
encoding = cp949
settle = 0s
[header]
org = const 한국은행
day = date %Y%m%d
[trailer]
n = count
total = sum amount decimals=1
[ingest]
type = sqlite
database = kr.db
table = kr
JOB
x receive krin
expect_rc 0
[ "$(sqlite3 "$H/kr.db" "SELECT group_concat(name || ':' || amount, ' ') FROM kr")" = "홍길동:10 뷁:5.5" ] ||
    fail "kr rows: $(sqlite3 "$H/kr.db" 'SELECT * FROM kr')"

# --- job-file checks ------------------------------------------------------
job bad <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/pay/*.csv
[output]
name = b_{date}.csv
[header]
n = count
w = 10 const X
[trailer]
s = sum amount bogus=1
JOB
x check bad
expect_rc 78
expect_err "[header] 'n': count is only possible in [trailer]"
expect_err "[header] 'w': no width with format = csv"
expect_err "[trailer] 's': unknown option 'bogus=1' for sum"
job bad2 <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/pay/*.csv
[output]
format = fixed
name = b_{date}.dat
record_end = none
[header]
h = 3 const H
[record]
a = 10 text
b = number
c = 5 sum a
[upload]
url = out
JOB
x check bad2
expect_rc 78
expect_err "[record] 'b': format = fixed needs a width in bytes"
expect_err "[record] 'c': sum is only possible in [trailer]"
expect_err "with record_end = none every layout must have the same width"
# record_end is for format = fixed (not csv, not xml).
job bad3 <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/pay/*.csv
[output]
name = b_{date}.csv
record_end = crlf
[upload]
url = out
JOB
x check bad3
expect_rc 78
expect_err "key 'record_end': only used with format = fixed"
sed -i 's/^record_end = crlf$/format = xml\nrecord_end = lf/' "$H/jobs/bad3.job"
x check bad3
expect_rc 78
expect_err "key 'record_end': only used with format = fixed"
# A CSV file's records are found by its column header line: a receive job
# with header and trailer lines and header = no is refused at load, not
# when its first file arrives.
job bad5 <<'JOB'
[job]
direction = receive
[inbox]
path = in
pattern = r_*.csv
header = no
[trailer]
rt = const T
n = count
[ingest]
type = none
columns = a, b
JOB
x -q check bad5
expect_rc 78
expect_err "key 'header': [header] and [trailer] lines need header = yes"
rm -f "$H/jobs/bad5.job"
# A filler one byte short is legal but nearly always a typo: check says so.
sed 's/^filler      = 72 filler$/filler      = 71 filler/' \
    "$H/jobs/bank-transfer.job" >"$H/jobs/short.job"
x check short
expect_rc 0
expect_err "the records of the layout have different lengths: header 120, record 119, trailer 120 bytes"
x check bank-transfer
expect_rc 0
! grep -q "different lengths" "$T/err" || fail "warned about equal lengths"
echo "t_fixed: ok"
