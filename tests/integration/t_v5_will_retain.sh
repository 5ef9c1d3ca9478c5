#!/usr/bin/env bash
# Will Retain 1 publishes the will as a retained message [MQTT-3.1.2-15] (a later subscriber gets
# it with RETAIN 1); Will Retain 0 as a non-retained one [MQTT-3.1.2-14]; the will is published once
# and then removed [MQTT-3.1.2-10].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    w = subscriber5("wrt-watch", [("wrt/#", 1)])
    c, _ = client5("wrt-r", will=("wrt/retained", "r", 1, True))
    c.close()
    m = recv_publish(w)
    check_eq(("wrt/retained", b"r", False), (m["topic"], m["payload"], m["retain"]), "live will (Retain As Published 0)")
    c, _ = client5("wrt-n", will=("wrt/plain", "n", 1, False))
    c.close()
    check_eq(b"n", recv_publish(w)["payload"], "non-retained will")
    w.expect_nothing(0.5)  # once each
    s = subscriber5("wrt-late", [("wrt/#", 1)])
    got = [(m["topic"], m["retain"]) for m in collect_publishes(s, 0.7)]
    check_eq([("wrt/retained", True)], got, "retained wills for a later subscriber")
    p, _ = client5("wrt-clean")
    publish5_ok(p, "wrt/retained", "", qos=1, retain=True)
PY
