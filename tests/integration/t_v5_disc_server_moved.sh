#!/usr/bin/env bash
# broker: mqttgwd
# Server redirection (4.11): when the configuration gains `server_moved HOST:PORT` and the broker
# reloads it (SIGHUP), connected v5 clients get DISCONNECT 0x9D (Server moved) with a Server
# Reference "HOST:PORT" and are closed; a new v5 CONNECT gets CONNACK 0x9D with the same Server
# Reference. The key name is this test's proposal (mqttgwd has no such key yet; Mosquitto none).
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py_ready "client not connected" <<'PY'
from mqtt5raw import *
import sys
def t():
    c, _ = client5("dsm")
    open(sys.argv[1], "w").write("ready\n")
    expect_redirected(c, RC_SERVER_MOVED, "10.9.9.9:1883", "dsm-new")
main(t)
PY
echo "server_moved 10.9.9.9:1883" >>"$BROKER_CONF"
kill -HUP "$BROKER_PID"
py_done 8 "client checks"
