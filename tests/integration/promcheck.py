"""A strict reader of the Prometheus text exposition format 0.0.4 (what /metrics serves).

parse(text) returns {family: {"type", "help", "samples": [(name, labels, value)]}} or raises
AssertionError naming the line: every family has exactly one # HELP and one # TYPE before its
samples, families are contiguous and never repeat, names and label names are valid, label
values are properly quoted and escaped, no series repeats, values are numbers, counters end in
_total and are >= 0, histograms have cumulative _bucket series ending in le="+Inf" equal to
_count, and a _sum. The page ends with a newline.
"""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _labels(s, where):
    out, i = {}, 0
    while i < len(s):
        m = re.match(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", s[i:])
        assert m, "%s: bad label at %r" % (where, s[i:])
        name, i, val = m.group(1), i + m.end(), ""
        while True:
            assert i < len(s), "%s: unterminated label value" % where
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                assert nxt in ("\\", "\"", "n"), "%s: bad escape \\%s" % (where, nxt)
                val += {"n": "\n"}.get(nxt, nxt)
                i += 2
            elif c == "\"":
                i += 1
                break
            else:
                assert c != "\n", where
                val += c
                i += 1
        assert name not in out, "%s: label %s twice" % (where, name)
        out[name] = val
        if i < len(s):
            assert s[i] == ",", "%s: expected ',' at %r" % (where, s[i:])
            i += 1
    return out


def _value(v, where):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    assert re.match(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$", v), "%s: bad value %r" % (where, v)
    return float(v)


def _family_of(name, fams):
    if name in fams:
        return name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and fams.get(name[:-len(suf)], {}).get("type") == "histogram":
            return name[:-len(suf)]
    return None


def parse(text):
    assert text.endswith("\n"), "the page must end with a newline"
    fams, order, cur, seen = {}, [], None, set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, line)
        assert line, "%s: empty line" % where
        if line.startswith("#"):
            m = re.match(r"# (HELP|TYPE) (\S+) ?(.*)$", line)
            assert m, "%s: comment that is neither HELP nor TYPE" % where
            kind, name, rest = m.groups()
            assert NAME.match(name), "%s: bad name" % where
            f = fams.get(name)
            if f is None:
                assert name not in order, where
                f = fams[name] = {"type": None, "help": None, "samples": []}
                order.append(name)
            assert cur in (None, name) or not f["samples"], where
            assert not f["samples"], "%s: %s after samples" % (where, kind)
            cur = name
            if kind == "HELP":
                assert f["help"] is None, "%s: second HELP" % where
                f["help"] = rest
            else:
                assert f["type"] is None, "%s: second TYPE" % where
                assert rest in TYPES, "%s: bad type" % where
                f["type"] = rest
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        assert m, "%s: not a sample" % where
        name, _, lab, val = m.groups()
        labels = _labels(lab or "", where)
        fam = _family_of(name, fams)
        assert fam, "%s: sample of an undeclared family" % where
        assert fam == cur, "%s: family %s is not contiguous" % (where, fam)
        f = fams[fam]
        assert f["help"] is not None and f["type"] is not None, "%s: needs HELP and TYPE" % where
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen, "%s: series twice" % where
        seen.add(key)
        v = _value(val, where)
        if f["type"] == "counter":
            assert name.endswith("_total"), "%s: a counter must end in _total" % where
            assert v >= 0, where
        f["samples"].append((name, labels, v))
    for name, f in fams.items():
        assert f["type"] and f["help"] is not None, "%s: HELP and TYPE both" % name
        if f["type"] != "histogram":
            continue
        b = [(s[1]["le"], s[2]) for s in f["samples"] if s[0] == name + "_bucket"]
        assert b and b[-1][0] == "+Inf", "%s: buckets must end with +Inf" % name
        les = [float(x[0].replace("+Inf", "inf")) for x in b]
        assert les == sorted(les) and len(set(les)) == len(les), "%s: le order" % name
        vals = [x[1] for x in b]
        assert vals == sorted(vals), "%s: buckets not cumulative" % name
        cnt = [s[2] for s in f["samples"] if s[0] == name + "_count"]
        sm = [s[2] for s in f["samples"] if s[0] == name + "_sum"]
        assert cnt == [vals[-1]], "%s: _count != +Inf bucket" % name
        assert len(sm) == 1 and not math.isnan(sm[0]), "%s: _sum" % name
    return fams


def value(fams, name, **labels):
    """The value of one series (family name or histogram sample name), or None."""
    fam = _family_of(name, fams)
    if not fam:
        return None
    for n, lab, v in fams[fam]["samples"]:
        if n == name and all(lab.get(k) == x for k, x in labels.items()):
            return v
    return None
