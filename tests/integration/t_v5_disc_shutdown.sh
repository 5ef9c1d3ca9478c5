#!/usr/bin/env bash
# broker: mqttgwd
# On SIGTERM every connected v5 client gets DISCONNECT 0x8B (Server shutting down) before the close
# (3.14.2.1); a 3.1.1 client is just closed (3.1.1 has no server DISCONNECT); no wills are
# published by the shutdown. Mosquitto 2.0.11 closes without the DISCONNECT, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py_ready "clients not connected" <<'PY'
from mqtt5raw import *
import os, sys, time
def t():
    a, _ = client5("dsd-a", will=("dsd/will", "a", 0, False))
    b, _ = client5("dsd-b")
    v3, _ = client3("dsd-v3")
    open(sys.argv[1], "w").write("ready\n")
    for c in (a, b):
        d = expect_disconnect(c, RC_SERVER_SHUTTING_DOWN, within=10)
    check_eq([], v3.wait_closed(5)[1], "packets to the 3.1.1 client")
main(t)
PY
stop_broker
py_done 15 "client checks"
