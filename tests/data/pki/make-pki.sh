#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Test PKI for MUD signature verification (control/verify). Produces, next to this script:
#   ca.pem                 trusted "mudgate test MUD CA" (2020-01-01 .. 2049-12-31)
#   signer.pem             manufacturer signer, SAN DNS:mud.example.com, valid until 2049
#   expired.pem            signer for mud.example.com, valid 2020-01-01 .. 2021-01-01 only
#   notyet.pem             signer for mud.example.com, valid from 2040-01-01
#   other.pem              signer for another authority, SAN DNS:mud.other.example
#   cn-only.pem            signer without subjectAltName, CN=mud.example.com
#   rogue-ca.pem           an untrusted CA; rogue-signer.pem (SAN DNS:mud.example.com) under it
#   thermostat.json        a MUD file (mud-url https://mud.example.com/thermostat.json)
#   *.p7s                  detached CMS signatures (DER) over thermostat.json:
#     good.p7s             signer, signed 2024-01-01
#     rogue.p7s            rogue-signer (chain to an untrusted CA)
#     expired-then-valid.p7s  expired signer, signingTime 2020-06-01 (inside its validity)
#     expired-after.p7s    expired signer, signingTime 2022-06-01 (after it expired)
#     notyet.p7s           notyet signer, signed 2024-01-01
#     other.p7s            other signer (another authority)
#     cn-only.p7s          cn-only signer
#     nocerts.p7s          signer, certificate left out of the CMS (-nocerts)
#     attached.p7s         signer, content embedded (not detached)
#     sha1.p7s             signer, SHA-1 digest
#
# Reproducible: names, serials, validity dates and signing times are fixed (faketime freezes
# the clock for signingTime), RSA PKCS#1 v1.5 signatures are deterministic, and keys (*.key)
# are generated only when missing, so a rerun rewrites every other file byte for byte.
# Delete *.key to rotate the keys. Needs openssl and faketime (Debian: faketime).
set -eu

cd "$(dirname "$0")"
command -v faketime >/dev/null || { echo "make-pki.sh: faketime is required" >&2; exit 1; }
export TZ=UTC
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

key() {
	[ -f "$1.key" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$1.key" 2>/dev/null
}

cat >"$TMP/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $TMP
database = $TMP/index.txt
new_certs_dir = $TMP
serial = $TMP/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = \${ENV::SAN}
[ v3_signer_nosan ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# issue NAME SUBJECT SERIAL START END EXT [ISSUER]  (no ISSUER: self-signed)
issue() {
	name=$1 subj=$2 serial=$3 start=$4 end=$5 ext=$6 issuer=${7:-}
	key "$name"
	: >"$TMP/index.txt"
	echo "$serial" >"$TMP/serial"
	openssl req -new -config "$TMP/ca.cnf" -key "$name.key" -subj "$subj" -out "$TMP/$name.csr"
	if [ -z "$issuer" ]; then
		openssl ca -batch -notext -config "$TMP/ca.cnf" -selfsign -keyfile "$name.key" \
			-startdate "$start" -enddate "$end" -extensions "$ext" \
			-in "$TMP/$name.csr" -out "$name.pem" 2>/dev/null
	else
		openssl ca -batch -notext -config "$TMP/ca.cnf" -cert "$issuer.pem" \
			-keyfile "$issuer.key" -startdate "$start" -enddate "$end" \
			-extensions "$ext" -in "$TMP/$name.csr" -out "$name.pem" 2>/dev/null
	fi
}

export SAN=DNS:unused
issue ca "/O=mudgate test/CN=mudgate test MUD CA" 01 20200101000000Z 20491231235959Z v3_ca
issue rogue-ca "/O=rogue/CN=rogue MUD CA" 01 20200101000000Z 20491231235959Z v3_ca
SAN=DNS:mud.example.com issue signer "/O=Example Devices/CN=Example Devices MUD signer" \
	10 20200101000000Z 20491231235959Z v3_signer ca
SAN=DNS:mud.example.com issue expired "/O=Example Devices/CN=Example Devices 2020 signer" \
	11 20200101000000Z 20210101000000Z v3_signer ca
SAN=DNS:mud.example.com issue notyet "/O=Example Devices/CN=Example Devices 2040 signer" \
	12 20400101000000Z 20491231235959Z v3_signer ca
SAN=DNS:mud.other.example issue other "/O=Other Vendor/CN=Other Vendor MUD signer" \
	13 20200101000000Z 20491231235959Z v3_signer ca
issue cn-only "/O=Example Devices/CN=mud.example.com" \
	14 20200101000000Z 20491231235959Z v3_signer_nosan ca
SAN=DNS:mud.example.com issue rogue-signer "/O=Rogue/CN=Rogue signer" \
	20 20200101000000Z 20491231235959Z v3_signer rogue-ca

cat >thermostat.json <<'EOF'
{
  "ietf-mud:mud": {
    "mud-version": 1,
    "mud-url": "https://mud.example.com/thermostat.json",
    "mud-signature": "https://mud.example.com/thermostat.p7s",
    "last-update": "2024-01-01T00:00:00+00:00",
    "cache-validity": 48,
    "is-supported": true,
    "systeminfo": "mudgate test thermostat",
    "from-device-policy": {
      "access-lists": {
        "access-list": [ { "name": "from-ipv4-thermostat" } ]
      }
    },
    "to-device-policy": {
      "access-lists": {
        "access-list": [ { "name": "to-ipv4-thermostat" } ]
      }
    }
  },
  "ietf-access-control-list:acls": {
    "acl": [
      {
        "name": "from-ipv4-thermostat",
        "type": "ipv4-acl-type",
        "aces": { "ace": [ {
          "name": "cl0-frdev",
          "matches": {
            "ipv4": { "ietf-acldns:dst-dnsname": "updates.example.com", "protocol": 6 },
            "tcp": { "destination-port": { "operator": "eq", "port": 443 } }
          },
          "actions": { "forwarding": "accept" } } ] }
      },
      {
        "name": "to-ipv4-thermostat",
        "type": "ipv4-acl-type",
        "aces": { "ace": [ {
          "name": "cl0-todev",
          "matches": {
            "ipv4": { "ietf-acldns:src-dnsname": "updates.example.com", "protocol": 6 },
            "tcp": { "source-port": { "operator": "eq", "port": 443 } }
          },
          "actions": { "forwarding": "accept" } } ] }
      }
    ]
  }
}
EOF

# sign OUT SIGNER TIME [extra cms options]
sign() {
	out=$1 signer=$2 when=$3
	shift 3
	faketime -f "$when" openssl cms -sign -binary -in thermostat.json \
		-signer "$signer.pem" -inkey "$signer.key" -outform DER -out "$out" "$@"
}

sign good.p7s signer "2024-01-01 00:00:00"
sign rogue.p7s rogue-signer "2024-01-01 00:00:00"
sign expired-then-valid.p7s expired "2020-06-01 00:00:00"
sign expired-after.p7s expired "2022-06-01 00:00:00"
sign notyet.p7s notyet "2024-01-01 00:00:00"
sign other.p7s other "2024-01-01 00:00:00"
sign cn-only.p7s cn-only "2024-01-01 00:00:00"
sign nocerts.p7s signer "2024-01-01 00:00:00" -nocerts
sign attached.p7s signer "2024-01-01 00:00:00" -nodetach
sign sha1.p7s signer "2024-01-01 00:00:00" -md sha1
echo "make-pki.sh: done"
