"""Load generator and checker for the durable-store tests (t_store_*.sh).

Raw sockets (mqttraw / mqtt5raw builders), so that every acknowledgement is seen exactly as the
broker sent it: a publisher records a message as acknowledged only when its PUBACK (QoS 1) or
PUBREC (QoS 2) arrived with a success code; a subscriber records every PUBLISH it receives,
marking which ones are new deliveries to the application (a QoS 2 PUBLISH whose packet id is
still awaiting PUBREL is a duplicate of the protocol, not a new delivery [MQTT-4.3.3]).

Both roles survive broker restarts: on a lost connection they reconnect (persistent session:
3.1.1 clean=0, or 5.0 with a Session Expiry), the publisher resends what was not acknowledged
(DUP, same packet id) and the PUBRELs of what was PUBRECed, as a client must [MQTT-4.4.0-1]; the
subscriber keeps its QoS 2 state across connections. They stop when the stop file exists (the
publisher then finishes what is in flight; the subscriber waits until it has been idle --idle
seconds, or with --expect until it has received every message those files say was acknowledged,
read when it sees the stop file: the publishers must be done by then) or at --deadline.

    storeload.py pub --id P --topic load/p --acked FILE [--v 5] [--rate 300] [--window 10]
                     [--qos 1,2] [--size 16] [--stop FILE] [--deadline 120] [--count N]
    storeload.py sub --id S --filter 'load/#' --out FILE [--v 5] [--subscribe-only]
                     [--stop FILE] [--idle 2] [--expect ACKED...] [--deadline 120]
    storeload.py check --acked A... --deliveries D... [--offline D...]

Files: acked lines "PAYLOAD QOS RC"; deliveries "PAYLOAD QOS DUP NEW TOPIC PID" (NEW 1 =
delivered to the application), and "CONNECT N PRESENT 0 - 0" at each connection. Every line is flushed when written, so a SIGKILL of the broker never
loses what the client recorded.
"""

import argparse
import os
import random
import socket
import sys
import time

from mqtt5raw import (CONNACK, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SESSION_EXPIRY, SUBACK,
                      Closed, Conn, ack5, connack5, connect5, disconnect5, publish5, publish_of,
                      subscribe5)
import mqttraw


def now():
    return time.monotonic()


class Trace:
    """--trace FILE (debugging a stall): one line per event, wall-clock time first, so that
    the clients' timelines line up with the broker's log and the test's snapshots."""

    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else None

    def __call__(self, fmt, *args):
        if self.f:
            self.f.write("%.3f %s\n" % (time.time(), fmt % args))


class Client:
    """One logical MQTT client (a persistent session) over successive TCP connections."""

    def __init__(self, cid, version, deadline, clean_first=True):
        self.cid, self.v5, self.deadline = cid, version == 5, deadline
        self.clean_next = clean_first
        self.conn = None
        self.present = None
        self.connects = 0

    def connect(self):
        """Connect (retrying while the broker is down). Returns False past the deadline."""
        while now() < self.deadline:
            try:
                c = Conn(timeout=2.0)
                if self.v5:
                    c.send(connect5(self.cid, clean=self.clean_next, keepalive=30,
                                    props=[(SESSION_EXPIRY, 3600)]))
                    p = c.recv(3.0)
                    if p is None or p.type != CONNACK:
                        raise Closed()
                    a = connack5(p)
                    rc, present = a["rc"], a["sp"]
                else:
                    # 3.1.1: clean=1 would end the session with the connection
                    c.send(mqttraw.connect(self.cid, clean=False, keepalive=30))
                    p = c.recv(3.0)
                    if p is None or p.type != CONNACK:
                        raise Closed()
                    present, rc = p.connack()
                if rc != 0:
                    c.close()
                    time.sleep(0.1)
                    continue
                self.conn, self.present = c, present
                self.clean_next = False
                self.connects += 1
                return True
            except (OSError, Closed):
                time.sleep(0.05)
        return False

    def close(self):
        """DISCONNECT (a normal end: no will) and close."""
        if self.conn:
            try:
                self.send(disconnect5() if self.v5 else mqttraw.disconnect())
            except Closed:
                pass
        self.drop()

    def drop(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def send(self, data):
        try:
            self.conn.send(data)
        except OSError:
            raise Closed()

    def recv(self, timeout):
        return self.conn.recv(timeout)

    def publish(self, topic, payload, qos, pid, dup=False, retain=False):
        if self.v5:
            return publish5(topic, payload, qos=qos, pid=pid, dup=dup, retain=retain)
        return mqttraw.publish(topic, payload, qos=qos, pid=pid, dup=dup, retain=retain)

    def ack(self, ptype, pid):
        if self.v5:
            return ack5(ptype, pid)
        return {PUBACK: mqttraw.puback, PUBREC: mqttraw.pubrec, PUBREL: mqttraw.pubrel,
                PUBCOMP: mqttraw.pubcomp}[ptype](pid)


def ack_rc(c, p):
    """Reason code of an acknowledgement (3.1.1: always 0)."""
    return p.body[2] if c.v5 and len(p.body) > 2 else 0


def run_pub(a):
    deadline = now() + a.deadline
    c = Client(a.id, a.v, deadline)
    qoss = [int(q) for q in a.qos.split(",")]
    out = open(a.acked, "a", buffering=1)
    tr = Trace(a.trace)
    pending = {}  # pid -> [payload, qos, state]  state: "pub" sent, "rel" PUBREC received
    seq, next_pid, refused = 0, 1, 0
    interval = 1.0 / a.rate if a.rate else 0
    next_send = now()
    stopping = False
    while now() < deadline:
        if c.conn is None:
            if not c.connect():
                break
            tr("CONNECT %d present %d pending %d", c.connects, int(bool(c.present)),
               len(pending))
            if c.connects > 1 and not c.present:
                mqttraw.log("%s: session not present after reconnecting (%d unfinished)"
                            % (a.id, len(pending)))
            # resend in packet id order what the last connection left unfinished
            try:
                for pid in sorted(pending):
                    pl, q, st = pending[pid]
                    if st == "rel":
                        c.send(c.ack(PUBREL, pid))
                    else:
                        c.send(c.publish(a.topic, pl, q, pid, dup=True))
            except Closed:
                c.drop()
                continue
        stopping = stopping or (a.stop and os.path.exists(a.stop)) or (a.count and seq >= a.count)
        if stopping and not pending:
            tr("DONE %d published", seq)
            break
        try:
            if not stopping and len(pending) < a.window and now() >= next_send:
                seq += 1
                q = random.choice(qoss)
                pl = "%s:%d:%d:" % (a.id, q, seq)
                pl += "x" * max(0, a.size - len(pl))
                while next_pid in pending:
                    next_pid = next_pid % 65535 + 1
                pid = next_pid
                next_pid = next_pid % 65535 + 1
                pending[pid] = [pl, q, "pub"]
                next_send = max(next_send + interval, now() - 1.0)
                c.send(c.publish(a.topic, pl, q, pid))
                continue
            wait = 0.2
            if not stopping and len(pending) < a.window:
                wait = max(0.0, min(wait, next_send - now()))
            p = c.recv(wait)
            if p is None:
                continue
            if p.type in (PUBACK, PUBREC, PUBCOMP):
                pid = p.pid()
                e = pending.get(pid)
                if e is None:
                    continue
                rc = ack_rc(c, p)
                tr("ACK %d pid %d %s", p.type, pid, key(e[0]))
                if p.type == PUBCOMP:
                    if e[2] == "rel":
                        del pending[pid]
                    continue
                out.write("%s %d %d\n" % (key(e[0]), e[1], rc))
                if rc >= 0x80:
                    refused += 1
                    del pending[pid]
                elif p.type == PUBACK:
                    del pending[pid]
                else:
                    e[2] = "rel"
                    c.send(c.ack(PUBREL, pid))
            elif p.type == PUBLISH:
                pass  # not subscribed: nothing is expected
        except Closed:
            tr("CLOSED")
            c.drop()
    c.close()
    mqttraw.log("%s: %d published, %d unfinished, %d refused, %d connections"
                % (a.id, seq, len(pending), refused, c.connects))
    return 0


def key(payload):
    """The message's identity: the payload up to its last ':' (the rest is padding)."""
    s = payload.decode(errors="replace") if isinstance(payload, bytes) else payload
    return s[:s.rindex(":") + 1] if ":" in s else s


def run_sub(a):
    deadline = now() + a.deadline
    c = Client(a.id, a.v, deadline, clean_first=not a.resume)
    out = open(a.out, "a", buffering=1)
    tr = Trace(a.trace)
    awaiting = set()  # QoS 2 packet ids PUBRECed, PUBREL not yet received
    last = now()
    subscribed = a.resume
    n = 0
    got = set()  # --expect: every message received
    missing = None  # --expect: what was acknowledged and not received yet, once known
    silence = 0.0  # the longest wait for a message while one was missing
    while now() < deadline:
        stopping = not a.stop or os.path.exists(a.stop)
        if stopping and a.expect and missing is None:
            missing = read_expected(a.expect) - got
            tr("EXPECT %d missing", len(missing))
        if missing is not None:
            silence = max(silence, now() - last)
            if not missing:
                tr("COMPLETE")
                break
        if c.conn is None:
            if not c.connect():
                break
            out.write("CONNECT %d %d 0 - 0\n" % (c.connects, int(bool(c.present))))
            tr("CONNECT %d present %d", c.connects, int(bool(c.present)))
            if subscribed and not c.present:
                mqttraw.log("%s: session not present after reconnecting" % a.id)
                out.write("SESSION-LOST 0 0 0 - 0\n")
            if not subscribed:
                try:
                    filters = a.filter
                    if c.v5:
                        c.send(subscribe5(1, [(f, 2) for f in filters]))
                    else:
                        c.send(mqttraw.subscribe(1, [(f, 2) for f in filters]))
                    p = c.recv(5.0)
                    while p is not None and p.type != SUBACK:
                        p = c.recv(5.0)
                    if p is None:
                        raise Closed()
                    subscribed = True
                except Closed:
                    c.drop()
                    continue
                if a.subscribe_only:
                    c.close()
                    return 0
            last = now()
        if stopping and now() - last >= a.idle:
            tr("IDLE %.3f s: stop", now() - last)
            break
        try:
            p = c.recv(0.2)
            if p is None:
                continue
            if p.type == PUBLISH:
                m = publish_of(p) if c.v5 else p.publish()
                new = 1
                if m["qos"] == 2:
                    if m["pid"] in awaiting:
                        new = 0
                    awaiting.add(m["pid"])
                out.write("%s %d %d %d %s %d\n" % (key(m["payload"]), m["qos"], int(m["dup"]),
                                                   new, m["topic"], m["pid"] or 0))
                tr("PUBLISH %s q%d dup %d pid %d", key(m["payload"]), m["qos"], int(m["dup"]),
                   m["pid"] or 0)
                if a.expect:
                    got.add(key(m["payload"]))
                    if missing is not None:
                        missing.discard(key(m["payload"]))
                n += 1
                last = now()
                if a.drop_every and n % a.drop_every == 0:
                    c.drop()  # gone without acknowledging it: resent (DUP) on reconnect
                    continue
                if m["qos"] == 1:
                    c.send(c.ack(PUBACK, m["pid"]))
                elif m["qos"] == 2:
                    c.send(c.ack(PUBREC, m["pid"]))
            elif p.type == PUBREL:
                tr("PUBREL pid %d", p.pid())
                awaiting.discard(p.pid())
                c.send(c.ack(PUBCOMP, p.pid()))
                last = now()
        except Closed:
            tr("CLOSED")
            c.drop()
    c.close()
    if missing is None:
        mqttraw.log("%s: %d PUBLISH received, %d connections" % (a.id, n, c.connects))
    else:
        mqttraw.log("%s: %d PUBLISH received, %d connections; %d of the acknowledged messages not"
                    " received; longest wait for one %.1f s" % (a.id, n, c.connects,
                                                                len(missing), silence))
    return 0


def read_expected(files):
    """What a subscriber of every publisher must receive: what was acknowledged with success
    (a file that does not exist lists nothing: a publisher that never got an ack)."""
    acked = read_acked([f for f in files if os.path.exists(f)])
    return {k for k, v in acked.items() if v[1] < 0x80}


def read_acked(files):
    acked = {}
    for f in files:
        for line in open(f):
            w = line.split()
            if len(w) == 3:
                acked[w[0]] = (int(w[1]), int(w[2]))
    return acked


def read_deliveries(f, prefix=None):
    """payload -> [qos, receipts, new deliveries]."""
    d = {}
    for line in open(f):
        w = line.split()
        if len(w) != 6 or (prefix and not w[0].startswith(prefix)):
            continue
        e = d.setdefault(w[0], [int(w[1]), 0, 0])
        e[1] += 1
        e[2] += int(w[3])
    return d


def order_errors(f, prefix=None):
    """Payloads ID:QOS:SEQ: whose first receipt came after that of a later SEQ of the same
    ID and QoS (the order a subscriber must see [MQTT-4.6.0-5])."""
    seen, last, bad = set(), {}, []
    for line in open(f):
        w = line.split()
        if len(w) != 6 or (prefix and not w[0].startswith(prefix)) or w[0] in seen:
            continue
        seen.add(w[0])
        parts = w[0].split(":")
        if len(parts) < 3 or not parts[2].isdigit():
            continue
        k, seq = (parts[0], parts[1]), int(parts[2])
        if seq < last.get(k, 0):
            bad.append("%s after seq %d" % (w[0], last[k]))
        last[k] = max(seq, last.get(k, 0))
    return bad


def run_check(a):
    """Every acknowledged QoS 1 message delivered at least once to each subscriber, every
    PUBRECed QoS 2 message exactly once; no QoS 2 message (acknowledged or not) twice."""
    acked = read_acked(a.acked)
    ok = {k: v for k, v in acked.items() if v[1] < 0x80}
    errors = []
    for f in a.deliveries:
        d = read_deliveries(f, a.prefix)
        lost = sorted(k for k in ok if k not in d or d[k][2] == 0)
        twice = sorted(k for k, v in d.items() if v[0] == 2 and v[2] > 1)
        refused = sorted(k for k, v in acked.items() if v[1] >= 0x80 and k in d)
        q1 = sum(1 for v in ok.values() if v[0] == 1)
        q2 = len(ok) - q1
        dups = sum(v[1] - 1 for v in d.values() if v[1] > 1)
        print("%s: acknowledged %d (QoS 1 %d, QoS 2 %d), refused %d; received %d distinct, %d "
              "duplicate receipts; lost %d, QoS 2 twice %d, refused but delivered %d"
              % (os.path.basename(f), len(ok), q1, q2, len(acked) - len(ok), len(d), dups,
                 len(lost), len(twice), len(refused)))
        if lost:
            errors.append("%s: %d acknowledged messages never delivered, first %s"
                          % (f, len(lost), lost[:5]))
        if twice:
            errors.append("%s: %d QoS 2 messages delivered more than once, first %s"
                          % (f, len(twice), twice[:5]))
        if refused and a.strict_refused:
            errors.append("%s: %d refused messages delivered, first %s"
                          % (f, len(refused), refused[:5]))
        if a.order:
            bad = order_errors(f, a.prefix)
            if bad:
                errors.append("%s: %d messages out of order, first %s" % (f, len(bad), bad[:5]))
        if a.min_acked and len(ok) < a.min_acked:
            errors.append("only %d messages acknowledged (< %d): the load did not run"
                          % (len(ok), a.min_acked))
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("pub")
    p.add_argument("--id", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--acked", required=True)
    p.add_argument("--v", type=int, default=4)
    p.add_argument("--qos", default="1,2")
    p.add_argument("--rate", type=float, default=300)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--stop")
    p.add_argument("--deadline", type=float, default=120)
    p.add_argument("--trace", help="append a timed line per event to this file (debugging)")
    s = sp.add_parser("sub")
    s.add_argument("--id", required=True)
    s.add_argument("--filter", action="append", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--v", type=int, default=4)
    s.add_argument("--subscribe-only", action="store_true")
    s.add_argument("--resume", action="store_true", help="session exists: connect clean=0")
    s.add_argument("--stop")
    s.add_argument("--idle", type=float, default=2)
    s.add_argument("--expect", nargs="+",
                   help="acked files: once stopping, stop when all they list was received")
    s.add_argument("--deadline", type=float, default=120)
    s.add_argument("--drop-every", type=int, default=0,
                   help="close the connection (no DISCONNECT) after every N PUBLISH")
    s.add_argument("--trace", help="append a timed line per event to this file (debugging)")
    k = sp.add_parser("check")
    k.add_argument("--acked", nargs="+", required=True)
    k.add_argument("--deliveries", nargs="+", required=True)
    k.add_argument("--prefix")
    k.add_argument("--min-acked", type=int, default=0)
    k.add_argument("--strict-refused", action="store_true")
    k.add_argument("--order", action="store_true",
                   help="first deliveries of each publisher's QoS keep its publishing order")
    a = ap.parse_args()
    random.seed()
    socket.setdefaulttimeout(5)
    return {"pub": run_pub, "sub": run_sub, "check": run_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
