#!/usr/bin/env bash
# An expired message is never delivered from an offline queue [MQTT-3.3.2-5]: of three QoS 1
# messages queued (expiry 1 s, 30 s, none), after 2.2 s only the last two arrive, in order.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
SEI = [(SESSION_EXPIRY, 60)]
def t():
    c = subscriber5("eqd", [("eqd/#", 1)], clean=False, props=SEI)
    c.send(disconnect5()); c.close()
    p, _ = client5("eqd-pub")
    publish5_ok(p, "eqd/a", "short", qos=1, pid=1, props=[(MESSAGE_EXPIRY, 1)])
    publish5_ok(p, "eqd/b", "long", qos=1, pid=2, props=[(MESSAGE_EXPIRY, 30)])
    publish5_ok(p, "eqd/c", "none", qos=1, pid=3)
    time.sleep(2.2)
    c, _ = client5("eqd", clean=False, props=SEI, expect_present=True)
    got = collect_publishes(c, 1.0)
    check_eq([b"long", b"none"], [m["payload"] for m in got], "delivered after 2.2 s")
PY
