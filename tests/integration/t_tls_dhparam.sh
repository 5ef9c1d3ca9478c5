#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 60
# dhparamfile (Mosquitto's meaning): the DH group of TLS 1.2 DHE key exchanges. Without it the
# listener offers no DHE suite (a client that offers only DHE-RSA fails the handshake); with it
# that client connects.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/rsa"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa/k.pem" -out "$T/rsa/c.pem" \
	-subj "/CN=localhost" -days 2 2>/dev/null
openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe2048 -out "$T/dh.pem" 2>/dev/null
dhe() { # a TLS 1.2 handshake that offers only DHE-RSA-AES128-GCM-SHA256
	echo | cli timeout 10 openssl s_client -connect "$BROKER_HOST:$BROKER_PORT" -tls1_2 \
		-cipher DHE-RSA-AES128-GCM-SHA256 >"$T/s_client.out" 2>&1
}
start_broker "certfile $T/rsa/c.pem" "keyfile $T/rsa/k.pem"
rc=0
dhe || rc=$?
assert_ne 0 "$rc" "no dhparamfile: a DHE-only client is refused"
stop_broker
start_broker "certfile $T/rsa/c.pem" "keyfile $T/rsa/k.pem" "dhparamfile $T/dh.pem"
rc=0
dhe || rc=$?
assert_eq 0 "$rc" "dhparamfile: the DHE-only client connects: $(tail -5 "$T/s_client.out")"
assert_contains "$(cat "$T/s_client.out")" "DHE-RSA-AES128-GCM-SHA256"
stop_broker
