#!/usr/bin/env bash
# A real browser: MQTT.js (npm `mqtt`, its browser bundle) in headless Chromium, driven by
# puppeteer-core (browser/run.js), connects over ws:// and wss://, with MQTT 5 and 3.1.1, to
# `protocol websockets` listeners; subscribes to br/#, and gets the retained message that
# mosquitto_pub published before (retain flag set), its own QoS 1 message, and one from
# mosquitto_pub while subscribed. wss://: Chromium trusts exactly the server's key
# (--ignore-certificate-errors-spki-list with its SPKI hash; every other certificate error
# stays an error): a browser without it must fail to connect.
# Node modules: tests/integration/browser/node_modules (scripts/deps.sh runs `npm ci` there).
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"

BROWSER_DIR=$TEST_DIR/browser
CHROMIUM=${MQTTGW_CHROMIUM:-/usr/bin/chromium}
missing=
[ -x "$CHROMIUM" ] || missing="$CHROMIUM"
command -v node >/dev/null || missing="$missing node"
NM=$BROWSER_DIR/node_modules
[ -d "$NM/puppeteer-core" ] && [ -f "$NM/mqtt/dist/mqtt.min.js" ] || missing="$missing $NM"
if [ -n "$missing" ]; then
	# CI installs them (scripts/deps.sh): there a missing piece is a failure, not a skip
	[ "${CI:-}" = true ] && fail "missing: $missing (scripts/deps.sh installs them)"
	skip "missing: $missing (scripts/deps.sh installs them)"
fi

tls_certs
# a third port: any port is free in our namespace; on loopback, a free one
WSS_PORT=21885
[ "$NETMODE" = netns ] || WSS_PORT=$(free_port)
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets" \
	"listener $WSS_PORT $BROKER_HOST" "protocol websockets" \
	"certfile $TLS/server.crt" "keyfile $TLS/server.key"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
wait_listening "$WSS_PORT" 5 "$BROKER_PID"

pub -q 1 -r -t br/kept -m k

# the server key's SPKI hash: base64(SHA-256(DER SubjectPublicKeyInfo))
SPKI=$(openssl x509 -in "$TLS/server.crt" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

# Chromium keeps its profile (and crash reports) in $T; the whole run is bounded by run.js too
export HOME=$T
run_fg timeout -k 5 170 "${CLI[@]}" node "$BROWSER_DIR/run.js" --chromium "$CHROMIUM" \
	--host "$BROKER_HOST" --port "$BROKER_PORT" --spki "$SPKI" --user-data "$T/chrome" \
	"ws://$BROKER_HOST:$BROKER_PORT2/mqtt" "wss://$BROKER_HOST:$WSS_PORT/mqtt" \
	>"$T/browser.out" 2>"$T/browser.err" ||
	fail "browser run failed: $(cat "$T/browser.out") $(tail -n 20 "$T/browser.err")"
out=$(cat "$T/browser.out")
log "browser: $out"
for s in ws wss; do
	for v in 5 4; do
		assert_contains "$out" \
			"$s v$v: kept=k (retained) self=self-br-$s$v live=live-br-$s$v" "$s MQTT v$v"
	done
done
assert_not_contains "$out" FAILED

# Without the key pinned, the same browser must refuse the test CA's certificate.
run_fg timeout -k 5 100 "${CLI[@]}" node "$BROWSER_DIR/run.js" --chromium "$CHROMIUM" \
	--host "$BROKER_HOST" --port "$BROKER_PORT" --user-data "$T/chrome2" --expect-fail \
	"wss://$BROKER_HOST:$WSS_PORT/mqtt" >"$T/browser2.out" 2>"$T/browser2.err" ||
	fail "browser run (untrusted) failed: $(tail -n 20 "$T/browser2.err")"
assert_eq "wss untrusted: refused" "$(cat "$T/browser2.out")" "untrusted certificate"
broker_alive
stop_broker
