#!/usr/bin/env bash
# The first packet must be CONNECT [MQTT-3.1.0-1]: PUBLISH, SUBSCRIBE, PINGREQ, PUBREL or
# DISCONNECT first make the server close the connection without sending anything.
. "$(dirname "$0")/lib.sh"
start_broker
py <<'PY'
from mqttraw import *
def t():
    cases = [("PUBLISH", publish("a/b", "x")), ("PUBLISH qos1", publish("a/b", "x", qos=1, pid=1)),
             ("SUBSCRIBE", subscribe(1, [("a/b", 0)])), ("PINGREQ", pingreq()),
             ("PUBREL", pubrel(1)), ("DISCONNECT", disconnect())]
    for what, data in cases:
        c = Conn()
        c.send(data)
        try:
            c.assert_closed(within=3)
        except TestFailure as e:
            raise TestFailure("%s first: %s" % (what, e))
    assert_broker_serves()
main(t)
PY
