"""Hand-built MQTT 3.1/3.1.1 packets over a raw TCP socket, for the protocol-violation tests.

Nothing here is clever on purpose: every packet is the bytes the spec describes, built by a small
function, so a test can send exactly the (mal)formed bytes it needs and assert what the broker does.

    from mqttraw import *
    c = Conn()                         # BROKER_HOST / BROKER_PORT from the environment
    c.send(connect(client_id="x", clean=False, keepalive=2))
    p = c.expect(CONNACK)              # fails the test if anything else (or nothing) arrives
    c.assert_closed(within=3)          # the broker must close the socket within 3 s

Every wait is bounded; a failed expectation raises TestFailure with a readable message and the
test script exits non-zero (see main()).
"""

import os
import select
import socket
import struct
import sys
import time

HOST = os.environ.get("BROKER_HOST", "127.0.0.1")
PORT = int(os.environ.get("BROKER_PORT", "1883"))

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

NAMES = {
    CONNECT: "CONNECT", CONNACK: "CONNACK", PUBLISH: "PUBLISH", PUBACK: "PUBACK",
    PUBREC: "PUBREC", PUBREL: "PUBREL", PUBCOMP: "PUBCOMP", SUBSCRIBE: "SUBSCRIBE",
    SUBACK: "SUBACK", UNSUBSCRIBE: "UNSUBSCRIBE", UNSUBACK: "UNSUBACK", PINGREQ: "PINGREQ",
    PINGRESP: "PINGRESP", DISCONNECT: "DISCONNECT",
}


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def check_eq(expected, actual, what):
    if expected != actual:
        raise TestFailure("%s: expected %r, got %r" % (what, expected, actual))


def log(*args):
    print("[%.3f]" % time.monotonic(), *args, file=sys.stderr, flush=True)


def time_left(seconds):
    """The time left of `seconds` from now, each time the loop asks, until it runs out: for
    loops that gather whatever arrives within a window (`for left in time_left(2): ...`)."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        yield left


# ---- encoding ----

def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def mstr(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


def packet(first_byte, body=b""):
    return bytes([first_byte]) + varint(len(body)) + body


def connect(client_id="", clean=True, keepalive=60, proto_name="MQTT", proto_level=4,
            will=None, username=None, password=None, flags=None, extra=b"", props_block=b"",
            will_props_block=b""):
    """CONNECT. will = (topic, payload, qos, retain). flags overrides the computed flags byte
    (for the malformed cases); extra is appended to the payload. The *_block arguments are
    5.0 property blocks, put in place as they are (mqtt5raw.connect5 builds them)."""
    f = 0
    payload = mstr(client_id)
    if clean:
        f |= 0x02
    if will is not None:
        wt, wp, wq, wr = will
        f |= 0x04 | (wq << 3) | (0x20 if wr else 0)
        payload += will_props_block + mstr(wt) + mstr(wp)
    if username is not None:
        f |= 0x80
        payload += mstr(username)
    if password is not None:
        f |= 0x40
        payload += mstr(password)
    if flags is not None:
        f = flags
    body = mstr(proto_name) + bytes([proto_level, f]) + struct.pack("!H", keepalive)
    return packet(0x10, body + props_block + payload + extra)


def connect31(client_id, **kw):
    """MQTT 3.1: protocol name MQIsdp, level 3."""
    return connect(client_id, proto_name="MQIsdp", proto_level=3, **kw)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, pid=None, props_block=b""):
    """PUBLISH; props_block: a 5.0 property block put before the payload (mqtt5raw.publish5)."""
    if isinstance(payload, str):
        payload = payload.encode()
    fb = 0x30 | (qos << 1) | (0x01 if retain else 0) | (0x08 if dup else 0)
    body = mstr(topic)
    if qos:
        check(pid is not None, "publish: QoS > 0 needs a packet id")
        body += struct.pack("!H", pid)
    return packet(fb, body + props_block + payload)


def puback(pid):
    return packet(0x40, struct.pack("!H", pid))


def pubrec(pid):
    return packet(0x50, struct.pack("!H", pid))


def pubrel(pid, dup=False):
    return packet(0x62 | (0x08 if dup else 0), struct.pack("!H", pid))


def pubcomp(pid):
    return packet(0x70, struct.pack("!H", pid))


def subscribe(pid, filters):
    """filters: [(filter, qos)]"""
    body = struct.pack("!H", pid)
    for flt, q in filters:
        body += mstr(flt) + bytes([q])
    return packet(0x82, body)


def unsubscribe(pid, filters):
    body = struct.pack("!H", pid)
    for flt in filters:
        body += mstr(flt)
    return packet(0xA2, body)


def pingreq():
    return b"\xc0\x00"


def disconnect():
    return b"\xe0\x00"


# ---- decoding ----

class Packet:
    def __init__(self, first, body):
        self.first = first
        self.type = first >> 4
        self.flags = first & 0x0F
        self.body = body

    @property
    def name(self):
        return NAMES.get(self.type, "type%d" % self.type)

    def __repr__(self):
        return "<%s flags=0x%x body=%s>" % (self.name, self.flags, self.body[:40].hex())

    # CONNACK -> (session_present, return_code)
    def connack(self):
        check_eq(CONNACK, self.type, "packet type")
        check_eq(2, len(self.body), "CONNACK remaining length")
        return bool(self.body[0] & 1), self.body[1]

    # PUBLISH -> dict(topic, payload, qos, retain, dup, pid)
    def publish(self):
        check_eq(PUBLISH, self.type, "packet type")
        tl = struct.unpack("!H", self.body[:2])[0]
        topic = self.body[2:2 + tl].decode()
        qos = (self.flags >> 1) & 3
        off = 2 + tl
        pid = None
        if qos:
            pid = struct.unpack("!H", self.body[off:off + 2])[0]
            off += 2
        return {"topic": topic, "payload": self.body[off:], "qos": qos,
                "retain": bool(self.flags & 1), "dup": bool(self.flags & 8), "pid": pid}

    # PUBACK/PUBREC/PUBREL/PUBCOMP/UNSUBACK -> packet id
    def pid(self):
        check(len(self.body) >= 2, "%s too short" % self.name)
        return struct.unpack("!H", self.body[:2])[0]

    # SUBACK -> (pid, [codes])
    def suback(self):
        check_eq(SUBACK, self.type, "packet type")
        return struct.unpack("!H", self.body[:2])[0], list(self.body[2:])


class Closed(Exception):
    pass


class Conn:
    """One TCP connection to the broker with a byte buffer and bounded reads."""

    def __init__(self, host=None, port=None, timeout=5.0):
        self.host = host or HOST
        self.port = port or PORT
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Read more bytes. Returns False on timeout; raises Closed on EOF/reset."""
        if self.eof:
            raise Closed()
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            raise Closed()
        self.buf += data
        return True

    def _parse(self):
        """One complete packet from the buffer, or None."""
        if len(self.buf) < 2:
            return None
        n, mult, i = 0, 1, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
            check(i < 5, "malformed remaining length from broker")
        if len(self.buf) < i + n:
            return None
        p = Packet(self.buf[0], self.buf[i:i + n])
        self.buf = self.buf[i + n:]
        return p

    def recv(self, timeout=5.0):
        """Next packet, or None on timeout. Raises Closed if the broker closed the socket."""
        deadline = time.monotonic() + timeout
        while True:
            p = self._parse()
            if p is not None:
                return p
            if not self._fill(deadline):
                return None

    def expect(self, ptype, timeout=5.0):
        try:
            p = self.recv(timeout)
        except Closed:
            raise TestFailure("expected %s, but the broker closed the connection" % NAMES[ptype])
        check(p is not None, "expected %s within %.1fs, got nothing" % (NAMES[ptype], timeout))
        check(p.type == ptype, "expected %s, got %r" % (NAMES[ptype], p))
        return p

    def expect_nothing(self, seconds):
        """No packet for `seconds` and the connection stays open."""
        try:
            p = self.recv(seconds)
        except Closed:
            raise TestFailure("expected silence, but the broker closed the connection")
        check(p is None, "expected no packet for %.1fs, got %r" % (seconds, p))

    def wait_closed(self, within):
        """Seconds until the broker closed the socket, and the packets it sent before that.
        Fails if it is still open after `within` seconds."""
        t0 = time.monotonic()
        deadline = t0 + within
        got = []
        try:
            while True:
                p = self._parse()
                if p is not None:
                    got.append(p)
                    continue
                if not self._fill(deadline):
                    raise TestFailure("connection still open after %.1fs (received %r)"
                                      % (within, got))
        except Closed:
            self.closed_at = time.monotonic()
            return self.closed_at - t0, got

    def assert_closed(self, within=3.0, allow=()):
        """The broker closes the connection within `within` s, sending no packet before that
        other than ones whose type is in `allow`. Returns the packets received."""
        _, got = self.wait_closed(within)
        for p in got:
            check(p.type in allow, "unexpected %r before the close" % p)
        return got

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Close with RST-free plain close, no DISCONNECT: an 'abnormal' close for the broker."""
        self.close()


def client(client_id, clean=True, keepalive=60, will=None, proto_level=4, expect_present=None,
           host=None, port=None, **kw):
    """Connect, require CONNACK 0, return (conn, session_present)."""
    c = Conn(host, port)
    name = "MQIsdp" if proto_level == 3 else "MQTT"
    c.t_sent = time.monotonic()  # the broker got CONNECT after this...
    c.send(connect(client_id, clean=clean, keepalive=keepalive, will=will,
                   proto_name=name, proto_level=proto_level, **kw))
    sp, rc = c.expect(CONNACK).connack()
    c.t_connack = time.monotonic()  # ...and before this
    check_eq(0, rc, "CONNACK return code for %r" % client_id)
    if expect_present is not None:
        check_eq(expect_present, sp, "session present for %r" % client_id)
    return c, sp


def subscribe_ok(c, filters, pid=1):
    """SUBSCRIBE and check SUBACK echoes pid; returns granted codes."""
    c.send(subscribe(pid, filters))
    spid, codes = c.expect(SUBACK).suback()
    check_eq(pid, spid, "SUBACK packet id")
    return codes


def subscriber(client_id, filters, sub_pid=1, **connect):
    """client (keyword arguments go to it) then subscribe_ok; returns the conn."""
    c, _ = client(client_id, **connect)
    subscribe_ok(c, filters, pid=sub_pid)
    return c


def main(fn):
    """Run fn(); exit 1 with a readable message on TestFailure."""
    try:
        fn()
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)


def assert_broker_serves(client_id="health-check"):
    """A fresh client can still connect and get a PINGRESP: the broker survived what the test did."""
    c, _ = client(client_id)
    c.send(pingreq())
    c.expect(PINGRESP)
    c.send(disconnect())
    c.close()


class PahoBase:
    """What the paho wrappers share (mqttc.Client for 3.1.1, mqtt5raw.Paho5 for 5.0): paho's
    network thread hands messages to a queue the test reads with bounded waits. A subclass sets
    self.id, calls _paho_init(paho client) in its __init__ and has the _on_* callbacks."""

    def _paho_init(self, c):
        import queue
        import threading
        self._queue = queue
        self.c = c
        c.max_inflight_messages_set(100)
        c.max_queued_messages_set(0)
        self.msgs = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.subacks = {}
        self.cv = threading.Condition()
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_unsubscribe = self._on_unsubscribe

    def get(self, timeout=5.0):
        """The next message, or fail."""
        try:
            return self.msgs.get(timeout=timeout)
        except self._queue.Empty:
            raise TestFailure("%s: no message within %.1fs" % (self.id, timeout))

    def collect(self, seconds):
        """Every message that arrives within `seconds`."""
        out = []
        for left in time_left(seconds):
            try:
                out.append(self.msgs.get(timeout=left))
            except self._queue.Empty:
                break
        return out

    def drain(self):
        """Every message already received, without waiting."""
        out = []
        while True:
            try:
                out.append(self.msgs.get_nowait())
            except self._queue.Empty:
                return out

    def expect_none(self, seconds):
        got = self.collect(seconds)
        check(not got, "%s: expected no message within %.1fs, got %r" % (self.id, seconds, got))

    def drop(self):
        """Close the socket without DISCONNECT (the broker publishes the will)."""
        self.c.loop_stop()
        sock = self.c.socket()
        if sock is not None:
            sock.close()
