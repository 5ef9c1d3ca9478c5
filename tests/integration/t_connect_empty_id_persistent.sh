#!/usr/bin/env bash
# Zero-length client id with CleanSession 0: CONNACK 0x02 (identifier rejected), then the server
# closes the connection [MQTT-3.1.3-8].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    c = Conn()
    c.send(connect("", clean=False))
    sp, rc = c.expect(CONNACK).connack()
    check_eq(0x02, rc, "CONNACK return code")
    check_eq(False, sp, "session present")
    c.assert_closed(within=3)
    assert_broker_serves()
PY
