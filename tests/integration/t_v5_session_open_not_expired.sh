#!/usr/bin/env bash
# The Session Expiry Interval only runs once the connection is closed [MQTT-4.1.0-1]: a client
# with Session Expiry 1 s that stays connected for 2.5 s keeps its subscription, and after it
# disconnects and reconnects within 1 s the session is still there (Session Present 1).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
SEI = [(SESSION_EXPIRY, 1)]
def t():
    c = subscriber5("sone", [("sone/t", 1)], clean=False, props=SEI)
    time.sleep(2.5)
    p, _ = client5("sone-pub")
    publish5_ok(p, "sone/t", "still", qos=1)
    check_eq(b"still", recv_publish(c)["payload"], "subscription after 2.5 s connected")
    c.send(disconnect5()); c.close()
    client5("sone", clean=False, props=SEI, expect_present=True)
PY
