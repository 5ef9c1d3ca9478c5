#!/usr/bin/env bash
# CONNECT with a protocol name other than "MQTT" (level 4): the server closes the connection
# without a CONNACK [MQTT-3.1.2-1] (we do not "continue under another specification").
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    for name in ("MQTX", "mqtt", "MQTT\x00", ""):
        c = Conn()
        c.send(connect("badname", proto_name=name, proto_level=4))
        c.assert_closed(within=3)  # no packet at all before the close
    assert_broker_serves()
PY
