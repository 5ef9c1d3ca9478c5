#!/usr/bin/env bash
# bpf/vmlinux/core/vmlinux.h, the architecture-neutral header the arm64 build compiles the BPF
# programs with, is proven on this kernel: the x86 build made with it (VMLINUX_DIR=bpf/vmlinux/core)
# carries CO-RE relocations for the kernel structs it reads, and its fast path and XDP guard
# load, attach and pass their unit tests (real sockets, BPF_PROG_TEST_RUN).
# needs: bpf
# timeout: 400
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
command -v "${CLANG:-clang}" >/dev/null && command -v bpftool >/dev/null || skip "no clang/bpftool"
B=$T/build-core
run_fg make -C "$REPO_TOP" --no-print-directory -j2 BUILD="$B" VMLINUX_DIR=bpf/vmlinux/core \
	"$B/tests/test_fastpath" "$B/tests/test_xdp_guard" >"$T/make.log" 2>&1 </dev/null ||
	fail "build with the core header failed: $(tail -n 20 "$T/make.log")"
grep -q -- '-Ibpf/vmlinux/core' <<<"$(make -C "$REPO_TOP" -n --no-print-directory BUILD="$B" \
	VMLINUX_DIR=bpf/vmlinux/core -B "$B/bpf/fastpath.tmp.o" 2>/dev/null)" ||
	fail "the BPF objects were not compiled with -Ibpf/vmlinux/core"

# CO-RE: the sk_buff and tcp_sock field accesses are relocations, resolved by libbpf at load
relos=$(bpftool btf dump file "$B/bpf/fastpath.tmp.o" 2>/dev/null | grep -cE "STRUCT '(sk_buff|tcp_sock)'") || true
[ "${relos:-0}" -ge 2 ] || fail "fastpath.bpf.o has no BTF for sk_buff/tcp_sock (CO-RE)"

for t in test_fastpath test_xdp_guard; do
	rc=0
	timeout -k 5 120 "$B/tests/$t" >"$T/$t.log" 2>&1 || rc=$?
	[ "$rc" != 77 ] || skip "$t skipped: $(grep -m1 SKIP "$T/$t.log")"
	[ "$rc" = 0 ] || fail "$t built with the core header: exit $rc: $(tail -n 20 "$T/$t.log")"
	log "$t with bpf/vmlinux/core: $(grep -m1 -E 'PASSED|tests? run' "$T/$t.log")"
done
