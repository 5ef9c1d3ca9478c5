#!/usr/bin/env bash
# use_identity_as_username: the client certificate's CN is the user name (for the ACL), the
# MQTT user name and password sent are ignored, and no password_file check applies; with
# allow_anonymous false a certificate is enough. ACL: `pattern readwrite devices/%u/#` and a
# `monitor` user that reads devices/#.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
printf 'user monitor\ntopic read devices/#\n\npattern readwrite devices/%%u/#\n' >"$T/acl"
printf 'someone:not-a-valid-hash\n' >"$T/passwd"
chmod 644 "$T/acl" "$T/passwd"
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key" "cafile $TLS/ca.crt" \
	"require_certificate true" "use_identity_as_username true" "allow_anonymous false" \
	"acl_file $T/acl" "password_file $T/passwd"
tls_require_wired
mon=(--cert "$TLS/monitor.crt" --key "$TLS/monitor.key")
dev=(--cert "$TLS/client.crt" --key "$TLS/client.key")
tsub_bg "$T/sub.out" "${mon[@]}" -t 'devices/#' -C 1 -W 10 -v
# sensor-7 may not write under another device; the user name it sends changes nothing
tpub "${dev[@]}" -u other -P wrong -t devices/other/temp -m denied
tpub "${dev[@]}" -u other -P wrong -t devices/sensor-7/temp -m 21.5
wait_pid "$SUB_PID" 12
assert_eq "devices/sensor-7/temp 21.5" "$(sub_payloads "$T/sub.out")" "ACL applied to the CN"
broker_alive
