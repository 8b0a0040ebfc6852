# The crash loop for a PostgreSQL target: for every receive crash point of
# lib/fault.h, a fresh home and a fresh table, the fault build
# ($FAULT_XFER, `make fault`) killed by SIGKILL there, then the normal
# $XFER_BIN run until it settles (at most 3 runs), then: the table holds
# the file's rows exactly once, xfer_ingested its one key, the ledger one
# ingested row with the count; killed before the commit, the target held
# nothing of the file (the server rolled the transaction back when the
# connection died).  Also a replace-date A, B, A whose third delivery is
# killed at each ingest point: the target then holds B or A, never a mix.
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "SKIP: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\`"
	exit 0
fi
chmod 755 "$T"
start_postgres
D="2026-11-24"
printf 'id,v\n1,a\n2,b\n3,c\n' > "$T/small.csv"
awk 'BEGIN { print "id,v"; for (i = 0; i < 100000; i++)
    printf "%d,abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvw\n", i }' \
    > "$T/big.csv"

# recv_home INPUT MODE: a fresh home whose job c$n loads INPUT into the
# fresh table t$n (the key tables are shared: each job has its own keys).
recv_home() {
	H="$T/h$n"
	J="c$n"
	mkdir -p "$H/jobs" "$H/inbox" "$H/spool"
	pg_sql "CREATE TABLE t$n (day date DEFAULT '$D', id int PRIMARY KEY, v text);
	    ALTER TABLE t$n OWNER TO $PG_USER"
	cp "$T/$1.csv" "$H/inbox/r_$D.csv"
	job "$J" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date}.csv
settle = 0s
[ingest]
type = postgresql
url = $PG_URL
password_file = $PG_PASSWORD_FILE
ca_file = $PG_CA
table = t$n
mode = $2
date_column = day
JOB
}

# kill_at SPEC: the fault run, killed at SPEC (NAME or NAME:N).
kill_at() {
	spec=${1%%:*}:kill
	case $1 in *:*) spec=$spec:${1#*:} ;; esac
	XFER_FAULT=$spec "$FAULT_XFER" --home "$H" receive "$J" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] || fail "$what: the fault run exited $rc: point not reached"
	grep -q "fault point '${1%%:*}' hit" "$T/err" ||
	    fail "$what: killed, but not at the point"
}

settle() {
	for i in 1 2 3; do
		x receive "$J"
		[ "$rc" = 0 ] && break
	done
	[ "$rc" = 0 ] || fail "$what: not settled after 3 runs (exit $rc)"
}

# The server ends a dead client's transaction by itself, soon: wait for
# its backend to go before looking at what it left.
backend_gone() {
	k=0
	until [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE
	    application_name = 'xfer'")" = 0 ]; do
		k=$((k + 1)); [ $k -lt 100 ] || fail "$what: the killed backend stays"
		sleep 0.1
	done
}

keys() { pg_sql "SELECT count(*) FROM xfer_ingested WHERE job = '$J'" 2>/dev/null || echo 0; }

n=0
# crash SPEC INPUT
crash() {
	n=$((n + 1))
	what="$1 ($2)"
	recv_home "$2" append
	kill_at "$1"
	backend_gone
	case $1 in
	ingest_mid*|ingest_before_commit|recv_*pickup|recv_before_received_commit)
		[ "$(pg_sql "SELECT count(*) FROM t$n")" = 0 ] && [ "$(keys)" = 0 ] ||
		    fail "$what: the target holds part of an ingest" ;;
	*)
		[ "$(keys)" = 1 ] || fail "$what: not committed at the point" ;;
	esac
	settle
	sha=$(sha256sum "$T/$2.csv" | cut -d' ' -f1)
	want=$(($(wc -l < "$T/$2.csv") - 1))
	[ "$(pg_sql "SELECT count(*), count(DISTINCT id) FROM t$n")" = "$want|$want" ] ||
	    fail "$what: $(pg_sql "SELECT count(*) FROM t$n") rows, not $want once"
	[ "$(pg_sql "SELECT count(*), sum((sha256 = '$sha')::int), sum(records) FROM
	    xfer_ingested WHERE job = '$J'")" = "1|1|$want" ] ||
	    fail "$what: xfer_ingested: $(pg_sql "SELECT * FROM xfer_ingested WHERE job = '$J'")"
	row=$(sql "SELECT group_concat(state || '|' || sha256 || '|' || records, ' ')
	    FROM receive_files WHERE job = '$J'")
	[ "$row" = "ingested|$sha|$want" ] || fail "$what: ledger rows '$row'"
	rm -rf "$H"
	echo "ok $what: settled in $i run(s)"
}

for p in recv_after_pickup recv_before_received_commit ingest_mid:2 \
    ingest_before_commit ingest_after_commit recv_before_backup \
    recv_mid_backup recv_after_backup; do
	crash "$p" small
done
crash ingest_mid:50000 big

# replace-date A, B, then A again killed at each ingest point: the date
# holds B's rows until A's delivery commits, then A's, never a mix.
printf 'day,id,v\n%s,1,a1\n%s,2,a2\n%s,3,a3\n' $D $D $D > "$T/A.csv"
printf 'day,id,v\n%s,9,b\n' $D > "$T/B.csv"
for p in ingest_mid:2 ingest_before_commit ingest_after_commit; do
	n=$((n + 1))
	what="A, B, A killed at $p"
	recv_home A replace-date
	x receive "$J"; expect_rc 0
	cp "$T/B.csv" "$H/inbox/r_$D.csv"; x receive "$J"; expect_rc 0
	cp "$T/A.csv" "$H/inbox/r_$D.csv"
	kill_at "$p"
	backend_gone
	got=$(pg_sql "SELECT string_agg(v, ',' ORDER BY id) FROM t$n")
	case $p in
	ingest_after_commit) [ "$got" = "a1,a2,a3" ] ;;
	*) [ "$got" = b ] ;;
	esac || fail "$what: the target holds '$got' after the kill"
	settle
	[ "$(pg_sql "SELECT string_agg(v, ',' ORDER BY id) FROM t$n")" = "a1,a2,a3" ] ||
	    fail "$what: the target holds: $(pg_sql "SELECT * FROM t$n")"
	[ "$(pg_sql "SELECT sha256 FROM xfer_applied WHERE job = '$J'")" = \
	    "$(sha256sum "$T/A.csv" | cut -d' ' -f1)" ] ||
	    fail "$what: xfer_applied: $(pg_sql "SELECT * FROM xfer_applied WHERE job = '$J'")"
	states=$(sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM receive_files
	    WHERE job = '$J' ORDER BY id)")
	[ "$states" = "ingested ingested ingested" ] || fail "$what: ledger: $states"
	rm -rf "$H"
	echo "ok $what"
done
echo "ok"
