#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 150
# In-flight state across a SIGKILL. Outgoing: a persistent subscriber got two QoS 1 and one
# QoS 2 message without acknowledging them, and PUBREC'd another QoS 2 one (PUBREL pending);
# after the restart it gets the PUBLISHes again with DUP 1 and the same packet ids, then the
# PUBREL [MQTT-4.4.0-1]. Incoming: a persistent publisher's QoS 2 message PUBREC'd before the
# kill and released (PUBREL) only after the restart is delivered exactly once, its resend with
# DUP recognised as one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
start_broker "${STORE_CONF[@]}"
py > "$T/first.json" <<'PY'
import json
from mqttraw import *
def t():
    s = subscriber("if-sub", [("if/out/#", 2), ("if/in", 2)], clean=False)
    p, _ = client("if-pub")
    for i, q in enumerate((1, 1, 2, 2)):
        p.send(publish("if/out/%d" % i, "m%d" % i, qos=q, pid=40 + i))
        check_eq(40 + i, p.expect(PUBACK if q == 1 else PUBREC).pid(), "ack")
        if q == 2:
            p.send(pubrel(40 + i))
            p.expect(PUBCOMP)
    ms = [s.expect(PUBLISH).publish() for _ in range(4)]
    check_eq([b"m0", b"m1", b"m2", b"m3"], [m["payload"] for m in ms], "first delivery")
    # the last QoS 2 one is received (PUBREC) but not completed
    s.send(pubrec(ms[3]["pid"]))
    check_eq(ms[3]["pid"], s.expect(PUBREL).pid(), "PUBREL")
    # incoming QoS 2 from a persistent publisher: PUBREC, no PUBREL yet
    q, _ = client("if-pub2", clean=False)
    q.send(publish("if/in", "once", qos=2, pid=7))
    check_eq(7, q.expect(PUBREC).pid(), "PUBREC of the incoming QoS 2")
    m = s.expect(PUBLISH).publish()
    check_eq(b"once", m["payload"], "incoming QoS 2 delivered")
    s.send(pubrec(m["pid"]))
    s.expect(PUBREL)
    s.send(pubcomp(m["pid"]))
    time.sleep(0.3)
    print(json.dumps([m["pid"] for m in ms]))
    s.abort()
    q.abort()
main(t)
PY
kill_broker
restart_broker
py - "$(cat "$T/first.json")" <<'PY'
import json, sys
from mqttraw import *
pids = json.loads(sys.argv[1])
def t():
    s, sp = client("if-sub", clean=False)
    check_eq(True, sp, "session present")
    again = [s.expect(PUBLISH).publish() for _ in range(3)]
    check_eq([b"m0", b"m1", b"m2"], [m["payload"] for m in again], "resent, in order")
    check_eq([True] * 3, [m["dup"] for m in again], "resent with DUP")
    check_eq(pids[:3], [m["pid"] for m in again], "same packet ids")
    check_eq(pids[3], s.expect(PUBREL).pid(), "PUBREL resent for the PUBREC'd one")
    s.send(puback(again[0]["pid"]))
    s.send(puback(again[1]["pid"]))
    s.send(pubrec(again[2]["pid"]))
    check_eq(again[2]["pid"], s.expect(PUBREL).pid(), "PUBREL")
    s.send(pubcomp(again[2]["pid"]))
    s.send(pubcomp(pids[3]))
    # the publisher resends its QoS 2 message (DUP): acknowledged, not delivered again
    q, sp = client("if-pub2", clean=False)
    check_eq(True, sp, "publisher session present")
    q.send(publish("if/in", "once", qos=2, pid=7, dup=True))
    check_eq(7, q.expect(PUBREC).pid(), "PUBREC of the resend")
    q.send(pubrel(7))
    check_eq(7, q.expect(PUBCOMP).pid(), "PUBCOMP")
    s.expect_nothing(1.0)
    # and the id is free again: a new message with it is delivered
    q.send(publish("if/in", "next", qos=2, pid=7))
    check_eq(7, q.expect(PUBREC).pid(), "PUBREC")
    q.send(pubrel(7))
    q.expect(PUBCOMP)
    m = s.expect(PUBLISH).publish()
    check_eq(b"next", m["payload"], "a new message with the released id")
    s.send(disconnect())
    q.send(disconnect())
main(t)
PY
stop_broker
