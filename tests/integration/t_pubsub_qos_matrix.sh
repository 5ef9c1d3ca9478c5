#!/usr/bin/env bash
# Publish at QoS 0, 1, 2 to subscriptions at QoS 0, 1, 2 (paho clients): every inbound flow
# completes (PUBACK / PUBREC-PUBREL-PUBCOMP), each message arrives exactly once at
# min(publish QoS, granted QoS) [MQTT-3.8.4-6], with RETAIN 0 and DUP 0.
. "$(dirname "$0")/lib.sh"
py_test mqttc <<'PY'
def t():
    s = Client("matrix-sub")
    s.connect()
    granted = s.subscribe([("m/s0/#", 0), ("m/s1/#", 1), ("m/s2/#", 2)])
    check_eq([0, 1, 2], granted, "granted QoS")
    p = Client("matrix-pub")
    p.connect()
    want = {}
    for sq in range(3):
        for pq in range(3):
            topic = "m/s%d/p%d" % (sq, pq)
            p.publish(topic, "payload-%d-%d" % (sq, pq), qos=pq)  # waits for the inbound flow
            want[topic] = (("payload-%d-%d" % (sq, pq)).encode(), min(sq, pq))
    got = s.collect(2.0)
    seen = {}
    for m in got:
        check(m.topic not in seen, "duplicate delivery on %s" % m.topic)
        seen[m.topic] = m
        check_eq(False, m.retain, "%s retain" % m.topic)
        check_eq(False, m.dup, "%s dup" % m.topic)
    check_eq(sorted(want), sorted(seen), "topics delivered")
    for topic, (payload, qos) in want.items():
        check_eq((payload, qos), (seen[topic].payload, seen[topic].qos), topic)
    p.disconnect()
    s.disconnect()
PY
