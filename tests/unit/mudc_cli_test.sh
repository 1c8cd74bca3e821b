#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mudc check / mudc compile: exit status (0 valid, 1 invalid, 2 usage) and the
# "FILE: JSON-PATH: reason" error format.
set -u
MUDC="$MUDGATE_BUILD_DIR/mudc"
SRC="$MUDGATE_SOURCE_DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

expect() { # expected-status description command...
	want=$1 what=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want"
		cat "$TMP/err"
		fail=1
	fi
}

RFC="$SRC/tests/data/mud/rfc8520-example.json"
UNSW="$SRC/tests/data/mud-corpus/mudfiles/unsw/amazonEchoMud.json"

expect 0 "check of the RFC 8520 example" "$MUDC" check "$RFC"
[ -s "$TMP/err" ] && { echo "FAIL: a valid file printed diagnostics"; fail=1; }
expect 1 "strict check of a pre-RFC file" "$MUDC" check "$RFC" "$UNSW"
grep -qxF "$UNSW: /ietf-access-control-list:access-lists: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls') (accepted with --lenient)" "$TMP/err" ||
	{ echo "FAIL: strict error line"; cat "$TMP/err"; fail=1; }
expect 0 "lenient check of a pre-RFC file" "$MUDC" check --lenient "$UNSW"
grep -qxF "$UNSW: /ietf-access-control-list:access-lists: lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')" "$TMP/err" ||
	{ echo "FAIL: lenient warning line"; cat "$TMP/err"; fail=1; }
expect 1 "check of a missing file" "$MUDC" check "$TMP/nope.json"
grep -qxF "$TMP/nope.json: /: cannot open: No such file or directory" "$TMP/err" ||
	{ echo "FAIL: missing file line"; cat "$TMP/err"; fail=1; }
expect 2 "check without files" "$MUDC" check
expect 2 "check with an unknown option" "$MUDC" check --strict "$RFC"

expect 0 "compile" "$MUDC" compile --site "$SRC/tests/data/site/site.json" \
	--device 02:00:00:00:00:02="$SRC/tests/data/mud/features.json" \
	--device 02:00:00:00:00:05="$SRC/tests/data/mud/features.json" \
	--device 00:11:22:33:44:55="$RFC" -o "$TMP/a.img"
[ -s "$TMP/a.img" ] || { echo "FAIL: no image written"; fail=1; }
expect 1 "compile of an inexpressible file" "$MUDC" compile --lenient \
	--device 00:11:22:33:44:55="$UNSW" -o "$TMP/b.img"
[ -e "$TMP/b.img" ] && { echo "FAIL: an image was written for an invalid input"; fail=1; }
grep -q "^$UNSW: /ietf-access-control-list:acls/acl\[name='from-ipv4-amazonecho'\]/aces/ace\[name='from-ipv4-amazonecho-3'\]/matches/ietf-mud:mud/local-networks: destination-ipv4-network and ietf-mud:mud/local-networks both constrain the destination address" "$TMP/err" ||
	{ echo "FAIL: compile rejection line"; cat "$TMP/err"; fail=1; }
expect 2 "compile without -o" "$MUDC" compile --device 00:11:22:33:44:55="$RFC"
expect 2 "compile with a bad MAC" "$MUDC" compile --device 00:11:22:33:44="$RFC" -o "$TMP/c.img"
expect 2 "compile with a device twice" "$MUDC" compile --device 00:11:22:33:44:55="$RFC" \
	--device 00:11:22:33:44:55="$RFC" -o "$TMP/c.img"
expect 1 "compile with an invalid site" "$MUDC" compile --site "$RFC" \
	--device 00:11:22:33:44:55="$RFC" -o "$TMP/c.img"
exit $fail
