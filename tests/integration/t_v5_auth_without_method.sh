#!/usr/bin/env bash
# broker: mqttgwd
# A client that gave no Authentication Method in CONNECT must not send AUTH [MQTT-4.12.0-7]: the
# server answers such an AUTH with DISCONNECT 0x82 (Protocol Error) and closes; an AUTH with
# reserved fixed-header flags is malformed [MQTT-3.15.1-1] -> 0x81. Mosquitto 2.0.11 closes without
# the DISCONNECT, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c, _ = client5("awm")
    c.send(auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, "SCRAM-SHA-256"), (AUTH_DATA, b"n,,n=a,r=b")]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    c, _ = client5("awm-flags")
    c.send(packet(0xF1, bytes([RC_CONTINUE_AUTH, 0])))
    expect_disconnect(c, RC_MALFORMED)
PY
