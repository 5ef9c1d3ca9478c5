#!/usr/bin/env bash
# The first packet must be CONNECT [MQTT-3.1.0-1]: PUBLISH, SUBSCRIBE, PINGREQ, PUBREL or
# DISCONNECT first make the server close the connection without sending anything.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
from hostile import closed_v3
def t():
    cases = [("PUBLISH", publish("a/b", "x")), ("PUBLISH qos1", publish("a/b", "x", qos=1, pid=1)),
             ("SUBSCRIBE", subscribe(1, [("a/b", 0)])), ("PINGREQ", pingreq()),
             ("PUBREL", pubrel(1)), ("DISCONNECT", disconnect())]
    for what, data in cases:
        closed_v3(None, data, what + " first")
    assert_broker_serves()
PY
