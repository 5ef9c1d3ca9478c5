#!/usr/bin/env bash
# broker: mqttgwd
# A server-initiated DISCONNECT survives a peer that keeps sending (issue #12, item 5). A v5
# client with max_receive 2 sends, in one burst without reading, three QoS 2 PUBLISHes (the third
# exceeds Receive Maximum [MQTT-3.3.4-7]) followed by 256 KiB more PUBLISHes. The broker answers
# DISCONNECT 0x93 while unread bytes still wait in its receive buffer: a plain close() would make
# the kernel send RST, which can destroy the DISCONNECT before the client reads it. mqttgwd closes
# lingering (shut down writes, read and discard for a bounded time), so in each of 100 runs the
# client reads the DISCONNECT 0x93 and then an orderly end of stream.
# timeout: 120
. "$(dirname "$0")/lib.sh"
start_broker "max_receive 2"
py <<'PY'
import os, socket, threading, time
from mqtt5raw import *

def run(i):
    s = socket.create_connection((os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT"])), 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(connect5("linger-%d" % i))
    s.settimeout(5)
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + buf[1]:
        d = s.recv(4096)
        check(d, "run %d: closed before CONNACK" % i)
        buf += d
    burst = b"".join(publish5("lg/t", b"x" * 200, qos=2, pid=p) for p in range(1, 4))
    burst += b"".join(publish5("lg/t", b"y" * 1000, qos=0) for _ in range(256))
    def flood():
        try:
            s.sendall(burst)
        except OSError:
            pass  # the broker stopped reading: expected
    t = threading.Thread(target=flood)
    t.start()
    got, err = b"", None
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError as e:
        err = e
    t.join(10)
    s.close()
    pkts, off = [], 2 + buf[1]
    data = buf[off:] + got
    off = 0
    while off < len(data):
        ptype = data[off] >> 4
        ln, mul, k = 0, 1, off + 1
        while True:
            ln += (data[k] & 0x7F) * mul
            mul *= 128
            k += 1
            if not data[k - 1] & 0x80:
                break
        pkts.append((ptype, data[k:k + ln]))
        off = k + ln
    types = [p[0] for p in pkts]
    check(pkts and pkts[-1][0] == 14,
          "run %d: no DISCONNECT before the end (%r, packet types %r)" % (i, err, types))
    check_eq(0x93, pkts[-1][1][0], "run %d: DISCONNECT reason" % i)
    check(err is None, "run %d: the stream ended with %r, not an orderly close" % (i, err))

def t():
    for i in range(100):
        run(i)
main(t)
PY
