#!/usr/bin/env bash
# A CONNECT with an Authentication Method the server does not support is refused with CONNACK 0x8C
# (Bad authentication method) and the close [MQTT-4.12.0-1]; the server sends no AUTH; a PINGREQ
# right behind the CONNECT is not answered [MQTT-3.1.4-6].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = Conn()
    c.send(connect5("aum", props=[(AUTH_METHOD, "X-NO-SUCH-METHOD"), (AUTH_DATA, b"\x01\x02")]) + pingreq())
    ack = expect_refused(c, [RC_BAD_AUTH_METHOD], silent_ok=False)
    check(not ack["sp"], "Session Present on a refusal")
    assert_broker_serves5()
PY
