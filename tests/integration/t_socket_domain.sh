#!/usr/bin/env bash
# `socket_domain ipv4|ipv6` (per listener, Mosquitto): a listener without an address listens
# on that family only: ipv4 on 0.0.0.0 (an IPv6 client is refused), ipv6 on an IPv6-only ::
# (an IPv4 client is refused); a listener without socket_domain serves both. A listener whose
# address is of the other family does not start.
# timeout: 240
. "$(dirname "$0")/lib.sh"
P6=$BROKER_PORT2
P4=$((BROKER_PORT2 + 1))
PB=$((BROKER_PORT2 + 2))
start_broker "listener $P6" "socket_domain ipv6" "listener $P4" "socket_domain ipv4" \
	"listener $PB"
wait_listening "$P6" 10 "$BROKER_PID"
wait_listening "$P4" 10 "$BROKER_PID"
wait_listening "$PB" 10 "$BROKER_PID"
bns ip -6 addr show dev lo | grep -q '::1' || fail "no ::1 in the broker's namespace"

# one publish from the broker's namespace over loopback: 0 when it got through
try() { # host port
	bns timeout -k 2 10 mosquitto_pub -h "$1" -p "$2" -t sd -m x -q 1 >/dev/null 2>&1
}
outcome() { if try "$1" "$2"; then echo ok; else echo refused; fi; }
assert_eq ok "$(outcome ::1 "$P6")" "socket_domain ipv6, IPv6 client"
assert_eq refused "$(outcome 127.0.0.1 "$P6")" "socket_domain ipv6, IPv4 client"
assert_eq ok "$(outcome 127.0.0.1 "$P4")" "socket_domain ipv4, IPv4 client"
assert_eq refused "$(outcome ::1 "$P4")" "socket_domain ipv4, IPv6 client"
assert_eq ok "$(outcome 127.0.0.1 "$PB")" "no socket_domain, IPv4 client"
assert_eq ok "$(outcome ::1 "$PB")" "no socket_domain, IPv6 client"
# what is listening: the families, from the kernel's view
l6=$(bns ss -Hltn "sport = :$P6" | awk '{print $4}' | sort | tr '\n' ' ')
l4=$(bns ss -Hltn "sport = :$P4" | awk '{print $4}' | sort | tr '\n' ' ')
assert_eq "[::]:$P6 " "$l6" "sockets of the ipv6 listener"
assert_eq "0.0.0.0:$P4 " "$l4" "sockets of the ipv4 listener"
stop_broker

# an address of the other family: the broker does not start
write_config "$T/bad.conf" "listener $P6 127.0.0.1" "socket_domain ipv6"
rc=0
out=$(bns timeout 10 "$(broker_bin)" -c "$T/bad.conf" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "listener 127.0.0.1 with socket_domain ipv6 started: $out"
log "other family: exit status $rc: $out"
