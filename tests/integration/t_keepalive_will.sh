#!/usr/bin/env bash
# A client with keepalive 2 s that goes silent is disconnected, not before 1.5 x keepalive (3 s)
# and within 12 s (loose: Mosquitto 2.0.11 checks only every ~5 s; t_keepalive_timeout holds
# mqttgwd to 4.5 s), and its will is published then (QoS 1, RETAIN 0), not before.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
import time
def t():
    s, _ = client("kw-watch")
    check_eq([1], subscribe_ok(s, [("kw/will", 1)]), "SUBACK")
    c, _ = client("kw", keepalive=2, will=("kw/will", "kw-gone", 1, False))
    s.expect_nothing(2.8)  # no will while the client is within its keepalive
    _, got = c.wait_closed(within=12 - (time.monotonic() - c.t_connack))
    check_eq([], got, "packets before the close")
    dt = c.closed_at - c.t_sent  # the broker got CONNECT after t_sent
    # 50 ms allowance for timer granularity below 1.5 x keepalive
    check(dt >= 2.95, "closed %.3f s after CONNECT, before 1.5 x keepalive" % dt)
    m = s.expect(PUBLISH, timeout=3).publish()
    check_eq(("kw/will", b"kw-gone", 1, False), (m["topic"], m["payload"], m["qos"], m["retain"]), "will")
    s.send(puback(m["pid"]))
    print("closed %.3f s after CONNECT" % dt)
PY
