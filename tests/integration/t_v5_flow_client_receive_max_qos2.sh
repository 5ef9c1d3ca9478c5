#!/usr/bin/env bash
# broker: mqttgwd
# For outbound QoS 2 the slot is freed by PUBCOMP, not PUBREC [MQTT-3.3.4-9], [MQTT-4.9.0-2]: with
# Receive Maximum 1, the second message waits while the first is at PUBREC/PUBREL and goes out right
# after the PUBCOMP. Mosquitto 2.0.11 does not hold to the client's Receive Maximum
# (t_v5_flow_client_receive_max_qos1), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("fc2", [("fc2/#", 2)], props=[(RECEIVE_MAX, 1)])
    p, _ = client5("fc2-pub")
    publish5_ok(p, "fc2/t", "first", qos=2, pid=1)
    publish5_ok(p, "fc2/t", "second", qos=2, pid=2)
    m = recv_publish(c, ack=False)
    check_eq(b"first", m["payload"], "first")
    c.send(pubrec5(m["pid"]))
    check_eq(m["pid"], ack_of(c.expect(PUBREL))["pid"], "PUBREL")
    c.expect_nothing(1.0)  # PUBREC does not free the slot
    c.send(pubcomp5(m["pid"]))
    m = recv_publish(c)
    check_eq(b"second", m["payload"], "second, after PUBCOMP")
PY
