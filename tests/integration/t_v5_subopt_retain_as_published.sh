#!/usr/bin/env bash
# Retain As Published: a live message published with RETAIN 1 is forwarded with RETAIN 1 to a
# subscription with Retain As Published 1 [MQTT-3.3.1-13] and with RETAIN 0 to one without
# [MQTT-3.3.1-12]; a message sent because of a new subscription has RETAIN 1 either way. Real
# clients: mosquitto_sub -V mqttv5 [--retain-as-published], mosquitto_pub -r.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
sub_bg "$T/rap.out" -V mqttv5 -t 'rap/#' -q 1 -C 2 -W 10 --retain-as-published -F 'rap %t r=%r %p'
rap_pid=$SUB_PID
sub_bg "$T/plain.out" -V mqttv5 -t 'rap/#' -q 1 -C 2 -W 10 -F 'plain %t r=%r %p'
pub -V mqttv5 -t rap/live -q 1 -r -m retained-live
pub -V mqttv5 -t rap/live -q 1 -m plain-live
wait_pid "$SUB_PID" 10
wait_pid "$rap_pid" 10
rap=$(sub_payloads "$T/rap.out")
plain=$(sub_payloads "$T/plain.out")
log "rap: $rap / plain: $plain"
assert_contains "$rap" 'rap rap/live r=1 retained-live' "Retain As Published 1 keeps RETAIN"
assert_contains "$rap" 'rap rap/live r=0 plain-live' "Retain As Published 1, RETAIN 0 message"
assert_contains "$plain" 'plain rap/live r=0 retained-live' "Retain As Published 0 clears RETAIN"
# on a new subscription the retained message comes with RETAIN 1, whatever the option
out=$(sub -V mqttv5 -t rap/live -C 1 -W 5 -F '%t r=%r %p')
assert_eq 'rap/live r=1 retained-live' "$out" "retained message on subscribe"
pub -V mqttv5 -t rap/live -r -n
