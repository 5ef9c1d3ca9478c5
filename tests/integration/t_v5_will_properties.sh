#!/usr/bin/env bash
# The will goes out with its Will Properties (3.1.3.2): Payload Format Indicator, Content Type,
# Response Topic, Correlation Data and User Properties unchanged and in order [MQTT-3.1.3-10], the
# Message Expiry Interval as the remaining time; QoS and RETAIN as set [MQTT-3.1.2-14]. Real
# clients: paho MQTTv5 on both sides.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    w = Paho5("wp-watch"); w.connect()
    w.subscribe("wp/will", qos=2)
    props = {"PayloadFormatIndicator": 1, "ContentType": "application/json",
             "ResponseTopic": "wp/reply", "CorrelationData": b"\x00\x07\xff",
             "MessageExpiryInterval": 120,
             "UserProperty": [("z", "1"), ("a", "2"), ("z", "3")]}
    c = Paho5("wp", will=("wp/will", '{"gone":true}', 2, False, props))
    c.connect()
    c.drop()
    m = w.get(3)
    check_eq(("wp/will", b'{"gone":true}', 2, False), (m["topic"], m["payload"], m["qos"], m["retain"]), "will")
    got = m["props"]
    for k in ("PayloadFormatIndicator", "ContentType", "ResponseTopic", "CorrelationData", "UserProperty"):
        check_eq(props[k], got.get(k), k)
    check(115 <= got.get("MessageExpiryInterval", -1) <= 120, "Message Expiry %r" % got.get("MessageExpiryInterval"))
PY
