#!/usr/bin/env bash
# known-failing: quota exceeded (0x97) is not implemented: memory_limit is parsed but not enforced
# broker: mqttgwd
# An administrative limit exceeded gives DISCONNECT 0x97 (Quota exceeded), 3.14.2.1: with
# memory_limit 2000000, a client that stores retained messages of 20 kB on distinct topics (QoS 0,
# up to 200 of them = 4 MB) is disconnected with 0x97 before it gets through them all, and the
# broker keeps serving others. (Mosquitto 2.0.11 drops the connection without a DISCONNECT when
# memory_limit is hit.)
# timeout: 30
. "$(dirname "$0")/lib.sh"
[ -n "${MQTTGW_RUN_KNOWN_FAILING:-}" ] || skip "not implemented yet: quota exceeded (DISCONNECT 0x97)"
start_broker "memory_limit 2000000"
py <<'PY'
from mqtt5raw import *
def t():
    c, _ = client5("dq")
    try:
        for i in range(200):
            c.send(publish5("dq/%d" % i, b"Q" * 20000, retain=True))
            c.send(pingreq())
            p = c.recv(2.0)
            if p is not None and p.type == DISCONNECT:
                c.buf = raw_of(p) + c.buf
                break
            check(p is not None and p.type == PINGRESP, "after message %d: %r" % (i, p))
    except (Closed, OSError):
        pass
    expect_disconnect(c, RC_QUOTA_EXCEEDED, within=3)
    assert_broker_serves5()
main(t)
PY
