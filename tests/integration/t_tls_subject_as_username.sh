#!/usr/bin/env bash
# use_subject_as_username: the whole certificate subject, in RFC 2253 form
# ("CN=sensor-7,O=Example,C=GB"), is the user name the ACL sees.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
{
	printf 'user CN=monitor,O=Example,C=GB\ntopic read devices/#\n\n'
	printf 'user CN=sensor-7,O=Example,C=GB\ntopic write devices/sensor-7/#\n'
} >"$T/acl"
chmod 644 "$T/acl"
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key" "cafile $TLS/ca.crt" \
	"require_certificate true" "use_subject_as_username true" "allow_anonymous false" \
	"acl_file $T/acl"
tls_require_wired
mon=(--cert "$TLS/monitor.crt" --key "$TLS/monitor.key")
dev=(--cert "$TLS/client.crt" --key "$TLS/client.key")
tsub_bg "$T/sub.out" "${mon[@]}" -t 'devices/#' -C 1 -W 10 -v
tpub "${dev[@]}" -t devices/other/temp -m denied
tpub "${dev[@]}" -t devices/sensor-7/temp -m 21.5
wait_pid "$SUB_PID" 12
assert_eq "devices/sensor-7/temp 21.5" "$(sub_payloads "$T/sub.out")" "ACL applied to the subject"
broker_alive
