#!/usr/bin/env bash
# PINGREQ -> PINGRESP [MQTT-3.12.4-1]; a client with keepalive 2 s that only sends PINGREQ
# every second stays connected for 6 s (pings count as activity).
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
import time
def t():
    c, _ = client("pinger", keepalive=2)
    for i in range(6):
        c.send(pingreq())
        p = c.expect(PINGRESP, timeout=2)
        check_eq(b"", p.body, "PINGRESP remaining length")
        check_eq(0, p.flags, "PINGRESP flags")
        time.sleep(1.0)
    c.send(pingreq() + pingreq())  # two in one segment: two answers
    c.expect(PINGRESP); c.expect(PINGRESP)
    c.send(disconnect())
PY
