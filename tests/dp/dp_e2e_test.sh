#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Real traffic through mudgate-dp: a device namespace and an uplink namespace joined through
# mudgate-dp on veth pairs. ping, nc and curl prove that allowed flows pass, denied ones do not,
# direction-initiated TCP works only from the permitted side, and a lifecycle state change over
# the control socket takes effect without an image rebuild.
#
# usage: dp_e2e_test.sh [af_packet|af_xdp [WORKERS]]
#   af_packet (default): net_af_packet on both veths.
#   af_xdp: net_af_xdp on both veths (XDP program + AF_XDP socket per port); skipped (77) with
#     the reason when the PMD or the kernel refuses (no BPF permission, no XDP on veth).
#   WORKERS 2: two worker lcores and two queue pairs per port (net_af_packet qpairs=2: the
#     kernel's PACKET_FANOUT_HASH spreads frames over the queues by the symmetric flow hash);
#     adds 40 TCP connections each way, which succeed only when both directions of every
#     connection reach the worker holding its flow, and checks that both workers received
#     frames and that the per-worker counters sum to the totals.
set -u
PMD=${1:-af_packet}
WORKERS=${2:-1}
name="dp_e2e_test ($PMD, $WORKERS worker(s))"
[ "$(id -u)" = 0 ] || { echo "$name: needs root, skipped"; exit 77; }
B=${MUDGATE_BUILD_DIR:?}
S=${MUDGATE_SOURCE_DIR:?}
for t in ip ethtool ping nc curl /usr/bin/python3 timeout; do
	command -v "$t" >/dev/null || { echo "$name: $t missing, skipped"; exit 77; }
done

tag=mg$$
NSD=${tag}d NSU=${tag}u
tmp=$(mktemp -d)
dp_pid="" http_pid=""
cleanup() {
	[ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null
	if [ -n "$dp_pid" ]; then
		kill -INT "$dp_pid" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$dp_pid" 2>/dev/null || break; sleep 0.3; done
		kill -KILL "$dp_pid" 2>/dev/null
	fi
	ip netns pids "$NSD" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$NSU" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NSD" 2>/dev/null
	ip netns del "$NSU" 2>/dev/null
	ip link del "${tag}a" 2>/dev/null
	ip link del "${tag}b" 2>/dev/null
	rm -rf "$tmp"
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
		sed 's/^/     /' "$tmp/out" | head -5
		fail=1
	fi
}

ip netns add "$NSD" && ip netns add "$NSU" || exit 1
ip link add "${tag}a" type veth peer name dev0 netns "$NSD" || exit 1
ip link add "${tag}b" type veth peer name up0 netns "$NSU" || exit 1
ip -n "$NSD" link set dev0 address 02:00:00:00:aa:01
ip -n "$NSU" link set up0 address 02:00:00:00:bb:01
ip -n "$NSD" addr add 10.9.0.2/24 dev dev0
ip -n "$NSU" addr add 10.9.0.1/24 dev up0
for l in "${tag}a" "${tag}b"; do
	sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"
	ethtool -K "$l" tx off rx off tso off gso off gro off >/dev/null 2>&1
	ip link set "$l" up
done
ip netns exec "$NSD" ethtool -K dev0 tx off rx off tso off gso off gro off >/dev/null 2>&1
ip netns exec "$NSU" ethtool -K up0 tx off rx off tso off gso off gro off >/dev/null 2>&1
ip -n "$NSD" link set dev0 up
ip -n "$NSU" link set up0 up
ip -n "$NSD" link set lo up
ip -n "$NSU" link set lo up

"$B/mudc" compile --device "02:00:00:00:aa:01=$S/tests/dp/e2e/device.json" -o "$tmp/img.mgi" \
	>"$tmp/compile.log" 2>&1 || { cat "$tmp/compile.log"; exit 1; }

# third-party leaks at exit that ASan builds must not count against mudgate-dp
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$S/tests/dp/lsan.supp"
case "$PMD" in
af_packet)
	q=""
	[ "$WORKERS" -gt 1 ] && q=",qpairs=$WORKERS"
	vdevs=(--vdev "net_af_packet0,iface=${tag}a$q" --vdev "net_af_packet1,iface=${tag}b$q")
	ports=(--access net_af_packet0 --uplink net_af_packet1) ;;
af_xdp)
	vdevs=(--vdev "net_af_xdp0,iface=${tag}a" --vdev "net_af_xdp1,iface=${tag}b")
	ports=(--access net_af_xdp0 --uplink net_af_xdp1) ;;
*)
	echo "usage: dp_e2e_test.sh [af_packet|af_xdp [WORKERS]]"; exit 2 ;;
esac
# the main lcore (control thread) plus WORKERS worker lcores, on the CPUs there are
ncpu=$(nproc)
lcores="0@0"
for w in $(seq 1 "$WORKERS"); do lcores="$lcores,$w@$((w % ncpu))"; done
"$B/mudgate-dp" --no-huge --no-shconf --no-pci --lcores "$lcores" -m 256 --file-prefix "$tag" \
	--log-level=lib.eal:error "${vdevs[@]}" \
	-- "${ports[@]}" --workers "$WORKERS" --image "$tmp/img.mgi" \
	--ctrl "$tmp/dp.sock" --state-dir "$tmp/state" >"$tmp/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 50); do
	[ -S "$tmp/dp.sock" ] && break
	kill -0 "$dp_pid" 2>/dev/null || break
	sleep 0.2
done
if [ ! -S "$tmp/dp.sock" ]; then
	if [ "$PMD" = af_xdp ]; then
		echo "$name: mudgate-dp could not open net_af_xdp ports on veth, skipped:"
		grep -iE "xdp|bpf|error|fail" "$tmp/dp.log" | head -5 | sed 's/^/     /'
		exit 77
	fi
	echo "mudgate-dp did not start"; cat "$tmp/dp.log"; exit 1
fi
CTL="$B/mgdpctl -s $tmp/dp.sock"

mkdir -p "$tmp/www" && echo "hello from the uplink" >"$tmp/www/index.html"
ip netns exec "$NSU" /usr/bin/python3 -m http.server 8080 --bind 10.9.0.1 \
	--directory "$tmp/www" >/dev/null 2>&1 &
http_pid=$!
sleep 1

D="ip netns exec $NSD"
U="ip netns exec $NSU"
check "ping device -> uplink (ping-out/ping-back ACEs)" 0 $D ping -c 2 -W 2 10.9.0.1
check "curl device -> uplink:8080 (direction-initiated from-device)" 0 \
	$D curl -s -m 5 -o "$tmp/page" http://10.9.0.1:8080/
grep -q "hello from the uplink" "$tmp/page" 2>/dev/null || { echo "FAIL page content"; fail=1; }
# a server on the device: the uplink may not open port 8080 towards it
$D nc -l 8080 >/dev/null 2>&1 &
sleep 0.3
check "nc uplink -> device:8080 (initiated from the wrong side)" 1 $U nc -z -w 3 10.9.0.2 8080
# port 2222: initiated to-device only
$D nc -l 2222 >"$tmp/nc2222" 2>&1 &
sleep 0.3
check "nc uplink -> device:2222 (direction-initiated to-device)" 0 \
	$U sh -c 'echo e2e-data | nc -N -w 3 10.9.0.2 2222'
sleep 0.3
grep -q e2e-data "$tmp/nc2222" || { echo "FAIL data over 2222 not received"; fail=1; }
$U nc -l 2222 >/dev/null 2>&1 &
sleep 0.3
check "nc device -> uplink:2222 (initiated from the wrong side)" 1 $D nc -z -w 3 10.9.0.1 2222
$U nc -l 9999 >/dev/null 2>&1 &
sleep 0.3
check "nc device -> uplink:9999 (no ACE: default deny)" 1 $D nc -z -w 3 10.9.0.1 9999
check "ping uplink -> device (ping-out/ping-back)" 0 $U ping -c 1 -W 2 10.9.0.2

# lifecycle: quarantine allows only the allowances (ARP, ND, DHCP, DNS)
check "set-state quarantined" 0 $CTL set-state 02:00:00:00:aa:01 quarantined
check "ping device -> uplink while quarantined" 1 $D ping -c 2 -W 1 10.9.0.1
check "set-state enforced" 0 $CTL set-state 02:00:00:00:aa:01 enforced
check "ping device -> uplink enforced again" 0 $D ping -c 2 -W 2 10.9.0.1

if [ "$WORKERS" -gt 1 ]; then
	# many flows each way: every connection needs its replies on the worker holding its flow
	denied_before=$($CTL counters --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["denied"])')
	ok=0
	for i in $(seq 40); do
		$D curl -s -m 3 -o /dev/null http://10.9.0.1:8080/ && ok=$((ok + 1))
	done
	check "40 connections device -> uplink:8080 over $WORKERS workers ($ok passed)" 0 \
		test "$ok" = 40
	$D /usr/bin/python3 -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.9.0.2', 2222))
s.listen(64)
s.settimeout(30)
for _ in range(40):
    s.accept()[0].close()" >/dev/null 2>&1 &
	sleep 0.5
	ok=0
	for i in $(seq 40); do
		$U nc -z -w 3 10.9.0.2 2222 >/dev/null 2>&1 && ok=$((ok + 1))
	done
	check "40 connections uplink -> device:2222 over $WORKERS workers ($ok passed)" 0 \
		test "$ok" = 40
	denied_after=$($CTL counters --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["denied"])')
	check "no frame of the 80 connections denied ($denied_before -> $denied_after)" 0 \
		test "$denied_before" = "$denied_after"
fi
$CTL counters --json >"$tmp/counters.json" || fail=1
if [ "$WORKERS" -gt 1 ]; then
	/usr/bin/python3 - "$tmp/counters.json" "$WORKERS" <<'PY' || fail=1
import json, sys
c = json.load(open(sys.argv[1]))
pw = c['per_worker']
ok = len(pw) == int(sys.argv[2])
for k in ('rx_packets', 'tx_packets', 'allowed', 'denied'):
    ok &= sum(w[k] for w in pw) == c[k]
ok &= all(w['rx_packets'] > 0 and w['flows_added'] > 0 for w in pw)
ok &= c['allowed'] + c['denied'] == c['rx_packets']
print('per worker: ' + ', '.join('lcore %d rx %d flows added %d' % (w['lcore'], w['rx_packets'],
      w['flows_added']) for w in pw) + '; total rx %d' % c['rx_packets'])
sys.exit(0 if ok else 1)
PY
fi
/usr/bin/python3 - "$tmp/counters.json" <<'PY' || fail=1
import json, sys
c = json.load(open(sys.argv[1]))
dev = [d for d in c['devices'] if d['mac'] == '02:00:00:00:aa:01'][0]
ok = (c['allowed'] > 0 and c['denied'] > 0 and dev['allowed_packets'] > 0
      and dev['denied_packets'] > 0 and c['drops']['default-deny'] > 0
      and c['reasons']['allow-arp'] > 0 and c['flows']['added'] >= 2
      and c['generation'] == 1)
# repeated frames of the same conversations (pings, TCP segments) are answered by the
# workers' verdict caches; every frame still counted above
vc = [w['verdict_cache'] for w in c['per_worker']]
ok &= sum(v['hits'] for v in vc) > 0 and sum(v['inserts'] for v in vc) > 0
print('counters: allowed %d denied %d, device allowed %d denied %d, flows added %d, '
      'verdict cache hits %d inserts %d'
      % (c['allowed'], c['denied'], dev['allowed_packets'], dev['denied_packets'],
         c['flows']['added'], sum(v['hits'] for v in vc), sum(v['inserts'] for v in vc)))
sys.exit(0 if ok else 1)
PY
# the same counters over DPDK telemetry (the protocol dpdk-telemetry.py speaks)
/usr/bin/python3 - "/var/run/dpdk/$tag/dpdk_telemetry.v2" <<'PY' || fail=1
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384))
out = {}
for cmd in ('/mudgate/stats', '/mudgate/drops', '/mudgate/device,02:00:00:00:aa:01'):
    s.send(cmd.encode())
    out.update(json.loads(s.recv(16384)))
ok = (out['/mudgate/stats']['allowed'] > 0 and out['/mudgate/drops']['default_deny'] > 0
      and out['/mudgate/device']['state'] == 'enforced'
      and out['/mudgate/device']['denied_packets'] > 0)
print('telemetry: stats.allowed %d, drops.default_deny %d, device denied %d'
      % (out['/mudgate/stats']['allowed'], out['/mudgate/drops']['default_deny'],
         out['/mudgate/device']['denied_packets']))
sys.exit(0 if ok else 1)
PY
# a clean exit: counters printed, nothing leaked (under ASan a leak is a non-zero status)
kill -INT "$dp_pid"
wait "$dp_pid"
dp_status=$?
dp_pid=""
check "mudgate-dp exits 0 on SIGINT (status $dp_status)" 0 test "$dp_status" = 0
[ $fail = 0 ] && echo "$name: all checks passed" || { echo "--- mudgate-dp log"; tail -20 "$tmp/dp.log"; }
exit $fail
