#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 180
# Durable store across a restart, by SIGTERM and by SIGKILL: an offline persistent subscriber
# (3.1.1 CleanSession 0) keeps its subscriptions and gets the QoS 1 and QoS 2 messages queued for
# it while it was away, once each, in order; a retained message survives; the start-up line says
# what was restored. Every message here was acknowledged to its publisher before the broker
# went down: acknowledged means durable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
start_broker "${STORE_CONF[@]}"
for how in term kill; do
	py - "$how" <<'PY'
import sys
from mqttraw import *
how = sys.argv[1]
def t():
    s, _ = client("st-sub-" + how, clean=False)
    check_eq([1, 2], subscribe_ok(s, [("st/%s/one" % how, 1), ("st/%s/two/#" % how, 2)]), "SUBACK")
    s.send(disconnect())
    p, _ = client("st-pub-" + how)
    for i in range(3):
        p.send(publish("st/%s/one" % how, "q1-%d" % i, qos=1, pid=10 + i))
        check_eq(10 + i, p.expect(PUBACK).pid(), "PUBACK")
    for i in range(2):
        p.send(publish("st/%s/two/x" % how, "q2-%d" % i, qos=2, pid=20 + i))
        check_eq(20 + i, p.expect(PUBREC).pid(), "PUBREC")
        p.send(pubrel(20 + i))
        check_eq(20 + i, p.expect(PUBCOMP).pid(), "PUBCOMP")
    p.send(publish("st/%s/ret" % how, "kept", qos=1, retain=True, pid=30))
    check_eq(30, p.expect(PUBACK).pid(), "PUBACK retained")
    p.send(disconnect())
main(t)
PY
	stop_how "$how"
	restart_broker
	line=$(restored_line)
	log "$how: $line"
	[[ $line =~ ^Restored\ [0-9]+\ sessions,\ ([0-9]+)\ queued\ messages,\ ([0-9]+)\ retained ]] ||
		fail "$how: no Restored line in the log"
	[ "${BASH_REMATCH[1]}" -ge 5 ] || fail "$how: expected at least 5 queued messages: $line"
	[ "${BASH_REMATCH[2]}" -ge 1 ] || fail "$how: expected a retained message: $line"
	py - "$how" <<'PY'
import sys
from mqttraw import *
how = sys.argv[1]
def t():
    s, sp = client("st-sub-" + how, clean=False)
    check_eq(True, sp, "session present after the restart")
    ms = [s.expect(PUBLISH).publish() for _ in range(5)]
    got = [(m["payload"].decode(), m["qos"]) for m in ms]
    for m in ms:
        if m["qos"] == 1:
            s.send(puback(m["pid"]))
        else:
            s.send(pubrec(m["pid"]))
            check_eq(m["pid"], s.expect(PUBREL).pid(), "PUBREL")
            s.send(pubcomp(m["pid"]))
    check_eq([("q1-0", 1), ("q1-1", 1), ("q1-2", 1), ("q2-0", 2), ("q2-1", 2)], got,
             "queued messages after the restart, in order, at their QoS")
    s.expect_nothing(0.5)
    # the subscriptions came back too: a new message reaches the session
    p, _ = client("st-pub2-" + how)
    p.send(publish("st/%s/two/y" % how, "after", qos=1, pid=5))
    check_eq(5, p.expect(PUBACK).pid(), "PUBACK after the restart")
    m = s.expect(PUBLISH).publish()
    check_eq(b"after", m["payload"], "delivery through a restored subscription")
    s.send(puback(m["pid"]) if m["qos"] == 1 else pubrec(m["pid"]))
    s.send(disconnect())
    r = subscriber("st-ret-" + how, [("st/%s/ret" % how, 1)])
    m = r.expect(PUBLISH).publish()
    check_eq((b"kept", True), (m["payload"], m["retain"]), "retained message after the restart")
    r.send(puback(m["pid"]))
    r.send(disconnect())
main(t)
PY
done
stop_broker
