#!/usr/bin/env bash
# After UNSUBSCRIBE the server still completes the QoS 1/2 deliveries it had started
# [MQTT-3.10.4-3]: a QoS 2 message at PUBREC stage gets its PUBREL after the UNSUBACK, and a QoS 1
# message awaiting PUBACK is not resent; no new messages arrive [MQTT-3.10.4-2].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("uif", [("uif/#", 2)])
    p, _ = client5("uif-pub")
    publish5_ok(p, "uif/t", "q2", qos=2, pid=1)
    m = recv_publish(c, ack=False)
    check_eq(0, unsubscribe5_ok(c, ["uif/#"])[0], "UNSUBACK")
    c.send(pubrec5(m["pid"]))
    rel = ack_of(c.expect(PUBREL))
    check_eq(m["pid"], rel["pid"], "PUBREL after the UNSUBSCRIBE")
    c.send(pubcomp5(m["pid"]))
    publish5_ok(p, "uif/t", "after", qos=1, pid=2)
    c.expect_nothing(1.0)
PY
