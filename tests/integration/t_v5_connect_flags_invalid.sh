#!/usr/bin/env bash
# CONNECT format rules [MQTT-3.1.4-1]: the reserved flag set [MQTT-3.1.2-3], Will QoS 3
# [MQTT-3.1.2-12], Will QoS or Will Retain set without the Will Flag [MQTT-3.1.2-11],
# [MQTT-3.1.2-13] -> refused (at most a CONNACK 0x81, 4.13), no further packet processed
# [MQTT-3.1.4-6]; a PUBLISH as first packet [MQTT-3.1.0-1] -> closed without CONNACK. A Password
# without a User Name is valid in 5.0 (3.1.2.9) -> CONNACK 0x00.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("reserved flag", connect5("cfi-0", flags=0x03)),
             ("Will QoS 3", connect5("cfi-1", will=("cfi/w", "x", 3, False))),
             ("Will QoS 1 without Will Flag", connect5("cfi-2", flags=0x02 | 0x08)),
             ("Will Retain without Will Flag", connect5("cfi-3", flags=0x02 | 0x20)))
    for what, pkt in cases:
        c = Conn()
        c.send(pkt + pingreq())
        try:
            expect_refused(c, [RC_MALFORMED])
        except TestFailure as e:
            raise TestFailure("%s: %s" % (what, e))
    c = Conn()
    c.send(publish5("cfi/t", "x") + connect5("cfi-late"))
    check_eq([], c.wait_closed(3)[1], "packets after a PUBLISH before CONNECT")
    c, _ = client5("cfi-pw", password=b"only-a-password")
    c.send(pingreq())
    c.expect(PINGRESP)
PY
