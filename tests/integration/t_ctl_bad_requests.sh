#!/usr/bin/env bash
# Bad requests on the control socket get an error line and the close, never a crash or a hang:
# an unknown command, a bad %-escape, a wrong argument count (status 2, mqttgwctl's usage
# status), a line over 4096 bytes, a connection that sends nothing for 10 s; raw binary garbage.
# Past 16 control connections the next one is told so and closed (mqttgwctl: exit 3), and
# control connections never count against max_connections. The daemon serves MQTT throughout.
# mqttgwd only: mqttgwctl is mqttgw's own.
# broker: mqttgwd
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/ctllib.sh"
start_broker_ctl "max_connections 2"
"$PY" - "$CTL_SOCK" <<'PY' || fail "raw requests"
import json, socket, sys, time
sock = sys.argv[1]

def ask(data, wait=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait)
    s.connect(sock)
    if data:
        try:
            s.sendall(data)
        except BrokenPipeError:
            pass  # refused at once (the connection limit): its answer is still there to read
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out

def err(data, status, text, wait=5.0):
    out = ask(data, wait)
    lines = out.decode().splitlines()
    assert len(lines) == 1, (data[:40], out)
    j = json.loads(lines[0])
    assert j["ok"] is False and j["status"] == status and text in j["error"], (data[:40], j)

err(b"frobnicate\n", 2, "unknown command")
err(b"kick a%zz\n", 2, "bad %-escape")
err(b"kick\n", 2, "wrong number of arguments")
err(b"status  x\n", 2, "empty word")
err(b"\x00\xff\x10garbage\n", 2, "")
err(b"kick " + b"a" * 5000 + b"\n", 2, "too long")
err(b"client nobody\n", 1, "no such client")
t0 = time.monotonic()
err(b"", 2, "no request within 10 s", wait=30)
assert 9 <= time.monotonic() - t0 < 25, time.monotonic() - t0
# a good request still works, with %-escapes
j = json.loads(ask(b"subscriptions a%2Fb\n"))
assert j["ok"] is True and j["result"] == [], j

# the connection limit: 16 held, the next is told so
held = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    held.append(s)
time.sleep(0.5)
err(b"status\n", 1, "too many control connections")
for s in held:
    s.close()
PY
# mqttgwctl maps the limit to exit 3 (cannot reach the daemon): check with held connections
bg "$T/hold.out" "$PY" -c '
import socket, sys, time
h = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1]); h.append(s)
print("held", flush=True)
time.sleep(8)' "$CTL_SOCK"
HOLD=$BG_PID
for i in $(seq 50); do grep -qs held "$T/hold.out" && break; sleep 0.1; done
sleep 0.5
ctl status
assert_eq 3 "$CTL_RC" "over the connection limit: exit 3"
kill "$HOLD"
wait_pid "$HOLD" 5
for i in $(seq 50); do
	ctl status >/dev/null
	[ "$CTL_RC" = 0 ] && break
	sleep 0.1
done
assert_eq 0 "$CTL_RC" "served again once they are gone"
# max_connections 2 counts MQTT clients only: two still connect
py <<'PY'
from mqttraw import *
def t():
    a, _ = client("a")
    b, _ = client("b")
    for c in (a, b):
        c.send(pingreq()); c.expect(PINGRESP)
main(t)
PY
