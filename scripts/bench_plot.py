#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Draw `make bench` results as PNG with gnuplot (Debian gnuplot-nox), next to the summary.

    scripts/bench_plot.py RESULTS.jsonl OUTDIR [--timeline-dir DIR] [--prefix NAME]

Writes into OUTDIR (and prints, one path a line):
  <prefix>-throughput.png   delivered msgs/s per broker, one cluster per closed-loop config
  <prefix>-latency.png      latency p50/p99/p99.9/max per broker, one panel per config that has
                            latency figures and a fixed rate (or is pingpong)
  <prefix>-timeline-<config>.png  latency over time, one per config found in --timeline-dir
The gnuplot scripts and data files go to OUTDIR/<prefix>-plot/ (rerun them with gnuplot).

Input formats (shared with every scenario of scripts/bench.sh; a new scenario is plotted by
writing them, nothing here needs to change):
  RESULTS.jsonl  one JSON object a line: "config" (scenario name as in bench.sh), "broker"
                 (column), "round", and figures: "msgs_per_s", "lat_p50_us", "lat_p99_us",
                 "lat_p999_us", "lat_max_us", "scenario", "rate". Lines with "error" are skipped;
                 medians over the rounds are drawn.
  timeline files DIR/<config>.<broker>.r<round>.tsv (bench.sh exports DIR as
                 BENCH_TIMELINE_DIR): one line per message, whitespace separated,
                     <t_s> <latency_us>
                 t_s: when it was sent, seconds from the start of the run; latency_us: send to
                 delivery in µs, or -1 for a message that never arrived (drawn as a red mark on
                 the time axis). Lines starting with '#' are comments, except
                     # event <t_s> <label...>
                 which draws a vertical line (e.g. "# event 2.0 SIGSTOP").
Exit status: 0 (also when there is nothing to draw), 2 if gnuplot is missing, 1 if it failed.
"""
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

LAT = [("lat_p50_us", "p50"), ("lat_p99_us", "p99"), ("lat_p999_us", "p99.9"),
       ("lat_max_us", "max")]
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f"]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if "error" not in r and "config" in r and "broker" in r:
                rows.append(r)
    return rows


def ordered(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def median(rows, config, broker, key):
    v = [r[key] for r in rows if r["config"] == config and r["broker"] == broker
         and isinstance(r.get(key), (int, float))]
    return statistics.median(v) if v else None


BROKERS = []  # every broker seen, in order: a broker keeps its colour in every picture


def color(b):
    if b not in BROKERS:
        BROKERS.append(b)
    return COLORS[BROKERS.index(b) % len(COLORS)]


def q(s):
    """A gnuplot string literal."""
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"')


def head(png, w, h):
    return ["set terminal pngcairo size %d,%d font 'sans,10' noenhanced" % (w, h),
            "set output %s" % q(png), "set datafile missing '-'",
            "set key outside top center horizontal",
            "set grid ytics lc rgb '#dddddd'", "set border 3", "set tics nomirror"]


def bars(rows, brokers, configs, key, ylabel):
    lines = ["# config " + " ".join(brokers)]
    for c in configs:
        vals = [median(rows, c, b, key) for b in brokers]
        if any(v is not None for v in vals):
            lines.append(c + " " + " ".join("-" if v is None else "%.6g" % v for v in vals))
    return lines if len(lines) > 1 else None


def plot_cmd(dat, brokers, first_col=2):
    return "plot " + ", ".join(
        "%s using %d:xtic(1) title %s lc rgb %s" % (q(dat) if i == 0 else "''", first_col + i,
                                                    q(b), q(color(b)))
        for i, b in enumerate(brokers))


def throughput(rows, brokers, pdir, png):
    configs = ordered(r["config"] for r in rows
                      if r.get("scenario") in ("p2p", "fanout", "fanin") and not r.get("rate"))
    data = bars(rows, brokers, configs, "msgs_per_s", "msgs/s")
    if not data:
        return None
    dat = os.path.join(pdir, "throughput.dat")
    open(dat, "w").write("\n".join(data) + "\n")
    g = head(png, max(640, 120 * len(data)), 480) + [
        "set title 'Throughput: delivered msgs/s (closed loop, median of rounds)'",
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1", "set boxwidth 0.9", "set yrange [0:*]",
        "set ylabel 'msgs/s'", "set xtics rotate by -30", "set format y '%.1s%c'",
        plot_cmd(dat, brokers)]
    return g


def latency(rows, brokers, pdir, png):
    configs = ordered(r["config"] for r in rows
                      if r.get("lat_p50_us") is not None
                      and (r.get("rate") or r.get("scenario") == "pingpong"))
    panels = []
    for c in configs:
        bs = [b for b in brokers if median(rows, c, b, "lat_p50_us") is not None]
        lines = ["# pct " + " ".join(bs)]
        for key, name in LAT:
            vals = [median(rows, c, b, key) for b in bs]
            if any(v is not None for v in vals):
                lines.append(name + " " + " ".join("-" if v is None else "%.6g" % v
                                                   for v in vals))
        if len(lines) > 1:
            dat = os.path.join(pdir, "latency-%s.dat" % re.sub(r"[^\w.-]", "_", c))
            open(dat, "w").write("\n".join(lines) + "\n")
            panels.append((c, dat, bs))
    if not panels:
        return None
    cols = 2 if len(panels) > 1 else 1
    nrow = (len(panels) + cols - 1) // cols
    g = head(png, 560 * cols, 360 * nrow) + [
        "set multiplot layout %d,%d title 'Latency percentiles per broker (µs, log scale, median"
        " of rounds)'" % (nrow, cols),
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1", "set boxwidth 0.9", "set logscale y",
        "set yrange [1:*]", "set ylabel 'µs'", "set key inside top left vertical"]
    for c, dat, bs in panels:
        g += ["set title %s" % q(c), plot_cmd(dat, bs)]
    g.append("unset multiplot")
    return g


def timelines(tdir, pdir, outdir, prefix):
    """{config: [(broker, round, path, events)]} -> one PNG per config."""
    by = {}
    for path in sorted(glob.glob(os.path.join(tdir, "*.tsv"))):
        m = re.match(r"^(.+)\.([^.]+)\.r(\d+)\.tsv$", os.path.basename(path))
        if m:
            by.setdefault(m.group(1), []).append((m.group(2), int(m.group(3)), path))
    out = []
    for config, files in by.items():
        # the first round of each broker: one line per broker keeps the chart readable
        seen, picked = set(), []
        for b, rnd, path in sorted(files, key=lambda x: x[1]):
            if b not in seen:
                seen.add(b)
                picked.append((b, rnd, path))
        events, series, lost = [], [], []
        for i, (b, rnd, path) in enumerate(picked):
            ok_dat = os.path.join(pdir, "timeline-%s.%s.dat" % (config, b))
            lost_dat = os.path.join(pdir, "timeline-%s.%s.lost.dat" % (config, b))
            n_ok = n_lost = 0
            with open(path) as f, open(ok_dat, "w") as fo, open(lost_dat, "w") as fl:
                for line in f:
                    if line.startswith("#"):
                        ev = line[1:].split(None, 2)
                        if len(ev) >= 2 and ev[0] == "event":
                            events.append((float(ev[1]), ev[2].strip() if len(ev) > 2 else ""))
                        continue
                    p = line.split()
                    if len(p) < 2:
                        continue
                    try:
                        t, lat = float(p[0]), float(p[1])
                    except ValueError:
                        continue
                    if lat < 0:
                        fl.write("%.6f\n" % t)
                        n_lost += 1
                    else:
                        fo.write("%.6f %.3f\n" % (t, max(lat, 1.0)))
                        n_ok += 1
            if n_ok:
                series.append("%s using 1:2 with points pt 7 ps 0.3 lc rgb %s title %s" % (
                    q(ok_dat), q(color(b)), q("%s (round %d)" % (b, rnd))))
            if n_lost:
                lost.append("%s using 1:(1) with points pt 2 ps 0.8 lc rgb '#d62728' title %s" % (
                    q(lost_dat), q("%s: lost (%d)" % (b, n_lost))))
        if not series and not lost:
            continue
        png = os.path.join(outdir, "%s-timeline-%s.png" % (prefix, config))
        g = head(png, 1000, 480) + [
            "set title %s" % q("Latency over time: %s (each point one message)" % config),
            "set xlabel 'seconds since the start of the run'", "set ylabel 'µs (log)'",
            "set logscale y", "set yrange [1:*]"]
        for t, label in sorted(set(events)):
            g.append("set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lc rgb '#555555'"
                     % (t, t))
            g.append("set label %s at %g, graph 0.97 offset 0.5,0 tc rgb '#555555'" % (
                q(label), t))
        g.append("plot " + ", ".join(series + lost))
        out.append((png, g))
    return out


def run_gnuplot(script_path, lines):
    open(script_path, "w").write("\n".join(lines) + "\n")
    p = subprocess.run(["gnuplot", script_path], capture_output=True, text=True, timeout=60)
    if p.returncode:
        sys.stderr.write("bench_plot.py: gnuplot %s failed: %s\n" % (script_path, p.stderr))
        return False
    return True


def main(argv):
    args, opts = [], {"--timeline-dir": None, "--prefix": "bench"}
    i = 0
    while i < len(argv):
        if argv[i] in opts and i + 1 < len(argv):
            opts[argv[i]] = argv[i + 1]
            i += 2
            continue
        args.append(argv[i])
        i += 1
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 1
    results, outdir = args
    if not shutil.which("gnuplot"):
        sys.stderr.write("bench_plot.py: gnuplot not found"
                         " (scripts/deps.sh installs gnuplot-nox)\n")
        return 2
    prefix = opts["--prefix"]
    pdir = os.path.join(outdir, prefix + "-plot")
    os.makedirs(pdir, exist_ok=True)
    rows = load(results)
    brokers = ordered(r["broker"] for r in rows)
    BROKERS.extend(brokers)
    jobs = []
    for name, fn in (("throughput", throughput), ("latency", latency)):
        png = os.path.join(outdir, "%s-%s.png" % (prefix, name))
        g = fn(rows, brokers, pdir, png)
        if g:
            jobs.append((png, g, name))
    if opts["--timeline-dir"] and os.path.isdir(opts["--timeline-dir"]):
        for png, g in timelines(opts["--timeline-dir"], pdir, outdir, prefix):
            jobs.append((png, g, os.path.basename(png)[:-4]))
    ok = True
    for png, g, name in jobs:
        if run_gnuplot(os.path.join(pdir, name + ".gp"), g):
            print(png)
        else:
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
