"""Hand-built MQTT 5.0 packets over a raw TCP socket, on top of mqttraw (3.1/3.1.1).

mqttraw gives the socket (Conn), framing and the 3.1.1 packets; this module adds what 5.0 changes:
property blocks, reason codes on acknowledgements, DISCONNECT and AUTH both ways. As in mqttraw,
every packet is the bytes the spec describes, so a test can also send exactly the malformed bytes
it needs (a duplicate property, a truncated value, an unknown identifier, alias 0 ...).

    from mqtt5raw import *
    c, ack = client5("x", props=[(SESSION_EXPIRY, 30)])    # CONNACK 0x00 required
    ack["props"].get(TOPIC_ALIAS_MAX)                        # CONNACK properties, decoded
    c.send(publish5("a/b", "hi", qos=1, pid=1, props=[(USER_PROPERTY, ("k", "v"))]))
    a = ack5_of(c.expect(PUBACK))                            # {"pid", "rc", "props"}
    expect_disconnect(c, RC_TOPIC_ALIAS_INVALID)             # DISCONNECT 0x94, then the close

Properties are given as a list of (identifier, value) pairs, encoded with the identifier's type
(section 2.2.2.2), or as raw bytes (already encoded, for the malformed cases). Decoded property
blocks are Props: a list of (identifier, value) pairs in wire order with get/all/ids helpers.
"""

import struct
import time

from mqttraw import (  # noqa: F401 (re-exported for the tests)
    CONNACK, CONNECT, DISCONNECT, NAMES, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC,
    PUBREL, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE, Closed, Conn, Packet, TestFailure, check,
    check_eq, log, main, mstr, packet, pingreq, time_left, varint)
import mqttraw

AUTH = 15
NAMES.setdefault(AUTH, "AUTH")

# ---- property identifiers (2.2.2.2) ----
PAYLOAD_FORMAT = 0x01
MESSAGE_EXPIRY = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_ID = 0x0B
SESSION_EXPIRY = 0x11
ASSIGNED_CLIENT_ID = 0x12
SERVER_KEEPALIVE = 0x13
AUTH_METHOD = 0x15
AUTH_DATA = 0x16
REQUEST_PROBLEM_INFO = 0x17
WILL_DELAY = 0x18
REQUEST_RESPONSE_INFO = 0x19
RESPONSE_INFO = 0x1A
SERVER_REFERENCE = 0x1C
REASON_STRING = 0x1F
RECEIVE_MAX = 0x21
TOPIC_ALIAS_MAX = 0x22
TOPIC_ALIAS = 0x23
MAX_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAX_PACKET_SIZE = 0x27
WILDCARD_AVAILABLE = 0x28
SUB_ID_AVAILABLE = 0x29
SHARED_AVAILABLE = 0x2A

PROP_TYPES = {
    PAYLOAD_FORMAT: "byte", MESSAGE_EXPIRY: "u32", CONTENT_TYPE: "str", RESPONSE_TOPIC: "str",
    CORRELATION_DATA: "bin", SUBSCRIPTION_ID: "varint", SESSION_EXPIRY: "u32",
    ASSIGNED_CLIENT_ID: "str", SERVER_KEEPALIVE: "u16", AUTH_METHOD: "str", AUTH_DATA: "bin",
    REQUEST_PROBLEM_INFO: "byte", WILL_DELAY: "u32", REQUEST_RESPONSE_INFO: "byte",
    RESPONSE_INFO: "str", SERVER_REFERENCE: "str", REASON_STRING: "str", RECEIVE_MAX: "u16",
    TOPIC_ALIAS_MAX: "u16", TOPIC_ALIAS: "u16", MAX_QOS: "byte", RETAIN_AVAILABLE: "byte",
    USER_PROPERTY: "pair", MAX_PACKET_SIZE: "u32", WILDCARD_AVAILABLE: "byte",
    SUB_ID_AVAILABLE: "byte", SHARED_AVAILABLE: "byte",
}

# Where each property may appear (2.2.2.2); "will" is the Will Properties of CONNECT.
PROP_PACKETS = {
    PAYLOAD_FORMAT: {PUBLISH, "will"}, MESSAGE_EXPIRY: {PUBLISH, "will"},
    CONTENT_TYPE: {PUBLISH, "will"}, RESPONSE_TOPIC: {PUBLISH, "will"},
    CORRELATION_DATA: {PUBLISH, "will"}, SUBSCRIPTION_ID: {PUBLISH, SUBSCRIBE},
    SESSION_EXPIRY: {CONNECT, CONNACK, DISCONNECT}, ASSIGNED_CLIENT_ID: {CONNACK},
    SERVER_KEEPALIVE: {CONNACK}, AUTH_METHOD: {CONNECT, CONNACK, AUTH},
    AUTH_DATA: {CONNECT, CONNACK, AUTH}, REQUEST_PROBLEM_INFO: {CONNECT}, WILL_DELAY: {"will"},
    REQUEST_RESPONSE_INFO: {CONNECT}, RESPONSE_INFO: {CONNACK},
    SERVER_REFERENCE: {CONNACK, DISCONNECT},
    REASON_STRING: {CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH},
    RECEIVE_MAX: {CONNECT, CONNACK}, TOPIC_ALIAS_MAX: {CONNECT, CONNACK}, TOPIC_ALIAS: {PUBLISH},
    MAX_QOS: {CONNACK}, RETAIN_AVAILABLE: {CONNACK},
    USER_PROPERTY: {CONNECT, CONNACK, PUBLISH, "will", PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE,
                    SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH},
    MAX_PACKET_SIZE: {CONNECT, CONNACK}, WILDCARD_AVAILABLE: {CONNACK},
    SUB_ID_AVAILABLE: {CONNACK}, SHARED_AVAILABLE: {CONNACK},
}

# ---- reason codes (2.4) ----
RC_SUCCESS = 0x00
RC_GRANTED_QOS1 = 0x01
RC_GRANTED_QOS2 = 0x02
RC_DISCONNECT_WITH_WILL = 0x04
RC_NO_MATCHING_SUBSCRIBERS = 0x10
RC_NO_SUBSCRIPTION_EXISTED = 0x11
RC_CONTINUE_AUTH = 0x18
RC_REAUTHENTICATE = 0x19
RC_UNSPECIFIED = 0x80
RC_MALFORMED = 0x81
RC_PROTOCOL_ERROR = 0x82
RC_IMPL_SPECIFIC = 0x83
RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84
RC_CLIENT_ID_NOT_VALID = 0x85
RC_BAD_USERNAME_OR_PASSWORD = 0x86
RC_NOT_AUTHORIZED = 0x87
RC_SERVER_UNAVAILABLE = 0x88
RC_SERVER_BUSY = 0x89
RC_BANNED = 0x8A
RC_SERVER_SHUTTING_DOWN = 0x8B
RC_BAD_AUTH_METHOD = 0x8C
RC_KEEPALIVE_TIMEOUT = 0x8D
RC_SESSION_TAKEN_OVER = 0x8E
RC_TOPIC_FILTER_INVALID = 0x8F
RC_TOPIC_NAME_INVALID = 0x90
RC_PACKET_ID_IN_USE = 0x91
RC_PACKET_ID_NOT_FOUND = 0x92
RC_RECEIVE_MAX_EXCEEDED = 0x93
RC_TOPIC_ALIAS_INVALID = 0x94
RC_PACKET_TOO_LARGE = 0x95
RC_QUOTA_EXCEEDED = 0x97
RC_PAYLOAD_FORMAT_INVALID = 0x99
RC_RETAIN_NOT_SUPPORTED = 0x9A
RC_QOS_NOT_SUPPORTED = 0x9B
RC_USE_ANOTHER_SERVER = 0x9C
RC_SERVER_MOVED = 0x9D
RC_SHARED_SUBS_NOT_SUPPORTED = 0x9E
RC_SUB_IDS_NOT_SUPPORTED = 0xA1
RC_WILDCARD_SUBS_NOT_SUPPORTED = 0xA2

# Reason codes each packet may carry (3.x.2.1 tables): [MQTT-3.2.2-8], [MQTT-3.4.2-1] ...
VALID_RC = {
    CONNACK: {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
              0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F},
    PUBACK: {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99},
    PUBREC: {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99},
    PUBREL: {0x00, 0x92},
    PUBCOMP: {0x00, 0x92},
    SUBACK: {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2},
    UNSUBACK: {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91},
    DISCONNECT: {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90,
                 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F,
                 0xA0, 0xA1, 0xA2},
    AUTH: {0x00, 0x18, 0x19},
}

# DISCONNECT reason codes only a client sends (0x04) or only a server sends (3.14.2.1).
SERVER_ONLY_DISCONNECT_RC = {0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x9C, 0x9D, 0xA0, 0xA1, 0xA2}


# ---- encoding ----

def u16(n):
    return struct.pack("!H", n)


def u32(n):
    return struct.pack("!I", n)


mbin = mstr  # binary data and strings have the same encoding (1.5.6, 1.5.4)


def prop(pid, value):
    """One property, encoded with its identifier's type."""
    t = PROP_TYPES[pid]
    if t == "byte":
        v = bytes([value])
    elif t == "u16":
        v = u16(value)
    elif t == "u32":
        v = u32(value)
    elif t == "varint":
        v = varint(value)
    elif t in ("str", "bin"):
        v = mbin(value)
    else:  # pair
        v = mbin(value[0]) + mbin(value[1])
    return varint(pid) + v


def props_bytes(p):
    """A property list -> the encoded properties (no length). Raw bytes pass through; a list
    may mix (id, value) pairs and raw bytes."""
    if p is None:
        return b""
    if isinstance(p, (bytes, bytearray)):
        return bytes(p)
    out = b""
    for item in p:
        if isinstance(item, (bytes, bytearray)):
            out += bytes(item)
        else:
            out += prop(item[0], item[1])
    return out


def propblock(p):
    """Property Length + properties."""
    b = props_bytes(p)
    return varint(len(b)) + b


def connect5(client_id="", clean=True, keepalive=60, props=None, will=None, username=None,
             password=None, flags=None, extra=b"", proto_level=5):
    """CONNECT (5.0). will = dict(topic, payload, qos=0, retain=False, props=None) or a tuple
    (topic, payload, qos, retain[, props]). flags overrides the computed flags byte; a raw
    `props` bytes value is used as the whole property block content."""
    w, wprops = None, b""
    if will is not None:
        if not isinstance(will, dict):
            will = dict(zip(("topic", "payload", "qos", "retain", "props"), will))
        w = (will["topic"], will["payload"], will.get("qos", 0), will.get("retain"))
        wprops = propblock(will.get("props"))
    return mqttraw.connect(client_id, clean=clean, keepalive=keepalive, proto_level=proto_level,
                           will=w, username=username, password=password, flags=flags,
                           extra=extra, props_block=propblock(props), will_props_block=wprops)


def publish5(topic, payload=b"", qos=0, retain=False, dup=False, pid=None, props=None):
    return mqttraw.publish(topic, payload, qos=qos, retain=retain, dup=dup, pid=pid,
                           props_block=propblock(props))


def ack5(ptype, pid, reason=None, props=None):
    """PUBACK/PUBREC/PUBREL/PUBCOMP. reason None: the 2-byte short form (reason 0, no
    properties); props None with a reason: no Property Length (3.4.2.1 allows omitting it)."""
    fb = {PUBACK: 0x40, PUBREC: 0x50, PUBREL: 0x62, PUBCOMP: 0x70}[ptype]
    body = u16(pid)
    if reason is not None:
        body += bytes([reason])
        if props is not None:
            body += propblock(props)
    return packet(fb, body)


def puback5(pid, reason=None, props=None):
    return ack5(PUBACK, pid, reason, props)


def pubrec5(pid, reason=None, props=None):
    return ack5(PUBREC, pid, reason, props)


def pubrel5(pid, reason=None, props=None):
    return ack5(PUBREL, pid, reason, props)


def pubcomp5(pid, reason=None, props=None):
    return ack5(PUBCOMP, pid, reason, props)


def sub_opts(qos=0, nl=False, rap=False, rh=0):
    """The Subscription Options byte (3.8.3.1)."""
    return qos | (0x04 if nl else 0) | (0x08 if rap else 0) | (rh << 4)


def subscribe5(pid, entries, props=None):
    """entries: [(filter, options_byte)] or [(filter, qos, nl, rap, rh)] (missing fields 0)."""
    body = u16(pid) + propblock(props)
    for e in entries:
        if len(e) == 2:
            flt, o = e
        else:
            flt, o = e[0], sub_opts(*e[1:])
        body += mstr(flt) + bytes([o])
    return packet(0x82, body)


def unsubscribe5(pid, filters, props=None):
    body = u16(pid) + propblock(props)
    for flt in filters:
        body += mstr(flt)
    return packet(0xA2, body)


def _reason_packet(first, reason, props):
    """DISCONNECT or AUTH (5.0). reason None: the 2-byte form (reason 0x00, no properties)."""
    if reason is None:
        return bytes([first, 0])
    body = bytes([reason])
    if props is not None:
        body += propblock(props)
    return packet(first, body)


def disconnect5(reason=None, props=None):
    """DISCONNECT (5.0). reason None: the 2-byte form (Normal disconnection)."""
    return _reason_packet(0xE0, reason, props)


def auth5(reason=None, props=None):
    return _reason_packet(0xF0, reason, props)


# ---- decoding ----

class Props(list):
    """Decoded properties: (identifier, value) pairs in wire order."""

    def get(self, pid, default=None):
        for i, v in self:
            if i == pid:
                return v
        return default

    def all(self, pid):
        return [v for i, v in self if i == pid]

    def has(self, pid):
        return any(i == pid for i, _ in self)

    def ids(self):
        return [i for i, _ in self]


def _rd_varint(b, off):
    """A Variable Byte Integer the broker sent; it must use the minimum number of bytes
    [MQTT-1.5.5-1]."""
    n, mult, start = 0, 1, off
    for k in range(4):
        check(off < len(b), "property block: truncated variable byte integer")
        x = b[off]
        off += 1
        n += (x & 0x7F) * mult
        if not x & 0x80:
            check(off - start == len(varint(n)), "non-minimal variable byte integer %s for %d "
                  "[MQTT-1.5.5-1]" % (bytes(b[start:off]).hex(), n))
            return n, off
        mult *= 128
    raise TestFailure("property block: variable byte integer longer than 4 bytes")


def _rd_bin(b, off, what):
    check(off + 2 <= len(b), "%s: truncated length" % what)
    n = struct.unpack("!H", b[off:off + 2])[0]
    off += 2
    check(off + n <= len(b), "%s: truncated data" % what)
    return bytes(b[off:off + n]), off + n


def _rd_str(b, off, what):
    v, off = _rd_bin(b, off, what)
    try:
        s = v.decode("utf-8")
    except UnicodeDecodeError:
        raise TestFailure("%s: not UTF-8: %r" % (what, v))
    check("\x00" not in s, "%s: contains U+0000" % what)
    return s, off


def parse_props(b, off, ptype=None):
    """The property block at b[off:] -> (Props, offset after it). Fails the test on anything
    the broker must never send: unknown identifier, identifier not allowed in `ptype`, a
    repeat of a non-repeatable property, a truncated value."""
    plen, off = _rd_varint(b, off)
    end = off + plen
    check(end <= len(b), "property length %d beyond the packet" % plen)
    out = Props()
    seen = set()
    blk = b[:end]
    while off < end:
        pid, off = _rd_varint(blk, off)
        t = PROP_TYPES.get(pid)
        check(t is not None, "unknown property identifier 0x%02x from the broker" % pid)
        if ptype is not None:
            check(ptype in PROP_PACKETS[pid], "property 0x%02x not allowed in %s"
                  % (pid, NAMES.get(ptype, ptype) if ptype != "will" else "Will Properties"))
        if pid not in (USER_PROPERTY, SUBSCRIPTION_ID):
            check(pid not in seen, "property 0x%02x repeated" % pid)
        seen.add(pid)
        what = "property 0x%02x" % pid
        if t == "byte":
            check(off + 1 <= end, "%s: truncated" % what)
            v = blk[off]
            off += 1
        elif t == "u16":
            check(off + 2 <= end, "%s: truncated" % what)
            v = struct.unpack("!H", blk[off:off + 2])[0]
            off += 2
        elif t == "u32":
            check(off + 4 <= end, "%s: truncated" % what)
            v = struct.unpack("!I", blk[off:off + 4])[0]
            off += 4
        elif t == "varint":
            v, off = _rd_varint(blk, off)
        elif t == "str":
            v, off = _rd_str(blk, off, what)
        elif t == "bin":
            v, off = _rd_bin(blk, off, what)
        else:
            k, off = _rd_str(blk, off, what + " key")
            val, off = _rd_str(blk, off, what + " value")
            v = (k, val)
        out.append((pid, v))
    return out, end


def connack5(p):
    """CONNACK -> dict(sp, rc, props). Checks the reserved flag bits [MQTT-3.2.2-1] and that
    a refusal has Session Present 0 [MQTT-3.2.2-6]."""
    check(p.type == CONNACK, "expected CONNACK, got %r" % p)
    check_eq(0, p.flags, "CONNACK fixed header flags")
    check(len(p.body) >= 2, "CONNACK too short: %r" % p)
    check_eq(0, p.body[0] & 0xFE, "CONNACK acknowledge flags bits 7-1 [MQTT-3.2.2-1]")
    sp, rc = bool(p.body[0] & 1), p.body[1]
    check(rc in VALID_RC[CONNACK], "CONNACK reason code 0x%02x is not a CONNACK code" % rc)
    if rc:
        check(not sp, "CONNACK 0x%02x with Session Present 1 [MQTT-3.2.2-6]" % rc)
    props = Props()
    if len(p.body) > 2:
        props, end = parse_props(p.body, 2, CONNACK)
        check_eq(len(p.body), end, "CONNACK length after the properties")
    return {"sp": sp, "rc": rc, "props": props}


def publish_of(p):
    """PUBLISH (5.0) -> dict(topic, payload, qos, retain, dup, pid, props)."""
    check(p.type == PUBLISH, "expected PUBLISH, got %r" % p)
    b = p.body
    topic, off = _rd_str(b, 0, "PUBLISH topic")
    qos = (p.flags >> 1) & 3
    check(qos != 3, "PUBLISH with QoS 3")
    pid = None
    if qos:
        pid = struct.unpack("!H", b[off:off + 2])[0]
        check(pid != 0, "PUBLISH QoS %d with packet id 0 [MQTT-2.2.1-4]" % qos)
        off += 2
    props, off = parse_props(b, off, PUBLISH)
    dup = bool(p.flags & 8)
    if qos == 0:
        check(not dup, "DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]")
    return {"topic": topic, "payload": bytes(b[off:]), "qos": qos, "retain": bool(p.flags & 1),
            "dup": dup, "pid": pid, "props": props}


def ack_of(p):
    """PUBACK/PUBREC/PUBREL/PUBCOMP -> dict(pid, rc, props); short forms mean rc 0."""
    check(p.type in (PUBACK, PUBREC, PUBREL, PUBCOMP), "expected an acknowledgement, got %r" % p)
    check_eq(0x02 if p.type == PUBREL else 0, p.flags, "%s fixed header flags" % p.name)
    check(len(p.body) >= 2, "%s too short" % p.name)
    pid = struct.unpack("!H", p.body[:2])[0]
    rc = p.body[2] if len(p.body) > 2 else 0
    check(rc in VALID_RC[p.type], "%s reason code 0x%02x not allowed" % (p.name, rc))
    props = Props()
    if len(p.body) > 3:
        props, end = parse_props(p.body, 3, p.type)
        check_eq(len(p.body), end, "%s length after the properties" % p.name)
    return {"pid": pid, "rc": rc, "props": props}


def suback_of(p):
    """SUBACK/UNSUBACK (5.0) -> dict(pid, codes, props)."""
    check(p.type in (SUBACK, UNSUBACK), "expected SUBACK/UNSUBACK, got %r" % p)
    check_eq(0, p.flags, "%s fixed header flags" % p.name)
    pid = struct.unpack("!H", p.body[:2])[0]
    props, off = parse_props(p.body, 2, p.type)
    codes = list(p.body[off:])
    for c in codes:
        check(c in VALID_RC[p.type], "%s reason code 0x%02x not allowed" % (p.name, c))
    return {"pid": pid, "codes": codes, "props": props}


def disconnect_of(p):
    """DISCONNECT (5.0) from the server -> dict(rc, props); checks the code is a DISCONNECT
    code [MQTT-3.14.2-1] and no Session Expiry Interval is sent [MQTT-3.14.2-2]."""
    check(p.type == DISCONNECT, "expected DISCONNECT, got %r" % p)
    check_eq(0, p.flags, "DISCONNECT fixed header flags")
    rc = p.body[0] if p.body else 0
    check(rc in VALID_RC[DISCONNECT] and rc != 0x04,
          "DISCONNECT reason code 0x%02x not allowed from a server" % rc)
    props = Props()
    if len(p.body) > 1:
        props, end = parse_props(p.body, 1, DISCONNECT)
        check_eq(len(p.body), end, "DISCONNECT length after the properties")
    check(not props.has(SESSION_EXPIRY), "server DISCONNECT with Session Expiry [MQTT-3.14.2-2]")
    return {"rc": rc, "props": props}


def auth_of(p):
    check(p.type == AUTH, "expected AUTH, got %r" % p)
    check_eq(0, p.flags, "AUTH fixed header flags [MQTT-3.15.1-1]")
    rc = p.body[0] if p.body else 0
    check(rc in VALID_RC[AUTH], "AUTH reason code 0x%02x [MQTT-3.15.2-1]" % rc)
    props = Props()
    if len(p.body) > 1:
        props, end = parse_props(p.body, 1, AUTH)
        check_eq(len(p.body), end, "AUTH length after the properties")
    return {"rc": rc, "props": props}


# ---- client helpers ----

def client5(client_id, clean=True, keepalive=60, props=None, will=None, expect_present=None,
            host=None, port=None, **kw):
    """Connect with MQTT 5, require CONNACK 0x00; returns (conn, connack dict)."""
    c = Conn(host, port)
    c.send(connect5(client_id, clean=clean, keepalive=keepalive, props=props, will=will, **kw))
    ack = connack5(c.expect(CONNACK))
    check_eq(0, ack["rc"], "CONNACK reason code for %r" % client_id)
    if expect_present is not None:
        check_eq(expect_present, ack["sp"], "session present for %r" % client_id)
    return c, ack


def client3(client_id, **kw):
    """A 3.1.1 client (mqttraw.client)."""
    return mqttraw.client(client_id, **kw)


def subscribe5_ok(c, entries, pid=1, props=None):
    """SUBSCRIBE (5.0); checks the SUBACK packet id and returns its reason codes."""
    c.send(subscribe5(pid, entries, props))
    s = suback_of(c.expect(SUBACK))
    check_eq(pid, s["pid"], "SUBACK packet id")
    check_eq(len(entries), len(s["codes"]), "SUBACK: one reason code per filter [MQTT-3.8.4-6]")
    return s["codes"]


def subscriber5(client_id, entries, sub_pid=1, sub_props=None, **connect):
    """client5 (keyword arguments go to it) then subscribe5_ok; returns the conn."""
    c, _ = client5(client_id, **connect)
    subscribe5_ok(c, entries, pid=sub_pid, props=sub_props)
    return c


def unsubscribe5_ok(c, filters, pid=2, props=None):
    c.send(unsubscribe5(pid, filters, props))
    s = suback_of(c.expect(UNSUBACK))
    check_eq(pid, s["pid"], "UNSUBACK packet id")
    check_eq(len(filters), len(s["codes"]), "UNSUBACK: one reason code per filter")
    return s["codes"]


def expect_ack(c, ptype, pid, timeout=5.0):
    """The acknowledgement `ptype` for `pid`; PUBLISH packets arriving first (a client subscribed
    to its own topic) are put back into the buffer, in order. Anything else fails the test."""
    held = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                p = c.recv(max(0.0, deadline - time.monotonic()))
            except Closed:
                raise TestFailure("expected %s %d, but the broker closed the connection"
                                  % (NAMES[ptype], pid))
            check(p is not None, "expected %s %d within %.1fs, got nothing"
                  % (NAMES[ptype], pid, timeout))
            if p.type == PUBLISH:
                held.append(p)
                continue
            check(p.type == ptype, "expected %s %d, got %r" % (NAMES[ptype], pid, p))
            a = ack_of(p)
            check_eq(pid, a["pid"], "%s packet id" % NAMES[ptype])
            return a
    finally:
        c.buf = b"".join(raw_of(p) for p in held) + c.buf


def publish5_ok(c, topic, payload=b"", qos=0, retain=False, pid=1, props=None):
    """PUBLISH and complete its flow; returns the PUBACK/PUBREC reason code (None at QoS 0)."""
    c.send(publish5(topic, payload, qos=qos, retain=retain, pid=pid if qos else None,
                    props=props))
    if qos == 0:
        return None
    if qos == 1:
        return expect_ack(c, PUBACK, pid)["rc"]
    a = expect_ack(c, PUBREC, pid)
    if a["rc"] < 0x80:
        c.send(pubrel5(pid))
        comp = expect_ack(c, PUBCOMP, pid)
        check_eq(0, comp["rc"], "PUBCOMP reason code")
    return a["rc"]


def recv_publish(c, timeout=5.0, ack=True):
    """The next packet must be a PUBLISH; decoded. ack: complete its QoS flow."""
    m = publish_of(c.expect(PUBLISH, timeout))
    if ack:
        ack_publish(c, m)
    return m


def raw_of(p):
    """The bytes of a received packet (to put it back into a Conn's buffer)."""
    return bytes([p.first]) + varint(len(p.body)) + p.body


def ack_publish(c, m, timeout=5.0):
    """Acknowledge a received PUBLISH; QoS 2: PUBREC, wait for its PUBREL, PUBCOMP. Packets that
    arrive in between (the next PUBLISH may overtake the PUBREL) are put back, in order."""
    if m["qos"] == 1:
        c.send(puback5(m["pid"]))
    elif m["qos"] == 2:
        c.send(pubrec5(m["pid"]))
        held = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                p = c.recv(max(0.0, deadline - time.monotonic()))
            except Closed:
                raise TestFailure("closed while waiting for PUBREL %d" % m["pid"])
            check(p is not None, "no PUBREL for packet id %d within %.1fs" % (m["pid"], timeout))
            if p.type == PUBREL and ack_of(p)["pid"] == m["pid"]:
                rel = ack_of(p)
                check_eq((m["pid"], 0), (rel["pid"], rel["rc"]), "PUBREL")
                break
            held.append(p)
        c.buf = b"".join(raw_of(p) for p in held) + c.buf
        c.send(pubcomp5(m["pid"]))


def collect_publishes(c, seconds, ack=True, v5=True):
    """Every PUBLISH arriving within `seconds` (other packets fail the test); v5=False: c is a
    3.1.1 client (with ack=False, for QoS 0 subscriptions)."""
    out = []
    for left in time_left(seconds):
        try:
            p = c.recv(left)
        except Closed:
            raise TestFailure("connection closed while collecting messages (got %d)" % len(out))
        if p is None:
            break
        m = publish_of(p) if v5 else p.publish()
        if ack:
            ack_publish(c, m)
        out.append(m)
    return out


def payloads(ms):
    """The payloads of decoded PUBLISHes (collect_publishes), in order."""
    return [m["payload"] for m in ms]


class AliasMap:
    """The receiving side of outbound topic aliases: resolves and checks them."""

    def __init__(self, maximum):
        self.maximum = maximum
        self.map = {}

    def resolve(self, m):
        a = m["props"].get(TOPIC_ALIAS)
        if a is None:
            check(m["topic"] != "", "PUBLISH with an empty topic and no Topic Alias")
            return m["topic"]
        check(self.maximum > 0, "Topic Alias %d sent to a client whose Topic Alias Maximum is 0 "
              "[MQTT-3.1.2-27]" % a)
        check(1 <= a <= self.maximum, "Topic Alias %d outside 1..%d [MQTT-3.1.2-26], "
              "[MQTT-3.3.2-8], [MQTT-3.3.2-11]" % (a, self.maximum))
        if m["topic"]:
            self.map[a] = m["topic"]
            return m["topic"]
        check(a in self.map, "Topic Alias %d used before the server set it" % a)
        return self.map[a]


def expect_disconnect(c, reason, within=3.0, allow=()):
    """The server sends DISCONNECT with `reason` and closes the connection within `within` s.
    Packets of the types in `allow` may come first. Returns the DISCONNECT dict."""
    _, got = c.wait_closed(within)
    got_types = [p.name for p in got]
    check(got and got[-1].type == DISCONNECT, "expected DISCONNECT 0x%02x before the close, got %r"
          % (reason, got_types))
    for p in got[:-1]:
        check(p.type in allow, "unexpected %r before the DISCONNECT" % p)
    d = disconnect_of(got[-1])
    check_eq("0x%02x" % reason, "0x%02x" % d["rc"], "DISCONNECT reason code")
    return d


def disconnected_v5(name, raw, rc, what, **connect):
    """A 5.0 client `name` (client5's keyword arguments in connect) sends raw: the broker sends
    DISCONNECT with reason code rc, then closes the connection, within 3 s. Failures name
    `what`."""
    c, _ = client5(name, **connect)
    c.send(raw)
    try:
        expect_disconnect(c, rc)
    except TestFailure as e:
        raise TestFailure("%s: %s" % (what, e))


def expect_refused(c, reasons, within=3.0, silent_ok=True):
    """A refused CONNECT: CONNACK with one of `reasons` then the close, or (silent_ok) a close
    without any packet ([MQTT-3.1.4-1]: the CONNACK is a MAY). Returns the CONNACK or None."""
    _, got = c.wait_closed(within)
    if not got:
        check(silent_ok, "connection closed without the CONNACK %s"
              % "/".join("0x%02x" % r for r in reasons))
        return None
    check_eq(1, len(got), "packets before the close: %r" % got)
    ack = connack5(got[0])
    check(ack["rc"] in reasons, "CONNACK reason 0x%02x, expected one of %s"
          % (ack["rc"], "/".join("0x%02x" % r for r in reasons)))
    return ack


def expect_redirected(c, rc, reference, new_id):
    """Server redirection (4.11): the connected client c gets DISCONNECT rc with the Server
    Reference `reference` and is closed; a new CONNECT (client id new_id) then gets CONNACK rc
    with the same Server Reference."""
    d = expect_disconnect(c, rc, within=5)
    check_eq(reference, d["props"].get(SERVER_REFERENCE), "Server Reference")
    c = Conn()
    c.send(connect5(new_id))
    ack = expect_refused(c, [rc], silent_ok=False)
    check_eq(reference, ack["props"].get(SERVER_REFERENCE), "CONNACK Server Reference")


def expect_closed_or_disconnect(c, reason, within=3.0):
    """Some brokers only close (a SHOULD, 4.13.2): DISCONNECT `reason` then close, or a bare
    close. Returns the DISCONNECT reason or None."""
    _, got = c.wait_closed(within)
    if not got:
        return None
    check(got[-1].type == DISCONNECT, "expected DISCONNECT or a close, got %r" % got)
    d = disconnect_of(got[-1])
    check_eq("0x%02x" % reason, "0x%02x" % d["rc"], "DISCONNECT reason code")
    return d["rc"]


def alive(c, who, within=3):
    """c's connection is up: a PINGREQ is answered with PINGRESP within `within` s (3.1.1 too)."""
    c.send(pingreq())
    try:
        p = c.recv(within)
    except Closed:
        raise TestFailure("%s: the broker closed the connection" % who)
    check(p is not None and p.type == PINGRESP, "%s: expected PINGRESP, got %r" % (who, p))


def assert_broker_serves5(client_id="health-check-v5"):
    """A fresh 5.0 client can still connect and ping: the broker survived."""
    c, _ = client5(client_id)
    c.send(pingreq())
    c.expect(PINGRESP)
    c.send(disconnect5())
    c.close()


def hexs(rc):
    return "0x%02x" % rc


# ---- a real MQTT 5 client: paho-mqtt 1.6 (Debian's python3-paho-mqtt) ----

class Paho5(mqttraw.PahoBase):
    """A blocking wrapper around paho's MQTTv5 client (network thread, bounded waits).

        s = Paho5("sub"); s.connect()               # -> CONNACK dict(sp, rc, props)
        s.subscribe("a/#", qos=1, nl=True)         # -> [reason codes]
        p = Paho5("pub"); p.connect()
        p.publish("a/b", "hi", qos=1, props={"UserProperty": [("k", "v")]})
        m = s.get()                                # dict(topic, payload, qos, retain, props)

    Property names are paho's (Properties attributes: UserProperty, ContentType, ...).
    Automatic reconnects are off.
    """

    def __init__(self, client_id, clean_start=True, keepalive=60, props=None, will=None,
                 host=None, port=None):
        import paho.mqtt.client as mqtt
        self._mqtt = mqtt
        self.id = client_id
        self.host = host or mqttraw.HOST
        self.port = port or mqttraw.PORT
        self.keepalive = keepalive
        self.clean_start = clean_start
        self.props = props
        self._paho_init(mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5,
                                    reconnect_on_failure=False))
        if will:
            topic, payload, qos, retain = will[:4]
            wprops = self._props("PUBLISH", will[4]) if len(will) > 4 else None
            self.c.will_set(topic, payload, qos, retain, properties=wprops)
        self.connack = None
        self.disconnect_rc = None
        self.unsubacks = {}

    @staticmethod
    def _props(ptype, d):
        if d is None:
            return None
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        p = Properties(getattr(PacketTypes, ptype))
        for k, v in d.items():
            setattr(p, k, v)
        return p

    @staticmethod
    def props_dict(p):
        """paho Properties -> dict of the attributes present."""
        if p is None:
            return {}
        out = {}
        for name in p.names:
            key = name.replace(" ", "")
            if hasattr(p, key):
                out[key] = getattr(p, key)
        return out

    def _on_connect(self, c, ud, flags, rc, props):
        self.connack = {"sp": bool(flags.get("session present", 0)), "rc": rc.value,
                        "props": self.props_dict(props)}
        self.connected.set()

    def _on_disconnect(self, c, ud, rc, props=None):
        self.disconnect_rc = rc.value if hasattr(rc, "value") else rc
        self.disconnected.set()

    def _on_message(self, c, ud, m):
        self.msgs.put({"topic": m.topic, "payload": bytes(m.payload), "qos": m.qos,
                       "retain": bool(m.retain), "dup": bool(m.dup),
                       "props": self.props_dict(getattr(m, "properties", None))})

    def _on_subscribe(self, c, ud, mid, rcs, props):
        with self.cv:
            self.subacks[mid] = [r.value for r in rcs]
            self.cv.notify_all()

    def _on_unsubscribe(self, c, ud, mid, props, rcs):
        with self.cv:
            self.unsubacks[mid] = [r.value for r in rcs] if isinstance(rcs, list) else [rcs.value]
            self.cv.notify_all()

    def connect(self, timeout=5.0, expect_rc=0):
        self.connected.clear()
        self.disconnected.clear()
        self.c.connect(self.host, self.port, self.keepalive, clean_start=self.clean_start,
                       properties=self._props("CONNECT", self.props))
        self.c.loop_start()
        check(self.connected.wait(timeout), "%s: no CONNACK within %.1fs" % (self.id, timeout))
        check_eq(hexs(expect_rc), hexs(self.connack["rc"]), "%s: CONNACK reason code" % self.id)
        return self.connack

    def subscribe(self, topic, qos=0, nl=False, rap=False, rh=0, sub_id=None, timeout=5.0):
        from paho.mqtt.subscribeoptions import SubscribeOptions
        props = self._props("SUBSCRIBE", {"SubscriptionIdentifier": sub_id}) if sub_id else None
        rc, mid = self.c.subscribe(topic, options=SubscribeOptions(qos, nl, rap, rh),
                                   properties=props)
        check_eq(self._mqtt.MQTT_ERR_SUCCESS, rc, "%s: subscribe() rc" % self.id)
        with self.cv:
            ok = self.cv.wait_for(lambda: mid in self.subacks, timeout)
        check(ok, "%s: no SUBACK within %.1fs" % (self.id, timeout))
        return self.subacks[mid]

    def publish(self, topic, payload, qos=0, retain=False, props=None, timeout=5.0):
        info = self.c.publish(topic, payload, qos, retain,
                              properties=self._props("PUBLISH", props))
        check_eq(self._mqtt.MQTT_ERR_SUCCESS, info.rc, "%s: publish() rc" % self.id)
        info.wait_for_publish(timeout)
        check(info.is_published(), "%s: publish %s qos%d not completed within %.1fs"
              % (self.id, topic, qos, timeout))
        return info

    def disconnect(self, rc=0, props=None):
        """DISCONNECT with reason rc (0: the will is discarded; 4: published)."""
        from paho.mqtt.reasoncodes import ReasonCodes
        self.c.disconnect(ReasonCodes(DISCONNECT, identifier=rc),
                          self._props("DISCONNECT", props))
        self.disconnected.wait(3)
        self.c.loop_stop()


def publish5_sized(topic, total, **kw):
    """A PUBLISH of exactly `total` bytes (whole packet), padding the payload; -> (packet,
    payload length)."""
    for n in range(total, -1, -1):
        pkt = publish5(topic, b"p" * n, **kw)
        if len(pkt) == total:
            return pkt, n
        if len(pkt) < total:
            break
    raise TestFailure("no PUBLISH on %r is exactly %d bytes" % (topic, total))


# ---- SCRAM-SHA-256 (RFC 5802 / RFC 7677) for enhanced authentication tests ----

class Scram:
    """The client side of SCRAM-SHA-256, and the stored secret a server needs (RFC 5803 form)."""

    METHOD = "SCRAM-SHA-256"

    def __init__(self, user, password, nonce=None):
        import base64
        import os as _os
        self.b64 = base64.b64encode
        self.unb64 = base64.b64decode
        self.user = user
        self.password = password.encode()
        self.cnonce = nonce or self.b64(_os.urandom(18)).decode()
        self.first_bare = "n=%s,r=%s" % (user.replace("=", "=3D").replace(",", "=2C"), self.cnonce)

    @staticmethod
    def _hmac(key, msg):
        import hashlib
        import hmac
        return hmac.new(key, msg, hashlib.sha256).digest()

    @staticmethod
    def stored_secret(password, salt, iterations):
        """user-file form: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey> (base64)."""
        import base64
        import hashlib
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        ck = Scram._hmac(salted, b"Client Key")
        sk = Scram._hmac(salted, b"Server Key")
        b = lambda x: base64.b64encode(x).decode()
        return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b(salt), b(hashlib.sha256(ck).digest()), b(sk))

    def client_first(self):
        return ("n,," + self.first_bare).encode()

    def client_final(self, server_first):
        import hashlib
        sf = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in sf.split(","))
        check(attrs["r"].startswith(self.cnonce), "server nonce does not extend ours: %r" % sf)
        salt, iters = self.unb64(attrs["s"]), int(attrs["i"])
        salted = hashlib.pbkdf2_hmac("sha256", self.password, salt, iters)
        ck = self._hmac(salted, b"Client Key")
        stored = hashlib.sha256(ck).digest()
        without_proof = "c=biws,r=%s" % attrs["r"]
        self.auth_msg = ("%s,%s,%s" % (self.first_bare, sf, without_proof)).encode()
        sig = self._hmac(stored, self.auth_msg)
        proof = bytes(a ^ b for a, b in zip(ck, sig))
        self.server_key = self._hmac(salted, b"Server Key")
        return ("%s,p=%s" % (without_proof, self.b64(proof).decode())).encode()

    def verify_server_final(self, server_final):
        sf = server_final.decode()
        check(sf.startswith("v="), "server-final-message is an error: %r" % sf)
        want = self.b64(self._hmac(self.server_key, self.auth_msg)).decode()
        check_eq(want, sf[2:], "server signature")
