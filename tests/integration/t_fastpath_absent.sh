#!/usr/bin/env bash
# Kernel fast path, invariant 7 (graceful absence). mqttgwd without the capabilities the fast path
# needs (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN dropped from its bounding set, as on a machine or
# container without them):
#   - `fastpath auto` starts, says why the fast path is off in exactly one log line, serves QoS 0
#     through the daemon, and publishes $SYS/broker/fastpath/active 0;
#   - `fastpath on` refuses to start: exit 5 and the reason on stderr.
# With the capabilities, `fastpath auto` loads it (one log line) and publishes active 1.
# broker: mqttgwd
# needs: bpf
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
[ "$(id -u)" = 0 ] || skip "needs root"
DROP="setpriv --bounding-set -bpf,-sys_admin,-net_admin"
roundtrip() {
	sub_bg "$T/sub.out" -t fa/x -C 1 -W 10
	pub -t fa/x -m "$1"
	wait_pid "$SUB_PID" 12
	assert_eq "$1" "$(sub_payloads "$T/sub.out")" "round trip ($1)"
}
MQTTGW_FASTPATH=auto MQTTGW_BROKER_WRAPPER=$DROP start_broker
roundtrip "without caps"
fp_sys "$T/sys.json"
assert_eq 0 "$(fp_get "$T/sys.json" fastpath/active)" "\$SYS fastpath/active without the capabilities"
stop_broker
n=$(grep -c "Kernel fast path unavailable" "$BROKER_LOG" || true)
assert_eq 1 "$n" "log lines saying the fast path is unavailable"
assert_contains "$(cat "$BROKER_LOG")" "CAP_BPF" "the reason"
: >"$BROKER_LOG"
write_config "$T/on.conf"
sed -i 's/^fastpath .*//' "$T/on.conf"
echo "fastpath on" >>"$T/on.conf"
rc=0
bns timeout 10 $DROP "$(broker_bin)" -c "$T/on.conf" >"$T/on.out" 2>&1 || rc=$?
assert_eq 5 "$rc" "fastpath on without the capabilities: exit status; output: $(cat "$T/on.out")"
assert_contains "$(cat "$T/on.out")" "fast path unavailable" "fastpath on: the reason"
if [ "$FP_ON" = 1 ]; then
	MQTTGW_FASTPATH=auto start_broker
	roundtrip "with caps"
	fp_sys "$T/sys.json"
	assert_eq 1 "$(fp_get "$T/sys.json" fastpath/active)" "\$SYS fastpath/active with the capabilities"
	assert_eq 1 "$(grep -c "Kernel fast path active" "$BROKER_LOG" || true)" "log line: fast path active"
fi
