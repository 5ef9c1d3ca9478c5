#!/usr/bin/env bash
# Half-dead clients found through sock_diag before keepalive (`half_dead_timeout`, README "The
# XDP guard"): a subscriber with keepalive 600 in a namespace of its own, whose traffic is then
# dropped by nft inside that namespace while the broker keeps sending it publications, is
# closed within 30 s (its socket has unacked data and retransmits), its will is published, one
# log line gives the reason with the TCP figures and $SYS/broker/clients/half_dead counts it;
# a healthy subscriber (keepalive 600) receiving the same publications and an idle one stay.
# broker: mqttgwd
# Mosquitto only notices such a client after 1.5 x keepalive (900 s); the key is mqttgw's.
# timeout: 90
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] && [ "$NETMODE" = netns ] || skip "needs root and network namespaces"
command -v nft >/dev/null || skip "no nft"

# the victim's own namespace, joined to the broker's by veth1
NSV=${BROKER_NS%-b}-v
netns_add "$NSV"
read -r B_SIDE V_ADDR <<<"$(pid_slash30 10.203)"
veth_link "$BROKER_NS" "$NSV" veth1 "$B_SIDE" "$V_ADDR"
ip -n "$NSV" route add "$BROKER_HOST/32" via "$B_SIDE"
V=(ip netns exec "$NSV")

SYS_INTERVAL=1
start_broker "half_dead_timeout 8"
sub_bg "$T/will.out" -k 600 -i watcher -t 'will/#' -C 1 -W 60
WATCH_PID=$SUB_PID
sub_bg "$T/healthy.out" -k 600 -i healthy -t 'data/#' -W 80
HEALTHY_PID=$SUB_PID
bg "$T/idle.out" "${CLI[@]}" mosquitto_sub -h "$BROKER_HOST" -p "$BROKER_PORT" -k 600 -i idle \
	-t nothing/here -W 80
IDLE_PID=$BG_PID
bg "$T/victim.out" "${V[@]}" stdbuf -oL mosquitto_sub -d -h "$BROKER_HOST" -p "$BROKER_PORT" \
	-k 600 -i victim -t 'data/#' --will-topic will/victim --will-payload gone -W 80
VICTIM_PID=$BG_PID
for ((i = 0; i < 100; i++)); do
	grep -q 'received SUBACK' "$T/victim.out" 2>/dev/null && break
	sleep 0.05
done
grep -q 'received SUBACK' "$T/victim.out" || fail "victim: no SUBACK: $(cat "$T/victim.out")"
pub -t data/x -m before
for ((i = 0; i < 100; i++)); do
	grep -q '^before$' "$T/victim.out" && break
	sleep 0.05
done

# the link to the victim goes dead: nothing in, nothing out, no RST, no FIN
"${V[@]}" nft -f - <<'NFT'
table inet halfdead {
	chain in { type filter hook input priority 0; policy drop; }
	chain out { type filter hook output priority 0; policy drop; }
}
NFT
T0=$SECONDS
# publications for it: data the broker sends and the kernel retransmits
for ((i = 0; i < 60; i++)); do
	pub -t data/x -m "m$i"
	grep -q 'gone' "$T/will.out" && break
	sleep 0.5
done
ELAPSED=$((SECONDS - T0))
grep -q '^gone$' "$T/will.out" ||
	fail "no will within $ELAPSED s: $(grep -i victim "$BROKER_LOG" | tail -5)"
assert_int_between "$ELAPSED" 0 30 "seconds until the half-dead victim was closed"
log "victim closed after about $ELAPSED s"
line=$(grep 'Client victim .*half-dead' "$BROKER_LOG" | head -1)
[ -n "$line" ] || fail "no half-dead log line: $(grep victim "$BROKER_LOG" | tail -5)"
assert_match "$line" \
	'segments unacked, [0-9]+ (retransmits|probes) in a row, last ACK [0-9]+ ms ago, rtt [0-9]+ us'
assert_eq 1 "$(grep -c 'half-dead' "$BROKER_LOG")" "half-dead closes"
assert_eq 1 "$(sub -t '$SYS/broker/clients/half_dead' -C 1 -W 5)" '$SYS/broker/clients/half_dead'
# the healthy subscribers are still there and served
kill -0 "$HEALTHY_PID" || fail "the healthy subscriber was closed"
kill -0 "$IDLE_PID" || fail "the idle subscriber was closed"
pub -t data/x -m after
for ((i = 0; i < 100; i++)); do
	sub_payloads "$T/healthy.out" | grep -q '^after$' && break
	sleep 0.05
done
sub_payloads "$T/healthy.out" | grep -q '^after$' || fail "healthy subscriber not served"
grep -Eq 'Client (healthy|idle) .*disconnected' "$BROKER_LOG" && fail "a healthy client was closed"
wait_pid "$WATCH_PID" 10
kill_wait "$VICTIM_PID" || true
exit 0
