#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Repeats mudbench over every scenario and renders the plot (docs/performance.md).
#   tools/mudbench/run.sh BUILD_DIR OUT_DIR [RUNS [DURATION]]
set -eu
build=$1
out=$2
runs=${3:-3}
dur=${4:-10}
here=$(dirname "$0")
mkdir -p "$out"
i=1
while [ "$i" -le "$runs" ]; do
	"$build/mudbench" --scenario S1,S2,S3,S4,S5,S6,S7 --duration "$dur" --rounds 5 \
		--json "$out/run$i.json"
	i=$((i + 1))
done
python3 "$here/summary.py" "$out"/run*.json >"$out/summary.md"
python3 "$here/plot.py" "$out/mpps.png" "$out"/run*.json
cat "$out/summary.md"
