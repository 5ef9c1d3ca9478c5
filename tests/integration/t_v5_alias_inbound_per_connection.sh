#!/usr/bin/env bash
# Topic Alias mappings do not carry over to another Network Connection [MQTT-3.3.2-7]: a client
# sets alias 1, reconnects (same client id, session kept) and uses alias 1 with an empty topic ->
# DISCONNECT 0x82; only the first message is delivered.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    s = subscriber5("apc-sub", [("apc/#", 0)])
    c, _ = client5("apc", clean=False, props=SEI)
    c.send(publish5("apc/t", "first", props=[(TOPIC_ALIAS, 1)]))
    check_eq(b"first", recv_publish(s)["payload"], "first message")
    c.send(disconnect5()); c.close()
    c, _ = client5("apc", clean=False, props=SEI, expect_present=True)
    c.send(publish5("", "stale-alias", props=[(TOPIC_ALIAS, 1)]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    s.expect_nothing(0.5)
PY
