#!/usr/bin/env bash
# A TLS listener whose private key lives in a token (issue #16; Mosquitto's tls_engine,
# tls_keyform engine, keyfile = the engine's key id): a SoftHSM2 token in $T (SOFTHSM2_CONF
# points there; the system's token directory is never touched) holds the server key, the
# pkcs11 engine (libp11) loads it from a pkcs11: URI whose pin-value logs in, and
# mosquitto_sub/pub talk through it, also after a SIGHUP. A wrong PIN refuses to start with
# a message naming the key; so does tls_engine_kpass_sha1 with the pkcs11 engine, which has
# no SHA-1 secret mode (Mosquitto 2.0.11: "Unable to set engine secret mode sha").
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
command -v softhsm2-util >/dev/null || fail "softhsm2-util missing (scripts/deps.sh installs softhsm2)"
openssl engine -t pkcs11 >/dev/null 2>&1 ||
	fail "the pkcs11 engine is missing (scripts/deps.sh installs libengine-pkcs11-openssl)"
tls_certs
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T/tokens" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label mqttgw-test --pin 1234 --so-pin 5678 >"$T/hsm.log" 2>&1 ||
	fail "softhsm2-util --init-token: $(cat "$T/hsm.log")"
softhsm2-util --import "$TLS/server.key" --token mqttgw-test --label srvkey --id 01 --pin 1234 \
	>>"$T/hsm.log" 2>&1 || fail "softhsm2-util --import: $(cat "$T/hsm.log")"
uri() { echo "pkcs11:token=mqttgw-test;object=srvkey;type=private;pin-value=$1"; }
# the key is only in the token: the PEM file goes away
rm -f "$TLS/server.key"

start_broker "certfile $TLS/server.crt" "keyfile $(uri 1234)" "tls_engine pkcs11" \
	"tls_keyform engine"
tls_require_wired
tsub_bg "$T/sub.out" -t hsm/x -C 2 -W 30
tpub -t hsm/x -m signed-by-the-token
kill -HUP "$BROKER_PID"
sleep 1
tpub -t hsm/x -m after-sighup
wait_pid "$SUB_PID" 32
assert_eq "signed-by-the-token
after-sighup" "$(sub_payloads "$T/sub.out")" "TLS with the key in the token"
broker_alive
stop_broker

# refused starts: the broker exits non-zero, saying why
bin=$(broker_bin)
refused() { # what extra-config-lines...
	local what=$1 rc=0 out
	shift
	write_config "$T/bad.conf" "certfile $TLS/server.crt" "tls_engine pkcs11" \
		"tls_keyform engine" "$@"
	out=$(bns timeout -k 2 15 "$bin" -c "$T/bad.conf" 2>&1) || rc=$?
	assert_ne 0 "$rc" "$what: the broker refuses to start ($out)"
	assert_ne 124 "$rc" "$what: the broker exits by itself ($out)"
	is_mosquitto || assert_eq 3 "$rc" "$what: configuration error status"
	OUT=$out
}
refused "wrong PIN" "keyfile $(uri 9999)"
if is_mosquitto; then
	assert_contains "$OUT" "Unable to load engine private key file"
else
	assert_contains "$OUT" "bad.conf:"
	assert_contains "$OUT" "keyfile $(uri 9999): engine pkcs11 cannot load the key"
fi
refused "kpass_sha1" "keyfile $(uri 1234)" \
	"tls_engine_kpass_sha1 $(printf 1234 | sha1sum | cut -c1-40)"
if is_mosquitto; then
	assert_contains "$OUT" "Unable to set engine secret mode sha"
else
	assert_contains "$OUT" "tls_engine_kpass_sha1: engine pkcs11 takes no SHA-1 key password"
fi
