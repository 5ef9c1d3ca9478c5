#!/usr/bin/env bash
# Malformed and invalid PUBLISH packets from a v5 client -> DISCONNECT and the close, nothing
# delivered: QoS 3 [MQTT-3.3.1-4] and a topic that is not UTF-8 [MQTT-1.5.4-1], [MQTT-3.3.2-1] or
# contains U+0000 [MQTT-1.5.4-2], [MQTT-4.7.3-2] are malformed (0x81); an empty topic without a
# Topic Alias (3.3.2.1) and packet id 0 at QoS 1 [MQTT-2.2.1-3] are protocol errors (0x82).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pm-sub", [("#", 0)])
    cases = (("QoS 3", RC_MALFORMED, packet(0x36, mstr("pm/t") + b"\x00\x01\x00x")),
             ("topic not UTF-8", RC_MALFORMED, packet(0x30, mstr(b"pm/\xff") + b"\x00x")),
             ("U+0000 in topic", RC_MALFORMED, packet(0x30, mstr(b"pm/\x00") + b"\x00x")),
             ("empty topic, no alias", RC_PROTOCOL_ERROR, publish5("", "x")),
             ("packet id 0", RC_PROTOCOL_ERROR, publish5("pm/t", "x", qos=1, pid=0)))
    for i, (what, rc, pkt) in enumerate(cases):
        disconnected_v5("pm-%d" % i, pkt, rc, what)
    s.expect_nothing(0.5)
PY
