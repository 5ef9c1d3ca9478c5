#!/usr/bin/env bash
# The BPF objects mqttgwd embeds (issue #18, scripts/bpf_slim.py and bpf_skel_z.py): the same
# BTF types as bpftool's linked object, the same func_info and CO-RE relocations, no line info
# and no LBB* labels, deflated in the skeleton; and the kernel takes the slim objects: bpftool
# loads both (CO-RE relocated against this kernel's BTF, verified) from bpffs pins.
# broker: mqttgwd
# (no broker at all: this checks build products of mqttgwd and loads them with bpftool)
# needs: bpf
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
command -v bpftool >/dev/null || skip "no bpftool"
for n in fastpath xdp_guard; do
	[ -f "$BUILD/bpf/$n.bpf.o" ] && [ -f "$BUILD/bpf/$n.full.o" ] || skip "$BUILD/bpf/$n.bpf.o not built (FASTPATH=0?)"
done
py <<PY
import struct, sys
sys.path.insert(0, "$REPO_TOP/scripts")
from bpf_slim import sections
def ext(path):
    s = sections(open(path, "rb").read())
    e = s[".BTF.ext"]
    hl = struct.unpack_from("<I", e, 4)[0]
    fo, fl, lo, ll = struct.unpack_from("<IIII", e, 8)
    co, cl = struct.unpack_from("<II", e, 24) if hl >= 32 else (0, 0)
    return e[hl + fo:hl + fo + fl], ll, e[hl + co:hl + co + cl], s
for n in ("fastpath", "xdp_guard"):
    ff, fll, fc, fs = ext("$BUILD/bpf/%s.full.o" % n)
    sf, sll, sc, ss = ext("$BUILD/bpf/%s.bpf.o" % n)
    assert fll > 0 and sll == 0, (n, fll, sll)
    assert len(ff) == len(sf) and len(fc) == len(sc), n
    # records equal but for the sections' renumbered name offsets
    assert ff[:4] == sf[:4] and ff[12:16] == sf[12:16], n
    assert len(ss[".BTF"]) < len(fs[".BTF"]), n
    assert b"LBB" not in ss[".strtab"], n
    assert sorted(ss) == sorted(fs), n
    for sec in ss:
        # relocations: the same ones, numbering the symbols left after the labels went
        if sec.startswith(".rel"):
            assert len(ss[sec]) == len(fs[sec]), (n, sec)
        elif sec not in (".BTF", ".BTF.ext", ".strtab", ".symtab"):
            assert ss[sec] == fs[sec], (n, sec)
    print(n, "BTF", len(fs[".BTF"]), "->", len(ss[".BTF"]), "BTF.ext", len(fs[".BTF.ext"]), "->",
          len(ss[".BTF.ext"]))
# the fast path reads kernel structs through CO-RE relocations: they must survive
_, _, core, _ = ext("$BUILD/bpf/fastpath.bpf.o")
assert len(core) > 4, "fastpath.bpf.o lost its CO-RE relocations"
PY
[ $? = 0 ] || fail "slim objects differ from bpftool's beyond the line info"
for n in fastpath xdp_guard; do
	cmp -s <(bpftool btf dump file "$BUILD/bpf/$n.full.o") <(bpftool btf dump file "$BUILD/bpf/$n.bpf.o") ||
		fail "$n: the BTF types differ from bpftool's object"
	grep -q "bpf_util_elf_inflate" "$BUILD/$n.skel.h" || fail "$n.skel.h does not inflate its object"
	! grep -q '\\x7f\\x45\\x4c\\x46' "$BUILD/$n.skel.h" || fail "$n.skel.h still holds the plain ELF"
done

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip "no bpffs"
PIN=/sys/fs/bpf/mqttgw-t-slim-$$
pin_fail() { rm -rf "$PIN"; fail "$@"; }
for n in fastpath xdp_guard; do
	mkdir -p "$PIN/$n"
	bpftool prog loadall "$BUILD/bpf/$n.bpf.o" "$PIN/$n/p" pinmaps "$PIN/$n/m" >"$T/$n.load" 2>&1 ||
		pin_fail "the kernel refused the slim $n object: $(tail -n 20 "$T/$n.load")"
	[ -n "$(ls "$PIN/$n/p")" ] || pin_fail "$n: no program pinned"
	log "$n: loaded $(ls "$PIN/$n/p" | tr '\n' ' ')"
done
rm -rf "$PIN"
