#!/usr/bin/env bash
# broker: mqttgwd
# message_size_limit 100 over MQTT 3.1.1: a PUBLISH whose payload is over the limit makes mqttgwd
# close the connection, without PUBACK/PUBREC, and nothing is delivered; exactly 100 bytes is
# fine. (Mosquitto 2.0.11 instead acknowledges and silently drops: the publisher cannot tell.)
. "$(dirname "$0")/lib.sh"
py_test mqttraw "message_size_limit 100" <<'PY'
def t():
    s = subscriber("mc-sub", [("mc/#", 1)])
    for q in (0, 1, 2):
        c, _ = client("mc-pub%d" % q)
        c.send(publish("mc/ok", b"x" * 100, qos=q, pid=1 if q else None))
        if q == 1:
            c.expect(PUBACK)
        elif q == 2:
            c.expect(PUBREC); c.send(pubrel(1)); c.expect(PUBCOMP)
        m = s.expect(PUBLISH).publish()
        check_eq(100, len(m["payload"]), "QoS %d: limit-sized payload" % q)
        if m["qos"]:
            s.send(puback(m["pid"]))
        c.send(publish("mc/big", b"x" * 101, qos=q, pid=2 if q else None))
        c.assert_closed(within=3)
        s.expect_nothing(0.5)
PY
