#!/usr/bin/env bash
# A client with keepalive 2 s that goes silent is disconnected, not before 1.5 x keepalive (3 s)
# and within 12 s (loose: Mosquitto 2.0.11 checks only every ~5 s; t_keepalive_timeout holds
# mqttgwd to 4.5 s), and its will is published then (QoS 1, RETAIN 0), not before.
. "$(dirname "$0")/lib.sh"
start_broker
py <<'PY'
from mqttraw import *
import time
def t():
    s, _ = client("kw-watch")
    check_eq([1], subscribe_ok(s, [("kw/will", 1)]), "SUBACK")
    c, _ = client("kw", keepalive=2, will=("kw/will", "kw-gone", 1, False))
    t0 = time.monotonic()
    s.expect_nothing(2.9)  # no will while the client is within its keepalive
    dt, got = c.wait_closed(within=12 - (time.monotonic() - t0))
    dt += 2.9
    check_eq([], got, "packets before the close")
    check(dt >= 3.0, "closed after %.2f s, before 1.5 x keepalive" % dt)
    m = s.expect(PUBLISH, timeout=3).publish()
    check_eq(("kw/will", b"kw-gone", 1, False), (m["topic"], m["payload"], m["qos"], m["retain"]), "will")
    s.send(puback(m["pid"]))
    print("closed %.2f s after CONNACK" % dt)
main(t)
PY
