#!/usr/bin/env bash
# SIGHUP reloads acl_file and password_file under live connections:
#  - alice (3.1.1, filter news/#: every topic readable) and bob (5.0, filter #: checked per
#    message) lose their read right on news/#: what feeder publishes after the reload reaches
#    spy (reads #) but not them; their connections stay up (PINGREQ answered); a second reload
#    giving the right back restores delivery (and nothing published in between shows up late);
#  - pub (5.0) loses its write right on alerts/#: PUBACK 0x87 (QoS 1) / PUBREC 0x87 (QoS 2)
#    after the reload, the message is dropped (spy sees nothing), the connection stays; 0x00 and
#    delivered again after the right comes back;
#  - carol is deleted from the password file (the real mosquitto_passwd -D): after the reload a
#    new CONNECT as carol is refused (CONNACK 5 / 0x86), and carol's connection from before is
#    closed at the reload (both brokers; t_passwd_reload_drop has the details);
#  - (mqttgwd) an acl_file that no longer loads: an error is logged and the rules in force stay.
# When a reload is in effect is seen by a probe user whose one write right moves with each
# version of the ACL file (probe/v1, v2, v3).
# timeout: 60
. "$(dirname "$0")/lib.sh"
command -v mosquitto_passwd >/dev/null || skip "mosquitto_passwd not installed"
mosquitto_passwd -c -b "$T/passwd" alice alice-pw
for u in bob spy feeder pub carol probe; do mosquitto_passwd -b "$T/passwd" "$u" "$u-pw"; done
chmod 644 "$T/passwd" # Mosquitto started as root reads it as its own user (as root: so can we)

py - "$T" <<'PY' || fail "writing the ACL versions"
import sys
T = sys.argv[1]
def acl(v, news_read, alerts_write):
    rules = ["user alice", "topic read news/#" if news_read else "topic read other/#",
             "user bob", "topic read #" if news_read else "topic read alerts/#",
             "user spy", "topic read #",
             "user feeder", "topic write news/#",
             "user pub", "topic write alerts/#" if alerts_write else "topic write other/#",
             "user carol", "topic readwrite carol/#",
             "user probe", "topic write probe/v%d" % v]
    with open("%s/acl.v%d" % (T, v), "w") as f:
        f.write("# version %d\n%s\n" % (v, "\n".join(rules)))
acl(1, True, True)
acl(2, False, False)
acl(3, True, True)
PY
cp "$T/acl.v1" "$T/acl"
start_broker "password_file $T/passwd" "acl_file $T/acl"

py - "$MQTTGW_TEST_BROKER" "$T" "$BROKER_PID" <<'PY'
import os, shutil, signal, subprocess, sys, time
from mqtt5raw import *
import mqttraw

MOSQ = sys.argv[1] == "mosquitto"
T = sys.argv[2]
BROKER_PID = int(sys.argv[3])


def creds(u):
    return {"username": u, "password": u + "-pw"}


def conn3(u, cid=None):
    c, _ = mqttraw.client(cid or u + "-c", **creds(u))
    return c


def conn5(u, cid=None):
    c, _ = client5(cid or u + "-c", **creds(u))
    return c


def collect(c, v5, seconds, skip_probe=True):
    return [(m["topic"], m["payload"].decode()) for m in collect_publishes(c, seconds, False, v5)
            if not (skip_probe and m["topic"].startswith("probe/"))]



def reload(v, probe, pid):
    """Install ACL version v, SIGHUP, and wait until the probe may write probe/v<v>."""
    shutil.copy("%s/acl.v%d" % (T, v), "%s/acl.new" % T)
    os.rename("%s/acl.new" % T, "%s/acl" % T)
    os.kill(BROKER_PID, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while True:
        pid += 1
        rc = publish5_ok(probe, "probe/v%d" % v, "p", qos=1, pid=pid)
        if rc < 0x80:
            log("ACL version %d in effect" % v)
            return pid
        check(time.monotonic() < deadline, "ACL version %d not in effect 5 s after SIGHUP" % v)
        time.sleep(0.1)


def t():
    spy = conn3("spy")
    check_eq([0], mqttraw.subscribe_ok(spy, [("#", 0)]), "spy SUBACK")
    alice = conn3("alice")
    check_eq([0], mqttraw.subscribe_ok(alice, [("news/#", 0)]), "alice SUBACK")
    bob = conn5("bob")
    check_eq([0], subscribe5_ok(bob, [("#", 0)]), "bob SUBACK")
    feeder = conn3("feeder")
    pub = conn5("pub")
    carol = conn3("carol")
    probe = conn5("probe")
    ppid = 0
    fpid = 0

    def feed(topic, payload):
        nonlocal fpid
        fpid += 1
        feeder.send(mqttraw.publish(topic, payload, qos=1, pid=fpid))
        check_eq(fpid, feeder.expect(PUBACK).pid(), "feeder PUBACK")

    def pub_rc(payload, qos):
        nonlocal ppid
        ppid += 1
        return publish5_ok(pub, "alerts/x", payload, qos=qos, pid=ppid)

    # ---- version 1: everything flows ----
    feed("news/a", "n1")
    check_eq("0x00", hexs(pub_rc("a1", 1)), "pub QoS 1 before the reload")
    check_eq([("news/a", "n1"), ("alerts/x", "a1")], collect(spy, False, 0.7), "spy, v1")
    check_eq([("news/a", "n1")], collect(alice, False, 0.3), "alice, v1")
    check_eq([("news/a", "n1"), ("alerts/x", "a1")], collect(bob, True, 0.3), "bob, v1")

    # ---- version 2: rights taken away, carol deleted ----
    subprocess.run(["mosquitto_passwd", "-D", T + "/passwd", "carol"], check=True)
    os.chmod(T + "/passwd", 0o644)
    probe_pid = reload(2, probe, 0)
    feed("news/b", "n2")
    check_eq(hexs(RC_NOT_AUTHORIZED), hexs(pub_rc("a2", 1)), "pub QoS 1 PUBACK after the reload")
    check_eq(hexs(RC_NOT_AUTHORIZED), hexs(pub_rc("a2q2", 2)), "pub QoS 2 PUBREC after the reload")
    check_eq([("news/b", "n2")], collect(spy, False, 0.7), "spy, v2 (pub's messages dropped)")
    check_eq([], collect(alice, False, 0.3), "alice, v2: read right removed")
    check_eq([], collect(bob, True, 0.3), "bob, v2: read right on news/# removed")
    alive(alice, "alice after the reload")
    alive(bob, "bob after the reload")
    alive(pub, "pub after its refused publishes")
    # carol: new logins refused, the old connection ...
    c = Conn()
    c.send(mqttraw.connect("carol-new", **creds("carol")))
    got = c.assert_closed(within=3, allow=(CONNACK,))
    check_eq([(False, 5)], [p.connack() for p in got], "CONNACK for deleted carol (3.1.1)")
    c = Conn()
    c.send(connect5("carol-new5", **creds("carol")))
    expect_refused(c, [RC_NOT_AUTHORIZED] if MOSQ else [RC_BAD_USERNAME_OR_PASSWORD],
                   silent_ok=False)
    try:
        carol.wait_closed(3)   # connected clients are re-checked at a reload
    except TestFailure:
        raise TestFailure("the broker kept deleted carol's connection (expected a disconnect)")

    # ---- version 3: rights back ----
    reload(3, probe, probe_pid)
    feed("news/c", "n3")
    check_eq("0x00", hexs(pub_rc("a3", 1)), "pub QoS 1 after the right came back")
    check_eq([("news/c", "n3"), ("alerts/x", "a3")], collect(spy, False, 0.7), "spy, v3")
    check_eq([("news/c", "n3")], collect(alice, False, 0.3), "alice, v3: delivery restored")
    check_eq([("news/c", "n3"), ("alerts/x", "a3")], collect(bob, True, 0.3),
             "bob, v3: delivery restored")
    for c, who in ((alice, "alice"), (bob, "bob"), (pub, "pub"), (spy, "spy")):
        alive(c, who)
    if MOSQ:
        return
    # ---- mqttgwd: an ACL file that does not load is reported and the rules in force stay ----
    with open(T + "/acl.new", "w") as f:
        f.write("user alice\nbogus line\n")
    os.rename(T + "/acl.new", T + "/acl")
    os.kill(BROKER_PID, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while "reload failed, keeping the previous password and ACL files" not in open(T + "/broker.log").read():
        check(time.monotonic() < deadline, "no 'reload failed' log line 5 s after SIGHUP")
        time.sleep(0.1)
    feed("news/d", "n4")
    check_eq("0x00", hexs(publish5_ok(probe, "probe/v3", "p", qos=1, pid=probe_pid + 1000)),
             "probe after a failed reload")
    check_eq([("news/d", "n4")], collect(alice, False, 0.7), "alice after a failed reload")


main(t)
PY
broker_alive
if ! is_mosquitto; then
	assert_contains "$(cat "$BROKER_LOG")" "Reloaded password and ACL files."
fi
