#!/usr/bin/env bash
# broker: mqttgwd
# A shared-subscription member that UNSUBSCRIBEs keeps what was already sent to it (the spec is
# silent; mqttgwd's choice): its unacknowledged QoS 1 messages stay with its connection, and
# when its session later ends they are not handed to the group either (they no longer belong
# to the subscription). Without the UNSUBSCRIBE they would be (t_v5_share_member_leaves).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("shu-a", props=[(RECEIVE_MAX, 10)])
    b, _ = client5("shu-b")
    # a second shared subscription of both: the one a keeps after the UNSUBSCRIBE
    subscribe5_ok(a, [("$share/g/shu/t", 1), ("$share/g/shu/u", 1)])
    subscribe5_ok(b, [("$share/g/shu/t", 1), ("$share/g/shu/u", 1)])
    p, _ = client5("shu-pub")
    for i in range(4):
        publish5_ok(p, "shu/t", "m%d" % i, qos=1, pid=i + 1)
    held = collect_publishes(a, 1.0, ack=False)
    check_eq([b"m1", b"m3"], payloads(collect_publishes(b, 0.3)), "b's share")
    check_eq([b"m0", b"m2"], payloads(held), "a's share, unacknowledged")
    unsubscribe5_ok(a, ["$share/g/shu/t"])
    publish5_ok(p, "shu/t", "m4", qos=1, pid=5)
    check_eq([b"m4"], payloads(collect_publishes(b, 0.5)), "after a left the group, b gets all")
    a.close()  # session ends: the messages it kept are not the group's any more
    check_eq([], payloads(collect_publishes(b, 1.0)), "nothing handed over after UNSUBSCRIBE")
PY
