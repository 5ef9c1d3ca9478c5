#!/usr/bin/env bash
# broker: mqttgwd
# Session take-over: a second connection with the same client id makes the server send the first
# one DISCONNECT 0x8E (Session taken over) and close it [MQTT-3.1.4-3]; the new connection resumes
# the session (Clean Start 0: Session Present 1) and the first one's will is published (its
# connection ended without DISCONNECT, Will Delay 0). Mosquitto 2.0.11 closes the old connection
# without the DISCONNECT, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    w = subscriber5("dto-watch", [("dto/will", 1)])
    old = subscriber5("dto", [("dto/t", 1)], clean=False, props=SEI,
                      will=("dto/will", "old-gone", 1, False))
    new, _ = client5("dto", clean=False, props=SEI, expect_present=True)
    expect_disconnect(old, RC_SESSION_TAKEN_OVER)
    check_eq(b"old-gone", recv_publish(w)["payload"], "will of the taken-over connection")
    p, _ = client5("dto-pub")
    publish5_ok(p, "dto/t", "to-new", qos=1)
    check_eq(b"to-new", recv_publish(new)["payload"], "the session's subscription serves the new connection")
PY
