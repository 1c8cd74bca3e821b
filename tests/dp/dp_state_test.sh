#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fail-static across a restart of mudgate-dp: a state change made over the control socket is
# persisted in --state-dir and in force after a restart that has no control plane and no
# --image. Traffic proves it: frames the device's policy accepts pass while it is enforced (a
# run without the state directory), and none pass once the persisted state quarantines it.
set -eu
B=${MUDGATE_BUILD_DIR:?}
S=${MUDGATE_SOURCE_DIR:?}
CORPUS=$S/tests/data/mud-corpus
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
dev=02:00:00:00:00:01
eal="--no-huge --no-shconf --no-pci -l 0,1 -m 256 --log-level=lib.eal:error --no-telemetry"
fail() {
	echo "FAIL: $*"
	exit 1
}

"$B/mudc" compile --lenient --site "$S/tests/dp/site.json" \
	--device "$dev=$CORPUS/daq/mud_files/bacnet.json" \
	--device "02:00:00:00:00:02=$CORPUS/mudmaker/cloud-service.json" -o "$tmp/img.mgi" \
	>"$tmp/compile.log" 2>&1 || { cat "$tmp/compile.log"; fail "mudc compile"; }
"$B/tests/dp/dp_pcapgen" "$tmp/img.mgi" "$tmp/all.pcap" 4000 7
"$B/tests/dp/dp_pcapgen" --empty "$tmp/empty.pcap"
"$B/mudc" replay "$tmp/img.mgi" "$tmp/all.pcap" --json >"$tmp/replay.json"
n=$(/usr/bin/python3 "$S/tests/dp/pcap_select.py" "$tmp/all.pcap" "$tmp/replay.json" "$dev" \
	"$tmp/dev.pcap")
[ "$n" -gt 0 ] || fail "no frame of $dev accepted by its policy in the generated traffic"

# count_frames PCAP: frames in a pcap written by net_pcap
count_frames() {
	/usr/bin/python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(d):
    off += 16 + struct.unpack("<IIII", d[off:off + 16])[2]
    n += 1
print(n)' "$1"
}

# run_pcap NAME ARGS...: the device's frames from the access port, drained, no control socket
run_pcap() {
	name=$1
	shift
	# shellcheck disable=SC2086
	timeout 120 "$B/mudgate-dp" $eal --file-prefix "mgst$$$name" \
		--vdev "net_pcap0,rx_pcap=$tmp/dev.pcap,tx_pcap=$tmp/$name.acc.pcap" \
		--vdev "net_pcap1,rx_pcap=$tmp/empty.pcap,tx_pcap=$tmp/$name.up.pcap" \
		-- --access net_pcap0 --uplink net_pcap1 --drain-exit "$@" >"$tmp/$name.log" 2>&1 ||
		{ cat "$tmp/$name.log"; fail "mudgate-dp ($name)"; }
	count_frames "$tmp/$name.up.pcap"
}

# 1. Enforced (no state directory): the frames reach the uplink. (Not all n: a frame addressed to
# a MAC learned on the access port itself stays there; dp_pcap_test checks exact equality.)
out=$(run_pcap enforced --image "$tmp/img.mgi")
[ "$out" -gt $((n / 2)) ] || fail "enforced: only $out of $n accepted frames reached the uplink"
echo "enforced: $out of $n frames reached the uplink"

# 2. A running mudgate-dp with a control socket: quarantine the device, then stop it.
# shellcheck disable=SC2086
"$B/mudgate-dp" $eal --file-prefix "mgst$$" --vdev net_null0 --vdev net_null1 \
	-- --access net_null0 --uplink net_null1 --image "$tmp/img.mgi" --ctrl "$tmp/dp.sock" \
	--state-dir "$tmp/state" >"$tmp/live.log" 2>&1 &
pid=$!
i=0
until [ -S "$tmp/dp.sock" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { cat "$tmp/live.log"; fail "control socket never appeared"; }
	sleep 0.05
done
"$B/mgdpctl" -s "$tmp/dp.sock" set-state "$dev" quarantined >/dev/null
"$B/mgdpctl" -s "$tmp/dp.sock" state >"$tmp/state.before"
"$B/mgdpctl" -s "$tmp/dp.sock" bindings >"$tmp/bindings.before"
grep -q "$dev.*quarantined" "$tmp/bindings.before" || fail "set-state not in the bindings"
kill -TERM "$pid"
wait "$pid" || fail "mudgate-dp did not exit cleanly on SIGTERM"
pid=""

# 3. Restart from the state directory alone: same generation, same bindings.
# shellcheck disable=SC2086
"$B/mudgate-dp" $eal --file-prefix "mgst$$" --vdev net_null0 --vdev net_null1 \
	-- --access net_null0 --uplink net_null1 --ctrl "$tmp/dp.sock" \
	--state-dir "$tmp/state" >"$tmp/live2.log" 2>&1 &
pid=$!
i=0
until [ -S "$tmp/dp.sock" ] && "$B/mgdpctl" -s "$tmp/dp.sock" state >"$tmp/state.after" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || { cat "$tmp/live2.log"; fail "control socket never came back"; }
	sleep 0.05
done
"$B/mgdpctl" -s "$tmp/dp.sock" bindings >"$tmp/bindings.after"
kill -TERM "$pid"
wait "$pid" || fail "restarted mudgate-dp did not exit cleanly"
pid=""
grep -v -i worker "$tmp/state.before" >"$tmp/s1"
grep -v -i worker "$tmp/state.after" >"$tmp/s2"
diff "$tmp/s1" "$tmp/s2" || fail "state differs after the restart"
diff "$tmp/bindings.before" "$tmp/bindings.after" || fail "bindings differ after the restart"
echo "restart: state and bindings restored ($(grep -c . "$tmp/bindings.after") binding lines)"

# 4. Traffic on the restored state: the quarantined device's policy no longer applies.
out=$(run_pcap restored --state-dir "$tmp/state")
[ "$out" -eq 0 ] || fail "restored: $out of $n frames passed while the device is quarantined"
echo "restored: 0 of $n frames passed (quarantined from the state directory)"
echo "dp_state_test: ok"
