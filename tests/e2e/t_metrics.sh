# spool/metrics.prom after a send with a success and a failure and a
# receive: it parses as strict Prometheus text (checked by a parser here,
# and by promtool when installed) and holds the expected series.  A dry
# run leaves it alone; a metrics file that cannot be written is a warning,
# not a failed run.
. "$(dirname "$0")/lib.sh"
M="$H/spool/metrics.prom"
mkdir -p "$H/data/in" "$H/inbox"
cat > "$H/data/in/a.csv" <<'CSV'
day,store,amount
2026-11-24,s1,1.50
2026-11-24,s2,2.00
2026-11-24,s1,3.00
CSV
job sales <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in/*.csv
date_field = day
[output]
name = sales_{date:%Y%m%d}.csv
[upload]
url = out
JOB
job broken <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/none/*.csv
required = yes
[output]
name = b_{date}.csv
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
columns = date, store, amount
JOB

# The strict parser: prints "SERIES VALUE" lines, sorted, or fails.
cat > "$T/promparse.py" <<'PY'
import re, sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*\Z')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
NUMBER = re.compile(r'[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z|[+-]?Inf\Z|NaN\Z')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}

def die(n, why):
    sys.exit('line %d: %s' % (n, why))

def labels(n, s):
    out, i = [], 0
    while i < len(s):
        m = LABEL.match(s, i)
        if not m or m.group(0).startswith('__'):
            die(n, 'bad label name at %r' % s[i:])
        i = m.end()
        if s[i:i + 2] != '="':
            die(n, 'expected =" after label %s' % m.group(0))
        i += 2
        v = []
        while True:
            if i >= len(s):
                die(n, 'unterminated label value')
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == '\n':
                die(n, 'raw newline in label value')
            if c == '\\':
                e = s[i + 1:i + 2]
                if e not in ('\\', '"', 'n'):
                    die(n, 'bad escape \\%s' % e)
                v.append({'\\': '\\', '"': '"', 'n': '\n'}[e])
                i += 2
                continue
            v.append(c)
            i += 1
        out.append((m.group(0), ''.join(v)))
        if i < len(s):
            if s[i] != ',':
                die(n, 'expected , between labels')
            i += 1
            if i == len(s):
                die(n, 'trailing comma')
    names = [k for k, _ in out]
    if len(set(names)) != len(names):
        die(n, 'repeated label name')
    return tuple(sorted(out))

data = open(sys.argv[1], encoding='utf-8').read()
if not data.endswith('\n'):
    sys.exit('no final newline')
helps, types, done, series = {}, {}, set(), {}
current = None
for n, line in enumerate(data[:-1].split('\n'), 1):
    if line == '':
        die(n, 'empty line')
    if line.startswith('#'):
        m = re.match(r'# (HELP|TYPE) (\S+) (.*)\Z', line)
        if not m or not NAME.match(m.group(2)):
            die(n, 'bad comment %r' % line)
        kind, name, rest = m.groups()
        if name in done or name == current:
            die(n, '%s of %s after its samples' % (kind, name))
        seen = helps if kind == 'HELP' else types
        if name in seen:
            die(n, 'second %s for %s' % (kind, name))
        if kind == 'TYPE' and rest not in TYPES:
            die(n, 'bad type %r' % rest)
        if kind == 'HELP' and re.search(r'\\[^\\n]', rest):
            die(n, 'bad escape in HELP')
        seen[name] = rest
        continue
    m = re.match(r'([^{ ]+)(?:\{(.*)\})? (\S+)\Z', line)
    if not m:
        die(n, 'not "name{labels} value" (or a timestamp): %r' % line)
    name, lab, value = m.groups()
    if not NAME.match(name):
        die(n, 'bad metric name %r' % name)
    if name not in helps or name not in types:
        die(n, '%s has no HELP and TYPE before it' % name)
    if types[name] == 'counter' and not name.endswith('_total'):
        die(n, 'counter %s without _total' % name)
    if not NUMBER.match(value):
        die(n, 'bad value %r' % value)
    if name != current:
        if name in done:
            die(n, 'samples of %s are not together' % name)
        if current:
            done.add(current)
        current = name
    key = (name, labels(n, lab or ''))
    if key in series:
        die(n, 'duplicate series %r' % (key,))
    series[key] = float(value)
for (name, lab), v in sorted(series.items()):
    print('%s{%s} %s' % (name, ','.join('%s=%s' % kv for kv in lab),
        repr(int(v)) if v == int(v) else repr(v)))
PY

check() {
	[ -f "$M" ] || fail "no $M"
	python3 "$T/promparse.py" "$M" > "$T/series" ||
	    { cat "$M"; fail "metrics.prom does not parse"; }
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics < "$M" || fail "promtool check metrics"
	fi
}
has() { # has 'name{k=v,...}' VALUE (labels sorted by name)
	grep -q -x -F -- "$1 $2" "$T/series" ||
	    { cat "$T/series"; fail "want: $1 $2"; }
}

x send --date 2026-11-24 sales
expect_rc 0
x send --date 2026-11-24 broken
expect_rc 1
printf 'date,store,amount\n2026-11-24,s1,1\n2026-11-24,s2,2\n' > "$H/inbox/r_20261124.csv"
printf 'date,shop,amount\n2026-11-23,s1,1\n' > "$H/inbox/r_20261123.csv"
x receive rx
expect_rc 1
check
[ "$(stat -c %a "$M")" = 644 ] || fail "mode $(stat -c %a "$M")"
ls -a "$H/spool" | grep -q 'metrics.*tmp' && fail "temporary left in the spool"

bytes=$(stat -c %s "$H/out/sales_20261124.csv")
rbytes=$(sql "SELECT bytes FROM receive_files WHERE state = 'ingested'")
has 'xfer_batches{direction=send,job=sales,state=sent}' 1
has 'xfer_batches{direction=send,job=sales,state=failed}' 0
has 'xfer_batches{direction=send,job=sales,state=held}' 0
has 'xfer_batches{direction=send,job=sales,state=produced}' 0
has 'xfer_records_total{direction=send,job=sales}' 3
has 'xfer_bytes_total{direction=send,job=sales}' "$bytes"
has 'xfer_failures_total{direction=send,job=sales}' 0
has 'xfer_batches{direction=send,job=broken,state=failed}' 1
has 'xfer_batches{direction=send,job=broken,state=sent}' 0
has 'xfer_records_total{direction=send,job=broken}' 0
has 'xfer_failures_total{direction=send,job=broken}' 1
has 'xfer_last_success_timestamp_seconds{job=broken}' 0
has 'xfer_batches{direction=receive,job=rx,state=ingested}' 1
has 'xfer_batches{direction=receive,job=rx,state=failed}' 1
has 'xfer_batches{direction=receive,job=rx,state=waiting}' 0
has 'xfer_batches{direction=receive,job=rx,state=duplicate}' 0
has 'xfer_records_total{direction=receive,job=rx}' 2
has 'xfer_bytes_total{direction=receive,job=rx}' "$rbytes"
has 'xfer_failures_total{direction=receive,job=rx}' 1
[ "$(grep -c '^xfer_batches{' "$T/series")" = 15 ] ||
    fail "want 4+4+7 xfer_batches series"

# Times: recent, and last run at least last success.
now=$(date +%s)
recent() { # recent SERIES
	v=$(grep -F "$1 " "$T/series" | cut -d' ' -f2)
	[ -n "$v" ] && [ "$v" -le "$now" ] && [ "$v" -gt $((now - 60)) ] ||
	    fail "$1 is '$v', not within a minute of $now"
}
recent 'xfer_metrics_generated_timestamp_seconds{}'
recent 'xfer_last_success_timestamp_seconds{job=sales}'
recent 'xfer_last_success_timestamp_seconds{job=rx}'
recent 'xfer_last_run_timestamp_seconds{job=sales}'
recent 'xfer_last_run_timestamp_seconds{job=broken}'
recent 'xfer_last_run_timestamp_seconds{job=rx}'

# A dry run changes nothing, not even the metrics file (same inode: the
# file is only ever replaced by rename).
ino=$(stat -c %i "$M")
x send --dry-run --date 2026-11-24 sales
expect_rc 0
[ "$(stat -c %i "$M")" = "$ino" ] || fail "a dry run rewrote metrics.prom"
x status
[ "$(stat -c %i "$M")" = "$ino" ] || fail "status rewrote metrics.prom"
# A real run replaces it.
x send --date 2026-11-24 sales
expect_rc 0
[ "$(stat -c %i "$M")" != "$ino" ] || fail "metrics.prom not rewritten"
check

# Cannot write it: a warning; the run's status is the batches'.
rm -f "$M"
mkdir "$M"
x send --date 2026-11-24 sales
expect_rc 0
expect_err "metrics.prom"
rmdir "$M" || fail "the directory in the way was touched"
ls -a "$H/spool" | grep -q 'metrics.*tmp' && fail "temporary left after a failure"
x -q send --date 2026-11-24 sales
expect_rc 0
check
exit 0
