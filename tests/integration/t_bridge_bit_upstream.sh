#!/usr/bin/env bash
# The broker under test as the upstream of a real Mosquitto bridge (MQTT 3.1.1 with
# `try_private true`: CONNECT protocol level 0x84, the bridge bit), `topic # both 1`:
#  - the upstream accepts it and logs "New bridge connected";
#  - messages go both ways, each once at every subscriber (the upstream does not echo the
#    bridge's own messages back: No Local for the bridge's subscriptions, as Mosquitto 2.0 does);
#  - the retain flag is kept as published (Retain As Published): a retained message published
#    upstream reaches the gateway with RETAIN set, so the gateway keeps it as its retained
#    message too, and a later subscriber there gets it; the same the other way.
# timeout: 90
. "$(dirname "$0")/lib.sh"
start_broker
if [ "$NETMODE" = netns ]; then GW_PORT=21891; else GW_PORT=$(free_port); fi
GW_HOST=127.0.0.1
cat >"$T/gw.conf" <<CONF
listener $GW_PORT $GW_HOST
allow_anonymous true
log_dest stderr
log_type all
user root
connection up
address $BROKER_HOST:$BROKER_PORT
bridge_protocol_version mqttv311
try_private true
cleansession true
keepalive_interval 5
restart_timeout 1
notifications false
topic # both 1
CONF
bg "$T/gw.log" "${CLI[@]}" /usr/sbin/mosquitto -c "$T/gw.conf"
gw_pid=$BG_PID
for ((i = 0; i < 200; i++)); do
	grep -q "New bridge connected" "$BROKER_LOG" && break
	kill -0 "$gw_pid" 2>/dev/null || fail "gateway mosquitto exited: $(tail -n 5 "$T/gw.log")"
	sleep 0.05
done
assert_contains "$(cat "$BROKER_LOG")" "New bridge connected" "the upstream saw the bridge bit"
# the bridge subscribes after its CONNACK: give its SUBSCRIBE a moment to be in place
for ((i = 0; i < 100; i++)); do
	grep -q "Received SUBACK" "$T/gw.log" && break
	sleep 0.05
done
gsub() { BROKER_HOST=$GW_HOST BROKER_PORT=$GW_PORT sub "$@"; }
gsub_bg() { BROKER_HOST=$GW_HOST BROKER_PORT=$GW_PORT sub_bg "$@"; }
gpub() { BROKER_HOST=$GW_HOST BROKER_PORT=$GW_PORT pub "$@"; }

# the subscribers run until both messages are in, then 2 s more for an echo (a fixed -W 4 ran
# out before the second publisher connected on a loaded machine)
sub_bg "$T/up" -q 1 -t "t/#" -v -W 60
up_pid=$SUB_PID
gsub_bg "$T/gw" -q 1 -t "t/#" -v -W 60
gw_sub_pid=$SUB_PID
gpub -q 1 -t t/x -m from-gw
pub -q 1 -t t/y -m from-up
want="t/x from-gw
t/y from-up"
for ((i = 0; i < 300; i++)); do
	[ "$(sub_payloads "$T/up" | sort -u)" = "$want" ] &&
		[ "$(sub_payloads "$T/gw" | sort -u)" = "$want" ] && break
	sleep 0.1
done
sleep 2
kill_wait "$up_pid" || true
kill_wait "$gw_sub_pid" || true
assert_eq "$want" "$(sub_payloads "$T/up" | grep -v '^Timed out' | sort)" \
	"upstream subscriber: each message once (no echo)"
assert_eq "$want" "$(sub_payloads "$T/gw" | grep -v '^Timed out' | sort)" \
	"gateway subscriber: each message once (no echo)"

# retain as published, upstream -> gateway and gateway -> upstream
pub -q 1 -r -t t/r/up -m kept-up
gpub -q 1 -r -t t/r/gw -m kept-gw
sleep 1
assert_eq "t/r/up kept-up" "$(gsub --retained-only -t t/r/up -C 1 -W 5 -v)" \
	"the gateway kept the upstream's retained message (RETAIN arrived set)"
assert_eq "t/r/gw kept-gw" "$(sub --retained-only -t t/r/gw -C 1 -W 5 -v)" \
	"the upstream kept the gateway's retained message"
kill_wait "$gw_pid"
stop_broker
