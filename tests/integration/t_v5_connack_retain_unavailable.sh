#!/usr/bin/env bash
# With retain_available false the CONNACK says Retain Available 0 (3.2.2.3.5) and a PUBLISH with
# RETAIN 1 gets DISCONNECT 0x9A (Retain not supported) and the close (3.3.1.3); nothing delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "retain_available false" <<'PY'
def t():
    s = subscriber5("cru-sub", [("cru/#", 0)])
    c, ack = client5("cru")
    check_eq(0, ack["props"].get(RETAIN_AVAILABLE), "CONNACK Retain Available")
    c.send(publish5("cru/t", "retain-me", retain=True))
    expect_disconnect(c, RC_RETAIN_NOT_SUPPORTED)
    s.expect_nothing(0.5)
PY
