#!/usr/bin/env bash
# A subscription's granted QoS caps delivery [MQTT-3.8.4-6]: published at QoS 2 to a QoS 1
# subscriber arrives as QoS 1 (a PUBLISH with a packet id that expects PUBACK, no PUBREL follows);
# QoS 2 and QoS 1 to a QoS 0 subscriber arrive as QoS 0 (no packet id).
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s, _ = client("down-sub")
    check_eq([1, 0], subscribe_ok(s, [("down/one", 1), ("down/zero", 0)]), "SUBACK")
    p, _ = client("down-pub")
    p.send(publish("down/one", "q2-to-q1", qos=2, pid=10))
    check_eq(10, p.expect(PUBREC).pid(), "PUBREC id")
    p.send(pubrel(10))
    check_eq(10, p.expect(PUBCOMP).pid(), "PUBCOMP id")
    m = s.expect(PUBLISH).publish()
    check_eq(("down/one", b"q2-to-q1", 1, False), (m["topic"], m["payload"], m["qos"], m["retain"]), "delivered")
    check(m["pid"] is not None and m["pid"] != 0, "QoS 1 delivery needs a non-zero packet id")
    s.send(puback(m["pid"]))
    s.expect_nothing(1.0)  # no PUBREL, no resend
    for pq, pid in ((2, 11), (1, 12)):
        p.send(publish("down/zero", "q%d-to-q0" % pq, qos=pq, pid=pid))
        if pq == 2:
            p.expect(PUBREC); p.send(pubrel(pid)); p.expect(PUBCOMP)
        else:
            p.expect(PUBACK)
        m = s.expect(PUBLISH).publish()
        check_eq(("down/zero", ("q%d-to-q0" % pq).encode(), 0, None),
                 (m["topic"], m["payload"], m["qos"], m["pid"]), "delivered")
    s.expect_nothing(0.5)
PY
