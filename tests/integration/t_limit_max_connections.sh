#!/usr/bin/env bash
# max_connections 3 on the listener: three clients connect; a fourth TCP connection is refused
# (closed without a successful CONNACK: no CONNACK at all, as Mosquitto, or CONNACK 0x03
# "server unavailable"), while the three keep working; once one leaves, a new client connects.
. "$(dirname "$0")/lib.sh"
py_test mqttraw "max_connections 3" <<'PY'
import time
def t():
    cs = [client("mx%d" % i)[0] for i in range(3)]
    extra = Conn()
    extra.send(connect("mx-extra"))
    got = extra.assert_closed(within=3, allow=(CONNACK,))
    for p in got:
        check_eq(0x03, p.connack()[1], "CONNACK for the connection over the limit")
    for c in cs:
        c.send(pingreq()); c.expect(PINGRESP)
    cs[0].send(disconnect())
    cs[0].assert_closed(within=3)
    deadline = time.monotonic() + 3
    while True:  # the broker may notice the close a moment later
        try:
            c, _ = client("mx-after")
            break
        except (TestFailure, OSError) as e:
            if time.monotonic() > deadline:
                raise TestFailure("no connection possible after one left: %s" % e)
            time.sleep(0.2)
    c.send(pingreq()); c.expect(PINGRESP)
PY
