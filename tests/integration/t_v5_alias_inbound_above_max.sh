#!/usr/bin/env bash
# A Topic Alias above the Topic Alias Maximum the server sent in CONNACK [MQTT-3.3.2-9] gets
# DISCONNECT 0x94 (Topic Alias invalid) and the close; nothing is delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("am-sub", [("am/#", 0)])
    c, ack = client5("am")
    top = ack["props"].get(TOPIC_ALIAS_MAX, 0)
    c.send(publish5("am/t", "too-high", props=[(TOPIC_ALIAS, top + 1)]))
    expect_disconnect(c, RC_TOPIC_ALIAS_INVALID)
    s.expect_nothing(0.5)
PY
