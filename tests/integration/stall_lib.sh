# shellcheck shell=bash
# Sourced by the stall tests (t_stall_storm.sh, t_stall_tls.sh) after lib.sh: an established QoS 1
# flow at 500 msg/s (stallload.py flow) timed across a storm the test makes.
#   stall_flow_start [ARGS...]   start the flow (ARGS: its --user/--password) at nice -5, wait
#                                until it runs, then 3 s of baseline
#   stall_flow_check COUNT P99_MS WHAT
#                                after the storm client wrote $T/storm.tmp.json: every one of
#                                COUNT storm CONNECTs succeeded; the flow lost, duplicated and
#                                reordered nothing; its p99 over the storm's window is under
#                                max(P99_MS, 20 x its p99 in the baseline: the machine's noise)

stall_flow_start() {
	PY_TIMEOUT=130 py "$TEST_DIR/stallload.py" flow --qos 1 --rate 500 --duration 100 "$@" \
		--nice -5 --until-file "$T/storm.json" --window-file "$T/storm.json" --tail 0.5 \
		--ready-file "$T/flow.ready" --lat "$T/storm-flow.lat" --json "$T/flow.json" \
		>"$T/flow.out" 2>&1 &
	FLOW=$!
	track "$FLOW"
	local i
	for ((i = 0; i < 300; i++)); do [ -e "$T/flow.ready" ] && break; sleep 0.1; done
	[ -e "$T/flow.ready" ] || fail "flow client not ready: $(tail -n 5 "$T/flow.out")"
	sleep 3 # the baseline
}

stall_flow_check() {
	mv "$T/storm.tmp.json" "$T/storm.json"
	wait_pid "$FLOW" 20
	[ "$WAIT_RC" = 0 ] || fail "flow client failed: $(tail -n 5 "$T/flow.out")"
	log "storm: $(cat "$T/storm.json")"
	log "flow:  $(cat "$T/flow.json")"
	py - "$T" "$1" "$2" "$3" <<'PY'
import json, sys
T, count, floor, what = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = json.load(open(T + "/storm.json"))
f = json.load(open(T + "/flow.json"))
assert s["ok"] == count and s["refused"] == 0, "storm: %r" % s
assert f["lost"] == 0 and f["dup"] == 0 and f["reordered"] == 0, "flow: %r" % f
w = f["window"]
assert w["n"] >= 0.5 * 500 * s["secs"], "too few flow messages in the storm window: %r" % w
# the machine's own noise: the same flow before the storm (its first 0.3 s left out)
base = sorted(float(l.split()[2]) for l in open(T + "/storm-flow.lat") if l[0] != "#"
              and 0.3 <= float(l.split()[1]) < s["start"] - f["t0"])
assert len(base) >= 500, "too short a baseline: %d messages" % len(base)
b99 = base[int(len(base) * 0.99)]
bound = max(floor, 20 * b99)
print("baseline p99 %.2f ms -> bound %.0f ms; %s %.1f s; flow p50 %.2f p99 %.2f max %.2f ms" % (
    b99, bound, what, s["secs"], w["p50"], w["p99"], w["max"]))
assert w["p99"] < bound, "QoS 1 p99 %.1f ms during the %s (bound %.0f ms): %r" % (
    w["p99"], what, bound, f)
PY
}
