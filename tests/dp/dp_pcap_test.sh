#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# pcap in / pcap out through mudgate-dp (net_pcap, --drain-exit) over corpus policies: the
# frames transmitted must be exactly those `mudc replay` allows, in order.
set -eu
B=${MUDGATE_BUILD_DIR:?}
S=${MUDGATE_SOURCE_DIR:?}
CORPUS=$S/tests/data/mud-corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Device sets: each line is one image; files relative to the corpus.
cat > "$tmp/sets" <<'LIST'
mudfiles/devices/printers/brother/DCP-L2540DW/L2540DW.json daq/mud_files/bacnet.json
nist-mud/test/unittest/mud-tcp-direction-test/mudfile-tcp-direction-test.json nist-mud/test/unittest/mud-local-networks-test/mudfile.json
osmud/example/ieft-draft.json mudmaker/cloud-service.json mudmaker/same-manufacturer.json
nist-mud/test/unittest/mud-controllerclass-test/mudfile-controllerclass-test.json nist-mud/test/unittest/mud-same-manufacturer-test/mudfile-same-manufacturer-test.json
daq/mud_files/bacnet_frdev.json daq/mud_files/telnet.json daq/mud_files/controller.json daq/mud_files/commissioning.json
nist-mud/test/unittest/mud-dns-test/mudfile-dns-test.json nist-mud/test/unittest/mud-quarantine-test/mudfile-quarantine-test.json mudmaker/my-controller.json
mud-sbom/complete-example.json go-mudyang/examples/ol/olExample.json nist-mud/test/unittest/mud-model-test/mudfile-model-test.json
LIST

ok=0 skipped=0 n=0
while read -r files; do
	n=$((n + 1))
	args="" i=0
	for f in $files; do
		i=$((i + 1))
		args="$args --device 02:00:00:00:00:0$i=$CORPUS/$f"
	done
	# shellcheck disable=SC2086
	if ! "$B/mudc" compile --lenient --site "$S/tests/dp/site.json" $args -o "$tmp/$n.mgi" \
		>"$tmp/$n.compile" 2>&1; then
		echo "set $n: mudc compile failed, skipped: $(grep -v lenient "$tmp/$n.compile" | head -1)"
		skipped=$((skipped + 1))
		continue
	fi
	"$B/tests/dp/dp_pcapgen" "$tmp/$n.mgi" "$tmp/$n.in.pcap" 4000 "$n"
	"$B/tests/dp/dp_pcapgen" --empty "$tmp/empty.pcap"
	"$B/mudc" replay "$tmp/$n.mgi" "$tmp/$n.in.pcap" --json >"$tmp/$n.replay.json"
	if ! timeout 120 "$B/mudgate-dp" --no-huge --no-shconf --no-pci -l 0,1 -m 256 \
		--file-prefix "mgpcap$$" --log-level=lib.eal:error --no-telemetry \
		--vdev "net_pcap0,rx_pcap=$tmp/empty.pcap,tx_pcap=$tmp/$n.acc.pcap" \
		--vdev "net_pcap1,rx_pcap=$tmp/$n.in.pcap,tx_pcap=$tmp/$n.up.pcap" \
		-- --access net_pcap0 --uplink net_pcap1 --image "$tmp/$n.mgi" \
		--state-dir "$tmp/$n.state" --drain-exit >"$tmp/$n.dp.log" 2>&1; then
		echo "set $n: mudgate-dp failed:"
		cat "$tmp/$n.dp.log"
		exit 1
	fi
	if ! /usr/bin/python3 "$S/tests/dp/pcap_compare.py" "$tmp/$n.in.pcap" \
		"$tmp/$n.replay.json" "$tmp/$n.acc.pcap" >"$tmp/$n.cmp" 2>&1; then
		echo "set $n ($files): MISMATCH"
		cat "$tmp/$n.cmp"
		exit 1
	fi
	echo "set $n: $(cat "$tmp/$n.cmp")"
	ok=$((ok + 1))
done <"$tmp/sets"
echo "dp_pcap_test: $ok sets equal, $skipped skipped"
[ "$ok" -ge 4 ] || { echo "too few sets compiled"; exit 1; }
