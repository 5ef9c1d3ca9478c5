#!/usr/bin/env bash
# By default QoS 0 messages are not queued for an offline persistent session (Mosquitto's
# queue_qos0_messages false): on reconnect only the QoS 1 message published after them arrives.
. "$(dirname "$0")/lib.sh"
py_test mqttc <<'PY'
def t():
    s = Client("q0n-sub", clean_session=False)
    s.connect()
    s.subscribe([("q0n/t", 1)])
    s.disconnect()
    p = Client("q0n-pub")
    p.connect()
    p.publish("q0n/t", "qos0-a", qos=0)
    p.publish("q0n/t", "qos0-b", qos=0)
    p.publish("q0n/t", "qos1", qos=1)
    s = Client("q0n-sub", clean_session=False)
    check_eq(True, s.connect(), "session present")
    got = [(m.payload, m.qos) for m in s.collect(1.5)]
    check_eq([(b"qos1", 1)], got, "delivered on reconnect")
PY
