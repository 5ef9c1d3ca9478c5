#!/usr/bin/env bash
# A PUBACK or PUBREC with a reason code of 0x80 or more from the client ends that delivery: the
# message counts as acknowledged and is never retransmitted [MQTT-4.4.0-2] (not even after a
# reconnect with the session), no PUBREL follows a failed PUBREC, and the send quota comes back
# (4.9: with Receive Maximum 1 the next message goes out at once).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    c = subscriber5("aed", [("aed/#", 2)], clean=False, props=SEI + [(RECEIVE_MAX, 1)])
    p, _ = client5("aed-pub")
    for i, q in enumerate((1, 2, 1), 1):
        publish5_ok(p, "aed/t", "m%d" % i, qos=q, pid=i)
    m = recv_publish(c, ack=False)
    check_eq((b"m1", 1), (m["payload"], m["qos"]), "first")
    c.send(puback5(m["pid"], RC_UNSPECIFIED))
    m = recv_publish(c, ack=False)
    check_eq((b"m2", 2), (m["payload"], m["qos"]), "second, right after the failed PUBACK")
    c.send(pubrec5(m["pid"], RC_IMPL_SPECIFIC))
    m = recv_publish(c, ack=False)  # no PUBREL in between
    check_eq((b"m3", 1), (m["payload"], m["qos"]), "third, right after the failed PUBREC")
    c.send(puback5(m["pid"], RC_NOT_AUTHORIZED))
    c.expect_nothing(0.5)
    c.close()
    c, _ = client5("aed", clean=False, props=SEI + [(RECEIVE_MAX, 1)], expect_present=True)
    c.expect_nothing(1.0)  # nothing retransmitted
PY
