#!/usr/bin/env bash
# Retained messages expire too [MQTT-3.3.2-5]: 2.2 s after publishing, a new subscriber gets the
# retained message with expiry 100 (remaining 97..100 [MQTT-3.3.2-6], RETAIN 1) but not the one
# with expiry 1.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    p, _ = client5("er-pub")
    publish5_ok(p, "er/short", "short", qos=1, pid=1, retain=True, props=[(MESSAGE_EXPIRY, 1)])
    publish5_ok(p, "er/long", "long", qos=1, pid=2, retain=True, props=[(MESSAGE_EXPIRY, 100)])
    time.sleep(2.2)
    s = subscriber5("er-sub", [("er/#", 1)])
    got = collect_publishes(s, 1.0)
    check_eq([("er/long", b"long", True)], [(m["topic"], m["payload"], m["retain"]) for m in got],
             "retained messages after 2.2 s")
    check(97 <= got[0]["props"].get(MESSAGE_EXPIRY, -1) <= 100,
          "remaining expiry %r" % got[0]["props"].get(MESSAGE_EXPIRY))
    publish5_ok(p, "er/long", "", qos=1, pid=3, retain=True)
PY
