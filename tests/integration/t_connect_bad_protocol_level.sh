#!/usr/bin/env bash
# CONNECT "MQTT" with an unsupported protocol level: CONNACK 0x01 (unacceptable protocol
# version), then the server closes the connection [MQTT-3.1.2-2]. Levels 0, 1, 2, 6, 7, 255.
. "$(dirname "$0")/lib.sh"
start_broker
py <<'PY'
from mqttraw import *
def t():
    for level in (0, 1, 2, 6, 7, 255):
        c = Conn()
        c.send(connect("badlevel%d" % level, proto_level=level))
        sp, rc = c.expect(CONNACK).connack()
        check_eq(0x01, rc, "level %d: CONNACK return code" % level)
        check_eq(False, sp, "level %d: session present" % level)
        c.assert_closed(within=3)
    assert_broker_serves()
main(t)
PY
