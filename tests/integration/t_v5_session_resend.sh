#!/usr/bin/env bash
# On reconnect with Clean Start 0 the server resends unacknowledged QoS 1/2 PUBLISH with DUP 1 and
# the original packet ids, and unacknowledged PUBREL [MQTT-4.4.0-1], [MQTT-3.3.1-1], but not a
# PUBLISH whose PUBREL was sent [MQTT-4.3.3-6]; the first sending had DUP 0 [MQTT-4.3.2-2],
# [MQTT-4.3.3-2] and unused packet ids [MQTT-4.3.2-1], [MQTT-4.3.3-1]; nothing is resent on a live
# connection.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    c = subscriber5("sr", [("sr/#", 2)], clean=False, props=SEI)
    p, _ = client5("sr-pub")
    publish5_ok(p, "sr/one", "q1", qos=1, pid=1)
    publish5_ok(p, "sr/two", "q2", qos=2, pid=2)
    publish5_ok(p, "sr/rel", "q2-rel", qos=2, pid=3)
    m1 = recv_publish(c, ack=False)
    m2 = recv_publish(c, ack=False)
    m3 = recv_publish(c, ack=False)
    check_eq([(1, False), (2, False), (2, False)], [(m["qos"], m["dup"]) for m in (m1, m2, m3)],
             "first sending: QoS and DUP")
    check_eq(3, len({m1["pid"], m2["pid"], m3["pid"]}), "distinct packet ids in flight")
    c.send(pubrec5(m3["pid"]))
    check_eq(m3["pid"], ack_of(c.expect(PUBREL))["pid"], "PUBREL")
    c.expect_nothing(1.0)  # no resend on the live connection
    c.close()
    c, _ = client5("sr", clean=False, props=SEI, expect_present=True)
    r1 = publish_of(c.expect(PUBLISH))
    r2 = publish_of(c.expect(PUBLISH))
    rel = ack_of(c.expect(PUBREL))
    check_eq([("sr/one", m1["pid"], True), ("sr/two", m2["pid"], True)],
             [(r["topic"], r["pid"], r["dup"]) for r in (r1, r2)], "resent PUBLISH")
    check_eq(m3["pid"], rel["pid"], "resent PUBREL")
    c.send(puback5(r1["pid"]))
    c.send(pubrec5(r2["pid"]))
    check_eq(r2["pid"], ack_of(c.expect(PUBREL))["pid"], "PUBREL")
    c.send(pubcomp5(r2["pid"]))
    c.send(pubcomp5(m3["pid"]))
    c.expect_nothing(1.0)
PY
