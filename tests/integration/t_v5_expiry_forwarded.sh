#!/usr/bin/env bash
# Message Expiry Interval is forwarded as the remaining time [MQTT-3.3.2-6]: published with 60 s,
# an online subscriber gets 59..60; a message without one is forwarded without one. Real clients:
# mosquitto_pub / mosquitto_sub -V mqttv5.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
sub_bg "$T/sub.out" -V mqttv5 -t 'ef/#' -q 1 -C 2 -W 10 -F 'msg %t expiry=[%E] %p'
pub -V mqttv5 -t ef/exp -q 1 -m with -D publish message-expiry-interval 60
pub -V mqttv5 -t ef/none -q 1 -m without
wait_pid "$SUB_PID" 10
out=$(sub_payloads "$T/sub.out")
log "subscriber output: $out"
assert_match "$out" '^msg ef/exp expiry=\[(59|60)\] with$' "forwarded with the remaining expiry"
assert_contains "$out" 'msg ef/none expiry=[] without' "forwarded without expiry"
