#!/usr/bin/env bash
# Content Type [MQTT-3.3.2-20], Response Topic [MQTT-3.3.2-15] and Correlation Data
# [MQTT-3.3.2-16] are forwarded unaltered: binary Correlation Data with NUL and 0xFF bytes, 300
# bytes long, and an empty one. Publisher: paho MQTTv5; subscriber: raw packets.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("fcr-sub", [("fcr/#", 1)])
    p = Paho5("fcr-pub"); p.connect()
    cd = bytes(range(256)) + b"\x00\xff" * 22
    p.publish("fcr/a", "req", qos=1, props={"ContentType": "application/cbor; v=2",
                                              "ResponseTopic": "fcr/reply/é", "CorrelationData": cd})
    p.publish("fcr/b", "req", qos=1, props={"ContentType": "", "CorrelationData": b""})
    a, b = collect_publishes(s, 1.0)
    check_eq(("application/cbor; v=2", "fcr/reply/é", cd),
             (a["props"].get(CONTENT_TYPE), a["props"].get(RESPONSE_TOPIC), a["props"].get(CORRELATION_DATA)),
             "first message")
    check_eq(("", b"", False), (b["props"].get(CONTENT_TYPE), b["props"].get(CORRELATION_DATA),
                                b["props"].has(RESPONSE_TOPIC)), "empty Content Type and Correlation Data")
PY
