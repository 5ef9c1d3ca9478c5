#!/usr/bin/env bash
# CleanSession and the session present flag (paho): clean 1 -> session present 0
# [MQTT-3.2.2-1]; first clean 0 -> 0; reconnect with clean 0 -> 1 [MQTT-3.2.2-2] and the
# subscriptions are still there without re-subscribing [MQTT-3.1.2-4]; a clean 1 connection
# discards the session [MQTT-3.1.2-6]: the next clean 0 connect has session present 0 and no
# subscriptions.
. "$(dirname "$0")/lib.sh"
py_test mqttc <<'PY'
def t():
    c = Client("sp-c1", clean_session=True)
    check_eq(False, c.connect(), "clean 1: session present")
    c.disconnect()
    c = Client("sp-p", clean_session=False)
    check_eq(False, c.connect(), "first clean 0: session present")
    check_eq([1], c.subscribe([("sp/t", 1)]), "SUBACK")
    c.disconnect()
    c = Client("sp-p", clean_session=False)
    check_eq(True, c.connect(), "second clean 0: session present")
    p = Client("sp-pub")
    p.connect()
    p.publish("sp/t", "kept", qos=1)
    m = c.get(3)
    check_eq(("sp/t", b"kept", 1), (m.topic, m.payload, m.qos), "subscription kept")
    c.disconnect()
    c = Client("sp-p", clean_session=True)
    check_eq(False, c.connect(), "clean 1 over an existing session: session present")
    c.disconnect()
    c = Client("sp-p", clean_session=False)
    check_eq(False, c.connect(), "clean 0 after the clean 1: session present")
    p.publish("sp/t", "gone", qos=1)
    c.expect_none(1.0)
    c.disconnect()
PY
