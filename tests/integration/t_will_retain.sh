#!/usr/bin/env bash
# Will Retain 1: the will is published as a retained message [MQTT-3.1.2-17]: an existing
# subscriber gets it with RETAIN 0 (normal forwarding), a later subscriber gets it from the
# retained store with RETAIN 1. Will Retain 0 leaves nothing retained [MQTT-3.1.2-16].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s = subscriber("wr-watch", [("wr/#", 0)])
    c, _ = client("wr1", will=("wr/retained", "last-words", 1, True))
    c.abort()
    m = s.expect(PUBLISH, timeout=3).publish()
    check_eq(("wr/retained", b"last-words", False), (m["topic"], m["payload"], m["retain"]), "live will")
    c, _ = client("wr2", will=("wr/plain", "not-retained", 1, False))
    c.abort()
    m = s.expect(PUBLISH, timeout=3).publish()
    check_eq(("wr/plain", False), (m["topic"], m["retain"]), "live will 2")
    late, _ = client("wr-late")
    check_eq([1], subscribe_ok(late, [("wr/#", 1)]), "SUBACK")
    m = late.expect(PUBLISH).publish()
    check_eq(("wr/retained", b"last-words", True, 1), (m["topic"], m["payload"], m["retain"], m["qos"]), "retained will")
    late.send(puback(m["pid"]))
    late.expect_nothing(1.0)  # wr/plain was not retained
PY
