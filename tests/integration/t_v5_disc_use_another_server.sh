#!/usr/bin/env bash
# broker: mqttgwd
# Server redirection (4.11), temporary: with `use_another_server HOST:PORT` added to the
# configuration and reloaded (SIGHUP), connected v5 clients get DISCONNECT 0x9C (Use another
# server) with a Server Reference "HOST:PORT" and are closed; a new v5 CONNECT gets CONNACK 0x9C
# with the same Server Reference. The key name is this test's proposal (mqttgwd has no such key
# yet; Mosquitto none).
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py_ready "client not connected" <<'PY'
from mqtt5raw import *
import sys
def t():
    c, _ = client5("das")
    open(sys.argv[1], "w").write("ready\n")
    expect_redirected(c, RC_USE_ANOTHER_SERVER, "10.9.9.8:1884", "das-new")
main(t)
PY
echo "use_another_server 10.9.9.8:1884" >>"$BROKER_CONF"
kill -HUP "$BROKER_PID"
py_done 8 "client checks"
