#!/usr/bin/env bash
# Client take-over [MQTT-3.1.4-2]: a second connection with the same client id makes the server
# close the first one (which sees its socket closed, without any packet); the second gets
# CONNACK 0 (session present 1 for a clean 0 session) and works; the first connection's
# subscriptions belong to the session and still deliver to the second.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    a, sp = client("tk", clean=False)
    check_eq(False, sp, "first: session present")
    subscribe_ok(a, [("tk/t", 1)])
    b, sp = client("tk", clean=False)
    check_eq(True, sp, "second: session present")
    a.assert_closed(within=3)
    b.send(pingreq()); b.expect(PINGRESP)
    p, _ = client("tk-pub")
    p.send(publish("tk/t", "to-b", qos=1, pid=1)); p.expect(PUBACK)
    m = b.expect(PUBLISH).publish()
    check_eq(b"to-b", m["payload"], "delivered to the new connection")
    b.send(puback(m["pid"]))
    # clean 1 takes over too
    c, sp = client("tk", clean=True)
    check_eq(False, sp, "clean 1 take-over: session present")
    b.assert_closed(within=3)
    c.send(pingreq()); c.expect(PINGRESP)
PY
