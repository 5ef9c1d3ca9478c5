#!/usr/bin/env bash
# broker: mqttgwd
# Half-open connections end at keepalive: a client that stops responding without closing its
# socket is disconnected 1.5 x keepalive after the last packet the broker received
# [MQTT-3.1.2-24] (keepalive 2 s: no earlier than 3.0 s after its last PINGREQ, no later than
# 4.5 s after it stopped), and its will is published then [MQTT-3.1.2-8]. Two ways to stop:
#  - SIGSTOP of the client process (its kernel still ACKs: TCP looks healthy, MQTT is silent);
#  - (network namespaces only) a network partition: the client, alone in a third namespace,
#    loses its link while it keeps sending PINGREQs into the void; no FIN or RST ever reaches
#    the broker. The broker must also let go of the socket (no longer ESTABLISHED on its side).
# Both clients ping every 0.5 s until they are cut off. A bystander keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 checks keepalives only every ~5 s (see t_keepalive_timeout).
# timeout: 60
. "$(dirname "$0")/lib.sh"
start_broker

cat >"$T/victim.py" <<'PY'
import os, sys, time
from mqttraw import Conn, connect, pingreq, CONNACK, PINGRESP
from mqtt5raw import connect5
host, port, stamp, cid, ver = sys.argv[1:6]
c = Conn(host, int(port))
will = ("ho/will/" + cid, "gone-" + cid, 1, False)
c.send(connect5(cid, keepalive=2, will=will) if ver == "5" else connect(cid, keepalive=2, will=will))
c.expect(CONNACK)
while True:
    c.send(pingreq())
    t = time.monotonic()  # after the send: never later than the broker's last receive
    with open(stamp + ".tmp", "w") as f:
        f.write(repr(t))
    os.replace(stamp + ".tmp", stamp)
    try:
        c.expect(PINGRESP, timeout=1)
    except Exception:
        pass  # cut off: keep trying
    time.sleep(0.5)
PY

# The partition: a third namespace for the victim, linked to the broker's namespace only.
VICTIM_NS=
if [ "$NETMODE" = netns ]; then
	VICTIM_NS="${BROKER_NS%-b}-v"
	netns_add "$VICTIM_NS"
	read -r VICTIM_GW VICTIM_IP <<<"$(pid_slash30 10.201)"
	veth_link "$BROKER_NS" "$VICTIM_NS" vict0 "$VICTIM_GW" "$VICTIM_IP"
	ip -n "$VICTIM_NS" route add default via "$VICTIM_GW"
	export VICTIM_NS VICTIM_IP
else
	log "loopback mode: no partition case (needs network namespaces)"
fi
export BROKER_NS BROKER_PID TEST_DIR T

py <<'PY'
from mqttraw import *
import os, signal, subprocess, sys, time

from hostile import bystander, bystander_alive

T = os.environ["T"]
VNS = os.environ.get("VICTIM_NS")

def victim(cid, ver, prefix=()):
    stamp = os.path.join(T, cid + ".stamp")
    env = dict(os.environ, PYTHONPATH=os.environ["TEST_DIR"])
    p = subprocess.Popen(list(prefix) + [sys.executable, os.path.join(T, "victim.py"), HOST, str(PORT),
                          stamp, cid, ver], env=env)
    deadline = time.monotonic() + 5
    while not os.path.exists(stamp):
        check(time.monotonic() < deadline and p.poll() is None, "%s did not connect" % cid)
        time.sleep(0.05)
    time.sleep(1.2)  # a few PINGREQ/PINGRESP rounds
    return p, stamp

def just_pinged(stamp):
    """Wait for the victim's next PINGREQ and return its time: cutting right after it, no
    PINGREQ is in flight during the cut (the next one is 0.5 s away)."""
    v0 = open(stamp).read()
    deadline = time.monotonic() + 3
    while True:
        v = open(stamp).read()
        if v and v != v0:
            return float(v)
        check(time.monotonic() < deadline, "the victim stopped pinging")
        time.sleep(0.002)

def will_window(b, cid, last, t_cut):
    """last: the victim's last PINGREQ sent before the cut (read at the cut)."""
    m = b.expect(PUBLISH, timeout=6).publish()
    t_will = time.monotonic()
    b.send(puback(m["pid"]))
    check_eq(("ho/will/" + cid, ("gone-" + cid).encode()), (m["topic"], m["payload"]), "will")
    print("%s: last PINGREQ %.2f s before the cut, will %.2f s after the cut (%.2f s after "
          "the last PINGREQ)" % (cid, t_cut - last, t_will - t_cut, t_will - last))
    check(t_will - last >= 2.95, "%s: will %.2f s after its last PINGREQ, before 1.5 x keepalive"
          % (cid, t_will - last))
    check(t_will - t_cut <= 4.5, "%s: will %.2f s after it stopped, expected <= 4.5 s" % (cid, t_will - t_cut))

def broker_established(ip):
    out = subprocess.run(["ip", "netns", "exec", os.environ["BROKER_NS"], "ss", "-Htn", "state",
                          "established", "dst", ip], capture_output=True, text=True).stdout
    return out.strip()

def t():
    b = bystander([("ho/will/#", 1)])
    # 1. SIGSTOP
    p, stamp = victim("ho-stop", "4")
    last = just_pinged(stamp)
    os.kill(p.pid, signal.SIGSTOP)
    t_cut = time.monotonic()
    try:
        will_window(b, "ho-stop", last, t_cut)
        bystander_alive(b, "after-stop")
    finally:
        os.kill(p.pid, signal.SIGKILL)
        os.kill(p.pid, signal.SIGCONT)
        p.wait()
    # 2. partition
    if not VNS:
        return
    p, stamp = victim("ho-cut", "5", ("ip", "netns", "exec", VNS))
    vip = os.environ["VICTIM_IP"]
    check(broker_established(vip), "the victim is connected over the third namespace")
    last = just_pinged(stamp)  # PINGREQs after this one go nowhere
    subprocess.run(["ip", "-n", VNS, "link", "set", "vict0", "down"], check=True)
    t_cut = time.monotonic()
    try:
        will_window(b, "ho-cut", last, t_cut)
        deadline = time.monotonic() + 2
        while broker_established(vip):
            check(time.monotonic() < deadline, "broker still has an ESTABLISHED socket to the "
                  "partitioned client: %s" % broker_established(vip))
            time.sleep(0.1)
        bystander_alive(b, "after-cut")
    finally:
        p.kill()
        p.wait()
main(t)
PY
