#!/usr/bin/env bash
# broker: mqttgwd
# The server never sends a packet larger than the client's Maximum Packet Size, the CONNACK and
# a DISCONNECT included [MQTT-3.1.2-24] (issue #12 item 4). With a broker whose CONNACK carries
# properties (Receive Maximum, Topic Alias Maximum, Maximum Packet Size), a v5 CONNECT with
# Maximum Packet Size m gets, for m = 2..4, no CONNACK at all (even the minimal one is 5 bytes) and
# the close; for m >= 5 a CONNACK of at most m bytes (optional properties left out) and a working
# connection. An assigned client id that does not fit: the close without a CONNACK. A DISCONNECT
# that would carry a reason string leaves it out when it does not fit. Mosquitto 2.0.11 sends its
# CONNACK whatever the client's limit, hence mqttgwd only.
# timeout: 60
. "$(dirname "$0")/lib.sh"
start_broker "max_receive 100
max_topic_alias 10
message_size_limit 100000"
py <<'PY'
from mqtt5raw import *

def size(p):
    n = len(p.body)
    return 1 + (1 if n < 128 else 2 if n < 16384 else 3) + n

def packets_until_closed(c, within=3.0):
    _, got = c.wait_closed(within)
    return got

def t():
    c = Conn()
    c.send(connect5("mpc-ref"))
    ref = c.expect(CONNACK)
    check(size(ref) > 8, "the reference CONNACK carries properties (%d bytes)" % size(ref))
    for m in range(2, size(ref) + 2):
        c = Conn()
        c.send(connect5("mpc-%d" % m, props=[(MAX_PACKET_SIZE, m)]))
        if m < 5:
            got = packets_until_closed(c)
            check_eq([], [(p.name, size(p)) for p in got], "Maximum Packet Size %d: packets" % m)
            continue
        p = c.expect(CONNACK)
        check(size(p) <= m, "Maximum Packet Size %d: a %d-byte CONNACK" % (m, size(p)))
        check_eq(0, connack5(p)["rc"], "Maximum Packet Size %d: CONNACK reason" % m)
        c.send(pingreq())
        check_eq(PINGRESP, c.expect(PINGRESP).type, "Maximum Packet Size %d: connection works" % m)
    # an assigned client id (auto-...: over 20 bytes) cannot be left out
    c = Conn()
    c.send(connect5("", props=[(MAX_PACKET_SIZE, 12)]))
    check_eq([], [p.name for p in packets_until_closed(c)], "assigned id that does not fit")
    c = Conn()
    c.send(connect5("", props=[(MAX_PACKET_SIZE, 200)]))
    check(connack5(c.expect(CONNACK))["props"].get(ASSIGNED_CLIENT_ID), "assigned id that fits")
    # a reason string is left out of a DISCONNECT it would push over the limit
    c, _ = client5("mpc-disc", props=[(MAX_PACKET_SIZE, 10), (REQUEST_PROBLEM_INFO, 1)])
    c.send(publish5("mpc/#", "x"))  # a wildcard in a topic name: protocol error
    got = packets_until_closed(c)
    check(got and got[-1].type == DISCONNECT, "DISCONNECT before the close: %r" % got)
    check(size(got[-1]) <= 10, "a %d-byte DISCONNECT" % size(got[-1]))
    check_eq(None, disconnect_of(got[-1])["props"].get(REASON_STRING), "reason string")
main(t)
PY
