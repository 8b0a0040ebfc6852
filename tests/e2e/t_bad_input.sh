# Bad input: a clear message naming the file and cause, a non-zero exit,
# no partial file, nothing already in the spool lost.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data/in"
mk() { # mk NAME TYPE PATH [extra source lines] -- aggregate sum amount
	job "$1" <<JOB
[job]
direction = send
[source]
type = $2
path = $3
[aggregate]
group_by = k
sum = amount
[output]
name = $1_{date}.csv
[upload]
url = out
retries = 0
JOB
}
printf 'k,amount\na,1\nb,"2\n' > "$H/data/in/quote.csv"
mk quote csv data/in/quote.csv
printf 'k,amount\na,1\nb,2,3\n' > "$H/data/in/ragged.csv"
mk ragged csv data/in/ragged.csv
printf 'k,amount\na,1\n"multi\nline",2\nc,12abc\n' > "$H/data/in/nan.csv"
mk nan csv data/in/nan.csv
printf '{"k":"a","amount":1}\n{"k":"b","amount":2\n' > "$H/data/in/bad.jsonl"
mk badjson jsonl data/in/bad.jsonl
printf 'k,amount\na,1\n' > "$H/data/in/secret.csv"
chmod 000 "$H/data/in/secret.csv"
mk unreadable csv data/in/secret.csv
# A typo in the glob (the files are in data/in/): missing input, not an
# empty day.
mk typo csv 'data/inn/*.csv'
job cmdfail <<'JOB'
[job]
direction = send
[source]
type = command
command = sh -c "echo partial output; echo 'upstream is down' >&2; exit 3"
[output]
name = cf_{date}.csv
[upload]
url = out
JOB
job cmdslow <<'JOB'
[job]
direction = send
[source]
type = command
command = sleep 30
timeout = 1s
[output]
name = cs_{date}.csv
[upload]
url = out
JOB

check() { # check JOB MESSAGE...
	j=$1; shift
	x send --date 2026-11-24 "$j"
	expect_rc 1
	no_sanitizer_report
	for m in "$@"; do expect_err "$m"; done
	[ -z "$(ls "$H/out" 2>/dev/null | grep "^$j")" ] || fail "$j: file delivered"
	[ "$(sql "SELECT state FROM send_batches WHERE job='$j'")" = failed ] ||
	    fail "$j: ledger state"
	[ -z "$(find "$H/spool/$j/out" "$H/spool/$j/tmp" -mindepth 1)" ] || fail "$j: spool leftovers"
}
check quote "quote.csv:3" 
check ragged "ragged.csv:3" "3 fields"
check nan "nan.csv:5" "'12abc'" "'amount'" "not a number"
check badjson "bad.jsonl:2"
check typo "missing input for 2026-11-24" "no file matches '$H/data/inn/*.csv'" \
    "directory '$H/data/inn' does not exist" "required = no"
# Root reads anything: the shim makes the file unreadable for everyone.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
LD_PRELOAD="$FAULTFS_SO" FAULT_EACCES_PREFIX="$H/data/in/secret.csv" \
    "$XFER_BIN" --home "$H" send --date 2026-11-24 unreadable >"$T/out" 2>"$T/err"
rc=$?
expect_rc 1
no_sanitizer_report
expect_err "secret.csv"
expect_err "Permission denied"
[ "$(sql "SELECT state FROM send_batches WHERE job='unreadable'")" = failed ] ||
    fail "unreadable: ledger state"
check cmdfail "exit status 3" "upstream is down"
check cmdslow "timed out"

# A good batch in the spool survives a later bad rebuild of the same date.
printf 'k,amount\na,1\n' > "$H/data/in/good.csv"
mk keep csv data/in/good.csv
x send --date 2026-11-24 keep
expect_rc 0
cp "$H/out/keep_2026-11-24.csv" "$T/keep"
printf 'k,amount\na,oops\n' > "$H/data/in/good.csv"
x send --date 2026-11-24 keep
expect_rc 1
expect_err "good.csv:2"
cmp -s "$T/keep" "$H/out/keep_2026-11-24.csv" || fail "delivered file changed"
[ -d "$H/spool/keep/sent/2026-11-24" ] || fail "spool lost the sent batch"
