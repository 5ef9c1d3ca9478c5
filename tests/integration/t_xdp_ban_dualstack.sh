#!/usr/bin/env bash
# fail2ban on a dual-stack listener (`listener PORT` without an address: IPv4 clients arrive
# as v4-mapped IPv6): 8 CONNECTs with a wrong password at once from one IPv4 address, with
# `ban_auth_failures 3`, ban it once and log the ban once (attempts that were under way when
# the ban came are closed, not counted again), and every log line, $SYS topic and mqttgwctl
# answer shows IPv4 clients as 1.2.3.4, never ::ffff:1.2.3.4. Another client is served.
# broker: mqttgwd
# The XDP guard, its keys and mqttgwctl are mqttgw's own.
# needs: bpf
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdplib.sh"
. "$(dirname "$0")/ctllib.sh"
xdp_setup
attacker_ns

"$BUILD/mqttgw-passwd" -c -b "$T/passwd" alice secret >/dev/null 2>&1 ||
	printf 'alice:secret\n' >"$T/passwd"
SYS_INTERVAL=1
start_broker_ctl "listener $BROKER_PORT2" "fastpath_pin_dir $PIN" "xdp_interface veth1" \
	"password_file $T/passwd" "allow_anonymous false" "ban_auth_failures 3" \
	"ban_window 60" "ban_time 30"
wait_log "XDP guard attached to veth1"
sub_bg "$T/legit.out" -p "$BROKER_PORT2" -u alice -P secret -i legit -t 'x/#' -W 50
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"${ATT[@]}" timeout 5 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT2" -u alice \
		-P wrong -i "att$i" -t x -m y >/dev/null 2>&1 &
	pids+=($!)
done
wait "${pids[@]}" || true
wait_log "XDP guard: banned $ATT_ADDR for 30 s after 3 offences" 5
sleep 1
assert_eq 1 "$(grep -c 'XDP guard: banned' "$BROKER_LOG")" "ban log lines"
pub -p "$BROKER_PORT2" -u alice -P secret -t x/y -m served || fail "another address is not served"
clients=$(ctl_json clients)
assert_contains "$clients" "\"$CLIENT_ADDR:" "mqttgwctl clients shows the IPv4 address"
assert_not_contains "$clients" "::ffff:" "mqttgwctl clients"
assert_not_contains "$(ctl client legit)" "::ffff:" "mqttgwctl client legit"
systopics=$(sub -u alice -P secret -t '$SYS/#' -v -W 3 || true)
assert_contains "$systopics" '$SYS/broker/xdp/bans 1' '$SYS/broker/xdp/bans'
assert_not_contains "$systopics" "::ffff:" '$SYS'
xstatus
assert_not_contains "$XS" "::ffff:" "--xdp-status"
grep -q "Client att1 \[$ATT_ADDR:" "$BROKER_LOG" || grep -q "\[$ATT_ADDR:" "$BROKER_LOG" ||
	fail "no log line with the attacker's address: $(tail -5 "$BROKER_LOG")"
if grep -q '::ffff:' "$BROKER_LOG"; then
	fail "a v4-mapped address in the log: $(grep '::ffff:' "$BROKER_LOG" | head -3)"
fi
exit 0
