#!/usr/bin/env bash
# `mqttgwd --fastpath-status` and the daemon's status pins (fastpath_pin_dir). Always with
# `fastpath on`, also in the matrix leg that runs the suite with the fast path off: the pins are
# what is tested. The pin directory is on a bpffs of this test's own (mounted in $T, unmounted in
# cleanup): tests run in parallel, and `ip netns exec` mounts a fresh /sys in which
# /sys/fs/bpf is no bpffs (that case is checked too: the daemon runs unpinned, one log line).
#   - N QoS 0 messages on an eligible flow: the report shows the daemon (pid, mode, port), 2
#     sockets, 1 route, 1 kernel flow, the redirected frames ($SYS agrees), redirected + frames
#     the daemon relayed = N, and the in-kernel fraction of them; text and JSON agree;
#   - a second daemon on the same pin directory warns once and runs unpinned; the first one's
#     pins stay and still name the first daemon;
#   - SIGTERM: the pins are gone and the status exits 1 ("not found");
#   - SIGKILL: the pins stay, the status calls them stale (exit 1) and the next daemon replaces
#     them;
#   - a FASTPATH=0 build: the status exits 5 and says so (then the rest is skipped).
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
export MQTTGW_FASTPATH=on
SYS_INTERVAL=1
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
N=200

# status [ARGS...]: mqttgwd --fastpath-status next to the daemon; output in $ST_OUT, status in $ST_RC.
status() {
	ST_RC=0
	ST_OUT=$(bns timeout 10 "$bin" --fastpath-status "$@" 2>&1) || ST_RC=$?
}
jget() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# the command line: --json/--pin-dir only with --fastpath-status, which takes no -p/-t (exit 2);
# -c FILE is read for fastpath_pin_dir (a bad file: exit 3; `none`: nothing to read, exit 1)
for args in "--json" "--pin-dir $T" "--fastpath-status -p 1883" "--fastpath-status -t"; do
	rc=0
	# shellcheck disable=SC2086
	timeout 10 "$bin" $args >"$T/usage.out" 2>&1 || rc=$?
	assert_eq 2 "$rc" "mqttgwd $args: exit status; output: $(cat "$T/usage.out")"
done
printf 'fastpath_pin_dir\n' >"$T/bad.conf"
status -c "$T/bad.conf"
assert_eq 3 "$ST_RC" "status -c with a bad file: exit; output: $ST_OUT"
assert_contains "$ST_OUT" "fastpath_pin_dir: missing argument" "status -c with a bad file"
printf 'fastpath_pin_dir none\n' >"$T/none.conf"
status -c "$T/none.conf"
assert_eq 1 "$ST_RC" "status with fastpath_pin_dir none: exit; output: $ST_OUT"
assert_contains "$ST_OUT" "fastpath_pin_dir none" "status with fastpath_pin_dir none"

status --pin-dir "$T/nothing"
if [ "$ST_RC" = 5 ]; then
	assert_contains "$ST_OUT" "built without the kernel fast path" "FASTPATH=0 status message"
	skip "this mqttgwd has no kernel fast path (FASTPATH=0): status exit 5 checked"
fi
assert_eq 1 "$ST_RC" "status without pins: exit status; output: $ST_OUT"
assert_contains "$ST_OUT" "not found: $T/nothing does not exist" "status without pins"

[ "$(id -u)" = 0 ] || skip "needs root (bpffs mount, BPF)"
mkdir "$T/bpffs"
mount -t bpf bpf "$T/bpffs" || skip "cannot mount a bpffs"
at_cleanup "umount -l '$T/bpffs'"
PIN=$T/bpffs/mqttgw
status --pin-dir "$PIN" --json
assert_eq 1 "$ST_RC" "status, no daemon yet: exit; output: $ST_OUT"
assert_eq absent "$(jget "$ST_OUT" 'd["state"]')" "JSON state without pins"

start_broker "fastpath_pin_dir $PIN"
PID1=$BROKER_PID
assert_contains "$(cat "$BROKER_LOG")" "Fast-path status pinned in $PIN" "the pin log line"
[ -e "$PIN/meta" ] && [ -e "$PIN/stats" ] || fail "pins missing: $(ls -la "$PIN" 2>&1)"

# An eligible flow: one subscriber, one publisher, exact topic, QoS 0. Both stay connected
# until the status was read (sockets: 2).
cat >"$T/clients.py" <<'EOF'
import os, sys, time
from mqttraw import PUBLISH, TestFailure, check_eq, client, publish, subscribe
n, tdir = int(sys.argv[1]), sys.argv[2]
try:
    s, _ = client("fst-sub")
    s.send(subscribe(1, [("fst/t", 0)]))
    s.expect(9)
    p, _ = client("fst-pub")
    time.sleep(0.3)  # both joined the fast path (a deferred step after CONNACK)
    for i in range(n):
        p.send(publish("fst/t", b"m%04d" % i))
        time.sleep(0.004)
    for i in range(n):
        m = s.expect(PUBLISH, 5).publish()
        check_eq(b"m%04d" % i, bytes(m["payload"]), "message %d" % i)
except TestFailure as e:
    print("FAIL: %s" % e, flush=True)
    sys.exit(1)
open(os.path.join(tdir, "clients-ready"), "w").close()
for _ in range(800):
    if os.path.exists(os.path.join(tdir, "clients-stop")):
        break
    time.sleep(0.05)
EOF
bg "$T/clients.log" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" PYTHONUNBUFFERED=1 timeout 60 "$PY" "$T/clients.py" "$N" "$T"
CLIENTS=$BG_PID
for ((i = 0; i < 400; i++)); do
	[ -e "$T/clients-ready" ] && break
	kill -0 "$CLIENTS" 2>/dev/null || fail "clients: $(cat "$T/clients.log")"
	sleep 0.05
done
[ -e "$T/clients-ready" ] || fail "clients not done: $(cat "$T/clients.log")"
sleep 0.2 # the daemon's tick refreshed the figures (10 ms)

status -c "$BROKER_CONF" --json
assert_eq 0 "$ST_RC" "status (-c FILE) with a running daemon: exit; output: $ST_OUT"
J=$ST_OUT
assert_eq active "$(jget "$J" 'd["state"]')" "state"
assert_eq "$PID1" "$(jget "$J" 'd["pid"]')" "pid"
assert_eq on "$(jget "$J" 'd["mode"]')" "mode"
assert_eq "[$BROKER_PORT]" "$(jget "$J" 'd["ports"]')" "listener ports"
assert_eq 2 "$(jget "$J" 'd["sockets"]')" "sockets in the fast path"
assert_eq 1 "$(jget "$J" 'd["routes"]')" "routes"
assert_eq 1 "$(jget "$J" 'd["flows_kernel"]')" "flows on the kernel path"
assert_eq 0 "$(jget "$J" 'd["flows_daemon"]')" "flows on the daemon's path"
red=$(jget "$J" 'd["redirected_frames"]')
dfr=$(jget "$J" 'd["daemon_frames"]')
log "status: $N published, $red redirected in $(jget "$J" 'd["redirected_skbs"]') skbs, $dfr relayed by the daemon, in kernel $(jget "$J" 'd["in_kernel_fraction"]')"
assert_eq "$N" "$((red + dfr))" "redirected ($red) + relayed by the daemon ($dfr) = messages published"
assert_int_between "$red" $((N / 2)) $((N - 1)) "frames redirected in the kernel (the first one learns the route)"
assert_int_between "$(jget "$J" 'd["redirected_skbs"]')" 1 "$red" "redirected skbs"
assert_eq "$(jget "$J" "round($red / $N, 6)")" "$(jget "$J" 'd["in_kernel_fraction"]')" "in-kernel fraction"
assert_eq "$(jget "$J" 'sum(v["frames"] for v in d["passed"].values())')" "$(jget "$J" 'd["passed_frames"]')" "passed frames: sum of the reasons"

# $SYS reads the same per-CPU map
py "$TEST_DIR/fpload.py" sys --json "$T/sys.json"
assert_eq "$red" "$(jget "$(cat "$T/sys.json")" 'd["fastpath/redirected/frames"]')" "\$SYS redirected/frames"

status --pin-dir "$PIN"
assert_eq 0 "$ST_RC" "status (text): exit; output: $ST_OUT"
assert_contains "$ST_OUT" "mqttgwd fast path: active" "text: state"
assert_contains "$ST_OUT" "pid $PID1, version " "text: pid"
assert_contains "$ST_OUT" "fastpath on" "text: mode"
assert_match "$ST_OUT" "sockets +[23] in the fast path" "text: sockets (the \$SYS reader may still be there)"
assert_match "$ST_OUT" "redirected +$red frames in [0-9]+ skbs" "text: redirected"
assert_contains "$ST_OUT" "of QoS 0 PUBLISH frames from fast-path sockets ($red kernel, $dfr daemon)" "text: fraction"
touch "$T/clients-stop"
wait_pid "$CLIENTS" 10
assert_eq 0 "$WAIT_RC" "clients: $(cat "$T/clients.log")"

# A second daemon on the same pin directory: one warning, runs unpinned, pins untouched.
write_config "$T/second.conf" "fastpath_pin_dir $PIN"
sed -i "s/^listener $BROKER_PORT /listener $BROKER_PORT2 /" "$T/second.conf"
# with the suite's store on (MQTTGW_PERSISTENCE=1), a store of its own: a second daemon on the
# first one's database refuses to start (the store is locked), which is not what this tests
mkdir -p "$T/persist2"
sed -i "s|^persistence_location .*|persistence_location $T/persist2|" "$T/second.conf"
bg "$T/second.log" "${BNS[@]}" "$bin" -c "$T/second.conf"
PID2=$BG_PID
for ((i = 0; i < 100; i++)); do
	grep -q "listen socket" "$T/second.log" && grep -q "fast-path status" "$T/second.log" && break
	kill -0 "$PID2" 2>/dev/null || fail "second daemon exited: $(cat "$T/second.log")"
	sleep 0.05
done
assert_eq 1 "$(grep -c "the pins in $PIN belong to the running mqttgwd pid $PID1; this daemon runs unpinned" "$T/second.log")" \
	"second daemon: warning lines; log: $(cat "$T/second.log")"
status --pin-dir "$PIN" --json
assert_eq 0 "$ST_RC" "status with two daemons: exit"
assert_eq "$PID1" "$(jget "$ST_OUT" 'd["pid"]')" "the pins still name the first daemon"
kill_wait "$PID2" 10 || fail "second daemon: exit status $? after SIGTERM"
[ -e "$PIN/meta" ] && [ -e "$PIN/stats" ] || fail "the second daemon's exit removed the first one's pins"
status --pin-dir "$PIN" --json
assert_eq "$PID1" "$(jget "$ST_OUT" 'd["pid"]')" "pins after the second daemon left"

# SIGTERM: pins gone, status "not found".
stop_broker
[ ! -e "$PIN/meta" ] && [ ! -e "$PIN/stats" ] || fail "pins left after SIGTERM: $(ls -la "$PIN" 2>&1)"
status --pin-dir "$PIN"
assert_eq 1 "$ST_RC" "status after SIGTERM: exit; output: $ST_OUT"
assert_contains "$ST_OUT" "not found: " "status after SIGTERM"
assert_contains "$ST_OUT" "$PIN" "status after SIGTERM names the path"

# SIGKILL: stale pins, replaced by the next start.
restart_broker
PID3=$BROKER_PID
kill -KILL "$PID3"
wait "$PID3" 2>/dev/null || true
untrack "$PID3"
BROKER_PID=
[ -e "$PIN/meta" ] || fail "pins gone after SIGKILL (they cannot be: nobody removed them)"
status --pin-dir "$PIN"
assert_eq 1 "$ST_RC" "status with stale pins: exit; output: $ST_OUT"
assert_contains "$ST_OUT" "stale pins in $PIN (pid $PID3 is not running any more)" "stale pins"
status --pin-dir "$PIN" --json
assert_eq stale "$(jget "$ST_OUT" 'd["state"]')" "JSON state of stale pins"
: >"$BROKER_LOG"
restart_broker
assert_contains "$(cat "$BROKER_LOG")" "replacing the stale pins in $PIN (pid $PID3 is gone)" "stale pins replaced"
status --pin-dir "$PIN" --json
assert_eq 0 "$ST_RC" "status after the replacement: exit; output: $ST_OUT"
assert_eq "$BROKER_PID" "$(jget "$ST_OUT" 'd["pid"]')" "the new daemon's pins"
stop_broker

# No bpffs where the pins should go: one log line, the daemon runs (unpinned).
: >"$BROKER_LOG"
start_broker "fastpath_pin_dir $T/plain"
roundtrip_out=$T/rt.out
sub_bg "$roundtrip_out" -t fst/rt -C 1 -W 10
pub -t fst/rt -m unpinned
wait_pid "$SUB_PID" 12
assert_eq unpinned "$(sub_payloads "$roundtrip_out")" "round trip of a daemon without pins"
assert_eq 1 "$(grep -c "is not on a bpffs" "$BROKER_LOG")" "log lines: no bpffs; log: $(cat "$BROKER_LOG")"
status --pin-dir "$T/plain"
assert_eq 1 "$ST_RC" "status of an unpinned daemon: exit; output: $ST_OUT"
stop_broker
