#!/usr/bin/env bash
# broker: mqttgwd
# The server enforces the Server Keep Alive it sent: max_keepalive 2, a client asking for 60 s
# gets Server Keep Alive 2 and, once silent, DISCONNECT 0x8D (Keep Alive timeout) after 1.5 x 2 s
# [MQTT-3.1.2-22] (not before 2.9 s, within 4.5 s). Mosquitto 2.0.11 refuses max_keepalive below 10
# and closes without a DISCONNECT, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_keepalive 2" <<'PY'
import time
def t():
    c, ack = client5("ske", keepalive=60)
    t0 = time.monotonic()
    check_eq(2, ack["props"].get(SERVER_KEEPALIVE), "Server Keep Alive")
    expect_disconnect(c, RC_KEEPALIVE_TIMEOUT, within=4.5)
    dt = time.monotonic() - t0
    check(dt >= 2.9, "closed after %.2f s, before 1.5 x 2 s" % dt)
    print("closed after %.2f s" % dt)
PY
