#!/usr/bin/env bash
# broker: mqttgwd
# The property table (2.2.2.2) also binds acknowledgements and DISCONNECT: a Subscription
# Identifier in PUBACK, PUBREC, PUBREL or PUBCOMP, or a Topic Alias in DISCONNECT, is a Malformed
# Packet -> DISCONNECT 0x81 and the close. Mosquitto 2.0.11 closes without the DISCONNECT (a SHOULD,
# 4.13.1), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("PUBACK", puback5(1, 0, [(SUBSCRIPTION_ID, 1)])),
             ("PUBREC", pubrec5(1, 0, [(SUBSCRIPTION_ID, 1)])),
             ("PUBREL", pubrel5(1, 0, [(SUBSCRIPTION_ID, 1)])),
             ("PUBCOMP", pubcomp5(1, 0, [(SUBSCRIPTION_ID, 1)])),
             ("DISCONNECT", disconnect5(0, [(TOPIC_ALIAS, 1)])))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("pk-%d" % i, pkt, RC_MALFORMED, what)
    assert_broker_serves5()
PY
