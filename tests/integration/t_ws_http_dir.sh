#!/usr/bin/env bash
# http_dir (Mosquitto's key) on a websocket listener: a plain HTTP GET gets the directory's files
# with their Content-Type (html, js, css; mqttgwd only: Mosquitto 2.0.11 sends none), "/" is index.html, a missing file is 404, and nothing
# outside the directory is ever served: "..", "/./", "//", %2e%2e, %2f, a backslash, a NUL, a
# symlink pointing out (to a secret file and to /etc) all fail with 4xx and never carry the
# secret; a symlink inside the directory is followed. MQTT over WebSocket on the same listener
# still works (paho, transport="websockets").
. "$(dirname "$0")/lib.sh"
W=$T/www
mkdir -p "$W/js" "$W/sub"
printf '<!doctype html><title>dash</title>\n' > "$W/index.html"
printf 'console.log("app");\n' > "$W/js/app.js"
printf 'body{color:red}\n' > "$W/style.css"
printf 'inner\n' > "$W/sub/in.txt"
printf 'TOPSECRET\n' > "$T/secret.txt"
ln -s ../secret.txt "$W/out.txt"
ln -s /etc "$W/etc"
ln -s sub/in.txt "$W/link.txt"
chmod -R a+rX "$W"; chmod a+rx "$T"
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "protocol websockets" "http_dir $W"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
py - "$MQTTGW_TEST_BROKER" <<'PY'
import os, socket, sys, time
import paho.mqtt.client as mqtt

HOST, WSPORT = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT2"])
# Mosquitto 2.0.11 answers HTTP/1.0 without a Content-Type: the types are checked on mqttgwd
TYPES = sys.argv[1] != "mosquitto"

def ctype(h, want):
    assert not TYPES or want in h.get("content-type", ""), (want, h)

def get(path):
    s = socket.create_connection((HOST, WSPORT), timeout=5)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        data += d
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), (path, data[:100])
    status = int(lines[0].split()[1])
    hdr = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    return status, hdr, body

st, h, b = get(b"/")
assert st == 200 and b == b"<!doctype html><title>dash</title>\n", (st, b)
ctype(h, "text/html")
st, h, b = get(b"/index.html")
assert st == 200, st
ctype(h, "text/html")
st, h, b = get(b"/js/app.js")
assert st == 200 and b == b'console.log("app");\n', (st, b)
ctype(h, "javascript")
st, h, b = get(b"/style.css")
assert st == 200, st
ctype(h, "text/css")
st, h, b = get(b"/link.txt")
assert st == 200 and b == b"inner\n", (st, b)
assert get(b"/nope.html")[0] == 404

for bad in (b"/../secret.txt", b"/sub/../../secret.txt", b"/%2e%2e/secret.txt",
            b"/%2E%2E/secret.txt", b"/.%2e/secret.txt", b"/..%2fsecret.txt",
            b"/sub%2f..%2f..%2fsecret.txt", b"/..\\secret.txt", b"/out.txt",
            b"/etc/passwd", b"/etc/hostname", b"//etc/passwd",
            b"/sub/%00", b"/%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
    st, h, b = get(bad)
    assert 400 <= st < 500, (bad, st)
    assert b"TOPSECRET" not in b and b"root:" not in b, (bad, b)

# MQTT over WebSocket still works on the same listener
got = []
c = mqtt.Client(client_id="wsdir", transport="websockets")
c.on_message = lambda c_, u, m: got.append(m.payload)
c.connect(HOST, WSPORT, 30); c.loop_start()
c.subscribe("d/t", 1); time.sleep(0.3)
c.publish("d/t", b"hi", 1)
end = time.time() + 5
while not got and time.time() < end:
    time.sleep(0.05)
assert got == [b"hi"], got
c.disconnect(); c.loop_stop()
print("ok")
PY
stop_broker
