#!/usr/bin/env bash
# Zero-length client id with CleanSession 1 is accepted and the server assigns a unique id
# [MQTT-3.1.3-6]: two such clients are connected at once (neither takes over the other) and both
# can subscribe and receive.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    a, sp = client("", clean=True)
    check_eq(False, sp, "session present (a)")
    b, sp = client("", clean=True)
    check_eq(False, sp, "session present (b)")
    check_eq([1], subscribe_ok(a, [("empty/id", 1)]), "SUBACK a")
    check_eq([1], subscribe_ok(b, [("empty/id", 1)]), "SUBACK b")
    a.send(publish("empty/id", "hello", qos=1, pid=9))
    # a gets its PUBACK and its own message (in either order), b gets the message
    seen = {}
    for _ in range(2):
        p = a.recv(3)
        check(p is not None, "a: expected PUBACK and PUBLISH, got %r" % seen)
        seen[p.type] = p
    check_eq(9, seen[PUBACK].pid(), "PUBACK packet id")
    check_eq(b"hello", seen[PUBLISH].publish()["payload"], "a: payload")
    m = b.expect(PUBLISH).publish()
    check_eq(b"hello", m["payload"], "b: payload")
    b.send(puback(m["pid"]))
    a.send(puback(seen[PUBLISH].publish()["pid"]))
    a.send(pingreq()); a.expect(PINGRESP)
    b.send(pingreq()); b.expect(PINGRESP)
PY
