#!/usr/bin/env bash
# mqttgwd's bridge over a slow uplink (tc tbf 1 Mbit/s on the gateway's side of the veth) to a
# real Mosquitto: 400 QoS 1 messages of 1 KiB published locally as fast as the gateway
# acknowledges them all reach the upstream subscriber in order, the local publisher is not held
# to the uplink's pace (the queue takes the difference), and the queue drains at about the
# link's rate.
# timeout: 90
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
[ "$NETMODE" = netns ] || skip "needs network namespaces (root, ip netns)"
command -v tc >/dev/null || skip "needs tc"
start_broker "max_queued_messages 100000"
gw_start gw "topic s/# out 1"
gw_up gw 10
ip netns exec "$CLIENT_NS" tc qdisc add dev veth0 root tbf rate 1mbit burst 16kb latency 2s
sub_bg "$T/sub" -q 1 -t "s/#" -C 400 -W 60
pad=$(head -c 1000 /dev/zero | tr '\0' x)
for i in $(seq 0 399); do printf '%04d%s\n' "$i" "$pad"; done >"$T/msgs"
t0=$(date +%s%N)
gw_pub -q 1 -t s/t -l <"$T/msgs"
pub_ms=$((($(date +%s%N) - t0) / 1000000))
wait_pid "$SUB_PID" 60
drain_ms=$((($(date +%s%N) - t0) / 1000000))
log "local publish of 400 x 1 KiB took $pub_ms ms; upstream had them all after $drain_ms ms"
assert_eq "$(cut -c1-4 "$T/msgs")" "$(sub_payloads "$T/sub" | cut -c1-4)" "every message, in order"
# 400 KiB at 1 Mbit/s is at least 3.2 s on the wire; the local publisher did not wait for it
assert_int_between "$drain_ms" 3000 20000 "drained at about the link's rate"
assert_int_between "$pub_ms" 0 $((drain_ms / 2)) "local publishers are not held to the uplink's pace"
kill_wait "$GW_PID"
stop_broker
