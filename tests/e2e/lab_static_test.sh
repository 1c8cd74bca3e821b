#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab without mudgated (tools/lab static mode: the lab compiles the two valid MUD files
# with mudc and binds the other devices as unknown): real DHCP through mudgate-dp, the
# same-manufacturer and controller abstractions, default deny, the allowances of unknown
# devices. Expected verdicts come from tests/data/lab/lightbulb.json and lightswitch.json.
set -u
. "$(dirname "$0")/lib.sh"
export MUDGATE_LAB_STATIC=1
export MUDGATE_LAB_DEVICES="bulb switch unsigned"
lab_up

for d in bulb switch unsigned; do
	a=$("$LAB" status --json | /usr/bin/python3 -c '
import json, sys
print([d["address"] for d in json.load(sys.stdin)["devices"] if d["name"] == sys.argv[1]][0])' "$d")
	want=$(awk -v d="$d" 'BEGIN { m["bulb"] = "10.77.0.101"; m["switch"] = "10.77.0.102";
		m["unsigned"] = "10.77.0.104"; print m[d] }')
	[ "$a" = "$want" ] && ok "$d got $want from dnsmasq over DHCP through mudgate-dp" ||
		bad "$d address '$a', expected $want"
done
grep -q 'mud-url\|161' "$MUDGATE_LAB_DIR/dev/bulb/dhclient.conf" && ok "bulb's DHCP client sends option 161" ||
	bad "dhclient.conf has no MUD URL"

# same-manufacturer (mfg-open/mfg-answer ACEs, TCP 7000 only), both directions
expect allowed "switch -> bulb tcp/7000 (same-manufacturer)" switch tcp bulb 7000
expect allowed "bulb -> switch tcp/7000 (same-manufacturer)" bulb tcp switch 7000
expect blocked "switch -> bulb tcp/7001 (no ACE)" switch tcp bulb 7001
expect blocked "bulb -> switch tcp/23 (no ACE)" bulb tcp switch 23
# controller "bacnet" = 10.77.0.12: UDP 47808 <-> 47808 only
expect allowed "bulb :47808 -> controller udp/47808" bulb udp 10.77.0.12 47808 --sport 47808
expect allowed "controller :47808 -> bulb udp/47808" uplink udp bulb 47808 --src 10.77.0.12 --sport 47808
expect blocked "bulb :47809 -> controller udp/47808 (source port)" bulb udp 10.77.0.12 47808 --sport 47809
expect blocked "controller :47809 -> bulb udp/47808 (source port)" uplink udp bulb 47808 --src 10.77.0.12 --sport 47809
expect blocked "other.example.net :47808 -> bulb udp/47808 (not the controller)" uplink udp bulb 47808 --src 10.77.0.11 --sport 47808
expect blocked "bulb -> controller icmp (no ACE)" bulb icmp 10.77.0.12
expect blocked "bulb -> other.example.net tcp/443 (default deny)" bulb tcp 10.77.0.11 443
# dnsname ACEs are empty without mudgated: cloud.example.com stays unreachable
expect blocked "bulb -> cloud.example.com tcp/443 (dnsname set empty in static mode)" bulb tcp 10.77.0.10 443
# unknown device: the allowances only (DHCP above, DNS to the resolver), nothing else
if "$LAB" exec unsigned getent ahostsv4 cloud.example.com | grep -q 10.77.0.10; then
	ok "unknown device resolves names (DNS allowance)"
else
	bad "unknown device cannot resolve"
fi
expect blocked "unsigned (unknown) -> bulb tcp/7000" unsigned tcp bulb 7000
expect blocked "unsigned (unknown) -> cloud.example.com tcp/443" unsigned tcp 10.77.0.10 443
expect blocked "uplink -> unsigned (unknown) tcp/23" uplink tcp unsigned 23 --src 10.77.0.10

$CTL counters --json >"$MUDGATE_LAB_DIR/counters.json" 2>/dev/null
/usr/bin/python3 - "$MUDGATE_LAB_DIR/counters.json" <<'PY' && ok "mudgate-dp counted allowed and denied frames per device" || bad "counters"
import json, sys
c = json.load(open(sys.argv[1]))
dev = {d["mac"]: d for d in c["devices"]}
b = dev["02:77:00:00:00:01"]
sys.exit(0 if b["allowed_packets"] > 0 and b["denied_packets"] > 0
         and c["reasons"]["allow-dhcp"] > 0 and c["reasons"]["allow-dns"] > 0 else 1)
PY
finish
