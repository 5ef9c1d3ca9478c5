#!/usr/bin/env bash
# broker: mqttgwd
# A v5 client silent for 1.5 x its keepalive gets DISCONNECT 0x8D (Keep Alive timeout) before the
# close [MQTT-3.1.2-22], 3.14.2.1: keepalive 2 s -> not before 2.9 s, within 4.5 s. Mosquitto 2.0.11
# closes without the DISCONNECT (and later: ~6.6 s for keepalive 1), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    c, _ = client5("dka", keepalive=2)
    t0 = time.monotonic()
    expect_disconnect(c, RC_KEEPALIVE_TIMEOUT, within=4.5)
    dt = time.monotonic() - t0
    check(dt >= 2.9, "closed after %.2f s, before 1.5 x keepalive" % dt)
    print("DISCONNECT 0x8D after %.2f s" % dt)
PY
