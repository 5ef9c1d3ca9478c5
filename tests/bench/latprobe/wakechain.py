#!/usr/bin/env python3
"""wakechain.py: the wake-up chain of each message, from `perf sched script` output.

Issue #15 ("two benches disagree"); README "Light-load latency: which bench is right".
Usage: perf sched script -i FILE | wakechain.py --tx COMM --rx COMM --relay PID|kworker

Per message: the sender's wake-up of the relay (its write: the broker, or with the kernel
fast path the kworker that runs the sockmap's redirect backlog), the relay running, the relay's
wake-up of the receiver, the receiver running. Prints medians and p90 of each step, how often
each wake-up crossed to the other CPU and found it idle, and every other wake-up of the broker
per message (e.g. one that finds nothing to do).
"""
import argparse
import re
import sys

EV = re.compile(r"^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(sched_\w+):\s+(.*)$")


def kv(s):
    return dict(re.findall(r"(\w+)=(\S+)", s))


def pct(v, q):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tx", required=True, help="sender thread comm")
    ap.add_argument("--rx", required=True, help="receiver thread comm")
    ap.add_argument("--broker", required=True, type=int, help="broker pid")
    ap.add_argument("--fp", action="store_true", help="relay is a kworker (fast path)")
    a = ap.parse_args()
    cur = {}  # cpu -> pid running
    st = None  # the message being followed
    res = {"d_relay": [], "run_relay": [], "d_rx": [], "chain": [], "relay_x": 0, "relay_idle": 0,
           "rx_x": 0, "rx_idle": 0, "n": 0, "broker_other": 0, "rx_nowake": 0}
    for line in sys.stdin:
        m = EV.match(line)
        if not m:
            continue
        comm, pid, cpu, t, ev, rest = m.group(1), int(m.group(2)), int(m.group(3)), \
            float(m.group(4)) * 1e6, m.group(5), m.group(6)
        f = kv(rest)
        if ev == "sched_switch":
            nxt = int(f["next_pid"])
            cur[cpu] = nxt
            if st and st.get("relay_pid") == nxt and "t_relay" not in st and "t_wrx" not in st:
                st["t_relay"] = t
            if st and "t_wrx" in st and f["next_comm"] == a.rx:
                res["d_rx"].append(t - st["t_wrx"])
                res["chain"].append(t - st["t_tx"])
                if "t_relay" in st:
                    res["d_relay"].append(st["t_relay"] - st["t_tx"])
                    res["run_relay"].append(st["t_wrx"] - st["t_relay"])
                res["n"] += 1
                st = None
            continue
        if ev != "sched_waking":
            continue
        wakee, wpid, tcpu = f["comm"], int(f["pid"]), int(f["target_cpu"])
        idle = cur.get(tcpu, 0) == 0
        is_relay = wakee.startswith("kworker") if a.fp else wpid == a.broker
        if comm == a.tx and is_relay and (st is None or "t_wrx" not in st):
            if st and "t_tx" in st:
                res["rx_nowake"] += 1  # the previous one reached a receiver that was running
            st = {"t_tx": t, "relay_pid": wpid}
            res["relay_x"] += tcpu != cpu
            res["relay_idle"] += idle and tcpu != cpu
            continue
        if a.fp and comm == a.tx and wpid == a.broker:
            res["broker_other"] += 1
            continue
        if not a.fp and wpid == a.broker and not (comm == a.tx):
            res["broker_other"] += 1
        if st and wakee == a.rx and pid == st["relay_pid"]:
            st["t_wrx"] = t
            res["rx_x"] += tcpu != cpu
            res["rx_idle"] += idle and tcpu != cpu
    n = max(res["n"], 1)
    print("messages followed %d; per message: relay woken on the other CPU %.2f (idle %.2f), "
          "receiver woken on the other CPU %.2f (idle %.2f); other broker wake-ups %.2f; "
          "receiver already running %d" % (res["n"], res["relay_x"] / n, res["relay_idle"] / n,
                                             res["rx_x"] / n, res["rx_idle"] / n,
                                             res["broker_other"] / n, res["rx_nowake"]))
    for k, name in (("d_relay", "write -> relay runs"), ("run_relay", "relay runs -> wakes rx"),
                    ("d_rx", "rx woken -> rx runs"), ("chain", "write -> rx runs")):
        print("  %-24s p50 %7.1f us  p90 %7.1f us" % (name, pct(res[k], .5), pct(res[k], .9)))


main()
