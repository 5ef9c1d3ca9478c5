#!/usr/bin/env bash
# broker: mqttgwd
# String properties must be well-formed UTF-8 without U+0000 [MQTT-1.5.4-1], [MQTT-1.5.4-2]; both
# strings of a User Property too [MQTT-1.5.7-1]; Content Type [MQTT-3.3.2-19]. A PUBLISH breaking
# that is malformed -> DISCONNECT 0x81 and nothing is delivered. Mosquitto 2.0.11 closes without
# the DISCONNECT (a SHOULD, 4.13.1), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pu8-sub", [("pu8/#", 0)])
    cases = (("overlong in Content Type", bytes([CONTENT_TYPE, 0, 2, 0xC0, 0xAF])),
             ("U+0000 in Content Type", bytes([CONTENT_TYPE, 0, 2, 0x41, 0x00])),
             ("surrogate in Response Topic", bytes([RESPONSE_TOPIC, 0, 3, 0xED, 0xA0, 0x80])),
             ("0xFF in a User Property key", bytes([USER_PROPERTY, 0, 1, 0xFF, 0, 1, 0x41])),
             ("0xFF in a User Property value", bytes([USER_PROPERTY, 0, 1, 0x41, 0, 1, 0xFF])))
    for i, (what, raw) in enumerate(cases):
        disconnected_v5("pu8-%d" % i, publish5("pu8/t", "x", props=raw), RC_MALFORMED, what)
    s.expect_nothing(0.5)
    assert_broker_serves5()
PY
