# A fleet of three hosts (homes a, b, c: own spools, one PostgreSQL
# ledger, lease 3s) firing the same `xfer -q run` at the same moment, 20
# days in a row, for 10 send jobs whose destinations all three share:
# each (job, date) is sent by exactly one host, once; the destinations
# hold one file per (job, date), with the bytes the ledger names; nothing
# failed, every run silent.  And a ledger that cannot be reached at start:
# `xfer send` fails loudly (exit 1, naming the ledger) and produces
# nothing.
. "$(dirname "$0")/lib.sh"
start_postgres
mkdir -p "$T/data" "$T/dest"
JOBS="j0 j1 j2 j3 j4 j5 j6 j7 j8 j9"
NODES="a b c"
for d in $(seq 1 25); do
	ds=$(printf '2026-11-%02d' "$d")
	printf 'store,qty\n%d,%d\n%d,%d\n' "$d" "$((d * 3))" "$((d + 100))" \
	    "$((d * 7))" >"$T/data/in_$ds.csv"
done
home() { # home NODE URL
	mkdir -p "$T/$1/jobs" "$T/$1/spool"
	chmod 755 "$T/$1/spool"
	cat >"$T/$1/xfer.conf" <<CONF
[ledger]
url = $2
password_file = $PG_PASSWORD_FILE
node = $1
lease = 3s
CONF
}
for n in $NODES; do
	home "$n" "$PG_URL"
	for j in $JOBS; do
		mkdir -p "$T/dest/$j"
		cat >"$T/$n/jobs/$j.job" <<JOB
[job]
direction = send
schedule = 30 2 * * *
date = yesterday
timezone = UTC
catch_up = 3d
[source]
type = csv
path = $T/data/in_{date}.csv
[output]
name = ${j}_{date}.csv
date_column = day
[upload]
url = file://$T/dest/$j/
retries = 0
JOB
	done
done

# 20 days, one tick each: the three hosts start the same run together.
for i in $(seq 1 20); do
	now=$(printf '2026-11-%02d 03:00' "$((i + 1))")
	pids=""
	for n in $NODES; do
		XFER_NOW="$now" timeout 60 "$XFER_BIN" --home "$T/$n" -q run \
		    >"$T/run.$n.$i.out" 2>"$T/run.$n.$i.err" &
		pids="$pids $!"
	done
	k=0
	for p in $pids; do
		k=$((k + 1))
		wait "$p" || { cat "$T"/run.*."$i".err; fail "tick $i: a run of host $k failed"; }
	done
	for n in $NODES; do
		[ ! -s "$T/run.$n.$i.err" ] ||
		    { cat "$T/run.$n.$i.err"; fail "tick $i: host $n's run is not silent"; }
	done
done

# The ledger: 10 jobs x 20 dates, each sent, by one of the nodes.
rows=$(pg_sql "SELECT count(*) FROM send_batches WHERE state = 'sent'
    AND date BETWEEN '2026-11-01' AND '2026-11-20'")
[ "$rows" = 200 ] || fail "expected 200 sent batches, the ledger has $rows"
other=$(pg_sql "SELECT job || ' ' || date || ' ' || state FROM send_batches
    WHERE state <> 'sent' OR date NOT BETWEEN '2026-11-01' AND '2026-11-20'")
[ -z "$other" ] || fail "batches other than the 200 sent: $other"
# Each sent exactly once: one successful attempt per (job, date), no
# failed one.
twice=$(pg_sql "SELECT job || ' ' || date || ' ' || count(*) FROM attempts
    WHERE direction = 'send' AND error IS NULL GROUP BY job, date
    HAVING count(*) <> 1")
[ -z "$twice" ] || fail "batches sent more than once: $twice"
nok=$(pg_sql "SELECT count(DISTINCT job || date) FROM attempts
    WHERE direction = 'send' AND error IS NULL")
[ "$nok" = 200 ] || fail "expected 200 sending attempts, found $nok"
bad=$(pg_sql "SELECT count(*) FROM attempts WHERE error IS NOT NULL")
[ "$bad" = 0 ] || fail "$bad failed attempts: $(pg_sql "SELECT job, date, error FROM attempts WHERE error IS NOT NULL")"
nodes=$(pg_sql "SELECT count(DISTINCT node) FROM send_batches")
echo "batches were sent by $nodes node(s): $(pg_sql "SELECT node || '=' || count(*) FROM send_batches GROUP BY node ORDER BY node" | tr '\n' ' ')"

# The destinations agree: one file per (job, date), nothing temporary
# left, the bytes the ledger names.
pg_sql "SELECT job || ' ' || file || ' ' || sha256 FROM send_batches
    ORDER BY job, date" >"$T/ledger.sha"
[ "$(wc -l <"$T/ledger.sha")" = 200 ] || fail "ledger listing"
while read -r j f sum; do
	[ -f "$T/dest/$j/$f" ] || fail "$j: '$f' is not at the destination"
	got=$(sha256sum "$T/dest/$j/$f" | cut -d' ' -f1)
	[ "$got" = "$sum" ] || fail "$j/$f: bytes $got, the ledger says $sum"
done <"$T/ledger.sha"
for j in $JOBS; do
	n=$(find "$T/dest/$j" -type f -name "${j}_*.csv" | wc -l)
	[ "$n" = 20 ] || fail "$j: $n files at the destination, expected 20"
	extra=$(find "$T/dest/$j" -type f ! -name "${j}_2026-11-*.csv" \
	    ! -name "${j}_2026-11-*.csv.sha256")
	[ -z "$extra" ] || fail "$j: stray files at the destination: $extra"
done
# No host kept a batch it did not send in out/ (a finished fleet).
for n in $NODES; do
	left=$(find "$T/$n/spool" -path '*/out/*' -name batch.meta)
	[ -z "$left" ] || fail "host $n still has produced batches: $left"
done

# Dates asked for go through the same claims: a range (groups of 8 and
# 16 dates, one claim each) resent from host c, a rerun from host b;
# the same bytes, each date once more, the rows now theirs.
XFER_NOW='2026-11-21 04:00' timeout 60 "$XFER_BIN" --home "$T/c" send \
    --from 2026-11-01 --to 2026-11-20 j0 >"$T/out" 2>"$T/err"
rc=$?
no_sanitizer_report
expect_rc 0
[ "$(grep -c 'event=sent' "$T/err")" = 20 ] || fail "the range must send 20 batches"
[ "$(pg_sql "SELECT count(*) FROM send_batches WHERE job = 'j0' AND node = 'c'")" = 20 ] ||
    fail "the range's rows must be c's"
XFER_NOW='2026-11-21 04:00' timeout 60 "$XFER_BIN" --home "$T/b" rerun \
    --force --date 2026-11-05 j1 >"$T/out" 2>"$T/err"
rc=$?
no_sanitizer_report
expect_rc 0
expect_out "rerun j1 2026-11-05: 1 sent"
[ "$(pg_sql "SELECT state || ' ' || node FROM send_batches WHERE job = 'j1' AND date = '2026-11-05'")" = "sent b" ] ||
    fail "the rerun's row must be b's"
[ "$(find "$T/dest/j0" -type f -name 'j0_*.csv' | wc -l)" = 20 ] || fail "j0: files"
# A dry run claims nothing (and changes nothing).
XFER_NOW='2026-11-22 04:00' timeout 60 "$XFER_BIN" --home "$T/a" send \
    --dry-run j2 >"$T/out" 2>"$T/err"
rc=$?
no_sanitizer_report
expect_rc 0
expect_out "j2 2026-11-21: would produce"
[ "$(pg_sql "SELECT count(*) FROM claims WHERE job = 'j2' AND key = '2026-11-21'")" = 0 ] ||
    fail "a dry run must claim nothing"

# The ledger unreachable at start: loud, exit 1, nothing produced.  A
# port nothing listens on (the server's own port, with the server
# stopped, is the restart test's).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
home d "postgresql://xfer@127.0.0.1:$port/xfer"
cp "$T/a/jobs/j0.job" "$T/d/jobs/"
XFER_NOW='2026-11-22 03:00' timeout 60 "$XFER_BIN" --home "$T/d" send j0 \
    >"$T/out" 2>"$T/err"
rc=$?
no_sanitizer_report
expect_rc 1
expect_err "PostgreSQL"
expect_err "127.0.0.1:$port"
[ -z "$(find "$T/d/spool" -path '*/out/*' -print -quit)" ] ||
    fail "a ledger that cannot be reached must produce nothing"
[ -z "$(find "$T/dest/j0" -name 'j0_2026-11-21*')" ] || fail "nothing sent"
echo "ok"
