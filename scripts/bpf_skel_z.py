#!/usr/bin/env python3
"""Store a bpftool skeleton's embedded BPF object zlib-compressed (issue #18).

    bpf_skel_z.py SKEL_IN SKEL_OUT

`bpftool gen skeleton` embeds the object as a string literal that NAME__elf_bytes() returns;
mqttgwd carries two (fast path 11.5 KB, XDP guard 6.4 KB after scripts/bpf_slim.py), which
deflate to a third. This rewrites NAME__elf_bytes() to inflate the compressed bytes into a
heap buffer (bpf_util_elf_inflate, daemon/fastpath/bpf_util.c, zlib: libbpf links it anyway)
and frees that buffer right after bpf_object__open_skeleton(), which copies everything it keeps
(libbpf ends the open with bpf_object__elf_finish, dropping its pointer to the bytes). Any other
shape of skeleton is an error, so that a new bpftool fails the build instead of loading garbage.
"""
import re
import sys
import zlib


def die(msg):
    sys.stderr.write("bpf_skel_z.py: %s\n" % msg)
    sys.exit(1)


def unescape(body):
    """The bytes of bpftool's literal: every byte as \\xHH or \\0, lines joined by \\<newline>."""
    body = body.replace("\\\n", "")
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i] != "\\":
            die("unexpected character in the ELF literal")
        if body[i + 1] == "0":
            out.append(0)
            i += 2
        elif body[i + 1] == "x":
            out.append(int(body[i + 2 : i + 4], 16))
            i += 4
        else:
            die("unexpected escape in the ELF literal")
    return bytes(out)


def literal(data):
    lines, line = [], ""
    for b in data:
        line += "\\x%02x" % b
        if len(line) >= 96:
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return "\\\n".join(lines)


def main():
    if len(sys.argv) != 3:
        die("usage: bpf_skel_z.py SKEL_IN SKEL_OUT")
    with open(sys.argv[1]) as f:
        text = f.read()
    fn = re.search(
        r"static inline const void \*(\w+)__elf_bytes\(size_t \*sz\)\n\{\n"
        r"\t\*sz = (\d+);\n\treturn \(const void \*\)\"\\\n(.*?)\";\n\}\n",
        text,
        re.S,
    )
    if not fn:
        die("%s: no NAME__elf_bytes() of the known shape" % sys.argv[1])
    name, size, data = fn.group(1), int(fn.group(2)), unescape(fn.group(3))
    if len(data) != size:
        die("%s: literal is %d bytes, *sz says %d" % (sys.argv[1], len(data), size))
    z = zlib.compress(data, 9)
    new_fn = (
        "static inline const void *%s__elf_bytes(size_t *sz)\n{\n"
        "\t/* zlib, %d -> %d bytes (scripts/bpf_skel_z.py) */\n"
        '\tstatic const char z[] = "\\\n%s";\n\n'
        "\treturn bpf_util_elf_inflate(z, sizeof(z) - 1, %d, sz);\n}\n"
        % (name, size, len(z), literal(z), size)
    )
    text = text[: fn.start()] + new_fn + text[fn.end() :]
    open_call = "\terr = bpf_object__open_skeleton(obj->skeleton, opts);\n"
    if text.count(open_call) != 1:
        die("%s: no single bpf_object__open_skeleton() call" % sys.argv[1])
    text = text.replace(open_call, open_call + "\tbpf_util_elf_release(obj->skeleton);\n")
    inc = "#include <bpf/libbpf.h>\n"
    if inc not in text:
        die("%s: no #include <bpf/libbpf.h>" % sys.argv[1])
    text = text.replace(inc, inc + '#include "bpf_util.h"\n', 1)
    with open(sys.argv[2], "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
