#!/usr/bin/env bash
# broker: mqttgwd
# No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4]: DISCONNECT 0x82, no SUBACK.
# Mosquitto 2.0.11 accepts it (SUBACK), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c, _ = client5("shl")
    c.send(subscribe5(1, [("$share/g/shl/t", sub_opts(1, nl=True))]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
PY
