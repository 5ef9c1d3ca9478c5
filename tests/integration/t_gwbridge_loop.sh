#!/usr/bin/env bash
# Two mqttgwd bridged both ways on `#` (gateway A: `topic # both 1`, MQTT 5, to upstream B) do
# not echo: a message published at A reaches B's subscriber once and A's own subscriber once
# (No Local upstream keeps B from sending it back; the bridge it came in through never gets a
# message back from A), and the same for a message published at B; nothing keeps circling
# (B's count of received PUBLISH stays put once the messages are through).
# broker: mqttgwd
# timeout: 60
SYS_INTERVAL=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
start_broker
gw_start gwa "bridge_protocol_version mqttv50" "topic # both 1"
gw_up gwa 10
sub_bg "$T/b" -q 1 -t "t/#" -v -W 6
b_pid=$SUB_PID
gw_sub_bg "$T/a" -q 1 -t "t/#" -v -W 6
a_pid=$SUB_PID
gw_pub -q 1 -t t/x -m from-a
pub -q 1 -t t/y -m from-b
wait_pid "$a_pid" 10
wait_pid "$b_pid" 10
assert_eq "t/x from-a
t/y from-b" "$(sub_payloads "$T/b" | grep -v "^Timed out" | sort)" "B got each message once"
assert_eq "t/x from-a
t/y from-b" "$(sub_payloads "$T/a" | grep -v "^Timed out" | sort)" "A got each message once"
rx() { sub -t '$SYS/broker/publish/messages/received' -C 1 -W 5; }
n1=$(rx)
sleep 2.5
n2=$(rx)
# SYS_INTERVAL 1: both values are fresh; nothing but $SYS readers in between
assert_eq "$n1" "$n2" "B received nothing more: no message is circling"
kill_wait "$GW_PID"
stop_broker
