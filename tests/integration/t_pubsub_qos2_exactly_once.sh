#!/usr/bin/env bash
# QoS 2 exactly once across a reconnect: a raw publisher (CleanSession 0) sends PUBLISH QoS 2,
# gets PUBREC, drops the TCP connection, reconnects (session present 1), re-sends the PUBLISH
# with DUP 1 and the same packet id (broker answers PUBREC again), then PUBREL -> PUBCOMP.
# The subscriber receives exactly one copy [MQTT-4.3.3-2, MQTT-4.4.0-1].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s, _ = client("eo-sub")
    check_eq([2], subscribe_ok(s, [("eo/t", 2)]), "SUBACK")
    p, sp = client("eo-pub", clean=False)
    p.send(publish("eo/t", "exactly-once", qos=2, pid=7))
    check_eq(7, p.expect(PUBREC).pid(), "PUBREC id")
    p.abort()
    p, sp = client("eo-pub", clean=False)
    check_eq(True, sp, "session present after reconnect")
    p.send(publish("eo/t", "exactly-once", qos=2, pid=7, dup=True))
    check_eq(7, p.expect(PUBREC).pid(), "PUBREC id for the DUP resend")
    p.send(pubrel(7))
    check_eq(7, p.expect(PUBCOMP).pid(), "PUBCOMP id")
    copies = []
    while True:
        x = s.recv(1.5)
        if x is None:
            break
        check_eq(PUBLISH, x.type, "subscriber packet type")
        m = x.publish()
        copies.append(m)
        check_eq(2, m["qos"], "delivered QoS")
        s.send(pubrec(m["pid"]))
        check_eq(m["pid"], s.expect(PUBREL).pid(), "PUBREL id")
        s.send(pubcomp(m["pid"]))
    check_eq([b"exactly-once"], [m["payload"] for m in copies], "copies delivered")
    p.send(disconnect())
PY
