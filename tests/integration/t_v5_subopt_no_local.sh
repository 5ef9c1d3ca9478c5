#!/usr/bin/env bash
# No Local [MQTT-3.8.3-3]: a client subscribed with No Local 1 does not get its own messages but
# gets other clients'; with No Local 0 it gets its own too. Real clients: paho MQTTv5.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a = Paho5("nl-a"); a.connect()
    check_eq([1], a.subscribe("nl/#", qos=1, nl=True), "SUBACK")
    b = Paho5("nl-b"); b.connect()
    check_eq([1], b.subscribe("nl/#", qos=1), "SUBACK")
    a.publish("nl/t", "from-a", qos=1)
    b.publish("nl/t", "from-b", qos=1)
    got_a = sorted(m["payload"] for m in a.collect(1.0))
    got_b = sorted(m["payload"] for m in b.collect(0.2))
    check_eq([b"from-b"], got_a, "No Local 1: only the other client's message")
    check_eq([b"from-a", b"from-b"], got_b, "No Local 0: both messages")
PY
