# The fleet's commands on a real PostgreSQL ledger: check creates the
# schema and says its version (twice: nothing changes), a ledger that
# cannot be reached fails check (1) naming it; ledger migrate copies a
# single host's SQLite ledger made by real sends and receives, twice (the
# second adds nothing), counts agree with sqlite3 and psql; status on a
# second host shows the migrated rows with their node; a job pinned to
# nodes runs only there; the metrics per node.
. "$(dirname "$0")/lib.sh"
start_postgres
chmod 600 "$PG_PASSWORD_FILE"

# --- host A alone: an SQLite ledger from real runs -------------------------
mkdir -p "$H/in" "$H/inbox"
for d in 21 22 23; do
	printf 'store,amount\ns1,1.50\ns2,2.25\n' > "$H/in/sales_202611$d.csv"
done
job tx <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = in/sales_{date:%Y%m%d}.csv
[output]
name = tx_{date}.csv
[upload]
url = out
JOB
job rx <<'JOB'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date:%Y%m%d}.csv
settle = 0s
[ingest]
type = sqlite
database = data/rx.db
table = r
JOB
x check
expect_rc 0
expect_out "ledger: SQLite '$H/spool/ledger.db', not there yet"
[ -e "$H/spool/ledger.db" ] && fail "check made the SQLite ledger"
x send --from 2026-11-21 --to 2026-11-23 tx
expect_rc 0
x check
expect_rc 0
expect_out "ledger: SQLite '$H/spool/ledger.db', schema version 1"
# A failed batch too: its input is not there.
x send --date 2026-11-24 tx
expect_rc 1
printf 'a,b\n1,2\n' > "$H/inbox/r_20261121.csv"
printf 'a,b\n3,4\n' > "$H/inbox/r_20261122.csv"
x receive rx
expect_rc 0
# The same bytes again: a duplicate row.
printf 'a,b\n3,4\n' > "$H/inbox/r_20261122.csv"
x receive rx
expect_rc 0
XFER_NOW='2026-11-25 10:00' "$XFER_BIN" --home "$H" run >/dev/null 2>&1
sql "INSERT INTO missing_logged VALUES ('tx', 'send', '2026-11-10', 5);
     INSERT INTO expect_since VALUES ('rx', '2026-11-20');
     INSERT OR REPLACE INTO runs VALUES ('tx', 1764000000, 1764000100);
     INSERT INTO attempts VALUES ('tx', 'send', '2026-11-24', 7, 0, 'tab	and
newline \\ here');
     INSERT INTO attempts VALUES ('tx', 'send', '2026-11-24', 8, 0, NULL);
     INSERT INTO attempts VALUES ('tx', 'send', '2026-11-24', 8, 0, NULL);"
[ "$(sql "SELECT count(*) FROM send_batches")" = 4 ] || fail "send rows"
[ "$(sql "SELECT count(*) FROM receive_files")" = 3 ] || fail "receive rows"
x status
expect_rc 0
grep -q NODE "$T/out" && fail "status on SQLite shows a node column"
x status --json
grep -q '"node"' "$T/out" && fail "status --json on SQLite has node"

# --- check: the schema made and its version, twice -------------------------
conf() { # conf HOME NODE URL
	cat > "$1/xfer.conf" <<CONF
[ledger]
url = $3
node = $2
lease = 3s
password_file = $PG_PASSWORD_FILE
CONF
}
conf "$H" host-a "$PG_URL"
# The host's SQLite history is not migrated yet: check says so (1), and
# runs refuse to start rather than work without it.
x check
expect_rc 1
expect_out "ledger: PostgreSQL '$PG_URL', schema version "
expect_out ", node host-a, lease 3s"
expect_err "'$H/spool/ledger.db' holds this host's history"
expect_err "xfer ledger migrate"
v1=$(grep '^ledger:' "$T/out")
[ -n "$(pg_sql "SELECT 1 FROM pg_tables WHERE tablename = 'send_batches'")" ] ||
    fail "check did not create the schema"
x check
expect_rc 1
[ "$(grep '^ledger:' "$T/out")" = "$v1" ] || fail "second check: $(cat "$T/out")"
x send --date 2026-11-25 tx
expect_rc 1
expect_err "xfer ledger migrate' first; nothing was run"
[ "$(pg_sql "SELECT count(*) FROM send_batches")" = 0 ] || fail "a run before migrate"
x status
expect_err "is not shown"

# A node name another machine uses (a copied xfer.conf): refused, named;
# one not seen for 10 minutes is taken over.
pg_sql "UPDATE nodes SET host = 'other-machine 0123' WHERE node = 'host-a'"
x check
expect_rc 1
expect_err "node 'host-a' is in use by another host ('other-machine 0123'"
expect_err "give each host its own 'node ='"
pg_sql "UPDATE nodes SET seen = now() - interval '11 minutes' WHERE node = 'host-a'"
x check
expect_rc 1
expect_err "xfer ledger migrate"
[ "$(pg_sql "SELECT host FROM nodes WHERE node = 'host-a'")" != 'other-machine 0123' ] ||
    fail "a node not seen for 10 minutes was not taken over"

# A closed port: 1, the ledger named, the jobs still checked.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bad="postgresql://xfer@127.0.0.1:$port/xfer?connect_timeout=3"
conf "$H" host-a "$bad"
x check
expect_rc 1
expect_err "ledger"
expect_err "127.0.0.1:$port"
expect_out "tx: ok"
# A run then fails loudly, producing nothing.
x send --date 2026-11-21 tx
expect_rc 1
conf "$H" host-a "$PG_URL"

# --- migrate, twice -----------------------------------------------------
x ledger migrate
expect_rc 0
expect_out "migrate: 6 tables, "
expect_out ", identical"
expect_out "is now '$H/spool/ledger.db.migrated'"
[ -e "$H/spool/ledger.db" ] && fail "the SQLite ledger stayed in place"
sql() {
	sqlite3 "$H/spool/ledger.db.migrated" "$1"
}
x check
expect_rc 0
x ledger migrate
expect_rc 0
expect_out ", identical"
awk '$1 ~ /^(send_batches|attempts|receive_files|runs|missing_logged|expect_since)$/ && $3 != 0 { bad = 1 } END { exit bad }' "$T/out" ||
    fail "a second migrate copied rows"
for t in send_batches attempts receive_files runs missing_logged expect_since; do
	s=$(sql "SELECT count(*) FROM $t")
	p=$(pg_sql "SELECT count(*) FROM $t")
	[ "$s" = "$p" ] || fail "$t: sqlite $s, postgresql $p"
	grep -q "^$t  *$s  *0  *$s  *0  *$s .* identical\$" "$T/out" ||
	    fail "$t line: $(cat "$T/out")"
done
[ "$(pg_sql "SELECT count(*) FROM send_batches WHERE node <> 'host-a'")" = 0 ] ||
    fail "migrated rows without this node"
[ "$(pg_sql "SELECT count(*) FROM attempts WHERE time = 8 AND error IS NULL")" = 2 ] ||
    fail "identical attempts not both copied"
[ "$(pg_sql "SELECT error FROM attempts WHERE time = 7")" = "tab	and
newline \\ here" ] || fail "text not kept"
# PostgreSQL keeps the ids' order of one host's received files.
[ "$(pg_sql "SELECT string_agg(state, ',' ORDER BY id) FROM receive_files")" = \
  "$(sql "SELECT group_concat(state, ',') FROM (SELECT state FROM receive_files ORDER BY id)")" ] ||
    fail "receive order"

# A conflict: another host's version of a batch is kept, exit 1, named.
pg_sql "UPDATE send_batches SET state = 'sent', node = 'host-c', updated = updated + 1 WHERE date = '2026-11-24'"
x ledger migrate
expect_rc 1
expect_err "conflict: send_batches (tx, 2026-11-24)"
expect_err "host-c"
expect_out "different: send_batches"
[ "$(pg_sql "SELECT node FROM send_batches WHERE date = '2026-11-24'")" = host-c ] ||
    fail "conflict overwritten"
pg_sql "DELETE FROM send_batches WHERE date = '2026-11-24'"
x ledger migrate
expect_rc 0
grep -q "^send_batches  *4  *1  *3 " "$T/out" || fail "redo: $(cat "$T/out")"

# --- host B: status shows the fleet ---------------------------------------
B="$T/homeb"
mkdir -p "$B/jobs" "$B/spool"
chmod 755 "$B/spool"
cp "$H/jobs/"*.job "$B/jobs/"
conf "$B" host-b "$PG_URL"
xb() {
	"$XFER_BIN" --home "$B" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	no_sanitizer_report
}
xb status tx rx
expect_out "NODE"
expect_out "LEASE"
grep -q '^tx  *2026-11-21 .* host-a ' "$T/out" || fail "status node: $(cat "$T/out")"
grep -q '^rx  *2026-11-22 .*duplicate.* host-a ' "$T/out" || fail "status rx node"
xb status --json tx
expect_out '"node":"host-a","lease_until":null'
# A batch a node works on now: its lease shows, by the database's clock.
pg_sql "INSERT INTO claims (kind, job, key, node, token, lease_until)
        VALUES ('send', 'tx', '2026-11-23', 'host-a', 1,
                '2030-01-02 03:04:05+00')"
xb status tx
grep -q '^tx  *2026-11-23 .* host-a  *2030-01-02T03:04:05+00:00 ' "$T/out" ||
    fail "status lease: $(cat "$T/out")"
grep -q '^tx  *2026-11-22 .* host-a  *- ' "$T/out" || fail "no lease: $(cat "$T/out")"
xb status --json tx
expect_out '"date":"2026-11-23"'
expect_out '"node":"host-a","lease_until":"2030-01-02T03:04:05+00:00"}'
# Taken over by another node: status names the holder of the lease.
pg_sql "UPDATE claims SET node = 'host-c', token = 2"
xb status tx
grep -q '^tx  *2026-11-23 .* host-c  *2030-01-02T03:04:05+00:00 ' "$T/out" ||
    fail "status holder: $(cat "$T/out")"
# Claimed before its first record (still being produced): shown too.
pg_sql "INSERT INTO claims (kind, job, key, node, token, lease_until)
        VALUES ('send', 'tx', '2026-11-30', 'host-c', 1,
                '2030-01-02 03:04:05+00')"
xb status tx
grep -q '^tx  *2026-11-30 send  *claimed .* host-c  *2030-01-02T03:04:05+00:00 ' "$T/out" ||
    fail "status of a claim without a row: $(cat "$T/out")"
pg_sql "DELETE FROM claims"
xb status tx
grep -q '2026-11-30' "$T/out" && fail "an ended claim still shows"

# --- a job pinned to nodes -------------------------------------------------
pinjob() { # pinjob HOME
	mkdir -p "$1/pinbox"
	cat > "$1/jobs/pin.job" <<'JOB'
[job]
direction = receive
nodes = host-a
timezone = UTC
schedule = * * * * *
[inbox]
path = pinbox
pattern = p_*.csv
settle = 0s
[ingest]
type = sqlite
database = data/pin.db
table = p
JOB
	printf 'a,b\n5,6\n' > "$1/pinbox/p_1.csv"
}
pinjob "$B"
xb receive pin
expect_rc 64
expect_err "job 'pin' runs only on node host-a"
expect_err "this is node 'host-b'"
xb -v receive
expect_err "event=pinned"
[ -f "$B/pinbox/p_1.csv" ] || fail "pinned job picked up on host-b"
xb -v run
expect_err "job=pin event=pinned"
[ -f "$B/pinbox/p_1.csv" ] || fail "pinned job run on host-b"
xb check pin
grep -q "never runs here" "$T/err" && fail "check warns with a shared ledger"
# Without a shared ledger and not in the list: check says it never runs.
mv "$B/xfer.conf" "$B/xfer.conf.off"
printf '[ledger]\nnode = host-b\n' > "$B/xfer.conf"
xb check pin
expect_rc 0
expect_err "pin.job: nodes = host-a, but this host is node 'host-b'"
expect_err "never runs here"
mv "$B/xfer.conf.off" "$B/xfer.conf"
# On host A it runs.
mkdir -p "$H/data"
pinjob "$H"
x receive pin
expect_rc 0
[ "$(pg_sql "SELECT node, state FROM receive_files WHERE job = 'pin'")" = "host-a|ingested" ] ||
    fail "pinned job on host-a"
# host-a has rows of its own in PostgreSQL now: migrate again still
# finds its SQLite rows there, adds nothing, and says identical.
x ledger migrate
expect_rc 0
expect_out ", identical"
awk '$1 == "receive_files" && $3 != 0 { bad = 1 } END { exit bad }' "$T/out" ||
    fail "migrate after a run copied again"

# --- metrics per node --------------------------------------------------------
mkdir -p "$B/inbox" "$B/data"
printf 'a,b\n7,8\n' > "$B/inbox/r_20261126.csv"
xb receive rx
expect_rc 0
M="$B/spool/metrics.prom"
grep -q -F 'xfer_node_batches{node="host-a",job="tx",direction="send",state="sent"} 3' "$M" ||
    fail "node metric: $(grep node_batches "$M")"
grep -q -F 'xfer_node_batches{node="host-a",job="pin",direction="receive",state="ingested"} 1' "$M" ||
    fail "node metric pin: $(grep node_batches "$M")"
grep -q -F 'xfer_node_batches{node="host-b",job="rx",direction="receive",state="ingested"} 1' "$M" ||
    fail "node metric b: $(grep node_batches "$M")"
grep -q -F 'xfer_ledger_info{backend="PostgreSQL",node="host-b",schema="' "$M" ||
    fail "ledger info: $(grep ledger_info "$M")"
echo "ok"
