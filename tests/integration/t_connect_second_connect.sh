#!/usr/bin/env bash
# A second CONNECT on a connection is a protocol violation [MQTT-3.1.0-2]: the server closes the
# connection without a second CONNACK.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    c, _ = client("twice")
    c.send(connect("twice"))
    c.assert_closed(within=3)
    c2 = Conn()
    c2.send(connect("twice2") + connect("twice2"))  # both in one segment
    got = c2.assert_closed(within=3, allow=(CONNACK,))
    check_eq(1, len(got), "packets before the close")
    check_eq((False, 0), got[0].connack(), "first CONNACK")
    assert_broker_serves()
PY
