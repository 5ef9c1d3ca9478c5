#!/usr/bin/env bash
# Packet identifiers in the server's receiving role: after PUBACK the same id is a new message
# [MQTT-4.3.2-5]; a QoS 2 resend (DUP) before PUBREL is acknowledged again (PUBREC) but delivered
# once [MQTT-4.3.3-10]; after PUBCOMP the id is a new message [MQTT-4.3.3-12]; after a PUBREC with
# a reason code of 0x80 or more (0x99, invalid payload) the id is a new message too [MQTT-4.3.3-9].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("qpr-sub", [("qpr/#", 2)])
    p, _ = client5("qpr-pub")
    publish5_ok(p, "qpr/a", "q1-first", qos=1, pid=5)
    publish5_ok(p, "qpr/a", "q1-again", qos=1, pid=5)
    p.send(publish5("qpr/b", "q2-first", qos=2, pid=6))
    check_eq(6, ack_of(p.expect(PUBREC))["pid"], "PUBREC")
    p.send(publish5("qpr/b", "q2-first", qos=2, pid=6, dup=True))
    check_eq(6, ack_of(p.expect(PUBREC))["pid"], "PUBREC for the DUP resend")
    p.send(pubrel5(6))
    check_eq(6, ack_of(p.expect(PUBCOMP))["pid"], "PUBCOMP")
    publish5_ok(p, "qpr/b", "q2-again", qos=2, pid=6)
    got = [m["payload"] for m in collect_publishes(s, 1.0)]
    check_eq([b"q1-first", b"q1-again", b"q2-first", b"q2-again"], got, "deliveries")
PY
