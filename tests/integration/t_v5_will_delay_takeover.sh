#!/usr/bin/env bash
# A take-over is a new connection to the session: it must not publish a delayed will (issue #12
# item 2, [MQTT-3.1.3-9]). A client with Session Expiry 60 and a will with Will Delay 2 is taken
# over by a CONNECT with Clean Start 0: no will within 3 s (past the delay). Taken over with Clean
# Start 1 within the delay: no will either (MQTT-3.1.2-8 lets the server drop it). Controls: a Will Delay 0 will is published at the take-over; with Session Expiry 0 the
# session ends with the old connection, so its delayed will is published at once.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'

SEI = [(SESSION_EXPIRY, 60)]

def will(payload, delay):
    return dict(topic="wdt/will", payload=payload, qos=1, props=[(WILL_DELAY, delay)])

def t():
    w = subscriber5("wdt-watch", [("wdt/will", 1)])
    for i, clean in enumerate((False, True)):
        cid = "wdt-%d" % i
        old, _ = client5(cid, clean=False, props=SEI, will=will("must-not-%d" % i, 2))
        new, _ = client5(cid, clean=clean, props=SEI)
        expect_disconnect(old, RC_SESSION_TAKEN_OVER)
        check_eq([], collect_publishes(w, 3.0), "will after a take-over (Clean Start %d)" % clean)
        new.send(disconnect5())
        new.close()
    old, _ = client5("wdt-now", clean=False, props=SEI, will=will("now", 0))
    client5("wdt-now", clean=False, props=SEI)
    check_eq([b"now"], payloads(collect_publishes(w, 1.0)), "Will Delay 0: published at once")
    old, _ = client5("wdt-end", props=[(SESSION_EXPIRY, 0)], will=will("session-ended", 5))
    client5("wdt-end", clean=False, props=SEI)
    check_eq([b"session-ended"], payloads(collect_publishes(w, 1.0)),
             "Session Expiry 0: the session ended, its will is published")
PY
