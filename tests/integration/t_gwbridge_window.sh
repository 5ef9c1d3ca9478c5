#!/usr/bin/env bash
# The bridge's send window is the global max_inflight_messages, as Mosquitto's bridges (issue #17:
# a drain of one window per round trip is 20 / RTT at the old fixed 20):
#  1. max_inflight_messages 50: the upstream (Mosquitto) is stopped (SIGSTOP, so nothing is
#     acknowledged), 200 QoS 1 messages are published to the gateway: $SYS shows 50 in flight
#     and 150 queued; the upstream resumes and its subscriber gets all 200, in order, once each;
#  2. without the key: 20 in flight (Mosquitto's default).
# timeout: 120
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
N=200

# wait_sys KEY WANT: until the gateway's $SYS/broker/bridges/up/KEY is WANT (10 s)
wait_sys() {
	local i v=
	for ((i = 0; i < 20; i++)); do
		v=$(gw_sys "$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.5
	done
	fail "\$SYS/broker/bridges/up/$1 is '$v', want $2"
}

# window_run NAME WINDOW: the upstream held, N messages published, WINDOW in flight, all arrive
window_run() {
	local name=$1 w=$2 sub_pid
	start_broker "max_queued_messages 1000"
	sub_bg "$T/sub.$name" -q 1 -t "w/#" -C $N -W 60
	sub_pid=$SUB_PID
	gw_start "$name" "topic w/# out 1"
	gw_up "$name" 10
	kill -STOP "$BROKER_PID"
	seq -f "m%03g" 1 $N | gw_pub -q 1 -t w/x -l
	wait_sys inflight "$w"
	assert_eq $((N - w)) "$(gw_sys queued)" "$name: queued behind the window"
	kill -CONT "$BROKER_PID"
	wait_pid "$sub_pid" 60
	assert_eq "$(seq -f "m%03g" 1 $N)" "$(sub_payloads "$T/sub.$name")" \
		"$name: all $N upstream, in order, once each"
	kill_wait "$GW_PID"
	stop_broker
}

GW_GLOBAL=("max_inflight_messages 50")
window_run gw50 50
GW_GLOBAL=()
window_run gw20 20
