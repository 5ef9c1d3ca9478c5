#!/usr/bin/env bash
# Session Expiry Interval 2 s: the session outlives the connection [MQTT-3.1.2-23] (reconnect
# after 1 s: Session Present 1, the message queued meanwhile delivered) and is discarded once the
# interval passed [MQTT-4.1.0-2] (reconnect after 4 s: Session Present 0, nothing delivered).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
SEI = [(SESSION_EXPIRY, 2)]
def t():
    c = subscriber5("se", [("se/t", 1)], clean=False, props=SEI)
    c.send(disconnect5()); c.close()
    p, _ = client5("se-pub")
    publish5_ok(p, "se/t", "kept", qos=1, pid=1)
    time.sleep(1.0)
    c, _ = client5("se", clean=False, props=SEI, expect_present=True)
    check_eq(b"kept", recv_publish(c)["payload"], "message queued within the interval")
    c.send(disconnect5()); c.close()
    publish5_ok(p, "se/t", "expired-with-session", qos=1, pid=2)
    time.sleep(4.0)
    c, _ = client5("se", clean=False, props=SEI, expect_present=False)
    c.expect_nothing(1.0)
PY
