#!/usr/bin/env bash
# A flood of SUBSCRIBEs with thousands of filters: one SUBACK per SUBSCRIBE, with its packet id
# and exactly one return code per filter, in order [MQTT-3.8.4-1], [MQTT-3.8.4-5] (5.0:
# [MQTT-3.8.4-6]); re-subscribing replaces, it never multiplies deliveries [MQTT-3.8.4-3].
#  - 3.1.1: one SUBSCRIBE with 10,000 filters (QoS i % 3), then 500 SUBSCRIBEs of 20 filters
#    each in one write (re-subscribing half of them at another QoS);
#  - 5.0: one SUBSCRIBE with 10,000 filters;
#  - every filter is live at its (last) QoS: one copy per message; UNSUBSCRIBE of all 10,000
#    gets one UNSUBACK and ends every delivery.
# Bounded: each SUBACK within 10 s; a bystander subscribed before the flood gets a message
# published while the flood is being handled within 3 s, and after it.
# timeout: 120
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw
import time

from hostile import bystander, bystander_alive

N = 10000

def t():
    b = bystander()
    c, _ = mqttraw.client("sf3")
    filters = [("sf/%d/+" % i, i % 3) for i in range(N)]
    t0 = time.monotonic()
    c.send(mqttraw.subscribe(1, filters))
    lat = bystander_alive(b, "during")
    pid, codes = c.expect(SUBACK, timeout=10).suback()
    print("10,000-filter SUBACK after %.2f s; bystander round trip %.3f s" % (time.monotonic() - t0, lat))
    check_eq(1, pid, "SUBACK packet id")
    check_eq([i % 3 for i in range(N)], codes, "10,000 return codes in order")
    # 500 SUBSCRIBEs x 20 filters in one write; even packets re-subscribe at QoS 2
    burst = b""
    for k in range(500):
        burst += mqttraw.subscribe(1000 + k, [("sf/%d/+" % (k * 20 + j), 2 if k % 2 == 0 else (k * 20 + j) % 3)
                                               for j in range(20)])
    t0 = time.monotonic()
    c.send(burst)
    for k in range(500):
        pid, codes = c.expect(SUBACK, timeout=10).suback()
        want = [2 if k % 2 == 0 else (k * 20 + j) % 3 for j in range(20)]
        check_eq((1000 + k, want), (pid, codes), "SUBACK %d of the burst" % k)
    print("500 SUBACKs after %.2f s" % (time.monotonic() - t0))
    # every filter live at its last QoS, one copy each
    p, _ = mqttraw.client("sf-pub")
    for i in (0, 19, 20, 39, 4321, 9999):
        p.send(mqttraw.publish("sf/%d/x" % i, "m%d" % i, qos=2, pid=1))
        p.expect(PUBREC)
        p.send(mqttraw.pubrel(1))
        p.expect(PUBCOMP)
        k = i // 20
        want_qos = 2 if k % 2 == 0 else i % 3
        m = c.expect(PUBLISH, timeout=3).publish()
        check_eq(("sf/%d/x" % i, ("m%d" % i).encode(), want_qos), (m["topic"], m["payload"], m["qos"]), "delivery on filter %d" % i)
        if m["qos"] == 1:
            c.send(mqttraw.puback(m["pid"]))
        elif m["qos"] == 2:
            c.send(mqttraw.pubrec(m["pid"]))
            c.expect(PUBREL)
            c.send(mqttraw.pubcomp(m["pid"]))
        c.expect_nothing(0.2)
    c.send(mqttraw.unsubscribe(2, ["sf/%d/+" % i for i in range(N)]))
    check_eq(2, c.expect(UNSUBACK, timeout=10).pid(), "UNSUBACK for 10,000 filters")
    p.send(mqttraw.publish("sf/5/x", "gone", qos=1, pid=2))
    p.expect(PUBACK)
    c.expect_nothing(0.5)
    # 5.0
    c5, _ = client5("sf5")
    c5.send(subscribe5(3, [("sf5/%d/#" % i, i % 3) for i in range(N)]))
    s = suback_of(c5.expect(SUBACK, timeout=10))
    check_eq((3, [i % 3 for i in range(N)]), (s["pid"], s["codes"]), "5.0 SUBACK with 10,000 reason codes")
    p.send(mqttraw.publish("sf5/777/a", "v5", qos=1, pid=3))
    p.expect(PUBACK)
    m = publish_of(c5.expect(PUBLISH, timeout=3))
    check_eq(("sf5/777/a", b"v5", 777 % 3), (m["topic"], m["payload"], m["qos"]), "5.0 delivery")
    print("bystander round trip after the flood %.3f s" % bystander_alive(b, "after"))
PY
