#!/usr/bin/env bash
# broker: mqttgwd
# A member that leaves with QoS 1 messages unacknowledged does not take them along: when its
# session ends (Session Expiry 0, connection dropped) the server sends them to another member of
# the group (4.8.2: "If the Client's Session terminates before the Client reconnects, the Server
# SHOULD send the Application Message to another Client that is subscribed to the same Shared
# Subscription"). Every message reaches the group once acknowledged. Mosquitto 2.0.11 does not
# redeliver them either (a SHOULD), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("shm-a", props=[(RECEIVE_MAX, 10)])
    b, _ = client5("shm-b")
    subscribe5_ok(a, [("$share/g/shm/t", 1)])
    subscribe5_ok(b, [("$share/g/shm/t", 1)])
    p, _ = client5("shm-pub")
    for i in range(6):
        publish5_ok(p, "shm/t", "m%d" % i, qos=1, pid=i + 1)
    held = [m["payload"] for m in collect_publishes(a, 1.0, ack=False)]  # a never acknowledges
    first = [m["payload"] for m in collect_publishes(b, 0.3)]
    check(held, "member a got none of the messages: a=%r b=%r" % (held, first))
    a.close()  # session ends (Session Expiry 0): its unacknowledged messages go to b
    again = [m["payload"] for m in collect_publishes(b, 2.0)]
    check_eq(sorted(held), sorted(again), "redelivered to the remaining member")
    check_eq(sorted(b"m%d" % i for i in range(6)), sorted(first + again), "every message at b")
PY
