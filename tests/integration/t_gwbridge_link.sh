#!/usr/bin/env bash
# mqttgwd's bridge across link faults, against a real Mosquitto; in each, every QoS 1 message a
# local publisher had acknowledged reaches the upstream subscriber, in order (QoS 1 may repeat
# one: consecutive duplicates are allowed, nothing else):
#  1. link down/up (`ip link set veth0 down` on the gateway's side) with a backlog published
#     during the outage: keepalive 5 s finds the dead link, the backlog drains after link up;
#  2. silent cut (nftables drops the MQTT port in the upstream's namespace: no FIN, no RST):
#     found within 1.5 x keepalive, queue drained once the rule is gone;
#  3. upstream restart (SIGTERM, Mosquitto keeps the subscriber's persistent session) with a
#     backlog published while it is down; reconnects counted in $SYS.
# timeout: 150
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
[ "$NETMODE" = netns ] || skip "needs network namespaces (root, ip netns)"
command -v nft >/dev/null || skip "needs nft"
mkdir -p "$T/mq"
chmod 777 "$T/mq" # Mosquitto started as root runs as user mosquitto
start_broker "persistence true" "persistence_location $T/mq/" "max_queued_messages 100000" \
	"max_inflight_messages 0"
gw_start gw "topic q/# out 1"
gw_up gw 10

# check_run OUT PREFIX N: OUT has PREFIX0..PREFIX(N-1) in order, consecutive repeats allowed
check_run() {
	local want
	want=$(for i in $(seq 0 $(($3 - 1))); do echo "q/t $2$i"; done)
	assert_eq "$want" "$(sub_payloads "$1" | grep " $2[0-9]*\$" | uniq)" "$2: every message, in order"
}
# publish_run PREFIX N: N QoS 1 messages on one connection (each acknowledged before the next)
publish_run() {
	for i in $(seq 0 $(($2 - 1))); do echo "$1$i"; done >"$T/msgs"
	gw_pub -q 1 -t q/t -l <"$T/msgs"
}
# lost_after N WHAT: from t0 until the gateway logged its N-th lost link; within 1.5 x keepalive
# (+1.5 s of slack)
lost_after() {
	local i ms
	for ((i = 0; i < 240; i++)); do
		[ "$(count_lines "$T/gw.log" 'Bridge up: connection to .* lost')" -ge "$1" ] && break
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	log "$2 found after $ms ms"
	assert_int_between "$ms" 0 9000 "$2 found within 1.5 x keepalive (+1.5 s)"
	sleep 1.2 # $SYS (every second) has caught up
}
# drained PREFIX N: wait (15 s at most) for the subscriber to have them, then check_run
drained() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(sub_payloads "$T/sub" | grep -c " $1[0-9]*\$")" -ge "$2" ] && break
		sleep 0.1
	done
	check_run "$T/sub" "$1" "$2"
}
sub_bg "$T/sub" -i gw-sub -c -q 1 -t "q/#" -v -W 140
sub_pid=$SUB_PID

# 1. link down/up
ip -n "$CLIENT_NS" link set veth0 down
t0=$(date +%s%N)
publish_run a 100
lost_after 1 "link down"
assert_ne up "$(gw_sys state)" "not up while the link is down"
# (what was in flight when the link died stays counted there until it is sent again)
assert_eq 100 "$(($(gw_sys queued) + $(gw_sys inflight)))" "the backlog is queued"
ip -n "$CLIENT_NS" link set veth0 up
gw_up gw 15 2
drained a 100

# 2. silent cut
bns nft -f - <<NFT
table inet mqgwcut {
	chain input { type filter hook input priority 0; policy accept; tcp dport $BROKER_PORT drop; }
	chain output { type filter hook output priority 0; policy accept; tcp sport $BROKER_PORT drop; }
}
NFT
at_cleanup "ip netns exec $BROKER_NS nft delete table inet mqgwcut 2>/dev/null"
t0=$(date +%s%N)
publish_run b 50
lost_after 2 "silent cut"
bns nft delete table inet mqgwcut
gw_up gw 15 3
drained b 50

# 3. upstream restart with a backlog
stop_broker
publish_run c 200
_start_broker_proc
gw_up gw 15 4
drained c 200
sleep 1.2
assert_eq 3 "$(gw_sys reconnects)" "three reconnects"
assert_eq 0 "$(gw_sys queued)" "nothing left queued"
assert_eq 0 "$(gw_sys dropped)" "nothing dropped"
kill_wait "$sub_pid" || true
kill_wait "$GW_PID"
