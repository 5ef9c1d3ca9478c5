#!/usr/bin/env bash
# The event loop never blocks on password hashing (issue #15): while 1,500 CONNECTs with hashed
# passwords (password_file written by mqttgw-passwd's defaults: $7$, PBKDF2-SHA512, 5,000
# iterations, ~2.6 ms each) arrive from 64 parallel connections, an established QoS 1 flow at
# 500 msg/s between two other clients keeps its latency: p99 over the storm's window under
# max(STALL_P99_MS, 20 x the same flow's p99 in the 2.7 s before the storm: what the machine's
# other load costs it), nothing lost, nothing duplicated or reordered, and every storm CONNECT
# gets CONNACK 0.
# Measured (SAN=1, 2 vCPUs at load average 18 from other builds, 5,000-iteration hashes then
# costing ~50 ms of CPU each): main, hashing on the loop: QoS 1 p99 43.5 s and 87.6 s (storm
# 50-89 s); the issue measured 253 ms (QoS 0) on an idle machine. With the worker pool: p99
# 10.9 ms, max 36 ms (storm 18 s); 187 ms once with three test suites running beside it, hence
# the bound scales with the baseline, and the storm client (other devices, in reality) runs at
# nice 10: main fails it idle (253 ms > 150 ms) and loaded (seconds).
# mqttgwd only: Mosquitto 2.0.11 hashes on its loop: p99 about 3.5 s in the same storm.
# broker: mqttgwd
# timeout: 300
. "$(dirname "$0")/lib.sh"
TOOL=$BUILD/mqttgw-passwd
[ -x "$TOOL" ] || fail "no mqttgw-passwd at $TOOL"
P99_MS=${STALL_P99_MS:-150}
"$TOOL" -c -b "$T/passwd" storm storm-pw >/dev/null
"$TOOL" -b "$T/passwd" flow flow-pw >/dev/null
grep -q '^storm:\$7\$5000\$' "$T/passwd" || fail "mqttgw-passwd default is not \$7\$ 5000: $(cat "$T/passwd")"
# a 64-deep queue of 2.6 ms hashes (far more on a loaded CI machine): give them time
# every client gives a user name and password: the password file decides
start_broker "password_file $T/passwd" "connect_timeout 60"
# The broker and the flow client run at nice -5 (as root), so that other load on a shared CI
# machine does not measure as loop stalls; it does not help a loop that hashes by itself (main).
# The hashing thread sets its own nice +5 (absolute), below everyone here.
renice -n -5 -p "$BROKER_PID" >/dev/null 2>&1 || true

PY_TIMEOUT=130 py "$TEST_DIR/stallload.py" flow --qos 1 --rate 500 --duration 100 \
	--user flow --password flow-pw --nice -5 --until-file "$T/storm.json" --window-file "$T/storm.json" \
	--tail 0.5 --ready-file "$T/flow.ready" --lat "$T/storm-flow.lat" --json "$T/flow.json" >"$T/flow.out" 2>&1 &
FLOW=$!
track "$FLOW"
for ((i = 0; i < 300; i++)); do [ -e "$T/flow.ready" ] && break; sleep 0.1; done
[ -e "$T/flow.ready" ] || fail "flow client not ready: $(tail -n 5 "$T/flow.out")"
sleep 3 # the baseline
PY_TIMEOUT=120 py "$TEST_DIR/stallload.py" storm --count 1500 --parallel 64 \
	--user storm --password storm-pw --nice 10 --json "$T/storm.tmp.json" >"$T/storm.out" 2>&1 ||
	fail "storm client failed: $(tail -n 5 "$T/storm.out")"
mv "$T/storm.tmp.json" "$T/storm.json"
wait_pid "$FLOW" 20
[ "$WAIT_RC" = 0 ] || fail "flow client failed: $(tail -n 5 "$T/flow.out")"
log "storm: $(cat "$T/storm.json")"
log "flow:  $(cat "$T/flow.json")"
py - "$T" "$P99_MS" <<'PY'
import json, sys
T, floor = sys.argv[1], float(sys.argv[2])
s = json.load(open(T + "/storm.json"))
f = json.load(open(T + "/flow.json"))
assert s["ok"] == 1500 and s["refused"] == 0, "storm: %r" % s
assert f["lost"] == 0 and f["dup"] == 0 and f["reordered"] == 0, "flow: %r" % f
w = f["window"]
assert w["n"] >= 0.5 * 500 * s["secs"], "too few flow messages in the storm window: %r" % w
# the machine's own noise: the same flow before the storm (its first 0.3 s left out)
base = sorted(float(l.split()[2]) for l in open(T + "/storm-flow.lat") if l[0] != "#"
              and 0.3 <= float(l.split()[1]) < s["start"] - f["t0"])
assert len(base) >= 500, "too short a baseline: %d messages" % len(base)
b99 = base[int(len(base) * 0.99)]
bound = max(floor, 20 * b99)
print("baseline p99 %.2f ms -> bound %.0f ms; storm %.1f s; flow p50 %.2f p99 %.2f max %.2f ms" % (
    b99, bound, s["secs"], w["p50"], w["p99"], w["max"]))
assert w["p99"] < bound, "QoS 1 p99 %.1f ms during the storm (bound %.0f ms): %r" % (w["p99"], bound, f)
PY
