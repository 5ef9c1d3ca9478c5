#!/usr/bin/env bash
# websockets_origin (Mosquitto 2.1's key; 2.0.11 has none) on a websocket listener: a browser's
# upgrade from a listed origin (compared whole, case-insensitively) gets 101 and talks MQTT; from
# any other origin 403 Forbidden and the connection closes; a request without Origin (not a
# browser) is accepted; a listener without the key accepts any origin.
# broker: mqttgwd
# (mqttgwd only: Mosquitto 2.0.11 does not know websockets_origin and refuses to start)
. "$(dirname "$0")/lib.sh"
WS2=21886
[ "${NETMODE:-}" = netns ] || WS2=$(free_port)
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets" \
	"websockets_origin https://dash.example" "websockets_origin http://localhost:8080" \
	"listener $WS2 $BROKER_HOST" "protocol websockets"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
WS2=$WS2 py <<'PY'
import base64, os, socket, time
import paho.mqtt.client as mqtt

HOST, WSPORT, WS2 = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT2"]), int(os.environ["WS2"])

def upgrade(port, origin):
    key = base64.b64encode(os.urandom(16)).decode()
    s = socket.create_connection((HOST, port), timeout=5)
    req = ("GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: mqtt\r\n" % key)
    if origin is not None:
        req += "Origin: %s\r\n" % origin
    s.sendall((req + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
    status = int(data.split(b" ")[1])
    closed = False
    if status != 101:
        s.settimeout(3)
        try:
            closed = s.recv(100) == b""
        except ConnectionResetError:
            closed = True
    s.close()
    return status, closed

assert upgrade(WSPORT, "https://dash.example") == (101, False)
assert upgrade(WSPORT, "HTTPS://DASH.example") == (101, False)
assert upgrade(WSPORT, "http://localhost:8080") == (101, False)
assert upgrade(WSPORT, None) == (101, False)
for bad in ("https://evil.example", "https://dash.example.evil", "http://localhost:8081",
            "https://dash.example/", "null"):
    assert upgrade(WSPORT, bad) == (403, True), bad
assert upgrade(WS2, "https://evil.example") == (101, False)

# paho as a browser from the allowed origin: MQTT works; from another: refused
got = []
c = mqtt.Client(client_id="origin-ok", transport="websockets")
c.ws_set_options(path="/mqtt", headers={"Origin": "https://dash.example"})
c.on_message = lambda c_, u, m: got.append(m.payload)
c.connect(HOST, WSPORT, 30); c.loop_start()
c.subscribe("o/t", 1); time.sleep(0.3)
c.publish("o/t", b"hello", 1)
end = time.time() + 5
while not got and time.time() < end:
    time.sleep(0.05)
assert got == [b"hello"], got
c.disconnect(); c.loop_stop()
bad = mqtt.Client(client_id="origin-bad", transport="websockets")
bad.ws_set_options(path="/mqtt", headers={"Origin": "https://evil.example"})
try:
    bad.connect(HOST, WSPORT, 30)
    ok = False
except Exception as e:
    ok = True
assert ok, "a connection from another origin was accepted"
print("ok")
PY
stop_broker
