# [source] and [ingest] type = mysql against a real MariaDB 10.11 (started
# here, stopped by PID on exit): every type out (exact decimals, non-ASCII
# text with a 4-byte emoji, NULL, DATE, DATETIME and TIMESTAMP, BLOB as
# hex); the SPEC query `col >= :start AND col < :end` on DATETIME and
# TIMESTAMP columns in Asia/Seoul and across both DST days of
# America/New_York, without the server's time zone tables (a warning for
# TIMESTAMP) and with them (exact); aggregation exact to the cent, a
# backfill of dates with different offsets on one connection; into
# MariaDB: TIMESTAMP values with and without an offset, columns
# by name, replace-date A-B-A, a constraint violation naming the line, a
# header column the table lacks, a MyISAM table refused, the server
# stopped mid-INSERT and the file ingested exactly once afterwards, a
# wrong password, a wrong CA, a certificate user, a read-only server
# (transient, retried), check --connect; the password never shows.
. "$(dirname "$0")/lib.sh"
start_mariadb
PW=$(cat "$MY_PASSWORD_FILE")
# Fixtures as root over the socket, in UTF-8.
myq() {
	timeout 60 "$MY_BIN/mariadb" --no-defaults -S "$MY_SOCKET" -u root \
	    --default-character-set=utf8mb4 -N -B "$MY_DB" <<SQL
$1
SQL
}
# The password must not be in anything xfer printed or kept.
no_password() {
	grep -r -F -q -- "$PW" "$T/out" "$T/err" "$H" &&
	    fail "the password shows ($1)"
	return 0
}

# --- send: every type, both DST days -------------------------------------
# Rows 9-12 have only a DATETIME (wall-clock) time, at the midnights
# around the DST days.
myq "SET time_zone = '+00:00';
CREATE TABLE src (id INT PRIMARY KEY, store VARCHAR(10),
  amount DECIMAL(14,2), f DOUBLE, note VARCHAR(50), d DATE,
  dt DATETIME(3), ts TIMESTAMP NULL, bin BLOB) ENGINE=InnoDB;
INSERT INTO src VALUES
 (1, 's1', 12.50, 0.1, 'héllo 😀', '2026-03-08', '2026-03-08 01:30:00.250',
  '2026-03-08 05:30:00', x'00ff10'),
 (2, 's1', NULL, NULL, NULL, NULL, '2026-03-08 03:30:00',
  '2026-03-08 07:30:00', NULL),
 (3, 's2', 0.01, -2.5, '', '2026-03-08', '2026-03-08 23:59:59',
  '2026-03-09 03:59:59', ''),
 (4, 's2', 1, 1, 'next day', '2026-03-09', '2026-03-09 00:00:00',
  '2026-03-09 04:00:00', NULL),
 (5, 's1', 0.10, 1, 'fall', '2026-11-01', '2026-11-01 01:30:00',
  '2026-11-01 05:30:00', NULL),
 (6, 's1', 0.20, 1, 'fall again', '2026-11-01', '2026-11-01 01:30:00',
  '2026-11-01 06:30:00', NULL),
 (7, 's2', 99999999.99, 1, 'late', '2026-11-01', '2026-11-01 23:00:00',
  '2026-11-02 04:59:59', NULL),
 (8, 's2', 5, 1, 'before', '2026-10-31', '2026-10-31 23:59:59',
  '2026-11-01 03:59:59', NULL),
 (9, 's3', 7, 1, 'fall midnight', NULL, '2026-11-01 00:00:00', NULL, NULL),
 (10, 's3', 8, 1, 'after fall', NULL, '2026-11-02 00:00:00', NULL, NULL),
 (11, 's3', 9, 1, 'spring midnight', NULL, '2026-03-08 00:00:00', NULL,
  NULL),
 (12, 's3', 6, 1, 'before spring', NULL, '2026-03-07 23:59:59', NULL,
  NULL);" || fail "fixture"

# The query of SPEC section 8 in Asia/Seoul, on a DATETIME and on a
# TIMESTAMP column: the date's rows exactly (its first and last second
# in, the neighbours' out), TIMESTAMP values with +09:00.
myq "SET time_zone = '+09:00';
CREATE TABLE seoul (id INT PRIMARY KEY, dt DATETIME, ts TIMESTAMP NULL)
  ENGINE=InnoDB;
INSERT INTO seoul VALUES (1, '2026-11-19 23:59:59', '2026-11-19 23:59:59'),
 (2, '2026-11-20 00:00:00', '2026-11-20 00:00:00'),
 (3, '2026-11-20 09:30:00', '2026-11-20 09:30:00'),
 (4, '2026-11-20 23:59:59', '2026-11-20 23:59:59'),
 (5, '2026-11-21 00:00:00', '2026-11-21 00:00:00');" || fail "fixture"
for col in dt ts; do
	job "seoul_$col" <<JOB
[job]
direction = send
timezone = Asia/Seoul
[source]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
query = SELECT id, dt, ts FROM seoul WHERE $col >= :start AND $col < :end ORDER BY id
[output]
name = seoul_${col}_{date}.csv
[upload]
url = out
JOB
	x send --date 2026-11-20 "seoul_$col"
	expect_rc 0
	expect_file "$H/out/seoul_${col}_2026-11-20.csv" <<'CSV'
id,dt,ts
2,2026-11-20T00:00:00+09:00,2026-11-20T00:00:00+09:00
3,2026-11-20T09:30:00+09:00,2026-11-20T09:30:00+09:00
4,2026-11-20T23:59:59+09:00,2026-11-20T23:59:59+09:00
CSV
done

# America/New_York, a server without time zone tables (as installed):
# DATETIME exact on both DST days; a TIMESTAMP column off by the hour of
# the change at :end, and a warning (even under -q) says so.
job dtj <<JOB
[job]
direction = send
timezone = America/New_York
[source]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
query = SELECT id, dt FROM src WHERE dt >= :start AND dt < :end ORDER BY id
[output]
name = dtj_{date}.csv
[upload]
url = out
JOB
dtj_exact() {
	x send --date 2026-03-08 dtj
	expect_rc 0
	expect_file "$H/out/dtj_2026-03-08.csv" <<'CSV'
id,dt
1,2026-03-08T01:30:00.250-05:00
2,2026-03-08T03:30:00.000-04:00
3,2026-03-08T23:59:59.000-04:00
11,2026-03-08T00:00:00.000-05:00
CSV
	x send --date 2026-11-01 dtj
	expect_rc 0
	expect_file "$H/out/dtj_2026-11-01.csv" <<'CSV'
id,dt
5,2026-11-01T01:30:00.000-04:00
6,2026-11-01T01:30:00.000-04:00
7,2026-11-01T23:00:00.000-05:00
9,2026-11-01T00:00:00.000-04:00
CSV
}
dtj_exact
no_dst_warning() {
	grep -q "event=dst-day" "$T/err" && fail "$1 warns: $(cat "$T/err")"
	return 0
}
job tx <<JOB
[job]
direction = send
timezone = America/New_York
[source]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
ca_file = $MY_CA
query = SELECT id, amount, f, note, d, dt, ts, bin, :date AS pd FROM src WHERE ts >= :start AND ts < :end ORDER BY id
[output]
name = tx_{date}.json
format = json
[upload]
url = out
JOB
x check --connect tx
expect_rc 0
expect_out "no time zone tables for 'America/New_York': on 23- and 25-hour days a TIMESTAMP column compared with :start/:end is off by the change"
x -q send --date 2026-03-08 tx
expect_rc 0
no_password "send"
expect_err "2026-03-08 has 23 hours in the job's zone (America/New_York, -05:00 at its start, -04:00 at its end)"
expect_err ":end are bound as the wall times 2026-03-08 00:00:00 and 2026-03-09 00:00:00 at -05:00, right for a DATETIME column"
expect_err "a TIMESTAMP column compared with :start/:end is off by one hour this day"
expect_err "mariadb-tzinfo-to-sql /usr/share/zoneinfo | mariadb mysql"
# Row 4 (00:00 EDT on the 9th) is the hour the warning names; the values
# themselves are exact.
expect_file "$H/out/tx_2026-03-08.json" <<'J'
[
{"id":1,"amount":12.50,"f":0.1,"note":"héllo 😀","d":"2026-03-08","dt":"2026-03-08T01:30:00.250-05:00","ts":"2026-03-08T00:30:00-05:00","bin":"00ff10","pd":"2026-03-08"},
{"id":2,"amount":null,"f":null,"note":null,"d":null,"dt":"2026-03-08T03:30:00.000-04:00","ts":"2026-03-08T03:30:00-04:00","bin":null,"pd":"2026-03-08"},
{"id":3,"amount":0.01,"f":-2.5,"note":"","d":"2026-03-08","dt":"2026-03-08T23:59:59.000-04:00","ts":"2026-03-08T23:59:59-04:00","bin":"","pd":"2026-03-08"},
{"id":4,"amount":1.00,"f":1,"note":"next day","d":"2026-03-09","dt":"2026-03-09T00:00:00.000-04:00","ts":"2026-03-09T00:00:00-04:00","bin":null,"pd":"2026-03-08"}
]
J
x -q send --date 2026-11-01 tx
expect_rc 0
expect_err "2026-11-01 has 25 hours in the job's zone (America/New_York, -04:00 at its start, -05:00 at its end)"
expect_err "a TIMESTAMP column compared with :start/:end is off by one hour this day"
# Row 7 (23:59:59 EST) is the hour the warning names.
expect_file "$H/out/tx_2026-11-01.json" <<'J'
[
{"id":5,"amount":0.10,"f":1,"note":"fall","d":"2026-11-01","dt":"2026-11-01T01:30:00.000-04:00","ts":"2026-11-01T01:30:00-04:00","bin":null,"pd":"2026-11-01"},
{"id":6,"amount":0.20,"f":1,"note":"fall again","d":"2026-11-01","dt":"2026-11-01T01:30:00.000-04:00","ts":"2026-11-01T01:30:00-05:00","bin":null,"pd":"2026-11-01"}
]
J
# A day of 24 hours: no warning.
x -q send --date 2026-03-10 tx
expect_rc 0
no_dst_warning "a 24-hour day"

# A backfill of two dates with different offsets on one connection: the
# session's zone is set for each (-05:00, then -04:00: row 4 at 00:00
# EDT starts the 9th, row 3 a second before it does not).
conns() { myq "SHOW GLOBAL STATUS LIKE 'Connections'" | cut -f2; }
c0=$(conns)
x send --from 2026-03-08 --to 2026-03-09 tx
expect_rc 0
c1=$(conns)
[ $((c1 - c0)) -eq 2 ] || fail "backfill used $((c1 - c0 - 1)) connections"
expect_file "$H/out/tx_2026-03-09.json" <<'J'
[
{"id":4,"amount":1.00,"f":1,"note":"next day","d":"2026-03-09","dt":"2026-03-09T00:00:00.000-04:00","ts":"2026-03-09T00:00:00-04:00","bin":null,"pd":"2026-03-09"}
]
J

# --- aggregation exact to the cent; a backfill on one connection ---------
job agg <<JOB
[job]
direction = send
timezone = America/New_York
[source]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
query = SELECT store, amount FROM src WHERE dt >= :start AND dt < :end
[aggregate]
group_by = store
count = orders
sum = amount
[output]
name = agg_{date}.csv
date_column = date
[upload]
url = out
JOB
c0=$(conns)
x send --from 2026-10-30 --to 2026-11-02 agg
expect_rc 0
c1=$(conns)
# One for xfer's four dates, one for the second conns.
[ $((c1 - c0)) -eq 2 ] || fail "backfill used $((c1 - c0 - 1)) connections"
expect_file "$H/out/agg_2026-11-01.csv" <<'CSV'
date,store,orders,amount
2026-11-01,s1,2,0.30
2026-11-01,s2,1,99999999.99
2026-11-01,s3,1,7.00
CSV
expect_file "$H/out/agg_2026-10-31.csv" <<'CSV'
date,store,orders,amount
2026-10-31,s2,1,5.00
CSV

# The server's time zone tables loaded (America/New_York only): on the
# DST days the session uses the zone by name and a TIMESTAMP column is
# selected exactly too, without a warning; DATETIME stays exact.  A
# TIMESTAMP in the hour a fall-back repeats is then read as a DATETIME
# is (its first occurrence: row 6, 01:30 EST, shows as 01:30 EDT).
TZINFO=$(command -v mariadb-tzinfo-to-sql || command -v mysql_tzinfo_to_sql)
if [ -n "$TZINFO" ]; then
	"$TZINFO" /usr/share/zoneinfo/America/New_York America/New_York 2>/dev/null |
	    timeout 60 "$MY_BIN/mariadb" --no-defaults -S "$MY_SOCKET" -u root mysql ||
	    fail "cannot load the time zone tables"
	x -q send --date 2026-03-08 tx
	expect_rc 0
	no_dst_warning "with zone tables"
	expect_file "$H/out/tx_2026-03-08.json" <<'J'
[
{"id":1,"amount":12.50,"f":0.1,"note":"héllo 😀","d":"2026-03-08","dt":"2026-03-08T01:30:00.250-05:00","ts":"2026-03-08T00:30:00-05:00","bin":"00ff10","pd":"2026-03-08"},
{"id":2,"amount":null,"f":null,"note":null,"d":null,"dt":"2026-03-08T03:30:00.000-04:00","ts":"2026-03-08T03:30:00-04:00","bin":null,"pd":"2026-03-08"},
{"id":3,"amount":0.01,"f":-2.5,"note":"","d":"2026-03-08","dt":"2026-03-08T23:59:59.000-04:00","ts":"2026-03-08T23:59:59-04:00","bin":"","pd":"2026-03-08"}
]
J
	x -q send --date 2026-11-01 tx
	expect_rc 0
	no_dst_warning "with zone tables"
	expect_file "$H/out/tx_2026-11-01.json" <<'J'
[
{"id":5,"amount":0.10,"f":1,"note":"fall","d":"2026-11-01","dt":"2026-11-01T01:30:00.000-04:00","ts":"2026-11-01T01:30:00-04:00","bin":null,"pd":"2026-11-01"},
{"id":6,"amount":0.20,"f":1,"note":"fall again","d":"2026-11-01","dt":"2026-11-01T01:30:00.000-04:00","ts":"2026-11-01T01:30:00-04:00","bin":null,"pd":"2026-11-01"},
{"id":7,"amount":99999999.99,"f":1,"note":"late","d":"2026-11-01","dt":"2026-11-01T23:00:00.000-05:00","ts":"2026-11-01T23:59:59-05:00","bin":null,"pd":"2026-11-01"}
]
J
	dtj_exact
	x check --connect tx
	expect_rc 0
	expect_out "time zone tables know 'America/New_York' (23- and 25-hour days exact)"
	# Only the days that need it use the name: a 24-hour day stays at
	# the fixed offset (its TIMESTAMP values exact).
	x send --date 2026-03-09 tx
	expect_rc 0
	expect_file "$H/out/tx_2026-03-09.json" <<'J'
[
{"id":4,"amount":1.00,"f":1,"note":"next day","d":"2026-03-09","dt":"2026-03-09T00:00:00.000-04:00","ts":"2026-03-09T00:00:00-04:00","bin":null,"pd":"2026-03-09"}
]
J
else
	echo "SKIP zone tables: no mariadb-tzinfo-to-sql"
fi

# A record refused downstream (not a number to sum) stops the query: the
# connection is dropped rather than the rest of 5M rows read.
job early <<JOB
[job]
direction = send
timezone = UTC
[source]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
query = SELECT 1 AS store, IF(seq = 1, 'x', seq) AS amount FROM seq_1_to_5000000
[aggregate]
group_by = store
sum = amount
[output]
name = early_{date}.csv
[upload]
url = out
JOB
sent() { myq "SHOW GLOBAL STATUS LIKE 'Bytes_sent'" | cut -f2; }
b0=$(sent)
x send --date 2026-03-08 early
expect_rc 1
expect_err "value 'x' in 'amount' is not a number"
b1=$(sent)
[ $((b1 - b0)) -lt 20000000 ] || fail "the rest of the result was read: $((b1 - b0)) bytes"

# A typo in a parameter is refused when the job loads; check --connect
# for a source.
sed 's/:date AS pd/:dat AS pd/' "$H/jobs/tx.job" > "$H/jobs/typo.job"
x send --date 2026-03-08 typo
expect_rc 78
expect_err "key 'query': unknown parameter ':dat'"
rm "$H/jobs/typo.job"
# statement_timeout reaches the server (max_statement_time).
sed 's/^query = .*/query = SELECT SLEEP(5) AS s, id FROM src WHERE id = 1/; s/^\[source\]/[source]\nstatement_timeout = 1s/' \
    "$H/jobs/tx.job" > "$H/jobs/slow.job"
x send --date 2026-03-08 slow
expect_rc 1
expect_err "max_statement_time exceeded"
x check --connect tx
expect_rc 0
expect_out "server MariaDB 10.11"
expect_out "TLS TLSv1"
expect_out "query prepares: 9 columns"

# --- receive into MariaDB ---------------------------------------------------
mkdir -p "$H/inbox"
I="$H/inbox"
myq "CREATE TABLE sales (id INT AUTO_INCREMENT PRIMARY KEY,
  date DATE NOT NULL, store VARCHAR(10) NOT NULL, amount DECIMAL(14,2),
  note VARCHAR(40), CONSTRAINT pos CHECK (amount >= 0)) ENGINE=InnoDB;
CREATE TABLE old (date DATE, store VARCHAR(10)) ENGINE=MyISAM;" ||
    fail "fixture"
# rjob NAME TABLE MODE [EXTRA-INGEST]
rjob() {
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = $1_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = mysql
url = $MY_URL
password_file = ${PWF:-$MY_PASSWORD_FILE}
table = $2
mode = $3
date_column = date
${4:-}
JOB
}
rjob rd xfer.sales replace-date
F="$I/rd_20261120.csv"
# Columns by name, in another order than the table's.
A='store,amount,date,note
s1,10.00,2026-11-20,héllo 😀
s2,,2026-11-20,
s3,0.01,2026-11-20,"a, b"
'
B='date,store,amount
2026-11-20,s9,99.99
'
states() { sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM receive_files WHERE job = '$1' ORDER BY id)"; }
printf '%s' "$A" > "$F"; x receive rd; expect_rc 0
no_password "receive"
[ "$(myq "SELECT store, amount, IFNULL(note, 'NULL') FROM sales ORDER BY store" | tr '\t\n' ',;')" = \
    "s1,10.00,héllo 😀;s2,NULL,;s3,0.01,a, b;" ] ||
    fail "rows: $(myq 'SELECT * FROM sales')"
printf '%s' "$B" > "$F"; x receive rd; expect_rc 0
[ "$(myq "SELECT group_concat(amount) FROM sales")" = 99.99 ] || fail "B not applied"
printf '%s' "$A" > "$F"; x receive rd; expect_rc 0
expect_err "replaced 1 row of 2026-11-20"
[ "$(myq "SELECT group_concat(amount ORDER BY store) FROM sales")" = "10.00,0.01" ] ||
    fail "A again: $(myq 'SELECT * FROM sales')"
asha=$(printf '%s' "$A" | sha256sum | cut -d' ' -f1)
[ "$(myq "SELECT sha256, records FROM xfer_applied WHERE job = 'rd'")" = "$asha	3" ] ||
    fail "xfer_applied: $(myq 'SELECT * FROM xfer_applied')"
[ "$(myq "SELECT count(*) FROM xfer_ingested WHERE job = 'rd'")" = 2 ] || fail "key rows"
[ "$(myq "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_NAME = 'xfer_ingested'")" = InnoDB ] ||
    fail "xfer_ingested not InnoDB"
printf '%s' "$A" > "$F"; x receive rd; expect_rc 0
expect_err "the same bytes as the version applied for the date"
[ "$(states rd)" = "ingested ingested ingested duplicate" ] || fail "ledger: $(states rd)"

# Rejected rows, both ways of inserting (MariaDB's bulk execution, and
# the multi-row INSERTs used with MySQL).
for XFER_MYSQL_BULK in 1 0; do
export XFER_MYSQL_BULK
# A row the CHECK constraint refuses, at line 4 of the file (a quoted
# newline before it): failed, nothing written, the line named.
G="$I/rd_20261121.csv"
printf 'date,store,amount,note\n2026-11-21,s1,1,"two\nlines"\n2026-11-21,s2,-5,x\n2026-11-21,s3,2,y\n' > "$G"
x receive rd
expect_rc 1
expect_err "rd_20261121.csv:4: cannot insert into 'xfer.sales': CONSTRAINT \`pos\` failed"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-21'")" = 0 ] || fail "rows of a failed file"
[ "$(myq "SELECT count(*) FROM xfer_ingested WHERE name = 'rd_20261121.csv'")" = 0 ] || fail "key of a failed file"
# A value strict mode refuses rather than truncates.
printf 'date,store,amount\n2026-11-22,s1,1\n2026-11-22,s2,12abc\n' > "$I/rd_20261122.csv"
x receive rd
expect_rc 1
expect_err "rd_20261122.csv:3: cannot insert into 'xfer.sales':"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-22'")" = 0 ] || fail "truncated value loaded"
# A duplicate key in the second batch: the file's line, nothing kept.
dup=$(myq "SELECT MIN(id) FROM sales")
awk -v dup="$dup" 'BEGIN { print "id,date,store,amount"; for (i = 1; i <= 25000; i++)
    printf "%d,2026-11-30,s1,1\n", (i == 17000 ? dup : 100000 + i) }' > "$I/rd_20261130.csv"
x receive rd
expect_rc 1
expect_err "rd_20261130.csv:17001: cannot insert into 'xfer.sales': Duplicate entry '$dup' for key 'PRIMARY'"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-30'")" = 0 ] || fail "rows of a file with a duplicate key"
rm -rf "$H/spool/rd/failed"
done
unset XFER_MYSQL_BULK
# Bulk: the server refuses a row of the first batch while the second is
# being read, and the second holds a broken record: the first fault in
# the file is the one reported.
awk -v dup="$dup" 'BEGIN { print "id,date,store,amount"; for (i = 1; i <= 25000; i++)
    if (i == 15000) print "1,2"; else printf "%d,2026-11-30,s1,1\n", (i == 5000 ? dup : 100000 + i) }' \
    > "$I/rd_20261130.csv"
x receive rd
expect_rc 1
expect_err "rd_20261130.csv:5001: cannot insert into 'xfer.sales': Duplicate entry '$dup' for key 'PRIMARY'"
grep -q "15001" "$T/err" && fail "the later fault reported: $(cat "$T/err")"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-30'")" = 0 ] || fail "rows of a file with a duplicate key"
rm -rf "$H/spool/rd/failed"
# A header column the table lacks: failed before anything is written.
printf 'date,store,amount,colour\n2026-11-23,s1,1,red\n' > "$I/rd_20261123.csv"
x receive rd
expect_rc 1
expect_err "'rd_20261123.csv': table 'xfer.sales' has no column 'colour'"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-23'")" = 0 ] || fail "rows with a wrong header"

# JSON Lines: null is NULL; "" is NULL in a DECIMAL, '' in a VARCHAR;
# true is 1.
job js <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = js_{date:%Y%m%d}.jsonl
settle = 0s
[ingest]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
table = sales
JOB
printf '{"date":"2026-11-19","store":"j1","amount":"","note":null}\n{"date":"2026-11-19","store":"j2","amount":2.5,"note":""}\n{"date":"2026-11-19","store":"j3","amount":true,"note":"x"}\n' > "$I/js_20261119.jsonl"
x receive js
expect_rc 0
[ "$(myq "SELECT store, IFNULL(amount, 'NULL'), IFNULL(note, 'NULL') FROM sales WHERE date = '2026-11-19' ORDER BY store" | tr '\t\n' ',;')" = \
    "j1,NULL,NULL;j2,2.50,;j3,1.00,x;" ] || fail "json values: $(myq "SELECT * FROM sales WHERE date = '2026-11-19'")"

# TIMESTAMP values in a partner's file (Asia/Seoul): with an offset, that
# instant; without one, wall time in the job's zone (not the session's
# UTC); anything else fails the file with its line, never shifted.  A
# DATETIME column takes the digits; one with an offset is refused by the
# server (strict mode).  Both ways of inserting.
myq "CREATE TABLE tsin (id INT PRIMARY KEY, ts TIMESTAMP NULL,
  dt DATETIME NULL) ENGINE=InnoDB" || fail "fixture"
job tsin <<JOB
[job]
direction = receive
timezone = Asia/Seoul
[inbox]
path = inbox
pattern = tsin_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
table = tsin
JOB
for XFER_MYSQL_BULK in 1 0; do
export XFER_MYSQL_BULK
myq "DELETE FROM tsin; DELETE FROM xfer_ingested WHERE job = 'tsin'"
rm -rf "$H/spool/tsin"
sql "DELETE FROM receive_files WHERE job = 'tsin'"
printf 'id,ts,dt\n1,2026-11-20T09:30:00+09:00,2026-11-20 09:30:00\n2,2026-11-20 09:30:00,\n3,2026-11-20T00:30:00Z,\n4,2026-11-20T01:30:00.250+01:00,\n5,2026-11-20,2026-11-20\n' > "$I/tsin_20261120.csv"
x receive tsin
expect_rc 0
[ "$(myq "SET time_zone = '+00:00'; SELECT id, ts, IFNULL(dt, '-') FROM tsin ORDER BY id" | tr '\t\n' ',;')" = \
    "1,2026-11-20 00:30:00,2026-11-20 09:30:00;2,2026-11-20 00:30:00,-;3,2026-11-20 00:30:00,-;4,2026-11-20 00:30:00,-;5,2026-11-19 15:00:00,2026-11-20 00:00:00;" ] ||
    fail "TIMESTAMP values: $(myq "SET time_zone = '+00:00'; SELECT * FROM tsin")"
printf 'id,ts\n11,2026-11-21 09:30:00\n12,20261121093000\n' > "$I/tsin_20261121.csv"
x receive tsin
expect_rc 1
expect_err "tsin_20261121.csv:3: value '20261121093000' for TIMESTAMP column 'ts' is not YYYY-MM-DD[THH:MM[:SS[.FRAC]]] with an optional Z or +HH:MM"
printf 'id,dt\n21,2026-11-22 09:30:00\n22,2026-11-22T09:30:00+09:00\n' > "$I/tsin_20261122.csv"
x receive tsin
expect_rc 1
expect_err "tsin_20261122.csv:3: cannot insert into 'tsin': Incorrect datetime value: '2026-11-22T09:30:00+09:00' for column"
[ "$(myq "SELECT count(*) FROM tsin WHERE id > 10")" = 0 ] || fail "rows of refused TIMESTAMP files"
done
unset XFER_MYSQL_BULK

# A NOT NULL column without a default that the file lacks.
printf 'date,amount\n2026-11-23,1\n' > "$I/rd_20261123.csv"
x receive rd
expect_rc 1
expect_err "'rd_20261123.csv': no column 'store', which table 'xfer.sales' needs (NOT NULL without a default)"

# A MyISAM table: refused, by check --connect and by the load.
rjob my old append
printf 'date,store\n2026-11-20,s1\n' > "$I/my_20261120.csv"
x check --connect my
expect_rc 1
expect_out "uses engine MyISAM, which cannot roll back a failed file"
x receive my
expect_rc 1
expect_err "uses engine MyISAM"
[ "$(myq "SELECT count(*) FROM old")" = 0 ] || fail "rows in MyISAM"
x check --connect rd
expect_rc 0
expect_out "server MariaDB 10.11"
expect_out "TLS TLSv1"
expect_out "table 'xfer.sales' (InnoDB, 5 columns)"

# --- the server stops mid-INSERT; then the file goes in exactly once -------
rjob big xfer.sales append
# Big enough that the load is still running when the poll below (a client
# start each time) first looks, on a busy machine too: 300,000 rows took
# 0.8 s and were once missed.
N=900000
awk -v n=$N 'BEGIN { print "date,store,amount"; for (i = 1; i <= n; i++)
    printf "2026-11-24,s%d,%d.%02d\n", i % 1000, i, i % 100 }' > "$I/big_20261124.csv"
"$XFER_BIN" --home "$H" receive big >"$T/out" 2>"$T/err" &
xp=$!
i=0
while [ $i -lt 600 ]; do
	m=$(myq "SELECT IFNULL(MAX(trx_rows_modified), 0) FROM information_schema.INNODB_TRX")
	[ "${m:-0}" -gt 0 ] && break
	sleep 0.05
	i=$((i + 1))
done
[ "${m:-0}" -gt 0 ] || fail "never saw the load's transaction"
# Not in the process list: no password in argv or the environment.
tr '\0' '\n' < "/proc/$xp/cmdline" | grep -F -q -- "$PW" && fail "password in argv"
tr '\0' '\n' < "/proc/$xp/environ" | grep -F -q -- "$PW" && fail "password in environ"
"$SERVERS/mariadb.sh" stop "$T/my" >/dev/null 2>&1 || fail "stop"
wait $xp
rc=$?
[ $rc -ne 0 ] || fail "a load cut by the server's stop exited 0"
grep -q "the next run retries it" "$T/err" || fail "not transient: $(cat "$T/err")"
"$SERVERS/mariadb.sh" restart "$T/my" >/dev/null 2>&1 || fail "restart"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-24'")" = 0 ] ||
    fail "rows of the cut load survived"
x receive big
expect_rc 0
x receive big
[ "$(myq "SELECT count(*), SUM(amount) FROM sales WHERE date = '2026-11-24'" | tr '\t' ' ')" = \
    "$N $(awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) s += i * 100 + i % 100; printf "%d.%02d", s / 100, s % 100 }')" ] ||
    fail "big: $(myq "SELECT count(*), SUM(amount) FROM sales WHERE date = '2026-11-24'")"
[ "$(myq "SELECT count(*) FROM xfer_ingested WHERE job = 'big'")" = 1 ] || fail "big keys"

# --- read-only server: transient, retried -----------------------------------
rjob ro xfer.sales append
printf 'date,store,amount\n2026-11-25,s1,1\n' > "$I/ro_20261125.csv"
myq "SET GLOBAL read_only = 1"
x receive ro
expect_rc 1
expect_err "read-only"
expect_err "the next run retries it"
myq "SET GLOBAL read_only = 0"
x receive ro
expect_rc 0
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-25'")" = 1 ] || fail "ro not retried"

# --- logins: option files, wrong password, wrong CA, certificate user -------
# No password_file: the client's option files ([client], [xfer]).
mkdir -p "$T/myhome"
printf '[xfer]\npassword=%s\n' "$PW" > "$T/myhome/.my.cnf"
chmod 600 "$T/myhome/.my.cnf"
job of <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = of_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = mysql
url = $MY_URL
table = sales
JOB
printf 'date,store,amount\n2026-11-18,o1,1\n' > "$I/of_20261118.csv"
oldhome=$HOME
export HOME="$T/myhome"
x receive of
export HOME="$oldhome"
expect_rc 0
[ "$(myq "SELECT count(*) FROM sales WHERE store = 'o1'")" = 1 ] || fail "option files"

printf 'not-the-password\n' > "$T/wrong.pw"
chmod 600 "$T/wrong.pw"
PWF=$T/wrong.pw rjob wp xfer.sales append
printf 'date,store,amount\n2026-11-26,s1,1\n' > "$I/wp_20261126.csv"
x receive wp
expect_rc 1
expect_err "database '$MY_URL': cannot connect: Access denied for user 'xfer'"
grep -F -q "not-the-password" "$T/err" "$T/out" && fail "wrong password shown"
x status wp
grep -r -F -q "not-the-password" "$T/out" "$H/spool" && fail "wrong password kept"
no_password "wrong password"

rjob wca xfer.sales append "ca_file = $MY_CA_WRONG"
printf 'date,store,amount\n2026-11-27,s1,1\n' > "$I/wca_20261127.csv"
x receive wca
expect_rc 1
expect_err "cannot connect: TLS/SSL error"
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-27'")" = 0 ] || fail "wrong CA loaded"

job cert <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = cert_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = mysql
url = mysql://$MY_CERT_USER@127.0.0.1:$MY_PORT/$MY_DB?ssl-mode=VERIFY_IDENTITY
ca_file = $MY_CA
client_cert = $MY_CLIENT_CERT
client_key = $MY_CLIENT_KEY
table = sales
JOB
printf 'date,store,amount\n2026-11-28,s1,1\n' > "$I/cert_20261128.csv"
x receive cert
expect_rc 0
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-28'")" = 1 ] || fail "cert user"
# --- ingests of one job take turns (GET_LOCK) -------------------------------
PWF= rjob lk xfer.sales append "lock_timeout = 1s"
printf 'date,store,amount\n2026-11-29,s1,1\n' > "$I/lk_20261129.csv"
timeout 60 "$MY_BIN/mariadb" --no-defaults -S "$MY_SOCKET" -u root -N -B \
    -e "SELECT GET_LOCK('xfer-ingest:lk', 10); SELECT SLEEP(50)" >/dev/null 2>&1 &
lp=$!
on_exit="kill $lp 2>/dev/null; $on_exit"
i=0
while [ $i -lt 100 ] && [ "$(myq "SELECT IS_USED_LOCK('xfer-ingest:lk') IS NOT NULL")" != 1 ]; do
	sleep 0.05
	i=$((i + 1))
done
x receive lk
expect_rc 1
expect_err "another ingest of job 'lk' holds its lock"
expect_err "the next run retries it"
kill $lp
wait $lp
i=0
while [ $i -lt 100 ] && [ "$(myq "SELECT IS_USED_LOCK('xfer-ingest:lk') IS NULL")" != 1 ]; do
	sleep 0.05
	i=$((i + 1))
done
x receive lk
expect_rc 0
[ "$(myq "SELECT count(*) FROM sales WHERE date = '2026-11-29'")" = 1 ] || fail "lk after the lock"

# --- the crash loop with a MariaDB target (the fault build) -----------------
if [ -n "${FAULT_XFER:-}" ] && [ -x "$FAULT_XFER" ]; then
	myq "CREATE TABLE cl (id INT PRIMARY KEY, v VARCHAR(80)) ENGINE=InnoDB" || fail "fixture"
	printf 'id,v\n1,a\n2,b\n3,c\n' > "$T/small.csv"
	awk 'BEGIN { print "id,v"; for (i = 0; i < 20000; i++)
	    printf "%d,abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvw\n", i }' \
	    > "$T/big.csv"
	H0=$H
	n=0
	# crash POINT[:HIT] INPUT: killed there, then settled by normal runs.
	crash() {
		n=$((n + 1))
		H="$T/c$n"
		mkdir -p "$H/jobs" "$H/inbox" "$H/spool"
		myq "DELETE FROM cl; DELETE FROM xfer_ingested WHERE job = 'cl';
		    DELETE FROM xfer_applied WHERE job = 'cl'" || fail "reset"
		job cl <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = cl_{date}.csv
settle = 0s
[ingest]
type = mysql
url = $MY_URL
password_file = $MY_PASSWORD_FILE
table = cl
JOB
		cp "$T/$2.csv" "$H/inbox/cl_2026-11-24.csv"
		point=${1%%:*}
		spec=$point:kill
		[ "$point" = "$1" ] || spec=$spec:${1#*:}
		XFER_FAULT=$spec "$FAULT_XFER" --home "$H" receive cl >"$T/out" 2>"$T/err"
		[ $? = 137 ] || fail "$1: the fault run did not die at the point"
		grep -q "fault point '$point' hit" "$T/err" || fail "$1: killed elsewhere"
		case $point in ingest_mid|ingest_before_commit)
			[ "$(myq "SELECT count(*) FROM cl")" = 0 ] ||
			    fail "$1: part of an ingest is visible" ;;
		esac
		for k in 1 2 3; do
			x receive cl
			[ "$rc" = 0 ] && break
		done
		[ "$rc" = 0 ] || fail "$1: not settled after 3 runs"
		want=$(($(wc -l < "$T/$2.csv") - 1))
		sha=$(sha256sum "$T/$2.csv" | cut -d' ' -f1)
		[ "$(myq "SELECT count(*) FROM cl")" = "$want" ] ||
		    fail "$1: $(myq 'SELECT count(*) FROM cl') rows, not $want"
		[ "$(myq "SELECT count(*), SUM(sha256 = '$sha') FROM xfer_ingested WHERE job = 'cl'" | tr '\t' ' ')" = "1 1" ] ||
		    fail "$1: xfer_ingested: $(myq 'SELECT * FROM xfer_ingested')"
		[ "$(sql "SELECT group_concat(state) FROM receive_files")" = ingested ] ||
		    fail "$1: ledger: $(sql 'SELECT state FROM receive_files')"
		echo "ok crash $1 ($2): settled in $k run(s)"
	}
	for p in recv_after_pickup recv_before_received_commit ingest_before_commit \
	    ingest_after_commit recv_before_backup recv_mid_backup recv_after_backup; do
		crash "$p" small
	done
	crash ingest_mid:15000 big
	H=$H0
else
	echo "SKIP crash loop: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\`"
fi
echo "t_mysql: ok"
