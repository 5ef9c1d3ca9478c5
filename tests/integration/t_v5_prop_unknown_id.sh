#!/usr/bin/env bash
# A property identifier the spec does not define (0x00, 0x04, 0x7F, a two-byte 0x80 0x01) makes
# the packet malformed (2.2.2.2): DISCONNECT 0x81 and the close [MQTT-4.13.1-1], in PUBLISH and in
# SUBSCRIBE. Nothing of the packet is processed: the PUBLISH is not delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pu-sub", [("pu/#", 0)])
    for i, raw in enumerate((b"\x00\x00", b"\x04\x00", b"\x7f\x00", b"\x80\x01\x00")):
        c, _ = client5("pu-%d" % i)
        c.send(publish5("pu/t", "bad", props=raw))
        expect_disconnect(c, RC_MALFORMED)
        c, _ = client5("pu-s%d" % i)
        c.send(subscribe5(1, [("pu/x", 0)], props=raw))
        expect_disconnect(c, RC_MALFORMED)
    s.expect_nothing(0.5)
    assert_broker_serves5()
PY
