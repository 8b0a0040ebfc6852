# Hostile-input catalogue (issue 6, item 5): one row per case, each with
# its setup, the xfer command, the exit status and a fragment of the
# message it must print, and an invariant that must hold afterwards
# (nothing ingested or sent, the file left alone or in the failed area
# with its reason, nothing written outside the spool, memory bounded).
# The loop at the end runs the rows in order, each in a fresh home, and
# prints "ok CASE"; a failure names the case.  Every run of xfer is also
# checked for sanitizer reports, and bounded in time (a hang fails).
#
# Several cases are also tested where their feature is (t_bad_input.sh,
# t_receive.sh, t_receive_more.sh, t_config.sh, unit tests); this table is
# the one place that lists them all.  Hostile names in remote listings
# (SFTP, HTTPS) are covered by tests/unit/test_listing.c and
# t_receive_pull.sh.
. "$(dirname "$0")/lib.sh"
umask 022
D=2026-11-24

# The 2 GB line runs on the plain build, where the memory bound is checked;
# under ASan (huge virtual memory, slow) a 256 MiB line makes the same point
# (the limit is 64 MiB).
if grep -q -a __asan_init "$XFER_BIN"; then
	ASAN=1
	BIGLINE=268435456
else
	ASAN=0
	BIGLINE=2147483648
fi

# --- runners: each sets $rc and leaves the output in $T/out, $T/err -------

# xfer in the case's home, killed if it hangs.
xx() {
	timeout -k 5 120 "$XFER_BIN" --home "$H" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -ne 124 ] || fail "$CASE: xfer hung"
	no_sanitizer_report
}

# With stdin, stdout and stderr closed, as some daemons start cron jobs.
# A sanitizer would have nowhere to report: it writes to files instead.
xclosed() {
	ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T/san.$CASE" \
	    UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$T/san.$CASE" \
	    timeout -k 5 120 "$XFER_BIN" --home "$H" "$@" <&- >&- 2>&-
	rc=$?
	: >"$T/out"
	: >"$T/err"
	! ls "$T/san.$CASE".* >/dev/null 2>&1 || { cat "$T/san.$CASE".*; fail "$CASE: sanitizer report"; }
}

# cron's environment: nothing but PATH (the sanitizer settings are the
# test harness's, not the program's environment).
xcron() {
	env -i PATH=/usr/bin:/bin ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${LSAN_OPTIONS:+"LSAN_OPTIONS=$LSAN_OPTIONS"} \
	    ${UBSAN_OPTIONS:+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
	    timeout -k 5 120 "$XFER_BIN" --home "$H" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	no_sanitizer_report
}

xumask() {
	old=$(umask)
	umask 000
	xx "$@"
	umask "$old"
}

# The plain build runs under a 400 MB address-space limit (a reader that
# kept a 2 GB line would fail with "out of memory" instead of the data
# error), and its peak resident size is recorded in $PEAK_KB.
xmem() {
	PEAK_KB=0
	if [ "$ASAN" -eq 1 ]; then
		xx "$@"
		return
	fi
	python3 - "$T/peak" "$XFER_BIN" --home "$H" "$@" >"$T/out" 2>"$T/err" <<'PY'
import resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))
try:
    rc = subprocess.run(sys.argv[2:], preexec_fn=limit, timeout=300).returncode
except subprocess.TimeoutExpired:
    rc = 124
with open(sys.argv[1], "w") as f:
    f.write("%d %d\n" % (rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
	read -r rc PEAK_KB <"$T/peak"
	[ "$rc" -ne 124 ] || fail "$CASE: xfer hung"
	no_sanitizer_report
}

# --- fixtures ---------------------------------------------------------------

# A string of N copies of the character C.
rep() {
	printf "%$1s" "" | tr ' ' "$2"
}

# rjob [INBOX-LINES [MORE-SECTIONS]]: receive job "rx", inbox/ into
# table t of data/rx.db; $PAT is the pattern (default: everything),
# $SETTLE the settle time (default: none).
rjob() {
	job rx <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
path = inbox
pattern = ${PAT:-*}
settle = ${SETTLE:-0s}
max_size = 64M
${1:-}
[ingest]
type = sqlite
database = data/rx.db
table = t
${2:-}
JOB
}

# sjob SOURCE-LINES [MORE-LINES]: send job "sx" to the directory out/;
# MORE-LINES are sections after [output] (aggregate, output keys); $ONAME
# is the output name (default: sx_{date}.csv).
sjob() {
	oname=$ONAME
	[ -n "$oname" ] || oname='sx_{date}.csv'
	job sx <<JOB
[job]
direction = send
timezone = UTC
[source]
$1
[output]
name = $oname
${2:-}
[upload]
url = out
retries = 0
JOB
}

csv_in() {	# the send job reads data/in.csv, written from printf's format
	# shellcheck disable=SC2059
	printf "$1" >"$H/data/in.csv"
	sjob "type = csv
path = data/in.csv" "${2:-}"
}

jsonl_in() {
	# shellcheck disable=SC2059
	printf "$1" >"$H/data/in.jsonl"
	sjob "type = jsonl
path = data/in.jsonl" "${2:-}"
}

inbox() {	# inbox NAME FORMAT: a file in the inbox, from printf's format
	# shellcheck disable=SC2059
	printf "$2" >"$H/inbox/$1"
}

repeat() {	# repeat N FILE: FILE N times over, on stdout
	k=0
	while [ "$k" -lt "$1" ]; do
		cat "$2"
		k=$((k + 1))
	done
}

flip() {	# flip FILE OFFSET: invert one byte
	python3 -c '
import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[o] ^= 0xff
open(p, "wb").write(b)' "$1" "$2"
}

# --- invariants -------------------------------------------------------------

rows() {	# rows N: table t of data/rx.db holds N rows (no table: 0)
	got=$(sqlite3 "$H/data/rx.db" "SELECT count(*) FROM t" 2>/dev/null || echo 0)
	[ "$got" = "$1" ] || { echo "rows: $got, want $1"; return 1; }
}

left() {	# left NAME...: still in the inbox, as it was
	for n in "$@"; do
		[ -e "$H/inbox/$n" ] || [ -L "$H/inbox/$n" ] ||
		    { echo "not left in the inbox: $n"; return 1; }
	done
}

inbox_empty() {
	[ -z "$(ls -A "$H/inbox")" ] || { ls -A "$H/inbox"; return 1; }
}

# failed NAME: in the failed area with its reason beside it (NAME.error,
# or .error for a name too long for that), failed in the ledger, nothing
# ingested, the inbox empty.
failed() {
	f=$(find "$H/spool/rx/failed" -type f -name "$1" 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "not in the failed area: $1"; return 1; }
	d=$(dirname "$f")
	[ -s "$d/$1.error" ] || [ -s "$d/.error" ] || { echo "no reason beside $f"; return 1; }
	[ "$(sql "SELECT state FROM receive_files WHERE job='rx'")" = failed ] ||
	    { echo "ledger: $(sql "SELECT state FROM receive_files")"; return 1; }
	rows 0 && inbox_empty
}

# nosend: the send batch failed, nothing delivered, nothing half-written.
nosend() {
	[ "$(sql "SELECT state FROM send_batches WHERE job='sx'")" = failed ] ||
	    { echo "ledger: $(sql "SELECT state FROM send_batches")"; return 1; }
	[ -z "$(ls -A "$H/out" 2>/dev/null)" ] || { echo "delivered: $(ls "$H/out")"; return 1; }
	[ -z "$(find "$H/spool/sx/out" "$H/spool/sx/tmp" -mindepth 1 2>/dev/null)" ] ||
	    { echo "spool leftovers"; return 1; }
}

sent() {	# sent NAME: delivered, and sent in the ledger
	[ -f "$H/out/$1" ] || { echo "not delivered: $1"; return 1; }
	[ "$(sql "SELECT state FROM send_batches WHERE job='sx'")" = sent ]
}

took_less() {	# took_less S: the command took less than S seconds
	[ "$took" -lt "$1" ] || { echo "took ${took}s"; return 1; }
}

json_doc() {	# FILE is one JSON document in strict UTF-8
	python3 -c '
import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1"
}

json_lines() {	# every line of FILE is a JSON value in strict UTF-8
	python3 -c '
import json, sys
for l in open(sys.argv[1], "rb"):
    if l.strip():
        json.loads(l.decode("utf-8"))' "$1"
}

# nothing_outside NAME [FIND-ARGS]: no file NAME under $T but in the spool
# and the inbox (or where FIND-ARGS allow).
nothing_outside() {
	name=$1
	shift
	[ -z "$(find "$T" -name "$name" -not -path "$H/spool/*" -not -path "$H/inbox/*" "$@")" ] ||
	    { find "$T" -name "$name"; return 1; }
}

# --- setups: one per case, named s_CASE -------------------------------------

s_name_dot_dot_like() {
	rjob
	inbox ..x.csv 'k,v\n1,a\n'
	inbox '...csv' 'k,v\n1,a\n'
	inbox good.csv 'k,v\n2,b\n'
}
s_name_newline() {
	rjob
	NL_NAME=$(printf 'a\nb.csv')
	inbox "$NL_NAME" 'k,v\n1,a\n'
}
s_name_leading_dash() {
	rjob
	inbox -rf.csv 'k,v\n1,a\n'
}
s_name_255_bytes() {
	rjob
	N255=$(rep 251 a).csv
	inbox "$N255" 'k,v\n1,a\n'
}
s_name_255_bytes_bad() {
	rjob
	N255=$(rep 251 b).csv
	inbox "$N255" 'k,v\n1,"a\n'
}
s_name_255_bytes_gz() {
	rjob "" "[backup]
compress = gzip"
	N255=$(rep 248 c).csv.gz
	printf 'k,v\n1,a\n' | gzip -c >"$H/inbox/$N255"
}
s_name_255_bytes_gz_backup() {
	rjob "" "[backup]
compress = gzip"
	N255=$(rep 251 d).csv
	inbox "$N255" 'k,v\n1,a\n'
}
s_name_pattern_over_255() {
	PAT="$(rep 250 p)_{date}.csv"
	rjob
}
s_name_output_over_240() {
	ONAME="$(rep 240 o)_{date}.csv"
	csv_in 'k\n1\n'
}
s_name_invalid_utf8() {
	rjob
	BAD_NAME=$(printf 'bad\377\376.csv')
	inbox "$BAD_NAME" 'k,v\n1,a\n'
}
s_name_percent_encoded() {
	rjob
	inbox '%2e%2e%2fpct.csv' 'k,v\n1,a\n'
}
s_inbox_symlink() {
	rjob
	printf 'k,v\n1,a\n' >"$O/outside.csv"
	ln -s "$O/outside.csv" "$H/inbox/link.csv"
}
s_inbox_hard_link() {
	rjob
	printf 'k,v\n1,a\n' >"$O/outside.csv"
	ln "$O/outside.csv" "$H/inbox/hard.csv"
}
s_inbox_fifo() {
	rjob
	mkfifo "$H/inbox/fifo.csv"
}
s_inbox_directory() {
	rjob
	mkdir "$H/inbox/dir.csv"
	inbox dir.csv/inner.csv 'k,v\n1,a\n'
}
s_inbox_still_written() {
	SETTLE=1h
	rjob
	inbox fresh.csv 'k,v\n1,a\n'
}
s_truncated_csv() {
	rjob
	inbox cut.csv 'k,v\n1,a\n2,"b and then noth'
}
s_truncated_gzip() {
	rjob
	seq 1 20000 | sed 's/$/,x/;1s/^/k,v\n/' | gzip -c >"$O/full.gz"
	n=$(wc -c <"$O/full.gz")
	head -c $((n / 2)) "$O/full.gz" >"$H/inbox/cut.csv.gz"
}
s_bit_flipped_gzip() {
	rjob
	seq 1 20000 | sed 's/$/,x/;1s/^/k,v\n/' | gzip -c >"$H/inbox/flip.csv.gz"
	flip "$H/inbox/flip.csv.gz" 200
}
s_bit_flipped_csv() {
	rjob
	inbox flip.csv 'k,v\n1,a\n2,b\n'
	(cd "$H/inbox" && sha256sum flip.csv >flip.csv.sha256)
	flip "$H/inbox/flip.csv" 6
}
s_manifest_other_file() {
	rjob
	inbox m.csv 'k,v\n1,a\n'
	echo "$(sha256sum <"$H/inbox/m.csv" | cut -c1-64)  other.csv" >"$H/inbox/m.csv.sha256"
}
s_manifest_garbage() {
	rjob
	inbox m.csv 'k,v\n1,a\n'
	echo 'not a checksum' >"$H/inbox/m.csv.sha256"
}
s_manifest_fifo() {
	rjob
	inbox m.csv 'k,v\n1,a\n'
	mkfifo "$H/inbox/m.csv.sha256"
}
s_manifest_symlink() {
	rjob
	inbox m.csv 'k,v\n1,a\n'
	(cd "$H/inbox" && sha256sum m.csv >"$O/m.csv.sha256")
	ln -s "$O/m.csv.sha256" "$H/inbox/m.csv.sha256"
}
s_manifest_wrong_count() {
	rjob
	inbox m.csv 'k,v\n1,a\n'
	printf '{"sha256":"%s","records":5}\n' \
	    "$(sha256sum <"$H/inbox/m.csv" | cut -c1-64)" >"$H/inbox/m.csv.manifest.json"
}
s_csv_unbalanced_quote() {
	csv_in 'k,amount\na,1\nb,"2\nc,3\n'
}
s_csv_ragged_row() {
	csv_in 'k,amount\na,1\nb,2,3\n'
}
s_csv_duplicate_header() {
	csv_in 'k,amount,k\na,1,b\n'
}
s_csv_nul_byte() {
	csv_in 'k,amount\na,1\nb,2\000x\n'
}
s_csv_nul_byte_received() {
	rjob
	inbox nul.csv 'k,v\n1,a\000b\n'
}
s_csv_invalid_utf8_to_csv() {
	csv_in 'k,amount\n\377\376x,1\n'
}
s_csv_invalid_utf8_to_json() {
	ONAME='sx_{date}.json'
	csv_in 'k,amount\n\377\376x,1\n' "format = json"
}
s_csv_100mb_field() {
	{ printf 'k,amount\n'; head -c 104857600 /dev/zero | tr '\0' a; printf ',1\n'; } >"$H/data/in.csv"
	sjob "type = csv
path = data/in.csv"
}
s_csv_2gb_line() {
	sjob "type = command
format = csv
command = sh -c \"head -c $BIGLINE /dev/zero | tr '\\\\0' a\""
}
s_csv_2gb_line_of_fields() {
	sjob "type = command
format = csv
command = sh -c \"printf 'k,amount\\\\n'; head -c $BIGLINE /dev/zero | tr '\\\\0' ,\""
}
deep() {	# deep N: N '[' then N ']'
	python3 -c 'import sys; n = int(sys.argv[1]); sys.stdout.write("[" * n + "]" * n)' "$1"
}
s_jsonl_million_deep() {
	{ printf '{"k":"a","amount":'; deep 1000000; printf '}\n'; } >"$H/data/in.jsonl"
	sjob "type = jsonl
path = data/in.jsonl"
}
s_json_million_deep_received() {
	rjob
	{ printf '[{"k":"a","v":'; deep 1000000; printf '}]\n'; } >"$H/inbox/deep.json"
}
s_jsonl_1e400_sum() {
	jsonl_in '{"k":"a","amount":1e400}\n' "[aggregate]
group_by = k
sum = amount"
}
s_amount_needs_rounding() {	# rounding = error: refused, nothing sent
	csv_in 'k,amount\na,1.10\na,0.015\n' "[aggregate]
group_by = k
sum = amount
scale = 2
rounding = error"
}
s_amount_negative_zero() {	# rounds to 0: never "-0.00"
	csv_in 'k,amount\na,-0.004\n' "[aggregate]
group_by = k
sum = amount
scale = 2"
}
s_amount_huge_at_scale_18() {	# 36 + 18 digits: nothing overflows
	csv_in 'k,amount\na,170141183460469231731687303715884105.727\n' "[aggregate]
group_by = k
max = amount
scale = 18"
}
s_jsonl_1e400_passed_on() {
	jsonl_in '{"k":"a","amount":1e400}\n'
}
s_jsonl_trailing_garbage() {
	jsonl_in '{"k":"a","amount":1}\n{"k":"b","amount":2} x\n'
}
s_json_trailing_garbage_received() {
	rjob
	inbox t.json '[{"k":"1","v":"a"}] x\n'
}
zipit() {	# zipit ZIP KIND...: python's zipfile builds the hostile entries
	python3 - "$@" <<'PY'
import sys, zipfile
path, kinds = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(path, "w") as z:
    for k in kinds:
        name, _, what = k.partition("=")
        if what.startswith("link:"):
            zi = zipfile.ZipInfo(name)
            zi.create_system = 3
            zi.external_attr = 0o120777 << 16
            z.writestr(zi, what[5:])
        elif what.startswith("file:"):
            z.write(what[5:], name)
        else:
            z.writestr(name, "k,v\n1,evil\n")
PY
}
s_zip_slip_dotdot() {
	rjob
	zipit "$H/inbox/slip.csv.zip" ../../evil_dotdot.csv
}
s_zip_slip_absolute() {
	rjob
	zipit "$H/inbox/abs.csv.zip" "$O/evil_abs.csv"
}
s_zip_symlink_then_write() {
	rjob
	mkdir "$O/target"
	zipit "$H/inbox/ln.csv.zip" "d=link:$O/target" d/evil_link.csv
}
s_tar_hard_link_in_gzip() {
	rjob
	mkdir "$O/tar"
	printf 'k,v\n1,a\n' >"$O/tar/a.csv"
	ln "$O/tar/a.csv" "$O/tar/evil_hard.csv"
	tar -C "$O/tar" -czf "$H/inbox/hl.csv.gz" a.csv evil_hard.csv
}
s_tar_hard_link_named_zip() {
	rjob
	mkdir "$O/tar"
	printf 'k,v\n1,a\n' >"$O/tar/a.csv"
	ln "$O/tar/a.csv" "$O/tar/evil_hard.csv"
	tar -C "$O/tar" -cf "$H/inbox/hl.csv.zip" a.csv evil_hard.csv
}
s_gzip_10gb_of_zeros() {
	rjob
	# 160 members of 64 MiB each: 10 GiB unpacked from 10 MB, built in
	# a second; the first member alone is exactly max_size.
	head -c 67108864 /dev/zero | gzip -c >"$O/m.gz"
	repeat 16 "$O/m.gz" >"$O/m16.gz"
	repeat 10 "$O/m16.gz" >"$H/inbox/bomb.csv.gz"
	rm -f "$O/m.gz" "$O/m16.gz"
}
s_zip_inside_zip() {
	rjob
	printf 'k,v\n1,a\n' >"$O/in.csv"
	zipit "$O/inner.zip" "in.csv=file:$O/in.csv"
	zipit "$H/inbox/outer.csv.zip" "inner.zip=file:$O/inner.zip"
}
s_gzip_inside_gzip() {
	rjob
	printf 'k,v\n1,a\n' | gzip -c | gzip -c >"$H/inbox/twice.csv.gz"
}
s_expect_not_a_time() {
	PAT='rx_{date}.csv'
	rjob "expect = 6am"
}
s_expect_dateless_pattern() {
	rjob "expect = 06:00"
}
# The partner sends an old date again instead of the one expected.
s_expect_old_file_only() {
	PAT='rx_{date}.csv'
	rjob "expect = 00:00"
	inbox rx_2026-11-22.csv 'k,v\n1,a\n'
}
s_job_typos() {
	csv_in 'k\n1\n'
	job typo <<'JOB'
[job]
direction = send
[sourse]
type = csv
path = data/in.csv
[output]
nmae = t_{date}.csv
[upload]
url = out
retires = 3
JOB
}
keyjob() {	# keyjob KEY-LINES: an SFTP send job; nothing listens on port 1
	printf 'k\n1\n' >"$H/data/in.csv"
	job sx <<JOB
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = sx_{date}.csv
[upload]
url = sftp://127.0.0.1:1/in/
known_hosts = $H/data/known_hosts
retries = 0
$1
JOB
	: >"$H/data/known_hosts"
}
s_key_readable_by_group() {
	printf 'key\n' >"$H/data/key"
	chmod 640 "$H/data/key"
	keyjob "identity = $H/data/key"
}
s_key_readable_by_group_send() {
	s_key_readable_by_group
}
s_password_readable_by_group() {
	printf 'secret\n' >"$H/data/pass"
	chmod 604 "$H/data/pass"
	keyjob "password_file = $H/data/pass"
}
s_job_file_symlink() {
	csv_in 'k\n1\n'
	mkdir -m 755 "$H/conf"
	mv "$H/jobs/sx.job" "$H/conf/sx.job"
	ln -s ../conf/sx.job "$H/jobs/sx.job"
}
s_job_file_symlink_into_world_writable() {
	s_job_file_symlink
	chmod 777 "$H/conf"
}
s_job_file_world_writable() {
	csv_in 'k\n1\n'
	chmod 666 "$H/jobs/sx.job"
}
s_jobs_dir_world_writable() {
	csv_in 'k\n1\n'
	chmod 777 "$H/jobs"
}
s_job_file_fifo() {
	csv_in 'k\n1\n'
	mkfifo "$H/jobs/fifo.job"
}
s_conf_symlink() {
	csv_in 'k\n1\n'
	mkdir -m 755 "$H/conf"
	printf '[xfer]\nlog_format = json\n' >"$H/conf/xfer.conf"
	ln -s conf/xfer.conf "$H/xfer.conf"
}
s_conf_world_writable() {
	csv_in 'k\n1\n'
	printf '[xfer]\nlog_format = json\n' >"$H/xfer.conf"
	chmod 666 "$H/xfer.conf"
}
s_fds_closed() {
	csv_in 'k,amount\na,1\n' "manifest = sha256"
	rjob "" "[backup]
compress = gzip"
	inbox r.csv 'k,v\n1,a\n'
}
s_umask_000() {
	s_fds_closed
}
s_cron_environment() {
	s_fds_closed
}

fds_closed_ok() {
	xx status
	if ! grep -q "^sx  *$D  *send  *sent" "$T/out" ||
	    ! grep -q "^rx .* receive  *ingested" "$T/out"; then
		cat "$T/out"
		return 1
	fi
	printf 'k,amount\na,1\n' | cmp -s - "$H/out/sx_$D.csv" || { echo "delivered bytes"; return 1; }
	(cd "$H/out" && sha256sum -c --quiet "sx_$D.csv.sha256") || return 1
	rows 1 || return 1
	# Nothing xfer meant for stdout or stderr went into a file it opened.
	! grep -r -l -a -e 'event=' -e 'xfer:' "$H/out" "$H/spool" "$H/data" ||
	    { echo "log text in a file"; return 1; }
}

# --- the table ----------------------------------------------------------------
# case | setup | command | exit | stderr fragment (- none) | invariant

ncases=0
while IFS='|' read -r CASE setup cmd want msg inv <&3; do
	case "$CASE" in '' | '#'*) continue ;; esac
	# T_HOSTILE_ONLY=GLOB runs only the matching cases (to work on one).
	# shellcheck disable=SC2254
	case "$CASE" in ${T_HOSTILE_ONLY:-*}) ;; *) continue ;; esac
	H="$T/$CASE"
	O="$T/o.$CASE"	# the world outside the home
	mkdir "$O"
	PAT=
	ONAME=
	SETTLE=
	PEAK_KB=
	mkdir -p "$H/jobs" "$H/data" "$H/inbox" "$H/spool"
	chmod 755 "$H/spool"
	$setup || fail "$CASE: setup"
	started=$(date +%s)
	eval "$cmd"
	took=$(($(date +%s) - started))
	[ "$rc" -eq "$want" ] || fail "$CASE: expected exit $want, got $rc"
	[ "$msg" = - ] || grep -F -q -- "$msg" "$T/err" || fail "$CASE: stderr lacks: $msg"
	if [ -n "$inv" ]; then
		eval "$inv" >"$T/inv" 2>&1 || { cat "$T/inv"; fail "$CASE: invariant: $inv"; }
	fi
	if [ "${PEAK_KB:-0}" -gt 0 ]; then
		echo "ok $CASE (peak resident size $PEAK_KB KB)"
	else
		echo "ok $CASE"
	fi
	ncases=$((ncases + 1))
	rm -rf "$H" "$O"
done 3<<'ROWS'
# Partner file names in a local inbox.  "../x" and "/x" cannot be names in
# a directory; these are the names that look like them or break tools.
name_dot_dot_like|s_name_dot_dot_like|xx receive|0|-|left ..x.csv ...csv && rows 1
name_newline|s_name_newline|xx receive|0|not a plain file name|left "$NL_NAME" && rows 0
name_leading_dash|s_name_leading_dash|xx receive|0|not a plain file name|left -rf.csv && rows 0
name_255_bytes|s_name_255_bytes|xx receive|0|-|rows 1 && inbox_empty && [ "$(sql "SELECT name FROM receive_files")" = "$N255" ] && [ -z "$(find "$H/spool/rx/in" -type f)" ] && [ -n "$(find "$H/spool/rx/backup" -type f)" ]
name_255_bytes_bad|s_name_255_bytes_bad|xx receive|1|unterminated quoted field|failed "$N255"
name_255_bytes_gz|s_name_255_bytes_gz|xx receive|0|-|rows 1 && inbox_empty && [ -z "$(find "$H/spool/rx/in" -type f)" ]
name_255_bytes_gz_backup|s_name_255_bytes_gz_backup|xx receive|0|-|rows 1 && ! grep -q backup "$T/err" && [ -z "$(find "$H/spool/rx/in" -type f)" ] && [ -n "$(find "$H/spool/rx/backup" -name '*.gz')" ]
name_pattern_over_255|s_name_pattern_over_255|xx check rx|78|no file can have one|
name_output_over_240|s_name_output_over_240|xx send --date $D sx|78|at most 240 are possible|[ ! -e "$H/out" ]
name_invalid_utf8|s_name_invalid_utf8|xx --log-format json receive|0|\ufffd|rows 1 && json_lines "$T/err" && xx status --json && json_doc "$T/out"
name_percent_encoded|s_name_percent_encoded|xx receive|0|-|rows 1 && [ -n "$(find "$H/spool/rx/backup" -name '%2e%2e%2fpct.csv')" ] && nothing_outside pct.csv
# Things in the inbox that are not plain files, or not ready, or damaged.
inbox_symlink|s_inbox_symlink|xx receive|0|is a symbolic link|left link.csv && rows 0 && [ "$(cat "$O/outside.csv")" = "$(printf 'k,v\n1,a')" ]
inbox_hard_link|s_inbox_hard_link|xx receive|0|a file with several hard links|left hard.csv && rows 0 && [ -f "$O/outside.csv" ]
inbox_fifo|s_inbox_fifo|xx receive|0|not a regular file|[ -p "$H/inbox/fifo.csv" ] && rows 0
inbox_directory|s_inbox_directory|xx receive|0|is a directory|left dir.csv/inner.csv && rows 0
inbox_still_written|s_inbox_still_written|xx -v receive|0|changed less than 3600s ago|left fresh.csv && rows 0 && touch -d '2 hours ago' "$H/inbox/fresh.csv" && xx receive && [ "$rc" -eq 0 ] && rows 1
truncated_csv|s_truncated_csv|xx receive|1|cut.csv:3: unterminated quoted field|failed cut.csv
truncated_gzip|s_truncated_gzip|xx receive|1|'cut.csv.gz' is truncated or corrupt|failed cut.csv.gz && [ -z "$(find "$H/spool" -name '.plain*')" ]
bit_flipped_gzip|s_bit_flipped_gzip|xx receive|1|'flip.csv.gz' is truncated or corrupt|failed flip.csv.gz
bit_flipped_csv|s_bit_flipped_csv|xx receive|1|checksum mismatch|failed flip.csv
manifest_other_file|s_manifest_other_file|xx receive|1|is for 'other.csv', not for 'm.csv'|failed m.csv
manifest_garbage|s_manifest_garbage|xx receive|1|does not start with a SHA-256|failed m.csv
manifest_fifo|s_manifest_fifo|xx receive|1|m.csv.sha256' is not a regular file|failed m.csv
manifest_symlink|s_manifest_symlink|xx receive|1|m.csv.sha256' is a symbolic link|failed m.csv
manifest_wrong_count|s_manifest_wrong_count|xx receive|1|has 1 record, its manifest says 5|failed m.csv
# CSV (send side unless named received; the receiving side reads CSV
# through the same reader).
csv_unbalanced_quote|s_csv_unbalanced_quote|xx send --date $D sx|1|in.csv:3: unterminated quoted field|nosend
csv_ragged_row|s_csv_ragged_row|xx send --date $D sx|1|in.csv:3: record has 3 fields, header has 2|nosend
csv_duplicate_header|s_csv_duplicate_header|xx send --date $D sx|1|in.csv:1: duplicate field name 'k' in header|nosend
csv_nul_byte|s_csv_nul_byte|xx send --date $D sx|1|in.csv:3: NUL byte in field|nosend
csv_nul_byte_received|s_csv_nul_byte_received|xx receive|1|nul.csv:2: NUL byte in field|failed nul.csv
csv_invalid_utf8_to_csv|s_csv_invalid_utf8_to_csv|xx send --date $D sx|0|-|sent sx_$D.csv && cmp "$H/data/in.csv" "$H/out/sx_$D.csv"
csv_invalid_utf8_to_json|s_csv_invalid_utf8_to_json|xx send --date $D sx|1|is not valid UTF-8|nosend
csv_100mb_field|s_csv_100mb_field|xx send --date $D sx|1|in.csv:2: field longer than 67108864 bytes|nosend && took_less 10
csv_2gb_line|s_csv_2gb_line|xmem send --date $D sx|1|:1: field longer than 67108864 bytes|nosend && [ "$PEAK_KB" -lt 204800 ]
csv_2gb_line_of_fields|s_csv_2gb_line_of_fields|xmem send --date $D sx|1|:2: record has more than 65536 fields, header has 2|nosend && [ "$PEAK_KB" -lt 204800 ]
# JSON Lines and JSON.
jsonl_million_deep|s_jsonl_million_deep|xx send --date $D sx|1|in.jsonl:1: invalid JSON at byte 82: nesting too deep|nosend
json_million_deep_received|s_json_million_deep_received|xx receive|1|nesting too deep|failed deep.json
jsonl_1e400_sum|s_jsonl_1e400_sum|xx send --date $D sx|1|value '1e400' in 'amount' is too large or too precise for an exact decimal sum|nosend
amount_needs_rounding|s_amount_needs_rounding|xx send --date $D sx|1|column 'amount' of group k='a': value 1.115 has more than 2 decimals and rounding = error refuses to round it|nosend
amount_negative_zero|s_amount_negative_zero|xx send --date $D sx|0|-|sent sx_$D.csv && [ "$(cat "$H/out/sx_$D.csv")" = "$(printf 'k,amount\na,0.00')" ]
amount_huge_at_scale_18|s_amount_huge_at_scale_18|xx send --date $D sx|0|-|sent sx_$D.csv && [ "$(cat "$H/out/sx_$D.csv")" = "$(printf 'k,max_amount\na,170141183460469231731687303715884105.727000000000000000')" ]
jsonl_1e400_passed_on|s_jsonl_1e400_passed_on|xx send --date $D sx|0|-|sent sx_$D.csv && [ "$(cat "$H/out/sx_$D.csv")" = "$(printf 'k,amount\na,1e400')" ]
jsonl_trailing_garbage|s_jsonl_trailing_garbage|xx send --date $D sx|1|in.jsonl:2: invalid JSON at byte 22|nosend
json_trailing_garbage_received|s_json_trailing_garbage_received|xx receive|1|t.json:1: invalid JSON at byte 21: text after the array|failed t.json
# Archives: only one plain file is ever taken out, never by its own name.
zip_slip_dotdot|s_zip_slip_dotdot|xx receive|1|zip entry '../../evil_dotdot.csv' is not a plain file name|failed slip.csv.zip && nothing_outside evil_dotdot.csv
zip_slip_absolute|s_zip_slip_absolute|xx receive|1|evil_abs.csv' is not a plain file name|failed abs.csv.zip && nothing_outside evil_abs.csv
zip_symlink_then_write|s_zip_symlink_then_write|xx receive|1|zip entry 'd' is a symbolic link|failed ln.csv.zip && [ -z "$(ls -A "$O/target")" ] && nothing_outside evil_link.csv
tar_hard_link_in_gzip|s_tar_hard_link_in_gzip|xx receive|1|NUL byte in field|failed hl.csv.gz && nothing_outside evil_hard.csv -not -path "$O/tar/*"
tar_hard_link_named_zip|s_tar_hard_link_named_zip|xx receive|1|'hl.csv.zip' is not a zip file|failed hl.csv.zip
gzip_10gb_of_zeros|s_gzip_10gb_of_zeros|xx receive|1|'bomb.csv.gz' unpacks to more than 67108864 bytes (max_size); refused as a possible archive bomb|failed bomb.csv.gz && [ -z "$(find "$H/spool" -name '.plain*')" ] && [ "$(du -sk "$H/spool" | cut -f1)" -lt 20000 ]
zip_inside_zip|s_zip_inside_zip|xx receive|1|zip entry 'inner.zip' is itself an archive; nested archives are refused|failed outer.csv.zip
gzip_inside_gzip|s_gzip_inside_gzip|xx receive|1|'twice.csv.gz' is compressed twice|failed twice.csv.gz
# Configuration.
job_typos|s_job_typos|xx send --date $D|78|key 'nmae': unknown key in [output] (did you mean 'name'?)|grep -q "unknown section '\[sourse\]' (did you mean '\[source\]'?)" "$T/err" && grep -q "did you mean 'retries'" "$T/err" && sent sx_$D.csv
key_readable_by_group|s_key_readable_by_group|xx check sx|78|is accessible by group or others (mode 0640); run `chmod 600|
key_readable_by_group_send|s_key_readable_by_group_send|xx send --date $D sx|1|is accessible by group or others (mode 0640)|[ "$(sql "SELECT state FROM send_batches")" = held ]
password_readable_by_group|s_password_readable_by_group|xx check sx|78|key 'password_file':|grep -q 'accessible by group or others (mode 0604)' "$T/err"
job_file_symlink|s_job_file_symlink|xx send --date $D sx|0|-|sent sx_$D.csv
job_file_symlink_into_world_writable|s_job_file_symlink_into_world_writable|xx send --date $D sx|78|which anyone may write (mode 0777)|[ ! -e "$H/out" ]
job_file_world_writable|s_job_file_world_writable|xx send --date $D sx|78|anyone may write it (mode 0666); run `chmod o-w|[ ! -e "$H/out" ]
jobs_dir_world_writable|s_jobs_dir_world_writable|xx send --date $D sx|78|which anyone may write (mode 0777)|[ ! -e "$H/out" ]
job_file_fifo|s_job_file_fifo|xx check fifo|78|fifo.job': not a regular file|
expect_not_a_time|s_expect_not_a_time|xx receive|78|rx.job:9: key 'expect': '6am' is not a time of day: expected HH:MM|rows 0
expect_dateless_pattern|s_expect_dateless_pattern|xx check rx|78|so only date = today can be expected|
expect_old_file_only|s_expect_old_file_only|xx receive|1|came by its deadline|rows 1 && xx status --failed && [ "$rc" -eq 1 ] && grep -q ' receive missing ' "$T/out"
conf_symlink|s_conf_symlink|xx send --date $D sx|0|"event":"sent"|sent sx_$D.csv && json_lines "$T/err"
conf_world_writable|s_conf_world_writable|xx send --date $D sx|78|xfer.conf': anyone may write it (mode 0666)|[ ! -e "$H/out" ]
# The process xfer is started in.
fds_closed|s_fds_closed|xclosed send --date $D sx && [ "$rc" -eq 0 ] && xclosed receive|0|-|fds_closed_ok
umask_000|s_umask_000|xumask send --date $D sx && [ "$rc" -eq 0 ] && xumask receive|0|-|fds_closed_ok && [ -z "$(find "$H/spool" "$H/out" "$H/data" -perm /022)" ]
cron_environment|s_cron_environment|xcron send --date $D sx && [ "$rc" -eq 0 ] && xcron receive|0|-|fds_closed_ok
ROWS
echo "t_hostile: $ncases cases"
[ -n "${T_HOSTILE_ONLY:-}" ] || [ "$ncases" -ge 60 ] || fail "only $ncases cases ran"
