"""Load for the stall tests (t_stall_storm.sh, t_stall_stop.sh) and `make bench`'s storm and stop.

    stallload.py flow  --qos 0|1 --rate MSG/S --duration S [--until-file F --tail S]
                       [--user U --password P] [--topic T] [--id CLIENT_ID_PREFIX] [--nice N] [--ready-file F] [--lat FILE] [--json FILE]
    stallload.py storm --count N --parallel P [--user U --password P] [--tls CAFILE --port PORT]
                       [--nice N] [--json FILE]
    stallload.py stop  --pid PID [--secs 1] [--json FILE]

flow: one publisher and one subscriber (two connections, one thread, no wake-ups besides the
sockets and the send clock) on one exact topic. Each payload carries its sequence number and
CLOCK_MONOTONIC send time; the subscriber takes the latency on receipt. The publisher writes one
whole frame per send(), so a QoS 0 flow can join the kernel fast path. It runs for --duration
seconds, or until --until-file exists plus --tail seconds, then waits up to 3 s for stragglers.
--lat writes one line per message: "seq send_s latency_ms" (send_s relative to the first send;
latency "lost" for a message never received): a plain file for plotting.
The summary (stdout, or --json) has sent, received, lost, dup, reordered and p50/p99/max in
ms, plus the same over the window between the storm's start and end when --window-file names
the storm's JSON.

storm: N CONNECTs with user name and password from P parallel connections (each connects,
waits for CONNACK, disconnects, again); every CONNACK must be 0. --tls: each connection is a
full TLS handshake (no session resumption) to --port, verified against CAFILE. Summary: ok, refused, start,
end (CLOCK_MONOTONIC seconds), per-CONNECT p50/p99/max ms.

stop: SIGSTOP the broker (same host: run it where the broker's PID is visible), SIGCONT after
--secs; writes the window {start, end} on the flows' clock.
"""

import argparse
import json
import os
import signal
import selectors
import socket
import ssl
import struct
import sys
import threading
import time

from fpload import out  # the fast-path load's JSON output
from mqttraw import mstr, packet

HOST = os.environ.get("BROKER_HOST", "127.0.0.1")
PORT = int(os.environ.get("BROKER_PORT", "1883"))
PL = struct.Struct("!Qd")  # seq, send time (monotonic seconds)


def connect_pkt(cid, user=None, pw=None, keepalive=60):
    flags = 0x02 | (0x80 if user is not None else 0) | (0x40 if pw is not None else 0)
    body = mstr("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + mstr(cid)
    if user is not None:
        body += mstr(user)
    if pw is not None:
        body += mstr(pw)
    return packet(0x10, body)


class Reader:
    """Whole MQTT packets from a socket."""

    def __init__(self, s):
        self.s, self.buf = s, bytearray()

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("broker closed the connection")
        self.buf += d

    def packets(self):
        while True:
            if len(self.buf) < 2:
                return
            n, mul, i = 0, 1, 1
            while True:
                if i >= len(self.buf):
                    return
                b = self.buf[i]
                n += (b & 0x7F) * mul
                mul *= 128
                i += 1
                if not b & 0x80:
                    break
            if len(self.buf) < i + n:
                return
            b0, body = self.buf[0], bytes(self.buf[i:i + n])
            del self.buf[:i + n]
            yield b0, body

    def expect(self, typ, timeout):
        end = time.monotonic() + timeout
        while True:
            for b0, body in self.packets():
                if b0 >> 4 == typ:
                    return body
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no packet type %d within %.1fs" % (typ, timeout))
            self.s.settimeout(left)
            self.fill()


def open_client(cid, user, pw, timeout=30, tls=None, port=None):
    s = socket.create_connection((HOST, port or PORT), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls:
        s = tls.wrap_socket(s, server_hostname=HOST)
    s.sendall(connect_pkt(cid, user, pw))
    r = Reader(s)
    body = r.expect(2, timeout)
    if body[1] != 0:
        raise RuntimeError("CONNACK %d for %s" % (body[1], cid))
    return s, r


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, int(len(v) * p / 100.0))], 3)


def summary(lat):
    return {"n": len(lat), "p50": pct(lat, 50), "p99": pct(lat, 99),
            "max": round(max(lat), 3) if lat else None}


def cmd_flow(a):
    if a.nice:
        try:  # the measuring client should not measure other load on a shared machine
            os.setpriority(os.PRIO_PROCESS, 0, a.nice)
        except OSError:
            pass
    sub, sr = open_client(a.id + "-sub", a.user, a.password)
    sub.sendall(packet(0x82, struct.pack("!H", 1) + mstr(a.topic) + bytes([a.qos])))
    sr.expect(9, 10)
    pub, pr = open_client(a.id + "-pub", a.user, a.password)
    for s in (sub, pub):
        s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(sub, selectors.EVENT_READ, "sub")
    sel.register(pub, selectors.EVENT_READ, "pub")
    period = 1.0 / a.rate
    t0 = time.monotonic()
    if a.ready_file:
        open(a.ready_file, "w").close()
    sent = {}  # seq -> send time
    got = {}   # seq -> latency ms
    dup = reordered = 0
    last = -1
    seq = 0
    pid = 0
    nxt = t0
    stop_at = t0 + a.duration
    until_seen = None
    outq = bytearray()

    def handle_sub():
        nonlocal dup, reordered, last
        now = time.monotonic()
        acks = bytearray()
        for b0, body in sr.packets():
            if b0 >> 4 != 3:
                continue
            tl = struct.unpack("!H", body[:2])[0]
            off = 2 + tl
            qos = (b0 >> 1) & 3
            if qos:
                acks += packet(0x40, body[off:off + 2])
                off += 2
            s_, ts = PL.unpack(body[off:off + PL.size])
            if s_ in got:
                dup += 1
                continue
            got[s_] = (now - ts) * 1000.0
            if s_ < last:
                reordered += 1
            last = max(last, s_)
        if acks:
            sub.send(bytes(acks))

    while True:
        now = time.monotonic()
        if a.until_file and until_seen is None and os.path.exists(a.until_file):
            until_seen = now
            stop_at = min(stop_at, now + a.tail)
        if now >= stop_at:
            break
        while now >= nxt:
            ts = time.monotonic()
            pl = PL.pack(seq, ts)
            if a.qos:
                pid = pid % 65535 + 1
                frame = packet(0x32, mstr(a.topic) + struct.pack("!H", pid) + pl)
            else:
                frame = packet(0x30, mstr(a.topic) + pl)
            sent[seq] = ts
            seq += 1
            outq += frame
            nxt += period
        if outq:
            try:
                n = pub.send(bytes(outq))
                del outq[:n]
            except BlockingIOError:
                pass
        for key, _ in sel.select(max(0.0, min(nxt, stop_at) - time.monotonic())):
            if key.data == "sub":
                sr.fill()
                handle_sub()
            else:
                pr.fill()  # PUBACKs: read and dropped
                pr.buf.clear()
    # stragglers
    end = time.monotonic() + 3
    while len(got) < len(sent) and time.monotonic() < end:
        for key, _ in sel.select(0.1):
            if key.data == "sub":
                sr.fill()
                handle_sub()
            else:
                pr.fill()
                pr.buf.clear()
    for s in (sub, pub):
        try:
            s.setblocking(True)
            s.sendall(b"\xe0\x00")
            s.close()
        except OSError:
            pass
    res = {"qos": a.qos, "rate": a.rate, "sent": len(sent), "received": len(got),
           "lost": len(sent) - len(got), "dup": dup, "reordered": reordered,
           "all": summary(list(got.values())), "t0": t0}
    if a.window_file and os.path.exists(a.window_file):
        with open(a.window_file) as f:
            w = json.load(f)
        lat = [got.get(s_, float("inf")) for s_, ts in sent.items()
               if w["start"] <= ts <= w["end"]]
        res["window"] = summary([x for x in lat if x != float("inf")])
        res["window"]["lost"] = sum(1 for x in lat if x == float("inf"))
    if a.lat:
        with open(a.lat, "w") as f:
            f.write("# seq send_s latency_ms (qos %d, %d msg/s)\n" % (a.qos, a.rate))
            for s_ in sorted(sent):
                lv = got.get(s_)
                f.write("%d %.6f %s\n" % (s_, sent[s_] - t0,
                                          "lost" if lv is None else "%.3f" % lv))
    out(a, res)


def cmd_storm(a):
    if a.nice:
        try:  # load from other devices: on the broker's machine only by accident of the test
            os.setpriority(os.PRIO_PROCESS, 0, a.nice)
        except OSError:
            pass
    tls = None
    if a.tls:
        tls = ssl.create_default_context(cafile=a.tls)
        tls.check_hostname = False  # the test CA's certificate names the broker's address
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "refused": 0, "errors": []}
    lat = []

    def worker(w):
        while True:
            with lock:
                i = state["next"]
                if i >= a.count:
                    return
                state["next"] += 1
            t = time.monotonic()
            try:
                s, _ = open_client("storm-%d-%d" % (w, i), a.user, a.password, timeout=60,
                                   tls=tls, port=a.port)
                s.sendall(b"\xe0\x00")
                s.close()
                with lock:
                    state["ok"] += 1
                    lat.append((time.monotonic() - t) * 1000.0)
            except (OSError, RuntimeError, EOFError, ssl.SSLError) as e:
                with lock:
                    state["refused"] += 1
                    if len(state["errors"]) < 5:
                        state["errors"].append(str(e))

    start = time.monotonic()
    ths = [threading.Thread(target=worker, args=(w,)) for w in range(a.parallel)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    end = time.monotonic()
    res = {"ok": state["ok"], "refused": state["refused"], "errors": state["errors"],
           "start": start, "end": end, "secs": round(end - start, 3), "connect": summary(lat)}
    out(a, res)


def cmd_stop(a):
    """SIGSTOP the broker for --secs; the window (CLOCK_MONOTONIC, the flows' clock) to --json."""
    t0 = time.monotonic()
    os.kill(a.pid, signal.SIGSTOP)
    time.sleep(a.secs)
    os.kill(a.pid, signal.SIGCONT)
    out(a, {"start": t0, "end": time.monotonic()})


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    f = sp.add_parser("flow")
    f.add_argument("--qos", type=int, default=0)
    f.add_argument("--rate", type=float, default=500)
    f.add_argument("--duration", type=float, default=10)
    f.add_argument("--until-file")
    f.add_argument("--tail", type=float, default=0.5)
    f.add_argument("--window-file")
    f.add_argument("--topic", default="stall/flow")
    f.add_argument("--id", default="stall")
    f.add_argument("--user")
    f.add_argument("--password")
    f.add_argument("--nice", type=int, default=0)
    f.add_argument("--ready-file")
    f.add_argument("--lat")
    f.add_argument("--json")
    s = sp.add_parser("storm")
    s.add_argument("--count", type=int, default=1500)
    s.add_argument("--parallel", type=int, default=64)
    s.add_argument("--user")
    s.add_argument("--password")
    s.add_argument("--nice", type=int, default=0)
    s.add_argument("--tls")
    s.add_argument("--port", type=int)
    s.add_argument("--json")
    t = sp.add_parser("stop")
    t.add_argument("--pid", type=int, required=True)
    t.add_argument("--secs", type=float, default=1.0)
    t.add_argument("--json")
    a = p.parse_args()
    {"flow": cmd_flow, "storm": cmd_storm, "stop": cmd_stop}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
