#!/usr/bin/env bash
# systemd's notification protocol against a stand-in NOTIFY_SOCKET (a python3 AF_UNIX datagram
# listener, as systemd's): READY=1 only once the port accepts connections, sent by the daemon's
# own pid (NotifyAccess=main checks SCM_CREDENTIALS); RELOADING=1 with MONOTONIC_USEC and then
# READY=1 around SIGHUP; WATCHDOG=1 every half WATCHDOG_USEC while WATCHDOG_PID names the
# daemon; STOPPING=1 at SIGTERM, then exit 0.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"

SOCK=$T/notify.sock
EVENTS=$T/events
WD_USEC=400000 # a ping every 200 ms

# The listener: one line per datagram, "<sent us> <received us> <sender pid> <KEY=VALUE|...>":
# sent is the kernel's stamp taken when the daemon sent it (SO_TIMESTAMPNS, CLOCK_REALTIME), so
# a listener slowed down by a loaded machine does not distort the pace; received is
# CLOCK_MONOTONIC when read (for MONOTONIC_USEC);
# at the first READY=1 it connects to the broker's port and logs "probe ok" or "probe refused",
# before reading anything else (the daemon is serving by then, or READY came too early).
bg "$T/listener.out" "${CLI[@]}" timeout -k 2 50 "$PY" -u -c '
import os, socket, struct, sys, time
path, out, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
SO_TIMESTAMPNS = 35  # = SCM_TIMESTAMPNS; not in the socket module
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
print("bound", flush=True)
probed = False
with open(out, "w", buffering=1) as f:
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(16))
        now = time.monotonic_ns() // 1000
        pid, sent = -1, -1
        for lvl, typ, data in anc:
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
            elif lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", data[:16])
                sent = sec * 1000000 + nsec // 1000
        f.write("%d %d %d %s\n" % (sent, now, pid, msg.decode().strip().replace("\n", "|")))
        if b"READY=1" in msg and not probed:
            probed = True
            try:
                socket.create_connection((host, port), timeout=2).close()
                f.write("probe ok\n")
            except OSError as e:
                f.write("probe refused %s\n" % e)
' "$SOCK" "$EVENTS" "$BROKER_HOST" "$BROKER_PORT"
for ((i = 0; i < 100; i++)); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || fail "listener did not bind: $(cat "$T/listener.out")"

# WATCHDOG_PID must be the daemon's own pid, as systemd sets it: a wrapper that execs.
cat >"$T/wrap.sh" <<EOF
#!/bin/sh
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=$WD_USEC WATCHDOG_PID=\$\$
exec "\$@"
EOF
chmod +x "$T/wrap.sh"
MQTTGW_BROKER_WRAPPER=$T/wrap.sh start_broker
pid=$BROKER_PID

# events KEY: the lines whose message contains KEY (fields: sent received pid message)
events() { grep -E "^[0-9]+ [0-9]+ -?[0-9]+ .*$1" "$EVENTS" || true; }
wait_event() { # KEY COUNT SECS
	local j
	for ((j = 0; j < $3 * 20; j++)); do
		[ "$(events "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "no $2 x '$1' within $3 s; events: $(cat "$EVENTS")"
}

wait_event 'READY=1' 1 5
for ((i = 0; i < 40; i++)); do grep -q '^probe' "$EVENTS" && break; sleep 0.05; done
assert_eq "probe ok" "$(grep '^probe' "$EVENTS")" "the port accepts connections at READY=1"
first=$(events 'READY=1' | head -n 1)
assert_eq "$pid" "$(cut -d' ' -f3 <<<"$first")" "READY=1 comes from the daemon's pid"
assert_contains "$first" "MAINPID=$pid" "READY=1 names the main pid"
assert_match "$first" 'STATUS=Serving 1 listener, fast path (on|off)' "a STATUS line with READY"

# The watchdog: at WATCHDOG_USEC / 2 = 200 ms on average (the daemon keeps the pace from its
# schedule, so a late ping is followed by an earlier one, and lateness does not add up), every
# gap under the interval (systemd would kill us) and none a burst (< 10 ms: two pings for one
# slot). A ping late by L is followed by one 200 - L ms later: at load average 24 one was 153 ms
# late (a 47 ms gap), so the burst bound cannot be larger; the mean bound below catches extra pings.
sleep 2
mapfile -t wd < <(events 'WATCHDOG=1' | cut -d' ' -f1)
[ "${#wd[@]}" -ge 8 ] || fail "only ${#wd[@]} WATCHDOG=1 pings in 2 s at 200 ms"
max=0
for ((i = 1; i < ${#wd[@]}; i++)); do
	gap=$((wd[i] - wd[i - 1]))
	[ "$gap" -gt "$max" ] && max=$gap
	[ "$gap" -ge 10000 ] || fail "pings $((gap / 1000)) ms apart: a burst"
done
[ "$max" -lt "$WD_USEC" ] || fail "a gap of $((max / 1000)) ms between pings exceeds WATCHDOG_USEC"
mean=$(((wd[${#wd[@]} - 1] - wd[0]) / (${#wd[@]} - 1)))
assert_int_between "$mean" 190000 230000 "mean gap between WATCHDOG=1 pings (us)"
log "watchdog: ${#wd[@]} pings, mean gap $((mean / 1000)) ms, max $((max / 1000)) ms"

# SIGHUP: RELOADING=1 with a MONOTONIC_USEC taken just now on CLOCK_MONOTONIC, then READY=1.
n_ready=$(events 'READY=1' | wc -l)
kill -HUP "$pid"
wait_event 'RELOADING=1' 1 5
wait_event 'READY=1' $((n_ready + 1)) 5
rel=$(events 'RELOADING=1')
mono=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<<"$rel")
recv=$(cut -d' ' -f2 <<<"$rel")
[ -n "$mono" ] || fail "RELOADING=1 without MONOTONIC_USEC: $rel"
assert_int_between $((recv - mono)) 0 500000 "MONOTONIC_USEC is CLOCK_MONOTONIC at the reload (us before receipt)"
line_rel=$(grep -n 'RELOADING=1' "$EVENTS" | cut -d: -f1)
line_ready=$(grep -n 'READY=1' "$EVENTS" | tail -n 1 | cut -d: -f1)
[ "$line_ready" -gt "$line_rel" ] || fail "READY=1 did not follow RELOADING=1: $(cat "$EVENTS")"
broker_alive

# SIGTERM: STOPPING=1, then a clean exit.
stop_broker
assert_eq 0 "$BROKER_RC" "exit status after SIGTERM"
events 'STOPPING=1' | grep -q . || fail "no STOPPING=1; events: $(cat "$EVENTS")"
assert_eq "$pid" "$(events 'STOPPING=1' | cut -d' ' -f3)" "STOPPING=1 from the daemon's pid"
# nothing after STOPPING=1 but (at most) a last watchdog ping sent before the loop stopped
tail -n 1 "$EVENTS" | grep -q 'STOPPING=1\|WATCHDOG=1' || fail "unexpected last event: $(tail -n 1 "$EVENTS")"
log "events: $(wc -l <"$EVENTS") datagrams"
