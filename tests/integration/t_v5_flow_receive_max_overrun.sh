#!/usr/bin/env bash
# broker: mqttgwd
# Our Receive Maximum is advertised and enforced: with max_receive 5 the CONNACK says 5; five QoS 2
# messages without PUBREL are accepted (PUBREC each), the sixth exceeds it [MQTT-3.3.4-7] ->
# DISCONNECT 0x93 (Receive Maximum exceeded) and the close (3.3.4); the sixth is not delivered.
# Mosquitto 2.0.11 answers the overrun with PUBREC 0x97 and has no max_receive key.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_receive 5" <<'PY'
def t():
    s = subscriber5("fro-sub", [("fro/#", 2)])
    c, ack = client5("fro")
    check_eq(5, ack["props"].get(RECEIVE_MAX), "CONNACK Receive Maximum")
    for i in range(1, 6):
        c.send(publish5("fro/t", "m%d" % i, qos=2, pid=i))
        a = ack_of(c.expect(PUBREC))
        check(a["pid"] == i and a["rc"] < 0x80, "PUBREC %d: %r" % (i, a))
    c.send(publish5("fro/t", "m6", qos=2, pid=6))
    expect_disconnect(c, RC_RECEIVE_MAX_EXCEEDED)
    got = collect_publishes(s, 1.0)
    check_eq([b"m%d" % i for i in range(1, 6)], [m["payload"] for m in got], "delivered")
PY
