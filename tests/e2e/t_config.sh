# Job-file errors: FILE:LINE: key 'x': why, exit 78; the valid jobs still
# run; an invalid job the command does not touch is only warned about.
. "$(dirname "$0")/lib.sh"
job good <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/none.csv
required = no
[output]
name = g_{date}.csv
[upload]
url = out
JOB
job typo <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/none.csv
[aggregate]
group_bye = a
[output]
name = t_{date}.csv
[upload]
url = out
JOB
x send --date 2026-11-24
expect_rc 78
expect_err "typo.job:7: key 'group_bye'"
expect_err "group_by"
[ -f "$H/out/g_2026-11-24.csv" ] || fail "valid job did not run"
x send --date 2026-11-24 good
expect_rc 0
expect_err "warning"
x check
expect_rc 78
x send --date 2026-11-24 typo
expect_rc 78
x send --date 2026-11-32 good
expect_rc 64
x send --bogus
expect_rc 64
x send nosuchjob
expect_rc 64
expect_err "no job 'nosuchjob'"
job bad2 <<'JOB'
[job]
direction = send
timezone = Mars/Olympus
catch_up = forever
[source]
type = csv
path = data/{dat}.csv
[output]
name = x.csv
[upload]
url = out
JOB
x check bad2
expect_rc 78
expect_err "bad2.job:3: key 'timezone'"
expect_err "bad2.job:4: key 'catch_up'"
expect_err "bad2.job:7: key 'path'"
printf '[xfer]\nlog_fromat = json\n' > "$H/xfer.conf"
x check good
expect_rc 78
expect_err "xfer.conf:2"

# check: key files readable by others are refused (78), missing inbox
# directories are reported, and spool leftovers of a removed job are
# reported as orphans, not deleted.
rm -f "$H/jobs/typo.job" "$H/jobs/bad2.job" "$H/xfer.conf"
printf 'k' > "$T/key"; chmod 644 "$T/key"
job keyed <<JOB
[job]
direction = send
[source]
type = csv
path = data/none.csv
[output]
name = k_{date}.csv
[upload]
url = sftp://127.0.0.1:1/x/
identity = $T/key
known_hosts = $T/key
JOB
x check keyed
expect_rc 78
expect_err "accessible by group or others"
chmod 600 "$T/key"
x check keyed
expect_rc 0
job rin <<'JOB'
[job]
direction = receive
[inbox]
path = nowhere
pattern = *.csv
[ingest]
type = none
JOB
x check rin
expect_rc 0
expect_err "does not exist yet"
mkdir -p "$H/nowhere"; chmod 555 "$H/nowhere"
if [ "$(id -u)" -ne 0 ]; then
	x check rin
	expect_rc 78
	expect_err "is not writable"
fi
rm -f "$H/jobs/rin.job"
x send --date 2026-11-24 good
mv "$H/jobs/good.job" "$H/jobs/good.disabled"
x check
expect_rc 0
expect_out "orphan"
[ -d "$H/spool/good" ] || fail "orphan spool removed"
mv "$H/jobs/good.disabled" "$H/jobs/good.job"
# A malformed key (group-by) is named with its fix, and the file's other
# problems, before and after it, are all reported in one go, by line.
job dashed <<'JOB'
[job]
direction = send
timezone = Mars/Olympus
[source]
type = csv
path = data/none.csv
[aggregate]
group-by = store
sum = amount
scale = 2
rounding = bankers
[output]
name = d_{date}.csv
compress = rar
[upload]
url = out
JOB
x check dashed
expect_rc 78
grep -c 'dashed.job:' "$T/err" | grep -qx 4 || fail "want 4 problems"
expect_err "dashed.job:3: key 'timezone': unknown time zone 'Mars/Olympus'"
expect_err "dashed.job:8: key 'group-by': unknown key in [aggregate] (did you mean 'group_by'?)"
expect_err "dashed.job:11: key 'rounding': expected half-even, half-up or error"
expect_err "dashed.job:14: key 'compress': expected none, gzip or zip"
# The other jobs still run; the broken one is only warned about.
x send --date 2026-11-25 good
expect_rc 0
expect_err "dashed.job:8: key 'group-by'"
