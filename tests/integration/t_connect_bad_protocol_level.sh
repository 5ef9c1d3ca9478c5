#!/usr/bin/env bash
# CONNECT "MQTT" with an unsupported protocol level: CONNACK 0x01 (unacceptable protocol
# version), then the server closes the connection [MQTT-3.1.2-2]. Levels 0, 1, 2, 6, 7, 255, and
# the mixed-up pairs of known names and levels: "MQTT" level 3 and "MQIsdp" level 4.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    cases = [("MQTT", lvl) for lvl in (0, 1, 2, 6, 7, 255)] + [("MQTT", 3), ("MQIsdp", 4)]
    for name, level in cases:
        c = Conn()
        c.send(connect("badlevel%d" % level, proto_name=name, proto_level=level))
        what = "%s level %d" % (name, level)
        sp, rc = c.expect(CONNACK).connack()
        check_eq(0x01, rc, "%s: CONNACK return code" % what)
        check_eq(False, sp, "%s: session present" % what)
        c.assert_closed(within=3)
    assert_broker_serves()
PY
