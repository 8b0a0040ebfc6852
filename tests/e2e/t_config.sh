# Job-file errors: FILE:LINE: key 'x': why, exit 78; the valid jobs still
# run; an invalid job the command does not touch is only warned about.
. "$(dirname "$0")/lib.sh"
job good <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/none.csv
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
