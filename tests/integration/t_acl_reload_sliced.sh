#!/usr/bin/env bash
# broker: mqttgwd
# (the slicing and its log line are mqttgwd's; t_acl_reload checks the reload's semantics on both)
# SIGHUP's re-check of every stored subscription against the new ACL runs in slices, one per
# loop turn, not in one dispatch (issue 15: 10,000 subscriptions took up to 63 ms): 200 offline
# persistent sessions of 100 subscriptions each (20,000) are re-checked in more than one slice,
# as the broker's log line says; right after the reload, while the walk may still run, a client
# that lost its read right on secret/# gets nothing published there (every delivery is checked
# against the new ACL until the walk ends), and one that kept its right still gets its messages.
# timeout: 120
. "$(dirname "$0")/lib.sh"
printf 'topic readwrite #\n' >"$T/acl"
py_test mqttraw "acl_file $T/acl" <<'PY'
def t():
    for i in range(200):
        c, _ = client("many-%03d" % i, clean=False)
        c.send(subscribe(1, [("f/%d/%d" % (i, j), 1) for j in range(100)]))
        check_eq(100, len(c.expect(SUBACK, timeout=20).suback()[1]), "SUBACK codes")
        c.send(disconnect())
        c.close()
PY
# the victim and the bystander are online across the reload
PY_TIMEOUT=90 py - "$T" "$BROKER_PID" <<'PY' &
from mqttraw import *
import os, signal, sys, time
T, pid = sys.argv[1], int(sys.argv[2])
def t():
    victim = subscriber("victim", [("secret/#", 0)])
    keeper = subscriber("keeper", [("other/#", 0)])
    p, _ = client("feeder")
    p.send(publish("secret/x", b"before") + publish("other/x", b"before"))
    check_eq(b"before", victim.expect(PUBLISH).publish()["payload"], "victim before the reload")
    check_eq(b"before", keeper.expect(PUBLISH).publish()["payload"], "keeper before the reload")
    open(T + "/acl.new", "w").write("topic read other/#\ntopic write #\n")
    os.rename(T + "/acl.new", T + "/acl")
    os.kill(pid, signal.SIGHUP)
    # publish pairs until one no longer reaches the victim: the reload is in force (what was
    # published before the broker took the signal is still delivered)
    deadline = time.monotonic() + 20
    n, cut = 0, None
    while cut is None and time.monotonic() < deadline:
        n += 1
        p.send(publish("secret/x", b"after-%d" % n) + publish("other/x", b"after-%d" % n))
        check_eq(b"after-%d" % n, keeper.expect(PUBLISH).publish()["payload"], "keeper")
        v = victim.recv(0.3)  # sent before the keeper's copy, if at all
        if v is None:
            cut = n
        else:
            check_eq(b"after-%d" % n, v.publish()["payload"], "victim before the reload")
    check(cut is not None, "the victim still gets secret/x 20 s after the reload")
    log("the reload was in force from pair %d" % cut)
    # from here on nothing more may reach the victim
    for i in range(20):
        p.send(publish("secret/x", b"late-%d" % i) + publish("other/x", b"late-%d" % i))
        check_eq(b"late-%d" % i, keeper.expect(PUBLISH).publish()["payload"], "keeper")
    victim.expect_nothing(0.5)
    open(T + "/done", "w").close()
main(t)
PY
CLIENTS=$!
track "$CLIENTS"
wait_pid "$CLIENTS" 100
[ "$WAIT_RC" = 0 ] || fail "clients failed"
for ((i = 0; i < 100; i++)); do grep -q "ACL re-check of" "$BROKER_LOG" && break; sleep 0.1; done
line=$(grep "ACL re-check of" "$BROKER_LOG" | tail -n 1)
log "$line"
subs=$(sed -n 's/.*ACL re-check of \([0-9]*\) stored subscriptions done in \([0-9]*\) slice.*/\1/p' <<<"$line")
slices=$(sed -n 's/.*ACL re-check of \([0-9]*\) stored subscriptions done in \([0-9]*\) slice.*/\2/p' <<<"$line")
[ -n "$subs" ] || fail "no ACL re-check line in the log"
assert_int_between "$subs" 20000 20010 "subscriptions re-checked"
assert_int_between "$slices" 10 100000 "slices of the re-check"
# one slice per loop turn: the loop takes its events between two slices (a slice that armed
# its successor from its own timer callback ran them all in one turn, and blocked the loop)
turns=$(sed -n 's/.* slices* over \([0-9]*\) loop turn.*/\1/p' <<<"$line")
assert_int_between "$turns" "$slices" $((slices + 1)) "loop turns the re-check spanned"
broker_alive || fail "broker died"
