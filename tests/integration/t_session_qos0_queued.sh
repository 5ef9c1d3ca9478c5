#!/usr/bin/env bash
# With `queue_qos0_messages true` QoS 0 messages are queued for an offline persistent session
# too, and delivered on reconnect in publish order together with the QoS 1 ones.
. "$(dirname "$0")/lib.sh"
py_test mqttc "queue_qos0_messages true" <<'PY'
def t():
    s = Client("q0q-sub", clean_session=False)
    s.connect()
    s.subscribe([("q0q/t", 1)])
    s.disconnect()
    p = Client("q0q-pub")
    p.connect()
    p.publish("q0q/t", "qos0-a", qos=0)
    p.publish("q0q/t", "qos1", qos=1)
    p.publish("q0q/t", "qos0-b", qos=0)
    p.publish("q0q/t", "sync", qos=1)  # the QoS 0 ones are in the broker before we reconnect
    s = Client("q0q-sub", clean_session=False)
    check_eq(True, s.connect(), "session present")
    got = [(m.payload, m.qos) for m in s.collect(1.5)]
    check_eq([(b"qos0-a", 0), (b"qos1", 1), (b"qos0-b", 0), (b"sync", 1)], got, "delivered on reconnect")
PY
