#!/usr/bin/env bash
# broker: mqttgwd
# A PUBLISH topic with a wildcard [MQTT-3.3.2-2], [MQTT-4.7.0-1] gets DISCONNECT 0x90 (Topic Name
# invalid); a QoS 0 PUBLISH with DUP 1 [MQTT-3.3.1-2] is malformed (0x81). Nothing delivered.
# Mosquitto 2.0.11 answers the wildcard with 0x82 and ignores DUP on QoS 0, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("pit-sub", [("#", 0)])
    cases = (("+ in topic", RC_TOPIC_NAME_INVALID, publish5("pit/+", "x")),
             ("# in topic", RC_TOPIC_NAME_INVALID, publish5("pit/#", "x", qos=1, pid=1)),
             ("DUP on QoS 0", RC_MALFORMED, publish5("pit/t", "x", dup=True)))
    for i, (what, rc, pkt) in enumerate(cases):
        disconnected_v5("pit-%d" % i, pkt, rc, what)
    s.expect_nothing(0.5)
PY
