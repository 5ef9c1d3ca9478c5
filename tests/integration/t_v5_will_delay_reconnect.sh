#!/usr/bin/env bash
# A new connection to the session before the Will Delay Interval passed cancels the will
# [MQTT-3.1.3-9]: Will Delay 2 s, reconnect (Clean Start 0) after 0.5 s, nothing published within
# 3.5 s; the resumed session has Session Present 1.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    w = subscriber5("wr-watch", [("wr/will", 1)])
    c, _ = client5("wr", clean=False, props=[(SESSION_EXPIRY, 30)],
                   will=dict(topic="wr/will", payload="cancelled", qos=1, props=[(WILL_DELAY, 2)]))
    c.close()
    time.sleep(0.5)
    c, _ = client5("wr", clean=False, props=[(SESSION_EXPIRY, 30)], expect_present=True)
    w.expect_nothing(3.0)
    c.send(disconnect5()); c.close()
    w.expect_nothing(0.5)  # the new connection had no will
PY
