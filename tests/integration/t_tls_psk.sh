#!/usr/bin/env bash
# TLS-PSK (Mosquitto's psk_hint + psk_file, issue #16): a listener with psk_hint and no
# certificate serves mosquitto_pub/sub --psk over TLS 1.2 and TLS 1.3; a wrong key or an
# unknown identity fails the handshake; use_identity_as_username makes the PSK identity the
# user name, so the ACL applies to it (and no password_file check, as with certificates);
# SIGHUP reloads psk_file: a changed key works at once for new connections, the old one no
# longer does, and a client connected before keeps its session.
. "$(dirname "$0")/lib.sh"
K1=0123456789abcdef0123456789abcdef
K2=00ffee
K3=c0ffee00c0ffee00
printf '# devices\nsensor-7:%s\nmonitor : %s\n' "$K1" "$K2" >"$T/psk"
printf 'user monitor\ntopic read devices/#\n\npattern readwrite devices/%%u/#\n' >"$T/acl"
printf 'someone:not-a-valid-hash\n' >"$T/passwd"
chmod 644 "$T/psk" "$T/acl" "$T/passwd"
start_broker "psk_hint mqttgw-test" "psk_file $T/psk" "use_identity_as_username true" \
	"allow_anonymous false" "acl_file $T/acl" "password_file $T/passwd"
is_mosquitto || assert_contains "$(cat "$BROKER_LOG")" "port $BROKER_PORT (TLS)" "a TLS listener"
mon=(--psk "$K2" --psk-identity monitor)
dev=(--psk "$K1" --psk-identity sensor-7)

# TLS 1.3 subscriber and publisher; the MQTT user name and password sent change nothing
sub_bg "$T/sub.out" "${mon[@]}" --tls-version tlsv1.3 -t 'devices/#' -C 3 -W 40 -v
pub "${dev[@]}" --tls-version tlsv1.3 -u other -P wrong -t devices/other/temp -m denied
pub "${dev[@]}" --tls-version tlsv1.3 -u other -P wrong -t devices/sensor-7/temp -m 21.5
# TLS 1.2 exactly (mosquitto_pub's --tls-version is only a minimum): openssl s_client -tls1_2
# carries a hand-made MQTT 3.1.1 CONNECT (client id s12), PUBLISH devices/sensor-7/temp
# "tls1.2" and DISCONNECT; the broker closes after the DISCONNECT
mqtt12() {
	printf '\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\x03s12'
	printf '\x30\x1d\x00\x15devices/sensor-7/tempTLS1.2\xe0\x00'
	sleep 2
}
out=$(mqtt12 | cli timeout -k 2 15 openssl s_client -connect "$BROKER_HOST:$BROKER_PORT" \
	-tls1_2 -psk_identity sensor-7 -psk "$K1" -brief -ign_eof 2>&1) || true
assert_contains "$out" "Protocol version: TLSv1.2" "a TLS 1.2 PSK handshake ($out)"
assert_match "$out" "Ciphersuite: [A-Z0-9-]*PSK" "a PSK suite"

# refused handshakes: wrong key, unknown identity, no PSK at all (plain MQTT)
rc=0
pub --psk "${K1%?}0" --psk-identity sensor-7 -t devices/sensor-7/temp -m wrong-key || rc=$?
assert_ne 0 "$rc" "a wrong key is refused"
rc=0
pub --psk "$K1" --psk-identity nobody -t devices/nobody/temp -m unknown || rc=$?
assert_ne 0 "$rc" "an unknown identity is refused"
rc=0
pub -t devices/sensor-7/temp -m plain || rc=$?
assert_ne 0 "$rc" "plain MQTT on the PSK listener is refused"

# SIGHUP: sensor-7 gets a new key
printf 'sensor-7:%s\nmonitor:%s\n' "$K3" "$K2" >"$T/psk.new"
mv "$T/psk.new" "$T/psk"
kill -HUP "$BROKER_PID"
for ((i = 0; i < 50; i++)); do
	pub --psk "$K3" --psk-identity sensor-7 -t probe/x -m probe >/dev/null 2>&1 && break
	sleep 0.2
done
[ "$i" -lt 50 ] || fail "the new key is not accepted 10 s after SIGHUP"
rc=0
pub "${dev[@]}" -t devices/sensor-7/temp -m old-key || rc=$?
assert_ne 0 "$rc" "the old key is refused after the reload"
pub --psk "$K3" --psk-identity sensor-7 --tls-version tlsv1.3 -t devices/sensor-7/temp -m 22.0
wait_pid "$SUB_PID" 42
assert_eq "devices/sensor-7/temp 21.5
devices/sensor-7/temp TLS1.2
devices/sensor-7/temp 22.0" "$(sub_payloads "$T/sub.out")" \
	"ACL applied to the PSK identity; the subscriber from before the reload stays"
broker_alive
