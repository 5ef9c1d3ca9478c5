#!/usr/bin/env bash
# broker: mqttgwd
# Retain Handling 3 is a Protocol Error (3.8.3.1): DISCONNECT 0x82 and the close, no SUBACK.
# Mosquitto 2.0.11 answers 0x81 (Malformed Packet), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c, _ = client5("rh3")
    c.send(subscribe5(1, [("rh3/t", sub_opts(1, rh=3))]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
PY
