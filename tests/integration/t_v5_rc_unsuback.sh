#!/usr/bin/env bash
# UNSUBACK has one reason code per filter, in order [MQTT-3.11.3-1], [MQTT-3.11.3-2]: 0x00 where a
# subscription was deleted, 0x11 (No subscription existed) where none matched exactly
# [MQTT-3.10.4-1]; it is sent even when nothing was deleted [MQTT-3.10.4-5]; deleted filters stop
# delivering [MQTT-3.10.4-2], the others keep on.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("ru", [("ru/a", 1), ("ru/+", 0), ("ru/keep", 1)])
    check_eq([0x00, 0x11, 0x00, 0x11], unsubscribe5_ok(s, ["ru/a", "ru/b", "ru/+", "ru/#"], pid=9),
             "UNSUBACK reason codes")
    check_eq([0x11], unsubscribe5_ok(s, ["ru/a"], pid=10), "UNSUBACK when nothing was deleted")
    p, _ = client5("ru-pub")
    publish5_ok(p, "ru/a", "gone", qos=1, pid=1)
    publish5_ok(p, "ru/keep", "kept", qos=1, pid=2)
    m = recv_publish(s)
    check_eq(("ru/keep", b"kept"), (m["topic"], m["payload"]), "only the kept subscription delivers")
    s.expect_nothing(0.5)
PY
