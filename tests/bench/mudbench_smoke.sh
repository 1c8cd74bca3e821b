#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A short bounded run of mudbench (S1, S2, S3, S5; one round of about one second each) and a
# check that the JSON is complete and sane: every field present and finite, ratios consistent,
# verdicts equal to the reference classifier's, the TCP handshakes recorded, policy updates
# observed with no frame lost. It never asserts a speed: S5 keeps issuing updates past its
# phase (at most 10 s more) until 3 were observed, however slow the machine.
set -eu
build=${MUDGATE_BUILD_DIR:?}
src=${MUDGATE_SOURCE_DIR:?}
out=$(mktemp -d /tmp/mudbench_smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
timeout 40 "$build/mudbench" --scenario S1,S2,S3,S5 --duration 1 --rounds 1 --min-updates 3 \
	--json "$out/bench.json" >"$out/log" 2>&1 || {
	cat "$out/log"
	exit 1
}
python3 "$src/tests/bench/check_json.py" "$out/bench.json" S1 S2 S3 S5
