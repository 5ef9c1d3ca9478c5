#!/usr/bin/env bash
# The Session Expiry Interval can be changed at DISCONNECT (3.14.2.2.2): CONNECT with 60 s and
# DISCONNECT with 0 ends the session at once (Session Present 0 right after); CONNECT with 1 s and
# DISCONNECT with 0xFFFFFFFF (never) keeps it beyond 1 s (Session Present 1 after 2.5 s).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    c = subscriber5("sed-a", [("sed/a", 1)], clean=False, props=[(SESSION_EXPIRY, 60)])
    c.send(disconnect5(0, [(SESSION_EXPIRY, 0)]))
    check_eq([], c.wait_closed(3)[1], "packets after DISCONNECT")
    client5("sed-a", clean=False, props=[(SESSION_EXPIRY, 60)], expect_present=False)
    c = subscriber5("sed-b", [("sed/b", 1)], clean=False, props=[(SESSION_EXPIRY, 1)])
    c.send(disconnect5(0, [(SESSION_EXPIRY, 0xFFFFFFFF)]))
    check_eq([], c.wait_closed(3)[1], "packets after DISCONNECT")
    p, _ = client5("sed-pub")
    publish5_ok(p, "sed/b", "kept", qos=1, pid=1)
    time.sleep(2.5)
    c, _ = client5("sed-b", clean=False, props=[(SESSION_EXPIRY, 0)], expect_present=True)
    check_eq(b"kept", recv_publish(c)["payload"], "queued message")
PY
