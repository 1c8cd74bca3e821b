#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab with mudgated: devices send their MUD URL over DHCP, mudgated fetches the MUD file
# from nginx over HTTPS, verifies its CMS signature against the lab CA, compiles and pushes it
# to mudgate-dp. Checks (verdicts by hand from tests/data/lab/lightbulb.json):
#   (a) a valid signed MUD file: exactly what it allows, TCP/UDP/ICMP, IPv4 and IPv6, both
#       directions, direction-initiated honoured;
#   (b) dnsname ACEs follow the DNS answers the device gets, including a name that moves;
#   (c) bad signature, unsigned, http URL, oversized, slow server, dead server, invalid JSON:
#       each device in the fallback profile (quarantined) with the reason;
#   (f) same-manufacturer devices reach each other only where the MUD file says.
set -u
. "$(dirname "$0")/lib.sh"
[ -x "$B/mudgated" ] || { echo "lab_mud_test: mudgated is not built, skipped"; exit 77; }
export MUDGATE_LAB_SETTLE=40
lab_up

# (c) first: every device settles once; the fallback ones must not be enforced.
check_fallback() { # DEVICE REASON-REGEX
	if poll 30 state_is "$1" quarantined "$2"; then
		ok "(c) $1: quarantined, reason $(gated_field "$1" reason)"
	else
		bad "(c) $1: expected quarantined/$2, got $(gated_field "$1" state)/$(gated_field "$1" reason): $(gated_field "$1" message)"
	fi
}
if poll 30 state_is bulb enforced ok; then ok "bulb enforced (signed MUD file verified)"; else
	bad "bulb: $(gated_field bulb state)/$(gated_field bulb reason)"; fi
if poll 10 state_is switch enforced ok; then ok "switch enforced"; else
	bad "switch: $(gated_field switch state)/$(gated_field switch reason)"; fi
check_fallback badsig signature
check_fallback unsigned unsigned
check_fallback httpurl not-https
check_fallback oversized too-large
check_fallback slow timeout
check_fallback dead 'fetch-failed|timeout'
check_fallback badjson invalid
"$LAB" status --json | /usr/bin/python3 -c '
import json, sys
d = [d for d in json.load(sys.stdin)["devices"] if d["name"] == "httpurl"][0]
sys.exit(0 if "http://mud.example.com/lightbulb.json" in d.get("message", "") else 1)' &&
	ok "(c) httpurl: the refused URL is in its message" ||
	bad "(c) httpurl message: $(gated_field httpurl message)"
# the fallback profile is the allowances: DNS yes, anything else no
"$LAB" exec unsigned getent ahostsv4 cloud.example.com | grep -q 10.77.0.10 &&
	ok "(c) quarantined device still resolves names (DNS allowance)" || bad "(c) DNS from quarantine"
expect blocked "(c) unsigned -> cloud.example.com tcp/443" unsigned tcp cloud.example.com 443
expect blocked "(c) badsig -> cloud.example.com tcp/443" badsig tcp cloud.example.com 443
expect blocked "(c) badjson -> bulb tcp/7000" badjson tcp bulb 7000

# (a) TCP
expect allowed "(a) bulb -> cloud.example.com tcp/443 (mqtt-frdev)" bulb tcp cloud.example.com 443
expect blocked "(a) bulb -> cloud.example.com tcp/80 (no ACE)" bulb tcp cloud.example.com 80
expect blocked "(a) bulb -> other.example.net tcp/443 (not cloud)" bulb tcp other.example.net 443
expect allowed "(a) cloud -> bulb tcp/23 (ssh-todev, initiated to-device)" uplink tcp bulb 23 --src 10.77.0.10
expect blocked "(a) other.example.net -> bulb tcp/23" uplink tcp bulb 23 --src 10.77.0.11
expect blocked "(a) cloud :443 -> bulb tcp/7777 (mqtt-todev needs a from-device flow)" uplink tcp bulb 7777 --src 10.77.0.10 --sport 443
expect blocked "(a) bulb :23 -> cloud tcp/7777 (ssh-frdev needs a to-device flow)" bulb tcp cloud.example.com 7777 --sport 23
# (a) UDP
expect allowed "(a) bulb -> cloud.example.com udp/5683 (coap-frdev)" bulb udp cloud.example.com 5683
expect allowed "(a) cloud :5683 -> bulb udp/5683 (coap-todev)" uplink udp bulb 5683 --src 10.77.0.10 --sport 5683
expect blocked "(a) bulb -> other.example.net udp/5683" bulb udp other.example.net 5683
expect blocked "(a) bulb -> cloud.example.com udp/123 (no ACE)" bulb udp cloud.example.com 123
expect allowed "(a) bulb :47808 -> controller udp/47808 (bacnet)" bulb udp 10.77.0.12 47808 --sport 47808
expect blocked "(a) bulb :47809 -> controller udp/47808" bulb udp 10.77.0.12 47808 --sport 47809
# (a) ICMP
expect allowed "(a) bulb -> cloud.example.com icmp (ping-frdev + ping-todev)" bulb icmp cloud.example.com
expect allowed "(a) cloud -> bulb icmp" uplink icmp bulb --src 10.77.0.10
expect blocked "(a) bulb -> other.example.net icmp" bulb icmp other.example.net
expect blocked "(a) other.example.net -> bulb icmp" uplink icmp bulb --src 10.77.0.11
# (a) IPv6 (mqtt6 ACEs, AAAA of cloud.example.com)
expect allowed "(a) bulb -> cloud.example.com tcp6/443" bulb tcp cloud.example.com 443 -6
expect blocked "(a) bulb -> other.example.net tcp6/443" bulb tcp other.example.net 443 -6
expect blocked "(a) bulb -> cloud.example.com tcp6/80" bulb tcp cloud.example.com 80 -6

# (b) update.example.com moves from 10.77.0.13 to 10.77.0.14
expect allowed "(b) bulb -> update.example.com (10.77.0.13) tcp/443" bulb tcp update.example.com 443
expect blocked "(b) bulb -> 10.77.0.14 tcp/443 before DNS names it" bulb tcp 10.77.0.14 443
"$LAB" dns update.example.com 10.77.0.14
expect_eventually allowed 20 "(b) bulb -> update.example.com (now 10.77.0.14) tcp/443" \
	bulb tcp update.example.com 443
expect allowed "(b) bulb -> 10.77.0.14 tcp/443 after the answer" bulb tcp 10.77.0.14 443
expect blocked "(b) bulb -> other.example.net tcp/443 still" bulb tcp other.example.net 443
# the old address leaves the set once no answer carries it any more (TTL 3 s, min-ttl 1)
expect_eventually blocked 45 "(b) bulb -> 10.77.0.13 tcp/443 after its TTL" bulb tcp 10.77.0.13 443

# (f) same manufacturer (mud.example.com): TCP 7000 both ways, nothing else
expect allowed "(f) switch -> bulb tcp/7000" switch tcp bulb 7000
expect allowed "(f) bulb -> switch tcp/7000" bulb tcp switch 7000
expect blocked "(f) switch -> bulb tcp/7001" switch tcp bulb 7001
expect blocked "(f) bulb -> switch tcp/23" bulb tcp switch 23
expect blocked "(f) switch -> bulb icmp" switch icmp bulb
expect blocked "(f) bulb -> unsigned tcp/7000 (quarantined, same authority)" bulb tcp unsigned 7000
finish
