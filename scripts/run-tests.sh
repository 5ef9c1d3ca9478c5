#!/usr/bin/env bash
# Run every unit test binary ($BUILD/tests/test_*) and then every integration test
# (tests/integration/t_*.sh), each under `timeout`; one line per test; the tail of the log of
# each failure; exit 1 if anything failed.
#
# Environment:
#   BUILD=build                  where the unit test binaries and mqttgwd are
#   TESTS=REGEX                  run only tests whose name matches (grep -E), e.g. TESTS='connect|retain'
#   TESTS_EXCLUDE=REGEX          leave out tests whose name matches
#   JOBS=2                       integration tests run in parallel, JOBS at a time
#   MQTTGW_TEST_BROKER=mosquitto run the integration tests against /usr/sbin/mosquitto (tests
#                                marked `# broker: mqttgwd` are skipped); default: $BUILD/mqttgwd
#   MQTTGW_FASTPATH=on|off|auto  passed to mqttgwd as `fastpath ...`
#   MQTTGW_PERSISTENCE=0|1       1: every test's mqttgwd with `persistence true` and a store of its
#                                own (tests/integration/lib.sh); default 0
#   MQTTGW_FASTPATH_MATRIX=1     run the integration suite twice: fast path on with persistence off,
#                                then fast path off with persistence on (test names end in
#                                [fastpath=on,persistence=off] and [fastpath=off,persistence=on]);
#                                MQTTGW_PERSISTENCE, if set, applies to both passes
#   MQTTGW_TEST_FORCE=1          run `# broker: mqttgwd` tests against Mosquitto anyway (to see
#                                where it deviates)
#   MQTTGW_REQUIRE_BPF=1         a skip of a test marked `# needs: bpf` counts as a failure
#   MQTTGW_REQUIRE_FUSE=1        the same for `# needs: fuse` (tests on tests/tools/powercut)
#   UNIT=0 / INTEGRATION=0       leave out one kind
#
# Test headers (integration): `# timeout: N` (default 120 s), `# broker: mqttgwd`, `# needs: bpf`,
# `# needs: fuse`.
# Exit code 77 from a test means SKIP. Logs go to $BUILD/test-logs/.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
BUILD=${BUILD:-build}
export BUILD
TESTS=${TESTS:-}
JOBS=${JOBS:-2}
UNIT_TIMEOUT=120
INTEG_TIMEOUT=120
MQTTGW_TEST_BROKER=${MQTTGW_TEST_BROKER:-mqttgwd}
export MQTTGW_TEST_BROKER
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

n_pass=0
n_fail=0
n_skip=0
failed=()

# Parallel integration tests each print their own line; serialise the printing.
RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/mqttgw-run-tests.XXXXXX")
trap 'rm -rf "$RESULTS"' EXIT

selected() {
	if [ -n "${TESTS_EXCLUDE:-}" ] && grep -Eq -- "$TESTS_EXCLUDE" <<<"$1"; then
		return 1
	fi
	[ -z "$TESTS" ] || grep -Eq -- "$TESTS" <<<"$1"
}

header_value() { # file key
	awk -v k="# $2:" 'index($0, k) == 1 { v = substr($0, length(k) + 1); sub(/^ +/, "", v); print v; exit }' "$1"
}

now() { date +%s.%N; }

elapsed() { # start
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'
}

# report NAME STATUS DURATION LOG [REASON]
report() {
	local name=$1 status=$2 dur=$3 logf=$4 reason=${5:-}
	case $status in
	PASS) n_pass=$((n_pass + 1)) ;;
	SKIP) n_skip=$((n_skip + 1)) ;;
	*) n_fail=$((n_fail + 1)); failed+=("$name") ;;
	esac
	printf '%-4s %-44s %7s%s\n' "$status" "$name" "$dur" "${reason:+  ($reason)}"
	if [ "$status" = FAIL ]; then
		grep -E '^(FAIL|Traceback|[A-Za-z]+Error)' "$logf" | head -n 5 | sed 's/^/     > /'
		echo "     ---- last 40 lines of $logf"
		tail -n 40 "$logf" | sed 's/^/     | /'
	fi
}

# classify RC LOG NEEDS -> "STATUS|REASON"
classify() {
	local rc=$1 logf=$2 needs=$3 reason
	case $rc in
	0) echo "PASS|" ;;
	77)
		reason=$(grep -m1 '^SKIP: ' "$logf" | sed 's/^SKIP: //')
		# "feature absent: ...": the daemon lacks what the test is about (not the machine
		# lacking BPF or FUSE), so the REQUIRE_* knobs do not turn it into a failure
		if [[ $reason == "feature absent: "* ]]; then
			echo "SKIP|$reason"
		elif [ "${MQTTGW_REQUIRE_BPF:-0}" = 1 ] && grep -qw bpf <<<"$needs"; then
			echo "FAIL|skipped but MQTTGW_REQUIRE_BPF=1: ${reason:-no reason given}"
		elif [ "${MQTTGW_REQUIRE_FUSE:-0}" = 1 ] && grep -qw fuse <<<"$needs"; then
			echo "FAIL|skipped but MQTTGW_REQUIRE_FUSE=1: ${reason:-no reason given}"
		else
			echo "SKIP|${reason:-no reason given}"
		fi
		;;
	124 | 137) echo "FAIL|timed out" ;;
	*) echo "FAIL|exit $rc" ;;
	esac
}

# ---- unit tests ----
run_unit() {
	local bins=() b name logf t0 rc res
	if [ "${UNIT:-1}" = 0 ]; then return; fi
	for b in "$BUILD"/tests/test_*; do
		if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
		case $b in *.o | *.d) continue ;; esac
		bins+=("$b")
	done
	if [ ${#bins[@]} -eq 0 ]; then
		echo "(no unit test binaries in $BUILD/tests: skipping unit tests)"
		return
	fi
	echo "== unit tests"
	for b in "${bins[@]}"; do
		name=$(basename "$b")
		selected "$name" || continue
		logf=$LOGDIR/$name.log
		t0=$(now)
		rc=0
		timeout -k 10 "$UNIT_TIMEOUT" "$b" >"$logf" 2>&1 </dev/null || rc=$?
		res=$(classify "$rc" "$logf" "")
		report "$name" "${res%%|*}" "$(elapsed "$t0")" "$logf" "${res#*|}"
	done
}

# ---- integration tests ----

# One integration test, run in the background by the pool; writes NAME.res (rc duration).
run_one_integration() {
	local f=$1 name=$2 logf=$3 tmo t0 rc=0
	tmo=$(header_value "$f" timeout)
	[[ $tmo =~ ^[0-9]+$ ]] || tmo=$INTEG_TIMEOUT
	t0=$(now)
	timeout -k 10 "$tmo" bash "$f" >"$logf" 2>&1 </dev/null || rc=$?
	echo "$rc $(elapsed "$t0")" >"$RESULTS/$name.res"
}

finish_integration() { # name logf file
	local name=$1 logf=$2 f=$3 rc dur res
	read -r rc dur <"$RESULTS/$name.res"
	res=$(classify "$rc" "$logf" "$(header_value "$f" needs)")
	report "$name" "${res%%|*}" "$dur" "$logf" "${res#*|}"
}

# reap_integration: waits for one test of run_integration_pass's pool (its arrays running, logs,
# files) to end and records it; status 1 when there was none to wait for.
reap_integration() {
	local done_pid=
	wait -n -p done_pid "${!running[@]}" 2>/dev/null
	[ -n "$done_pid" ] || return 1
	finish_integration "${running[$done_pid]}" "${logs[$done_pid]}" "${files[$done_pid]}"
	unset "running[$done_pid]" "logs[$done_pid]" "files[$done_pid]"
}

run_integration_pass() { # suffix (e.g. "[fastpath=off,persistence=on]" or "")
	local suffix=$1 f name logf broker needs
	local -A running=() logs=() files=()
	local pid
	for f in tests/integration/t_*.sh; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .sh)
		selected "$name" || continue
		name=$name$suffix
		logf=$LOGDIR/$(printf '%s' "$name" | tr -c 'a-zA-Z0-9_.\n-' '_').log
		broker=$(header_value "$f" broker)
		needs=$(header_value "$f" needs)
		if [ -n "$broker" ] && [ "$broker" != "$MQTTGW_TEST_BROKER" ] && [ "${MQTTGW_TEST_FORCE:-0}" != 1 ]; then
			: >"$logf"
			echo "SKIP: $broker-specific test (broker under test: $MQTTGW_TEST_BROKER)" >"$logf"
			report "$name" SKIP "0.0s" "$logf" "$broker-specific"
			continue
		fi
		# Pool: at most JOBS running.
		while [ ${#running[@]} -ge "$JOBS" ]; do reap_integration || break; done
		run_one_integration "$f" "$name" "$logf" &
		pid=$!
		running[$pid]=$name
		logs[$pid]=$logf
		files[$pid]=$f
	done
	while [ ${#running[@]} -gt 0 ]; do reap_integration || break; done
}

run_integration() {
	if [ "${INTEGRATION:-1}" = 0 ]; then return; fi
	if [ "${MQTTGW_FASTPATH_MATRIX:-0}" = 1 ]; then
		# two passes so CI time does not grow: the default config (fast path on, no store),
		# then the other side of both (no fast path, the durable store on)
		local pers=${MQTTGW_PERSISTENCE-} leg fp p onoff
		for leg in on:0 off:1; do
			fp=${leg%%:*}
			p=${pers:-${leg#*:}}
			onoff=$([ "$p" = 1 ] && echo on || echo off)
			echo "== integration tests (broker: $MQTTGW_TEST_BROKER, fastpath $fp," \
				"persistence $onoff, $JOBS at a time)"
			export MQTTGW_FASTPATH=$fp MQTTGW_PERSISTENCE=$p
			run_integration_pass "[fastpath=$fp,persistence=$onoff]"
		done
	else
		local what=${MQTTGW_FASTPATH:+, fastpath $MQTTGW_FASTPATH}
		[ "${MQTTGW_PERSISTENCE:-0}" != 1 ] || what+=", persistence on"
		echo "== integration tests (broker: $MQTTGW_TEST_BROKER$what, $JOBS at a time)"
		run_integration_pass ""
	fi
}


T_START=$(now)
run_unit
run_integration

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "logs: $LOGDIR ($(elapsed "$T_START") total)"
echo "summary: $n_pass passed, $n_fail failed, $n_skip skipped"
[ "$n_fail" -eq 0 ]
