#!/usr/bin/env bash
# A client that closes its socket without DISCONNECT has its will published [MQTT-3.1.2-8]:
# topic, payload, QoS min(will QoS, subscription QoS), RETAIN 0 to an existing subscriber;
# exactly once.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s, _ = client("wa-watch")
    check_eq([2, 0], subscribe_ok(s, [("wa/q2", 2), ("wa/q0", 0)]), "SUBACK")
    for topic, wq, want_q in (("wa/q2", 2, 2), ("wa/q2", 1, 1), ("wa/q0", 2, 0)):
        c, _ = client("wa", will=(topic, "bye-%d" % wq, wq, False))
        c.abort()
        m = s.expect(PUBLISH, timeout=3).publish()
        check_eq((topic, ("bye-%d" % wq).encode(), want_q, False),
                 (m["topic"], m["payload"], m["qos"], m["retain"]), "will (will QoS %d)" % wq)
        if want_q == 2:
            s.send(pubrec(m["pid"])); s.expect(PUBREL); s.send(pubcomp(m["pid"]))
        elif want_q == 1:
            s.send(puback(m["pid"]))
        s.expect_nothing(0.5)
PY
