#!/usr/bin/env bash
# A zero-length client id gets an Assigned Client Identifier in the CONNACK [MQTT-3.1.3-6],
# [MQTT-3.1.3-7], [MQTT-3.2.2-16]: non-empty, different for two clients, and the session is
# stored under it (reconnecting with that id and Clean Start 0 finds it: Session Present 1).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, acka = client5("", props=[(SESSION_EXPIRY, 60)])
    b, ackb = client5("")
    ida, idb = acka["props"].get(ASSIGNED_CLIENT_ID), ackb["props"].get(ASSIGNED_CLIENT_ID)
    check(ida and idb, "Assigned Client Identifier missing: %r / %r" % (acka, ackb))
    check(ida != idb, "the same identifier assigned twice: %r" % ida)
    subscribe5_ok(a, [("aci/t", 1)])
    a.send(disconnect5()); a.close()
    c, ack = client5(ida, clean=False, props=[(SESSION_EXPIRY, 60)], expect_present=True)
    check(not ack["props"].has(ASSIGNED_CLIENT_ID), "Assigned Client Identifier for a given id")
    publish5_ok(b, "aci/t", "to-assigned", qos=1)
    check_eq(b"to-assigned", recv_publish(c)["payload"], "subscription of the assigned-id session")
PY
