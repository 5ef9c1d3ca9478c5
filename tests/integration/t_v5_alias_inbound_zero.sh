#!/usr/bin/env bash
# broker: mqttgwd
# Topic Alias 0 is never valid [MQTT-3.3.2-8]: the server answers DISCONNECT 0x94 (Topic Alias
# invalid) and closes, delivering nothing. Mosquitto 2.0.11 answers 0x81 (Malformed Packet); the
# spec names no code for alias 0, the issue asks for 0x94, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("az-sub", [("az/#", 0)])
    c, _ = client5("az")
    c.send(publish5("az/t", "alias0", props=[(TOPIC_ALIAS, 0)]))
    expect_disconnect(c, RC_TOPIC_ALIAS_INVALID)
    s.expect_nothing(0.5)
PY
