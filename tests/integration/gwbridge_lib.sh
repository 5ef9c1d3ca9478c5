# shellcheck shell=bash
# Sourced by tests/integration/t_gwbridge_*.sh after lib.sh (it sources bridge_lib.sh, whose
# bridge_conf writes the connection block): bridges run inside mqttgwd (the
# gateway) on the client side of the veth pair; the broker under test (broker namespace) is the
# upstream: a real Mosquitto when the test sets MQTTGW_TEST_BROKER=mosquitto before lib.sh.
#   gw_start NAME LINE...: $T/NAME.conf (listener on 127.0.0.1:$GW_PORT of the client side,
#                          sys_interval 1, a connection block "up" to the upstream with
#                          keepalive_interval 5, restart_timeout 1 2, then LINEs) and start it;
#                          PID in $GW_PID, log $T/NAME.log
#   gw_up NAME SECS [N]: until the log of NAME shows N (default 1) "connected" lines
#   gw_pub ARGS / gw_sub ARGS / gw_sub_bg OUT ARGS: mosquitto_pub/_sub against the gateway
#   gw_sys KEY: $SYS/broker/bridges/up/KEY as the gateway publishes it
#   count_lines FILE ERE: lines of FILE matching ERE

. "$(dirname "${BASH_SOURCE[0]}")/bridge_lib.sh"

GW_HOST=127.0.0.1
if [ "$NETMODE" = netns ]; then GW_PORT=21890; else GW_PORT=$(free_port); fi

gw_start() {
	local name=$1 l
	shift
	{
		echo "listener $GW_PORT $GW_HOST"
		echo "allow_anonymous true"
		echo "log_dest stderr"
		echo "log_type all"
		echo "sys_interval 1"
		echo "user root"
		if [ -n "${MQTTGW_FASTPATH:-}" ]; then echo "fastpath $MQTTGW_FASTPATH"; fi
		for l in "${GW_GLOBAL[@]}"; do echo "$l"; done
	} >"$T/$name.conf"
	bridge_conf "$T/$name.block" "$@"
	cat "$T/$name.block" >>"$T/$name.conf"
	bg "$T/$name.log" "${CLI[@]}" "$BUILD/mqttgwd" -c "$T/$name.conf"
	GW_PID=$BG_PID
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(cli ss -Hltn "sport = :$GW_PORT" 2>/dev/null)" ] && return 0
		kill -0 "$GW_PID" 2>/dev/null || fail "gateway $name exited: $(tail -n 5 "$T/$name.log")"
		sleep 0.05
	done
	fail "gateway $name not listening after 5 s: $(tail -n 5 "$T/$name.log")"
}
GW_GLOBAL=()

count_lines() { grep -cE -- "$2" "$1" 2>/dev/null || true; }

gw_up() {
	local name=$1 secs=$2 n=${3:-1} i
	for ((i = 0; i < secs * 20; i++)); do
		[ "$(count_lines "$T/$name.log" 'Bridge up: connected to')" -ge "$n" ] && return 0
		sleep 0.05
	done
	fail "bridge of $name not up ($n) after ${secs}s: $(tail -n 5 "$T/$name.log")"
}

gw_pub() {
	run_fg "${CLI[@]}" timeout -k 2 "$CLIENT_TIMEOUT" mosquitto_pub -h "$GW_HOST" -p "$GW_PORT" "$@"
}

gw_sub() {
	BROKER_HOST=$GW_HOST BROKER_PORT=$GW_PORT sub "$@"
}

gw_sub_bg() {
	BROKER_HOST=$GW_HOST BROKER_PORT=$GW_PORT sub_bg "$@"
}

gw_sys() {
	gw_sub -t "\$SYS/broker/bridges/up/$1" -C 1 -W 5
}
