#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mudgated against real parts: a real HTTPS server on 127.0.0.1 (tests/gated/https_server.py,
# TLS from a CA made here), the test PKI for MUD signatures, and a real mudgate-dp on veth
# pairs (net_af_packet) whose punted DHCP frames mudgated learns from. Checks discovery, the
# fetch/verify/validate pipeline, every failure reason mapped to the fallback, recovery,
# bindings in the fast path, and a kill -9 / restart that resynchronises without reloading.
set -u
[ "$(id -u)" = 0 ] || { echo "gated_test: needs root (veth, af_packet), skipped"; exit 77; }
B=${MUDGATE_BUILD_DIR:?}
S=${MUDGATE_SOURCE_DIR:?}
PKI=$S/tests/data/pki
FR=$S/tests/data/frames
for t in ip openssl /usr/bin/python3 timeout; do
	command -v "$t" >/dev/null || { echo "gated_test: $t missing, skipped"; exit 77; }
done
[ -x "$B/mudgate-dp" ] && [ -x "$B/mudgated" ] || { echo "gated_test: binaries missing, skipped"; exit 77; }

tag=mgg$$
tmp=$(mktemp -d)
dp_pid="" gd_pid="" srv_pid="" ss_pid="" dns_pid=""
stop() { # stop PID: TERM, then KILL
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$1" 2>/dev/null
}
cleanup() {
	stop "$gd_pid"
	stop "$srv_pid"
	stop "$ss_pid"
	stop "$dns_pid"
	if [ -n "$dp_pid" ]; then
		kill -INT "$dp_pid" 2>/dev/null
		for _ in $(seq 15); do kill -0 "$dp_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$dp_pid" 2>/dev/null
	fi
	ip link del "${tag}a" 2>/dev/null
	ip link del "${tag}b" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# ---- certificates, MUD files, signatures ------------------------------------------------
cd "$tmp" || exit 1
mkdir www www-ss state dpstate
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls-ca.key -out tls-ca.pem -days 2 \
	-subj "/CN=mudgated test TLS CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign" 2>/dev/null || exit 1
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=mud.example.com" \
	2>/dev/null || exit 1
printf 'subjectAltName=DNS:mud.example.com\n' >srv.ext
openssl x509 -req -in srv.csr -CA tls-ca.pem -CAkey tls-ca.key -CAcreateserial -days 2 \
	-extfile srv.ext -out srv.pem 2>/dev/null || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout ss.key -out ss.pem -days 2 \
	-subj "/CN=selfsigned.example.com" -addext "subjectAltName=DNS:selfsigned.example.com" \
	2>/dev/null || exit 1

# mud FILE URL [SIGURL]: thermostat.json renamed to URL, with or without mud-signature
mud() {
	/usr/bin/python3 - "$PKI/thermostat.json" "$1" "$2" "${3:-}" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["ietf-mud:mud"]["mud-url"] = sys.argv[3]
if sys.argv[4]:
    m["ietf-mud:mud"]["mud-signature"] = sys.argv[4]
else:
    del m["ietf-mud:mud"]["mud-signature"]
open(sys.argv[2], "w").write(json.dumps(m, indent=1))
PY
}
sign() { # sign FILE SIG CERT KEY
	openssl cms -sign -binary -outform DER -nosmimecap -in "$1" -out "$2" -signer "$3" \
		-inkey "$4" -md sha256 2>/dev/null
}
H=https://mud.example.com
cp "$PKI/thermostat.json" www/thermostat.json
cp "$PKI/good.p7s" www/thermostat.p7s
mkdir -p www/.well-known/mud/v1
mud www/.well-known/mud/v1/thermostat "$H/.well-known/mud/v1/thermostat" "$H/dhcp.p7s"
sign www/.well-known/mud/v1/thermostat www/dhcp.p7s "$PKI/signer.pem" "$PKI/signer.key" || exit 1
mud www/unsigned.json "$H/unsigned.json"
mud www/rogue.json "$H/rogue.json" "$H/rogue.p7s"
sign www/rogue.json www/rogue.p7s "$PKI/rogue-signer.pem" "$PKI/rogue-signer.key" || exit 1
mud www/expired.json "$H/expired.json" "$H/expired.p7s"
cp "$PKI/expired-then-valid.p7s" www/expired.p7s # over thermostat.json: also a mismatch
mud www/mismatch.json "$H/other-name.json" "$H/mismatch.p7s"
sign www/mismatch.json www/mismatch.p7s "$PKI/signer.pem" "$PKI/signer.key" || exit 1
head -c 70000 /dev/zero | tr '\0' ' ' >www/big.json
echo '{"ietf-mud:mud": {' >www/invalid.json
sign www/invalid.json www/invalid.p7s "$PKI/signer.pem" "$PKI/signer.key" || exit 1
mud www-ss/x.json "https://selfsigned.example.com/x.json" ""

/usr/bin/python3 "$S/tests/gated/https_server.py" www srv.pem srv.key port 2>srv.log &
srv_pid=$!
/usr/bin/python3 "$S/tests/gated/https_server.py" www-ss ss.pem ss.key port-ss 2>ss.log &
ss_pid=$!
for _ in $(seq 50); do [ -f port ] && [ -f port-ss ] && break; sleep 0.1; done
PORT=$(cat port) PORT_SS=$(cat port-ss)
# the resolver mudgated asks for dnsname sets: 300 A records for updates.example.com (a CDN)
/usr/bin/python3 "$S/tests/gated/dns_server.py" 127.0.0.77 updates.example.com 300 2>dns.log &
dns_pid=$!

# ---- configuration ----------------------------------------------------------------------
M_GOOD=02:00:00:00:0a:01 M_UNSIGNED=02:00:00:00:0a:02 M_ROGUE=02:00:00:00:0a:03
M_TLS=02:00:00:00:0a:04 M_BIG=02:00:00:00:0a:05 M_EXPIRED=02:00:00:00:0a:06
M_MISMATCH=02:00:00:00:0a:07 M_INVALID=02:00:00:00:0a:08 M_404=02:00:00:00:0a:09
M_DHCP=02:00:5e:10:00:01
cat >config.json <<JSON
{"mudgate:mudgate": {
  "site": {
    "local-networks": {"address": ["192.0.2.0/24"]},
    "trust-anchor": [{"name": "test", "certificate-file": "$PKI/ca.pem"}],
    "allowances": {"resolver": ["192.0.2.53"]}
  },
  "daemon": {
    "device": [
      {"mac": "$M_GOOD", "mud-url": "$H/thermostat.json"},
      {"mac": "$M_UNSIGNED", "mud-url": "$H/unsigned.json"},
      {"mac": "$M_ROGUE", "mud-url": "$H/rogue.json"},
      {"mac": "$M_TLS", "mud-url": "https://selfsigned.example.com/x.json"},
      {"mac": "$M_BIG", "mud-url": "$H/big.json"},
      {"mac": "$M_EXPIRED", "mud-url": "$H/expired.json"},
      {"mac": "$M_MISMATCH", "mud-url": "$H/mismatch.json"},
      {"mac": "$M_INVALID", "mud-url": "$H/invalid.json"},
      {"mac": "$M_404", "mud-url": "$H/missing.json"}
    ],
    "fetch": {
      "ca-file": "$tmp/tls-ca.pem", "max-size": 65536, "connect-timeout": 3,
      "total-timeout": 5, "retry-interval": 2, "grace": 3600,
      "connect-to": [
        {"host": "mud.example.com", "address": "127.0.0.1", "port": $PORT},
        {"host": "selfsigned.example.com", "address": "127.0.0.1", "port": $PORT_SS}
      ]
    },
    "dnsname": {"resolver": ["127.0.0.77"]}
  }
}}
JSON

# ---- mudgate-dp on two veth pairs -------------------------------------------------------
ip link add "${tag}a" type veth peer name "${tag}A" || exit 1
ip link add "${tag}b" type veth peer name "${tag}B" || exit 1
for l in "${tag}a" "${tag}A" "${tag}b" "${tag}B"; do
	sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" 2>/dev/null
	ip link set "$l" up
done
"$B/mudgate-dp" --no-huge --no-shconf --no-pci -l 0,1 -m 256 --file-prefix "$tag" \
	--log-level=lib.eal:error \
	--vdev "net_af_packet0,iface=${tag}a" --vdev "net_af_packet1,iface=${tag}b" \
	-- --access net_af_packet0 --uplink net_af_packet1 \
	--ctrl "$tmp/dp.sock" --state-dir "$tmp/dpstate" >dp.log 2>&1 &
dp_pid=$!
for _ in $(seq 50); do [ -S dp.sock ] && break; sleep 0.2; done
[ -S dp.sock ] || { echo "mudgate-dp did not start"; cat dp.log; exit 1; }
CTL="$B/mgdpctl -s $tmp/dp.sock"

start_gated() {
	"$B/mudgated" --config config.json --state-dir state --ctrl dp.sock --foreground \
		--log-level debug --pid-file gated.pid 2>>gated.log &
	gd_pid=$!
}
# devstate MAC -> "state reason"
devstate() {
	/usr/bin/python3 -c '
import json, sys
try:
    for d in json.load(open("state/devices.json"))["devices"]:
        if d["mac"] == sys.argv[1]:
            print(d["state"], d["reason"]); break
except Exception:
    pass' "$1"
}
wait_state() { # wait_state MAC "STATE REASON" SECONDS
	for _ in $(seq $((${3:-10} * 5))); do
		[ "$(devstate "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
expect() { # expect NAME MAC "STATE REASON" [SECONDS]
	if wait_state "$2" "$3" "${4:-10}"; then ok "$1: $3"; else bad "$1: want '$3', got '$(devstate "$2")'"; fi
}
inject() { # inject IFACE FRAMEFILE
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(open(sys.argv[2], "rb").read())' "$1" "$2"
}
inject_as() { # inject_as IFACE FRAMEFILE SRCMAC: the frame with its source MAC replaced
	/usr/bin/python3 -c '
import socket, sys
f = bytearray(open(sys.argv[2], "rb").read())
f[6:12] = bytes.fromhex(sys.argv[3].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(bytes(f))' "$1" "$2" "$3"
}
devfield() { # devfield MAC FIELD
	/usr/bin/python3 -c '
import json, sys
for d in json.load(open("state/devices.json"))["devices"]:
    if d["mac"] == sys.argv[1]:
        print(d[sys.argv[2]])' "$1" "$2"
}
dpbinding() { # dpbinding MAC -> the mgdpctl bindings line of MAC
	$CTL bindings 2>/dev/null | grep -i "$1"
}

start_gated
[ -f gated.pid ] || sleep 0.5
expect "static, signed, valid" $M_GOOD "enforced ok"
expect "unsigned file" $M_UNSIGNED "quarantined unsigned"
expect "signer chains to an untrusted CA" $M_ROGUE "quarantined signature"
expect "TLS: self-signed server certificate" $M_TLS "quarantined tls"
expect "file over the 64 KiB cap" $M_BIG "quarantined too-large"
expect "expired signer / other content" $M_EXPIRED "quarantined signature"
expect "file names another MUD URL" $M_MISMATCH "quarantined url-mismatch"
expect "not a MUD file" $M_INVALID "quarantined invalid"
expect "404" $M_404 "quarantined http-status"

# discovery: a DHCPv4 DISCOVER with option 161 on the access side, the ACK on the uplink
inject "${tag}A" "$FR/dhcp4-discover-mud.bin"
expect "DHCPv4 option 161 discovered, fetched, verified" $M_DHCP "enforced ok"
inject "${tag}B" "$FR/dhcp4-ack.bin"
for _ in $(seq 25); do grep -q '"192.0.2.10"' state/devices.json 2>/dev/null && break; sleep 0.2; done
grep -q '"192.0.2.10"' state/devices.json && ok "DHCP snooping learnt 192.0.2.10" ||
	bad "DHCP snooping: 192.0.2.10 not in devices.json"

# LLDP MUD TLV and DHCPv6 option 112 (URLs this server does not have: 404)
M_LLDP=02:00:00:00:0b:01 M_DHCP6=02:00:00:00:0b:02
inject_as "${tag}A" "$FR/lldp-mud.bin" $M_LLDP
inject_as "${tag}A" "$FR/dhcp6-solicit-mud.bin" $M_DHCP6
expect "LLDP MUD URL discovered (404 on the server)" $M_LLDP "quarantined http-status"
expect "DHCPv6 MUD URL discovered (404 on the server)" $M_DHCP6 "quarantined http-status"
[ "$(devfield $M_LLDP mud-url) $(devfield $M_LLDP source)" = "$H/.well-known/mud/v1/plc lldp" ] &&
	ok "LLDP: URL and source recorded" || bad "LLDP: $(devfield $M_LLDP mud-url) $(devfield $M_LLDP source)"
[ "$(devfield $M_DHCP6 mud-url) $(devfield $M_DHCP6 source)" = "$H/.well-known/mud/v1/camera dhcpv6" ] &&
	ok "DHCPv6: URL and source recorded" || bad "DHCPv6: $(devfield $M_DHCP6 mud-url)"

# the fast path has what devices.json says
for m in $M_GOOD $M_DHCP; do
	dpbinding "$m" | grep -q enforced && ok "mudgate-dp: $m enforced" ||
		bad "mudgate-dp: $m not enforced: $(dpbinding "$m")"
done
for m in $M_UNSIGNED $M_ROGUE $M_TLS $M_BIG; do
	dpbinding "$m" | grep -q quarantined && ok "mudgate-dp: $m quarantined" ||
		bad "mudgate-dp: $m not quarantined: $(dpbinding "$m")"
done
grep -q "accept=application/mud+json" srv.log && ok "Accept: application/mud+json sent" ||
	bad "Accept header not seen by the server"
grep -q "mudgated\[fetch\] $M_TLS: https://selfsigned.example.com/x.json: TLS verify failed: .* -> quarantined" gated.log &&
	ok "log line names device, URL, reason and state" || bad "TLS log line missing"
n=$(grep -c "$M_TLS: .* -> quarantined" gated.log)
[ "$n" = 1 ] && ok "failure logged once (retries every 2 s)" || bad "failure logged $n times"

# dnsname: a DNS answer for updates.example.com (CNAME chain, 3 A records) to the enforced
# device is held by the fast path, its addresses go out in a new image, then it is released
/usr/bin/python3 - "${tag}A" >dns-seen 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(8)
try:
    while True:
        f = s.recv(4096)
        if len(f) > 36 and f[23] == 17 and f[34:36] == b"\x00\x35":
            print("answer delivered"); break
except socket.timeout:
    print("no answer")
PY
sniff_pid=$!
sleep 0.5
gen_before=$($CTL state | grep -o 'generation [0-9]*')
inject "${tag}B" "$FR/dns-cdn-a.bin"
wait $sniff_pid
grep -q "answer delivered" dns-seen && ok "held DNS answer released to the device" ||
	bad "DNS answer not delivered: $(cat dns-seen)"
grep -q "mudgated\[dnsname\] $M_DHCP: answer for updates.example.com: 3 new address(es) of 3" gated.log &&
	ok "dnsname: 3 addresses learnt from the answer" || bad "dnsname: no learning logged"
"$B/mudc" show state/image.mgi >image.txt 2>&1
grep "dnsname:updates.example.com" image.txt | grep " 203.0.113.7/32 203.0.113.8/32 203.0.113.9/32" -q &&
	ok "dnsname set filled in the published image" ||
	bad "dnsname set: $(grep dnsname: image.txt | head -c 300)"
$CTL counters --json >counters.json
/usr/bin/python3 - counters.json <<'PY' && ok "fast path: hold released before timeout" || bad "hold counters"
import json, sys
c = json.load(open(sys.argv[1]))["ctrl"]
print("holds %d released %d timeouts %d" % (c["holds"], c["hold_released"], c["hold_timeouts"]))
sys.exit(0 if c["holds"] >= 1 and c["hold_released"] >= 1 and c["hold_timeouts"] == 0 else 1)
PY
[ "$($CTL state | grep -o 'generation [0-9]*')" != "$gen_before" ] &&
	ok "new generation for the dnsname set" || bad "no new generation after DNS learning"

# dnsname: mudgated's own resolution (evdns) of the tracked name, all 300 addresses + 1 AAAA
for _ in $(seq 50); do grep -q "updates.example.com: resolved" gated.log && break; sleep 0.2; done
grep -q "mudgated\[dnsname\] updates.example.com: resolved (A), 300 new address(es) of 300" gated.log &&
	ok "dnsname: 300 A records of a CDN name resolved" || bad "dnsname: resolution not logged"
sleep 1
"$B/mudc" show state/image.mgi >image.txt 2>&1
/usr/bin/python3 - image.txt <<'PY' && ok "dnsname set holds 304 addresses (300 + 1 AAAA + 3 from the answer)" || bad "dnsname set size"
import re, sys
m = re.search(r"dnsname:updates.example.com \((\d+)\)", open(sys.argv[1]).read())
print("set size", m and m.group(1))
sys.exit(0 if m and m.group(1) == "304" else 1)
PY

# recovery: the rogue file gets a good signature
sign www/rogue.json www/rogue.p7s "$PKI/signer.pem" "$PKI/signer.key"
expect "server fixed: enforced again" $M_ROGUE "enforced ok" 10

# SIGHUP: the same transaction again; every URL is fetched again, conditionally
n304=$(grep -c "GET /thermostat.json 304" srv.log)
kill -HUP "$gd_pid"
for _ in $(seq 25); do [ "$(grep -c "GET /thermostat.json 304" srv.log)" -gt "$n304" ] && break; sleep 0.2; done
[ "$(grep -c "GET /thermostat.json 304" srv.log)" -gt "$n304" ] &&
	ok "reload: conditional refresh answered 304 Not Modified" || bad "no 304 after reload"
expect "reload: still enforced" $M_GOOD "enforced ok"

# SIGUSR1 status
kill -USR1 "$gd_pid"
sleep 0.5
grep -q "mudgated\[main\] status: 12 devices" gated.log && ok "SIGUSR1 status summary" ||
	bad "no status summary"

# ---- kill -9, restart with the MUD server down -------------------------------------------
sleep 1
before_state=$($CTL state)
before_bind=$($CTL bindings | sort)
kill -KILL "$gd_pid"
wait "$gd_pid" 2>/dev/null
gd_pid=""
after_state=$($CTL state)
[ "$before_state" = "$after_state" ] && ok "kill -9: fast path state unchanged" ||
	bad "kill -9 changed the fast path: $before_state / $after_state"
stop "$srv_pid"
srv_pid=""
loads_before=$($CTL counters --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("generation"))')
mv gated.log gated1.log
start_gated
for _ in $(seq 50); do grep -q "connected to mudgate-dp" gated.log && break; sleep 0.2; done
sleep 1
after_bind=$($CTL bindings | sort)
[ "$before_bind" = "$after_bind" ] && ok "restart: bindings identical" ||
	{ bad "restart changed bindings"; diff <(echo "$before_bind") <(echo "$after_bind"); }
loads_after=$($CTL counters --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("generation"))')
[ "$loads_before" = "$loads_after" ] && ok "restart: no image reload (generation $loads_after)" ||
	bad "restart reloaded the image: generation $loads_before -> $loads_after"
grep -q "restored from the cache" gated.log && ok "restart: MUD files restored from the cache" ||
	bad "no cache restore"
[ "$(devstate $M_GOOD)" = "enforced ok" ] && ok "restart: $M_GOOD still enforced" ||
	bad "restart: $M_GOOD is $(devstate $M_GOOD)"
grep -qE "LOAD_IMAGE|BIND .*refused" gated.log && bad "restart sent refused requests"

# a clean exit on SIGTERM (with sanitizers: no leak, no error report)
kill -TERM "$gd_pid"
wait "$gd_pid"
rc=$?
gd_pid=""
[ $rc = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
grep -qE "AddressSanitizer|LeakSanitizer|runtime error" gated1.log gated.log &&
	bad "sanitizer report in the mudgated log" || ok "no sanitizer report"
[ -f gated.pid ] && bad "pid file left behind" || ok "pid file removed"

[ $fail = 0 ] && echo "gated_test: all checks passed" ||
	{ echo "--- mudgated log (tail)"; tail -n 30 gated1.log gated.log; echo "--- mudgate-dp log"; tail -5 dp.log; }
exit $fail
