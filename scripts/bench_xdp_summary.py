#!/usr/bin/env python3
"""The markdown section of scripts/bench_xdp.sh: medians, spread (min-max over rounds) and
issue #14's targets with a met/missed verdict. Arguments: RESULTS.jsonl ELAPSED_S SYN_RATE."""
import json
import statistics
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
elapsed, syn_rate = sys.argv[2], sys.argv[3]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs, fmt):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return (fmt % statistics.median(xs)) + (
        " (%s–%s)" % (fmt % min(xs), fmt % max(xs)) if len(xs) > 1 else "")


def verdict(ok):
    return "–" if ok is None else ("met" if ok else "**missed**")


print("## XDP guard (issue #14)\n")
print("- %s s, results `%s`; figures are medians (min–max over rounds)\n" % (elapsed, sys.argv[1]))

guess = [r for r in rows if r["part"] == "guess"]
if guess:
    print("### Password guessing: 16 threads + a SYN flood from one address\n")
    print("Legitimate client: authenticated CONNECT→CONNACK, 20/s, from another address. "
          "The attacker's SYN flood: %s SYNs/s sent." % spread(
              [(r.get("syn") or {}).get("pps") for r in guess], "%.0f"))
    print()
    print("| figure | mqttgwd + guard | Mosquitto |")
    print("|---|---|---|")
    by = {b: [r for r in guess if r["broker"] == b] for b in ("mqttgwd", "mosquitto")}

    def safe(f, r):  # a load that failed is null in its row: no figure
        try:
            return f(r)
        except (KeyError, TypeError):
            return None

    def line(name, f, fmt):
        print("| %s | %s | %s |" % (name, spread([safe(f, r) for r in by["mqttgwd"]], fmt),
                                    spread([safe(f, r) for r in by["mosquitto"]], fmt)))

    line("legit p50 idle, ms", lambda r: r["idle"]["p50_ms"], "%.2f")
    line("legit p99 idle, ms", lambda r: r["idle"]["p99_ms"], "%.2f")
    line("legit p50 under attack, ms", lambda r: r["attack"]["p50_ms"], "%.2f")
    line("legit p99 under attack, ms", lambda r: r["attack"]["p99_ms"], "%.2f")
    line("legit p99 attack / idle", lambda r: r["attack"]["p99_ms"] / r["idle"]["p99_ms"]
         if r["idle"]["p99_ms"] else None, "%.2f")
    line("legit CONNECTs accepted under attack", lambda r: r["attack"]["ok"] / r["attack"]["n"]
         if r["attack"]["n"] else None, "%.3f")
    line("broker CPU-s, attack phase", lambda r: r["cpu_attack_s"], "%.2f")
    line("broker CPU-s on the attack (attack − idle phase)", lambda r: r["cpu_on_attack_s"], "%.2f")
    line("guesses answered (CONNACK refused)", lambda r: r["guess"]["refused"], "%.0f")
    line("guess attempts timed out (dropped)", lambda r: r["guess"]["timeouts"], "%.0f")
    line("bans logged", lambda r: r["bans_logged"], "%.0f")
    print()
    g = by["mqttgwd"]
    if g:
        g = [r for r in g if r["idle"] and r["attack"]]
        ratio = [r["attack"]["p99_ms"] / r["idle"]["p99_ms"] for r in g if r["idle"]["p99_ms"]]
        allok = bool(g) and all(r["attack"]["ok"] == r["attack"]["n"] and r["attack"]["n"] > 0
                                for r in g)
        cpu = med([r["cpu_on_attack_s"] for r in g])
        print("| target (mqttgwd + guard) | measured | met? |")
        print("|---|---|---|")
        print("| legit p99 under attack ≤ 2× idle | %s | %s |" % (
            spread(ratio, "%.2f×"), verdict(max(ratio) <= 2 if ratio else None)))
        print("| every legit CONNECT succeeds | %d/%d | %s |" % (
            sum(r["attack"]["ok"] for r in g), sum(r["attack"]["n"] for r in g), verdict(allok)))
        print("| daemon ≤ 0.5 CPU-s on the attack | %s | %s |" % (
            spread([r["cpu_on_attack_s"] for r in g], "%.2f"),
            verdict(cpu <= 0.5 if cpu is not None else None)))
        print()

allsyn = [r for r in rows if r["part"] == "synflood"]
GEN = {
    "live": "`mqttgw-attack xsyn` in the attacker's namespace: one SYN as XDP frames "
            "(BPF_PROG_TEST_RUN live frames, XDP_TX into the attacker's veth)",
    "relay": "`mqttgw-attack xsyn -R xrel0` in the attacker's namespace (live frames refused "
             "by this kernel): one SYN written by AF_PACKET to a relay veth whose peer's XDP "
             "program bpf_redirect()s it to the attacker's veth",
    "syn": "`mqttgw-attack syn` (2 threads, sendmmsg, raw IPv4): skbs from the attacker's stack",
}
for fam, sfx in (("IPv4", ""), ("IPv6", "6")):
    # rows of the IPv6 source are named xdp6, nft6, none6, floor6
    fsyn = [dict(r, mode=r["mode"][:len(r["mode"]) - len(sfx)]) for r in allsyn
            if r["mode"].endswith("6") == bool(sfx)]
    if not fsyn:
        continue
    print("### SYN flood from one %s source, limit %s SYNs/s per source\n" % (fam, syn_rate))
    failed = [r for r in fsyn if "error" in r]
    syn = [r for r in fsyn if "error" not in r]
    if failed:
        print("Not run: %d of %d runs (%s): %s.\n" % (
            len(failed), len(fsyn), ", ".join(sorted({r["mode"] for r in failed})),
            failed[0]["error"]))
    if not syn:
        continue
    gen = syn[0].get("gen", "syn")
    print("Generator: %s. " % GEN.get(gen, gen), end="")
    if gen != "syn":
        print("The broker's veth receives xdp_frames as from a NIC driver, before any skb "
              "exists; the nftables and no-limit runs have a pass-all XDP program on that veth "
              "to turn its NAPI on (frames become skbs there), the floor run a drop-all one "
              "(the generator's, the relay's and the veth's own cost).", end="")
    print("\n")
    print("Per SYN received by the broker's veth (rx_packets). NET_RX softirq: exact, summed "
          "by raw tracepoint programs on softirq_entry/exit on the generator's CPU (where the "
          "veths' NAPI runs; other load's NET_RX on that CPU included); own context: the part "
          "that ran in the generator's process (bottom halves re-enabled in its syscalls: no "
          "other process's NET_RX, nor what ksoftirqd took over). /proc/stat: the same "
          "CPU's softirq column, tick-sampled (250 Hz). Flood-path CPU: the generator's exact "
          "CPU time (on veth the receivers' NAPI polls run in its context). Above floor: minus "
          "the floor run's.\n")
    print("| limiter | SYNs/s received | dropped by the limiter | NET_RX softirq ns/SYN | "
          "above floor | own context ns/SYN | above floor | /proc/stat softirq CPU-s per M SYNs | "
          "flood-path CPU ns/SYN | above floor |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    floor = med([r.get("path_ns_per_syn") for r in syn if r["mode"] == "floor"])
    sfloor = med([r.get("net_rx_ns_per_syn") for r in syn if r["mode"] == "floor"])
    ofloor = med([r.get("net_rx_own_ns_per_syn") for r in syn if r["mode"] == "floor"])
    names = (("xdp", "XDP guard (`xdp_syn_rate`)"), ("nft", "nftables meter (prerouting -300)"),
             ("none", "none (SYNs reach TCP)"), ("floor", "floor (XDP drop-all, no parsing)"))

    def above(rs, k, f):
        return [r[k] - f for r in rs if r.get(k) is not None] if f is not None else []

    for m, name in names:
        rs = [r for r in syn if r["mode"] == m]
        if rs:
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, spread([r.get("rx_pps", r["pps"]) for r in rs], "%.0f"),
                spread([r["dropped"] for r in rs], "%.0f") if m in ("xdp", "nft") else "–",
                spread([r.get("net_rx_ns_per_syn") for r in rs], "%.0f"),
                spread(above(rs, "net_rx_ns_per_syn", sfloor), "%.0f") if m != "floor" else "–",
                spread([r.get("net_rx_own_ns_per_syn") for r in rs], "%.0f"),
                spread(above(rs, "net_rx_own_ns_per_syn", ofloor), "%.0f")
                if m != "floor" else "–",
                spread([r["softirq_s_per_msyn"] for r in rs], "%.2f"),
                spread([r.get("path_ns_per_syn") for r in rs], "%.0f"),
                spread(above(rs, "path_ns_per_syn", floor), "%.0f") if m != "floor" else "–"))
    print()

    def fig(m, k):
        return med([r.get(k) for r in syn if r["mode"] == m])

    x, n = fig("xdp", "softirq_s_per_msyn"), fig("nft", "softirq_s_per_msyn")
    xe, ne = fig("xdp", "net_rx_ns_per_syn"), fig("nft", "net_rx_ns_per_syn")
    pps = med([r.get("rx_pps", r["pps"]) for r in syn if r["mode"] in ("xdp", "nft")])
    if n or ne:
        print("| target | measured | met? |")
        print("|---|---|---|")
        if xe is not None and ne and sfloor is not None and ne - sfloor > 0:
            q = (xe - sfloor) / (ne - sfloor)
            print("| softirq XDP ≤ 1/3 nftables: exact NET_RX ns per SYN above floor | "
                  "%.2f× (%.0f / %.0f ns) | %s |"
                  % (q, xe - sfloor, ne - sfloor, verdict(q <= 1 / 3)))
        xo, no = fig("xdp", "net_rx_own_ns_per_syn"), fig("nft", "net_rx_own_ns_per_syn")
        if xo is not None and no and ofloor is not None and no - ofloor > 0:
            print("| the same, own context only | %.2f× (%.0f / %.0f ns) | – |"
                  % ((xo - ofloor) / (no - ofloor), xo - ofloor, no - ofloor))
        if xe is not None and ne:
            print("| %s (the generator's own softirq in both) | %.2f× (%.0f / %.0f ns) | – |"
                  % ("the same, floor not subtracted" if sfloor is not None else
                     "softirq XDP vs nftables: exact NET_RX ns per SYN, no floor run", xe / ne, xe,
                     ne))
        if x is not None and n:
            print("| the same, /proc/stat softirq per SYN (tick-sampled) | %.2f× | – |" % (x / n))
        if floor is not None and fig("xdp", "path_ns_per_syn") is not None and \
                fig("nft", "path_ns_per_syn") is not None:
            xa = fig("xdp", "path_ns_per_syn") - floor
            na = fig("nft", "path_ns_per_syn") - floor
            if na > 0:
                print("| the same, flood-path CPU above floor per SYN | "
                      "%.2f× (%.0f / %.0f ns) | – |" % (xa / na, xa, na))
        print("| flood ≥ 200k SYNs/s from one source (received) | %.0f/s | %s |" % (
            pps, verdict(pps >= 200000)))
        print()

over = [r for r in rows if r["part"] == "overhead"]
TITLE = {
    "veth": "### Guard attached, no attack: clients in their namespace over veth0, guard native on "
            "the broker's veth0 (a gateway's LAN side)\n",
    "lo": "### Guard attached, no attack: clients inside the broker's namespace, guard on its "
          "loopback in generic mode (information: not how a gateway attaches it)\n",
}
for path in ("veth", "lo"):
    po = [r for r in over if r.get("path", "lo") == path]
    if not po:
        continue
    print(TITLE[path])
    xp = [r for r in po if r["guard"] == 2]
    if xp:
        print("| scenario | figure | without guard | with guard | ratio | within noise? | "
              "pass-all XDP program | guard / pass-all | guard generic | ratio | within noise? |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
    else:
        print("| scenario | figure | without guard | with guard | ratio | within noise? |")
        print("|---|---|---|---|---|---|")
    # direction: +1 higher is better, -1 lower is better, 0 information
    for s in ("lat-10k", "p2p-q0"):
        for k, fmt, d in (("msgs_per_s", "%.0f", 1), ("msgs_per_broker_cpu_s", "%.0f", 1),
                          ("lat_p50_us", "%.1f", -1), ("lat_p99_us", "%.1f", -1),
                          ("broker_cpu_pct", "%.1f", 0)):
            a = [r["run"].get(k) for r in po if r["config"] == s and r["guard"] == 0]
            b = [r["run"].get(k) for r in po if r["config"] == s and r["guard"] == 1]
            a = [x for x in a if x is not None]
            if not a or med(b) is None:
                continue
            # not worse than the worst run without the guard
            # (a fixed-rate run's msgs/s is its rate: 9,999.98 against 10,000.02 is not worse)
            ok = None if not d else (med(b) >= min(a) * 0.999 if d > 0 else med(b) <= max(a))
            c = [r["run"].get(k) for r in po if r["config"] == s and r["guard"] == 2]
            g = [r["run"].get(k) for r in po if r["config"] == s and r["guard"] == 3]
            g = [x for x in g if x is not None]
            gok = None if not d or not g else (med(g) >= min(a) * 0.999 if d > 0
                                               else med(g) <= max(a))
            gen = " %s | %s | %s |" % (spread(g, fmt), "%.2f" % (med(g) / med(a)) if g and med(a)
                                       else "–", verdict(gok)) if g else " – | – | – |"
            extra = " %s | %s |%s" % (spread(c, fmt), "%.2f" % (med(b) / med(c)) if med(c)
                                      else "–", gen) if xp else ""
            print("| %s | %s | %s | %s | %.2f | %s |%s" % (s, k, spread(a, fmt), spread(b, fmt),
                                                            med(b) / med(a) if med(a) else 0,
                                                            verdict(ok), extra))
    print()
if over:
    print("Target: unchanged within noise: the median with the guard is not worse than the worst "
          "run without it. Pass-all XDP program: a two-instruction `return XDP_PASS` on the same "
          "veth (what XDP mode costs a veth by itself: its peer loses GSO and each skb is copied "
          "into a page; a NIC driver has neither); guard / pass-all is the guard's own cost. "
          "Guard generic: `xdp_interface veth0 generic`, the peer keeps GSO (on a veth that is "
          "the mode to use; native mode is for NIC drivers).\n")
