#!/usr/bin/env bash
# broker: mqttgwd
# Reason code 0x92 (Packet Identifier not found) on the QoS 2 acknowledgements (3.6.2.1, 3.7.2.1):
# a PUBREL for an id the server holds no message for gets PUBCOMP 0x92, a PUBREC for an id the
# server never sent gets PUBREL 0x92; the connection stays up. Mosquitto 2.0.11 answers 0x00.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c, _ = client5("rn")
    c.send(pubrel5(77))
    a = ack_of(c.expect(PUBCOMP))
    check_eq((77, hexs(RC_PACKET_ID_NOT_FOUND)), (a["pid"], hexs(a["rc"])), "PUBCOMP for an unknown PUBREL")
    c.send(pubrec5(78))
    a = ack_of(c.expect(PUBREL))
    check_eq((78, hexs(RC_PACKET_ID_NOT_FOUND)), (a["pid"], hexs(a["rc"])), "PUBREL for an unknown PUBREC")
    # a real QoS 2 flow on the same connection still completes with 0x00
    check(publish5_ok(c, "rn/t", "x", qos=2, pid=77) in (0x00, 0x10), "PUBREC")
    c.send(pingreq())
    c.expect(PINGRESP)
PY
