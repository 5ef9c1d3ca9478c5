#!/usr/bin/env bash
# broker: mqttgwd
# A client with keepalive 2 s that goes silent is disconnected after 1.5 x keepalive
# [MQTT-3.1.2-24]: no earlier than 3.0 s and no later than 4.5 s after its CONNACK; its will is
# published. Three clients started 0.4 s apart, so a coarse periodic check cannot pass by luck.
# Mosquitto 2.0.11 checks keepalives only every ~5 s (measured 3.4 to 9.0 s for keepalive 2):
# late, hence mqttgwd only; t_keepalive_will checks the same with a loose upper bound.
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
import threading, time
def t():
    s, _ = client("ka-watch")
    check_eq([1], subscribe_ok(s, [("ka/will/+", 1)]), "SUBACK")
    results, errors = {}, []
    def one(i):
        try:
            time.sleep(0.4 * i)
            c, _ = client("ka%d" % i, keepalive=2, will=("ka/will/%d" % i, "gone%d" % i, 1, False))
            _, got = c.wait_closed(within=8)
            check_eq([], got, "packets before the keepalive close")
            # earliest: measured from CONNECT sent; latest: from CONNACK received
            results[i] = (c.closed_at - c.t_sent, c.closed_at - c.t_connack)
        except Exception as e:
            errors.append("ka%d: %s" % (i, e))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    [x.start() for x in ts]
    [x.join() for x in ts]
    check(not errors, "; ".join(errors))
    for i, (since_send, since_connack) in sorted(results.items()):
        print("ka%d closed %.3f s after CONNECT, %.3f s after CONNACK" % (i, since_send, since_connack))
        # 50 ms allowance for timer granularity below 1.5 x keepalive
        check(since_send >= 2.95, "ka%d: closed %.3f s after CONNECT, before 1.5 x keepalive" % (i, since_send))
        check(since_connack <= 4.5, "ka%d: closed %.3f s after CONNACK, expected <= 4.5 s" % (i, since_connack))
    wills = set()
    for _ in range(3):
        m = s.expect(PUBLISH, timeout=2).publish()
        wills.add((m["topic"], m["payload"]))
        s.send(puback(m["pid"]))
    check_eq({("ka/will/%d" % i, b"gone%d" % i) for i in range(3)}, wills, "wills")
PY
