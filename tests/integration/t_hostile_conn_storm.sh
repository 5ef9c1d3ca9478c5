#!/usr/bin/env bash
# Connection storms: 15,000 clients connect (TCP + CONNECT/CONNACK), hold, and drop, three
# times: round 1 with DISCONNECT, round 2 by RST (SO_LINGER 0: crashed clients), round 3 by a
# bare close. Every one of the 15,000 CONNECTs of each round gets CONNACK 0x00; while they are
# held the broker has exactly 15,000 more open fds than before (/proc/PID/fd), and after each
# drop exactly as many as before (no fd leaked). Its RSS (/proc/PID/status VmRSS) after rounds 2
# and 3, idle and at the peak, stays within 10% (25% under ASan) of round 1's (no per-connection
# leak, memory is reused). A bystander subscribed before the storm gets a message during each hold within 3 s.
# Clients: 4 processes with a raised RLIMIT_NOFILE; in network namespaces the client side gets
# the whole ephemeral port range (45,000 connections, TIME_WAIT); on loopback every round drops
# by RST so no TIME_WAIT is left on the host. Under AddressSanitizer the broker runs with
# quarantine_size_mb=0 and allocator_release_to_os_interval_ms=0, or freed memory would sit in
# the quarantine or in its allocator's free lists and look like growth; its size-class regions
# still make round 2 up to ~10% larger (measured 23.6 -> 25.9 MB idle), so there the bound is 25%
# (LeakSanitizer at exit catches what is lost).
# timeout: 150
. "$(dirname "$0")/lib.sh"

N=15000
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((N + 1000)) ]; then
	skip "RLIMIT_NOFILE hard limit $hard < $((N + 1000)): the broker cannot hold $N connections"
fi
RSS_SLACK=1.10
if grep -q __asan_init "$(broker_bin)" 2>/dev/null; then
	RSS_SLACK=1.25
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:allocator_release_to_os_interval_ms=0"
fi
MODES="disconnect rst close"
if [ "$NETMODE" = netns ]; then
	cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	cli sysctl -qw net.ipv4.tcp_tw_reuse=1
else
	MODES="rst rst rst"
fi
start_broker "max_connections -1"
export BROKER_PID MODES N T RSS_SLACK

cat >"$T/storm_worker.py" <<'PY'
# One client process: open COUNT MQTT connections (CONNECT, CONNACK 0 required), print
# "up OK FAILED", then on "drop MODE" from stdin drop them all and print "down".
import errno, os, resource, selectors, socket, struct, sys, time
host, port, count, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def connect_pkt(cid):
    cid = cid.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x00" + struct.pack("!H", len(cid)) + cid
    return bytes([0x10, len(body)]) + body

sel = selectors.EpollSelector()
todo = list(range(count))
up, failed, inflight, retries = [], 0, 0, {}
deadline = time.monotonic() + 60
while (todo or inflight) and time.monotonic() < deadline:
    while todo and inflight < 200:
        i = todo.pop()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            failed += 1
            continue
        sel.register(s, selectors.EVENT_WRITE, [i, "connecting", b""])
        inflight += 1
    for key, ev in sel.select(1.0):
        s, st = key.fileobj, key.data
        if st[1] == "connecting":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                sel.unregister(s); s.close(); inflight -= 1
                retries[st[0]] = retries.get(st[0], 0) + 1
                if retries[st[0]] < 3:
                    todo.append(st[0])
                else:
                    failed += 1
                continue
            s.send(connect_pkt("%s-%d" % (prefix, st[0])))
            st[1] = "wait"
            sel.modify(s, selectors.EVENT_READ, st)
        else:
            try:
                d = s.recv(4 - len(st[2]))
            except OSError:
                d = b""
            st[2] += d
            if not d or (len(st[2]) == 4 and st[2] != b"\x20\x02\x00\x00"):
                sel.unregister(s); s.close(); inflight -= 1; failed += 1
            elif len(st[2]) == 4:
                sel.unregister(s); inflight -= 1
                up.append(s)
failed += len(todo) + inflight
print("up %d %d" % (len(up), failed), flush=True)
mode = sys.stdin.readline().split()[1]
for s in up:
    if mode == "rst":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif mode == "disconnect":
        try:
            s.send(b"\xe0\x00")
        except OSError:
            pass
    s.close()
print("down", flush=True)
PY

PY_TIMEOUT=140 py <<'PY'
from mqttraw import *
import os, subprocess, sys, time

from hostile import bystander, bystander_alive, rss

PID = int(os.environ["BROKER_PID"])
N = int(os.environ["N"])
SLACK = float(os.environ["RSS_SLACK"])
MODES = os.environ["MODES"].split()
WORKERS = 4

def fds():
    return len(os.listdir("/proc/%d/fd" % PID))

def wait_fds(want, secs):
    deadline = time.monotonic() + secs
    while True:
        n = fds()
        if n == want or time.monotonic() > deadline:
            return n
        time.sleep(0.1)

def t():
    b = bystander()
    base = wait_fds(fds(), 0)
    peaks, idles = [], []
    for r, mode in enumerate(MODES, 1):
        t0 = time.monotonic()
        per = N // WORKERS
        ws = [subprocess.Popen([sys.executable, os.path.join(os.environ["T"], "storm_worker.py"),
                                HOST, str(PORT), str(per if k < WORKERS - 1 else N - per * (WORKERS - 1)),
                                "r%dw%d" % (r, k)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True) for k in range(WORKERS)]
        ok = failed = 0
        for w in ws:
            line = w.stdout.readline().split()
            check(line and line[0] == "up", "round %d: a client worker died: %r" % (r, line))
            ok += int(line[1]); failed += int(line[2])
        t_up = time.monotonic() - t0
        check_eq((N, 0), (ok, failed), "round %d: (CONNACK 0x00, failed)" % r)
        held = wait_fds(base + N, 5)
        check_eq(base + N, held, "round %d: broker fds with %d clients (base %d)" % (r, N, base))
        peaks.append(rss(PID) // 1024)
        lat = bystander_alive(b, "round%d" % r)
        for w in ws:
            w.stdin.write("drop %s\n" % mode); w.stdin.flush()
        for w in ws:
            check_eq("down", w.stdout.readline().strip(), "round %d: worker drop" % r)
            w.wait()
        after = wait_fds(base, 15)
        check_eq(base, after, "round %d: broker fds after the drop (%s): leaked %d" % (r, mode, after - base))
        time.sleep(0.5)
        idles.append(rss(PID) // 1024)
        print("round %d (%s): %d up in %.1f s, bystander %.3f s, fds %d -> %d -> %d, RSS peak %d kB, "
              "idle %d kB" % (r, mode, ok, t_up, lat, base, held, after, peaks[-1], idles[-1]))
    for r in (1, 2):
        check(peaks[r] <= peaks[0] * SLACK, "round %d peak RSS %d kB > %d%% of round 1's %d kB"
              % (r + 1, peaks[r], SLACK * 100, peaks[0]))
        check(idles[r] <= idles[0] * SLACK, "round %d idle RSS %d kB > %d%% of round 1's %d kB"
              % (r + 1, idles[r], SLACK * 100, idles[0]))
    bystander_alive(b, "end")
    assert_broker_serves()
main(t)
PY
