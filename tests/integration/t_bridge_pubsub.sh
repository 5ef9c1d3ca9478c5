#!/usr/bin/env bash
# Bridge to a real Mosquitto: 500 QoS 1 `out` messages reach an upstream subscriber in order on
# the remapped topic; a QoS 2 message published upstream on an `in` topic reaches the deliver
# callback remapped with its QoS; the local notification says 1 when up; the upstream gets the
# retained "1" on the notification topic; v3.1.1 and v5.
# timeout: 90
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bridge_lib.sh"
start_broker
for proto in mqttv311 mqttv50; do
	sub_bg "$T/up.$proto" -q 1 -t "cloud/#" -C 500 -W 30 -v
	bridge_conf "$T/bridge.conf" "bridge_protocol_version $proto" \
		"topic sensors/# out 1 site/ cloud/" "topic cmd/# in 2 local/ cloud/"
	bridge_bg "$T/br.$proto" -t site/sensors/t -n 500 -q 1 -p "$proto-" -T 40
	wait_line "$T/br.$proto" '^STATE up .* acked=500 ' 30
	wait_pid "$SUB_PID" 10
	want=$(for i in $(seq 0 499); do echo "cloud/sensors/t $proto-$i"; done)
	assert_eq "$want" "$(sub_payloads "$T/up.$proto")" "$proto: upstream got every message, in order"
	pub -q 2 -t cloud/cmd/reboot -m now
	wait_line "$T/br.$proto" '^IN local/cmd/reboot 2 0 now$' 10
	assert_contains "$(cat "$T/br.$proto")" 'NOTIFY $SYS/broker/connection/up.test/state 1'
	got=$(sub -t '$SYS/broker/connection/up.test/state' -C 1 -W 5 -v)
	assert_eq '$SYS/broker/connection/up.test/state 1' "$got" "$proto: upstream notification"
	kill_wait "$BRIDGE_PID"
done
stop_broker
