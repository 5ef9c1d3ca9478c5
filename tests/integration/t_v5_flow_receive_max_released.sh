#!/usr/bin/env bash
# broker: mqttgwd
# The inbound window moves with the QoS 2 flow: with max_receive 3, three QoS 2 messages without
# PUBREL fill it; PUBREL (answered by PUBCOMP) for one frees a slot, so a fourth is accepted
# without DISCONNECT, and another one after PUBREL for all of them too.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_receive 3" <<'PY'
def t():
    c, ack = client5("frr")
    check_eq(3, ack["props"].get(RECEIVE_MAX), "CONNACK Receive Maximum")
    for i in (1, 2, 3):
        c.send(publish5("frr/t", "m", qos=2, pid=i))
        check_eq(i, ack_of(c.expect(PUBREC))["pid"], "PUBREC")
    c.send(pubrel5(1))
    a = ack_of(c.expect(PUBCOMP))
    check_eq((1, 0), (a["pid"], a["rc"]), "PUBCOMP")
    c.send(publish5("frr/t", "m", qos=2, pid=4))
    check_eq(4, ack_of(c.expect(PUBREC))["pid"], "PUBREC after a slot was freed")
    for i in (2, 3, 4):
        c.send(pubrel5(i))
        check_eq(i, ack_of(c.expect(PUBCOMP))["pid"], "PUBCOMP")
    for i in (5, 6, 7):
        c.send(publish5("frr/t", "m", qos=2, pid=i))
        check_eq(i, ack_of(c.expect(PUBREC))["pid"], "PUBREC with the window empty again")
    c.send(pingreq())
    c.expect(PINGRESP)
PY
