#!/usr/bin/env bash
# broker: mqttgwd
# Mosquitto loses on SIGKILL everything since its last autosave; this asserts the queue survives.
# timeout: 300
# A long offline queue lives in the store, not in memory (issue #13: a stored session keeps the
# first 1024 queued entries in memory, the rest is read back a page at a time as it drains),
# and nothing of its guarantees changes: an offline persistent subscriber (3.1.1 CleanSession 0,
# QoS 1, max_queued_messages 3000) gets 2000 messages, then 10 with a 3 s message expiry
# (MQTT 5 publisher), then 1500 more: the queue keeps 3000 (the last 500 are dropped, counted
# against the tail kept in the store). SIGKILL, restart: the start-up line counts all 3000
# (counts, not loaded). The subscriber comes back after the 10 expired: it gets p0000..p2989,
# each once, in order, none of the expired ones (skipped when read back), DUP 0; 100 messages
# published while it drains come after them, in order; then nothing more.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
start_broker "${STORE_CONF[@]}" "max_queued_messages 3000"

py <<'PY'
from mqttraw import *
def publish_range(p, lo, hi):
    pid = 1
    for w in range(lo, hi, 100):
        n = min(100, hi - w)
        for i in range(w, w + n):
            p.send(publish("oq/t", b"p%04d" % i, qos=1, pid=pid + i - w))
        for i in range(n):
            p.expect(PUBACK, timeout=30)
def t():
    s, _ = client("oq-sub", clean=False)
    check_eq([1], subscribe_ok(s, [("oq/#", 1)]), "SUBACK")
    s.send(disconnect())
    p, _ = client("oq-pub")
    publish_range(p, 0, 2000)
    p.send(disconnect())
main(t)
PY
t_exp=$(date +%s%N)
for i in 0 1 2 3 4 5 6 7 8 9; do echo "e$i"; done |
	pub -V mqttv5 -q 1 -t oq/t -l -D publish message-expiry-interval 3 ||
	fail "mosquitto_pub of the expiring messages"
py <<'PY'
from mqttraw import *
def t():
    p, _ = client("oq-pub")
    for w in range(2000, 3500, 100):
        for i in range(w, w + 100):
            p.send(publish("oq/t", b"p%04d" % i, qos=1, pid=1 + i - w))
        for i in range(100):
            p.expect(PUBACK, timeout=30)
    p.send(disconnect())
main(t)
PY
kill_broker
restart_broker
line=$(restored_line)
log "$line"
[[ $line =~ ^Restored\ 1\ sessions,\ 3000\ queued\ messages ]] ||
	fail "expected 1 session and 3000 queued messages: $line"
# the 10 expiring messages are 3 s old or more before the subscriber returns
left=$((3500 - ($(date +%s%N) - t_exp) / 1000000))
[ "$left" -le 0 ] || sleep "$((left / 1000 + 1))"

py <<'PY'
import threading
from mqttraw import *
def late():
    p, _ = client("oq-pub-late")
    for i in range(100):
        p.send(publish("oq/t", b"q%04d" % i, qos=1, pid=1 + i))
    for i in range(100):
        p.expect(PUBACK, timeout=30)
    p.send(disconnect())
def t():
    s, present = client("oq-sub", clean=False)
    check_eq(True, present, "session present after the restart")
    want = [b"p%04d" % i for i in range(2990)] + [b"q%04d" % i for i in range(100)]
    got = []
    th = None
    while len(got) < len(want):
        m = s.expect(PUBLISH, timeout=30).publish()
        check(not m["dup"], "DUP on a message never sent: %r" % m)
        check_eq(1, m["qos"], "QoS")
        got.append(m["payload"])
        s.send(puback(m["pid"]))
        if len(got) == 500:
            th = threading.Thread(target=late)
            th.start()
            th.join()
    for i, (w, g) in enumerate(zip(want, got)):
        check_eq(w, g, "message %d of the queue" % i)
    s.expect_nothing(1.0)
    s.send(disconnect())
    print("3090 messages in order, the expired ones skipped")
main(t)
PY
stop_broker
