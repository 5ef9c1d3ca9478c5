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
          "The attacker's SYN flood: %s SYNs/s reached." % spread(
              [r["syn"]["pps"] for r in guess], "%.0f"))
    print()
    print("| figure | mqttgwd + guard | Mosquitto |")
    print("|---|---|---|")
    by = {b: [r for r in guess if r["broker"] == b] for b in ("mqttgwd", "mosquitto")}

    def line(name, f, fmt):
        print("| %s | %s | %s |" % (name, spread([f(r) for r in by["mqttgwd"]], fmt),
                                    spread([f(r) for r in by["mosquitto"]], fmt)))

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
        ratio = [r["attack"]["p99_ms"] / r["idle"]["p99_ms"] for r in g if r["idle"]["p99_ms"]]
        allok = all(r["attack"]["ok"] == r["attack"]["n"] and r["attack"]["n"] > 0 for r in g)
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
for fam, sfx in (("IPv4", ""), ("IPv6", "6")):
    # rows of the IPv6 source are named xdp6, nft6, none6, floor6
    syn = [dict(r, mode=r["mode"][:len(r["mode"]) - len(sfx)]) for r in allsyn
           if r["mode"].endswith("6") == bool(sfx)]
    if syn:
        gen = syn[0].get("gen", "syn")
        print("### SYN flood from one %s source, limit %s SYNs/s per source\n" % (fam, syn_rate))
        if gen == "xsyn":
            print("Generator: `mqttgw-attack xsyn` in the attacker's namespace: one SYN as XDP frames "
                  "(BPF_PROG_TEST_RUN live frames, XDP_TX into the veth), so the broker's veth receives "
                  "them as a NIC driver would, before any skb exists; the nftables and no-limit runs "
                  "have a pass-all XDP program on that veth to turn its NAPI on (frames become skbs "
                  "there), the floor run a drop-all one (the generator's and the veth's own cost).")
        else:
            print("Generator: `mqttgw-attack syn` (2 threads, sendmmsg, raw IPv4): skbs from the "
                  "attacker's stack.")
        print("softirq: /proc/stat, the generator's CPU (where the veth's NAPI runs), tick-sampled "
              "(other load on that CPU included). "
              "Flood-path CPU: the generator's exact CPU time (CLOCK_PROCESS_CPUTIME_ID) per SYN: on veth "
              "the receiver's NAPI poll runs in the sender's context when it re-enables bottom halves "
              "(ksoftirqd's run time is in the JSON lines, not added: other load's softirqs are in it). "
              "Above floor: minus the floor run's.\n")
        print("| limiter | SYNs/s sent | dropped by the limiter | softirq % of one CPU | "
              "softirq CPU-s per M SYNs | flood-path CPU ns/SYN | above floor ns/SYN |")
        print("|---|---|---|---|---|---|---|")
        floor = med([r["path_ns_per_syn"] for r in syn if r["mode"] == "floor"])
        names = (("xdp", "XDP guard (`xdp_syn_rate`)"), ("nft", "nftables meter (prerouting -300)"),
                 ("none", "none (SYNs reach TCP)"), ("floor", "floor (XDP drop-all, no parsing)"))
        for m, name in names:
            rs = [r for r in syn if r["mode"] == m]
            if rs:
                above = [r["path_ns_per_syn"] - floor for r in rs] if floor is not None else []
                print("| %s | %s | %s | %s | %s | %s | %s |" % (
                    name, spread([r["pps"] for r in rs], "%.0f"),
                    spread([r["dropped"] for r in rs], "%.0f") if m in ("xdp", "nft") else "–",
                    spread([r["softirq_pct"] for r in rs], "%.1f"),
                    spread([r["softirq_s_per_msyn"] for r in rs], "%.2f"),
                    spread([r.get("path_ns_per_syn") for r in rs], "%.0f"),
                    spread(above, "%.0f") if m != "floor" else "–"))
        x = med([r["softirq_s_per_msyn"] for r in syn if r["mode"] == "xdp"])
        n = med([r["softirq_s_per_msyn"] for r in syn if r["mode"] == "nft"])
        pps = med([r["pps"] for r in syn if r["mode"] in ("xdp", "nft")])
        print()
        if x is not None and n:
            print("| target | measured | met? |")
            print("|---|---|---|")
            print("| softirq XDP ≤ 1/3 nftables (/proc/stat softirq per SYN) | %.2f× | %s |" % (
                x / n, verdict(x / n <= 1 / 3)))
            if floor is not None:
                xa = med([r["path_ns_per_syn"] for r in syn if r["mode"] == "xdp"]) - floor
                na = med([r["path_ns_per_syn"] for r in syn if r["mode"] == "nft"]) - floor
                if na > 0:
                    print("| the same, flood-path CPU above floor per SYN | %.2f× (%.0f / %.0f ns) | %s |"
                          % (xa / na, xa, na, verdict(xa / na <= 1 / 3)))
            print("| flood ≥ 200k SYNs/s from one source | %.0f/s | %s |" % (pps, verdict(pps >= 200000)))
            print()

over = [r for r in rows if r["part"] == "overhead"]
if over:
    print("### Guard attached, no attack (mqttgwd in the broker namespace, guard on its loopback,"
          " generic mode)\n")
    print("| scenario | figure | without guard | with guard | ratio | within noise? |")
    print("|---|---|---|---|---|---|")
    # direction: +1 higher is better, -1 lower is better, 0 information
    for s in ("lat-10k", "p2p-q0"):
        for k, fmt, d in (("msgs_per_s", "%.0f", 1), ("lat_p50_us", "%.1f", -1),
                          ("lat_p99_us", "%.1f", -1), ("broker_cpu_pct", "%.1f", 0)):
            a = [r["run"].get(k) for r in over if r["config"] == s and r["guard"] == 0]
            b = [r["run"].get(k) for r in over if r["config"] == s and r["guard"] == 1]
            a = [x for x in a if x is not None]
            if not a or med(b) is None:
                continue
            # not worse than the worst run without the guard
            ok = None if not d else (med(b) >= min(a) if d > 0 else med(b) <= max(a))
            print("| %s | %s | %s | %s | %.2f | %s |" % (s, k, spread(a, fmt), spread(b, fmt),
                                                          med(b) / med(a) if med(a) else 0,
                                                          verdict(ok)))
    print()
    print("Target: unchanged within noise: the median with the guard is not worse than the worst "
          "run without it.\n")
