#!/usr/bin/env bash
# broker: mqttgwd
# Enhanced authentication with SCRAM-SHA-256 (4.12, RFC 5802/7677): CONNECT with Authentication
# Method SCRAM-SHA-256 and the client-first-message -> AUTH 0x18 (Continue authentication) with
# the server-first-message [MQTT-4.12.0-2] -> AUTH 0x18 with the client-final-message
# [MQTT-4.12.0-3] -> CONNACK 0x00 carrying the same Authentication Method [MQTT-4.12.0-5] and the
# server-final-message, whose signature the client verifies; every AUTH from the server carries the
# method too. Configuration proposed by this test (mqttgwd has no key yet): `scram_password_file`,
# lines `user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5803). Mosquitto
# needs an auth plugin for this, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
scram_secret alice s3cret >"$T/scram.txt"
start_broker_auth "allow_anonymous false" "scram_password_file $T/scram.txt"
py <<'PY'
from mqtt5raw import *
def t():
    s = Scram("alice", "s3cret")
    c = Conn()
    c.send(connect5("scram-ok", props=[(AUTH_METHOD, Scram.METHOD), (AUTH_DATA, s.client_first())]))
    a = auth_of(c.expect(AUTH))
    check_eq((hexs(RC_CONTINUE_AUTH), Scram.METHOD), (hexs(a["rc"]), a["props"].get(AUTH_METHOD)), "first AUTH")
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, Scram.METHOD), (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
    ack = connack5(c.expect(CONNACK))
    check_eq((0, Scram.METHOD), (ack["rc"], ack["props"].get(AUTH_METHOD)), "CONNACK")
    s.verify_server_final(ack["props"].get(AUTH_DATA))
    c.send(pingreq())
    c.expect(PINGRESP)
main(t)
PY
