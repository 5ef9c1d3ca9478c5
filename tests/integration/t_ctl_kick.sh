#!/usr/bin/env bash
# mqttgwctl kick ID: an MQTT 5 client gets DISCONNECT 0x98 (Administrative action) and the
# close; a 3.1.1 client (no server DISCONNECT in 3.1.1) is closed without a packet. Both wills
# are published (the client did not send DISCONNECT). A persistent session stays: `client ID`
# then shows it offline, and a second kick of that ID says "no such client connected" (exit 1).
# The other clients are untouched.
# mqttgwd only: mqttgwctl is mqttgw's own.
# broker: mqttgwd
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/ctllib.sh"
start_broker_ctl
py - "$CTL_BIN" "$CTL_SOCK" <<'PY'
import json, subprocess, sys
from mqtt5raw import *

ctl_bin, sock = sys.argv[1], sys.argv[2]

def ctl(*args):
    r = subprocess.run([ctl_bin, "-s", sock, "--json"] + list(args), capture_output=True,
                       timeout=20)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None)

def t():
    w = subscriber5("watcher", [("kick/#", 0)])
    k5, _ = client5("k5", will=("kick/will5", b"k5 gone", 0, False))
    k3, _ = client3("k3", clean=False, will=("kick/will3", "k3 gone", 0, False))
    rc, j = ctl("kick", "k5")
    check_eq(0, rc, "kick k5: exit status")
    check_eq("k5", j["result"]["kicked"], "kick k5: answer")
    expect_disconnect(k5, 0x98)
    rc, j = ctl("kick", "k3")
    check_eq(0, rc, "kick k3: exit status")
    k3.assert_closed(within=3)
    wills = sorted(recv_publish(w)["payload"] for _ in range(2))
    check_eq([b"k3 gone", b"k5 gone"], wills, "both wills published")
    rc, j = ctl("client", "k3")
    check_eq(0, rc, "k3's persistent session is still there")
    check_eq(False, j["result"]["connected"], "k3 offline")
    rc, j = ctl("kick", "k3")
    check_eq(1, rc, "kick of an offline session: the daemon says no")
    check_eq("no such client connected", j["error"], "kick k3 again: error")
    rc, j = ctl("kick", "k5")
    check_eq(1, rc, "kick of a gone clean session")
    rc, j = ctl("clients")
    check_eq(["watcher"], [c["id"] for c in j["result"]], "only the watcher is left")
    alive(w, "watcher")
main(t)
PY
