#!/usr/bin/env bash
# Durable store: a client's acknowledgements keep its own packet order [MQTT-4.6.0-2], and no
# more: one client's ack that waits for the disk holds back that client's later acks only, not
# a stranger's that waits for nothing. The store is on a powercut FUSE mount whose daemon is
# stopped (SIGSTOP): its writes hang, nothing becomes durable. Client "slow" publishes QoS 1 to a
# topic with an offline persistent subscriber (its PUBACK must wait for the disk) and then to a
# topic nobody stores (that PUBACK may not overtake the first); meanwhile a 5.0 and a 3.1.1
# client publishing QoS 1 where nothing is stored get their PUBACK at once. When the store is
# back (SIGCONT) "slow" gets both of its PUBACKs, in order. Before, the acks were one global
# FIFO: the strangers' PUBACKs waited behind the frozen fsync.
# broker: mqttgwd
# (freezes the store's writes through its filesystem: mqttgw's durable store)
# needs: fuse
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/pclib.sh"

pc_store_broker "$T/mnt"

# an offline persistent session on t/off: a QoS 1 message for it must be durable before PUBACK
sub -q 1 -c -i off-sub -t t/off -W 1 >/dev/null 2>&1 || true
pub -q 1 -t t/off -m before || fail "no PUBACK with the store writing"

kill -STOP "$PC_PID"
log "powercut daemon stopped: the store cannot write"
py - "$PC_PID" <<'PY' || fail "acknowledgement order (see above)"
import os, signal, sys, time
from mqtt5raw import *
import mqttraw

def t():
    slow, _ = client5("slow")
    slow.send(publish5("t/off", b"held", qos=1, pid=1))
    slow.send(publish5("t/free", b"after-held", qos=1, pid=2))
    time.sleep(0.3)  # both PUBLISHes are in before the strangers publish
    t0 = time.monotonic()
    other, _ = client5("other")
    other.send(publish5("t/free", b"x", qos=1, pid=7))
    expect_ack(other, PUBACK, 7, timeout=3.0)
    old = mqttraw.client("old")[0]
    old.send(mqttraw.publish("t/free", b"y", qos=1, pid=9))
    p = old.expect(mqttraw.PUBACK, timeout=3.0)
    check_eq(9, p.pid(), "3.1.1 PUBACK packet id")
    print("strangers acknowledged after %.0f ms with the store frozen"
          % ((time.monotonic() - t0) * 1000))
    # "slow": nothing, neither the held PUBACK nor the one behind it
    slow.expect_nothing(1.5)
    os.kill(int(sys.argv[1]), signal.SIGCONT)
    expect_ack(slow, PUBACK, 1, timeout=10.0)
    expect_ack(slow, PUBACK, 2, timeout=5.0)

main(t)
PY
kill -CONT "$PC_PID"
pub -q 1 -t t/off -m after || fail "no PUBACK once the store writes again"
stop_broker
