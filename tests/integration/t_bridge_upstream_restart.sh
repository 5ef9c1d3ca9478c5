#!/usr/bin/env bash
# The durable queue survives everything between the gateway and the upstream:
#  1. upstream down: 300 QoS 1 + 300 QoS 2 messages queue in the store (the bridge retries
#     with backoff); the gateway is SIGKILLed; restarted, it loads all 600 entries;
#  2. the upstream comes back: the queue drains at once, in order;
#  3. upstream restart in the middle of a stream of QoS 2 messages (kill -9 and restart): the
#     bridge reconnects and resumes; the subscriber (persistent session upstream) gets every
#     QoS 2 message exactly once and every QoS 1 at least once.
# timeout: 150
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bridge_lib.sh"
mkdir -p "$T/store"
bridge_conf "$T/bridge.conf" "topic q/# out 2 \"\" \"\""
# 1: no upstream yet (nothing listens: connection refused, backoff)
bridge_bg "$T/br1" -s "$T/store" -t q/one -n 300 -q 1 -p a -T 60
wait_line "$T/br1" '^STATE backoff queued=300 ' 10
wait_line "$T/br1" '^DURABLE 300$' 10
kill -KILL "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null || true; untrack "$BRIDGE_PID"
bridge_bg "$T/br2" -s "$T/store" -t q/two -n 300 -q 2 -p b -T 60
wait_line "$T/br2" '^LOADED 300$' 10
wait_line "$T/br2" '^STATE backoff queued=600 ' 10
wait_line "$T/br2" '^DURABLE 300$' 10
kill -KILL "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null || true; untrack "$BRIDGE_PID"
# 2: upstream up, a persistent subscriber first, then the gateway again
start_broker "persistence false" "max_queued_messages 100000" "max_inflight_messages 0"
sub_bg "$T/sub" -i drain-sub -c -q 2 -t "q/#" -v -C 600 -W 40
bridge_bg "$T/br3" -s "$T/store" -x -T 60
wait_line "$T/br3" '^LOADED 600$' 10
wait_pid "$BRIDGE_PID" 60
assert_eq 0 "$WAIT_RC" "bridge drained (log: $(tail -n 3 "$T/br3"))"
wait_pid "$SUB_PID" 30
want=$( (for i in $(seq 0 299); do echo "q/one a$i"; done; for i in $(seq 0 299); do echo "q/two b$i"; done))
assert_eq "$want" "$(sub_payloads "$T/sub")" "every queued message, in order"
# 3: a stream of QoS 2 with the upstream restarted in the middle (SIGTERM: Mosquitto saves its
# persistent sessions, so the subscriber's queue survives; the bridge's in-flight QoS 2 state
# with the upstream too, which is what exactly-once across the restart needs)
stop_broker
mkdir -p "$T/mq"
chmod 755 "$T"
chmod 777 "$T/mq" # Mosquitto started as root runs as user mosquitto
start_broker "persistence true" "persistence_location $T/mq/" "max_queued_messages 100000" \
	"max_inflight_messages 0"
sub_bg "$T/sub2" -i drain-sub2 -c -q 2 -t "q/three" -v -W 90
bridge_bg "$T/br4" -s "$T/store" -t q/three -n 2000 -q 2 -r 5 -p c -x -T 80
wait_line "$T/br4" '^STATE up .* acked=([3-9][0-9][0-9]|[0-9]{4}) ' 20
restart_broker
wait_pid "$BRIDGE_PID" 70
assert_eq 0 "$WAIT_RC" "bridge drained after the restart (log: $(tail -n 3 "$T/br4"))"
assert_match "$(last_state "$T/br4")" 'reconnects=[1-9]' "a reconnect happened"
for ((i = 0; i < 200; i++)); do
	[ "$(sub_payloads "$T/sub2" | grep -c '^q/three' | sort -u)" -ge 2000 ] &&
		[ "$(sub_payloads "$T/sub2" | sort -u | grep -c '^q/three')" -ge 2000 ] && break
	sleep 0.1
done
kill_wait "$SUB_PID" || true
want=$(for i in $(seq 0 1999); do echo "q/three c$i"; done)
assert_eq "$want" "$(sub_payloads "$T/sub2" | sort -t c -k2 -n | uniq)" "every QoS 2 message arrived"
# The upstream's own leg to mosquitto_sub may repeat what it re-sends with DUP after its restart
# (libmosquitto hands such a QoS 2 resend to the application again); a duplicate made by the
# bridge would arrive as a fresh PUBLISH (d0): so duplicates must not outnumber the d1 resends.
dups=$(sub_payloads "$T/sub2" | sort | uniq -d | wc -l)
d1=$(grep -c 'received PUBLISH (d1' "$T/sub2" || true)
log "duplicates at the subscriber: $dups, upstream DUP resends: $d1"
assert_int_between "$dups" 0 "$d1" "duplicates beyond the upstream's own DUP resends"
