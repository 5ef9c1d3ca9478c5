#!/usr/bin/env bash
# SUBACK carries one granted QoS per filter, in order, with the SUBSCRIBE's packet id
# [MQTT-3.8.4-1, -5]; subscribing again to the same filter replaces the subscription (new QoS,
# still one copy per message) [MQTT-3.8.4-3].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    c, _ = client("suback")
    c.send(subscribe(0x1234, [("sa/zero", 0), ("sa/one", 1), ("sa/two", 2), ("sb/+/x", 1), ("sc/#", 0)]))
    pid, codes = c.expect(SUBACK).suback()
    check_eq(0x1234, pid, "SUBACK packet id")
    check_eq([0, 1, 2, 1, 0], codes, "granted QoS")
    # replace sa/two (QoS 2) by QoS 1: one copy of a QoS 2 message, delivered at QoS 1
    c.send(subscribe(0x1235, [("sa/two", 1)]))
    pid, codes = c.expect(SUBACK).suback()
    check_eq((0x1235, [1]), (pid, codes), "re-subscribe SUBACK")
    p, _ = client("suback-pub")
    p.send(publish("sa/two", "x", qos=2, pid=1)); p.expect(PUBREC); p.send(pubrel(1)); p.expect(PUBCOMP)
    m = c.expect(PUBLISH).publish()
    check_eq(("sa/two", b"x", 1), (m["topic"], m["payload"], m["qos"]), "delivery after re-subscribe")
    c.send(puback(m["pid"]))
    c.expect_nothing(1.0)
    # every other filter is live at its granted QoS
    for topic, q in (("sa/zero", 0), ("sa/one", 1), ("sb/y/x", 1), ("sc/d/e", 0)):
        p.send(publish(topic, topic, qos=1, pid=2)); p.expect(PUBACK)
        m = c.expect(PUBLISH).publish()
        check_eq((topic, topic.encode(), q), (m["topic"], m["payload"], m["qos"]), topic)
        if q:
            c.send(puback(m["pid"]))
    c.expect_nothing(0.5)
PY
