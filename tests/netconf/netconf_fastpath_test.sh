#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A configuration change made over NETCONF changes enforcement in the fast path: a device
# namespace and an uplink namespace joined through a real mudgate-dp (veth, net_af_packet),
# mudgated with its NETCONF server in front. The device's MUD URL cannot be fetched, so it is
# quarantined; the quarantine profile comes from the configuration. With the profile
# allow-all, ping device -> uplink passes; after a candidate edit + commit to allowances-only
# it is dropped; after a commit back to allow-all it passes again. Around the dropped and the
# passing pings, the device's fast-path counters read over NETCONF (ncclient, subtree filter)
# and with `mudctl device MAC --json` grow by exactly what the test sent: a dropped ping is one
# denied frame (the request), a passing ping two allowed frames (request and reply); no other
# frame crosses the fast path (IPv6 off, static neighbours, so no ARP).
set -u
[ "$(id -u)" = 0 ] || { echo "netconf_fastpath_test: needs root, skipped"; exit 77; }
B=${MUDGATE_BUILD_DIR:?}
for t in ip ping openssl /usr/bin/python3 timeout; do
	command -v "$t" >/dev/null || { echo "netconf_fastpath_test: $t missing, skipped"; exit 77; }
done
[ -x "$B/mudgate-dp" ] && [ -x "$B/mudgated" ] ||
	{ echo "netconf_fastpath_test: mudgate-dp or mudgated not built, skipped"; exit 77; }
/usr/bin/python3 -c 'import ncclient' 2>/dev/null ||
	{ echo "netconf_fastpath_test: python3-ncclient missing, skipped"; exit 77; }

tag=mgn$$
NSD=${tag}d NSU=${tag}u
tmp=$(mktemp -d)
dp_pid="" gd_pid=""
cleanup() {
	[ -n "$gd_pid" ] && kill "$gd_pid" 2>/dev/null
	if [ -n "$dp_pid" ]; then
		kill -INT "$dp_pid" 2>/dev/null
		for _ in $(seq 15); do kill -0 "$dp_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$dp_pid" 2>/dev/null
	fi
	ip netns del "$NSD" 2>/dev/null
	ip netns del "$NSU" 2>/dev/null
	ip link del "${tag}a" 2>/dev/null
	ip link del "${tag}b" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail=0
check() { # check NAME EXPECT(0 pass / 1 blocked) COMMAND...
	local name=$1 want=$2
	shift 2
	if "$@" >"$tmp/out" 2>&1; then got=0; else got=1; fi
	if [ "$got" = "$want" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name (expected $([ "$want" = 0 ] && echo pass || echo blocked))"
		{ head -3 "$tmp/out"; tail -2 "$tmp/out"; } | sed 's/^/     /'
		fail=1
	fi
}

MAC=02:00:00:00:ab:01
ip netns add "$NSD" && ip netns add "$NSU" || exit 1
ip link add "${tag}a" type veth peer name dev0 netns "$NSD" || exit 1
ip link add "${tag}b" type veth peer name up0 netns "$NSU" || exit 1
UMAC=02:00:00:00:ab:02
ip -n "$NSD" link set dev0 address $MAC
ip -n "$NSU" link set up0 address $UMAC
for n in "$NSD" "$NSU"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NSD" addr add 10.9.1.2/24 dev dev0
ip -n "$NSU" addr add 10.9.1.1/24 dev up0
ip -n "$NSD" neigh replace 10.9.1.1 lladdr $UMAC dev dev0 nud permanent
ip -n "$NSU" neigh replace 10.9.1.2 lladdr $MAC dev up0 nud permanent
for l in "${tag}a" "${tag}b"; do
	sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"
	ethtool -K "$l" tx off rx off tso off gso off gro off >/dev/null 2>&1
	ip link set "$l" up
done
for n in "$NSD:dev0" "$NSU:up0"; do
	ip netns exec "${n%%:*}" ethtool -K "${n##*:}" tx off rx off tso off gso off gro off \
		>/dev/null 2>&1
	ip -n "${n%%:*}" link set "${n##*:}" up
	ip -n "${n%%:*}" link set lo up
done

"$B/mudgate-dp" --no-huge --no-shconf --no-pci -l 0,1 -m 256 --file-prefix "$tag" \
	--log-level=lib.eal:error \
	--vdev "net_af_packet0,iface=${tag}a" --vdev "net_af_packet1,iface=${tag}b" \
	-- --access net_af_packet0 --uplink net_af_packet1 \
	--ctrl "$tmp/dp.sock" --state-dir "$tmp/dpstate" >"$tmp/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 50); do [ -S "$tmp/dp.sock" ] && break; sleep 0.2; done
[ -S "$tmp/dp.sock" ] || { echo "mudgate-dp did not start"; cat "$tmp/dp.log"; exit 1; }

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HASH=$(openssl passwd -6 fastpath-secret)
cat >"$tmp/netconf.json" <<JSON
{"address": "127.0.0.1", "port": $PORT, "user": "admin", "password-hash": "$HASH"}
JSON
cat >"$tmp/config.json" <<JSON
{"mudgate:mudgate": {
  "site": {"profile": [{"state": "quarantined", "mode": "allow-all"}]},
  "daemon": {
    "device": [{"mac": "$MAC", "mud-url": "https://127.0.0.1:1/unreachable.json"}],
    "fetch": {"connect-timeout": 1, "total-timeout": 2, "retry-interval": 60},
    "failure-state": "quarantined"
  }
}}
JSON
"$B/mudgated" --config "$tmp/config.json" --state-dir "$tmp/state" --ctrl "$tmp/dp.sock" \
	--foreground --netconf "$tmp/netconf.json" >"$tmp/gated.log" 2>&1 &
gd_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$tmp/gated.log" && break; sleep 0.2; done

CTL="$B/mgdpctl -s $tmp/dp.sock"
for _ in $(seq 50); do $CTL bindings 2>/dev/null | grep -qi "$MAC.*quarantined" && break; sleep 0.2; done
check "fast path: device bound in quarantine" 0 sh -c "$CTL bindings | grep -qi '$MAC.*quarantined'"

D="ip netns exec $NSD"
check "quarantine profile allow-all: ping passes" 0 $D ping -c 2 -W 2 10.9.1.1

# profile MODE: candidate edit + commit over NETCONF, then wait for the new image
profile() {
	PORT=$PORT MODE=$1 /usr/bin/python3 - <<'PY'
import os
from ncclient import manager
m = manager.connect(host="127.0.0.1", port=int(os.environ["PORT"]), username="admin",
                    password="fastpath-secret", hostkey_verify=False, allow_agent=False,
                    look_for_keys=False, timeout=20)
m.edit_config(target="candidate", config=(
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
    '<mudgate xmlns="urn:mudgate:params:xml:ns:yang:mudgate"><site><profile>'
    '<state>quarantined</state><mode>%s</mode></profile></site></mudgate></config>'
    % os.environ["MODE"]))
m.commit()
m.close_session()
PY
}
gen() { $CTL state 2>/dev/null | grep -o 'generation[ :=]*[0-9]*' | grep -o '[0-9]*$'; }
wait_gen() { # wait until the fast path runs a generation newer than $1
	for _ in $(seq 50); do
		g=$(gen)
		[ -n "$g" ] && [ "$g" -gt "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
# nc_counters: "ALLOWED DROPPED" of the device over NETCONF (ncclient get, subtree filter);
# also checks that a burst of gets right after costs at most one counters query of mudgate-dp
nc_counters() {
	PORT=$PORT MAC=$MAC /usr/bin/python3 - <<'PY'
import os, sys
from lxml import etree
from ncclient import manager
NS = "urn:mudgate:params:xml:ns:yang:mudgate"
m = manager.connect(host="127.0.0.1", port=int(os.environ["PORT"]), username="admin",
                    password="fastpath-secret", hostkey_verify=False, allow_agent=False,
                    look_for_keys=False, timeout=20)
def get(flt):
    return etree.fromstring(m.get(filter=("subtree", flt)).data_xml.encode())
d = get('<mudgate-state xmlns="%s"><device><mac>%s</mac><counters/></device>'
        '</mudgate-state>' % (NS, os.environ["MAC"]))
a = d.findtext(".//{%s}counters/{%s}packets-allowed" % (NS, NS))
b = d.findtext(".//{%s}counters/{%s}packets-dropped" % (NS, NS))
qf = '<mudgate-state xmlns="%s"><fast-path><counters-queries/></fast-path></mudgate-state>' % NS
q = [int(get(qf).findtext(".//{%s}counters-queries" % NS)) for _ in range(5)]
m.close_session()
if a is None or b is None:
    sys.exit("no counters for the device in: " + etree.tostring(d).decode())
if q[-1] - q[0] > 1:
    sys.exit("a burst of 5 gets cost %d counters queries" % (q[-1] - q[0]))
print(a, b)
PY
}
# ctl_counters: the same with mudctl device MAC --json
ctl_counters() {
	MUDCTL_PASSWORD=fastpath-secret "$B/mudctl" --host 127.0.0.1 --port "$PORT" --user admin \
		--json device "$MAC" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["packets-allowed"], c["packets-dropped"])'
}
# expect_counters NAME BASE_NC BASE_CTL +ALLOWED +DROPPED: both readers see base + what was sent
expect_counters() {
	local name=$1 bn=$2 bc=$3 da=$4 dd=$5 got want base reader
	for reader in nc ctl; do
		base=$bn
		[ $reader = ctl ] && base=$bc
		want="$((${base% *} + da)) $((${base#* } + dd))"
		got=$(${reader}_counters 2>"$tmp/err")
		if [ "$got" = "$want" ]; then
			echo "ok   $name ($reader: allowed dropped $got)"
		else
			echo "FAIL $name ($reader: allowed dropped '$got', expected '$want')"
			sed 's/^/     /' "$tmp/err" | tail -3
			fail=1
		fi
	done
}

g0=$(gen)
check "commit: quarantine profile allowances-only" 0 profile allowances-only
check "fast path loads the new image" 0 wait_gen "${g0:-0}"
check "after commit: ping dropped" 1 $D ping -c 2 -W 1 10.9.1.1
M=3
sleep 1.2 # cached counters are at most 1 s old: wait until the next read asks again
base_nc=$(nc_counters) base_ctl=$(ctl_counters)
check "$M more pings dropped" 1 $D ping -c $M -i 0.3 -W 1 10.9.1.1
sleep 1.2
expect_counters "counters: +0 allowed, +$M dropped" "$base_nc" "$base_ctl" 0 $M
g1=$(gen)
check "commit: quarantine profile allow-all again" 0 profile allow-all
check "fast path loads the new image again" 0 wait_gen "${g1:-0}"
check "after commit back: ping passes" 0 $D ping -c 2 -W 2 10.9.1.1
N=4
sleep 1.2
base_nc=$(nc_counters) base_ctl=$(ctl_counters)
check "$N more pings pass" 0 $D ping -c $N -i 0.3 -W 2 10.9.1.1
sleep 1.2
expect_counters "counters: +$((2 * N)) allowed ($N pings), +0 dropped" "$base_nc" "$base_ctl" \
	$((2 * N)) 0

if [ "$fail" != 0 ]; then
	echo "--- mudgated log (tail)"
	tail -n 20 "$tmp/gated.log"
	echo "--- mudgate-dp log (tail)"
	tail -n 10 "$tmp/dp.log"
fi
exit $fail
