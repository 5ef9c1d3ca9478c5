#!/usr/bin/env bash
# broker: mqttgwd
# needs: bpf
# `fastpath off` always starts; `fastpath bogus` is a configuration error (exit 3);
# `fastpath on` either starts and relays a QoS 0 round trip, or - where the kernel fast path is
# unavailable - refuses to start with exit code 5 (a skip here, a failure under
# MQTTGW_REQUIRE_BPF=1).
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
roundtrip() {
	sub_bg "$T/sub.out" -t fp/x -C 1 -W 10
	pub -t fp/x -m "$1"
	wait_pid "$SUB_PID" 12
	assert_eq "$1" "$(sub_payloads "$T/sub.out")" "round trip ($1)"
}
MQTTGW_FASTPATH=off start_broker
roundtrip off
stop_broker
printf 'listener %s %s\nfastpath bogus\n' "$BROKER_PORT" "$BROKER_HOST" >"$T/bad.conf"
rc=0
bns timeout 10 "$bin" -c "$T/bad.conf" >/dev/null 2>"$T/bad.err" || rc=$?
assert_eq 3 "$rc" "fastpath bogus: exit status; stderr: $(cat "$T/bad.err")"
MQTTGW_FASTPATH=on start_broker # exit 5 here: skip (or fail under MQTTGW_REQUIRE_BPF=1)
roundtrip on
