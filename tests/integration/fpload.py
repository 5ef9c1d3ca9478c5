"""Load and checking clients for the kernel fast-path tests (t_fastpath_*.sh).

    fpload.py pub  --id N --topic T [--count N | --duration S] [--rate MSG/S] [--sizes small|mixed]
                   [--qos 0|1] [--mqtt 4|5] [--client-id X] [--json FILE]
    fpload.py sub  --client-id X --sub FILTER[:QOS] ... [--read-chunk B --read-pause-us U]
                   [--ping-ms MS] [--resub FILTER:MS] [--idle S] [--max-secs S] [--json FILE]
    fpload.py sys  [--json FILE]      the $SYS/broker/fastpath/... figures of a fresh cycle

Frames are checked one by one. A payload is self-describing: magic, publisher id, sequence
number, its own length, filler derived from the sequence, CRC-32 of all that. The subscriber
parses every MQTT packet it receives and fails on anything malformed or unexpected (a byte
stream where two writers interleaved), on a corrupt payload, on a sequence number that goes
backwards or repeats per (publisher, topic), on a QoS 1 message missing or out of order. QoS 0
gaps are counted, not failed (QoS 0 may be dropped for a slow subscriber).

The publisher writes whole frames per send() with MSG_EOR (TCP then never merges two writes
into one segment), at most about one MSS per write: every segment starts and ends on a frame
boundary, which is what the kernel fast path can relay. Frames larger than that are cut by
TCP and take the daemon's path.
"""

import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time
import zlib

from mqttraw import mstr, packet, varint

HOST = os.environ.get("BROKER_HOST", "127.0.0.1")
PORT = int(os.environ.get("BROKER_PORT", "1883"))
MAGIC = b"FPLD"
HDR = struct.Struct("<4sIQI")  # magic, pub id, seq, payload length
MIN_PAYLOAD = HDR.size + 4
CHUNK = 1400  # bytes per write: below the veth MSS (1448)
FILL = random.Random(7).randbytes(70000)


class Fail(Exception):
    pass


def log(*a):
    print("[%.3f]" % time.monotonic(), *a, file=sys.stderr, flush=True)


# ---- encoding ----

def props_bytes(props):
    return varint(len(props)) + props


def connect_pkt(cid, version=4, clean=True, keepalive=60, props=b""):
    name = b"MQIsdp" if version == 3 else b"MQTT"
    body = mstr(name) + bytes([version, 0x02 if clean else 0]) + struct.pack("!H", keepalive)
    if version == 5:
        body += props_bytes(props)
    return packet(0x10, body + mstr(cid))


def payload(pub_id, seq, size):
    size = max(size, MIN_PAYLOAD)
    off = seq % 4096
    body = HDR.pack(MAGIC, pub_id, seq, size) + FILL[off:off + size - MIN_PAYLOAD]
    return body + struct.pack("<I", zlib.crc32(body))


def check_payload(p):
    if len(p) < MIN_PAYLOAD:
        raise Fail("payload of %d bytes is too short" % len(p))
    magic, pub_id, seq, size = HDR.unpack_from(p)
    if magic != MAGIC or size != len(p):
        raise Fail("payload header corrupt: %r (len %d)" % (p[:HDR.size], len(p)))
    if struct.unpack_from("<I", p, len(p) - 4)[0] != zlib.crc32(memoryview(p)[:-4]):
        raise Fail("payload CRC mismatch (pub %d seq %d len %d)" % (pub_id, seq, size))
    return pub_id, seq


def publish_pkt(topic, pl, qos=0, pid=0, retain=False, version=4, props=b""):
    body = mstr(topic)
    if qos:
        body += struct.pack("!H", pid)
    if version == 5:
        body += props_bytes(props)
    return packet(0x30 | (qos << 1) | (1 if retain else 0), body + pl)


def subscribe_pkt(pid, filters, version=4, props=b""):
    body = struct.pack("!H", pid)
    if version == 5:
        body += props_bytes(props)
    for f, q in filters:
        body += mstr(f) + bytes([q])
    return packet(0x82, body)


def unsubscribe_pkt(pid, filters, version=4):
    body = struct.pack("!H", pid)
    if version == 5:
        body += props_bytes(b"")
    for f in filters:
        body += mstr(f)
    return packet(0xA2, body)


# ---- a connection that parses what it reads ----

class Conn:
    def __init__(self, cid, version=4, clean=True, keepalive=60, props=b"", timeout=10):
        self.version = version
        self.s = socket.create_connection((HOST, PORT), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.q = []
        self.send(connect_pkt(cid, version, clean, keepalive, props))
        t, body = self.next_packet(timeout)
        if t >> 4 != 2 or body[1] != 0:
            raise Fail("CONNACK expected, got type %d body %r" % (t >> 4, bytes(body)))
        self.s.setblocking(False)

    def send(self, data, flags=0):
        mv = memoryview(data)
        while mv:
            try:
                n = self.s.send(mv, flags)
            except (BlockingIOError, InterruptedError):
                select.select([], [self.s], [], 5)
                continue
            mv = mv[n:]

    def fill(self, maxlen=65536):
        """Read once; returns bytes read (0: EOF raises)."""
        try:
            d = self.s.recv(maxlen)
        except (BlockingIOError, InterruptedError):
            return -1
        if not d:
            raise Fail("connection closed by the broker")
        self.buf += d
        return len(d)

    def packets(self):
        """Complete packets: those set aside by next_packet(), then the buffer's, as
        (first byte, body bytes)."""
        buf, off, n = self.buf, 0, len(self.buf)
        out, self.q = self.q, []
        while n - off >= 2:
            rl, shift, i, complete = 0, 0, off + 1, False
            while i < n:
                b = buf[i]
                i += 1
                rl |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    complete = True
                    break
                if i - off > 4:
                    raise Fail("malformed remaining length at offset %d" % off)
            if not complete or n - i < rl:
                break
            out.append((buf[off], bytes(buf[i:i + rl])))
            off = i + rl
        del buf[:off]
        return out

    def next_packet(self, timeout=10):
        end = time.monotonic() + timeout
        while True:
            p = self.packets()
            if p:
                self.q = p[1:]
                return p[0]
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("no packet within %.1fs" % timeout)
            select.select([self.s], [], [], left)
            self.fill()


def parse_publish(b0, body, version):
    qos = (b0 >> 1) & 3
    tl = struct.unpack_from("!H", body)[0]
    topic = body[2:2 + tl].decode()
    off = 2 + tl
    pid = 0
    if qos:
        pid = struct.unpack_from("!H", body, off)[0]
        off += 2
    props = b""
    if version == 5:
        pl, mul, i = 0, 1, off
        while True:
            b = body[i]
            pl += (b & 0x7F) * mul
            mul <<= 7
            i += 1
            if not b & 0x80:
                break
        props = body[i:i + pl]
        off = i + pl
    return topic, qos, bool(b0 & 1), bool(b0 & 8), pid, props, body[off:]


# ---- pub ----

def sizes_gen(kind, rng):
    if kind == "small":
        while True:
            yield rng.randint(MIN_PAYLOAD, 100)
    while True:  # mixed: mostly under 256 B, some up to 64 KiB
        r = rng.random()
        if r < 0.97:
            yield rng.randint(MIN_PAYLOAD, 230)
        elif r < 0.995:
            yield rng.randint(256, 4096)
        else:
            yield rng.randint(4096, 65000)


def cmd_pub(a):
    c = Conn(a.client_id or "fpload-pub-%d" % a.id, version=a.mqtt)
    rng = random.Random(a.id * 7919 + 1)
    sizes = sizes_gen(a.sizes, rng)
    t0 = time.monotonic()
    end = t0 + a.duration if a.duration else None
    seq = 0
    chunk = bytearray()
    pid = 0
    inflight = set()
    acked = 0
    stop_file = a.stop_file
    pattern = [(float(r), float(t)) for r, t in (x.split(":") for x in a.rate_pattern.split(","))] \
        if a.rate_pattern else None
    cycle = sum(t for _, t in pattern) if pattern else 0
    due = t0

    def flush():
        if chunk:
            c.send(chunk, socket.MSG_EOR)
            chunk.clear()

    def read_acks(block):
        nonlocal acked
        if block:
            select.select([c.s], [], [], 5)
        while c.fill() > 0:
            pass
        for b0, body in c.packets():
            if b0 >> 4 == 4:
                inflight.discard(struct.unpack_from("!H", body)[0])
                acked += 1
            elif b0 >> 4 == 13:
                pass
            else:
                raise Fail("publisher got packet type %d" % (b0 >> 4))

    while True:
        if a.count and seq >= a.count:
            break
        if end and seq % 64 == 0 and time.monotonic() >= end:
            break
        if stop_file and seq % 256 == 0 and os.path.exists(stop_file):
            break
        if pattern:
            # piecewise rates, cycled: the rate of the phase we are in spaces the next one
            now = time.monotonic()
            ph = (now - t0) % cycle
            for r, secs in pattern:
                if ph < secs:
                    break
                ph -= secs
            due = max(due, now - 0.05) + 1.0 / r
            if due > now:
                flush()
                time.sleep(due - now)
        elif a.rate:
            due = t0 + seq / a.rate
            now = time.monotonic()
            if due > now:
                flush()
                time.sleep(due - now)
        pl = payload(a.id, seq, next(sizes))
        if a.qos:
            while len(inflight) >= a.window:
                flush()
                read_acks(True)
            pid = pid % 65535 + 1
            inflight.add(pid)
            frame = publish_pkt(a.topic, pl, 1, pid, retain=a.retain, version=a.mqtt)
        else:
            frame = publish_pkt(a.topic, pl, retain=a.retain, version=a.mqtt)
        if len(chunk) + len(frame) > CHUNK:
            flush()
        chunk += frame
        if len(frame) > CHUNK:
            flush()
        seq += 1
        if a.qos and seq % 16 == 0:
            read_acks(False)
    flush()
    while a.qos and inflight:
        read_acks(True)
    dt = time.monotonic() - t0
    res = {"id": a.id, "topic": a.topic, "sent": seq, "secs": round(dt, 3), "acked": acked}
    log("pub %d: %d messages on %s in %.2fs (%.0f/s)" % (a.id, seq, a.topic, dt, seq / max(dt, 1e-9)))
    if a.linger:
        time.sleep(a.linger)
    c.send(packet(0xE0, b""))
    c.s.close()
    out(a, res)


# ---- sub ----

def cmd_sub(a):
    ver = a.mqtt
    props = b""
    if a.max_packet:
        props += bytes([0x27]) + struct.pack("!I", a.max_packet)
    c = Conn(a.client_id, version=ver, clean=not a.persistent, props=props)
    subs = []
    for s in a.sub:
        f, _, q = s.partition(":")
        subs.append((f, int(q or 0)))
    c.send(subscribe_pkt(1, subs, ver))
    ready = a.ready_file
    last = {}      # (pub id, topic) -> last seq
    gaps = {}      # (pub id, topic) -> messages missing (QoS 0)
    count = {}     # (pub id, topic) -> received
    q1_next = {}   # (pub id, topic) -> next expected seq at QoS 1
    first = {}     # (pub id, topic) -> first seq received
    st = {"packets": 0, "publish": 0, "bytes": 0, "pingreq": 0, "pingresp": 0, "suback": 0,
          "subscribe": 1, "unsuback": 0, "retained_on_subscribe": 0, "retain_flags": 0,
          "dup": 0, "max_frame": 0}
    resub = None
    if a.resub:
        f, _, ms = a.resub.rpartition(":")
        resub = (f, int(ms) / 1000.0)
    next_ping = time.monotonic() + a.ping_ms / 1000.0 if a.ping_ms else None
    next_resub = time.monotonic() + resub[1] if resub else None
    resub_state = 0
    t0 = time.monotonic()
    last_rx = t0
    pid_out = 1

    def handle(b0, body):
        nonlocal resub_state
        t = b0 >> 4
        st["packets"] += 1
        if t == 3:
            topic, qos, retain, dup, pid, props, pl = parse_publish(b0, body, ver)
            pub_id, seq = check_payload(pl)
            size = 1 + len(varint(len(body))) + len(body)
            st["max_frame"] = max(st["max_frame"], size)
            if a.max_packet and size > a.max_packet:
                raise Fail("a %d-byte PUBLISH exceeds the Maximum Packet Size %d" % (size, a.max_packet))
            st["publish"] += 1
            st["bytes"] += len(pl)
            if retain:
                st["retain_flags"] += 1
            if qos:
                c.send(packet(0x40, struct.pack("!H", pid) + (b"\x00" if ver == 5 else b"")))
            if retain and resub and topic_matches(resub[0], topic):
                st["retained_on_subscribe"] += 1
                return  # the retained message itself: same seq each time
            k = (pub_id, topic)
            count[k] = count.get(k, 0) + 1
            first.setdefault(k, seq)
            if qos:
                exp = q1_next.get(k, 0)
                if seq != exp:
                    raise Fail("QoS 1 from pub %d on %s: got seq %d, expected %d" % (pub_id, topic, seq, exp))
                q1_next[k] = seq + 1
            prev = last.get(k)
            if prev is not None and seq <= prev:
                raise Fail("out of order from pub %d on %s: seq %d after %d" % (pub_id, topic, seq, prev))
            if prev is not None and seq > prev + 1:
                gaps[k] = gaps.get(k, 0) + seq - prev - 1
            elif prev is None and seq and not qos:
                gaps[k] = gaps.get(k, 0) + seq  # QoS 0 from before we subscribed, or dropped
            last[k] = seq
        elif t == 13:
            if len(body):
                raise Fail("PINGRESP with a body")
            st["pingresp"] += 1
        elif t == 9:
            st["suback"] += 1
            if st["suback"] == 1:
                # our own SUBSCRIBE (a persistent session may deliver before it)
                if ready:
                    open(ready, "w").close()
            else:
                resub_state = 2
        elif t == 11:
            st["unsuback"] += 1
            resub_state = 0
        else:
            raise Fail("unexpected packet type %d (%r)" % (t, bytes(body[:16])))

    deadline = time.monotonic() + 10
    while not st["suback"]:
        if time.monotonic() > deadline:
            raise Fail("no SUBACK within 10s")
        select.select([c.s], [], [], 0.5)
        c.fill()
        for b0, body in c.packets():
            handle(b0, body)
    while True:
        now = time.monotonic()
        if a.max_secs and now - t0 > a.max_secs:
            break
        if a.idle and now - last_rx > a.idle and (not a.until_file or os.path.exists(a.until_file)):
            break
        if next_ping and now >= next_ping:
            c.send(packet(0xC0, b""))
            st["pingreq"] += 1
            next_ping = now + a.ping_ms / 1000.0
        if next_resub and a.until_file and os.path.exists(a.until_file):
            next_resub = None
        if next_resub and now >= next_resub:
            # alternate: SUBSCRIBE (SUBACK + the retained message) and UNSUBSCRIBE
            if resub_state == 0:
                c.send(subscribe_pkt(pid_out, [(resub[0], 1)], ver))
                st["subscribe"] += 1
                resub_state = 1
            elif resub_state == 2:
                c.send(unsubscribe_pkt(pid_out, [resub[0]], ver))
                resub_state = 3
            pid_out = pid_out % 65535 + 1
            next_resub = now + resub[1]
        r, _, _ = select.select([c.s], [], [], 0.01)
        if not r:
            continue
        c.fill(a.read_chunk)
        for b0, body in c.packets():
            if b0 >> 4 == 3 and not (b0 & 1 and resub):
                last_rx = time.monotonic()
            handle(b0, body)
        if a.read_pause_us:
            time.sleep(a.read_pause_us / 1e6)
    # answer the last PINGREQs
    deadline = time.monotonic() + 3
    while st["pingresp"] < st["pingreq"] and time.monotonic() < deadline:
        select.select([c.s], [], [], 0.1)
        if c.fill() > 0:
            for b0, body in c.packets():
                handle(b0, body)
    if st["pingresp"] != st["pingreq"]:
        raise Fail("PINGREQ %d, PINGRESP %d" % (st["pingreq"], st["pingresp"]))
    if st["suback"] != st["subscribe"]:
        raise Fail("SUBSCRIBE %d, SUBACK %d" % (st["subscribe"], st["suback"]))
    st["flows"] = {"%d %s" % k: {"received": v, "first": first[k], "last": last[k],
                                  "gaps": gaps.get(k, 0)} for k, v in count.items()}
    st["secs"] = round(time.monotonic() - t0, 3)
    log("sub %s: %d packets, %d PUBLISH, flows %s" % (a.client_id, st["packets"], st["publish"], st["flows"]))
    c.s.close()
    out(a, st)


def topic_matches(f, t):
    fl, tl = f.split("/"), t.split("/")
    for i, x in enumerate(fl):
        if x == "#":
            return True
        if i >= len(tl) or (x != "+" and x != tl[i]):
            return False
    return len(fl) == len(tl)


# ---- sys ----

def sys_cycle(timeout=8):
    """The figures of one complete $SYS publication that started after we subscribed."""
    c = Conn("fpload-sys-%d" % os.getpid())
    c.send(subscribe_pkt(1, [("$SYS/broker/#", 0)]))
    end = time.monotonic() + timeout
    cur, started = {}, False
    while time.monotonic() < end:
        select.select([c.s], [], [], 0.2)
        if c.fill() <= 0:
            continue
        for b0, body in c.packets():
            if b0 >> 4 != 3:
                continue
            topic, qos, retain, dup, pid, props, pl = parse_publish(b0, body, 4)
            if retain:
                continue  # the store's copy, from before we subscribed
            if topic == "$SYS/broker/version":
                started, cur = True, {}
            if not started:
                continue
            cur[topic[len("$SYS/broker/"):]] = pl.decode()
            if topic == "$SYS/broker/retained messages/count":
                c.s.close()
                return cur
    raise Fail("no complete $SYS cycle within %ds" % timeout)


def cmd_sys(a):
    v = sys_cycle()
    res = {k: (int(x) if x.lstrip("-").isdigit() else x) for k, x in v.items()}
    out(a, res)


def out(a, res):
    s = json.dumps(res, sort_keys=True)
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            f.write(s + "\n")
        os.rename(a.json + ".tmp", a.json)
    else:
        print(s)


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("pub")
    p.add_argument("--id", type=int, default=1)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--duration", type=float, default=0)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--rate-pattern", help="RATE:SECS,... cycled (bursts)")
    p.add_argument("--sizes", default="small")
    p.add_argument("--qos", type=int, default=0)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--mqtt", type=int, default=4)
    p.add_argument("--client-id")
    p.add_argument("--retain", action="store_true")
    p.add_argument("--linger", type=float, default=0)
    p.add_argument("--stop-file")
    p.add_argument("--json")
    s = sp.add_parser("sub")
    s.add_argument("--client-id", required=True)
    s.add_argument("--sub", action="append", required=True)
    s.add_argument("--mqtt", type=int, default=4)
    s.add_argument("--persistent", action="store_true")
    s.add_argument("--max-packet", type=int, default=0)
    s.add_argument("--read-chunk", type=int, default=65536)
    s.add_argument("--read-pause-us", type=int, default=0)
    s.add_argument("--ping-ms", type=int, default=0)
    s.add_argument("--resub")
    s.add_argument("--idle", type=float, default=2.0)
    s.add_argument("--until-file")
    s.add_argument("--max-secs", type=float, default=0)
    s.add_argument("--ready-file")
    s.add_argument("--json")
    y = sp.add_parser("sys")
    y.add_argument("--json")
    a = ap.parse_args()
    try:
        {"pub": cmd_pub, "sub": cmd_sub, "sys": cmd_sys}[a.cmd](a)
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
