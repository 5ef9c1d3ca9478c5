#!/usr/bin/env bash
# mqttgw-bench --ws (the ws column of `make bench`): p2p over MQTT over WebSocket to a
# `protocol websockets` listener, QoS 0 and QoS 1 (MQTT 5), every message delivered once and in
# order (sent = received = delivered, nothing lost, duplicated, reordered or stalled), the
# report says transport "ws"; the same tool against the plain TCP listener fails the handshake
# with a clear error instead of hanging. --timeline (the bench's latency-over-time file): one
# '<t_s> <latency_us>' line per latency sample of the run, t_s inside the measured window (QoS 0
# paced at 200k msg/s: flat out a plain build sends over 4 Mi samples, the timeline's cap).
# timeout: 90
. "$(dirname "$0")/lib.sh"
BENCH=$BUILD/mqttgw-bench
[ -x "$BENCH" ] || skip "no $BENCH (make all)"

start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
run_fg timeout 60 "${CLI[@]}" "$BENCH" p2p --ws --qos 0 --pairs 2 --rate 200000 --host "$BROKER_HOST" \
	--port "$BROKER_PORT2" --duration 1 --warmup 0.2 --json --timeline "$T/q0.tsv" \
	>"$T/q0.json" 2>"$T/b0.err" ||
	fail "p2p --ws QoS 0 exit status $?: $(cat "$T/b0.err")"
run_fg timeout 60 "${CLI[@]}" "$BENCH" p2p --ws --qos 1 --mqtt-version 5 --pairs 2 \
	--host "$BROKER_HOST" --port "$BROKER_PORT2" --size 3000 --duration 1 --warmup 0.2 --json \
	>"$T/q1.json" 2>"$T/b1.err" || fail "p2p --ws QoS 1 exit status $?: $(cat "$T/b1.err")"
# QoS 1 with MQTT 5 and 3000 B payloads: frames with 16-bit lengths
py - "$T/q0.json" "$T/q1.json" <<'PY'
import json, sys
from mqttc import check, check_eq
for path in sys.argv[1:]:
    r = json.load(open(path))
    what = "%s: %s" % (path.rsplit("/", 1)[-1], r)
    check(r.get("transport") == "ws", "transport: " + what)
    check(r["sent"] >= 500, "too few messages: " + what)
    check(r["received"] == r["sent"] and r["expected"] == r["sent"], "not all delivered: " + what)
    for k in ("lost", "reordered", "dup", "bad", "errors", "stalls"):
        check(not r[k], "%s: %s" % (k, what))
    check(r["ok"], "integrity verdict: " + what)
r = json.load(open(sys.argv[1]))
tl = [l.split() for l in open(sys.argv[1][:-5] + ".tsv") if not l.startswith("#")]
check_eq(r["lat_samples"], len(tl), "timeline lines")
check(all(len(x) == 2 and -0.01 <= float(x[0]) <= r["duration_s"] + 0.01 and float(x[1]) > 0
          for x in tl), "timeline values")
print("ok")
PY
# a plain MQTT listener does not answer the upgrade with 101: a clear failure, within bounds
if run_fg timeout 30 "${CLI[@]}" "$BENCH" p2p --ws --pairs 1 --host "$BROKER_HOST" \
	--port "$BROKER_PORT" --duration 1 --warmup 0 >"$T/b2.out" 2>"$T/b2.err"; then
	fail "p2p --ws against a TCP listener succeeded"
fi
assert_contains "$(cat "$T/b2.err")" "websocket handshake" "the error names the handshake"
broker_alive
stop_broker
