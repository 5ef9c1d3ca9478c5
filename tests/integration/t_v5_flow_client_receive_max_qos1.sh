#!/usr/bin/env bash
# broker: mqttgwd
# The client's Receive Maximum is honoured for outbound QoS 1 [MQTT-3.3.4-9], [MQTT-4.9.0-2]: with
# Receive Maximum 2 and five messages waiting, two are sent; each PUBACK lets exactly one more out;
# all five arrive in order [MQTT-4.6.0-5]. Mosquitto 2.0.11 lets three out after the first PUBACK.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("fc1", [("fc1/#", 1)], props=[(RECEIVE_MAX, 2)])
    p, _ = client5("fc1-pub")
    for i in range(5):
        publish5_ok(p, "fc1/t", "m%d" % i, qos=1, pid=i + 1)
    got = collect_publishes(c, 1.0, ack=False)
    check_eq([b"m0", b"m1"], [m["payload"] for m in got], "in flight before any PUBACK")
    for k in range(3):
        c.send(puback5(got[k]["pid"]))
        more = collect_publishes(c, 0.7, ack=False)
        check_eq([b"m%d" % (k + 2)], [m["payload"] for m in more], "sent after PUBACK %d" % (k + 1))
        got += more
    for m in got[3:]:
        c.send(puback5(m["pid"]))
    c.expect_nothing(0.5)
PY
