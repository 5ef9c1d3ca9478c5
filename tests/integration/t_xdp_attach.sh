#!/usr/bin/env bash
# XDP guard on real veth interfaces (issue #14), through build/xdp-guard-test (the loader
# without the daemon). Three namespaces: the server (a TCP listener on BROKER_PORT, the guard
# on both of its veths), the clients (normal, allowlisted and denylisted addresses, IPv4 and
# IPv6) and an attacker that floods SYNs from a raw socket. Once with both interfaces in
# native mode, once in generic mode (a new guard process: the pinned bans carry over):
#   - the flood is dropped at XDP (syn_limited counts it) while the allowlisted and the
#     normal client connect during it;
#   - a denied CIDR cannot connect, then can once it is removed; IPv6 connects through the
#     guard, and a denied IPv6 address cannot;
#   - a banned address cannot connect, the ban survives the guard's restart (pinned), and
#     the address connects after unban;
#   - detach, re-attach, and re-attach to an interface deleted and re-created (new ifindex).
# The kernel log must not gain a BUG/WARNING (lib.sh checks it at exit).
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
[ "$NETMODE" = netns ] || skip "needs network namespaces"
HELPER=$BUILD/xdp-guard-test
[ -x "$HELPER" ] || skip "$HELPER not built (FASTPATH=0?)"
why=$(bns "$HELPER" guard -P none 2>&1 </dev/null) || skip "XDP guard unavailable: $why"

PORT=$BROKER_PORT
SRV_NS=$BROKER_NS
CLI_NS=$CLIENT_NS
ATK_NS="${SRV_NS%-b}-a"
netns_add "$ATK_NS"
read -r SRV_ATK ATK_ADDR <<<"$(pid_slash30 10.201)"
veth_link "$SRV_NS" "$ATK_NS" vatk "$SRV_ATK" "$ATK_ADDR"
ATK=(ip netns exec "$ATK_NS")

# Client addresses beside CLIENT_ADDR: allowlisted, denylisted, and IPv6.
C_ALLOW=192.0.2.20
C_DENY=192.0.2.10
V6_PFX="fd77:$(printf '%x' $(($$ % 65536)))"
SRV6=$V6_PFX::1
CLI6=$V6_PFX::2
for a in $C_ALLOW $C_DENY; do
	ip -n "$CLI_NS" addr add "$a/32" dev veth0
	ip -n "$SRV_NS" route add "$a/32" dev veth0
done
ip -n "$SRV_NS" addr add "$SRV6/64" dev veth0 nodad
ip -n "$CLI_NS" addr add "$CLI6/64" dev veth0 nodad

# `ip netns exec` mounts its own /sys, hiding /sys/fs/bpf: the pins go to a bpffs of our own
# (mounts under $T are seen inside ip netns exec).
mkdir "$T/bpffs"
mount -t bpf bpf "$T/bpffs" || skip "cannot mount a bpffs"
at_cleanup "umount '$T/bpffs'"
PIN=$T/bpffs/mqttgw

# The listener: accepts and closes, IPv4 and IPv6.
bg "$T/srv.log" "${BNS[@]}" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(4096)
while True:
    c, _ = s.accept()
    c.close()
' "$PORT"
for ((i = 0; i < 50; i++)); do
	bns ss -Hltn "sport = :$PORT" | grep -q LISTEN && break
	sleep 0.1
done

# connects SRC DST: 0 when a TCP connect from SRC to DST:PORT succeeds within 2 s.
connects() {
	cli timeout 5 "$PY" -c '
import socket, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(2)
s.bind((src, 0))
try:
    s.connect((dst, port))
except OSError as e:
    print("connect %s -> %s: %s" % (src, dst, e), file=sys.stderr)
    sys.exit(1)
' "$1" "$2" "$PORT"
}

# The guard process: commands through a FIFO, "> " replies in $T/guard.out.
GUARD_PID=
guard_start() { # MODE
	: >"$T/guard.out"
	rm -f "$T/guard.in"
	mkfifo "$T/guard.in"
	exec 7<>"$T/guard.in"
	# Not through bg: an asynchronous command without job control gets /dev/null as stdin
	# unless the redirection is on the command itself.
	env MQTTGW_TEST_LOG=1 "${BNS[@]}" "$HELPER" guard -p "$PORT" -r 20 -b 10 -P "$PIN" \
		"veth0:$1" "vatk:$1" <"$T/guard.in" >"$T/guard.out" 2>&1 &
	GUARD_PID=$!
	track "$GUARD_PID"
	for ((i = 0; i < 100; i++)); do
		grep -q '^> ready' "$T/guard.out" && return 0
		kill -0 "$GUARD_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "guard did not start ($1): $(cat "$T/guard.out")"
}

# g CMD...: send a command, print its reply.
g() {
	local n i
	n=$(grep -c '^> ' "$T/guard.out" || true)
	echo "$*" >&7
	for ((i = 0; i < 100; i++)); do
		if [ "$(grep -c '^> ' "$T/guard.out" || true)" -gt "$n" ]; then
			grep '^> ' "$T/guard.out" | tail -n 1 | cut -c3-
			return 0
		fi
		sleep 0.05
	done
	fail "no reply to '$*': $(tail -n 5 "$T/guard.out")"
}

g_ok() { # CMD...: the command must succeed
	local r
	r=$(g "$@")
	[[ $r == ok* ]] || fail "'$*': $r"
}

ctr() { # NAME: a counter of the guard
	g counters | tr ' ' '\n' | sed -n "s/^$1=//p"
}

guard_stop() {
	echo quit >&7
	wait_pid "$GUARD_PID" 5
	exec 7>&-
}

attached() { # MODE: start the guard on both interfaces, check the mode took
	local mode=$1 took
	log "---- $mode mode"
	guard_start "$mode"
	for ifn in veth0 vatk; do
		took=$(sed -n "s/^> attached $ifn //p" "$T/guard.out")
		assert_eq "$mode" "$took" "mode on $ifn"
		assert_contains "$(bns ip -d link show "$ifn")" "prog/xdp" "XDP program on $ifn"
	done
	assert_match "$(bns ip link show veth0)" \
		" $([ "$mode" = native ] && echo xdp || echo xdpgeneric)[ /]" "attach mode reported by ip"
}

checks() { # MODE: flood, lists, IPv6
	local mode=$1
	g_ok allow "$C_ALLOW/32"
	g_ok deny 192.0.2.8/29

	# The flood, with the allowlisted and a normal client connecting during it.
	local before_lim before_pass
	before_lim=$(ctr syn_limited)
	bg "$T/flood.out" "${ATK[@]}" "$HELPER" flood "$SRV_ATK" "$PORT" 2
	local fpid=$BG_PID
	sleep 0.5
	connects "$C_ALLOW" "$BROKER_HOST" || fail "$mode: allowlisted client during the flood"
	connects "$CLIENT_ADDR" "$BROKER_HOST" || fail "$mode: normal client during the flood"
	wait_pid "$fpid" 10
	local sent lim
	sent=$(cat "$T/flood.out")
	lim=$(($(ctr syn_limited) - before_lim))
	log "$mode: flood sent $sent SYNs, syn_limited +$lim; $(g counters)"
	assert_int_between "$sent" 1000 100000000 "SYNs sent"
	# All but the burst and the refill over 2 s (10 + 2 * 20) are dropped; some SYNs may
	# still be in flight when the counters are read.
	assert_int_between "$lim" $((sent * 9 / 10)) "$sent" "$mode: SYNs dropped at XDP"
	assert_int_between "$(ctr allowed)" 1 1000 "$mode: allowed packets counted"

	# Denied CIDR, then removed.
	connects "$C_DENY" "$BROKER_HOST" && fail "$mode: a denied address connected"
	[ "$(ctr denied)" -ge 1 ] || fail "$mode: denied not counted"
	g_ok undeny 192.0.2.8/29
	connects "$C_DENY" "$BROKER_HOST" || fail "$mode: connect after undeny"

	# IPv6 through the guard, and a denied IPv6 address.
	connects "$CLI6" "$SRV6" || fail "$mode: IPv6 connect"
	g_ok deny "$CLI6/128"
	connects "$CLI6" "$SRV6" && fail "$mode: a denied IPv6 address connected"
	g_ok undeny "$CLI6/128"
}

attached native
checks native
# A ban, pinned: it must outlive this guard process.
g_ok ban "$CLIENT_ADDR" 60
connects "$CLIENT_ADDR" "$BROKER_HOST" && fail "a banned address connected"
[ "$(ctr banned)" -ge 1 ] || fail "banned not counted"
guard_stop
assert_eq "" "$(bns ip -d link show veth0 | grep -o 'prog/xdp' || true)" "detached at exit"
connects "$CLIENT_ADDR" "$BROKER_HOST" || fail "connect without the guard"

attached generic
assert_contains "$(cat "$T/guard.out")" "reusing the pinned ban map" "pinned bans reused"
assert_eq "ok 1" "$(g bans)" "bans after the restart"
connects "$CLIENT_ADDR" "$BROKER_HOST" && fail "the ban did not survive the restart"
g_ok unban "$CLIENT_ADDR"
connects "$CLIENT_ADDR" "$BROKER_HOST" || fail "connect after unban"
checks generic
# Detach, re-attach (the same name and ifindex: a no-op; after detach: attached again).
g_ok detach vatk
assert_eq "" "$(bns ip -d link show vatk | grep -o 'prog/xdp' || true)" "detached vatk"
assert_eq "ok 0 native" "$(g attach vatk auto)" "re-attach vatk (auto: native on veth)"
# The interface deleted and re-created under the same name (what netlink will report): the
# attach re-attaches to the new ifindex and the counters go on.
lim=$(ctr syn_limited)
ip -n "$SRV_NS" link del vatk
veth_link "$SRV_NS" "$ATK_NS" vatk "$SRV_ATK" "$ATK_ADDR"
assert_eq "ok 0 generic" "$(g attach vatk generic)" "re-attach to the re-created vatk"
assert_match "$(bns ip link show vatk)" " xdpgeneric[ /]" "program on the re-created vatk"
run_fg "${ATK[@]}" "$HELPER" flood "$SRV_ATK" "$PORT" 1 >"$T/flood.out"
assert_int_between "$(($(ctr syn_limited) - lim))" $(($(cat "$T/flood.out") * 9 / 10)) 100000000 \
	"SYNs dropped after the re-attach"
guard_stop
log "PASS"
