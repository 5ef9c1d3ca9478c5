#!/usr/bin/env bash
# xdp_required and an interface that does not exist: `xdp_required true` refuses to start
# with exit status 6 and a message naming the interface; without it the daemon starts, says
# it waits for the interface in one line, and attaches when the interface appears (a veth
# link created later). xdp_required without any xdp_interface is refused too.
# broker: mqttgwd
# needs: bpf
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
xdp_setup
bin=$(broker_bin)

write_config "$T/req.conf" "fastpath_pin_dir $PIN" "xdp_interface nosuch0" "xdp_required true"
rc=0
bns timeout 20 "$bin" -c "$T/req.conf" >"$T/req.out" 2>&1 || rc=$?
assert_eq 6 "$rc" "xdp_required with a missing interface: exit status; output: $(cat "$T/req.out")"
assert_contains "$(cat "$T/req.out")" "XDP guard: no interface nosuch0 (xdp_required is true)" \
	"the refusal names the interface"

write_config "$T/req2.conf" "xdp_required true"
rc=0
bns timeout 20 "$bin" -c "$T/req2.conf" >"$T/req2.out" 2>&1 || rc=$?
assert_eq 6 "$rc" "xdp_required without xdp_interface: exit status; output: $(cat "$T/req2.out")"
assert_contains "$(cat "$T/req2.out")" "no xdp_interface is configured" "the refusal says why"

start_broker "fastpath_pin_dir $PIN" "xdp_interface nosuch0"
wait_log "XDP guard: no interface nosuch0 yet; attaching when it appears"
pub -t xdp/req -m served # unguarded but serving
ip -n "$BROKER_NS" link add nosuch0 type veth peer name nosuch0p
ip -n "$BROKER_NS" link set nosuch0 up
wait_log "XDP guard attached to nosuch0" 2
xstatus
assert_eq nosuch0 "$(xget 'd["interfaces"][0]["name"]')" "--xdp-status after the interface appeared"
