#!/usr/bin/env bash
# A PUBLISH with an empty topic and an alias that has no mapping is a Protocol Error (3.3.2.3.4):
# DISCONNECT 0x82 and the close, nothing delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("au-sub", [("#", 0)])
    c, _ = client5("au")
    c.send(publish5("", "no-mapping", props=[(TOPIC_ALIAS, 2)]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    s.expect_nothing(0.5)
PY
