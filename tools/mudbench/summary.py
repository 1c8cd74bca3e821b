#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A Markdown table (min / median / max over repeated mudbench runs) for docs/performance.md.

usage: summary.py REPORT.json...
"""
import json
import statistics
import sys


def mmm(v):
    return "%.2f / %.2f / %.2f" % (min(v), statistics.median(v), max(v))


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else float("nan")


def main():
    runs = [json.load(open(p)) for p in sys.argv[1:]]
    names = [s["name"] for s in runs[0]["scenarios"]]
    print("| scenario | Mpps | baseline Mpps | ratio | worker cycles/pkt (busy) enf. / base "
          "| worker busy % enf. / base | parse + classify (cold / cached) cycles/pkt "
          "| verdict cache hits | image build ms | update p50/p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        ss = [s for r in runs for s in r["scenarios"] if s["name"] == n]
        img = [s["image"]["parse_validate_ms"] + s["image"]["compile_ms"] +
               s["image"]["expand_finish_ms"] + s["image"]["generation_build_ms"] for s in ss]
        upd = "-"
        lat = [s["update"]["latency_ms"] for s in ss if s.get("update", {}).get("latency_ms")]
        if lat:
            upd = "%.2f / %.2f" % (statistics.median([l["median"] for l in lat]),
                                   statistics.median([l["p99"] for l in lat]))
        def mode(key, m):
            return med([((s.get(key) or {}).get(m) or {}).get("median") for s in ss])
        main = "io" if n == "S1" else "enforced"
        vc = [s["verdict_cache"]["hit_rate"] for s in ss if s.get("verdict_cache")]
        cached = med([s["stage_cycles_per_packet"].get("classify_burst_cached") for s in ss])
        print("| %s | %s | %s | %s | %s / %.0f | %s / %.0f | %.0f + %.0f / %.0f | %s | %.0f | %s |" % (
            n, mmm([s["mpps"] for s in ss]), mmm([s["baseline_mpps"] for s in ss]),
            mmm([s["ratio"] for s in ss]),
            "-" if n == "S1" else "%.0f" % mode("worker_busy_cycles_per_packet", main),
            mode("worker_busy_cycles_per_packet", "baseline"),
            "-" if n == "S1" else "%.0f" % mode("worker_busy_pct", main),
            mode("worker_busy_pct", "baseline"),
            med([s["stage_cycles_per_packet"]["parse"] for s in ss]),
            med([s["stage_cycles_per_packet"]["classify_burst"] for s in ss]), cached,
            "%.1f %%" % (100 * statistics.median(vc)) if vc and n != "S1" else "-",
            statistics.median(img), upd))
    print()
    print("%d runs; min / median / max over runs (each run's figure is the median of its rounds);"
          " update: medians over runs of each run's p50 and p99" % len(runs))
    for n in names:
        for i, r in enumerate(runs):
            for s in r["scenarios"]:
                u = s.get("update")
                if s["name"] != n or not u or not u.get("latency_ms"):
                    continue
                f = lambda k: "%.2f / %.2f / %.2f" % (
                    u[k]["median"], u[k]["p99"], u[k]["max"]) if u.get(k) else "-"
                print("- %s run %d: %d updates observed of %d issued; latency p50/p99/max %s ms;"
                      " build (wall) %s; build (CPU) %s; load call %s; loss %d + %d" % (
                          n, i + 1, u["updates"], u.get("issued", 0), f("latency_ms"),
                          f("build_ms"), f("build_cpu_ms"), f("load_call_ms"),
                          u["non_policy_drops"], u["stable_denied_beyond_reference"]))


if __name__ == "__main__":
    main()
