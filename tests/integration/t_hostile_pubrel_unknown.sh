#!/usr/bin/env bash
# broker: mqttgwd
# PUBREL for a Packet Identifier the server holds no QoS 2 message for is answered, not fatal:
# 3.1.1 "MUST respond to a PUBREL packet by sending a PUBCOMP packet containing the same Packet
# Identifier" [MQTT-4.3.3-11 / 3.6.4]; 5.0 PUBCOMP with 0x92 Packet Identifier not found
# (3.7.2.1). Also for an id already completed, for a burst of 2,000 unknown ids in one write
# (2,000 PUBCOMPs, in order, nothing else), for id 65535; the connection stays up and a real
# QoS 2 exchange on it still delivers exactly once. A bystander subscribed before keeps
# receiving. (Packet id 0 is t_hostile_packet_id_zero.)
# mqttgwd only: Mosquitto 2.0.11 answers 0x00 to 5.0 clients.
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw

from hostile import bystander, bystander_alive

def pubcomps(c, n, v5):
    """n PUBCOMPs -> [(pid, rc)]; anything else fails."""
    out = []
    for _ in range(n):
        p = c.expect(PUBCOMP, timeout=5)
        a = ack_of(p) if v5 else {"pid": p.pid(), "rc": 0}
        out.append((a["pid"], a["rc"]))
    return out

def qos2_once(b, c, v5, pid):
    if v5:
        c.send(publish5("pu/x", "q2-%d" % pid, qos=2, pid=pid))
        check(ack_of(c.expect(PUBREC))["rc"] < 0x80, "PUBREC")
        c.send(pubrel5(pid))
        check_eq((pid, 0), pubcomps(c, 1, True)[0], "PUBCOMP of a real exchange")
    else:
        c.send(mqttraw.publish("pu/x", "q2-%d" % pid, qos=2, pid=pid))
        c.expect(PUBREC)
        c.send(mqttraw.pubrel(pid))
        check_eq((pid, 0), pubcomps(c, 1, False)[0], "PUBCOMP of a real exchange")
    m = b.expect(PUBLISH, timeout=3).publish()
    check_eq(("pu/x", ("q2-%d" % pid).encode()), (m["topic"], m["payload"]), "delivery")
    b.send(mqttraw.pubrec(m["pid"]))
    b.expect(PUBREL)
    b.send(mqttraw.pubcomp(m["pid"]))

def t():
    b = bystander([("pu/#", 2)])
    for v5 in (False, True):
        rc = RC_PACKET_ID_NOT_FOUND if v5 else 0
        c = client5("pu5")[0] if v5 else mqttraw.client("pu3")[0]
        rel = pubrel5 if v5 else mqttraw.pubrel
        c.send(rel(4242))
        check_eq([(4242, rc)], pubcomps(c, 1, v5), "PUBCOMP for an unknown id")
        c.send(rel(65535))
        check_eq([(65535, rc)], pubcomps(c, 1, v5), "PUBCOMP for id 65535")
        qos2_once(b, c, v5, 7)
        c.send(rel(7))  # completed already
        check_eq([(7, rc)], pubcomps(c, 1, v5), "PUBCOMP for a completed id")
        c.send(b"".join(rel(i) for i in range(1, 2001)))
        got = pubcomps(c, 2000, v5)
        check_eq([(i, rc) for i in range(1, 2001)], got, "2,000 PUBCOMPs in order")
        c.expect_nothing(0.3)
        qos2_once(b, c, v5, 8)
        b.expect_nothing(0.3)
        bystander_alive(b, "v5" if v5 else "v3")
PY
