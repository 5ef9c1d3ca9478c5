#!/usr/bin/env bash
# broker: mqttgwd
# Forbidden repeats outside PUBLISH are Protocol Errors too -> DISCONNECT 0x82: two Subscription
# Identifiers in SUBSCRIBE (3.8.2.1.2), two Session Expiry Intervals in DISCONNECT (3.14.2.2.2),
# two Reason Strings in PUBACK (3.4.2.2.2). Mosquitto 2.0.11 closes without the DISCONNECT (a
# SHOULD, 4.13.1), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("SUBSCRIBE", subscribe5(1, [("pdo/t", 0)], props=[(SUBSCRIPTION_ID, 1), (SUBSCRIPTION_ID, 2)])),
             ("DISCONNECT", disconnect5(0, [(SESSION_EXPIRY, 5), (SESSION_EXPIRY, 5)])),
             ("PUBACK", puback5(1, 0, [(REASON_STRING, "a"), (REASON_STRING, "b")])))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("pdo-%d" % i, pkt, RC_PROTOCOL_ERROR, what, props=[(SESSION_EXPIRY, 10)])
    assert_broker_serves5()
PY
