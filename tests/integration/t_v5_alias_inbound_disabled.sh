#!/usr/bin/env bash
# With max_topic_alias 0 the server accepts no alias: CONNACK has no Topic Alias Maximum (or 0),
# and a PUBLISH with Topic Alias 1 gets DISCONNECT 0x94 [MQTT-3.2.2-17], [MQTT-3.2.2-18].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_topic_alias 0" <<'PY'
def t():
    c, ack = client5("ad")
    check_eq(0, ack["props"].get(TOPIC_ALIAS_MAX, 0), "Topic Alias Maximum")
    c.send(publish5("ad/t", "x", props=[(TOPIC_ALIAS, 1)]))
    expect_disconnect(c, RC_TOPIC_ALIAS_INVALID)
PY
