#!/usr/bin/env bash
# broker: mqttgwd
# Overlapping subscriptions of one client (a/+ QoS 0 and a/# QoS 2): a QoS 2 message on a/b is
# delivered once, at QoS 2, the maximum of the matching subscriptions [MQTT-3.3.5-1].
# Mosquitto 2.0.11 delivers one copy at QoS 0 (the first matching subscription's), whatever the
# subscription order: a deviation, hence mqttgwd only.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    for order in ([("a/+", 0), ("a/#", 2)], [("a/#", 2), ("a/+", 0)]):
        s, _ = client("ov-sub")
        check_eq([q for _, q in order], subscribe_ok(s, order), "SUBACK")
        p, _ = client("ov-pub")
        p.send(publish("a/b", "overlap", qos=2, pid=1))
        p.expect(PUBREC); p.send(pubrel(1)); p.expect(PUBCOMP)
        copies = []
        while True:
            x = s.recv(1.0)
            if x is None:
                break
            m = x.publish()
            copies.append((m["payload"], m["qos"]))
            if m["qos"] == 2:
                s.send(pubrec(m["pid"])); s.expect(PUBREL); s.send(pubcomp(m["pid"]))
            elif m["qos"] == 1:
                s.send(puback(m["pid"]))
        check_eq([(b"overlap", 2)], copies, "copies for subscription order %r" % order)
        s.send(disconnect()); p.send(disconnect())
        s.close(); p.close()
PY
