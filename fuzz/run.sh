#!/bin/sh
# Run each fuzz target for SECONDS on its corpus and print its last
# status line (executions, coverage, exec/s).  Used by `make fuzz`:
#   fuzz/run.sh DIR SECONDS NAME:MAXLEN...
# DIR holds the fuzz_NAME binaries; the corpus used is DIR/corpus-NAME,
# seeded from fuzz/corpus/NAME and kept between runs.  A crash, timeout
# or out-of-memory input is saved as DIR/crash-NAME-*, and the run fails.
set -u
dir=$1
secs=$2
shift 2
status=0
for spec in "$@"; do
	name=${spec%%:*}
	maxlen=${spec#*:}
	corpus=$dir/corpus-$name
	log=$dir/$name.log
	mkdir -p "$corpus"
	# -n: keep what earlier runs found under the same names.
	cp -n fuzz/corpus/"$name"/* "$corpus"/ || exit 1
	dict=
	[ -f fuzz/"$name".dict ] && dict=-dict=fuzz/$name.dict
	echo "== fuzz_$name: ${secs}s, -max_len=$maxlen $dict"
	# shellcheck disable=SC2086 # $dict is one word or none
	"$dir/fuzz_$name" $dict -max_len="$maxlen" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=512 \
	    -print_final_stats=1 -artifact_prefix="$dir/crash-$name-" \
	    "$corpus" >"$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1
	sed -n 's/^stat::number_of_executed_units: */executions: /p;
	    s/^stat::average_exec_per_sec: */exec\/s: /p' "$log" |
	    paste -sd ' ' -
	if [ "$rc" -ne 0 ]; then
		echo "fuzz_$name FAILED (exit $rc); log: $log" >&2
		tail -n 60 "$log" >&2
		status=1
	fi
done
exit $status
