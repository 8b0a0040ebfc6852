# Money formatting: without scale a summed/min/max column never mixes
# numbers of decimals (the most seen in it in the whole batch, every row);
# with scale every value has exactly N decimals, rounded half-even (the
# default) or half-up (ties away from zero), or refused with
# rounding = error.  Exact file bytes are compared.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data/in"
# Values chosen so that each rounding rule gives a different file:
#   a: 17.7          b: 12.20 + 0 = 12.20   c: 1001.1 (one value, 1 decimal)
#   t: 0.125 and -0.135 (ties at 2 decimals), z: -0.004 (rounds to zero)
cat > "$H/data/in/2026-11-24.csv" <<'CSV'
day,store,amount
2026-11-24,a,17.7
2026-11-24,b,12.20
2026-11-24,b,0
2026-11-24,c,1001.1
2026-11-24,t,0.125
2026-11-24,u,-0.135
2026-11-24,z,-0.004
2026-11-24,e,
CSV
# A second file for a date whose values all fit two decimals.
cat > "$H/data/in/2026-11-25.csv" <<'CSV'
day,store,amount
2026-11-25,a,17.7
2026-11-25,b,12.20
2026-11-25,c,1001.10
CSV
mkjob() {	# mkjob NAME "scale/rounding lines"
	job "$1" <<JOB
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in/{date}.csv
[aggregate]
group_by = store
sum = amount
min = amount
max = amount
$2
[output]
name = $1_{date}.csv
[upload]
url = out_$1
JOB
}

# 1. No scale: every value of a column gets 3 decimals (the most seen in
#    amount), including the empty group's sum; nothing is rounded.
mkjob plain ""
x send --date 2026-11-24 plain
expect_rc 0
expect_file "$H/out_plain/plain_2026-11-24.csv" <<'CSV'
store,amount,min_amount,max_amount
a,17.700,17.700,17.700
b,12.200,0.000,12.200
c,1001.100,1001.100,1001.100
e,0.000,,
t,0.125,0.125,0.125
u,-0.135,-0.135,-0.135
z,-0.004,-0.004,-0.004
CSV
# The issue's own example: 17.7 beside 12.20 and 1001.10 gets 2 decimals.
x send --date 2026-11-25 plain
expect_rc 0
expect_file "$H/out_plain/plain_2026-11-25.csv" <<'CSV'
store,amount,min_amount,max_amount
a,17.70,17.70,17.70
b,12.20,12.20,12.20
c,1001.10,1001.10,1001.10
CSV

# 2. scale = 2, default rounding (half-even): 0.125 -> 0.12, -0.135 ->
#    -0.14, -0.004 -> 0.00 (no "-0.00").
mkjob even "scale = 2"
x send --date 2026-11-24 even
expect_rc 0
expect_file "$H/out_even/even_2026-11-24.csv" <<'CSV'
store,amount,min_amount,max_amount
a,17.70,17.70,17.70
b,12.20,0.00,12.20
c,1001.10,1001.10,1001.10
e,0.00,,
t,0.12,0.12,0.12
u,-0.14,-0.14,-0.14
z,0.00,0.00,0.00
CSV

# 3. half-up rounds a tie away from zero: 0.125 -> 0.13, -0.135 -> -0.14.
mkjob up "scale = 2
rounding = half-up"
x send --date 2026-11-24 up
expect_rc 0
expect_file "$H/out_up/up_2026-11-24.csv" <<'CSV'
store,amount,min_amount,max_amount
a,17.70,17.70,17.70
b,12.20,0.00,12.20
c,1001.10,1001.10,1001.10
e,0.00,,
t,0.13,0.13,0.13
u,-0.14,-0.14,-0.14
z,0.00,0.00,0.00
CSV

# 4. scale = 0 on JSON: whole numbers, still numbers.
job whole <<'JOB'
[job]
direction = send
timezone = UTC
[source]
type = csv
path = data/in/{date}.csv
[aggregate]
group_by = store
sum = amount
scale = 0
[output]
format = json
name = whole_{date}.json
[upload]
url = out_whole
JOB
x send --date 2026-11-25 whole
expect_rc 0
python3 - "$H/out_whole/whole_2026-11-25.json" <<'PY' || fail "scale = 0 JSON"
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows == [{"store": "a", "amount": 18}, {"store": "b", "amount": 12},
                {"store": "c", "amount": 1001}], rows
PY

# 5. rounding = error: 2026-11-25 fits two decimals and is sent ...
mkjob strict "scale = 2
rounding = error"
x send --date 2026-11-25 strict
expect_rc 0
expect_file "$H/out_strict/strict_2026-11-25.csv" <<'CSV'
store,amount,min_amount,max_amount
a,17.70,17.70,17.70
b,12.20,12.20,12.20
c,1001.10,1001.10,1001.10
CSV
# ... 2026-11-24 does not: the batch fails, naming the column, the group
# and the value, and nothing reaches the destination.
x send --date 2026-11-24 strict
expect_rc 1
expect_err "column 'amount' of group store='t': value 0.125 has more than 2 decimals and rounding = error refuses to round it"
[ ! -e "$H/out_strict/strict_2026-11-24.csv" ] || fail "a file was sent"
[ "$(sql "SELECT state FROM send_batches WHERE job='strict' AND date='2026-11-24'")" = "failed" ] ||
    fail "ledger: $(sql "SELECT * FROM send_batches WHERE job='strict'")"

# 6. Bad values: FILE:LINE, exit 78, and every problem of the file at once.
mkjob badround "scale = 2
rounding = bankers"
x check badround
expect_rc 78
expect_err "badround.job:13: key 'rounding': expected half-even, half-up or error"
mkjob badscale "scale = 19
rounding = up"
x send --date 2026-11-24 badscale
expect_rc 78
expect_err "badscale.job:12: key 'scale': expected a whole number from 0 to 18"
expect_err "badscale.job:13: key 'rounding': expected half-even, half-up or error"
[ ! -d "$H/out_badscale" ] || fail "an invalid job ran"
job noscale <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/in/{date}.csv
[aggregate]
sum = amount
rounding = half-up
[output]
name = n_{date}.csv
[upload]
url = out_n
JOB
x check noscale
expect_rc 78
expect_err "noscale.job:8: key 'rounding': needs scale"
job passthru <<'JOB'
[job]
direction = send
[source]
type = csv
path = data/in/{date}.csv
[aggregate]
fields = store, amount
scale = 2
[output]
name = p_{date}.csv
[upload]
url = out_p
JOB
x check passthru
expect_rc 78
expect_err "passthru.job:8: key 'scale': applies to sum, min and max columns"
