#!/usr/bin/env bash
# `log_dest topic` (Mosquitto): log lines are published on $SYS/broker/log/<severity>
# (N notice, I information, M/subscribe, M/unsubscribe, ...), QoS 2, not retained, with
# their timestamp (mqttgw logs "New client connected" as information, Mosquitto as notice).
# Publishing them logs nothing that is published again (no loop: the count of messages stays
# bounded while a subscriber listens with log_type all).
# timeout: 60
. "$(dirname "$0")/lib.sh"
start_broker "log_dest topic" "log_dest stderr"
py <<'PY'
from mqttc import *

w = Client("watcher"); w.connect()
check_eq(list(w.subscribe([("$SYS/broker/log/#", 2)])), [2], "granted")
got = {m.topic: m for m in w.collect(1.0)}
check("$SYS/broker/log/M/subscribe" in got, "its own subscription logged: %r" % list(got))
m = got["$SYS/broker/log/M/subscribe"]
check(m.payload.decode().endswith(": watcher 2 $SYS/broker/log/#"), repr(m.payload))
check_eq((m.qos, m.retain), (2, False), "QoS 2, not retained")

c = Client("other"); c.connect(); c.subscribe([("a/b", 0)]); c.unsubscribe(["a/b"]); c.disconnect()
got = [(m.topic, m.payload.decode()) for m in w.collect(1.5)]
topics = [t for t, _ in got]
check(any(t in ("$SYS/broker/log/N", "$SYS/broker/log/I") and "New client connected" in p and " as other " in p
          for t, p in got), "connect notice: %r" % got)
check(any(t == "$SYS/broker/log/M/subscribe" and p.endswith("other 0 a/b") for t, p in got),
      "subscribe: %r" % got)
check(any(t == "$SYS/broker/log/M/unsubscribe" and p.endswith("other a/b") for t, p in got),
      "unsubscribe: %r" % got)
check(len(got) < 20, "a bounded number of log messages (no loop): %d" % len(got))
w.expect_none(1.0)  # quiet broker, quiet topic: nothing feeds itself
w.disconnect()
print("ok")
PY
stop_broker
