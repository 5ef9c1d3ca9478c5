#!/usr/bin/env bash
# What an idle connection costs, and the lazy paths behind it: 950 idle clients (3.1.1 and 5.0) may
# add at most 730 bytes of anonymous memory each to the broker (measured here: 539 or 677 B, two
# modes 128 KiB apart, whether glibc trimmed the heap's top after the connect burst; 573 or 711 B
# before struct conn, client and session each went one malloc chunk down, 819-828 B before the
# session's queue, QoS window and offline state and the client's alias tables were made on
# demand, 923-927 B before the footprint work of issue #15), and at most 1,400 B under ASan,
# whose redzones and quarantine double every allocation (1,056-1,199 B measured; 1,212 B for main
# before the chunks went down: ASan's size classes are not glibc's, so the gain hardly shows
# there), and every idle client still works afterwards: each answers a
# PINGREQ, one sends a 300 KB PUBLISH in pieces (the receive buffer that no idle client holds grows
# across reads and is released), a 5.0 client sets and then uses a Topic Alias (the alias table is
# allocated at first use), a subscriber among them gets both intact, a QoS 1 and a QoS 2 message
# go to and come from idle clients (their session's queue and QoS window are made then), and a
# session is taken over by id. When 947 of them then leave, the broker gives the memory back
# (plain builds: within 10 s at most a quarter of what they held stays; measured 216-220 of
# 1,292-1,296 KiB; main kept all of it, 1,312-1,328 KiB: glibc returns only the heap's top).
# broker: mqttgwd
# the bound is on mqttgwd's memory (Mosquitto's per-connection cost is its own, about 730 B)
# timeout: 120
. "$(dirname "$0")/lib.sh"
start_broker
SAN=0
! broker_is_asan || SAN=1
py - "$BROKER_PID" "$SAN" <<'PY'
import resource, sys, time
from mqtt5raw import *
from mqttraw import assert_broker_serves, publish

PID, SAN = int(sys.argv[1]), sys.argv[2] == "1"
N = 950  # mqttraw waits with select(): every descriptor below 1024

def rss_anon():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise TestFailure("no RssAnon for the broker")

def t():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    check(hard >= N + 64, "RLIMIT_NOFILE hard limit %d is below %d connections" % (hard, N))
    sub, _ = client5("fp-sub")
    subscribe5_ok(sub, [("fp/#", 0)])
    time.sleep(0.5)
    before = rss_anon()
    conns = []
    for i in range(N):
        # half 3.1.1, half 5.0; ids of a realistic length (the session holds the id)
        if i % 2:
            c, _ = client5("fp-idle-client-%05d" % i)
        else:
            c, _ = client3("fp-idle-client-%05d" % i)
        conns.append(c)
    time.sleep(1.0)
    per = (rss_anon() - before) / N
    bound = 1400 if SAN else 730
    log("RssAnon per idle connection: %.0f B (bound %d B%s)" % (per, bound,
                                                                ", ASan" if SAN else ""))
    check(per <= bound, "RssAnon per idle connection %.0f B > %d B" % (per, bound))
    # every idle client still answers
    for c in conns:
        c.send(pingreq())
    for c in conns:
        c.expect(PINGRESP)
    # an idle 3.1.1 client sends 300 KB in pieces: partial frames carried between reads
    big = bytes(range(256)) * 1200
    pkt = publish("fp/big", big)
    c = conns[0]
    for off in range(0, len(pkt), 7000):
        c.send(pkt[off:off + 7000])
        time.sleep(0.002)
    got = recv_publish(sub, timeout=10)
    check_eq("fp/big", got["topic"], "topic of the large message")
    check(got["payload"] == big, "large payload arrived intact (%d B)" % len(got["payload"]))
    # an idle 5.0 client sets a Topic Alias, then uses it with an empty topic
    c = conns[1]
    c.send(publish5("fp/alias", "set", props=[(TOPIC_ALIAS, 3)]))
    check_eq(b"set", recv_publish(sub)["payload"], "message that set the alias")
    c.send(publish5("", "used", props=[(TOPIC_ALIAS, 3)]))
    got = recv_publish(sub)
    check_eq(("fp/alias", b"used"), (got["topic"], got["payload"]), "message by alias")
    # QoS 1 and 2 between two idle 5.0 clients: the publisher's inbound QoS 2 ids and the
    # subscriber's QoS window (packet ids, in-flight ring) are made now, by the first message
    pub, qsub = conns[3], conns[5]
    subscribe5_ok(qsub, [("fp/q/#", 2)])
    for qos in (1, 2, 2, 1):
        check_eq(0, publish5_ok(pub, "fp/q/%d" % qos, b"q%d" % qos, qos=qos, pid=10 + qos),
                 "reason code of the QoS %d PUBLISH" % qos)
        got = recv_publish(qsub)  # acknowledged: PUBACK, or PUBREC/PUBREL/PUBCOMP
        check_eq(("fp/q/%d" % qos, b"q%d" % qos, qos), (got["topic"], got["payload"], got["qos"]),
                 "QoS %d message to an idle subscriber" % qos)
    # take-over of an idle client's session by id: the old connection is closed
    old = conns[2]
    n, _ = client3("fp-idle-client-%05d" % 2)
    old.assert_closed(within=5)
    n.send(pingreq())
    n.expect(PINGRESP)
    held = rss_anon()
    for c in conns[3:]:
        c.close()
    # the freed chunks go back to the system once the wave has passed (malloc_trim, plain
    # builds: ASan's allocator keeps freed memory in its quarantine whatever we do)
    deadline = time.monotonic() + 10
    while not SAN and rss_anon() - before > (held - before) // 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    log("RssAnon after 947 clients left: %d KiB above the start, %d KiB with them" %
        ((rss_anon() - before) // 1024, (held - before) // 1024))
    if not SAN:
        check(rss_anon() - before <= (held - before) // 4,
              "RssAnon %d KiB above the start 10 s after 947 of %d clients left (held: %d KiB)" %
              ((rss_anon() - before) // 1024, N, (held - before) // 1024))
    assert_broker_serves()

main(t)
PY
stop_broker
