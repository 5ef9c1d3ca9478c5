#!/usr/bin/env bash
# broker: mqttgwd
# A QoS 1 message too large for the client is discarded as if its delivery had completed
# [MQTT-3.1.2-25]: with Maximum Packet Size 100 and Receive Maximum 1, the dropped message does not
# hold the window, so the next small message arrives at once. Mosquitto 2.0.11 keeps the window
# slot of the dropped message (the small one never comes), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("mpw", [("mpw/#", 1)], props=[(MAX_PACKET_SIZE, 100), (RECEIVE_MAX, 1)])
    p, _ = client5("mpw-pub")
    publish5_ok(p, "mpw/big", b"B" * 200, qos=1, pid=1)
    publish5_ok(p, "mpw/small", b"s", qos=1, pid=2)
    m = recv_publish(c, 2.0)
    check_eq("mpw/small", m["topic"], "next message after the dropped one")
    c.expect_nothing(0.5)
PY
