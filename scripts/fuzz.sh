#!/usr/bin/env bash
# Run every libFuzzer target in DIR for SECONDS each over its corpus (tests/fuzz/corpus/<name>).
# A crash fails the run; the crashing input is left in build/fuzz/crashes/ to be added to the
# corpus as a regression test.
set -euo pipefail
dir=${1:?fuzz binary directory}
secs=${2:-60}
mkdir -p "$dir/crashes"
rc=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	corpus=tests/fuzz/corpus/$name
	work=$dir/corpus-$name
	mkdir -p "$work" "$corpus"
	echo "== fuzz $name for ${secs}s"
	# New inputs go to a scratch corpus so the committed seeds stay reviewed.
	if ! timeout $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/crashes/$name-" -print_final_stats=1 "$work" "$corpus" \
		>"$dir/$name.log" 2>&1; then
		echo "FAIL: fuzz_$name (log: $dir/$name.log)"
		tail -n 40 "$dir/$name.log"
		rc=1
	else
		grep -E 'stat::number_of_executed_units|Done' "$dir/$name.log" | tail -n 2
	fi
done
exit $rc
