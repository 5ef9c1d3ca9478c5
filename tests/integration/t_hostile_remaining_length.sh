#!/usr/bin/env bash
# broker: mqttgwd
# Hostile Remaining Length values (2.1.4 / 2.2.3, 1.5.5): the connection that sends one is
# closed within 3 s and a bystander subscribed before the attack keeps receiving.
#  - 5 length bytes (a value beyond the maximum 268,435,455, or a 4th byte that still has the
#    continuation bit): Malformed. 3.1.1: close without a packet [MQTT-4.8.0-1]; 5.0:
#    DISCONNECT 0x81 then close (4.13.1). The broker must not wait for more bytes: the 5th
#    length byte alone decides.
#  - before CONNECT: close without any packet [MQTT-3.1.0-1].
#  - 5.0 only, a non-minimal length (0x80 0x00 for 0): "The encoded value MUST use the minimum
#    number of bytes necessary" [MQTT-1.5.5-1], so a Malformed Packet -> DISCONNECT 0x81. 3.1.1
#    has no such rule (2.2.3 describes the encoding only), so no non-minimal case for it here.
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without the DISCONNECT (a SHOULD).
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'

from hostile import bystander, bystander_alive, closed_v3, disconnected_v5

FIVE = [("5 bytes, value beyond the maximum", b"\x30\xff\xff\xff\xff\x7f"),
        ("4th length byte with continuation", b"\x30\x80\x80\x80\x80"),
        ("5 bytes, all continuation", b"\x30\xff\xff\xff\xff\xff"),
        ("PINGREQ with 5 length bytes", b"\xc0\x80\x80\x80\x80\x00")]
NONMIN = [("PINGREQ length 0 in 2 bytes", b"\xc0\x80\x00"),
          ("PUBLISH length in 3 bytes", b"\x30\x87\x80\x00\x00\x03a/bxy"),
          ("DISCONNECT length 0 in 4 bytes", b"\xe0\x80\x80\x80\x00")]

def t():
    b = bystander()
    for i, (what, raw) in enumerate(FIVE):
        closed_v3(None, raw, "before CONNECT, %s" % what)
        closed_v3("rl3-%d" % i, raw, "3.1.1, %s" % what)
        disconnected_v5("rl5-%d" % i, raw, RC_MALFORMED, "5.0, %s" % what)
        bystander_alive(b, "five%d" % i)
    for i, (what, raw) in enumerate(NONMIN):
        disconnected_v5("nm5-%d" % i, raw, RC_MALFORMED, "5.0 non-minimal, %s [MQTT-1.5.5-1]" % what)
        bystander_alive(b, "nonmin%d" % i)
    b.expect_nothing(0.3)
PY
