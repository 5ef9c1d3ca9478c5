# shellcheck shell=bash
# Sourced by tests/integration/t_bridge_*.sh after lib.sh (with MQTTGW_TEST_BROKER=mosquitto set
# before it: the broker under test is the upstream, a real Mosquitto). The bridge runs in
# $BUILD/bridge-test on the client side of the veth pair (see tests/integration/bridge_test.c).
#   bridge_conf FILE LINE...: a connection block "up" to $BROKER_HOST:$BROKER_PORT plus LINEs
#   bridge_bg OUT ARGS...: start bridge-test -c $T/bridge.conf ARGS in the background; PID in
#                          $BRIDGE_PID (killed by the cleanup)
#   wait_line FILE ERE SECS: until a line of FILE matches ERE (fails after SECS)
#   last_state FILE: the last STATE line of FILE

BRIDGE_TEST=$BUILD/bridge-test
[ -x "$BRIDGE_TEST" ] || fail "$BRIDGE_TEST not built (make all)"

bridge_conf() {
	local f=$1 l
	shift
	{
		echo "connection up"
		echo "keepalive_interval 5"
		echo "restart_timeout 1 2"
		for l in "$@"; do echo "$l"; done
	} >"$f"
	grep -q '^address' "$f" || echo "address $BROKER_HOST:$BROKER_PORT" >>"$f"
}

bridge_bg() {
	local out=$1
	shift
	bg "$out" "${CLI[@]}" "$BRIDGE_TEST" -c "$T/bridge.conf" "$@"
	BRIDGE_PID=$BG_PID
}

wait_line() {
	local f=$1 re=$2 secs=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		grep -Eq -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no line /$re/ in $f after ${secs}s: $(tail -n 5 "$f")"
}

last_state() {
	grep '^STATE' "$1" | tail -n 1
}
