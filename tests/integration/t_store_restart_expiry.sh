#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 150
# Time that passed while the broker was down (wall clock). A v5 client left abnormally with a
# will delayed 2 s and a session expiry of 300 s; the broker is SIGKILLed at once and comes back
# after the delay: the will goes out at start-up, to a persistent subscriber of its topic, once.
# A second will, delayed 600 s, is still waiting after the restart (not fired). A session with
# a 1 s expiry that passed while down is gone (session present 0); one with 300 s is kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
py_test mqtt5raw "${STORE_CONF[@]}" <<'PY'
def t():
    w = subscriber5("ex-watch", [("ex/will/#", sub_opts(qos=1))], clean=False,
                    props=[(SESSION_EXPIRY, 300)])
    w.send(disconnect5())
    a, _ = client5("ex-will-soon", clean=True, props=[(SESSION_EXPIRY, 300)],
                   will=dict(topic="ex/will/soon", payload="gone", qos=1,
                             props=[(WILL_DELAY, 2)]))
    b, _ = client5("ex-will-late", clean=True, props=[(SESSION_EXPIRY, 3000)],
                   will=dict(topic="ex/will/late", payload="later", qos=1,
                             props=[(WILL_DELAY, 600)]))
    e1, _ = client5("ex-short", clean=True, props=[(SESSION_EXPIRY, 1)])
    e2, _ = client5("ex-long", clean=True, props=[(SESSION_EXPIRY, 300)])
    for c in (a, b):
        c.abort()  # abnormal: the wills wait for their delay
    for c in (e1, e2):
        c.send(disconnect5())
    time.sleep(0.5)
PY
kill_broker
sleep 3
restart_broker
grep -q "Restored 4 sessions" "$BROKER_LOG" ||
	fail "expected 4 sessions restored (all but ex-short): $(restored_line)"
py <<'PY'
from mqtt5raw import *
def t():
    w, ack = client5("ex-watch", clean=False, props=[(SESSION_EXPIRY, 300)])
    check_eq(1, ack["sp"], "watcher session present")
    ms = collect_publishes(w, 2.0)
    check_eq([b"gone"], payloads(ms), "the will whose delay passed while down, once")
    c, ack = client5("ex-short", clean=False, props=[(SESSION_EXPIRY, 1)])
    check_eq(0, ack["sp"], "a session expired while down is gone")
    c.send(disconnect5())
    c, ack = client5("ex-long", clean=False, props=[(SESSION_EXPIRY, 300)])
    check_eq(1, ack["sp"], "a session not expired is kept")
    c.send(disconnect5())
    w.send(disconnect5())
main(t)
PY
stop_broker
