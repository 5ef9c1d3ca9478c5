#!/usr/bin/env bash
# bind_interface (Mosquitto 2: the listener binds to the interface's address) following an
# address change: a second listener with `bind_interface veth0` listens on veth0's address
# only (not on the broker's loopback); when that address is replaced by another, the
# listener moves to the new one (one log line each way) and a client connects there, while
# the old address no longer answers on that port. Without network namespaces: skipped.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
[ "$(id -u)" = 0 ] && [ "$NETMODE" = netns ] || skip "needs root and network namespaces"

start_broker "listener $BROKER_PORT2" "bind_interface veth0"
wait_log "port $BROKER_PORT2 \(bind_interface veth0\): listening on $BROKER_HOST\."
[ -z "$(bns ss -Hltn "src 127.0.0.1:$BROKER_PORT2")" ] || fail "listening on loopback too"
pub -p "$BROKER_PORT2" -t bi/t -m one

# a new address for the broker's end of the link; the old one goes
read -r _ _ <<<"$(pid_slash30 10.202)"
read -r NEW_B NEW_C <<<"$(pid_slash30 10.202)"
ip -n "$BROKER_NS" addr add "$NEW_B/30" dev veth0
ip -n "$CLIENT_NS" addr add "$NEW_C/30" dev veth0
ip -n "$BROKER_NS" addr del "$BROKER_HOST/30" dev veth0
wait_log "port $BROKER_PORT2 \(bind_interface veth0\): listening on $NEW_B\." 2
grep -q "closed the socket on $BROKER_HOST\." "$BROKER_LOG" || fail "no close line: $(tail "$BROKER_LOG")"
run_fg "${CLI[@]}" timeout 10 mosquitto_pub -h "$NEW_B" -p "$BROKER_PORT2" -t bi/t -m two ||
	fail "cannot publish to the listener on the new address"
[ -n "$(bns ss -Hltn "src $NEW_B:$BROKER_PORT2")" ] || fail "not listening on $NEW_B"
[ -z "$(bns ss -Hltn "sport = :$BROKER_PORT2" | grep -v "$NEW_B")" ] || fail "still listening elsewhere: $(bns ss -Hltn)"
# put the original address back for the harness's clean stop (it talks to $BROKER_HOST)
ip -n "$BROKER_NS" addr add "$BROKER_HOST/30" dev veth0
