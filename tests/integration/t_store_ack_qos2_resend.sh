#!/usr/bin/env bash
# Durable store, acknowledged means durable across a reconnect (README "What survives a crash"):
# a QoS 2 PUBREC waits for the batch that holds the message's state (its rx2 row, the queue
# entry of an offline persistent subscriber). The store is on a powercut FUSE mount whose daemon
# is stopped (SIGSTOP): nothing becomes durable. Client "q2" (3.1.1, persistent session) publishes
# QoS 2 pid 5 to a topic with an offline persistent subscriber: no PUBREC. It loses its
# connection and comes back (session present) and sends the PUBLISH again with DUP, as
# [MQTT-4.4.0-1] says it must: the broker already has pid 5 (in memory) and answers PUBREC
# without staging anything. That PUBREC may not go before the first one would have: the state
# it acknowledges is still not durable. With acks ordered per struct client (review1), the
# old connection's waiting PUBREC (client gone, c NULL) no longer holds the new connection's
# back, and the PUBREC went at once: the client then sends PUBREL and forgets the message,
# and a crash before the fsync loses it.
# broker: mqttgwd
# (freezes the store's writes through its filesystem: mqttgw's durable store)
# needs: fuse
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/pclib.sh"

pc_store_broker "$T/mnt"

# an offline persistent session on t/off: a QoS 2 message for it must be durable before PUBREC
sub -q 2 -c -i off-sub -t t/off -W 1 >/dev/null 2>&1 || true
pub -q 2 -t t/off -m before || fail "no PUBREC/PUBCOMP with the store writing"

kill -STOP "$PC_PID"
log "powercut daemon stopped: the store cannot write"
py - "$PC_PID" <<'PY' || fail "an ack before its state was durable (see above)"
import os, signal, sys, time
from mqttraw import *

def held_then_resent(first, again, ptype, what):
    """Send `first` on a connection of "q2" (its ack waits for the frozen disk), drop the
    connection, send `again` on a new one: no ack while the store is frozen, then one."""
    c, _ = client("q2", clean=False)
    c.send(first)
    c.expect_nothing(1.0)  # the ack waits for the frozen disk
    c.abort()
    # a CONNECT for the same id takes the session over however far the old close got
    c, present = client("q2", clean=False)
    check_eq(True, bool(present), "session present")
    t0 = time.monotonic()
    c.send(again)
    p = c.recv(2.0)
    check(p is None, "%s %.0f ms after the %s with nothing durable yet: %r"
          % (NAMES[ptype], (time.monotonic() - t0) * 1000, what, p))
    os.kill(int(sys.argv[1]), signal.SIGCONT)
    p = c.expect(ptype, timeout=10.0)
    check_eq(5, p.pid(), "%s packet id once the store writes" % NAMES[ptype])
    c.send(disconnect())

def t():
    held_then_resent(publish("t/off", b"held", qos=2, pid=5),
                     publish("t/off", b"held", qos=2, pid=5, dup=True), PUBREC,
                     "PUBLISH resend")
    # the same for PUBCOMP: the PUBREL's release of pid 5 is staged, its PUBCOMP waits; the
    # PUBREL sent again on a new connection finds nothing to release (nothing staged): its
    # PUBCOMP may not go before the release is durable either, or a crash brings pid 5's
    # state back after the client reused the id (its next QoS 2 message taken for a resend)
    os.kill(int(sys.argv[1]), signal.SIGSTOP)
    held_then_resent(pubrel(5), pubrel(5), PUBCOMP, "PUBREL resend")

main(t)
PY
kill -CONT "$PC_PID"
pub -q 2 -t t/off -m after || fail "no PUBREC/PUBCOMP once the store writes again"
stop_broker
