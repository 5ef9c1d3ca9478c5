#!/usr/bin/env bash
# Bits 6 and 7 of the Subscription Options are reserved: a SUBSCRIBE with either set is malformed
# [MQTT-3.8.3-5] -> DISCONNECT 0x81 and the close, no SUBACK.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    for i, bit in enumerate((0x40, 0x80)):
        c, _ = client5("srb-%d" % i)
        c.send(subscribe5(1, [("srb/t", 1 | bit)]))
        expect_disconnect(c, RC_MALFORMED)
    assert_broker_serves5()
PY
