#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab with mudgated, two devices of one manufacturer and one unsigned:
#   (e) a MUD file changed on the server is applied once the cached copy expires (the lab
#       caps cache-validity at 60 s with daemon/fetch/max-validity), not before;
#   (d) kill -9 mudgated in the middle of traffic: mudgate-dp keeps enforcing (allowed flows
#       flow, denied stay denied), a restarted mudgated resynchronises without a reset.
set -u
. "$(dirname "$0")/lib.sh"
[ -x "$B/mudgated" ] || { echo "lab_resilience_test: mudgated is not built, skipped"; exit 77; }
export MUDGATE_LAB_DEVICES="bulb switch unsigned"
lab_up
t_up=$SECONDS
poll 30 state_is bulb enforced && ok "bulb enforced" || bad "bulb: $(gated_field bulb state)/$(gated_field bulb reason)"
poll 30 state_is unsigned quarantined unsigned && ok "unsigned quarantined" ||
	bad "unsigned: $(gated_field unsigned state)/$(gated_field unsigned reason)"

# (e) the new lightbulb.json also allows TCP 80 to cloud.example.com (web-frdev/web-todev)
/usr/bin/python3 - "$S/tests/data/lab/lightbulb.json" "$MUDGATE_LAB_DIR/tmp/lightbulb-v2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["ietf-mud:mud"]["last-update"] = "2026-02-01T00:00:00+00:00"
acls = {a["name"]: a for a in d["ietf-access-control-list:acls"]["acl"]}
def web(name, side, port_side):
    return {"name": name, "matches": {
        "ipv4": {"ietf-acldns:%s-dnsname" % side: "cloud.example.com", "protocol": 6},
        "tcp": {"ietf-mud:direction-initiated": "from-device",
                port_side: {"operator": "eq", "port": 80}}},
        "actions": {"forwarding": "accept"}}
acls["lightbulb-v4fr"]["aces"]["ace"].append(web("web-frdev", "dst", "destination-port"))
acls["lightbulb-v4to"]["aces"]["ace"].append(web("web-todev", "src", "source-port"))
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
expect blocked "(e) bulb -> cloud tcp/80 with the first MUD file" bulb tcp cloud.example.com 80
"$LAB" publish lightbulb "$MUDGATE_LAB_DIR/tmp/lightbulb-v2.json"
t_pub=$SECONDS
expect blocked "(e) bulb -> cloud tcp/80 right after the change (cached copy still valid)" \
	bulb tcp cloud.example.com 80
# the cached copy expires 60 s after the first fetch
expect_eventually allowed $((60 - (t_pub - t_up) + 40)) "(e) bulb -> cloud tcp/80 after cache-validity" \
	bulb tcp cloud.example.com 80
[ $((SECONDS - t_up)) -ge 40 ] && ok "(e) not applied before the cache expired" ||
	bad "(e) applied after $((SECONDS - t_up)) s, before max-validity"
expect allowed "(e) bulb -> cloud tcp/443 still" bulb tcp cloud.example.com 443

# (d) kill -9 in the middle of traffic
gen0=$($CTL state | awk '/generation/ { print $2; exit }')
$CTL bindings | sort >"$MUDGATE_LAB_DIR/tmp/bindings.before"
"$LAB" exec bulb ping -q -i 0.2 -c 40 10.77.0.12 >/dev/null 2>&1 & # denied traffic meanwhile
pinger=$!
"$LAB" gated kill
ok "(d) mudgated killed with SIGKILL"
expect allowed "(d) bulb -> cloud.example.com tcp/443 without mudgated" bulb tcp 10.77.0.10 443
expect allowed "(d) bulb -> cloud tcp/80 (the applied update) without mudgated" bulb tcp 10.77.0.10 80
expect allowed "(d) switch -> bulb tcp/7000 without mudgated" switch tcp bulb 7000
expect blocked "(d) bulb -> other.example.net tcp/443 without mudgated" bulb tcp 10.77.0.11 443
expect blocked "(d) unsigned -> cloud tcp/443 without mudgated" unsigned tcp 10.77.0.10 443
expect allowed "(d) cloud -> bulb tcp/23 without mudgated" uplink tcp bulb 23 --src 10.77.0.10
wait $pinger
"$LAB" gated start
poll 30 state_is bulb enforced && ok "(d) restarted mudgated: bulb enforced" ||
	bad "(d) after restart bulb: $(gated_field bulb state)/$(gated_field bulb reason)"
poll 30 state_is unsigned quarantined unsigned && ok "(d) restarted mudgated: unsigned quarantined" ||
	bad "(d) after restart unsigned: $(gated_field unsigned state)/$(gated_field unsigned reason)"
sleep_until_stable() { # bindings equal to those before the kill
	$CTL bindings | sort | cmp -s - "$MUDGATE_LAB_DIR/tmp/bindings.before"
}
poll 20 sleep_until_stable && ok "(d) bindings after resync equal those before the kill" ||
	{ bad "(d) bindings differ after resync"; diff <($CTL bindings | sort) "$MUDGATE_LAB_DIR/tmp/bindings.before"; }
gen1=$($CTL state | awk '/generation/ { print $2; exit }')
[ -n "$gen0" ] && [ -n "$gen1" ] && [ "$gen1" -ge "$gen0" ] &&
	ok "(d) generation $gen0 -> $gen1: resynchronised, not reset" || bad "(d) generation $gen0 -> $gen1"
expect allowed "(d) bulb -> cloud.example.com tcp/443 after restart" bulb tcp cloud.example.com 443
expect blocked "(d) bulb -> other.example.net tcp/443 after restart" bulb tcp other.example.net 443
expect blocked "(d) unsigned -> cloud tcp/443 after restart" unsigned tcp 10.77.0.10 443
finish
