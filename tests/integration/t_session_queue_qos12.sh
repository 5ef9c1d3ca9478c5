#!/usr/bin/env bash
# Messages for an offline persistent session (clean 0) are queued: QoS 1 and QoS 2 messages
# published while it is away are delivered on reconnect (session present 1), each once, in
# publish order per topic, at the subscription's QoS [MQTT-3.1.2-5].
. "$(dirname "$0")/lib.sh"
py_test mqttc <<'PY'
def t():
    s = Client("qq-sub", clean_session=False)
    s.connect()
    check_eq([1, 2], s.subscribe([("qq/one", 1), ("qq/two", 2)]), "SUBACK")
    s.disconnect()
    p = Client("qq-pub")
    p.connect()
    for i in range(5):
        p.publish("qq/one", "one-%d" % i, qos=1)
        p.publish("qq/two", "two-%d" % i, qos=2)
    s = Client("qq-sub", clean_session=False)
    check_eq(True, s.connect(), "session present")
    got = s.collect(2.0)
    one = [(m.payload, m.qos) for m in got if m.topic == "qq/one"]
    two = [(m.payload, m.qos) for m in got if m.topic == "qq/two"]
    check_eq([(("one-%d" % i).encode(), 1) for i in range(5)], one, "qq/one")
    check_eq([(("two-%d" % i).encode(), 2) for i in range(5)], two, "qq/two")
    check_eq(10, len(got), "total deliveries")
    s.disconnect()
    s = Client("qq-sub", clean_session=False)
    check_eq(True, s.connect(), "session present")
    s.expect_none(1.0)  # all acknowledged: nothing again
PY
