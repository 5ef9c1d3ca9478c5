#!/usr/bin/env bash
# Every property a client may send, in every packet that allows it (MQTT 5.0 2.2.2.2), is decoded
# and accepted: CONNECT and Will Properties, PUBLISH, PUBACK/PUBREC/PUBREL/PUBCOMP with a reason
# code, Reason String and User Properties, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT. Nothing closes the
# connections, the message arrives with its properties, and the DISCONNECT 0x00 drops the will.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
UP = USER_PROPERTY
def t():
    w = subscriber5("pa-watch", [("pa/will", 1)])
    s, ack = client5("pa-sub", props=[(SESSION_EXPIRY, 30), (RECEIVE_MAX, 100),
                                      (MAX_PACKET_SIZE, 65536), (TOPIC_ALIAS_MAX, 0),
                                      (REQUEST_RESPONSE_INFO, 0), (REQUEST_PROBLEM_INFO, 1),
                                      (UP, ("c", "1")), (UP, ("c", "2"))])
    check(not ack["props"].has(RESPONSE_INFO), "Response Information though not requested")
    will = dict(topic="pa/will", payload="gone", qos=1,
                props=[(WILL_DELAY, 0), (PAYLOAD_FORMAT, 1), (MESSAGE_EXPIRY, 60),
                       (CONTENT_TYPE, "text/plain"), (RESPONSE_TOPIC, "pa/resp"),
                       (CORRELATION_DATA, b"\x00\x01"), (UP, ("w", "1"))])
    p, _ = client5("pa-pub", will=will)
    check_eq([1, 2], subscribe5_ok(s, [("pa/t", 1), ("pa/q2", 2)],
                                   props=[(SUBSCRIPTION_ID, 7), (UP, ("s", "1"))]), "SUBACK")
    pub_props = [(PAYLOAD_FORMAT, 1), (MESSAGE_EXPIRY, 60), (TOPIC_ALIAS, 1),
                 (CONTENT_TYPE, "text/plain"), (RESPONSE_TOPIC, "pa/resp"),
                 (CORRELATION_DATA, b"\x00\xff"), (UP, ("k", "v"))]
    check(publish5_ok(p, "pa/t", "q1", qos=1, props=pub_props) in (0x00, 0x10), "PUBACK")
    m = recv_publish(s, ack=False)
    check_eq(("pa/t", b"q1", 1), (m["topic"], m["payload"], m["qos"]), "delivered")
    got = m["props"]
    check_eq(1, got.get(PAYLOAD_FORMAT), "Payload Format Indicator")
    check_eq("text/plain", got.get(CONTENT_TYPE), "Content Type")
    check_eq("pa/resp", got.get(RESPONSE_TOPIC), "Response Topic")
    check_eq(b"\x00\xff", got.get(CORRELATION_DATA), "Correlation Data")
    check_eq([("k", "v")], got.all(UP), "User Properties")
    check_eq([7], got.all(SUBSCRIPTION_ID), "Subscription Identifier")
    check(not got.has(TOPIC_ALIAS), "the publisher's Topic Alias was forwarded: %r" % got)
    check(55 <= got.get(MESSAGE_EXPIRY, -1) <= 60, "Message Expiry %r" % got.get(MESSAGE_EXPIRY))
    s.send(puback5(m["pid"], 0x00, [(REASON_STRING, "thanks"), (UP, ("a", "1"))]))
    # QoS 2 both ways, every acknowledgement with reason code 0 and properties
    p.send(publish5("pa/q2", "q2", qos=2, pid=2, props=[(UP, ("x", "y"))]))
    rec = ack_of(p.expect(PUBREC))
    check(rec["pid"] == 2 and rec["rc"] in (0x00, 0x10), "PUBREC %r" % rec)
    p.send(pubrel5(2, 0x00, [(REASON_STRING, "release"), (UP, ("a", "2"))]))
    comp = ack_of(p.expect(PUBCOMP))
    check_eq((2, 0), (comp["pid"], comp["rc"]), "PUBCOMP")
    m = publish_of(s.expect(PUBLISH))
    check_eq(("pa/q2", b"q2", 2), (m["topic"], m["payload"], m["qos"]), "QoS 2 delivery")
    s.send(pubrec5(m["pid"], 0x00, [(REASON_STRING, "got it"), (UP, ("a", "3"))]))
    rel = ack_of(s.expect(PUBREL))
    check_eq((m["pid"], 0), (rel["pid"], rel["rc"]), "PUBREL")
    s.send(pubcomp5(m["pid"], 0x00, [(REASON_STRING, "done"), (UP, ("a", "4"))]))
    check_eq([0, 0], unsubscribe5_ok(s, ["pa/t", "pa/q2"], props=[(UP, ("u", "1"))]), "UNSUBACK")
    s.send(pingreq())
    s.expect(PINGRESP)
    s.send(disconnect5(0x00, [(SESSION_EXPIRY, 0), (REASON_STRING, "bye"), (UP, ("d", "1"))]))
    check_eq([], s.wait_closed(3)[1], "packets after the subscriber's DISCONNECT")
    p.send(disconnect5(0x00, [(REASON_STRING, "bye"), (UP, ("d", "2"))]))
    check_eq([], p.wait_closed(3)[1], "packets after the publisher's DISCONNECT")
    w.expect_nothing(1.0)  # DISCONNECT 0x00: no will [MQTT-3.14.4-3]
    assert_broker_serves5()
PY
