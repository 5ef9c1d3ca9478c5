#!/usr/bin/env bash
# Reserved fixed-header flags must have their listed values [MQTT-2.1.3-1]: a SUBSCRIBE
# [MQTT-3.8.1-1] or UNSUBSCRIBE [MQTT-3.10.1-1] with flags 0000 instead of 0010 is malformed ->
# DISCONNECT 0x81 and the close.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("SUBSCRIBE", packet(0x80, b"\x00\x01\x00" + mstr("prf/t") + b"\x00")),
             ("UNSUBSCRIBE", packet(0xA0, b"\x00\x01\x00" + mstr("prf/t"))))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("prf-%d" % i, pkt, RC_MALFORMED, what)
    assert_broker_serves5()
PY
