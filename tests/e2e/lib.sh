# SPDX-License-Identifier: BSD-3-Clause
# Shared by the e2e tests: each test script brings up its own lab (tools/lab) in a private
# state directory under its own namespace prefix, and removes it on exit.
[ "$(id -u)" = 0 ] || { echo "${0##*/}: needs root, skipped"; exit 77; }
S=${MUDGATE_SOURCE_DIR:?}
B=${MUDGATE_BUILD_DIR:?}
for t in ip ethtool nginx dnsmasq dhclient openssl /usr/bin/python3; do
	command -v "$t" >/dev/null || { echo "${0##*/}: $t missing (tools/install-deps), skipped"; exit 77; }
done
export MUDGATE_BUILD_DIR=$B
export MUDGATE_LAB_DIR=${MUDGATE_LAB_DIR_BASE:-/run}/mudgate-e2e-$$
export MUDGATE_LAB_NAME=e$$
LAB=$S/tools/lab
CTL="$B/mgdpctl -s $MUDGATE_LAB_DIR/dp.sock"
fail=0
n_ok=0

lab_cleanup() {
	if [ $fail != 0 ] && [ -d "$MUDGATE_LAB_DIR/log" ]; then
		for f in mudgated mudgate-dp; do
			[ -f "$MUDGATE_LAB_DIR/log/$f.log" ] || continue
			echo "--- last lines of $f.log"
			tail -n 25 "$MUDGATE_LAB_DIR/log/$f.log"
		done
	fi
	"$LAB" down >/dev/null 2>&1
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
	"$LAB" up || { echo "FAIL lab up"; fail=1; exit 1; }
}

ok() {
	echo "ok   $*"
	n_ok=$((n_ok + 1))
}
bad() {
	echo "FAIL $*"
	fail=1
}

# expect allowed|blocked DESCRIPTION FROM PROTO TARGET [PORT] [probe options]
expect() {
	local want=$1 what=$2 got out
	shift 2
	out=$("$LAB" probe "$@" --timeout 1.5 2>&1)
	case $? in 0) got=allowed ;; 1) got=blocked ;; *) got="error: $out" ;; esac
	if [ "$got" = "$want" ]; then ok "$what: $want"; else bad "$what: expected $want, got $got"; fi
}

# poll TIMEOUT CMD...: CMD until it succeeds, at most TIMEOUT seconds
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}

# expect_eventually allowed|blocked TIMEOUT DESCRIPTION probe-args...
expect_eventually() {
	local want=$1 t=$2 what=$3 rc
	shift 3
	local end=$((SECONDS + t))
	while :; do
		"$LAB" probe "$@" --timeout 1.5 >/dev/null 2>&1
		rc=$?
		if { [ "$want" = allowed ] && [ $rc = 0 ]; } || { [ "$want" = blocked ] && [ $rc = 1 ]; }; then
			ok "$what: $want"
			return 0
		fi
		[ $SECONDS -lt $end ] || break
		sleep 1
	done
	bad "$what: not $want within ${t}s"
	return 1
}

# device_field NAME FIELD: a field of the device in mudgated's devices.json (via tools/lab)
gated_field() {
	"$LAB" status --json | /usr/bin/python3 -c '
import json, sys
for d in json.load(sys.stdin)["devices"]:
    if d["name"] == sys.argv[1]:
        print(d.get(sys.argv[2], ""))' "$1" "$2"
}

state_is() { # state_is DEVICE STATE [REASON-REGEX]
	local st rs
	st=$(gated_field "$1" state)
	[ "$st" = "$2" ] || return 1
	[ -z "${3:-}" ] && return 0
	rs=$(gated_field "$1" reason)
	echo "$rs" | grep -Eqx "$3"
}

finish() {
	if [ $fail = 0 ]; then
		echo "${0##*/}: all $n_ok checks passed"
	else
		echo "${0##*/}: FAILED ($n_ok checks passed)"
	fi
	exit $fail
}
