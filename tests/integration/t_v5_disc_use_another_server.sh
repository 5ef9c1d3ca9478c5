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
py - "$T/ready" <<'PY' &
from mqtt5raw import *
import sys
def t():
    c, _ = client5("das")
    open(sys.argv[1], "w").write("ready\n")
    d = expect_disconnect(c, RC_USE_ANOTHER_SERVER, within=5)
    check_eq("10.9.9.8:1884", d["props"].get(SERVER_REFERENCE), "Server Reference")
    c = Conn()
    c.send(connect5("das-new"))
    ack = expect_refused(c, [RC_USE_ANOTHER_SERVER], silent_ok=False)
    check_eq("10.9.9.8:1884", ack["props"].get(SERVER_REFERENCE), "CONNACK Server Reference")
main(t)
PY
cpid=$!
track "$cpid"
for ((i = 0; i < 100; i++)); do [ -s "$T/ready" ] && break; sleep 0.05; done
[ -s "$T/ready" ] || fail "client not connected"
echo "use_another_server 10.9.9.8:1884" >>"$BROKER_CONF"
kill -HUP "$BROKER_PID"
wait_pid "$cpid" 8
[ "$WAIT_RC" = 0 ] || fail "client checks failed (exit $WAIT_RC)"
