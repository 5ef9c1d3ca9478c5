#!/usr/bin/env bash
# broker: mqttgwd
# Subscription Identifier 0 is a Protocol Error (3.8.2.1.2): DISCONNECT 0x82, no SUBACK.
# Mosquitto 2.0.11 answers 0x81 (Malformed Packet), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c, _ = client5("siz")
    c.send(subscribe5(1, [("siz/t", 0)], props=[(SUBSCRIPTION_ID, 0)]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
PY
