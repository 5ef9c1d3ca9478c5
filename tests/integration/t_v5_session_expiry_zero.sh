#!/usr/bin/env bash
# Session Expiry Interval absent (0): the session ends when the connection closes (3.1.2.11.2):
# reconnecting with Clean Start 0 gives Session Present 0, no queued message, no subscription.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("sz", [("sz/t", 1)], clean=False)
    c.send(disconnect5()); c.close()
    p, _ = client5("sz-pub")
    publish5_ok(p, "sz/t", "lost", qos=1, pid=1)
    c, _ = client5("sz", clean=False, expect_present=False)
    publish5_ok(p, "sz/t", "after", qos=1, pid=2)
    c.expect_nothing(1.0)
PY
