"""Retained-delivery helpers for t_retain_sub_sliced*.sh: store many retained messages, and read a
subscriber's PUBLISHes fast (mqttraw.Conn copies its buffer per packet: 20,000 packets would
cost the reader seconds, and the tests time the broker, not the reader)."""

import select
import time

from mqttraw import PINGRESP, Closed, check, client, pingreq, publish


def store_retained(n, prefix="r/", payload=b"old-%d"):
    """Publish n retained QoS 0 messages prefix<i> and wait until the broker has them all (a
    PINGRESP after them on the same connection)."""
    p, _ = client("retwalk-filler")
    for lo in range(0, n, 2000):
        p.send(b"".join(publish("%s%d" % (prefix, i), payload % i, retain=True)
                        for i in range(lo, min(n, lo + 2000))))
    p.send(pingreq())
    p.expect(PINGRESP, timeout=120)
    p.close()


def retained_bytes(n, prefix="r/", payload=b"old-%d"):
    """The bytes of the QoS 0 PUBLISHes store_retained(n) stores, as a subscriber gets them."""
    total = 0
    for i in range(n):
        rl = 2 + len("%s%d" % (prefix, i)) + len(payload % i)
        total += 1 + (1 if rl < 128 else 2) + rl
    return total


class Reader:
    """Packets from a Conn's socket, parsed in place: yields (type, flags, body)."""

    def __init__(self, conn):
        self.c = conn
        self.buf = bytearray(conn.buf)
        conn.buf = b""
        self.off = 0

    def _one(self):
        b, n = self.buf, len(self.buf)
        if n - self.off < 2:
            return None
        rl, mult, i = 0, 1, self.off + 1
        while True:
            if i >= n:
                return None
            x = b[i]
            rl += (x & 0x7F) * mult
            mult *= 128
            i += 1
            if not x & 0x80:
                break
        if n < i + rl:
            return None
        first = b[self.off]
        body = bytes(b[i:i + rl])
        self.off = i + rl
        return first >> 4, first & 0x0F, body

    def recv(self, timeout):
        """The next packet, or None after timeout seconds; raises Closed."""
        deadline = time.monotonic() + timeout
        while True:
            p = self._one()
            if p is not None:
                return p
            if self.off:
                del self.buf[:self.off]
                self.off = 0
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.c.sock], [], [], left)
            if not r:
                return None
            d = self.c.sock.recv(1 << 20)
            if not d:
                raise Closed()
            self.buf += d


    def pump(self):
        """One read of what the socket has (call when select says it is readable), then every
        whole packet buffered: a list of (type, flags, body). Raises Closed."""
        d = self.c.sock.recv(1 << 20)
        if not d:
            raise Closed()
        self.buf += d
        out = []
        while True:
            p = self._one()
            if p is None:
                break
            out.append(p)
        del self.buf[:self.off]
        self.off = 0
        return out


def pub_fields(flags, body):
    """(topic, payload, retain) of a QoS 0 PUBLISH body."""
    check(not (flags & 0x06), "expected QoS 0 deliveries, got flags 0x%x" % flags)
    tl = (body[0] << 8) | body[1]
    return body[2:2 + tl].decode(), body[2 + tl:], bool(flags & 1)
