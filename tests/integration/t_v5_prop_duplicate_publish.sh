#!/usr/bin/env bash
# broker: mqttgwd
# Only User Property (and, server to client, Subscription Identifier) may repeat in a PUBLISH: a
# second Payload Format Indicator, Message Expiry Interval, Content Type, Response Topic,
# Correlation Data or Topic Alias is a Protocol Error (3.3.2.3.x) -> DISCONNECT 0x82, nothing
# delivered. Repeated User Properties are fine. Mosquitto 2.0.11 closes without the DISCONNECT
# (a SHOULD, 4.13.1), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pd-sub", [("pd/#", 0)])
    cases = ((PAYLOAD_FORMAT, 0), (MESSAGE_EXPIRY, 30), (CONTENT_TYPE, "a"),
             (RESPONSE_TOPIC, "pd/r"), (CORRELATION_DATA, b"c"), (TOPIC_ALIAS, 1))
    for i, pv in enumerate(cases):
        c, _ = client5("pd-%d" % i)
        c.send(publish5("pd/t", "dup", props=[pv, pv]))
        try:
            expect_disconnect(c, RC_PROTOCOL_ERROR)
        except TestFailure as e:
            raise TestFailure("property 0x%02x twice: %s" % (pv[0], e))
    s.expect_nothing(0.5)
    c, _ = client5("pd-ok")
    c.send(publish5("pd/t", "ok", props=[(USER_PROPERTY, ("k", "1")), (USER_PROPERTY, ("k", "1"))]))
    m = recv_publish(s)
    check_eq((b"ok", [("k", "1"), ("k", "1")]), (m["payload"], m["props"].all(USER_PROPERTY)),
             "repeated User Property")
PY
