#!/usr/bin/env bash
# With anonymous access off, an anonymous v5 CONNECT gets a CONNACK with a refusal reason code
# (0x87 Not authorized, or 0x86 Bad User Name or Password) and Session Present 0, then the close
# [MQTT-3.1.4-2], [MQTT-3.2.2-6], [MQTT-3.2.2-7]; nothing after the CONNECT is processed
# [MQTT-3.1.4-6].
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker_auth "allow_anonymous false"
py <<'PY'
from mqtt5raw import *
def t():
    c = Conn()
    c.send(connect5("rna") + publish5("rna/t", "x") + pingreq())
    ack = expect_refused(c, [RC_NOT_AUTHORIZED, RC_BAD_USERNAME_OR_PASSWORD], silent_ok=False)
    check(not ack["sp"], "Session Present on a refusal")
main(t)
PY
