#!/usr/bin/env bash
# Our Maximum Packet Size is advertised: with max_packet_size 200 the CONNACK carries Maximum
# Packet Size 200 (3.2.2.3.6), and a PUBLISH of exactly 200 bytes (whole packet) is accepted and
# delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_packet_size 200" <<'PY'
def t():
    s = subscriber5("mpa-sub", [("mpa/#", 0)])
    c, ack = client5("mpa")
    check_eq(200, ack["props"].get(MAX_PACKET_SIZE), "CONNACK Maximum Packet Size")
    pkt, n = publish5_sized("mpa/t", 200, qos=1, pid=1)
    c.send(pkt)
    check_eq(1, ack_of(c.expect(PUBACK))["pid"], "PUBACK")
    m = recv_publish(s)
    check_eq(("mpa/t", n), (m["topic"], len(m["payload"])), "delivered")
PY
