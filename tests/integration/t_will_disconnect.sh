#!/usr/bin/env bash
# A client that sends DISCONNECT has its will discarded [MQTT-3.1.2-10, MQTT-3.14.4-3]: nothing
# is published, neither at the DISCONNECT nor when the socket closes after it.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s = subscriber("wd-watch", [("wd/#", 1)])
    c, _ = client("wd", will=("wd/will", "should-not-appear", 1, False))
    c.send(disconnect())
    c.assert_closed(within=3)  # the server closes after DISCONNECT, sending nothing
    s.expect_nothing(1.5)
    # and the same client id connecting again has no stale will either
    c, _ = client("wd")
    c.abort()
    s.expect_nothing(1.5)
PY
