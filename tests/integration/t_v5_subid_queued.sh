#!/usr/bin/env bash
# broker: mqttgwd
# Every matching Subscription Identifier also on messages that waited [MQTT-3.3.4-3],
# [MQTT-3.3.4-4]: with overlapping subscriptions (ids 5 and 6), a message queued while the
# session was offline, its DUP resend after a second reconnect, and a message first sent online and
# resent after a reconnect, all carry both. Mosquitto 2.0.11
# sends one copy per subscription (t_v5_subid_overlap), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    s = subscriber5("siq", [("siq/+", 1)], sub_pid=1, sub_props=[(SUBSCRIPTION_ID, 5)],
                    clean=False, props=SEI)
    subscribe5_ok(s, [("siq/#", 1)], pid=2, props=[(SUBSCRIPTION_ID, 6)])
    s.send(disconnect5()); s.close()
    p, _ = client5("siq-pub")
    publish5_ok(p, "siq/t", "queued", qos=1)
    s, _ = client5("siq", clean=False, props=SEI, expect_present=True)
    m = recv_publish(s, ack=False)
    check_eq((b"queued", False, [5, 6]), (m["payload"], m["dup"], sorted(m["props"].all(SUBSCRIPTION_ID))),
             "queued message")
    s.close()  # not acknowledged: resent on the next connection
    s, _ = client5("siq", clean=False, props=SEI, expect_present=True)
    m = recv_publish(s)
    check_eq((b"queued", True, [5, 6]), (m["payload"], m["dup"], sorted(m["props"].all(SUBSCRIPTION_ID))),
             "resent message")
    # a message first sent to the online client, then resent after a reconnect
    publish5_ok(p, "siq/u", "online", qos=1, pid=2)
    m = recv_publish(s, ack=False)
    check_eq((b"online", [5, 6]), (m["payload"], sorted(m["props"].all(SUBSCRIPTION_ID))), "online delivery")
    s.close()
    s, _ = client5("siq", clean=False, props=SEI, expect_present=True)
    m = recv_publish(s)
    check_eq((b"online", True, [5, 6]), (m["payload"], m["dup"], sorted(m["props"].all(SUBSCRIPTION_ID))),
             "resent online delivery")
PY
