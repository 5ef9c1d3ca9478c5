#!/usr/bin/env bash
# `upgrade_outgoing_qos true` (Mosquitto): messages go out at the subscription's QoS, not the
# lower of the two: a QoS 0 publish and a QoS 0 retained message reach a QoS 2 subscriber at
# QoS 2, a QoS 1 publish a QoS 2 subscriber at QoS 2. Without the key, the lower QoS.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
run() {
	pub -t up/kept -m kept -q 0 -r
	sub_bg "$T/sub.out" -t 'up/#' -q 2 -C 3 -W 10
	pub -t up/a -m zero -q 0
	pub -t up/b -m one -q 1
	wait_pid "$SUB_PID" 15 || fail "subscriber did not get 3 messages: $(cat "$T/sub.out")"
	sub_publish_lines "$T/sub.out" | sed -E 's/.*\((d[0-9], q[0-9]), .*'"'"'([^'"'"']*)'"'"'.*/\1 \2/' | sort
}
start_broker "upgrade_outgoing_qos true"
got=$(run)
stop_broker
assert_eq "d0, q2 up/a
d0, q2 up/b
d0, q2 up/kept" "$got" "upgraded to the subscription's QoS"
start_broker
got=$(run)
stop_broker
assert_eq "d0, q0 up/a
d0, q0 up/kept
d0, q1 up/b" "$got" "the lower QoS by default"
