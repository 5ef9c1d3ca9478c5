#!/usr/bin/env bash
# mqttgwd's bridge to a real Mosquitto, v3.1.1 and v5: 200 QoS 1 messages published locally on
# an `out` topic reach an upstream subscriber in order on the remapped topic, and the local
# publishers were acknowledged; a QoS 0 `out` message too; a QoS 2 message published upstream
# on an `in` topic reaches a local subscriber remapped, at QoS 2; a local message on a topic no
# out line covers stays local; the local notification topic says 1 (retained); the
# $SYS/broker/bridges/up/... topics count what happened.
# timeout: 90
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
start_broker
for proto in mqttv311 mqttv50; do
	gw_start gw.$proto "bridge_protocol_version $proto" \
		"topic sensors/# out 1 site/ cloud/" "topic cmd/# in 2 local/ cloud/"
	gw_up gw.$proto 10
	sub_bg "$T/up.$proto" -q 1 -t "cloud/#" -C 201 -W 30 -v
	up_pid=$SUB_PID
	gw_sub_bg "$T/down.$proto" -q 2 -t "local/#" -C 1 -W 20 -v
	down_pid=$SUB_PID
	for i in $(seq 0 199); do echo "$proto-$i"; done >"$T/msgs"
	# first, so that it would come first upstream if it leaked
	gw_pub -q 1 -t site/other/t -m "$proto-stays-local"
	# one connection, every line a QoS 1 message: mosquitto_pub waits for each PUBACK
	gw_pub -q 1 -t site/sensors/t -l <"$T/msgs"
	gw_pub -q 0 -t site/sensors/q0 -m "$proto-zero"
	pub -q 2 -t cloud/cmd/reboot -m now
	wait_pid "$up_pid" 30
	want=$(for i in $(seq 0 199); do echo "cloud/sensors/t $proto-$i"; done; echo "cloud/sensors/q0 $proto-zero")
	assert_eq "$want" "$(sub_payloads "$T/up.$proto")" "$proto: upstream got every message, in order"
	wait_pid "$down_pid" 20
	assert_contains "$(cat "$T/down.$proto")" "local/cmd/reboot now" "$proto: in message delivered locally"
	assert_match "$(sub_publish_lines "$T/down.$proto")" "q2, r0, m[0-9]+, 'local/cmd/reboot'" "$proto: at QoS 2"
	got=$(gw_sub -t '$SYS/broker/connection/#' -C 1 -W 5 -v)
	assert_match "$got" '^\$SYS/broker/connection/up\.[^ ]+/state 1$' "$proto: local notification"
	# $SYS counters (published every second)
	sleep 1.2
	assert_eq up "$(gw_sys state)" "$proto: state"
	assert_eq 200 "$(gw_sys acked)" "$proto: acked"
	assert_eq 0 "$(gw_sys queued)" "$proto: queued"
	assert_eq 1 "$(gw_sys received)" "$proto: received"
	assert_eq 0 "$(gw_sys reconnects)" "$proto: reconnects"
	kill_wait "$GW_PID"
done
stop_broker
