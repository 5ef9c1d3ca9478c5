#!/usr/bin/env bash
# MQTT over WebSocket (MQTT 3.1.1 and 5.0 section 6; RFC 6455): a `protocol websockets`
# listener next to the plain one. Paho (transport="websockets") subscribes and publishes across
# the two listeners, QoS 0 and 1 and a retained message; a hand-written client checks the
# handshake (101, Sec-WebSocket-Protocol: mqtt), a CONNECT split across two frames and frames
# cut across TCP segments, ping/pong, and (mqttgwd only: Mosquitto 2.0.11 answers a packet in a
# text frame) that a text frame closes the connection [MQTT-6.0.0-1].
. "$(dirname "$0")/lib.sh"
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
py - "$MQTTGW_TEST_BROKER" <<'PY'
import base64, os, socket, struct, sys, time
import paho.mqtt.client as mqtt
from mqttc import *

HOST, PORT, WSPORT = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT"]), int(os.environ["BROKER_PORT2"])

def wsclient(cid):
    c = mqtt.Client(client_id=cid, transport="websockets")
    got = []
    c.on_message = lambda c_, u, m: got.append((m.topic, m.payload, m.qos, m.retain))
    c.connect(HOST, WSPORT, 30)
    c.loop_start()
    return c, got

def wait(cond, secs=5):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False

# paho over ws <-> paho over tcp
tcp = mqtt.Client(client_id="tcp1")
tgot = []
tcp.on_message = lambda c_, u, m: tgot.append((m.topic, m.payload))
tcp.connect(HOST, PORT, 30)
tcp.loop_start()
tcp.publish("ws/retained", b"kept", qos=1, retain=True).wait_for_publish(5)
ws, got = wsclient("ws1")
ws.subscribe("ws/#", qos=1)
assert wait(lambda: ("ws/retained", b"kept", 1, 1) in got), got
tcp.publish("ws/q0", b"zero", qos=0)
tcp.publish("ws/q1", b"x" * 70000, qos=1)  # larger than one 16-bit frame
assert wait(lambda: len(got) == 3), got
assert got[1] == ("ws/q0", b"zero", 0, 0) and got[2] == ("ws/q1", b"x" * 70000, 1, 0), got[1:]
tcp.subscribe("tcp/#", qos=1)
time.sleep(0.3)
ws.publish("tcp/from-ws", b"hello", qos=1).wait_for_publish(5)
assert wait(lambda: tgot == [("tcp/from-ws", b"hello")]), tgot
ws.disconnect(); ws.loop_stop(); tcp.disconnect(); tcp.loop_stop()

# a hand-written client
key = base64.b64encode(os.urandom(16)).decode()
s = socket.create_connection((HOST, WSPORT), timeout=5)
s.sendall(("GET /mqtt HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: mqtt\r\n\r\n" % (HOST, key)).encode())
resp = b""
while b"\r\n\r\n" not in resp:
    b = s.recv(1)
    assert b, resp
    resp += b
import hashlib
acc = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
assert resp.startswith(b"HTTP/1.1 101"), resp
assert b"sec-websocket-accept: " + acc.lower() in resp.lower(), resp
assert b"sec-websocket-protocol: mqtt\r\n" in resp.lower(), resp

def frame(op, payload, fin=True):
    mask = os.urandom(4)
    n = len(payload)
    h = bytes([(0x80 if fin else 0) | op])
    h += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
    return h + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))

def read_frame():
    h = b""
    while len(h) < 2:
        h += s.recv(2 - len(h))
    n = h[1] & 0x7F
    assert not h[1] & 0x80, "server frames are not masked"
    if n == 126:
        n = struct.unpack(">H", s.recv(2))[0]
    p = b""
    while len(p) < n:
        p += s.recv(n - len(p))
    return h[0] & 0x0F, p

connect = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04raw1"
wire = frame(2, connect[:5]) + frame(2, connect[5:])
for i in range(len(wire)):  # every byte its own segment
    s.sendall(wire[i:i + 1])
    time.sleep(0.001)
op, p = read_frame()
assert op == 2 and p == b"\x20\x02\x00\x00", (op, p)
s.sendall(frame(9, b"ping?"))
op, p = read_frame()
assert op == 10 and p == b"ping?", (op, p)
s.sendall(frame(2, b"\xc0\x00"))  # PINGREQ
op, p = read_frame()
assert op == 2 and p == b"\xd0\x00", (op, p)
if sys.argv[1] == "mosquitto":
    s.sendall(frame(8, b"\x03\xe8"))
    print("ok")
    sys.exit(0)
s.sendall(frame(1, b"\xc0\x00"))  # the same in a text frame: closed [MQTT-6.0.0-1]
s.settimeout(3)
try:
    rest = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        rest += b
except ConnectionResetError:
    pass
assert rest == b"\x88\x02\x03\xeb", rest  # close 1003, then the end
print("ok")
PY
stop_broker
