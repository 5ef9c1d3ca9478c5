#!/usr/bin/env bash
# Durable store, disk full (issue #13): the store on an 8 MiB tmpfs with an offline persistent
# subscriber (so QoS 1/2 messages must be written before they are acknowledged). Fill the
# filesystem, then publish 64 KiB QoS 1 messages (MQTT 5) until the broker refuses one: PUBACK
# 0x97 (Quota exceeded), within 300 messages. While full: QoS 0 keeps flowing to an online
# subscriber, a QoS 2 PUBLISH gets PUBREC 0x97, a 3.1.1 QoS 1 PUBLISH gets its connection closed
# without a PUBACK, and the broker logs the failure. Free the space: within 15 s a QoS 1 message
# is acknowledged again (PUBACK 0x00) with no restart. Then SIGKILL and restart: the offline
# subscriber gets every message that was acknowledged with 0x00 (before, during or after the
# full period) and none that was refused.
# broker: mqttgwd
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
DISK=$T/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=8m,mode=0755 mqttgw-store-full "$DISK" || skip "cannot mount a tmpfs here"
at_cleanup "umount -l '$DISK' 2>/dev/null"

store_start "$DISK/store" full
load sub --id keeper --v 5 --filter 'd/#' --out "$T/keeper.d" --subscribe-only

py - "$DISK" "$T/acked" <<'PY'
import os, sys, time
from mqtt5raw import *
import mqttraw

disk, acked_file = sys.argv[1], sys.argv[2]
acked = open(acked_file, "w", buffering=1)
big = b"b" * 65536
pending = {}

def note(a, what):
    # "PAYLOAD QOS RC" as storeload.py writes it
    acked.write("%s %d %d\n" % (pending.pop(a["pid"]), 1, a["rc"]))

def drain(c, seconds):
    """Acknowledgements that arrive within `seconds`; the reason codes seen."""
    rcs = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        p = c.recv(max(0.01, end - time.monotonic()))
        if p is None:
            break
        if p.type == PUBACK:
            a = ack_of(p)
            if a["pid"] in pending:
                note(a, "")
                rcs.append(a["rc"])
    return rcs

q0 = Conn()
q0.send(connect5("q0-reader"))
q0.expect(CONNACK)
subscribe5_ok(q0, [("q0/#", 0)])

c, _ = client5("writer")
pid = 0
for i in range(5):  # room left: acknowledged at once
    pid += 1
    pending[pid] = "d:before:%d:" % pid
    c.send(publish5("d/big", pending[pid].encode() + big, qos=1, pid=pid))
    check_eq([0], drain(c, 5), "PUBACK before the disk is full")

# fill the filesystem
with open(os.path.join(disk, "filler"), "wb") as f:
    try:
        while True:
            f.write(b"\0" * 65536)
    except OSError as e:
        check(e.errno == 28, "filling: %s" % e)
    try:
        f.close()
    except OSError:
        pass
log("filesystem full: %d bytes free" % os.statvfs(disk).f_bavail)

refused_at = None
for i in range(300):
    pid += 1
    pending[pid] = "d:full:%d:" % pid
    c.send(publish5("d/big", pending[pid].encode() + big, qos=1, pid=pid))
    rcs = drain(c, 0.3)
    if 0x97 in rcs:
        refused_at = i + 1
        break
    for rc in rcs:
        check(rc in (0, 0x97), "PUBACK reason 0x%02x while the disk fills" % rc)
check(refused_at is not None, "300 x 64 KiB QoS 1 on a full filesystem: never PUBACK 0x97")
log("first PUBACK 0x97 after %d messages on the full filesystem; %d unacknowledged"
    % (refused_at, len(pending)))

# QoS 0 keeps flowing
c.send(publish5("q0/x", b"qos0-while-full"))
m = publish_of(q0.expect(PUBLISH, timeout=5))
check_eq(b"qos0-while-full", m["payload"], "QoS 0 while the disk is full")

# QoS 2: PUBREC 0x97
pid += 1
c.send(publish5("d/q2", b"d:q2-refused:", qos=2, pid=pid))
while True:
    p = c.recv(5)
    check(p is not None, "no PUBREC for QoS 2 while the disk is full")
    if p.type == PUBREC:
        a = ack_of(p)
        check_eq(pid, a["pid"], "PUBREC packet id")
        check_eq(0x97, a["rc"], "PUBREC reason while the disk is full")
        acked.write("d:q2-refused: 2 %d\n" % a["rc"])
        break
    if p.type == PUBACK:
        a = ack_of(p)
        if a["pid"] in pending:
            note(a, "")

# 3.1.1 QoS 1: the connection is closed, no PUBACK
v3 = Conn()
v3.send(mqttraw.connect("v3-writer"))
v3.expect(CONNACK)
v3.send(mqttraw.publish("d/v3", "d:v3-refused:", qos=1, pid=1))
v3.assert_closed(within=5)
acked.write("d:v3-refused: 1 151\n")

# free the space: acknowledged again, by itself
os.unlink(os.path.join(disk, "filler"))
t0 = time.monotonic()
ok = False
while time.monotonic() - t0 < 15 and not ok:
    pid += 1
    pending[pid] = "d:after:%d:" % pid
    c.send(publish5("d/small", pending[pid].encode(), qos=1, pid=pid))
    ok = 0 in drain(c, 0.5)
check(ok, "no PUBACK 0x00 within 15 s of freeing the space")
log("acknowledged again %.1f s after the space was freed" % (time.monotonic() - t0))
drain(c, 2)  # what was held back while full may be acknowledged now
log("%d messages never acknowledged (left pending, not counted)" % len(pending))
c.send(disconnect5())
PY

grep -Eiq 'full|SQLITE_FULL|No space' "$BROKER_LOG" ||
	fail "the broker did not log the failed writes (no 'full' in its log)"
broker_kill9
broker_start_again
log "after the disk-full period and a crash: $RESTORED_LINE"
load sub --id keeper --v 5 --filter 'd/#' --resume --out "$T/keeper.d" --idle 3 --deadline 30
load check --acked "$T/acked" --deliveries "$T/keeper.d" --prefix 'd:' --min-acked 6 \
	--strict-refused >"$T/check.txt" 2>&1 || fail "$(cat "$T/check.txt")"
cat "$T/check.txt" >&2
