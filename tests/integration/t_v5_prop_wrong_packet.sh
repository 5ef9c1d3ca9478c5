#!/usr/bin/env bash
# An identifier that is defined but not valid for the packet type is a Malformed Packet (2.2.2.2):
# Session Expiry Interval, Server Keep Alive or Will Delay Interval in PUBLISH, Topic Alias in
# SUBSCRIBE, Subscription Identifier in UNSUBSCRIBE -> DISCONNECT 0x81 and the close.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pw-sub", [("pw/#", 0)])
    cases = (("SESSION_EXPIRY in PUBLISH", publish5("pw/t", "x", props=[(SESSION_EXPIRY, 5)])),
             ("SERVER_KEEPALIVE in PUBLISH", publish5("pw/t", "x", props=[(SERVER_KEEPALIVE, 5)])),
             ("WILL_DELAY in PUBLISH", publish5("pw/t", "x", props=[(WILL_DELAY, 5)])),
             ("TOPIC_ALIAS in SUBSCRIBE", subscribe5(1, [("pw/y", 0)], props=[(TOPIC_ALIAS, 1)])),
             ("SUBSCRIPTION_ID in UNSUBSCRIBE", unsubscribe5(1, ["pw/#"], props=[(SUBSCRIPTION_ID, 1)])))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("pw-%d" % i, pkt, RC_MALFORMED, what)
    s.expect_nothing(0.5)
    assert_broker_serves5()
PY
