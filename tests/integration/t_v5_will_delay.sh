#!/usr/bin/env bash
# Will Delay Interval 2 s with a 30 s session: after an abnormal close the will is not published
# before the delay [MQTT-3.1.2-8] (nothing within 1.7 s) and is published once it passed (within
# 3.5 s of the close).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    w = subscriber5("wd-watch", [("wd/will", 1)])
    c, _ = client5("wd", props=[(SESSION_EXPIRY, 30)],
                   will=dict(topic="wd/will", payload="late", qos=1, props=[(WILL_DELAY, 2)]))
    c.close()
    t0 = time.monotonic()
    w.expect_nothing(1.7)
    m = recv_publish(w, 3.5 - (time.monotonic() - t0))
    dt = time.monotonic() - t0
    check_eq(("wd/will", b"late"), (m["topic"], m["payload"]), "will")
    check(dt >= 1.7, "will after %.2f s, before its 2 s delay" % dt)
    print("will %.2f s after the close" % dt)
PY
