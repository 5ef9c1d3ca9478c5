#!/usr/bin/env bash
# Password checks run on a worker thread while the client waits (issue #15); the races around
# a running check, with slow hashes ($7$ 20,000 iterations: ~10 ms each idle, far more on a
# loaded machine) so that every event lands while the check runs:
#  - CONNECT and a PUBLISH in one write: the PUBLISH is delivered after the CONNACK 0; with a
#    wrong password CONNACK 5 and the PUBLISH is never delivered (it cannot publish yet);
#  - 10 clients send CONNECT and close at once (the client is freed before its check ends);
#  - a client connected with id X keeps publishing while a second X is being checked, and is
#    taken over once the check passes;
#  - SIGHUP with the user's password changed while the check runs: the check is made again
#    against the new file, and the old password is refused (CONNACK 5);
#  - SIGTERM with checks still queued: a clean exit (0; ASan builds: no leak, no use after free).
# mqttgwd only: Mosquitto 2.0.11 checks on its loop: a reload cannot land during a check.
# broker: mqttgwd
# timeout: 120
. "$(dirname "$0")/lib.sh"
TOOL=$BUILD/mqttgw-passwd
[ -x "$TOOL" ] || fail "no mqttgw-passwd at $TOOL"
"$TOOL" -I 20000 -c -b "$T/passwd" slow slow-pw >/dev/null
"$TOOL" -b "$T/passwd" fast fast-pw >/dev/null
# every client gives a user name: the password file decides (anonymous access is not tried)
start_broker "password_file $T/passwd" "connect_timeout 100"

py - "$T" "$BROKER_PID" "$TOOL" <<'PY'
import os, signal, subprocess, sys, time
from mqttraw import *

T, PID, TOOL = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def t():
    w = subscriber("watch", [("async/#", 0)], username="fast", password="fast-pw")

    # CONNECT + PUBLISH pipelined: delivered only after the check passed
    c = Conn()
    c.send(connect("pipe-ok", username="slow", password="slow-pw") + publish("async/ok", b"1"))
    check_eq(0, c.expect(CONNACK, timeout=60).connack()[1], "CONNACK for the right password")
    check_eq(b"1", w.expect(PUBLISH, timeout=10).publish()["payload"], "pipelined PUBLISH delivered")
    c.close()
    c = Conn()
    c.send(connect("pipe-bad", username="slow", password="wrong") + publish("async/bad", b"2"))
    check_eq(5, c.expect(CONNACK, timeout=60).connack()[1], "CONNACK for a wrong password")
    c.assert_closed(within=5)
    w.expect_nothing(0.5)

    # clients gone while their check runs
    for i in range(10):
        c = Conn()
        c.send(connect("gone-%d" % i, username="slow", password="slow-pw"))
        c.abort() if i % 2 else c.close()

    # take-over by a client whose check is running: the old one serves meanwhile
    # (one worker: this CONNECT waits behind the checks of the clients above)
    old = Conn()
    old.send(connect("dup", username="fast", password="fast-pw"))
    check_eq(0, old.expect(CONNACK, timeout=90).connack()[1], "CONNACK for the old one")
    for i in range(10):  # queued ahead of the new one: its check ends well after the PUBLISH
        Conn().send(connect("fill-dup-%d" % i, username="slow", password="slow-pw"))
    new = Conn()
    new.send(connect("dup", username="slow", password="slow-pw"))
    old.send(publish("async/old", b"3"))
    check_eq(b"3", w.expect(PUBLISH, timeout=10).publish()["payload"], "the old connection still serves")
    check_eq(0, new.expect(CONNACK, timeout=90).connack()[1], "CONNACK for the new one")
    old.wait_closed(within=5)
    new.send(publish("async/new", b"4"))
    check_eq(b"4", w.expect(PUBLISH, timeout=10).publish()["payload"], "the new connection serves")
    new.close()

    # reload while the check runs: the new file decides
    # (the new file is written first; ten checks queued ahead keep ours waiting meanwhile; the
    # SIGHUP may also be handled before the CONNECT is read: then too the new file decides)
    subprocess.run(["cp", T + "/passwd", T + "/passwd.new"], check=True)
    subprocess.run([TOOL, "-I", "20000", "-b", T + "/passwd.new", "slow", "new-pw"], check=True,
                   stdout=subprocess.DEVNULL)
    fill = []
    for i in range(10):
        f = Conn()
        f.send(connect("fill-%d" % i, username="slow", password="slow-pw"))
        fill.append(f)
    c = Conn()
    c.send(connect("reload", username="slow", password="slow-pw"))
    os.rename(T + "/passwd.new", T + "/passwd")
    os.kill(PID, signal.SIGHUP)
    check_eq(5, c.expect(CONNACK, timeout=90).connack()[1], "old password after a reload")
    c = Conn()
    c.send(connect("reload2", username="slow", password="new-pw"))
    check_eq(0, c.expect(CONNACK, timeout=90).connack()[1], "new password after the reload")
    c.close()

    # checks still queued at SIGTERM (the harness's stop_broker asserts exit 0)
    global queued
    queued = []
    for i in range(10):
        c = Conn()
        c.send(connect("queued-%d" % i, username="slow", password="slow-pw"))
        queued.append(c)
    w.close()

main(t)
PY
stop_broker
