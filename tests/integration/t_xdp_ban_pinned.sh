#!/usr/bin/env bash
# The ban map is pinned: a ban outlives the daemon. A ban of the client's address written into
# the pinned map (by the guard's test helper, as the daemon's fail2ban would) drops the
# client at XDP (its CONNECT times out, `banned` counts); the daemon restarts and the ban is
# still there and still drops; after the ban's 15 s the client is served again and the
# daemon's once-a-second expiry deletes the entry (bans 0).
# broker: mqttgwd
# needs: bpf
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
xdp_setup

start_broker "fastpath_pin_dir $PIN" "xdp_interface veth0"
wait_log "XDP guard attached to veth0"
[ -e "$PIN/xdp_bans_v1" ] || fail "no pinned ban map: $(ls -la "$PIN")"
printf 'ban %s 15\nbans\nquit\n' "$CLIENT_ADDR" |
	bns timeout 10 "$XDP_TEST" guard -P "$PIN" >"$T/helper.out" 2>&1 || fail "helper: $(cat "$T/helper.out")"
grep -q "^> ok 1$" "$T/helper.out" || fail "the helper did not see 1 ban: $(cat "$T/helper.out")"
t_ban=$(date +%s)

CLIENT_TIMEOUT=2
rc=0
pub -t xdp/b -m banned 2>/dev/null || rc=$?
assert_ne 0 "$rc" "a banned client publishes"
xstatus
assert_eq 1 "$(xget 'd["bans_active"]')" "active bans"
assert_int_between "$(xget 'd["packets"]["banned"]')" 1 999999 "packets dropped as banned"

restart_broker
wait_log "reusing the pinned ban map"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c "XDP guard attached to veth0" "$BROKER_LOG")" = 2 ] && break
	sleep 0.05
done
rc=0
pub -t xdp/b -m banned 2>/dev/null || rc=$?
assert_ne 0 "$rc" "a banned client publishes after a daemon restart"

# the ban ends 15 s after it was set; the next tick deletes it
while [ $(($(date +%s) - t_ban)) -le 16 ]; do sleep 0.5; done
CLIENT_TIMEOUT=10
pub -t xdp/b -m free || fail "the client is still dropped after its ban expired"
xstatus
assert_eq 0 "$(xget 'd["bans"]')" "bans left after the expiry tick"
grep -q "1 ban expired" "$BROKER_LOG" || fail "no expiry line: $(tail "$BROKER_LOG")"
