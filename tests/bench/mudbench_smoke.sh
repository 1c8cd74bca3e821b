#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A short bounded run of mudbench (S1, S2, S3, S5; one round of about one second each) and a
# check that the JSON is complete and sane: every field present and finite, ratios consistent,
# verdicts equal to the reference classifier's, the TCP handshakes recorded, policy updates
# observed with no frame lost. It never asserts a speed: S5 keeps issuing updates past its
# phase (at most 10 s more) until 3 were observed, however slow the machine.
# Then the same over net_memif between processes (S1, S2: mudgate-dp as a child process, one
# round of about one second), checked the same way plus no frame lost between the processes.
# Both processes run without hugepages (--no-huge) when fewer than 1,024 are free.
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

echo "mudbench_smoke: net_memif between processes (S1, S2)"
timeout 40 "$build/mudbench" --port memif --dp "$build/mudgate-dp" --scenario S1,S2 \
	--duration 1 --rounds 1 --json "$out/memif.json" >"$out/memif.log" 2>&1 || {
	cat "$out/memif.log"
	exit 1
}
grep '^mudbench: S[0-9]*: .*Mpps' "$out/memif.log" || true
python3 "$src/tests/bench/check_json.py" "$out/memif.json" S1 S2
