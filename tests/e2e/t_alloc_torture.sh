# Allocation-failure torture (curl's idea): a small send run and a small
# receive run, once for every allocation N they make, with the N-th one
# failed (XFER_FAULT_ALLOC=N, lib/fault_alloc.c) in the fault build
# ($FAULT_XFER, `make fault`, ASan+UBSan: a leak on an error path is a
# LeakSanitizer report).  Each faulted run must end normally (exit 0 or
# 1, no signal, no sanitizer report), say "out of memory" when it fails,
# and leave a state that one normal run ($XFER_BIN) completes: the batch
# delivered once with the right bytes, the rows ingested once, no .part,
# the ledger intact.  A run that exits 0 despite the failure must already
# have done the whole job.
#
# The same for the run after a crash at a few points of lib/fault.h,
# which has to finish what the crash left: every allocation with
# TORTURE_FULL=1 (about 4 minutes here), about 50 of each in make check.
# A failure is shown with the stack of the failed allocation
# (XFER_FAULT_ALLOC_TRACE=1).
. "$(dirname "$0")/lib.sh"
if [ -z "${FAULT_XFER:-}" ] || [ ! -x "$FAULT_XFER" ]; then
	echo "SKIP: no fault build (FAULT_XFER='${FAULT_XFER:-}'): run \`make fault\` (make check runs this test in its ASan pass)"
	exit 0
fi
D=2026-11-24
SEND_NOW="2026-11-25 10:00"

# The template home: send job s (CSV, aggregated, to a local directory,
# with a manifest) and receive job r (local inbox with manifests into
# SQLite, the backup gzip'd).
TPL="$T/tpl"
mkdir -p "$TPL/jobs" "$TPL/data" "$TPL/spool" "$TPL/inbox" "$TPL/dest"
chmod 755 "$TPL/spool"
cat > "$TPL/data/in.csv" <<'EOF'
store,sku,qty,amount
1,a,2,1.50
1,b,1,2.25
2,a,5,10.00
1,a,1,0.50
EOF
cat > "$TPL/jobs/s.job" <<'EOF'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in.csv
[aggregate]
group_by = store, sku
count = orders
sum = qty, amount
[output]
name = s_{date}.csv
date_column = date
manifest = sha256
[upload]
url = dest
retries = 0
EOF
cat > "$TPL/jobs/r.job" <<'EOF'
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = r_{date}.csv
settle = 0s
require_manifest = yes
[ingest]
type = sqlite
database = data/t.db
table = t
columns = date, store, orders
[backup]
compress = gzip
EOF
printf 'date,store,orders\n%s,1,3\n%s,2,1\n' "$D" "$D" > "$TPL/inbox/r_$D.csv"
(cd "$TPL/inbox" && sha256sum "r_$D.csv" > "r_$D.csv.sha256")
RSHA=$(sha256sum "$TPL/inbox/r_$D.csv" | cut -d' ' -f1)

# What the send must deliver, byte for byte.
cat > "$T/want.csv" <<EOF
date,store,sku,orders,qty,amount
$D,1,a,2,3,2.00
$D,1,b,1,1,2.25
$D,2,a,1,5,10.00
EOF
WSHA=$(sha256sum "$T/want.csv" | cut -d' ' -f1)

check_send() {
	f="s_$D.csv"
	[ "$(ls -A "$H/dest" | sort | tr '\n' ' ')" = "$f $f.sha256 " ] ||
	    tfail "destination holds: $(ls -A "$H/dest")"
	cmp -s "$H/dest/$f" "$T/want.csv" || tfail "delivered the wrong bytes"
	(cd "$H/dest" && sha256sum -c "$f.sha256" >/dev/null 2>&1) ||
	    tfail "manifest check at the destination"
	[ "$(sql "SELECT state, file, sha256 FROM send_batches")" = "sent|$f|$WSHA" ] ||
	    tfail "ledger: $(sql "SELECT * FROM send_batches")"
	[ -f "$H/spool/s/sent/$D/$f" ] || tfail "not in sent/$D"
	[ -z "$(ls -A "$H/spool/s/out")" ] || tfail "out/ not empty: $(ls -AR "$H/spool/s")"
	[ -n "$tmp_ok" ] || [ -z "$(ls -A "$H/spool/s/tmp")" ] ||
	    tfail "tmp/ not empty: $(ls -AR "$H/spool/s")"
}

check_recv() {
	db="$H/data/t.db"
	[ "$(sqlite3 "$db" "SELECT group_concat(date || '/' || store || '/' || orders, ' ') FROM t")" = "$D/1/3 $D/2/1" ] ||
	    tfail "target rows: $(sqlite3 "$db" "SELECT * FROM t" 2>&1)"
	[ "$(sqlite3 "$db" "SELECT count(*), sum(sha256 = '$RSHA') FROM xfer_ingested")" = "1|1" ] ||
	    tfail "xfer_ingested: $(sqlite3 "$db" "SELECT * FROM xfer_ingested" 2>&1)"
	[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || tfail "target integrity"
	b="$H/spool/r/backup/2026/11/24/r_$D.csv.gz"
	[ "$(sql "SELECT state, sha256, spool, records FROM receive_files")" = "ingested|$RSHA|$b|2" ] ||
	    tfail "ledger: $(sql "SELECT id, name, state, spool, records, last_error FROM receive_files")"
	[ "$(gzip -dc "$b" | sha256sum | cut -d' ' -f1)" = "$RSHA" ] ||
	    tfail "backup is not the file"
	for a in inbox spool/r/in spool/r/tmp spool/r/failed; do
		[ "$a$tmp_ok" = spool/r/tmp1 ] || [ ! -e "$H/$a" ] ||
		    [ -z "$(ls -A "$H/$a")" ] || tfail "$a not empty: $(ls -AR "$H/$a")"
	done
}

# tfail WHY: fail, with the stack of allocation $N (a fresh faulted run
# in a home of the same name: the count depends on the paths' lengths).
tfail() {
	if [ -n "${N:-}" ]; then
		mv "$H" "$T/failed-home" && cp -a "$FROM" "$H"
		XFER_FAULT_ALLOC=$N XFER_FAULT_ALLOC_TRACE=1 "$FAULT_XFER" \
		    --home "$H" $CMD >/dev/null 2>"$T/trace"
		rm -rf "$H" && mv "$T/failed-home" "$H"
		echo "--- faulted run (allocation $N of $what, exit $frc):"
		cat "$T/ferr"
		echo "--- stack of the failed allocation:"
		cat "$T/trace"
	fi
	fail "$what, allocation ${N:-none}: $*"
}

use() {
	CMD=$1
	case $CMD in
	send*)	export XFER_NOW="$SEND_NOW"; check=check_send ;;
	*)	unset XFER_NOW; check=check_recv ;;
	esac
}

# crashed POINT CMD: a template home that CMD left by dying at POINT (made
# in $H itself: the spool and the ledger hold absolute paths).
crashed() {
	use "$2"
	rm -rf "$H" && cp -a "$TPL" "$H"
	XFER_FAULT=$1:kill "$FAULT_XFER" --home "$H" $CMD >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 137 ] && grep -q "fault point '$1' hit 1" "$T/err" ||
	    fail "$1: exit $rc, not killed at the point"
	rm -rf "$T/tpl-$1" && mv "$H" "$T/tpl-$1"
}

# sweep FROM CMD DONE MAX: count the allocations of CMD in a copy of the
# home FROM, then fail each (every k-th, for at most MAX runs, unless
# TORTURE_FULL=1), each in a fresh copy; DONE (an ERE) is the log line
# of the run's success.
sweep() {
	FROM=$1 done=$3
	use "$2"
	what="$CMD in ${FROM##*/}"
	N=
	rm -rf "$H" && cp -a "$FROM" "$H"
	XFER_FAULT_ALLOC=count "$FAULT_XFER" --home "$H" $CMD >"$T/out" 2>"$T/err"
	rc=$?
	no_sanitizer_report
	[ "$rc" = 0 ] || fail "$what: the counting run exited $rc"
	k=$(sed -n 's/^xfer: fault: \([0-9]*\) allocations$/\1/p' "$T/err")
	[ -n "$k" ] && [ "$k" -gt 10 ] || fail "$what: no allocation count"
	$check
	step=1
	[ "${TORTURE_FULL:-0}" = 1 ] || step=$((($k + $4 - 1) / $4))
	runs=0 failed=0 passed=0
	N=1
	while [ "$N" -le "$k" ]; do
		rm -rf "$H" && cp -a "$FROM" "$H"
		XFER_FAULT_ALLOC=$N "$FAULT_XFER" --home "$H" $CMD \
		    >"$T/out" 2>"$T/ferr"
		frc=$?
		cp "$T/ferr" "$T/err"
		grep -E -q 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/ferr" &&
		    tfail "sanitizer report"
		grep -q "^xfer: fault: allocation $N (" "$T/ferr" ||
		    tfail "allocation $N not reached (the count was $k)"
		case $frc in
		0)	passed=$((passed + 1))
			# Garbage in tmp/ is for the next run to clear.
			tmp_ok=1
			$check
			tmp_ok=
			# Even when the log line's own memory failed.
			grep -E -q "$done" "$T/ferr" ||
			    tfail "exit 0 without logging '$done'" ;;
		1)	failed=$((failed + 1))
			grep -v '^xfer: fault:' "$T/ferr" |
			    grep -E -q 'out of memory|Cannot allocate memory' ||
			    tfail "exit 1 without saying out of memory" ;;
		*)	tfail "exit $frc" ;;
		esac
		x $CMD
		[ "$rc" = 0 ] || tfail "the run after it exited $rc"
		$check
		[ "$(sql "PRAGMA integrity_check")" = ok ] || tfail "ledger integrity"
		[ -z "$(find "$H" -name '*.part')" ] || tfail "left: $(find "$H" -name '*.part')"
		runs=$((runs + 1))
		N=$((N + step))
	done
	echo "ok $what: $k allocations, $runs failed one by one (every $step): $failed exited 1 saying out of memory, $passed exited 0 done"
}

# The success lines, whole: an allocation failing inside the logger
# loses the line's details at most, never part of them.
tmp_ok=
L="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+\\+00:00 info run=[0-9a-f]{16}"
SENT="$L job=s date=$D event=sent( file=s_$D\\.csv records=3 bytes=106 duration_ms=[0-9]+)?: "
INGESTED="$L job=r date=$D event=ingested( file=r_$D\\.csv records=2 bytes=48)?\$"

# The switch itself: a bad value is refused aloud and fails nothing; a
# count past the last allocation fails nothing.
rm -rf "$H" && cp -a "$TPL" "$H"
for v in abc 0 -3 12x; do
	XFER_FAULT_ALLOC=$v "$FAULT_XFER" --home "$H" status >"$T/out" 2>"$T/err"
	rc=$?
	expect_rc 0
	expect_err "xfer: fault: XFER_FAULT_ALLOC '$v': not a count N >= 1 or 'count'; ignored"
done
XFER_FAULT_ALLOC=1000000 "$FAULT_XFER" --home "$H" status >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0
! grep -q 'fault:' "$T/err" || fail "a count past the end failed something"

# A fresh run: every allocation.
sweep "$TPL" "send s" "$SENT" 100000
sweep "$TPL" "receive r" "$INGESTED" 100000

# The run after a crash, which finishes what the crash left (reconcile):
# every allocation with TORTURE_FULL=1, about 50 of each in make check.
crashed send_after_out_rename "send s"
sweep "$T/tpl-send_after_out_rename" "send s" "$SENT" 50
crashed send_before_sent_move "send s"
sweep "$T/tpl-send_before_sent_move" "send s" "$SENT" 50
crashed send_before_sent_commit "send s"
sweep "$T/tpl-send_before_sent_commit" "send s" \
    "$L job=s date=$D event=recovered: 's_$D\\.csv' was delivered before the ledger heard of it; recorded as sent\$" 50
crashed recv_before_received_commit "receive r"
sweep "$T/tpl-recv_before_received_commit" "receive r" "$INGESTED" 50
crashed ingest_after_commit "receive r"
sweep "$T/tpl-ingest_after_commit" "receive r" "$INGESTED" 50
crashed recv_mid_backup "receive r"
sweep "$T/tpl-recv_mid_backup" "receive r" "$INGESTED" 50
