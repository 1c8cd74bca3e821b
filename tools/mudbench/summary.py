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


def main():
    runs = [json.load(open(p)) for p in sys.argv[1:]]
    names = [s["name"] for s in runs[0]["scenarios"]]
    print("| scenario | Mpps | baseline Mpps | ratio | cycles/pkt | image build ms | update p50/p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for n in names:
        ss = [s for r in runs for s in r["scenarios"] if s["name"] == n]
        img = [s["image"]["parse_validate_ms"] + s["image"]["compile_ms"] +
               s["image"]["expand_finish_ms"] + s["image"]["generation_build_ms"] for s in ss]
        upd = "-"
        lat = [s["update"]["latency_ms"] for s in ss if s.get("update", {}).get("latency_ms")]
        if lat:
            upd = "%.2f / %.2f" % (statistics.median([l["median"] for l in lat]),
                                   max(l["p99"] for l in lat))
        print("| %s | %s | %s | %s | %.0f | %.0f | %s |" % (
            n, mmm([s["mpps"] for s in ss]), mmm([s["baseline_mpps"] for s in ss]),
            mmm([s["ratio"] for s in ss]), statistics.median([s["cycles_per_packet"] for s in ss]),
            statistics.median(img), upd))
    print()
    print("%d runs; min / median / max over runs (each run's figure is the median of its rounds)"
          % len(runs))


if __name__ == "__main__":
    main()
