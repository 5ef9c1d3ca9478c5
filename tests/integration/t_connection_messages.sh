#!/usr/bin/env bash
# `connection_messages false` (Mosquitto): no "New client connected", "already connected",
# "disconnected" or "closed its connection" lines; other lines (a subscription) still are.
# With the default (true) the same clients give those lines.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
clients() {
	sub -i c1 -t a/b -C 1 -W 1 >/dev/null || true # subscribes, then its DISCONNECT
	pub -i c2 -t a/b -m x
}
start_broker "connection_messages false"
clients
stop_broker
log=$(cat "$BROKER_LOG")
assert_contains "$log" "c1 0 a/b" "the subscription is logged"
assert_not_contains "$log" "New client connected"
assert_not_contains "$log" "disconnected."
assert_not_contains "$log" "closed its connection"

: >"$BROKER_LOG"
start_broker
clients
stop_broker
log=$(cat "$BROKER_LOG")
assert_contains "$log" "New client connected from"
assert_contains "$log" "Client c2 ["
