# Logs: one line per event with the run id; --log-format json gives one
# JSON object per line with time, level, run, job, date, event and the
# facts; -q prints failures only; -v adds details.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data"
printf 'a,b\n1,2\n' > "$H/data/in.csv"
job ok <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = ok_{date}.csv
[upload]
url = out
JOB
job bad <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/missing/*.csv
required = yes
[output]
name = bad_{date}.csv
[upload]
url = out
JOB
x --log-format json -v send --date 2026-11-24
expect_rc 1
python3 - "$T/err" <<'PY' || fail "json logs"
import json, sys
runs = set()
events = []
for n, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)          # every line parses
    for k in ("time", "level", "run"):
        assert k in o, (n, k, o)
    runs.add(o["run"])
    events.append((o.get("job"), o.get("event"), o))
assert len(runs) == 1, runs
sent = [o for j, e, o in events if j == "ok" and e == "sent"]
assert sent and sent[0]["bytes"] > 0 and sent[0]["records"] == 1 and "duration_ms" in sent[0], sent
bad = [o for j, e, o in events if j == "bad" and o["level"] == "error"]
assert bad and "xfer send --date 2026-11-24 bad" in bad[0]["error"], bad
PY
# Text: every line carries the run id; -q keeps only failures.
x send --date 2026-11-23
grep -v -q ' run=[0-9a-f]\{16\}' "$T/err" && fail "a line without run id"
x -q send --date 2026-11-22
expect_rc 1
grep -q ' info ' "$T/err" && fail "-q printed info"
expect_err "error"
