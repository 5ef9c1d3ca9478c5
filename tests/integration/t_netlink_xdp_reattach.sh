#!/usr/bin/env bash
# An xdp_interface deleted and created again (ip link del/add, as a PPPoE or cellular link
# does): mqttgwd logs that it is gone, re-attaches the guard to the new ifindex within a
# second of the new link (rtnetlink), --xdp-status shows the new ifindex, and the counters go
# on from where they were (a flood after the re-attach is dropped and adds to syn_limited).
# Run as `user mosquitto` when that user exists: the re-attach happens after the privilege
# drop, which keeps CAP_NET_ADMIN (and only it) for this (README "user").
# broker: mqttgwd
# needs: bpf
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
xdp_setup
attacker_ns

if id mosquitto >/dev/null 2>&1; then
	BROKER_USER=mosquitto
	chmod 755 "$T" # the user removes its pins at exit
fi
start_broker "fastpath_pin_dir $PIN" "xdp_interface veth1 generic" "xdp_syn_rate 10 10"
wait_log "XDP guard attached to veth1"
if [ -n "${BROKER_USER:-}" ]; then
	wait_log "Dropped privileges to user mosquitto" 2
	st=/proc/$BROKER_PID/status
	assert_eq "$(id -u mosquitto)" "$(awk '/^Uid:/{print $3}' "$st")" "effective uid"
	assert_eq 0000000000001000 "$(awk '/^CapEff:/{print $2}' "$st")" "CapEff: CAP_NET_ADMIN only"
	assert_eq 0000000000001000 "$(awk '/^CapPrm:/{print $2}' "$st")" "CapPrm: CAP_NET_ADMIN only"
fi
"${ATT[@]}" timeout 5 "$XDP_TEST" flood "$BROKER_HOST" "$BROKER_PORT" 1 >/dev/null
xstatus
limited1=$(xget 'd["packets"]["syn_limited"]')
old=$(xget 'd["interfaces"][0]["ifindex"]')
assert_int_between "$limited1" 100 999999999 "SYNs dropped before"

ip -n "$BROKER_NS" link del veth1
wait_log "interface veth1 \(ifindex $old\) is gone" 2
read -r broker_side _ <<<"$(pid_slash30 10.201)"
veth_link "$BROKER_NS" "$ATT_NS" veth1 "$broker_side" "$ATT_ADDR"
# measured from the end of the link's set-up (its several ip commands are slow on a loaded machine)
t0=$(date +%s%N)
ip -n "$ATT_NS" route add "$BROKER_HOST/32" via "$broker_side"
new=$(ip -n "$BROKER_NS" -o link show veth1 | cut -d: -f1)
assert_ne "$old" "$new" "a new ifindex"
wait_log "XDP guard attached to veth1 \(ifindex $new, generic mode\)" 2
ms=$((($(date +%s%N) - t0) / 1000000))
log "re-attached to veth1 (ifindex $old -> $new) ${ms} ms after the link came back"
assert_int_between "$ms" 0 1000 "re-attach delay (ms)"
assert_eq 1 "$(grep -c "is gone" "$BROKER_LOG")" "one log line for the deletion"

xstatus
assert_eq "$new" "$(xget 'd["interfaces"][0]["ifindex"]')" "--xdp-status: new ifindex"
assert_eq True "$(xget 'd["interfaces"][0]["present"]')" "--xdp-status: present"
"${ATT[@]}" timeout 5 "$XDP_TEST" flood "$BROKER_HOST" "$BROKER_PORT" 1 >/dev/null
xstatus
assert_int_between "$(xget 'd["packets"]["syn_limited"]')" $((limited1 + 100)) 999999999 \
	"SYNs dropped after the re-attach add to the counter"
# the broker still serves through the guarded link
sub_bg "$T/sub.out" -t 'xdp/r' -C 1 -W 10
pub -t xdp/r -m after
wait_pid "$SUB_PID" 15 || fail "no message after the re-attach"
