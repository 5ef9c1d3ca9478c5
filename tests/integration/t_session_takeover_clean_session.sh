#!/usr/bin/env bash
# A take-over does not resume a session that ends with its connection (issue #12 item 1). A
# 3.1.1 client with CleanSession=1 (and a 5.0 client with Session Expiry 0, and one without the
# property) holds a subscription and an unacknowledged QoS 1 message. A second connection with
# the same client id and CleanSession=0 / Clean Start=0 takes over: the old session ended with the
# old connection, so the CONNACK says Session Present 0 [MQTT-3.1.2-6], [MQTT-3.2.2-3], 5.0
# 3.1.2.11.2, [MQTT-3.1.4-3/-4]; the in-flight message is not resent and the old subscription
# no longer delivers. A persistent session still is resumed (the control).
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw

def inflight(sub, topic, p, pub_qos1, parse):
    pub_qos1(p, topic, b"in-flight")
    m = parse(sub.expect(PUBLISH, timeout=5))
    check_eq(b"in-flight", m["payload"], "first delivery (left unacknowledged)")

V3 = lambda pkt: pkt.publish()

def v3_pub(p, topic, payload):
    p.send(mqttraw.publish(topic, payload, qos=1, pid=1))
    p.expect(PUBACK, timeout=5)

def v5_pub(p, topic, payload):
    publish5_ok(p, topic, payload, qos=1)

def t():
    p3, _ = mqttraw.client("tcs-pub3")
    p5, _ = client5("tcs-pub5")
    # 3.1.1, CleanSession=1 taken over by CleanSession=0
    a, _ = mqttraw.client("tcs3", clean=True)
    mqttraw.subscribe_ok(a, [("tcs/3", 1)])
    inflight(a, "tcs/3", p3, v3_pub, V3)
    b, sp = mqttraw.client("tcs3", clean=False)
    check_eq(False, sp, "3.1.1 take-over of a clean session: Session Present")
    a.assert_closed(3.0, allow=(PUBLISH,))
    b.expect_nothing(0.5)  # no resend of the old in-flight message
    v3_pub(p3, "tcs/3", b"after")
    b.expect_nothing(0.5)  # no subscription: the session is new
    # 5.0, Session Expiry 0 and no Session Expiry: taken over by Clean Start=0
    for i, props in enumerate(([(SESSION_EXPIRY, 0)], None)):
        cid, topic = "tcs5-%d" % i, "tcs/5/%d" % i
        a = subscriber5(cid, [(topic, 1)], props=props)
        inflight(a, topic, p5, v5_pub, publish_of)
        b, ack = client5(cid, clean=False, props=[(SESSION_EXPIRY, 60)])
        check_eq(False, ack["sp"], "5.0 take-over of a session with expiry %r" % props)
        expect_disconnect(a, RC_SESSION_TAKEN_OVER, allow=(PUBLISH,))
        check_eq([], collect_publishes(b, 0.5), "5.0: nothing resent")
        v5_pub(p5, topic, b"after")
        check_eq([], collect_publishes(b, 0.5), "5.0: no old subscription")
    # control: a persistent session is resumed, with its in-flight message
    a, _ = mqttraw.client("tcs3p", clean=False)
    mqttraw.subscribe_ok(a, [("tcs/p", 1)])
    inflight(a, "tcs/p", p3, v3_pub, V3)
    b, sp = mqttraw.client("tcs3p", clean=False)
    check_eq(True, sp, "persistent session: Session Present")
    m = b.expect(PUBLISH, timeout=5).publish()
    check_eq((b"in-flight", True), (m["payload"], m["dup"]), "persistent: resent with DUP")
PY
