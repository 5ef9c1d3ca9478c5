#!/usr/bin/env bash
# broker: mqttgwd
# A PUBLISH from a client must not carry a Subscription Identifier [MQTT-3.3.4-6]: the server
# treats it as a Protocol Error -> DISCONNECT 0x82, nothing delivered. Mosquitto 2.0.11 accepts it.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("sfc-sub", [("sfc/#", 0)])
    c, _ = client5("sfc")
    c.send(publish5("sfc/t", "x", props=[(SUBSCRIPTION_ID, 3)]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    s.expect_nothing(0.5)
PY
