#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mudgated against real parts: a real HTTPS server on 127.0.0.1 (tests/gated/https_server.py,
# TLS from a CA made here), the test PKI for MUD signatures, and a real mudgate-dp on veth
# pairs (net_af_packet) whose punted DHCP frames mudgated learns from. Checks discovery (also of
# refused http:// and invalid MUD URLs), the fetch/verify/validate pipeline, every failure reason
# mapped to the fallback, recovery, bindings in the fast path, no new image generation while
# unchanged dnsname answers are re-resolved, a kill -9 / restart that resynchronises without
# reloading and without losing an allowed packet or leaking a denied one, then with short
# refresh intervals: removed static bindings unbound, an image mudgate-dp refuses, and the
# grace period of a failing refresh.
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
dp_pid="" gd_pid="" srv_pid="" ss_pid="" dns_pid="" stream_pid="" dp2_pid="" gd2_pid=""
stop() { # stop PID: TERM, then KILL
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$1" 2>/dev/null
}
cleanup() {
	stop "$stream_pid"
	stop "$gd2_pid"
	stop "$dp2_pid"
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
# the resolver mudgated asks for dnsname sets: 300 A records for updates.example.com (a CDN),
# TTL 1 s (as the lab's dnsmasq answers), so mudgated asks again every few seconds and gets the
# same set in another order
/usr/bin/python3 "$S/tests/gated/dns_server.py" 127.0.0.77 updates.example.com 300 1 2>dns.log &
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
    "dnsname": {"resolver": ["127.0.0.77"], "min-ttl": 1}
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

# a DHCPv4 client announcing http:// (RFC 8520: https only) or an ftp:// URL: the frame is
# good, the URL is refused; the device goes to the fallback with the URL kept, logged once
M_HTTP=02:00:00:00:0c:01 M_BADURL=02:00:00:00:0c:02
inject_dhcp_as() { # inject_dhcp_as IFACE FRAMEFILE MAC [OLD NEW]: source MAC and chaddr replaced
	/usr/bin/python3 -c '
import socket, sys
f = bytearray(open(sys.argv[2], "rb").read())
mac = bytes.fromhex(sys.argv[3].replace(":", ""))
f[6:12] = mac
f[70:76] = mac  # chaddr: Ethernet 14 + IPv4 20 + UDP 8 + 28
f[40:42] = b"\0\0"  # UDP checksum: none
if len(sys.argv) > 5:
    f = f.replace(sys.argv[4].encode(), sys.argv[5].encode())
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(bytes(f))' "$@"
}
inject_dhcp_as "${tag}A" "$FR/dhcp4-discover-http.bin" $M_HTTP
inject_dhcp_as "${tag}A" "$FR/dhcp4-discover-http.bin" $M_BADURL "http://" "ftp:///"
expect "DHCPv4 option 161 with an http:// URL" $M_HTTP "quarantined not-https"
expect "DHCPv4 option 161 with an ftp:// URL" $M_BADURL "quarantined bad-url"
[ "$(devfield $M_HTTP refused-url)" = "http://mud.example.com/thermostat" ] &&
	ok "refused URL kept in devices.json" || bad "refused-url: '$(devfield $M_HTTP refused-url)'"
devfield $M_HTTP message | grep -q "http://mud.example.com/thermostat" &&
	ok "refused URL in the device message" || bad "message: $(devfield $M_HTTP message)"
[ "$(devfield $M_BADURL refused-url)" = "ftp:///mud.example.com/thermostat" ] &&
	ok "invalid URL kept in devices.json" || bad "refused-url: '$(devfield $M_BADURL refused-url)'"
inject_dhcp_as "${tag}A" "$FR/dhcp4-discover-http.bin" $M_HTTP # retransmissions
inject_dhcp_as "${tag}A" "$FR/dhcp4-discover-http.bin" $M_HTTP
sleep 0.5
n=$(grep -c "$M_HTTP: announced MUD URL http://mud.example.com/thermostat (dhcpv4) refused: not https -> quarantined" gated.log)
[ "$n" = 1 ] && ok "refused URL logged once over 3 DISCOVERs" || bad "refused URL logged $n times"
for m in $M_HTTP $M_BADURL; do
	dpbinding "$m" | grep -q quarantined && ok "mudgate-dp: $m quarantined" ||
		bad "mudgate-dp: $m not quarantined: $(dpbinding "$m")"
done

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

# re-resolution with unchanged answers (TTL 1 s, the order rotated at every query) is no
# change: the generation in force stays while mudgated asks again and again
gen0=$($CTL state | grep -o 'generation [0-9]*')
q0=$(grep -c "query updates.example.com type 1" dns.log)
sleep 9
q1=$(grep -c "query updates.example.com type 1" dns.log)
gen1=$($CTL state | grep -o 'generation [0-9]*')
[ $((q1 - q0)) -ge 4 ] && [ "$gen0" = "$gen1" ] &&
	ok "dnsname: $((q1 - q0)) A queries (UDP, then TCP) in 9 s, $gen1 unchanged" ||
	bad "dnsname re-resolution: $((q1 - q0)) A queries, $gen0 -> $gen1"

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
grep -q "mudgated\[main\] status: 14 devices" gated.log && ok "SIGUSR1 status summary" ||
	bad "no status summary"
grep -q "mudgated\[main\] status: failures not-https: 1$" gated.log &&
	grep -q "mudgated\[main\] status: failures bad-url: 1$" gated.log &&
	ok "refused URLs counted per reason" || bad "refused URLs not counted"

# ---- kill -9, restart with the MUD server down -------------------------------------------
# a steady stream through mudgate-dp meanwhile: TCP to 198.51.100.1 (updates.example.com) port
# 443 is allowed for the thermostat, port 80 is not; one of each every 20 ms for 9 s
/usr/bin/python3 "$S/tests/gated/stream.py" "${tag}A" "${tag}B" $M_GOOD 198.51.100.1 443 80 9 0.02 \
	stream.ready >stream.out 2>&1 &
stream_pid=$!
for _ in $(seq 50); do [ -f stream.ready ] && break; sleep 0.1; done
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
wait "$stream_pid"
stream_pid=""
read -r _ n_sent _ n_allowed _ n_denied _ n_lost <stream.out
if [ "${n_sent:-0}" -ge 300 ] && [ "$n_lost" = 0 ] && [ "$n_denied" = 0 ]; then
	ok "kill -9 + restart under traffic: $n_sent allowed packets sent, 0 lost, 0 denied leaked"
else
	bad "traffic across the restart: $(cat stream.out)"
fi

# ---- short refresh intervals; static bindings removed; an image the fast path refuses ----
# mkconfig IN OUT PYTHON: a configuration derived from IN (c is its daemon, site its site)
mkconfig() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
c, site = j["mudgate:mudgate"]["daemon"], j["mudgate:mudgate"]["site"]
def dev(mac, url=None):
    c["device"] = [d for d in c["device"] if d["mac"] != mac]
    if url:
        c["device"].append({"mac": mac, "mud-url": url})
exec(sys.argv[3])
json.dump(j, open(sys.argv[2], "w"), indent=1)
PY
}
/usr/bin/python3 "$S/tests/gated/https_server.py" www srv.pem srv.key port2 2>>srv.log &
srv_pid=$!
for _ in $(seq 50); do [ -f port2 ] && break; sleep 0.1; done
PORT2=$(cat port2)
M_GRACE=02:00:00:00:0d:01 M_BIGCTL=02:00:00:00:0d:02
mud www/grace.json "$H/grace.json" "$H/grace.p7s"
sign www/grace.json www/grace.p7s "$PKI/signer.pem" "$PKI/signer.key" || exit 1
# refresh every 5 s, grace 6 s; $M_404 only in the configuration: removed; $M_LLDP (announced
# over LLDP) gets a static binding, which wins
mkconfig config.json config2.json "
c['fetch']['connect-to'][0]['port'] = $PORT2
c['fetch'].update({'max-validity': 5, 'grace': 6, 'retry-interval': 1})
dev('$M_404'); dev('$M_GRACE', '$H/grace.json'); dev('$M_LLDP', '$H/thermostat.json')"
cp config2.json config.json
kill -HUP "$gd_pid"
expect "reload: new static binding" $M_GRACE "enforced ok"
expect "reload: static binding wins over LLDP" $M_LLDP "enforced ok"
[ "$(devfield $M_LLDP source)" = static ] && ok "$M_LLDP: source static" ||
	bad "$M_LLDP: source $(devfield $M_LLDP source)"
for _ in $(seq 50); do [ -z "$(devstate $M_404)" ] && [ -z "$(dpbinding $M_404)" ] && break; sleep 0.2; done
[ -z "$(devstate $M_404)" ] && ok "reload: removed static binding forgotten" ||
	bad "reload: $M_404 still in devices.json: $(devstate $M_404)"
[ -z "$(dpbinding $M_404)" ] && ok "reload: removed static binding unbound in mudgate-dp" ||
	bad "reload: mudgate-dp still binds $M_404: $(dpbinding $M_404)"

# a controller class of 65536 addresses named by 257 ACEs: 16842752 rules, more than the
# 2^24 mudgate-dp builds; and $M_LLDP's static binding goes again: back to its LLDP URL
/usr/bin/python3 - "$PKI/thermostat.json" www/bigctl.json "$H/bigctl.json" "$H/bigctl.p7s" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["ietf-mud:mud"]["mud-url"], m["ietf-mud:mud"]["mud-signature"] = sys.argv[3], sys.argv[4]
acl = m["ietf-access-control-list:acls"]["acl"][0]
acl["aces"]["ace"] = [{"name": "c%d" % i,
                       "matches": {"ipv4": {"protocol": 6},
                                   "tcp": {"destination-port": {"operator": "eq", "port": 1000 + i}},
                                   "ietf-mud:mud": {"controller": "urn:test:big"}},
                       "actions": {"forwarding": "accept"}} for i in range(257)]
open(sys.argv[2], "w").write(json.dumps(m))
PY
sign www/bigctl.json www/bigctl.p7s "$PKI/signer.pem" "$PKI/signer.key" || exit 1
gen_before=$($CTL state | grep -o 'generation [0-9]*')
mkconfig config.json config3.json "
site['controller'] = [{'uri': 'urn:test:big', 'address':
    ['10.%d.%d.%d/32' % (i >> 16, (i >> 8) & 255, i & 255) for i in range(65536)]}]
dev('$M_BIGCTL', '$H/bigctl.json'); dev('$M_LLDP')"
cp config3.json config.json
kill -HUP "$gd_pid"
expect "image refused by mudgate-dp" $M_BIGCTL "quarantined publish" 20
devfield $M_BIGCTL message | grep -q "mudgate-dp refused the image: IPv4: [0-9]* rules after expansion" &&
	ok "publish failure carries mudgate-dp's reason" || bad "message: $(devfield $M_BIGCTL message)"
dpbinding $M_BIGCTL | grep -q quarantined && ok "mudgate-dp: $M_BIGCTL quarantined" ||
	bad "mudgate-dp: $M_BIGCTL: $(dpbinding $M_BIGCTL)"
expect "others stay enforced" $M_GOOD "enforced ok"
for m in $M_GOOD $M_GRACE; do
	dpbinding "$m" | grep -q enforced && ok "mudgate-dp: $m still enforced" ||
		bad "mudgate-dp: $m: $(dpbinding "$m")"
done
"$B/mudc" show state/image.mgi 2>&1 | grep -q "bigctl" &&
	bad "the refused policy is in the image in force" || ok "the image in force is the last good one"
n=$(grep -c "bigctl.json: policy left out: mudgate-dp refused the image" gated.log)
[ "$n" = 1 ] && ok "image refusal logged once" || bad "image refusal logged $n times"
expect "static binding removed: back to the announced LLDP URL" $M_LLDP "quarantined http-status"
[ "$(devfield $M_LLDP mud-url) $(devfield $M_LLDP source)" = "$H/.well-known/mud/v1/plc lldp" ] &&
	ok "$M_LLDP: announced URL and source again" ||
	bad "$M_LLDP: $(devfield $M_LLDP mud-url) $(devfield $M_LLDP source)"

# grace: the file disappears from the server; the refresh (every 5 s) fails and the last good
# file stays in force for 6 s more, then the device goes to the fallback
rm www/grace.json www/grace.p7s
expect "refresh fails: last good file kept" $M_GRACE "enforced refresh-failed" 10
t_rf=$(date +%s.%N)
dpbinding $M_GRACE | grep -q enforced && ok "mudgate-dp: $M_GRACE enforced during the grace" ||
	bad "mudgate-dp: $M_GRACE during the grace: $(dpbinding $M_GRACE)"
sleep 3
[ "$(devstate $M_GRACE)" = "enforced refresh-failed" ] && ok "still enforced 3 s into the grace" ||
	bad "3 s into the grace: $(devstate $M_GRACE)"
expect "grace over: fallback" $M_GRACE "quarantined http-status" 12
t_q=$(date +%s.%N)
/usr/bin/python3 -c "import sys; d = $t_q - $t_rf; print('grace lasted %.1f s after the first failure' % d); sys.exit(0 if 4.5 <= d <= 9 else 1)" &&
	ok "fallback when the grace ends" || bad "fallback not at the end of the grace"
dpbinding $M_GRACE | grep -q quarantined && ok "mudgate-dp: $M_GRACE quarantined after the grace" ||
	bad "mudgate-dp: $M_GRACE after the grace: $(dpbinding $M_GRACE)"
grep -q "mudgated\[fetch\] $H/grace.json: refresh failed: .*; last good file kept until" gated.log &&
	grep -q "mudgated\[fetch\] $H/grace.json: grace ended, last good file dropped" gated.log &&
	ok "grace logged: kept until, then dropped" || bad "grace log lines missing"

# a clean exit on SIGTERM (with sanitizers: no leak, no error report)
kill -TERM "$gd_pid"
wait "$gd_pid"
rc=$?
gd_pid=""
[ $rc = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
grep -qE "AddressSanitizer|LeakSanitizer|runtime error" gated1.log gated.log &&
	bad "sanitizer report in the mudgated log" || ok "no sanitizer report"
[ -f gated.pid ] && bad "pid file left behind" || ok "pid file removed"

# ---- bindings mudgate-dp refuses: a fast path with room for 16 devices, 20 to bind ---------
mkdir -p dp2state
"$B/mudgate-dp" --no-huge --no-shconf --no-pci -l 0,1 -m 256 --file-prefix "${tag}n" \
	--log-level=lib.eal:error --vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1 \
	-- --access net_null0 --uplink net_null1 --max-devices 16 \
	--ctrl "$tmp/dp2.sock" --state-dir "$tmp/dp2state" >dp2.log 2>&1 &
dp2_pid=$!
for _ in $(seq 50); do [ -S dp2.sock ] && break; sleep 0.2; done
/usr/bin/python3 - config.json config4.json <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["mudgate:mudgate"]["site"].pop("controller", None)
d = j["mudgate:mudgate"]["daemon"]
d["device"] = [{"mac": "02:00:00:00:0e:%02x" % i, "mud-url": "https://mud.example.com/thermostat.json"}
               for i in range(20)]
json.dump(j, open(sys.argv[2], "w"))
PY
"$B/mudgated" --config config4.json --state-dir state2 --ctrl dp2.sock --foreground \
	--log-level info 2>gated2.log &
gd2_pid=$!
count2() { # count2 -> "enforced publish other bound"
	/usr/bin/python3 - state2/devices.json "$($B/mgdpctl -s "$tmp/dp2.sock" bindings 2>/dev/null | grep -c enforced)" <<'PY'
import json, sys
try:
    v = json.load(open(sys.argv[1]))["devices"]
except Exception:
    v = []
e = sum(1 for d in v if (d["state"], d["reason"]) == ("enforced", "ok"))
p = [d for d in v if (d["state"], d["reason"]) == ("quarantined", "publish")
     and "mudgate-dp refused the binding: device table full" in d["message"]]
print(e, len(p), len(v) - e - len(p), sys.argv[2])
PY
}
# settled: every device enforced and bound, or refused and in the fallback; then no new refusal
# (a refused binding is not sent again) across two refreshes of the MUD file (every 5 s)
r1=-1
for _ in $(seq 30); do
	sleep 0.5
	read -r n_e n_p n_o n_b <<<"$(count2)"
	r2=$(grep -c "refused by mudgate-dp" gated2.log)
	[ "$n_p" -ge 1 ] && [ "$n_o" = 0 ] && [ $((n_e + n_p)) = 20 ] && [ "$n_b" = "$n_e" ] &&
		[ "$r1" = "$r2" ] && break
	r1=$r2
done
[ "$n_p" -ge 1 ] && [ "$n_o" = 0 ] && [ $((n_e + n_p)) = 20 ] && [ "$n_b" = "$n_e" ] &&
	ok "binding refused (device table full): $n_p device(s) in fallback/publish, $n_e enforced and bound" ||
	bad "refused bindings: enforced $n_e, publish $n_p, other $n_o, bound in mudgate-dp $n_b"
sleep 11
r3=$(grep -c "refused by mudgate-dp" gated2.log)
read -r n_e2 n_p2 _ _ <<<"$(count2)"
[ "$r3" = "$r2" ] && [ "$n_e2 $n_p2" = "$n_e $n_p" ] &&
	ok "refused bindings not sent again ($r3 refusals, none in 11 s)" ||
	bad "refusals keep coming: $r2 then $r3; enforced/publish $n_e $n_p -> $n_e2 $n_p2"
stop "$gd2_pid"
gd2_pid=""
grep -qE "AddressSanitizer|LeakSanitizer|runtime error" gated2.log &&
	bad "sanitizer report in the second mudgated's log" || ok "no sanitizer report (second mudgated)"

[ $fail = 0 ] && echo "gated_test: all checks passed" ||
	{ echo "--- mudgated log (tail)"; tail -n 30 gated1.log gated.log; echo "--- mudgate-dp log"; tail -5 dp.log; }
exit $fail
