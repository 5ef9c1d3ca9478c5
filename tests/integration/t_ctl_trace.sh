#!/usr/bin/env bash
# mqttgwctl trace FILTER: a live tap that prints the messages the daemon routes whose topic
# matches, as `mosquitto_sub -v` prints them (topic, space, payload bytes), without being an
# MQTT client (no client, no session, no subscription appear). Text, binary (non-UTF-8) and
# retained messages, QoS 0/1/2; messages outside the filter are not shown; `--json` gives one
# parsed line per message with qos and retain; two traces run at once; SIGINT ends a trace with
# exit 0 and the daemon forgets it.
# mqttgwd only: mqttgwctl is mqttgw's own.
# broker: mqttgwd
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/ctllib.sh"
start_broker_ctl
# stdout carries only the messages; what mqttgwctl says goes to stderr
bg "$T/trace.out" bash -c 'exec "$0" -s "$1" trace "tr/#" 2>"$2"' "$CTL_BIN" "$CTL_SOCK" "$T/trace.err"
TR1=$BG_PID
bg "$T/trace.json" "$CTL_BIN" -s "$CTL_SOCK" --json trace 'tr/+/q'
TR2=$BG_PID
for i in $(seq 100); do
	[ "$(jq_py "$(ctl_json status)" 'j["result"]["traces"]')" = 2 ] && break
	sleep 0.1
done
j=$(ctl_json status)
assert_eq 2 "$(jq_py "$j" 'j["result"]["traces"]')" "two taps registered"
assert_eq 0 "$(jq_py "$j" 'j["result"]["clients"]')" "a trace is not a client"
assert_eq 0 "$(jq_py "$j" 'j["result"]["subscriptions"]')" "a trace is not a subscription"

pub -t tr/text -m 'hello trace'
pub -t other/x -m 'not traced'
printf 'b\x00\xff\x01' >"$T/bin"
pub -t tr/bin -f "$T/bin"
pub -t tr/a/q -m 'qos one' -q 1
pub -t tr/b/q -m 'qos two retained' -q 2 -r
for i in $(seq 100); do
	[ "$(wc -l <"$T/trace.json")" -ge 3 ] && [ "$(wc -l <"$T/trace.out")" -ge 4 ] && break
	sleep 0.1
done
printf 'tr/text hello trace\ntr/bin b\x00\xff\x01\ntr/a/q qos one\ntr/b/q qos two retained\n' >"$T/want"
cmp "$T/want" "$T/trace.out" || fail "trace output: $(od -c "$T/trace.out" | head -20)"
"$PY" - "$T/trace.json" <<'PY' || fail "trace --json: $(cat "$T/trace.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0] == {"ok": True, "trace": "tr/+/q", "fastpath_sockets": lines[0]["fastpath_sockets"]}, lines[0]
msgs = [(m["topic"], m["payload"], m["qos"], m["retain"]) for m in lines[1:]]
assert msgs == [("tr/a/q", "qos one", 1, False), ("tr/b/q", "qos two retained", 2, True)], msgs
PY
assert_contains "$(cat "$T/trace.err")" "mqttgwctl: tracing tr/#"
kill -INT "$TR1"
wait_pid "$TR1" 5
assert_eq 0 "$WAIT_RC" "trace ended by SIGINT: exit 0"
for i in $(seq 50); do
	[ "$(jq_py "$(ctl_json status)" 'j["result"]["traces"]')" = 1 ] && break
	sleep 0.1
done
assert_eq 1 "$(jq_py "$(ctl_json status)" 'j["result"]["traces"]')" "the ended tap is gone"
# the other one still sees messages
pub -t tr/c/q -m 'after'
for i in $(seq 50); do
	grep -q '"after"' "$T/trace.json" && break
	sleep 0.1
done
assert_contains "$(cat "$T/trace.json")" '"topic":"tr/c/q"'
