#!/usr/bin/env bash
# The first packet on a connection must be CONNECT [MQTT-3.1.0-1]: anything else (every other
# type, the reserved types 0 and 15, a CONNECT with fixed-header flags [MQTT-2.2.2-2], garbage
# such as an HTTP request or a TLS ClientHello) makes the server close the connection without
# sending a byte, within 3 s. The first byte decides: the server must not wait for the rest of
# a frame that can never be a CONNECT (an HTTP request line declares a Remaining Length of 69
# and never sends it). A bystander subscribed before keeps receiving, and the broker accepts a
# real CONNECT afterwards.
# timeout: 90
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'

from hostile import bystander, bystander_alive, closed_v3

CASES = [
    ("type 0", b"\x00\x00"),
    ("CONNACK", b"\x20\x02\x00\x00"),
    ("PUBLISH", publish("bc/t", "x")),
    ("PUBLISH QoS 1", publish("bc/t", "x", qos=1, pid=1)),
    ("PUBACK", puback(1)), ("PUBREC", pubrec(1)), ("PUBREL", pubrel(1)), ("PUBCOMP", pubcomp(1)),
    ("SUBSCRIBE", subscribe(1, [("#", 0)])), ("SUBACK", b"\x90\x03\x00\x01\x00"),
    ("UNSUBSCRIBE", unsubscribe(1, ["#"])), ("UNSUBACK", b"\xb0\x02\x00\x01"),
    ("PINGREQ", pingreq()), ("PINGRESP", b"\xd0\x00"), ("DISCONNECT", disconnect()),
    ("AUTH", b"\xf0\x00"),
    ("CONNECT with fixed-header flags 0x1", b"\x11" + connect("bc-flags")[1:]),
    ("CONNECT with fixed-header flags 0xf", b"\x1f" + connect("bc-flags")[1:]),
    # incomplete frames whose first byte is not CONNECT: nothing more will come
    ("PUBLISH header declaring 1000 bytes, no body", b"\x30\xe8\x07"),
    ("SUBSCRIBE, first byte only", b"\x82"),
    ("HTTP request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("TLS ClientHello", bytes.fromhex("16030100a5010000a10303") + bytes(32)),
    ("SSH banner", b"SSH-2.0-OpenSSH_9.2\r\n"),
]

def t():
    b = bystander()
    for i, (what, raw) in enumerate(CASES):
        closed_v3(None, raw, "%s first" % what)
        bystander_alive(b, "bc%d" % i)
    assert_broker_serves()
PY
