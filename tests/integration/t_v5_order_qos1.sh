#!/usr/bin/env bash
# Messages from one publisher on one topic reach a v5 subscriber in publish order
# [MQTT-4.6.0-5], [MQTT-4.6.0-6]: 500 QoS 1 messages pipelined without waiting for PUBACK, with the
# subscriber's Receive Maximum 10 throttling the server.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
N = 500
def t():
    s = subscriber5("ord", [("ord/t", 1)], props=[(RECEIVE_MAX, 10)])
    p, _ = client5("ord-pub")
    p.send(b"".join(publish5("ord/t", "%d" % i, qos=1, pid=i + 1) for i in range(N)))
    got = []
    while len(got) < N:
        m = recv_publish(s, 5.0)
        got.append(int(m["payload"]))
    check_eq(list(range(N)), got, "order")
    acks = [ack_of(p.expect(PUBACK))["pid"] for _ in range(N)]
    check_eq(list(range(1, N + 1)), acks, "PUBACK order")
PY
