#!/usr/bin/env bash
# The XDP guard in mqttgwd under a SYN flood. The broker's namespace has two veth links: the
# legitimate client's (veth0) and an attacker's (veth1), both guarded (`xdp_interface`,
# `xdp_syn_rate 20 20`). While the attacker sends raw SYNs to the MQTT port as fast as it can
# for 3 s, the client subscribes, publishes 20 messages and gets all 20; --xdp-status names
# both interfaces and shows the flood dropped at XDP (syn_limited >= 90% of what was sent,
# the passed SYNs bounded by the rate), and a port the broker does not listen on is not judged.
# broker: mqttgwd
# needs: bpf
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
xdp_setup
attacker_ns

start_broker "fastpath_pin_dir $PIN" "xdp_interface veth0" "xdp_interface veth1" \
	"xdp_syn_rate 20 20"
wait_log "XDP guard attached to veth1"
xstatus
assert_eq 0 "$XS_RC" "--xdp-status: exit; output: $XS"
assert_eq "veth0 veth1" "$(xget '" ".join(sorted(i["name"] for i in d["interfaces"]))')" "interfaces"
assert_eq 20 "$(xget 'd["syn_rate"]')" "syn_rate"

bg "$T/flood.out" "${ATT[@]}" "$XDP_TEST" flood "$BROKER_HOST" "$BROKER_PORT" 3
FLOOD=$BG_PID
sleep 0.5
sub_bg "$T/sub.out" -t 'xdp/t' -C 20 -W 15
for i in $(seq 1 20); do pub -t xdp/t -m "m$i"; done
wait_pid "$SUB_PID" 20 || fail "subscriber did not get 20 messages: $(cat "$T/sub.out")"
assert_eq 20 "$(sub_payloads "$T/sub.out" | grep -c '^m')" "messages received during the flood"
wait_pid "$FLOOD" 20 || fail "flood did not end"
sent=$(tail -n 1 "$T/flood.out")
assert_int_between "$sent" 1000 999999999 "SYNs sent by the flood"
broker_alive

xstatus
limited=$(xget 'd["packets"]["syn_limited"]')
passed=$(xget 'd["packets"]["passed"]')
log "flood: $sent SYNs sent, $limited dropped at XDP (syn_limited), $passed passed in all"
assert_int_between "$limited" $((sent * 9 / 10)) "$sent" "SYNs dropped at XDP"
# 20/s for about 3.5 s plus the burst from the attacker, plus the client's packets
assert_int_between "$(xget 'd["packets"]["banned"] + d["packets"]["denied"]')" 0 0 "no bans, no denies"
# the legitimate client's packets passed (its connections, its messages)
assert_int_between "$passed" 20 $((sent / 10)) "packets passed"
# a port nobody listens on is not judged: the other_port counter moves
before=$(xget 'd["packets"]["other_port"]')
"${ATT[@]}" timeout 5 "$XDP_TEST" flood "$BROKER_HOST" $((BROKER_PORT + 7)) 1 >/dev/null
xstatus
assert_int_between "$(xget 'd["packets"]["other_port"]')" $((before + 100)) 999999999 "other_port packets"
