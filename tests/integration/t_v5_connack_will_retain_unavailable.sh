#!/usr/bin/env bash
# With retain_available false a CONNECT whose will has Will Retain 1 is refused with CONNACK 0x9A
# (Retain not supported), Session Present 0, then the close [MQTT-3.2.2-13]; no will is published.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "retain_available false" <<'PY'
def t():
    w = subscriber5("cwr-watch", [("cwr/#", 0)])
    c = Conn()
    c.send(connect5("cwr", will=("cwr/will", "x", 0, True)))
    ack = expect_refused(c, [RC_RETAIN_NOT_SUPPORTED], silent_ok=False)
    check(not ack["sp"], "Session Present on a refusal")
    w.expect_nothing(0.5)
PY
