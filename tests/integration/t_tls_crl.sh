#!/usr/bin/env bash
# crlfile: a client certificate listed in the CA's CRL is refused; an unlisted one from the
# same CA connects. Without crlfile the revoked certificate is accepted (it is otherwise valid).
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
base=("certfile $TLS/server.crt" "keyfile $TLS/server.key" "cafile $TLS/ca.crt"
	"require_certificate true")
start_broker "${base[@]}"
tls_require_wired
tpub --cert "$TLS/revoked.crt" --key "$TLS/revoked.key" -t crl/x -m no-crl-yet
stop_broker
start_broker "${base[@]}" "crlfile $TLS/crl.pem"
tsub_bg "$T/sub.out" --cert "$TLS/client.crt" --key "$TLS/client.key" -t crl/x -C 1 -W 10
tls_fails tpub --cert "$TLS/revoked.crt" --key "$TLS/revoked.key" -t crl/x -m revoked
tpub --cert "$TLS/monitor.crt" --key "$TLS/monitor.key" -t crl/x -m not-revoked
wait_pid "$SUB_PID" 12
assert_eq not-revoked "$(sub_payloads "$T/sub.out")" "only the unrevoked client"
if ! is_mosquitto; then
	assert_match "$(cat "$BROKER_LOG")" "failed: certificate verify failed: certificate revoked \(depth 0: CN=revoked\)"
fi
broker_alive
