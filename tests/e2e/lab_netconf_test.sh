#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab's NETCONF endpoint (docs/lab.md): tools/lab up prints it and writes STATE/netconf.json;
# from the host's namespace mudctl --connect lists the lab's devices with the states tools/lab
# status reports, set-state over NETCONF changes what mudgate-dp lets through and back,
# ncclient logs in with the password, and tools/lab down leaves nothing behind. Expected states
# by hand: bulb and switch enforced (valid signed MUD files), unsigned and httpurl quarantined.
set -u
. "$(dirname "$0")/lib.sh"
T=${0##*/}
{ [ -x "$B/mudgated" ] && [ -x "$B/mudctl" ]; } || { echo "$T: mudgated or mudctl is not built, skipped"; exit 77; }
command -v ssh-keygen >/dev/null || { echo "$T: ssh-keygen missing (openssh-client), skipped"; exit 77; }
/usr/bin/python3 -c 'import ncclient' 2>/dev/null || { echo "$T: python3-ncclient missing, skipped"; exit 77; }
export MUDGATE_LAB_DEVICES="bulb switch unsigned httpurl"
export MUDGATE_LAB_SETTLE=40
ST=$MUDGATE_LAB_DIR
NCJ=$ST/netconf.json
BULB=02:77:00:00:00:01

out=$("$LAB" up 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || { bad "lab up"; exit 1; }

# ---- netconf.json and the credentials behind it ------------------------------------------
[ -f "$NCJ" ] && ok "netconf.json written" || { bad "no $NCJ"; exit 1; }
[ "$(stat -c %a "$NCJ")" = 600 ] && ok "netconf.json is mode 600 (it holds the password)" ||
	bad "netconf.json mode $(stat -c %a "$NCJ")"
# every field mudctl --connect reads, with its type
fields=$(/usr/bin/python3 - "$NCJ" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
want = {"host": str, "port": int, "username": str, "password": str, "key-file": str,
        "host-key": str}
errs = ["%s: missing or not %s" % (k, t.__name__) for k, t in want.items()
        if not isinstance(c.get(k), t)]
if not errs:
    if not 0 < c["port"] < 65536:
        errs.append("port %d" % c["port"])
    if len(c["password"]) < 16:
        errs.append("password shorter than 16")
    for k in ("key-file", "host-key"):
        if not os.path.isfile(c[k]):
            errs.append("%s: %s does not exist" % (k, c[k]))
if errs:
    print("; ".join(errs))
    sys.exit(1)
print(c["host"], c["port"], c["username"], c["password"], c["key-file"], c["host-key"])
EOF
)
if [ $? = 0 ]; then ok "netconf.json: host, port, username, password, key-file, host-key"; else
	bad "netconf.json: $fields"
	exit 1
fi
read -r H PORT USERN PW KEY HOSTKEY <<<"$fields"
[ "$H" = 127.0.0.1 ] && [ "$USERN" = admin ] && ok "endpoint $H:$PORT, user admin" ||
	bad "endpoint $H:$PORT user $USERN (expected 127.0.0.1, admin)"
[ "$HOSTKEY" = "$ST/gated/netconf/ssh_host_ed25519_key.pub" ] &&
	ok "host-key is mudgated's STATE/netconf/ssh_host_ed25519_key.pub" || bad "host-key $HOSTKEY"
# what lab up printed
echo "$out" | grep -qF "127.0.0.1 port $PORT, user admin, password $PW" &&
	echo "$out" | grep -qF "$NCJ" && ok "lab up printed the endpoint, credentials and file" ||
	bad "lab up did not print the endpoint and credentials"
# the hash mudgated got is the password's (recomputed with the same salt)
hash=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password-hash"])' \
	"$ST/netconf-server.json")
salt=$(echo "$hash" | cut -d'$' -f3)
[ "${hash:0:3}" = '$6$' ] && [ "$(printf '%s\n' "$PW" | openssl passwd -6 -salt "$salt" -stdin)" = "$hash" ] &&
	ok "password-hash is SHA-512 crypt of the password" || bad "password-hash does not match the password"
# the key file's public half is mudgated's authorized key
ak=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["authorized-keys"])' \
	"$ST/netconf-server.json")
[ "$(ssh-keygen -y -f "$KEY" | cut -d' ' -f1,2)" = "$(cut -d' ' -f1,2 "$ak")" ] &&
	ok "key-file's public key is in authorized-keys ($ak)" || bad "key-file does not match $ak"
# reached from this namespace, the host's (in no named namespace, none of the lab's)
[ -z "$(ip netns identify $$ 2>/dev/null)" ] &&
	ss -Hltn "sport = :$PORT" | grep -q "127.0.0.1:$PORT" &&
	ok "127.0.0.1:$PORT listens in the host's namespace" || bad "nothing listens on 127.0.0.1:$PORT here"

# ---- mudctl: devices and their states, as tools/lab status has them ------------------------
MUDCTL="$B/mudctl --connect $NCJ"
compare_states() { # prints the mismatches; 0 when mudctl and lab status agree with the expectation
	local m s
	m=$($MUDCTL devices --json) || { echo "mudctl devices failed"; return 1; }
	s=$("$LAB" status --json) || { echo "lab status failed"; return 1; }
	/usr/bin/python3 - "$m" "$s" <<'EOF'
import json, sys
m = {d["mac"]: d.get("state") for d in json.loads(sys.argv[1])["devices"]}
s = {d["mac"]: (d["name"], d["state"]) for d in json.loads(sys.argv[2])["devices"]}
want = {"bulb": "enforced", "switch": "enforced", "unsigned": "quarantined",
        "httpurl": "quarantined"}
errs = []
if set(m) != set(s):
    errs.append("mudctl lists %s, the lab has %s" % (sorted(m), sorted(s)))
for mac, (name, st) in s.items():
    if m.get(mac) != st:
        errs.append("%s: mudctl %s, lab status %s" % (name, m.get(mac), st))
    if st != want.get(name):
        errs.append("%s: %s, expected %s" % (name, st, want.get(name)))
print("; ".join(errs))
sys.exit(1 if errs else 0)
EOF
}
if poll 30 compare_states; then
	ok "mudctl --connect devices --json: 4 devices, states as tools/lab status (bulb, switch enforced; unsigned, httpurl quarantined)"
else
	bad "mudctl devices vs lab status: $(compare_states)"
fi
$MUDCTL devices | grep -q "^$BULB  *enforced" && ok "mudctl devices table" || bad "mudctl devices table"
# the key alone, with the host key pinned
"$B/mudctl" --host "$H" --port "$PORT" --user admin --key "$KEY" --host-key "$HOSTKEY" devices \
	>/dev/null 2>&1 && ok "mudctl: public-key login" || bad "mudctl: public-key login refused"
# refused: a wrong password, another host key than the pinned one
MUDCTL_PASSWORD=wrong-$PW "$B/mudctl" --host "$H" --port "$PORT" --user admin devices >/dev/null 2>&1
[ $? = 1 ] && ok "mudctl: wrong password refused" || bad "mudctl: wrong password not refused"
"$B/mudctl" --host "$H" --port "$PORT" --user admin --key "$KEY" --host-key "$KEY.pub" devices \
	>/dev/null 2>&1
[ $? = 1 ] && ok "mudctl: another host key than the pinned one refused" || bad "mudctl: host key not checked"

# ---- set-state over NETCONF changes the fast path ------------------------------------------
bulb_state() { $MUDCTL device "$BULB" --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
bulb_is() { [ "$(bulb_state)" = "$1" ] && [ "$(gated_field bulb state)" = "$1" ]; }
expect allowed "bulb -> cloud.example.com tcp/443 (mqtt-frdev)" bulb tcp cloud.example.com 443
expect allowed "switch -> bulb tcp/7000 (same-manufacturer)" switch tcp bulb 7000
$MUDCTL set-state "$BULB" quarantined && ok "mudctl set-state bulb quarantined" ||
	bad "mudctl set-state bulb quarantined"
poll 10 bulb_is quarantined && ok "bulb quarantined (NETCONF and devices.json)" ||
	bad "bulb is $(bulb_state), expected quarantined"
expect_eventually blocked 10 "bulb (quarantined) -> cloud.example.com tcp/443" bulb tcp cloud.example.com 443
expect blocked "switch -> bulb (quarantined) tcp/7000" switch tcp bulb 7000
expect allowed "switch -> cloud.example.com tcp/443 (switch untouched)" switch tcp cloud.example.com 443
$MUDCTL set-state "$BULB" enforced && ok "mudctl set-state bulb enforced" ||
	bad "mudctl set-state bulb enforced"
poll 20 bulb_is enforced && ok "bulb enforced again" || bad "bulb is $(bulb_state), expected enforced"
expect_eventually allowed 15 "bulb (enforced again) -> cloud.example.com tcp/443" bulb tcp cloud.example.com 443
expect allowed "switch -> bulb tcp/7000 again" switch tcp bulb 7000
expect blocked "bulb -> cloud.example.com tcp/80 still (no ACE)" bulb tcp cloud.example.com 80

# ---- ncclient, password only, host key pinned --------------------------------------------
nc_out=$(/usr/bin/python3 - "$NCJ" <<'EOF' 2>&1
import json, sys
from lxml import etree
from ncclient import manager
from ncclient.transport.errors import AuthenticationError
c = json.load(open(sys.argv[1]))
hostkey = open(c["host-key"]).read().split()[1]
NS = "urn:mudgate:params:xml:ns:yang:mudgate"
kw = dict(host=c["host"], port=c["port"], username=c["username"], hostkey_verify=True,
          hostkey_b64=hostkey, look_for_keys=False, allow_agent=False, timeout=30)
with manager.connect(password=c["password"], **kw) as m:
    r = m.get(filter=("subtree", '<mudgate-state xmlns="%s"><device/></mudgate-state>' % NS))
    x = etree.fromstring(r.data_xml.encode())
    st = {d.findtext("{%s}mac" % NS): d.findtext("{%s}state" % NS)
          for d in x.iter("{%s}device" % NS)}
    want = {"02:77:00:00:00:01": "enforced", "02:77:00:00:00:02": "enforced",
            "02:77:00:00:00:04": "quarantined", "02:77:00:00:00:05": "quarantined"}
    if st != want:
        print("devices over ncclient: %s, expected %s" % (st, want))
        sys.exit(1)
try:
    manager.connect(password="x" + c["password"], **kw).close_session()
    print("a wrong password was accepted")
    sys.exit(1)
except AuthenticationError:
    pass
print("session ok")
EOF
)
[ $? = 0 ] && ok "ncclient: password login, the 4 devices and their states; a wrong password refused" ||
	bad "ncclient: $nc_out"

# ---- lab down leaves nothing behind ------------------------------------------------------
fwd=$(cat "$ST/run/netconf-forward.pid")
gated=$(cat "$ST/run/mudgated.pid")
"$LAB" down >/dev/null 2>&1 || bad "lab down failed"
left=""
for pid in $fwd $gated; do kill -0 "$pid" 2>/dev/null && left="$left process $pid;"; done
ip netns list | grep -q "^$MUDGATE_LAB_NAME-" && left="$left namespaces;"
ls -d /etc/netns/"$MUDGATE_LAB_NAME"-* >/dev/null 2>&1 && left="$left /etc/netns entries;"
[ -e "$ST" ] && left="$left $ST;"
ss -Hltn "sport = :$PORT" | grep -q "127.0.0.1:$PORT" && left="$left a listener on $PORT;"
[ -z "$left" ] && ok "lab down: relay, mudgated, namespaces, resolver files, state directory, port: all gone" ||
	bad "lab down left:$left"
finish
