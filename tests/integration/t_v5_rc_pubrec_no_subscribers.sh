#!/usr/bin/env bash
# broker: mqttgwd
# PUBREC carries a reason code (3.5.2.1): 0x10 (No matching subscribers) for a QoS 2 message
# nobody subscribed to, 0x00 with a subscriber; the flow completes (PUBCOMP 0x00) both times.
# 0x10 is a MAY: Mosquitto 2.0.11 answers 0x00 in both cases, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("rr-pub")
    check_eq(hexs(RC_NO_MATCHING_SUBSCRIBERS), hexs(publish5_ok(p, "rr/t", "nobody", qos=2, pid=1)),
             "PUBREC reason code without subscribers")
    s = subscriber5("rr-sub", [("rr/#", 2)])
    check_eq(hexs(RC_SUCCESS), hexs(publish5_ok(p, "rr/t", "someone", qos=2, pid=2)),
             "PUBREC reason code with a subscriber")
    m = recv_publish(s)
    check_eq((b"someone", 2), (m["payload"], m["qos"]), "delivered")
PY
