#!/usr/bin/env bash
# wss:// (a `protocol websockets` listener with certfile/keyfile): Paho over TLS WebSocket
# subscribes, a plain TCP client publishes, the message and a retained one arrive; a plain
# ws:// client on that port gets no MQTT session (the TLS handshake comes first).
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets" \
	"certfile $TLS/server.crt" "keyfile $TLS/server.key"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
CA=$TLS/ca.crt py <<'PY'
import os, ssl, time
import paho.mqtt.client as mqtt
from mqttc import *

HOST, WSPORT = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT2"])
tcp = Client("tcp"); tcp.connect()
tcp.publish("wss/kept", "k", qos=1, retain=True)

got = []
ws = mqtt.Client(client_id="wss1", transport="websockets")
ws.tls_set(ca_certs=os.environ["CA"])
ws.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.retain))
ws.connect(HOST, WSPORT, 30)
ws.loop_start()
ws.subscribe("wss/#", qos=1)
end = time.time() + 5
while time.time() < end and not got:
    time.sleep(0.02)
tcp.publish("wss/live", "l", qos=1)
end = time.time() + 5
while time.time() < end and len(got) < 2:
    time.sleep(0.02)
check_eq([("wss/kept", b"k", 1), ("wss/live", b"l", 0)], got, "over wss")
ws.disconnect(); ws.loop_stop()

plain = mqtt.Client(client_id="ws-plain", transport="websockets")
try:
    plain.connect(HOST, WSPORT, 5)
    plain.loop_start()
    time.sleep(1.0)
    check(not plain.is_connected(), "ws:// without TLS connected to a wss listener")
    plain.loop_stop()
except Exception:
    pass  # refused during the handshake: what we want
tcp.disconnect()
print("ok")
PY
stop_broker
