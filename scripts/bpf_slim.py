#!/usr/bin/env python3
"""Drop the line info from a BPF object's BTF, for the copy that mqttgwd embeds (issue #18).

    bpf_slim.py OBJ BTF_OUT BTF_EXT_OUT

Reads OBJ (a little-endian ELF64 BPF object, as `bpftool gen object` writes it) and writes the
contents of a new .BTF and .BTF.ext section, which the Makefile puts back with
`llvm-objcopy --update-section`. What goes:
  - the line_info subsection of .BTF.ext (one 16-byte record per source line of every program);
  - the strings only it used: the file names and the text of every source line, which clang
    copies into the BTF string table.
What stays, unchanged but for renumbered string offsets: every type (maps, CO-RE, globals), the
func_info (required for BPF-to-BPF calls) and the CO-RE relocations. The kernel and libbpf treat
line info as optional; only the verifier's log loses its source lines (`make BPF_LINES=1` keeps
them). No tool in Debian does this: bpftool, llvm-objcopy and pahole keep or drop .BTF.ext whole.
"""
import struct
import sys

BTF_MAGIC = 0xEB9F
# Per kind: bytes after the 12-byte common header, (record size, offsets of name_off fields in a
# record) for the vlen records that follow, and whether the extra fixed part is there.
KIND_EXTRA = {1: 4, 3: 12, 14: 4, 17: 4}  # INT, ARRAY, VAR, DECL_TAG
KIND_VLEN = {
    4: (12, (0,)),  # STRUCT: name_off, type, offset
    5: (12, (0,)),  # UNION
    6: (8, (0,)),  # ENUM: name_off, val
    13: (8, (0,)),  # FUNC_PROTO: name_off, type
    15: (12, ()),  # DATASEC: type, offset, size
    19: (12, (0,)),  # ENUM64: name_off, lo, hi
}


def die(msg):
    sys.stderr.write("bpf_slim.py: %s\n" % msg)
    sys.exit(1)


def sections(elf):
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        die("not a little-endian ELF64 object")
    shoff = struct.unpack_from("<Q", elf, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    names = hdrs[shstrndx][4]
    out = {}
    for name, _typ, _fl, _addr, off, size in hdrs:
        end = elf.index(b"\0", names + name)
        out[elf[names + name : end].decode()] = elf[off : off + size]
    return out


def type_name_fields(types):
    """Yield the byte offset (in the type section) of every name_off field."""
    pos = 0
    while pos < len(types):
        info = struct.unpack_from("<I", types, pos + 4)[0]
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        yield pos
        pos += 12 + KIND_EXTRA.get(kind, 0)
        if kind in KIND_VLEN:
            rec, fields = KIND_VLEN[kind]
            for i in range(vlen):
                for f in fields:
                    yield pos + i * rec + f
            pos += vlen * rec
        elif kind not in (2, 7, 8, 9, 10, 11, 12, 16, 18) and kind not in KIND_EXTRA:
            die("unknown BTF kind %d" % kind)


def ext_subsec(ext, hdr_len, off, length):
    """The (sec_name_off position, record positions, record size) of a .BTF.ext subsection."""
    if length == 0:
        return None
    base = hdr_len + off
    rec = struct.unpack_from("<I", ext, base)[0]
    secs, pos = [], base + 4
    while pos < base + length:
        num = struct.unpack_from("<I", ext, pos + 4)[0]
        secs.append((pos, [pos + 8 + i * rec for i in range(num)]))
        pos += 8 + num * rec
    return rec, secs


def main():
    if len(sys.argv) != 4:
        die("usage: bpf_slim.py OBJ BTF_OUT BTF_EXT_OUT")
    with open(sys.argv[1], "rb") as f:
        secs = sections(f.read())
    if ".BTF" not in secs or ".BTF.ext" not in secs:
        die("%s has no .BTF/.BTF.ext" % sys.argv[1])
    btf, ext = bytearray(secs[".BTF"]), bytearray(secs[".BTF.ext"])
    magic, _ver, _fl, hlen, toff, tlen, soff, slen = struct.unpack_from("<HBBIIIII", btf, 0)
    if magic != BTF_MAGIC:
        die("bad .BTF magic")
    types = bytearray(btf[hlen + toff : hlen + toff + tlen])
    strs = bytes(btf[hlen + soff : hlen + soff + slen])
    emagic, ever, efl, ehlen = struct.unpack_from("<HBBI", ext, 0)
    if emagic != BTF_MAGIC or ehlen < 24:
        die("bad .BTF.ext header")
    fo, fl, lo, ll = struct.unpack_from("<IIII", ext, 8)
    co, cl = struct.unpack_from("<II", ext, 24) if ehlen >= 32 else (0, 0)

    # The strings that stay, in their old order, each once; old offset -> new offset.
    newstrs, remap = bytearray(b"\0"), {0: 0}

    def keep(buf, at):
        old = struct.unpack_from("<I", buf, at)[0]
        if old not in remap:
            end = strs.index(b"\0", old)
            remap[old] = len(newstrs)
            newstrs.extend(strs[old : end + 1])
        struct.pack_into("<I", buf, at, remap[old])

    for at in type_name_fields(types):
        keep(types, at)
    parts = []
    func = ext_subsec(ext, ehlen, fo, fl)
    core = ext_subsec(ext, ehlen, co, cl)
    for sub, str_fields in ((func, ()), (core, (8,))):
        if sub is None:
            parts.append(b"")
            continue
        for sec, recs in sub[1]:
            keep(ext, sec)
            for r in recs:
                for f in str_fields:
                    keep(ext, r + f)
        start = ehlen + (fo if sub is func else co)
        parts.append(bytes(ext[start : start + (fl if sub is func else cl)]))

    out_btf = struct.pack("<HBBIIIII", BTF_MAGIC, 1, 0, 24, 0, len(types), len(types), len(newstrs))
    with open(sys.argv[2], "wb") as f:
        f.write(out_btf + types + newstrs)
    fbytes, cbytes = parts
    hdr = struct.pack("<HBBIIIIIII", BTF_MAGIC, ever, efl, 32, 0, len(fbytes), len(fbytes), 0,
                      len(fbytes), len(cbytes))
    with open(sys.argv[3], "wb") as f:
        f.write(hdr + fbytes + cbytes)
    sys.stderr.write("bpf_slim.py: %s: .BTF %d -> %d B, .BTF.ext %d -> %d B (line info %d B)\n"
                     % (sys.argv[1], len(btf), len(out_btf) + len(types) + len(newstrs),
                        len(ext), len(hdr) + len(fbytes) + len(cbytes), ll))


if __name__ == "__main__":
    main()
