#!/usr/bin/env bash
# mqttgwd's bridge with `persistence true`: nothing acknowledged is lost.
#  1. upstream down (nothing listens: connection refused, backoff): 300 QoS 1 and 100 QoS 2
#     messages published locally are acknowledged (once durable) and queued;
#  2. the gateway is SIGKILLed during the outage and started again on the same store;
#  3. the upstream comes up with a persistent subscriber: all 400 reach it, in order, none twice
#     (nothing had been sent before the kill);
#  4. acknowledged entries leave the store: a third start has nothing left to send;
#  5. inbound: a QoS 1 message from upstream for an offline persistent local session is
#     acknowledged upstream once stored; the gateway is SIGKILLed; started again, it delivers
#     it to the session when it comes back.
# timeout: 120
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
mkdir -p "$T/store"
GW_GLOBAL=("persistence true" "persistence_location $T/store")
gw_start gw1 "topic q/# out 2"
sleep 1
for i in $(seq 0 299); do echo "a$i"; done | gw_pub -q 1 -t q/one -l
for i in $(seq 0 99); do echo "b$i"; done | gw_pub -q 2 -t q/two -l
sleep 1.2
assert_eq 400 "$(gw_sys queued)" "queued during the outage"
kill -KILL "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
untrack "$GW_PID"
log "gateway killed (SIGKILL) with 400 queued"
start_broker "max_queued_messages 100000" "max_inflight_messages 0"
sub_bg "$T/sub" -i gw-sub -c -q 2 -t "q/#" -v -C 400 -W 40
sub_pid=$SUB_PID
gw_start gw2 "topic q/# out 2"
gw_up gw2 10
wait_pid "$sub_pid" 40
want=$( (for i in $(seq 0 299); do echo "q/one a$i"; done; for i in $(seq 0 99); do echo "q/two b$i"; done))
assert_eq "$want" "$(sub_payloads "$T/sub")" "every acknowledged message, in order, once"
sleep 1.2
assert_eq 400 "$(gw_sys acked)" "acked"
assert_eq 0 "$(gw_sys queued)" "nothing left"
kill_wait "$GW_PID"
gw_start gw3 "topic q/# out 2" "topic c/# in 1"
gw_up gw3 10
sleep 1.2
assert_eq 0 "$(gw_sys queued)" "acknowledged entries were deleted from the store"
assert_eq 0 "$(gw_sys sent)" "nothing sent again"
# 5
gw_sub -i local-sub -c -q 1 -t 'c/#' -W 1 >/dev/null || true # a session, then offline
pub -q 1 -t c/x -m cmd1
for ((i = 0; i < 50; i++)); do
	grep -q "Received PUBACK from up\." "$BROKER_LOG" && break
	sleep 0.1
done
assert_contains "$(cat "$BROKER_LOG")" "Received PUBACK from up." "upstream got its PUBACK"
kill -KILL "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
untrack "$GW_PID"
gw_start gw4 "topic q/# out 2" "topic c/# in 1"
assert_eq "c/x cmd1" "$(gw_sub -i local-sub -c -q 1 -t 'c/#' -C 1 -W 5 -v)" \
	"the acknowledged inbound message survived the kill"
kill_wait "$GW_PID"
stop_broker
