#!/usr/bin/env bash
# 10,000 QoS 1 messages from one publisher (mosquitto_pub -l, one message per line) on one topic
# reach a QoS 1 subscriber all, once each, in publish order.
# max_queued_messages is raised from its default 1000: MQTT has no end-to-end flow control, the
# broker acknowledges the publisher at once, and with the default a subscriber that falls behind
# (a loaded machine) has QoS 1 messages dropped by policy - Mosquitto too ("Outgoing messages are
# being dropped"). What is asserted here is completeness and order, not the drop policy.
# timeout: 120
. "$(dirname "$0")/lib.sh"
start_broker "max_queued_messages 20000"
N=10000
sub_bg "$T/sub.out" -q 1 -t order/q1 -C "$N" -W 30
seq 1 "$N" | CLIENT_TIMEOUT=60 pub -q 1 -t order/q1 -l
wait_pid "$SUB_PID" 35
assert_eq 0 "$WAIT_RC" "mosquitto_sub exit status (timed out before $N messages?)"
sub_payloads "$T/sub.out" >"$T/got"
assert_eq "$N" "$(wc -l <"$T/got")" "messages received"
# in order and each exactly once: line i is i
bad=$(awk 'NR != $1 { print NR ": " $0; exit }' "$T/got")
assert_eq "" "$bad" "first out-of-order message (line: payload)"
assert_eq "$N" "$(sub_publish_lines "$T/sub.out" | grep -c 'q1, r0')" "deliveries at QoS 1, RETAIN 0"
