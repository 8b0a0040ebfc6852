# I/O faults through the LD_PRELOAD shim tests/e2e/faultfs.c: a full disk
# (at the first write and in the middle of a file), a read-only spool,
# fsync EIO, rename EXDEV and close() EIO, at every place a send or a
# receive writes, and each fsync of a run in turn.  Each fault ends with a
# clear error naming the file and the cause and a non-zero exit (or is
# worked around: EXDEV by a durable copy), nothing half-written under a
# final name, and a later run without the fault delivers (or ingests)
# exactly once.  A failed fsync is never retried on the same file: what
# it covered is removed and built anew (rows whose next run must say
# "event=produced" or "delivered to", never "recovered" or "already at").
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
mkdir -p "$H/data"
printf 'a\n1\n' > "$H/data/in.csv"
job io <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = io_{date}.csv
[upload]
url = out
retries = 0
JOB
x send --date 2026-11-23 io
expect_rc 0
before=$(sql "SELECT * FROM send_batches")
LD_PRELOAD="$FAULTFS_SO" FAULT_ENOSPC_PREFIX="$H/spool/io/tmp" x send --date 2026-11-24 io
expect_rc 1
no_sanitizer_report
expect_err "No space left on device"
expect_err "io_2026-11-24.csv"
[ -z "$(find "$H/spool/io/tmp" "$H/spool/io/out" -mindepth 1)" ] || fail "partial files left"
[ ! -e "$H/out/io_2026-11-24.csv" ] || fail "delivered"
[ -d "$H/spool/io/sent/2026-11-23" ] || fail "earlier batch lost"
# Full destination disk: the produced batch stays in the spool for retry.
LD_PRELOAD="$FAULTFS_SO" FAULT_ENOSPC_PREFIX="$H/out" x send --date 2026-11-25 io
expect_rc 1
expect_err "No space left on device"
[ -d "$H/spool/io/out/2026-11-25" ] || fail "produced batch not kept"
[ -z "$(ls "$H/out" | grep part)" ] || fail ".part left at destination"
x send --date 2026-11-25 io
expect_rc 0
# Read-only spool.
LD_PRELOAD="$FAULTFS_SO" FAULT_EROFS_PREFIX="$H/spool" x send --date 2026-11-26 io
[ "$rc" -ne 0 ] || fail "read-only spool must fail"
expect_err "Read-only file system"
[ "$(sql "SELECT * FROM send_batches WHERE date < '2026-11-24'")" = "$before" ] || fail "ledger changed"

# --- helpers for the tables ------------------------------------------------
# Paths in knobs are split on spaces: $T has none (mktemp).
# The current batch of date = yesterday (a run across midnight UTC would
# see two batches: not worth a clock of its own here).
D=$(date -u -d yesterday +%F)
# fault 'VAR=VALUE ...' ARGS: xfer ARGS under the shim; FAULT_LOG says
# which calls it failed.
fault() {
	knobs=$1
	shift
	rm -f "$T/flog"
	# shellcheck disable=SC2086
	timeout 120 env LD_PRELOAD="$FAULTFS_SO" FAULT_LOG="$T/flog" $knobs \
	    "$XFER_BIN" --home "$H" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	no_sanitizer_report
}
run() {
	x "$@" </dev/null
}
fired() {
	[ -s "$T/flog" ] || fail "$1: the fault did not fire"
}
err_has() {	# err_has ROW TEXT: stderr has TEXT (an empty TEXT: anything)
	[ -z "$2" ] || grep -F -q -- "$2" "$T/err" || fail "$1: stderr lacks: $2"
}
err_lacks() {
	[ -z "$2" ] || ! grep -F -q -- "$2" "$T/err" || fail "$1: stderr has: $2"
}
tbl() {		# a job's table: its name with '_' for '-'
	printf '%s' "$1" | tr - _
}
integrity() {	# integrity DB
	[ "$(sqlite3 "$1" "PRAGMA integrity_check")" = ok ] ||
	    fail "'$1' fails its integrity check"
}

# --- send: 600 rows (about 5 KB), a manifest, a local directory --------------
{
	echo 'id,name'
	seq 600 | sed 's/$/,row/'
} > "$H/data/big.csv"
sjob() {
	job "$1" <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/big.csv
[output]
name = io_{date}.csv
manifest = sha256
[upload]
url = out/$1
retries = 0
JOB
}
# The reference: the same batch, sent without a fault.
sjob ctl
run send ctl
expect_rc 0
ref_sha=$(sql "SELECT sha256 FROM send_batches WHERE job = 'ctl'")
[ -n "$ref_sha" ] && [ -f "$H/out/ctl/io_$D.csv" ] || fail "control batch"
# delivered_once JOB: sent, once, the control's bytes and nothing else.
delivered_once() {
	cmp -s "$H/out/ctl/io_$D.csv" "$H/out/$1/io_$D.csv" &&
	    cmp -s "$H/out/ctl/io_$D.csv.sha256" "$H/out/$1/io_$D.csv.sha256" ||
	    fail "$1: not the control's bytes at the destination"
	[ "$(ls -A "$H/out/$1" | wc -l)" -eq 2 ] ||
	    fail "$1: leftovers at the destination: $(ls -A "$H/out/$1")"
	[ "$(sql "SELECT state, sha256 FROM send_batches WHERE job = '$1'")" = \
	    "sent|$ref_sha" ] || fail "$1: ledger: $(sql "SELECT * FROM \
send_batches WHERE job = '$1'")"
	[ -d "$H/spool/$1/sent/$D" ] && [ ! -e "$H/spool/$1/out/$D" ] ||
	    fail "$1: spool"
}

# One row per fault: job | knobs | message (exit 1) | left in the spool
# (none, out: the produced batch, sent: delivered) | at the destination
# (none, file) | the next run says | and never says.
while IFS='|' read -r j knobs msg left dest says never; do
	[ -n "$j" ] || continue
	sjob "$j"
	fault "$knobs" send "$j"
	fired "$j"
	[ "$rc" -eq 1 ] || fail "$j: exit $rc, not 1"
	err_has "$j" "$msg"
	[ "$(sql "SELECT state FROM send_batches WHERE job = '$j'")" != sent ] ||
	    fail "$j: recorded as sent"
	[ -z "$(find "$H/out/$j" -name '*.part' 2>/dev/null)" ] ||
	    fail "$j: .part left"
	[ -z "$(find "$H/spool/$j/tmp" -mindepth 1)" ] || fail "$j: tmp/ left"
	case $dest in
	none) [ ! -e "$H/out/$j/io_$D.csv" ] || fail "$j: at the destination" ;;
	file) [ -f "$H/out/$j/io_$D.csv" ] || fail "$j: not delivered" ;;
	esac
	o=absent s=absent
	[ -d "$H/spool/$j/out/$D" ] && o=present
	[ -d "$H/spool/$j/sent/$D" ] && s=present
	case $left in
	none) [ $o$s = absentabsent ] ;;
	out) [ $o$s = presentabsent ] ;;
	sent) [ $o$s = absentpresent ] ;;
	esac || fail "$j: spool out/ $o, sent/ $s, not '$left'"
	run send "$j"
	expect_rc 0
	err_has "$j" "$says"
	err_lacks "$j" "$never"
	delivered_once "$j"
done <<TABLE
s-fsync-file|FAULT_EIO_FSYNC_PREFIX=$H/spool/s-fsync-file/tmp|/io_$D.csv': Input/output error|none|none|event=produced|recovered
s-fsync-out|FAULT_EIO_FSYNC_PREFIX=$H/spool/s-fsync-out/out|cannot make '$H/spool/s-fsync-out/out/$D' durable: cannot fsync directory '$H/spool/s-fsync-out/out': Input/output error|none|none|event=produced|recovered
s-fsync-sent|FAULT_EIO_FSYNC_PREFIX=$H/spool/s-fsync-sent/sent|cannot fsync directory '$H/spool/s-fsync-sent/sent': Input/output error|sent|file|recorded as sent|event=produced
s-fsync-dest|FAULT_EIO_FSYNC_PREFIX=$H/out/s-fsync-dest/ FAULT_EIO_FSYNC_NTH=1|cannot fsync '$H/out/s-fsync-dest/io_$D.csv.part': Input/output error|out|none|delivered to|already at
s-fsync-destdir|FAULT_EIO_FSYNC_PREFIX=$H/out/s-fsync-destdir FAULT_EIO_FSYNC_NTH=2|cannot make '$H/out/s-fsync-destdir/io_$D.csv' durable: cannot fsync directory '$H/out/s-fsync-destdir': Input/output error|out|none|delivered to|already at
s-ledger-fsync|FAULT_EIO_FSYNC_PREFIX=$H/spool/ledger.db|ledger '$H/spool/ledger.db': cannot record batch: disk I/O error|out|none|found produced batch|
s-ledger-full|FAULT_ENOSPC_PREFIX=$H/spool/ledger.db-wal FAULT_ENOSPC_AFTER=4096|ledger '$H/spool/ledger.db': cannot record batch: database or disk is full|out|none|found produced batch|
s-exdev-out|FAULT_EXDEV_PREFIX=$H/spool/s-exdev-out/out|to '$H/spool/s-exdev-out/out/$D': Invalid cross-device link|none|none|event=produced|
s-close-file|FAULT_EIO_CLOSE_PREFIX=$H/spool/s-close-file/tmp|/io_$D.csv': Input/output error|none|none|event=produced|
s-close-dest|FAULT_EIO_CLOSE_PREFIX=$H/out/s-close-dest|cannot close '$H/out/s-close-dest/io_$D.csv.part': Input/output error|out|none|delivered to|
s-full-file|FAULT_ENOSPC_PREFIX=$H/spool/s-full-file/tmp FAULT_ENOSPC_AFTER=4096|/io_$D.csv': No space left on device|none|none|event=produced|
s-full-dest|FAULT_ENOSPC_PREFIX=$H/out/s-full-dest FAULT_ENOSPC_AFTER=4096|cannot write '$H/out/s-full-dest/io_$D.csv.part': No space left on device|out|none|delivered to|
TABLE

# Every fsync of a send run fails in turn, as SQLite tests its sync
# points.  The run fails, or shrugs only where no batch depends on it:
# the metrics file (and the spool directory after its rename), the
# ledger's checkpoint at exit, and the spool directory after SQLite
# creates the WAL (SQLite ignores that result by design; the spool is the
# truth the ledger is reconciled from).  The next run delivers the batch
# once, and never rebuilds one that was delivered.
k=1
while [ "$k" -le 40 ]; do
	j=s-sync$k
	sjob "$j"
	fault "FAULT_EIO_FSYNC_PREFIX=$H/ FAULT_EIO_FSYNC_NTH=$k" send "$j"
	[ -s "$T/flog" ] || break		# past the last fsync of a run
	hit=$(cut -d' ' -f3- "$T/flog")
	case $rc in
	1) grep -E -q "Input/output error|disk I/O error" "$T/err" ||
	    fail "$j ($hit): no cause named" ;;
	0) case $hit in
	   "$H/spool"|"$H/spool/.metrics.prom"*|"$H/spool/ledger.db"*) ;;
	   *) fail "$j: exit 0 with a failed fsync of '$hit'" ;;
	   esac ;;
	*) fail "$j ($hit): exit $rc" ;;
	esac
	[ -z "$(find "$H/out/$j" -name '*.part' 2>/dev/null)" ] || fail "$j: .part"
	was_sent=no
	[ -d "$H/spool/$j/sent/$D" ] && was_sent=yes
	run send "$j"
	expect_rc 0
	[ $was_sent = no ] || err_lacks "$j ($hit)" "event=produced"
	delivered_once "$j"
	k=$((k + 1))
done
echo "send: each of $((k - 1)) fsyncs failed in turn"
[ "$k" -gt 12 ] || fail "only $((k - 1)) fsyncs in a send run"
[ "$k" -le 40 ] || fail "more than 40 fsyncs in a send run"
integrity "$H/spool/ledger.db"

# A catch-up of three dates is one group, delivered over 4 connections:
# every fsync of such a run, and the group's syncfs, fails in turn.  When
# the group's sync (or the fsync of out/ after its renames) fails, every
# batch of the group is failed and discarded, none delivered, and the
# next run builds all three anew ("event=produced" three times, never
# "recovered").  Otherwise the next run delivers each date once, never
# rebuilding one that was delivered.
D1=$(date -u -d "$D - 1 day" +%F)
D2=$(date -u -d "$D - 2 day" +%F)
D3=$(date -u -d "$D - 3 day" +%F)
gjob() {
	sjob "$1"
	echo "connections = 4" >> "$H/jobs/$1.job"
	run send --date "$D3" "$1"
	expect_rc 0
}
# group_sent_once JOB: the four dates sent, once, the control's bytes.
group_sent_once() {
	for d in "$D" "$D1" "$D2" "$D3"; do
		cmp -s "$H/out/ctl/io_$D.csv" "$H/out/$1/io_$d.csv" &&
		    (cd "$H/out/$1" && sha256sum -c "io_$d.csv.sha256" >/dev/null 2>&1) ||
		    fail "$1: io_$d.csv at the destination"
		[ -d "$H/spool/$1/sent/$d" ] && [ ! -e "$H/spool/$1/out/$d" ] ||
		    fail "$1: spool of $d"
	done
	[ "$(ls -A "$H/out/$1" | wc -l)" -eq 8 ] ||
	    fail "$1: the destination holds: $(ls -A "$H/out/$1")"
	[ "$(sql "SELECT count(*), sum(state = 'sent') FROM send_batches WHERE job = '$1'")" = "4|4" ] ||
	    fail "$1: ledger: $(sql "SELECT * FROM send_batches WHERE job = '$1'")"
	[ -z "$(sql "SELECT date FROM attempts WHERE job = '$1' AND ok = 1 GROUP BY date HAVING count(*) > 1")" ] ||
	    fail "$1: a date was delivered twice"
}
k=1
syncfs_seen=no
while [ "$k" -le 60 ]; do
	j=g-sync$k
	gjob "$j"
	fault "FAULT_EIO_FSYNC_PREFIX=$H/ FAULT_EIO_FSYNC_NTH=$k" send "$j"
	[ -s "$T/flog" ] || break
	call=$(cut -d' ' -f1 "$T/flog")
	hit=$(cut -d' ' -f3- "$T/flog")
	case $rc in
	1) grep -E -q "Input/output error|disk I/O error" "$T/err" ||
	    fail "$j ($call $hit): no cause named" ;;
	0) case $hit in
	   "$H/spool"|"$H/spool/.metrics.prom"*|"$H/spool/ledger.db"*) ;;
	   *) fail "$j: exit 0 with a failed $call of '$hit'" ;;
	   esac ;;
	*) fail "$j ($call $hit): exit $rc" ;;
	esac
	[ -z "$(find "$H/out/$j" -name '*.part' 2>/dev/null)" ] || fail "$j: .part"
	whole_group=no
	case "$call $hit" in
	"syncfs $H/spool/$j/tmp"|"fsync $H/spool/$j/out") whole_group=yes ;;
	esac
	[ "$call" = syncfs ] && syncfs_seen=yes
	if [ $whole_group = yes ]; then
		[ "$(sql "SELECT count(*) FROM send_batches WHERE job = '$j' AND state = 'failed' AND file = ''")" = 3 ] ||
		    fail "$j ($call $hit): not every batch of the group failed"
		[ "$(ls -A "$H/out/$j" | wc -l)" -eq 2 ] ||
		    fail "$j ($call $hit): delivered: $(ls -A "$H/out/$j")"
		[ -z "$(find "$H/spool/$j/out" "$H/spool/$j/tmp" -mindepth 1)" ] ||
		    fail "$j ($call $hit): a batch of the group kept"
	fi
	sent_before=$(ls "$H/spool/$j/sent")
	run send "$j"
	expect_rc 0
	if [ $whole_group = yes ]; then
		[ "$(grep -c 'event=produced' "$T/err")" = 3 ] ||
		    fail "$j ($call $hit): the group was not built anew"
		err_lacks "$j ($call $hit)" "recovered"
	fi
	for d in $sent_before; do
		! grep -q "date=$d event=produced" "$T/err" ||
		    fail "$j ($call $hit): $d was delivered, then rebuilt"
	done
	group_sent_once "$j"
	k=$((k + 1))
done
echo "send of a group: each of $((k - 1)) fsyncs failed in turn"
[ $syncfs_seen = yes ] || fail "no run failed the group's syncfs"
[ "$k" -le 60 ] || fail "more than 60 fsyncs in a group's send run"
integrity "$H/spool/ledger.db"

# --- receive: a local inbox, manifests, SQLite ingest, a backup outside
# the spool (another file system, for the EXDEV rows) -------------------------
rjob() {	# rjob NAME EXT [BACKUP-SETTING]
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = in/$1
pattern = r_{date}.$2
settle = 0s
require_manifest = yes
[ingest]
type = sqlite
database = data/rx.db
table = t_$(tbl "$1")
[backup]
path = bk/$1/{date}
${3:-}
JOB
	mkdir -p "$H/in/$1"
	f="$H/in/$1/r_$D.$2"
	{
		echo 'k,v'
		seq 500 | sed "s/\$/,$1/"
	} > "$T/rows"
	case $2 in
	csv.gz) gzip -n < "$T/rows" > "$f" ;;
	*) cp "$T/rows" "$f" ;;
	esac
	(cd "$H/in/$1" && sha256sum "r_$D.$2" > "r_$D.$2.sha256")
	cp "$f" "$T/orig-$1"
}
# ingested_once JOB EXT: 500 rows, one key, one ledger row, the backup
# holds the bytes as received, inbox and spool empty.
ingested_once() {
	[ "$(sqlite3 "$H/data/rx.db" "SELECT count(*) FROM t_$(tbl "$1")")" = 500 ] ||
	    fail "$1: rows"
	[ "$(sqlite3 "$H/data/rx.db" "SELECT count(*) FROM xfer_ingested \
WHERE job = '$1'")" = 1 ] || fail "$1: keys"
	[ "$(sql "SELECT state FROM receive_files WHERE job = '$1'")" = \
	    ingested ] || fail "$1: ledger: $(sql "SELECT * FROM receive_files \
WHERE job = '$1'")"
	cmp -s "$T/orig-$1" "$H/bk/$1/$D/r_$D.$2" || fail "$1: backup"
	[ -z "$(ls -A "$H/in/$1")" ] || fail "$1: inbox: $(ls -A "$H/in/$1")"
	[ -z "$(find "$H/spool/$1/in" -mindepth 1)" ] || fail "$1: spool in/"
}

# job | file | knobs | exit | message | the inbox keeps the file (yes/no) |
# the next run says.  Exit 0 rows: the fault is worked around.
while IFS='|' read -r j ext knobs want msg kept says; do
	[ -n "$j" ] || continue
	rjob "$j" "$ext"
	fault "$knobs" receive "$j"
	fired "$j"
	[ "$rc" -eq "$want" ] || fail "$j: exit $rc, not $want"
	err_has "$j" "$msg"
	if [ "$kept" = yes ]; then
		cmp -s "$T/orig-$j" "$H/in/$j/r_$D.$ext" &&
		    [ -f "$H/in/$j/r_$D.$ext.sha256" ] ||
		    fail "$j: the file and its manifest must stay in the inbox"
		[ -z "$(find "$H/spool/$j/in" -mindepth 1)" ] ||
		    fail "$j: token left in the spool"
		[ -z "$(sql "SELECT * FROM receive_files WHERE job = '$j'")" ] ||
		    fail "$j: ledger row for a file not picked up"
	fi
	run receive "$j"
	expect_rc 0
	err_has "$j" "$says"
	ingested_once "$j" "$ext"
done <<TABLE
r-fsync-in|csv|FAULT_EIO_FSYNC_PREFIX=$H/spool/r-fsync-in/in|1|cannot pick up 'r_$D.csv': cannot fsync directory '$H/spool/r-fsync-in/in/|yes|event=ingested
r-fsync-inbox|csv|FAULT_EIO_FSYNC_PREFIX=$H/in/r-fsync-inbox/ FAULT_EIO_SYNCFS_ANY=1|0|cannot fsync '$H/in/r-fsync-inbox/r_$D.csv': Input/output error; 'r_$D.csv' was copied into the spool instead|no|
r-exdev-inbox|csv|FAULT_EXDEV_PREFIX=$H/in/r-exdev-inbox|0|event=ingested|no|
r-exdev-full|csv|FAULT_EXDEV_PREFIX=$H/in/r-exdev-full FAULT_ENOSPC_PREFIX=$H/spool/r-exdev-full/in FAULT_ENOSPC_AFTER=4096|1|/r_$D.csv.xfer-tmp': No space left on device|yes|event=ingested
r-exdev-fsync|csv|FAULT_EXDEV_PREFIX=$H/in/r-exdev-fsync FAULT_EIO_FSYNC_PREFIX=$H/spool/r-exdev-fsync/in|1|/r_$D.csv.sha256.xfer-tmp': Input/output error|yes|event=ingested
r-exdev-close|csv|FAULT_EXDEV_PREFIX=$H/in/r-exdev-close FAULT_EIO_CLOSE_PREFIX=$H/spool/r-exdev-close/in|1|/r_$D.csv.sha256.xfer-tmp': Input/output error|yes|event=ingested
r-ledger-fsync|csv|FAULT_EIO_FSYNC_PREFIX=$H/spool/ledger.db|1|ledger '$H/spool/ledger.db': cannot commit: disk I/O error; the files picked up are recorded by the next run|no|found 'r_$D.csv' in the spool
r-target-fsync|csv|FAULT_EIO_FSYNC_PREFIX=$H/data/rx.db|1|database '$H/data/rx.db': |no|event=ingested
r-gz-full|csv.gz|FAULT_ENOSPC_PREFIX=$H/spool/r-gz-full/in FAULT_ENOSPC_AFTER=4096|1|/.plain.r_$D.csv': No space left on device|no|event=ingested
r-backup-exdev|csv|FAULT_EXDEV_PREFIX=$H/bk/r-backup-exdev|0|event=ingested|no|
r-backup-full|csv|FAULT_EXDEV_PREFIX=$H/bk/r-backup-full FAULT_ENOSPC_PREFIX=$H/bk/r-backup-full FAULT_ENOSPC_AFTER=4096|1|could not be moved to the backup: cannot write '$H/bk/r-backup-full/$D/r_$D.csv.xfer-tmp': No space left on device|no|event=ingested
r-backup-fsync|csv|FAULT_EIO_FSYNC_PREFIX=$H/bk/r-backup-fsync|1|could not be moved to the backup: cannot fsync directory '$H/bk/r-backup-fsync/$D': Input/output error|no|event=ingested
TABLE
integrity "$H/data/rx.db"

# Every fsync of a receive run fails in turn: the next run ingests the
# file once, and the inbox file is never lost on the way.  Exit 0 only
# where nothing is at stake: a file whose fsync failed before a move is
# copied instead (a new file, fsync'd), SQLite's directory syncs and
# checkpoints at exit, the metrics, and a manifest that cannot follow its
# file into the backup (a warning).
k=1
while [ "$k" -le 50 ]; do
	j=r-sync$k
	rjob "$j" csv
	fault "FAULT_EIO_FSYNC_PREFIX=$H/ FAULT_EIO_FSYNC_NTH=$k" receive "$j"
	[ -s "$T/flog" ] || break
	hit=$(cut -d' ' -f3- "$T/flog")
	case $rc in
	1) grep -E -q "Input/output error|disk I/O error" "$T/err" ||
	    fail "$j ($hit): no cause named" ;;
	0) case $hit in
	   "$H/in/$j/"*|"$H/spool/$j/in/"*|"$H/bk/$j/$D") ;;
	   "$H/spool"|"$H/spool/.metrics.prom"*|"$H/spool/ledger.db"*) ;;
	   "$H/data"|"$H/data/rx.db"*) ;;
	   *) fail "$j: exit 0 with a failed fsync of '$hit'" ;;
	   esac ;;
	*) fail "$j ($hit): exit $rc" ;;
	esac
	[ -f "$H/in/$j/r_$D.csv" ] || [ -n "$(find "$H/spool/$j/in" "$H/bk/$j" \
	    -name "r_$D.csv" 2>/dev/null)" ] || fail "$j ($hit): the file is lost"
	run receive "$j"
	expect_rc 0
	ingested_once "$j" csv
	k=$((k + 1))
done
echo "receive: each of $((k - 1)) fsyncs failed in turn"
[ "$k" -gt 10 ] || fail "only $((k - 1)) fsyncs in a receive run"
[ "$k" -le 50 ] || fail "more than 50 fsyncs in a receive run"
integrity "$H/data/rx.db"
integrity "$H/spool/ledger.db"

# The same sweep over a group: three files of three dates picked up
# together (one token, one sync pass, one ledger transaction), loaded in
# one SQLite transaction, backed up with one fsync of each directory.
# Whichever fsync (or syncfs) fails, no file is acknowledged on the
# strength of it: each is still in the inbox, the spool or the backup,
# and the next run leaves every one ingested once.
D2=$(date -u -d '2 days ago' +%F)
D3=$(date -u -d '3 days ago' +%F)
k=1
while [ "$k" -le 60 ]; do
	j=r-gsync$k
	rjob "$j" csv
	for d in "$D2" "$D3"; do
		sed "s/,$j\$/,$j-$d/" "$T/orig-$j" > "$H/in/$j/r_$d.csv"
		(cd "$H/in/$j" && sha256sum "r_$d.csv" > "r_$d.csv.sha256")
		cp "$H/in/$j/r_$d.csv" "$T/orig-$j-$d"
	done
	fault "FAULT_EIO_FSYNC_PREFIX=$H/ FAULT_EIO_FSYNC_NTH=$k" receive "$j"
	[ -s "$T/flog" ] || break
	hit=$(cut -d' ' -f1,3- "$T/flog")
	case $rc in
	0|1) ;;
	*) fail "$j ($hit): exit $rc" ;;
	esac
	[ "$rc" = 1 ] && ! grep -E -q "Input/output error|disk I/O error" "$T/err" &&
	    fail "$j ($hit): no cause named"
	for d in "$D" "$D2" "$D3"; do
		[ -f "$H/in/$j/r_$d.csv" ] || [ -n "$(find "$H/spool/$j/in" \
		    "$H/bk/$j" -name "r_$d.csv" 2>/dev/null)" ] ||
		    fail "$j ($hit): r_$d.csv is lost"
	done
	run receive "$j"
	expect_rc 0
	[ "$(sqlite3 "$H/data/rx.db" "SELECT count(*), count(DISTINCT k || v) FROM t_$(tbl "$j")")" = \
	    "1500|1500" ] || fail "$j ($hit): rows"
	[ "$(sqlite3 "$H/data/rx.db" "SELECT count(*) FROM xfer_ingested WHERE job = '$j'")" = 3 ] ||
	    fail "$j ($hit): keys"
	[ "$(sql "SELECT group_concat(state) FROM receive_files WHERE job = '$j'")" = \
	    "ingested,ingested,ingested" ] || fail "$j ($hit): ledger: $(sql \
	    "SELECT name, state, spool FROM receive_files WHERE job = '$j'")"
	cmp -s "$T/orig-$j" "$H/bk/$j/$D/r_$D.csv" &&
	    cmp -s "$T/orig-$j-$D2" "$H/bk/$j/$D2/r_$D2.csv" &&
	    cmp -s "$T/orig-$j-$D3" "$H/bk/$j/$D3/r_$D3.csv" ||
	    fail "$j ($hit): backups"
	[ -z "$(ls -A "$H/in/$j")" ] || fail "$j ($hit): inbox: $(ls -A "$H/in/$j")"
	[ -z "$(find "$H/spool/$j/in" -mindepth 1)" ] || fail "$j ($hit): spool in/"
	k=$((k + 1))
done
echo "receive, a group of 3: each of $((k - 1)) fsyncs failed in turn"
[ "$k" -gt 10 ] || fail "only $((k - 1)) fsyncs in a grouped receive run"
[ "$k" -le 60 ] || fail "more than 60 fsyncs in a grouped receive run"
integrity "$H/data/rx.db"
integrity "$H/spool/ledger.db"

# The failed area is in the spool: EXDEV there is a broken spool, a clear
# error, and the file stays in the spool for `rerun`.
rjob r-exdev-failed csv
sed -i 's/^table = .*/&\ncolumns = x, y/' "$H/jobs/r-exdev-failed.job"
fault "FAULT_EXDEV_PREFIX=$H/spool/r-exdev-failed/failed" receive r-exdev-failed
fired r-exdev-failed
expect_rc 1
expect_err "to '$H/spool/r-exdev-failed/failed/"
expect_err "Invalid cross-device link"
f=$(sql "SELECT spool FROM receive_files WHERE job = 'r-exdev-failed'")
cmp -s "$T/orig-r-exdev-failed" "$f" || fail "r-exdev-failed: lost '$f'"
run rerun --date "$D" r-exdev-failed
expect_rc 1
f=$(sql "SELECT spool FROM receive_files WHERE job = 'r-exdev-failed'")
case $f in "$H/spool/r-exdev-failed/failed/"*) ;; *) fail "not failed: $f" ;; esac
cmp -s "$T/orig-r-exdev-failed" "$f" || fail "r-exdev-failed: lost '$f'"

# Backups that xfer gzip's: a close or directory-fsync error there is a
# failed write, so no backup is kept under its name; the file stays in the
# spool and the next run writes the backup anew.
while IFS='|' read -r j knobs msg; do
	[ -n "$j" ] || continue
	rjob "$j" csv "compress = gzip"
	fault "$knobs" receive "$j"
	fired "$j"
	expect_rc 1
	err_has "$j" "$msg"
	[ -z "$(find "$H/bk/$j" -type f)" ] || fail "$j: an untrusted backup kept"
	run receive "$j"
	expect_rc 0
	gzip -dc "$H/bk/$j/$D/r_$D.csv.gz" | cmp -s - "$T/orig-$j" ||
	    fail "$j: backup"
	[ "$(sqlite3 "$H/data/rx.db" "SELECT count(*) FROM t_$(tbl "$j")")" = \
	    500 ] || fail "$j: rows"
	[ -z "$(find "$H/spool/$j/in" -mindepth 1)" ] || fail "$j: spool in/"
done <<TABLE
r-gz-close|FAULT_EIO_CLOSE_PREFIX=$H/bk/r-gz-close|cannot close '$H/bk/r-gz-close/$D/r_$D.csv.gz.xfer-tmp': Input/output error
r-gz-dirsync|FAULT_EIO_FSYNC_PREFIX=$H/bk/r-gz-dirsync FAULT_EIO_FSYNC_NTH=2|cannot fsync directory '$H/bk/r-gz-dirsync/$D': Input/output error
TABLE

# A FIFO where the manifest should be, in an inbox on another file system:
# refused with the reason, never waited on; both stay in the inbox.
rjob r-fifo csv
rm "$H/in/r-fifo/r_$D.csv.sha256"
mkfifo "$H/in/r-fifo/r_$D.csv.sha256"
fault "FAULT_EXDEV_PREFIX=$H/in/r-fifo" receive r-fifo
fired r-fifo
expect_rc 1
expect_err "cannot pick up 'r_$D.csv': cannot copy '$H/in/r-fifo/r_$D.csv.sha256': not a regular file"
[ -p "$H/in/r-fifo/r_$D.csv.sha256" ] && [ -f "$H/in/r-fifo/r_$D.csv" ] ||
    fail "r-fifo: the inbox changed"
[ -z "$(find "$H/spool/r-fifo/in" -mindepth 1)" ] || fail "r-fifo: spool in/"

# --- pulling over SFTP: the download into the spool, after_pull = move:DIR
# when the server's DIR is another file system ---------------------------
export SSHD_SFTP=external
start_sshd
unset SSHD_SFTP
chmod 600 "$SSHD_CLIENT_KEY"
# The SFTP session runs as the test user: it needs its own copy.
cp "$FAULTFS_SO" "$T/faultfs.so"
chmod 644 "$T/faultfs.so"
pjob() {	# pjob NAME [after_pull]
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
url = $SSHD_URL$SSHD_HOME/$1/
user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
pattern = r_{date}.csv
settle = 0s
require_manifest = yes
retries = 0
after_pull = ${2:-delete}
[ingest]
type = sqlite
database = data/rx.db
table = t_$(tbl "$1")
[backup]
path = bk/$1/{date}
JOB
	R="$SSHD_HOME/$1"
	mkdir -p "$R/done" "$H/in/$1"
	{
		echo 'k,v'
		seq 500 | sed "s/\$/,$1/"
	} > "$R/r_$D.csv"
	(cd "$R" && sha256sum "r_$D.csv" > "r_$D.csv.sha256")
	cp "$R/r_$D.csv" "$T/orig-$1"
	chown -R "$SSHD_USER" "$R" 2>/dev/null
}
# job | knobs (xfer's) | message | the next run says.  The remote file
# stays until our copy is durable.
while IFS='|' read -r j knobs msg says; do
	[ -n "$j" ] || continue
	pjob "$j"
	fault "$knobs" receive "$j"
	fired "$j"
	expect_rc 1
	err_has "$j" "$msg"
	err_has "$j" "the next run tries again"
	[ -f "$SSHD_HOME/$j/r_$D.csv" ] && [ -f "$SSHD_HOME/$j/r_$D.csv.sha256" ] ||
	    fail "$j: removed from the server"
	[ -z "$(find "$H/spool/$j/in" -mindepth 1)" ] || fail "$j: spool in/"
	run receive "$j"
	expect_rc 0
	err_has "$j" "$says"
	ingested_once "$j" csv
	[ ! -e "$SSHD_HOME/$j/r_$D.csv" ] || fail "$j: not deleted at the source"
done <<TABLE
p-fsync|FAULT_EIO_FSYNC_PREFIX=$H/spool/p-fsync/in FAULT_EIO_FSYNC_NTH=2|cannot fsync '$H/spool/p-fsync/in/|event=ingested
p-fsync-dir|FAULT_EIO_FSYNC_PREFIX=$H/spool/p-fsync-dir/in FAULT_EIO_FSYNC_NTH=3|cannot fsync directory '$H/spool/p-fsync-dir/in/|event=ingested
p-full|FAULT_ENOSPC_PREFIX=$H/spool/p-full/in FAULT_ENOSPC_AFTER=4096|/.download.r_$D.csv': No space left on device|event=ingested
p-close|FAULT_EIO_CLOSE_PREFIX=$H/spool/p-close/in|': Input/output error|event=ingested
TABLE
# after_pull = move:done, done/ on another file system at the server:
# OpenSSH's link and rename both fail, so the move fails after the file
# is safe with us.  A warning; the next run gets the file again, knows
# its bytes (a duplicate, not ingested twice) and moves it.
pjob p-move move:done
printf 'LD_PRELOAD=%s\nFAULT_EXDEV_PREFIX=%s\n' "$T/faultfs.so" \
    "$SSHD_HOME/p-move/done" > "$SSHD_SFTP_ENV"
chmod 644 "$SSHD_SFTP_ENV"
run receive p-move
rm -f "$SSHD_SFTP_ENV"
expect_rc 0
expect_err "'r_$D.csv' was received but could not be moved at the source"
[ -f "$SSHD_HOME/p-move/r_$D.csv" ] || fail "p-move: moved"
run receive p-move
expect_rc 0
expect_err "already ingested"
[ -f "$SSHD_HOME/p-move/done/r_$D.csv" ] && [ ! -e "$SSHD_HOME/p-move/r_$D.csv" ] ||
    fail "p-move: not moved"
[ "$(sqlite3 "$H/data/rx.db" "SELECT count(*) FROM t_p_move")" = 500 ] ||
    fail "p-move: rows"
[ "$(sql "SELECT group_concat(state) FROM receive_files WHERE job = 'p-move'")" = \
    "ingested,duplicate" ] || fail "p-move: ledger"
integrity "$H/data/rx.db"
integrity "$H/spool/ledger.db"
