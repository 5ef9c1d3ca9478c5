#!/usr/bin/env bash
# Will Flag 0 with Will QoS != 0 [MQTT-3.1.2-13] or Will Retain 1 [MQTT-3.1.2-15], and Will QoS 3
# [MQTT-3.1.2-14]: malformed CONNECT, the server closes the connection without a CONNACK.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
from hostile import closed_v3
def t():
    cases = [
        ("will qos 1, no will flag", connect("w1", flags=0x02 | 0x08)),
        ("will qos 2, no will flag", connect("w2", flags=0x02 | 0x10)),
        ("will retain, no will flag", connect("w3", flags=0x02 | 0x20)),
        ("will qos 3", connect("w4", will=("w/t", "x", 3, False))),
    ]
    for what, data in cases:
        closed_v3(None, data, what)
    assert_broker_serves()
PY
