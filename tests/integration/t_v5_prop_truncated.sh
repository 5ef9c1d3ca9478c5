#!/usr/bin/env bash
# Wrong lengths in a property block make the packet malformed -> DISCONNECT 0x81 and the close:
# a Four Byte Integer cut to two bytes, a Property Length beyond the packet, a string whose length
# runs past the block, a User Property without its value, a Property Length of five bytes
# (1.5.5: four at most). The message is not delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pt-sub", [("pt/#", 0)])
    cases = (("u32 cut", publish5("pt/t", "x", props=bytes([MESSAGE_EXPIRY, 0, 0]))),
             ("length beyond packet", packet(0x30, mstr("pt/t") + bytes([50, 1, 1]))),
             ("string past block", publish5("pt/t", "x", props=bytes([CONTENT_TYPE, 0, 10, 65, 66]))),
             ("pair without value", publish5("pt/t", "x", props=bytes([USER_PROPERTY, 0, 1, 65]))),
             ("5-byte length", packet(0x30, mstr("pt/t") + b"\x80\x80\x80\x80\x01x")))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("pt-%d" % i, pkt, RC_MALFORMED, what)
    s.expect_nothing(0.5)
    assert_broker_serves5()
PY
