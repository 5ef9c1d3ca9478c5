#!/usr/bin/env bash
# The CONNACK advertises the server's real capabilities (3.2.2.3): only CONNACK properties, none
# repeated, reserved flag bits 0 [MQTT-3.2.2-1], no Authentication Method without one in CONNECT
# [MQTT-4.12.0-6], no Assigned Client Identifier for a client that gave one, no Server Keep Alive
# when the client's keepalive is acceptable [MQTT-3.2.2-22]. Every feature advertised as
# available (absent means available) works: QoS 2 (Maximum QoS), retained messages, wildcard
# subscriptions, subscription identifiers, shared subscriptions, topic aliases up to the maximum.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c, ack = client5("cap", keepalive=30)
    pr = ack["props"]
    log("CONNACK properties: %r" % pr)
    check_eq((False, 0), (ack["sp"], ack["rc"]), "CONNACK")
    for pid in (AUTH_METHOD, AUTH_DATA, ASSIGNED_CLIENT_ID, SERVER_KEEPALIVE, RESPONSE_INFO,
                SERVER_REFERENCE):
        check(not pr.has(pid), "unexpected CONNACK property 0x%02x: %r" % (pid, pr))
    check_eq(2, pr.get(MAX_QOS, 2), "Maximum QoS (absent = 2)")
    for pid in (RETAIN_AVAILABLE, WILDCARD_AVAILABLE, SUB_ID_AVAILABLE, SHARED_AVAILABLE):
        check_eq(1, pr.get(pid, 1), "capability 0x%02x (absent = available)" % pid)
    check(pr.get(RECEIVE_MAX, 65535) >= 1, "Receive Maximum")
    top = pr.get(TOPIC_ALIAS_MAX, 0)
    # and they work
    check_eq([2, 2], subscribe5_ok(c, [("cap/+/x", 2), ("$share/g/cap/s", 2)], props=[(SUBSCRIPTION_ID, 3)]),
             "SUBACK for a wildcard and a shared subscription, with an identifier")
    p, _ = client5("cap-pub")
    publish5_ok(p, "cap/r/x", "retained", qos=2, retain=True, props=[(TOPIC_ALIAS, top)] if top else None)
    m = recv_publish(c)
    check_eq(("cap/r/x", 2, [3]), (m["topic"], m["qos"], m["props"].all(SUBSCRIPTION_ID)), "delivery")
    publish5_ok(p, "cap/s", "shared", qos=1, pid=2)
    check_eq(b"shared", recv_publish(c)["payload"], "shared subscription delivery")
    c2 = subscriber5("cap-2", [("cap/r/x", 0)])
    m = recv_publish(c2)
    check_eq((b"retained", True), (m["payload"], m["retain"]), "retained message")
    publish5_ok(p, "cap/r/x", "", qos=1, pid=3, retain=True)
PY
