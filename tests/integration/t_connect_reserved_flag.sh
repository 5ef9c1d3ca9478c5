#!/usr/bin/env bash
# CONNECT with the reserved connect-flags bit 0 set: the server disconnects without a CONNACK
# [MQTT-3.1.2-3].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    for flags in (0x03, 0x01):
        c = Conn()
        c.send(connect("reserved", flags=flags))
        c.assert_closed(within=3)
    assert_broker_serves()
PY
