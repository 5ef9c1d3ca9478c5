# shellcheck shell=bash
# Sourced by tests/integration/t_xdp_*.sh and t_netlink_*.sh after lib.sh: what the XDP guard's
# daemon tests share.
#   xdp_setup: root, netns, the guard's test helper and a bpffs of this test's own in
#     $T/bpffs (`ip netns exec` mounts a fresh /sys without one; tests run in parallel), so
#     PIN=$T/bpffs/mqttgw is the daemon's fastpath_pin_dir (the guard pins there).
#   attacker_ns: a third namespace joined to the broker's by veth1; ATT_ADDR is its address,
#     routed to $BROKER_HOST. ATT=(ip netns exec NS) runs a command there.
#   xstatus [ARGS]: mqttgwd --xdp-status --json --pin-dir $PIN in the broker's namespace;
#     output $XS, exit status $XS_RC. xget EXPR: a Python expression on d, the parsed $XS.

XDP_TEST=$BUILD/xdp-guard-test

xdp_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root (XDP, network namespaces)"
	[ "$NETMODE" = netns ] || skip "needs network namespaces"
	[ -x "$XDP_TEST" ] || skip "no $XDP_TEST (a FASTPATH=0 build has no XDP guard)"
	mkdir -p "$T/bpffs"
	mount -t bpf bpf "$T/bpffs" || skip "cannot mount a bpffs"
	at_cleanup "umount -l '$T/bpffs'"
	PIN=$T/bpffs/mqttgw
}

attacker_ns() {
	local nsa=${BROKER_NS%-b}-a broker_side
	netns_add "$nsa"
	read -r broker_side ATT_ADDR <<<"$(pid_slash30 10.201)"
	veth_link "$BROKER_NS" "$nsa" veth1 "$broker_side" "$ATT_ADDR"
	ip -n "$nsa" route add "$BROKER_HOST/32" via "$broker_side"
	ATT=(ip netns exec "$nsa")
	ATT_NS=$nsa
}

xstatus() {
	XS_RC=0
	XS=$(bns timeout 10 "$(broker_bin)" --xdp-status --json --pin-dir "$PIN" "$@" 2>&1) || XS_RC=$?
}

xget() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$XS" "$1"; }

# wait_log ERE [SECS]: until the broker log has a line matching ERE (default 10 s), or fail.
wait_log() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		grep -Eq -- "$1" "$BROKER_LOG" && return 0
		sleep 0.05
	done
	fail "no log line /$1/ within ${2:-10}s: $(tail -n 20 "$BROKER_LOG")"
}
