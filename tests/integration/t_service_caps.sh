#!/usr/bin/env bash
# The systemd unit's sandbox fits the daemon (scripts/mqttgwd.service), checked without systemd:
#   - CapabilityBoundingSet: with exactly those capabilities (setpriv --bounding-set, as root,
#     which is how systemd applies it) `fastpath on` starts, the fast path is active and
#     relays a message, and the XDP guard attaches to a veth; without any one of them the
#     fast path cannot load (exit 5) and the guard cannot attach: the set is minimal.
#   - SystemCallFilter: every system call the daemon makes (strace -f over start with the fast
#     path, a publish, SIGHUP, SIGTERM) and that the XDP guard's loader makes is in the filter
#     (@system-service as this systemd expands it, plus the names listed).
# needs: bpf
# broker: mqttgwd
# timeout: 120
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
UNIT=$REPO_TOP/scripts/mqttgwd.service
HELPER=$BUILD/xdp-guard-test
[ -x "$HELPER" ] || skip "$HELPER not built (FASTPATH=0?)"
why=$(bns "$HELPER" guard -P none 2>&1 </dev/null) || skip "XDP guard unavailable: $why"

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[ -n "$caps" ] || fail "no CapabilityBoundingSet in $UNIT"
# CAP_BPF CAP_NET_ADMIN -> bpf net_admin (setpriv's names)
read -r -a capv <<<"$(tr 'A-Z' 'a-z' <<<"$caps" | sed 's/cap_//g')"
log "unit capabilities: ${capv[*]}"
bounding() { # caps... -> -all,+a,+b
	local s=-all c
	for c in "$@"; do s+=",+$c"; done
	echo "$s"
}
# The pins (the unit's ReadWritePaths=/sys/fs/bpf) on a bpffs of our own: `ip netns exec`
# mounts a fresh /sys without one.
mkdir -p "$T/bpffs"
mount -t bpf bpf "$T/bpffs" || skip "cannot mount a bpffs"
at_cleanup "umount -l '$T/bpffs'"
PIN=$T/bpffs/mqttgw
MQTTGW_FASTPATH=on

# 1. exactly the unit's set: fast path active, a QoS 0 message relayed, XDP attached
MQTTGW_BROKER_WRAPPER="setpriv --inh-caps=-all --bounding-set $(bounding "${capv[@]}")" \
	start_broker "fastpath_pin_dir $PIN"
grep -q "Kernel fast path active" "$BROKER_LOG" || fail "fast path not active: $(tail -n 5 "$BROKER_LOG")"
grep -q "pinned in $PIN" "$BROKER_LOG" || fail "status pins not written: $(tail -n 5 "$BROKER_LOG")"
sub_bg "$T/sub.out" -t caps/t -C 1 -W 10
sleep 0.3
pub -t caps/t -m hello
wait_pid "$SUB_PID" 12
assert_eq hello "$(sub_payloads "$T/sub.out")" "QoS 0 through the broker with the unit's capabilities"
stop_broker
out=$(echo quit | bns setpriv --inh-caps=-all --bounding-set "$(bounding "${capv[@]}")" \
	"$HELPER" guard -P none -p "$BROKER_PORT" veth0:generic 2>&1) || true
assert_contains "$out" "> attached veth0 generic" "XDP guard attaches with the unit's capabilities"

# 2. each capability is needed
for drop in "${capv[@]}"; do
	rest=()
	for c in "${capv[@]}"; do [ "$c" = "$drop" ] || rest+=("$c"); done
	rc=0
	bns timeout -k 2 10 setpriv --inh-caps=-all --bounding-set "$(bounding ${rest[@]+"${rest[@]}"})" \
		"$BUILD/mqttgwd" -c "$BROKER_CONF" >"$T/drop.log" 2>&1 || rc=$?
	assert_eq 5 "$rc" "without $drop, fastpath on cannot start (exit 5): $(tail -n 1 "$T/drop.log")"
	out=$(echo quit | bns setpriv --inh-caps=-all --bounding-set "$(bounding ${rest[@]+"${rest[@]}"})" \
		"$HELPER" guard -P none -p "$BROKER_PORT" veth0:generic 2>&1) || true
	assert_not_contains "$out" "> attached" "without $drop the XDP guard must not attach"
	log "without $drop: refused ($(tail -n 1 "$T/drop.log" | cut -c1-100))"
done

# 3. system calls: the daemon's and the XDP loader's, against the unit's filter
command -v strace >/dev/null || skip "no strace: capabilities checked, system call filter not"
command -v systemd-analyze >/dev/null || skip "no systemd-analyze: capabilities checked, system call filter not"
filter=$(sed -n 's/^SystemCallFilter=//p' "$UNIT")
allowed=$T/allowed
# Every group as this systemd defines it ("@group" then indented members, some "@groups"
# themselves), closed over the unit's list.
systemd-analyze syscall-filter 2>/dev/null | awk -v want="$filter" '
	/^@/ { g = $1; next }
	/^    [@a-z0-9_-]+$/ { m[g] = m[g] " " $1 }
	function add(x,   i, n, v) {
		if (x in seen) return
		seen[x] = 1
		if (x !~ /^@/) { print x; return }
		n = split(m[x], v, " ")
		for (i = 1; i <= n; i++) add(v[i])
	}
	END { n = split(want, w, " "); for (i = 1; i <= n; i++) add(w[i]) }' | sort -u >"$allowed"
[ "$(wc -l <"$allowed")" -gt 100 ] || fail "cannot expand the unit's filter: $(head -c 300 "$allowed")"
MQTTGW_BROKER_WRAPPER="strace -f -qq -o $T/strace.daemon" start_broker "fastpath_pin_dir $PIN"
tracer=$BROKER_PID
sub_bg "$T/sub2.out" -t caps/t -C 1 -W 10
sleep 0.3
pub -t caps/t -m again
wait_pid "$SUB_PID" 12
assert_eq again "$(sub_payloads "$T/sub2.out")" "QoS 0 under strace"
daemon=$(pgrep -P "$tracer" -x mqttgwd) || fail "no mqttgwd under strace pid $tracer"
kill -HUP "$daemon"
sleep 0.5
kill -TERM "$daemon"
wait_pid "$tracer" 15
BROKER_PID=
echo quit | bns strace -f -qq -o "$T/strace.xdp" "$HELPER" guard -P none -p "$BROKER_PORT" \
	veth0:generic >/dev/null 2>&1 || true
grep -q 'bpf(' "$T/strace.xdp" || fail "strace saw no bpf() from the XDP loader"
used=$(cat "$T/strace.daemon" "$T/strace.xdp" | sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p' | sort -u)
grep -qx bpf <<<"$used" || fail "strace saw no bpf() from the daemon: $(head -n 3 "$T/strace.daemon")"
missing=$(comm -23 <(echo "$used") "$allowed" | tr '\n' ' ')
[ -z "$missing" ] || fail "system calls the unit's SystemCallFilter would refuse: $missing"
log "system calls used: $(wc -w <<<"$used"), all in SystemCallFilter=$filter"
