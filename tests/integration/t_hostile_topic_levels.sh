#!/usr/bin/env bash
# broker: mqttgwd
# Topics with 65,535 levels: a topic name of 65,534 '/' (the longest string MQTT allows,
# 65,535 bytes minus one; 65,535 empty levels) and one of 32,768 one-character levels are valid
# (4.7.1: zero-length levels are allowed; 1.5.3: up to 65,535 bytes). The broker must neither
# crash nor stall: QoS 1 publishes on them are acknowledged and delivered with the topic intact
# to '#' and to subscribers whose filters have as many levels ('+' at each, or the same
# literal levels) [MQTT-4.7.1-1..3 matching]; a retained message on the deep topic is stored,
# delivered on subscribe and deleted; unsubscribing works; SIGTERM still exits cleanly (the
# tree is freed). A subscription the server refuses must say so (SUBACK 0x80), never a crash.
# A bystander subscribed before keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 disconnects a client subscribing to a valid filter of more
# than 200 levels ("Invalid subscription string"), where the spec allows SUBACK 0x80 at most.
# timeout: 90
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
import time

from hostile import bystander, bystander_alive

SLASHES = "/" * 65534                      # 65,535 empty levels
LETTERS = "/".join(["a"] * 32768)          # 32,768 levels, 65,535 bytes
PLUS = "/".join(["+"] * 32768)             # matches LETTERS and nothing shorter
PLUS_HASH = "/".join(["+"] * 32767) + "/#" # 32,768 levels, '#' last: matches LETTERS

def get(c, timeout=10):
    m = c.expect(PUBLISH, timeout=timeout).publish()
    if m["qos"]:
        c.send(puback(m["pid"]))
    return m

def t():
    b = bystander()
    check_eq(65534, len(SLASHES.encode()), "topic length")
    check_eq(65535, len(LETTERS.encode()), "topic length")
    all_, _ = client("tl-all")
    check_eq([1], subscribe_ok(all_, [("#", 1)]), "SUBACK for #")
    deep, _ = client("tl-deep")
    deep.send(subscribe(2, [(SLASHES, 1), (PLUS, 1), (PLUS_HASH, 0)]))
    pid, codes = deep.expect(SUBACK, timeout=10).suback()
    check_eq(2, pid, "SUBACK packet id")
    check_eq(3, len(codes), "one code per filter [MQTT-3.8.4-5]")
    for code in codes:
        check(code in (0, 1, 0x80), "SUBACK code 0x%02x" % code)
    print("deep SUBACK codes", codes)
    p, _ = client("tl-pub")
    t0 = time.monotonic()
    p.send(publish(SLASHES, "slashes", qos=1, pid=1))
    check_eq(1, p.expect(PUBACK, timeout=10).pid(), "PUBACK for the 65,535-level topic")
    m = get(all_)
    check_eq((SLASHES, b"slashes"), (m["topic"], m["payload"]), "'#' gets the 65,535-level topic")
    if codes[0] != 0x80:
        m = get(deep)
        check_eq((SLASHES, b"slashes", 1), (m["topic"], m["payload"], m["qos"]), "literal deep filter")
    p.send(publish(LETTERS, "letters", qos=1, pid=2))
    check_eq(2, p.expect(PUBACK, timeout=10).pid(), "PUBACK for the 32,768-level topic")
    m = get(all_)
    check_eq((LETTERS, b"letters"), (m["topic"], m["payload"]), "'#' gets the 32,768-level topic")
    if codes[1] != 0x80 or codes[2] != 0x80:
        # overlapping '+' and '+/#' filters: one copy, at the higher granted QoS [MQTT-3.3.5-1]
        # (a broker sending one copy per subscription would show here as a second copy)
        m = get(deep)
        check_eq((LETTERS, b"letters"), (m["topic"], m["payload"]), "'+' deep filters")
    deep.expect_nothing(0.5)
    print("deep publishes handled in %.2f s" % (time.monotonic() - t0))
    bystander_alive(b, "publish")
    # retained on the deepest topic: stored, delivered on subscribe, deleted
    p.send(publish(SLASHES, "kept", qos=1, pid=3, retain=True))
    p.expect(PUBACK, timeout=10)
    get(all_)
    if codes[0] != 0x80:
        check_eq(b"kept", get(deep)["payload"], "retained publish to the literal deep filter")
    late, _ = client("tl-late")
    check_eq([1], subscribe_ok(late, [("#", 1)]), "SUBACK")
    got = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        q = late.recv(0.5)
        if q is None:
            break
        m = q.publish()
        got[m["topic"]] = (m["payload"], m["retain"])
        if m["qos"]:
            late.send(puback(m["pid"]))
    check_eq((b"kept", True), got.get(SLASHES), "retained 65,535-level topic on subscribe")
    p.send(publish(SLASHES, "", qos=1, pid=4, retain=True))
    p.expect(PUBACK, timeout=10)
    get(all_)
    if codes[0] != 0x80:
        check_eq(b"", get(deep)["payload"], "the deleting publish to the literal deep filter")
    late2, _ = client("tl-late2")
    late2.send(subscribe(1, [(SLASHES, 1)]))
    late2.expect(SUBACK, timeout=10)
    late2.expect_nothing(1.0)
    deep.send(unsubscribe(5, [SLASHES, PLUS, PLUS_HASH]))
    check_eq(5, deep.expect(UNSUBACK, timeout=10).pid(), "UNSUBACK")
    p.send(publish(LETTERS, "after", qos=1, pid=5))
    p.expect(PUBACK, timeout=10)
    get(all_)
    deep.expect_nothing(0.5)
    bystander_alive(b, "end")
PY
