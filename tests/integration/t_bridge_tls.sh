#!/usr/bin/env bash
# TLS uplink with a test CA: the bridge verifies the upstream's certificate (IP SAN) and
# delivers through it; a bridge that trusts another CA never comes up and says why.
# timeout: 60
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tls_certs.sh"
. "$(dirname "$0")/bridge_lib.sh"
tls_certs
chmod 755 "$T" "$TLS"
chmod 644 "$TLS"/*.key
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key"
sub_bg "$T/up" --cafile "$TLS/ca.crt" -q 1 -t "tls/#" -C 20 -W 20 -v
bridge_conf "$T/bridge.conf" "topic tls/# out 1" "bridge_cafile $TLS/ca.crt"
bridge_bg "$T/br1" -t tls/x -n 20 -q 1 -x -T 20
wait_pid "$BRIDGE_PID" 25
assert_eq 0 "$WAIT_RC" "drained over TLS (log: $(tail -n 3 "$T/br1"))"
wait_pid "$SUB_PID" 10
want=$(for i in $(seq 0 19); do echo "tls/x m$i"; done)
assert_eq "$want" "$(sub_payloads "$T/up")" "upstream got every message over TLS"
bridge_conf "$T/bridge.conf" "topic tls/# out 1" "bridge_cafile $TLS/ca2.crt"
bridge_bg "$T/br2" -T 3
wait_pid "$BRIDGE_PID" 10
assert_match "$(last_state "$T/br2")" 'connects=0 ' "no link with an untrusted certificate"
stop_broker
