#!/usr/bin/env bash
# A message queued for an offline session keeps counting down: published with Message Expiry
# Interval 10, delivered 2 s later with 7..8 [MQTT-3.3.2-6].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
SEI = [(SESSION_EXPIRY, 60)]
def t():
    c = subscriber5("eqr", [("eqr/t", 1)], clean=False, props=SEI)
    c.send(disconnect5()); c.close()
    p, _ = client5("eqr-pub")
    publish5_ok(p, "eqr/t", "waiting", qos=1, props=[(MESSAGE_EXPIRY, 10)])
    time.sleep(2.0)
    c, _ = client5("eqr", clean=False, props=SEI, expect_present=True)
    m = recv_publish(c)
    check_eq(b"waiting", m["payload"], "queued message")
    check(7 <= m["props"].get(MESSAGE_EXPIRY, -1) <= 8,
          "Message Expiry after 2 s in the queue: %r (want 7..8)" % m["props"].get(MESSAGE_EXPIRY))
PY
