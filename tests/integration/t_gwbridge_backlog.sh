#!/usr/bin/env bash
# A bridge backlog larger than what the bridge keeps in memory (8,192 entries) stays in the
# store and is read back as the queue drains; nothing acknowledged is lost, order holds:
#  1. upstream down: 20,000 QoS 1 messages published locally are acknowledged and queued;
#     $SYS shows queued 20000 and queued_in_memory at most 8192 (the rest in the store only);
#  2. the gateway is SIGKILLed and started again on the same store: the restore, too, keeps at
#     most 8192 in memory;
#  3. the upstream (Mosquitto) comes up with a persistent subscriber: all 20,000 arrive, in
#     order, each once (nothing had been sent before the kill).
# timeout: 240
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
N=20000
mkdir -p "$T/store"
GW_GLOBAL=("persistence true" "persistence_location $T/store" "persistence_sync normal")
gw_start gw1 "topic q/# out 1"
sleep 1
seq -f "m%05g" 0 $((N - 1)) | gw_pub -q 1 -t q/b -l
sleep 1.2
assert_eq $N "$(gw_sys queued)" "queued during the outage"
mem=$(gw_sys queued_in_memory)
[ "$mem" -le 8192 ] || fail "queued_in_memory $mem > 8192: the backlog is held in memory"
[ "$mem" -ge 1 ] || fail "queued_in_memory $mem"
kill -KILL "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
untrack "$GW_PID"
log "gateway killed (SIGKILL) with $N queued, $mem in memory"
gw_start gw2 "topic q/# out 1"
sleep 1.2
assert_eq $N "$(gw_sys queued)" "queued after the restart"
mem=$(gw_sys queued_in_memory)
[ "$mem" -le 8192 ] || fail "after the restore: queued_in_memory $mem > 8192"
kill_wait "$GW_PID"
start_broker "max_queued_messages 100000" "max_inflight_messages 0"
sub_bg "$T/sub" -i gw-sub -c -q 1 -t "q/#" -C $N -W 120
sub_pid=$SUB_PID
gw_start gw3 "topic q/# out 1"
gw_up gw3 10
wait_pid "$sub_pid" 120
got=$(sub_payloads "$T/sub")
assert_eq "$(seq -f "m%05g" 0 $((N - 1)))" "$got" "every acknowledged message, in order, once"
sleep 1.2
assert_eq 0 "$(gw_sys queued)" "nothing left"
assert_eq $N "$(gw_sys acked)" "acked"
kill_wait "$GW_PID"
stop_broker
