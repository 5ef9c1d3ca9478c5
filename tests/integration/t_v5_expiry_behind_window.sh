#!/usr/bin/env bash
# A message held back by the client's Receive Maximum expires in the server's queue: with Receive
# Maximum 1 and the first message unacknowledged, a second one (expiry 1 s) waits; acknowledged
# 2.2 s later, the first frees the window but the expired second is never sent [MQTT-3.3.2-5]; a
# third, published afterwards, arrives.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    c = subscriber5("ebw", [("ebw/#", 1)], props=[(RECEIVE_MAX, 1)])
    p, _ = client5("ebw-pub")
    publish5_ok(p, "ebw/a", "first", qos=1, pid=1)
    publish5_ok(p, "ebw/b", "expires", qos=1, pid=2, props=[(MESSAGE_EXPIRY, 1)])
    m = recv_publish(c, ack=False)
    check_eq(b"first", m["payload"], "first message")
    c.expect_nothing(2.2)  # window full: the second one waits, then expires
    c.send(puback5(m["pid"]))
    publish5_ok(p, "ebw/c", "third", qos=1, pid=3)
    got = collect_publishes(c, 1.0)
    check_eq([b"third"], [x["payload"] for x in got], "after the window opened")
PY
