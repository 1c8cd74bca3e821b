#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Renders Mpps vs devices and rules from mudbench JSON reports with gnuplot.

usage: plot.py OUT.png REPORT.json...   (several reports: one point per scenario and report)
"""
import json
import statistics
import subprocess
import sys
import tempfile


def main():
    out, reports = sys.argv[1], sys.argv[2:]
    per = {}
    for path in reports:
        for s in json.load(open(path))["scenarios"]:
            if s["name"] != "S1":
                per.setdefault(s["name"], []).append(s)
    rows = []  # one point per scenario: the median over the reports
    for name, ss in sorted(per.items()):
        w = ss[0]["workload"]
        rows.append((w["devices"], w["rules"], statistics.median(s["mpps"] for s in ss),
                     statistics.median(s["baseline_mpps"] for s in ss), name))
    rows.sort()
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        for r in rows:
            f.write("%d %d %.4f %.4f %s\n" % r)
        dat = f.name
    gp = f"""
set terminal pngcairo size 900,560 noenhanced
set output '{out}'
set title 'mudgate-dp, one worker core (net_ring, in process): Mpps vs devices and rules'
set xlabel 'devices (log)'
set ylabel 'Mpps'
set logscale x
set xrange [500:300000]
set yrange [0:*]
set grid
set key top right
plot '{dat}' using 1:4 with points pt 6 ps 1.5 title 'baseline (enforcement off)', \\
     '{dat}' using 1:3 with points pt 7 ps 1.5 title 'enforced', \\
     '{dat}' using 1:3:(sprintf('%s %d rules', stringcolumn(5), $2)) with labels offset 0,1 font ',9' notitle
"""
    subprocess.run(["gnuplot"], input=gp, text=True, check=True)
    print(out)


if __name__ == "__main__":
    main()
