#!/usr/bin/env bash
# Topic Filters must be UTF-8 Encoded Strings [MQTT-3.8.3-1], [MQTT-3.10.3-1]: a SUBSCRIBE or
# UNSUBSCRIBE whose filter is not well-formed UTF-8 or contains U+0000 [MQTT-1.5.4-1],
# [MQTT-1.5.4-2], [MQTT-4.7.3-2] is malformed -> DISCONNECT 0x81 and the close, no SUBACK/UNSUBACK.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("SUBSCRIBE, 0xFF", packet(0x82, b"\x00\x01\x00" + mstr(b"sm/\xff") + b"\x00")),
             ("SUBSCRIBE, U+0000", packet(0x82, b"\x00\x01\x00" + mstr(b"sm/\x00") + b"\x00")),
             ("UNSUBSCRIBE, 0xFF", packet(0xA2, b"\x00\x01\x00" + mstr(b"sm/\xff"))),
             ("UNSUBSCRIBE, surrogate", packet(0xA2, b"\x00\x01\x00" + mstr(b"sm/\xed\xa0\x80"))))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("sm-%d" % i, pkt, RC_MALFORMED, what)
    assert_broker_serves5()
PY
