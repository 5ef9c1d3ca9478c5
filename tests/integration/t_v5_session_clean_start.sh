#!/usr/bin/env bash
# Clean Start and Session Present: Clean Start 0 without a session creates one, Session Present 0
# [MQTT-3.1.2-6]; Clean Start 0 with a session resumes it, Session Present 1, with its
# subscriptions and the messages queued meanwhile [MQTT-3.1.2-5], [MQTT-3.2.2-3],
# [MQTT-4.5.0-1]; Clean Start 1 discards it, Session Present 0, subscriptions gone
# [MQTT-3.1.2-4], [MQTT-3.2.2-2].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    c = subscriber5("sc", [("sc/t", 1)], clean=False, props=SEI, expect_present=False)
    c.send(disconnect5()); c.close()
    p, _ = client5("sc-pub")
    publish5_ok(p, "sc/t", "queued", qos=1, pid=1)
    c, _ = client5("sc", clean=False, props=SEI, expect_present=True)
    m = recv_publish(c)
    check_eq(("sc/t", b"queued", 1), (m["topic"], m["payload"], m["qos"]), "queued message")
    publish5_ok(p, "sc/t", "live", qos=1, pid=2)
    check_eq(b"live", recv_publish(c)["payload"], "subscription kept")
    c.send(disconnect5()); c.close()
    c, _ = client5("sc", clean=True, props=SEI, expect_present=False)
    publish5_ok(p, "sc/t", "after-clean", qos=1, pid=3)
    c.expect_nothing(1.0)  # the subscription went with the discarded session
PY
