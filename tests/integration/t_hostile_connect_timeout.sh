#!/usr/bin/env bash
# broker: mqttgwd
# Slow and silent clients before CONNECT are closed after connect_timeout (ours; default 10 s),
# measured from the TCP accept, whatever trickles in meanwhile. With `connect_timeout 2`:
#  - a connection that sends nothing: closed 2 s after it opened (1.9..3.0 s), no byte sent;
#  - a CONNECT sent one byte per second: closed at the same time, not extended by each byte,
#    and no CONNACK ever;
#  - a fixed header declaring a CONNECT whose body never comes: the same;
#  - a client whose CONNECT completes at 1.5 s is served and stays connected past 2 s (the
#    timer is for the CONNECT only; keepalive takes over).
# Then with the default (no connect_timeout line): a silent connection is closed after 10 s
# (9.9..12 s). A bystander connected before keeps receiving throughout.
# mqttgwd only: connect_timeout is not a Mosquitto option.
# timeout: 90
. "$(dirname "$0")/lib.sh"

PYTEST=$(cat <<'PY'
from mqttraw import *
import os, threading, time

from hostile import bystander, bystander_alive

TMO = float(os.environ["CT"])

def closed_in(c, t_open, what, lo, hi):
    _, got = c.wait_closed(within=hi + 1 - (time.monotonic() - t_open))
    dt = c.closed_at - t_open
    check_eq([], got, "%s: packets before the close" % what)
    check(lo <= dt <= hi, "%s: closed after %.2f s, expected %.1f..%.1f s" % (what, dt, lo, hi))
    print("%s: closed after %.2f s" % (what, dt))

def stalled(errors, lo, hi, what, raw):
    """A connection that sends raw (b"": nothing) and then nothing more."""
    try:
        t0 = time.monotonic()
        c = Conn()
        if raw:
            c.send(raw)
        closed_in(c, t0, what, lo, hi)
    except Exception as e:
        errors.append(str(e))

def trickle(errors, lo, hi):
    try:
        t0 = time.monotonic()
        c = Conn()
        data = connect("ct-trickle")
        i = 0
        while time.monotonic() - t0 < hi + 1:
            if i < len(data):
                try:
                    c.send(data[i:i + 1])
                except OSError:
                    break
                i += 1
            try:
                p = c.recv(1.0)
            except Closed:
                c.closed_at = time.monotonic()
                break
            check(p is None, "trickled CONNECT answered: %r" % p)
        else:
            raise TestFailure("one byte per second: still open after %.1f s" % (hi + 1))
        dt = c.closed_at - t0
        check(lo <= dt <= hi, "one byte per second: closed after %.2f s (%d bytes sent), expected "
              "%.1f..%.1f s" % (dt, i, lo, hi))
        print("one byte per second: closed after %.2f s, %d bytes sent" % (dt, i))
    except Exception as e:
        errors.append(str(e))

def late_connect(errors):
    try:
        c = Conn()
        time.sleep(TMO * 0.75)
        c.send(connect("ct-late", keepalive=60))
        check_eq((False, 0), c.expect(CONNACK).connack(), "CONNACK at 0.75 x connect_timeout")
        time.sleep(TMO)
        c.send(pingreq())
        c.expect(PINGRESP)
    except Exception as e:
        errors.append("late CONNECT: %s" % e)

def t():
    b = bystander()
    lo, hi = TMO - 0.1, TMO + 1.0 + (TMO > 5) * 1.0
    errors = []
    ts = [threading.Thread(target=stalled, args=(errors, lo, hi, "silent", b""))]
    if TMO < 5:
        ts += [threading.Thread(target=trickle, args=(errors, lo, hi)),
               threading.Thread(target=stalled, args=(errors, lo, hi, "header only", b"\x10\x20")),
               threading.Thread(target=late_connect, args=(errors,))]
    [x.start() for x in ts]
    time.sleep(0.5)
    bystander_alive(b, "during")
    [x.join() for x in ts]
    check(not errors, "; ".join(errors))
    bystander_alive(b, "after")
main(t)
PY
)

start_broker "connect_timeout 2"
CT=2 py -c "$PYTEST"
stop_broker
start_broker
CT=10 py -c "$PYTEST"
