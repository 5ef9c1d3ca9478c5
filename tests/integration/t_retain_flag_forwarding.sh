#!/usr/bin/env bash
# RETAIN flag on delivery: a retained publish forwarded to an already-subscribed client has
# RETAIN 0 [MQTT-3.3.1-9]; the same message sent because of a new subscription has RETAIN 1
# [MQTT-3.3.1-8]; a re-subscribe to the same filter re-sends retained messages with RETAIN 1
# [MQTT-3.8.4-3]. Checked on the wire with a raw client.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s = subscriber("rf-sub", [("rf/t", 1)])
    p, _ = client("rf-pub")
    p.send(publish("rf/t", "r1", qos=1, retain=True, pid=1)); p.expect(PUBACK)
    m = s.expect(PUBLISH).publish()
    check_eq((b"r1", False), (m["payload"], m["retain"]), "forwarded to existing subscriber")
    s.send(puback(m["pid"]))
    p.send(publish("rf/t", "plain", qos=0))
    m = s.expect(PUBLISH).publish()
    check_eq((b"plain", False), (m["payload"], m["retain"]), "non-retained publish")
    n = subscriber("rf-new", [("rf/t", 1)])
    m = n.expect(PUBLISH).publish()
    check_eq((b"r1", True), (m["payload"], m["retain"]), "retained on new subscription")
    n.send(puback(m["pid"]))
    subscribe_ok(n, [("rf/t", 1)], pid=2)
    m = n.expect(PUBLISH).publish()
    check_eq((b"r1", True), (m["payload"], m["retain"]), "retained on re-subscribe")
    n.send(puback(m["pid"]))
    n.expect_nothing(0.5)
PY
