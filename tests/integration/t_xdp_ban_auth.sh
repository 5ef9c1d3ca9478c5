#!/usr/bin/env bash
# fail2ban at XDP: `ban_auth_failures 3` within `ban_window`: after 3 CONNECTs with a wrong
# password from one address, that address is banned at XDP for `ban_time` (its next
# connection attempt times out: dropped before TCP), another address is still served, and
# after ban_time the banned one is served again. The guard's figures are in $SYS/broker/xdp/.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
xdp_setup
attacker_ns

"$BUILD/mqttgw-passwd" -c -b "$T/passwd" alice secret >/dev/null 2>&1 ||
	printf 'alice:secret\n' >"$T/passwd"
start_broker "fastpath_pin_dir $PIN" "xdp_interface veth0" "xdp_interface veth1" \
	"password_file $T/passwd" "allow_anonymous false" "ban_auth_failures 3" \
	"ban_window 60" "ban_time 15" "sys_interval 1"
wait_log "XDP guard attached to veth1"
for i in 1 2 3; do
	"${ATT[@]}" timeout 5 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" -u alice -P wrong \
		-t x -m y >/dev/null 2>&1 || true
done
wait_log "XDP guard: banned $ATT_ADDR for 15 s after 3 offences" 5
BANNED_AT=$SECONDS
rc=0
"${ATT[@]}" timeout 3 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" -u alice -P secret \
	-t x -m y >/dev/null 2>&1 || rc=$?
assert_ne 0 "$rc" "the banned address connects"
pub -u alice -P secret -t x -m y || fail "another address is not served"
xstatus
assert_int_between "$(xget 'd["packets"]["banned"]')" 1 999999 "packets dropped as banned"
sleep 1.2 # the next $SYS round carries the drops
assert_int_between "$(sub -u alice -P secret -t '$SYS/broker/xdp/banned' -C 1 -W 3)" 1 999999 \
	'$SYS/broker/xdp/banned'
assert_eq 1 "$(sub -u alice -P secret -t '$SYS/broker/xdp/bans' -C 1 -W 3)" '$SYS/broker/xdp/bans'
# the ban ends after ban_time (15 s; the checks above take a few s under load): served again
sleep $((BANNED_AT + 16 - SECONDS > 0 ? BANNED_AT + 16 - SECONDS : 0))
"${ATT[@]}" timeout 5 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" -u alice -P secret \
	-t x -m y || fail "still banned after ban_time"
