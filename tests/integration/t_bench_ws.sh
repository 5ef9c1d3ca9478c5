#!/usr/bin/env bash
# mqttgw-bench --ws (the ws column of `make bench`): p2p over MQTT over WebSocket to a
# `protocol websockets` listener, QoS 0 and QoS 1 (MQTT 5), every message delivered once and in
# order (sent = received = delivered, nothing lost, duplicated, reordered or stalled), the
# report says transport "ws"; the same tool against the plain TCP listener fails the handshake
# with a clear error instead of hanging.
# timeout: 90
. "$(dirname "$0")/lib.sh"
BENCH=$BUILD/mqttgw-bench
[ -x "$BENCH" ] || skip "no $BENCH (make all)"

check() { # label json
	local v
	v=$("$PY" -c '
import json, sys
r = json.loads(sys.argv[1])
bad = []
if r.get("transport") != "ws": bad.append("transport %r" % r.get("transport"))
if r["sent"] < 500: bad.append("only %d messages" % r["sent"])
for k in ("received", "expected"):
    if r[k] != r["sent"]: bad.append("%s %d != sent %d" % (k, r[k], r["sent"]))
for k in ("lost", "reordered", "dup", "bad", "errors", "stalls"):
    if r[k]: bad.append("%s %d" % (k, r[k]))
if not r["ok"]: bad.append("integrity verdict false")
print("; ".join(bad) or "ok")' "$2")
	assert_eq ok "$v" "$1: $2"
}

start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
out=$(run_fg timeout 60 "${CLI[@]}" "$BENCH" p2p --ws --qos 0 --pairs 2 --host "$BROKER_HOST" \
	--port "$BROKER_PORT2" --duration 1 --warmup 0.2 --json 2>"$T/b0.err") ||
	fail "p2p --ws QoS 0 exit status $?: $(cat "$T/b0.err")"
check "QoS 0" "$out"
out=$(run_fg timeout 60 "${CLI[@]}" "$BENCH" p2p --ws --qos 1 --mqtt-version 5 --pairs 2 \
	--host "$BROKER_HOST" --port "$BROKER_PORT2" --size 3000 --duration 1 --warmup 0.2 --json \
	2>"$T/b1.err") || fail "p2p --ws QoS 1 exit status $?: $(cat "$T/b1.err")"
check "QoS 1, MQTT 5, 3000 B (16-bit frame lengths)" "$out"
# a plain MQTT listener does not answer the upgrade with 101: a clear failure, within bounds
if run_fg timeout 30 "${CLI[@]}" "$BENCH" p2p --ws --pairs 1 --host "$BROKER_HOST" \
	--port "$BROKER_PORT" --duration 1 --warmup 0 >"$T/b2.out" 2>"$T/b2.err"; then
	fail "p2p --ws against a TCP listener succeeded"
fi
assert_contains "$(cat "$T/b2.err")" "websocket handshake" "the error names the handshake"
broker_alive
stop_broker
