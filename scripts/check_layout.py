#!/usr/bin/env python3
"""daemon/README.md's two rules of the tree, checked (`make check-layout`, run by `make test`):
no file in daemon/ is over 1,000 lines, and no #include runs upward across layers.

Layers (daemon/README.md): L0 mqtt/, conf/, auth/, ctl/ (pure; their *_load.c and ctl.c read files
or sockets: L1), L1 io/, fastpath/, xdp/, netlink/, store/, L2 bridge/, broker/, L3 tools/ and
main.c. The pure modules README names in L1 folders (http_parse, metrics, xdp_parse,
xdp_ban, store_record) are L0. A header `include/<name>.h` has the layer of `<name>.c` (or of
`<name>_*.c`);
a header next to the sources belongs to its folder; system and libbpf skeleton headers to nobody.
A file may include a header of its own layer or below, never above. Exit 1 with one line per
violation, `file:line: ...`."""
import os
import re
import sys

MAX_LINES = 1000
LAYER = {"mqtt": 0, "conf": 0, "auth": 0, "ctl": 0, "io": 1, "fastpath": 1, "xdp": 1,
         "netlink": 1, "store": 1, "bridge": 2, "broker": 2, "tools": 3, "": 3}
# L1 files inside an L0 folder: the loaders that read files and the control socket
L1_FILES = re.compile(r"(_load|^ctl)\.c$")
# pure (L0) modules inside L1 folders, as daemon/README.md names them: L0 code may use them
PURE = {"http_parse", "metrics", "xdp_parse", "xdp_ban", "store_record"}

top = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
daemon = os.path.join(top, "daemon")
files = []
for d, _, fs in os.walk(daemon):
    files += [os.path.join(d, f) for f in fs if f.endswith((".c", ".h"))]
files.sort()


def folder(path):
    rel = os.path.relpath(path, daemon)
    return rel.split(os.sep)[0] if os.sep in rel else ""


# module name -> its file: every daemon source names its module (codec_encode.c -> codec, codec_encode)
owner = {}
for f in files:
    base = os.path.basename(f)[:-2]
    owner.setdefault(base, f)
    owner.setdefault(base.split("_")[0], f)


def layer_of(path):
    fo, base = folder(path), os.path.basename(path)
    if base[:-2] in PURE:
        return 0
    if LAYER[fo] == 0 and L1_FILES.search(base):
        return 1
    return LAYER[fo]


bad = []
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
for f in files:
    rel = os.path.relpath(f, top)
    with open(f, encoding="utf-8", errors="replace") as fh:
        lines = fh.readlines()
    if len(lines) > MAX_LINES:
        bad.append("%s:%d: %d lines, over %d" % (rel, len(lines), len(lines), MAX_LINES))
    me = layer_of(f)
    for n, line in enumerate(lines, 1):
        m = inc.match(line)
        if not m:
            continue
        name = m.group(1)
        local = os.path.join(os.path.dirname(f), name)
        if os.path.exists(local):
            target = folder(os.path.normpath(local))
            hl = LAYER[target] if target != folder(f) else me
        elif os.path.exists(os.path.join(top, "include", name)) and "/" not in name:
            mod = name[:-2]
            of = owner.get(mod, owner.get(mod.split("_")[0]))
            if of is None:
                continue  # a header with no module in daemon/ (an ABI or a tool's)
            target, hl = folder(of), layer_of(of)
        else:
            continue  # generated (skeletons, version) or shared with bpf/
        if hl > me:
            bad.append("%s:%d: includes %s (%s/, L%d) from L%d: upward across layers" % (
                rel, n, name, target or "daemon", hl, me))
for b in bad:
    print(b)
if bad:
    print("check_layout.py: %d violation(s) of daemon/README.md's rules" % len(bad))
    sys.exit(1)
print("check_layout.py: %d files in daemon/, none over %d lines, no include upward" % (
    len(files), MAX_LINES))
