#!/usr/bin/env bash
# A full send window delays only QoS 1/2 PUBLISH [MQTT-3.3.4-10], [MQTT-4.9.0-3]: with the client's
# Receive Maximum 1 used up by an unacknowledged message, the server still answers PINGREQ,
# SUBSCRIBE, UNSUBSCRIBE and the client's own QoS 1 PUBLISH at once.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("fo", [("fo/#", 1)], props=[(RECEIVE_MAX, 1)])
    p, _ = client5("fo-pub")
    publish5_ok(p, "fo/t", "a", qos=1, pid=1)
    publish5_ok(p, "fo/t", "b", qos=1, pid=2)
    m = recv_publish(c, ack=False)  # window full from here on
    c.send(pingreq()); c.expect(PINGRESP, 1.0)
    check_eq([1], subscribe5_ok(c, [("fo2/x", 1)], pid=10), "SUBACK")
    check_eq([0], unsubscribe5_ok(c, ["fo2/x"], pid=11), "UNSUBACK")
    c.send(publish5("elsewhere", "own", qos=1, pid=12))
    check_eq(12, ack_of(c.expect(PUBACK, 1.0))["pid"], "PUBACK for the client's own message")
    c.send(puback5(m["pid"]))
    check_eq(b"b", recv_publish(c)["payload"], "next message after the PUBACK")
PY
