#!/usr/bin/env bash
# require_certificate true + cafile: a client certificate signed by the CA connects; no
# certificate, one from another CA, or an expired one are refused in the handshake (mqttgwd
# logs why, naming the peer).
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key" "cafile $TLS/ca.crt" \
	"require_certificate true"
tls_require_wired
tsub_bg "$T/sub.out" --cert "$TLS/client.crt" --key "$TLS/client.key" -t rc/x -C 1 -W 10
tls_fails tpub -t rc/x -m no-certificate
tls_fails tpub --cert "$TLS/other.crt" --key "$TLS/other.key" -t rc/x -m other-ca
tls_fails tpub --cert "$TLS/expired.crt" --key "$TLS/expired.key" -t rc/x -m expired
tpub --cert "$TLS/monitor.crt" --key "$TLS/monitor.key" -t rc/x -m with-certificate
wait_pid "$SUB_PID" 12
assert_eq with-certificate "$(sub_payloads "$T/sub.out")" "only the client with a certificate"
if ! is_mosquitto; then
	log=$(cat "$BROKER_LOG")
	assert_match "$log" "TLS handshake with $CLIENT_ADDR:[0-9]+ failed: peer did not return a certificate"
	assert_match "$log" "failed: certificate verify failed: unable to get local issuer certificate \(depth 0: CN=other\)"
	assert_match "$log" "failed: certificate verify failed: certificate has expired \(depth 0: CN=expired\)"
fi
broker_alive
