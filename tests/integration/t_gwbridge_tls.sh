#!/usr/bin/env bash
# mqttgwd's bridge over TLS to a real Mosquitto with a test CA: the gateway verifies the
# upstream's certificate (IP SAN) and forwards local QoS 1 messages through it; a gateway that
# trusts another CA never brings the link up and says why in $SYS.
# timeout: 60
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tls_certs.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
tls_certs
chmod 755 "$T" "$TLS"
chmod 644 "$TLS"/*.key
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key"
gw_start gw1 "topic tls/# out 1" "bridge_cafile $TLS/ca.crt"
gw_up gw1 10
assert_contains "$(cat "$T/gw1.log")" "TLS" "the link says it is TLS"
sub_bg "$T/up" --cafile "$TLS/ca.crt" -q 1 -t "tls/#" -C 20 -W 20 -v
for i in $(seq 0 19); do echo "m$i"; done | gw_pub -q 1 -t tls/x -l
wait_pid "$SUB_PID" 20
want=$(for i in $(seq 0 19); do echo "tls/x m$i"; done)
assert_eq "$want" "$(sub_payloads "$T/up")" "upstream got every message over TLS"
kill_wait "$GW_PID"
gw_start gw2 "topic tls/# out 1" "bridge_cafile $TLS/ca2.crt"
sleep 3
assert_eq 0 "$(count_lines "$T/gw2.log" 'Bridge up: connected')" "no link with an untrusted certificate"
assert_ne up "$(gw_sys state)" "state"
assert_ne none "$(gw_sys last_error)" "last_error says the attempts fail"
kill_wait "$GW_PID"
stop_broker
