/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every file of tests/data/mud-corpus with its expected outcome, strict and lenient:
 *   STRICT_OK  valid as it is (warnings allowed: ignored extension nodes, unused ACLs);
 *   LENIENT_OK invalid in strict mode, valid with --lenient and exactly the warnings listed
 *              (message and count);
 *   REJECTED   invalid in both modes, the first error of the lenient run being PATH: MESSAGE.
 * The test also fails when the corpus holds a file the table does not list.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "mud/mudf.h"

enum outcome {
	STRICT_OK,
	LENIENT_OK,
	REJECTED,
};

struct warn {
	const char *msg;
	int count;
};

struct corpus_entry {
	const char *file;
	enum outcome outcome;
	const char *err_path;
	const char *err_msg;
	struct warn warns[20];
};

static const struct corpus_entry corpus[] = {
	{"P4Ward/mud_files/goose.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='default-acl']/type",
	 "Invalid identityref \"default-acl\" value - identity not found in module "
	 "\"ietf-access-control-list\"."},
	{"P4Ward/mud_files/modbus-opcua-1.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='to-acl-modbus']/aces/ace[name='to-test']/"
	 "matches/"
	 "ipv4",
	 "empty 'ipv4' match in an ACL of type 'acl-1' cannot be validated (name a header field, "
	 "or "
	 "use an ACL of type 'ipv4-acl-type')"},
	{"P4Ward/mud_files/modbus-opcua-2.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='to-acl-modbus']/aces/ace[name='to-test']/"
	 "matches/"
	 "ipv4",
	 "empty 'ipv4' match in an ACL of type 'acl-1' cannot be validated (name a header field, "
	 "or "
	 "use an ACL of type 'ipv4-acl-type')"},
	{"P4Ward/mud_files/modbus-opcua-3.json", REJECTED, "/",
	 "file is 2090140 bytes, larger than the 1048576-byte limit"},
	{"_trust/mud_architecture_cacert.pem", REJECTED, "/",
	 "invalid JSON at line 1, column 1: '[' or '{' expected near '-'"},
	{"daq/mud_files/bacnet.json", STRICT_OK, NULL, NULL, {}},
	{"daq/mud_files/bacnet_frdev.json", STRICT_OK, NULL, NULL, {}},
	{"daq/mud_files/bacnet_todev.json", STRICT_OK, NULL, NULL, {}},
	{"daq/mud_files/commissioning.json", STRICT_OK, NULL, NULL, {}},
	{"daq/mud_files/controller.json", STRICT_OK, NULL, NULL, {}},
	{"daq/mud_files/default.json", REJECTED, "/ietf-mud:mud/mud-url",
	 "Mandatory node \"mud-url\" instance does not exist."},
	{"daq/mud_files/lightbulb.json", STRICT_OK, NULL, NULL, {}},
	{"daq/mud_files/telnet.json", STRICT_OK, NULL, NULL, {}},
	{"elear-mud/examples/lighting-example.json", REJECTED, "/",
	 "no ietf-mud:mud container: this is the format of a 2016 MUD draft "
	 "(ietf-mud:support-information), which has no MUD URL and cannot be converted"},
	{"elear-mud/examples/plc-example.json", REJECTED, "/",
	 "no ietf-mud:mud container: this is the format of a 2016 MUD draft "
	 "(ietf-mud:support-information), which has no MUD URL and cannot be converted"},
	{"elear-mud/examples/thermostat-example.json", REJECTED, "/",
	 "invalid JSON at line 28, column 6: string or '}' expected near '['"},
	{"go-mudyang/examples/amazonEchoMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
	 }},
	{"go-mudyang/examples/invalidAmazonEchoMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"go-mudyang/examples/lightbulb2000.json", STRICT_OK, NULL, NULL, {}},
	{"go-mudyang/examples/ol/olExample.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'ietf-ol', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"go-mudyang/examples/tls/example.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='mud-7500-profile']/aces/ace[name='cl0-frdev']/"
	 "matches/ietf-acl-tls:client-profiles",
	 "match of module 'ietf-acl-tls', an extension this implementation does not understand "
	 "(ignoring a match would widen the ACE)"},
	{"go-mudyang/examples/transparency/completeExample.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'mudtx', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"go-mudyang/examples/transparency/mixedExample.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'mudtx', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"go-mudyang/examples/wemoswitchMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
	 }},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/Amazon-Echo-Test.json", REJECTED,
	 "/",
	 "no ietf-mud:mud container: not a MUD file (top-level members: url, masa_url, "
	 "last_update, systeminfo, ...)"},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/Amazon-Echo.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/August-Doorbell-Test.json",
	 REJECTED, "/",
	 "no ietf-mud:mud container: not a MUD file (top-level members: url, masa_url, "
	 "last_update, systeminfo, ...)"},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/August-Doorbell.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='from-ipv6-augustdoorbellcam']/aces/"
	 "ace[name='from-ipv6-augustdoorbellcam-2']/matches/ipv6/destination-ipv6-network",
	 "'192.168.1.1' is an IPv4 address, in an IPv6 match"},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/MUD-Profile-example.json",
	 REJECTED,
	 "/ietf-access-control-list:acls/acl[name='mud-52892-v4to']/aces/ace[name='myman1-todev']",
	 "duplicate ACE name 'myman1-todev'"},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/Ring-Doorbell-Test.json",
	 REJECTED, "/",
	 "no ietf-mud:mud container: not a MUD file (top-level members: url, masa_url, "
	 "last_update, systeminfo, ...)"},
	{"mud-controller-enforcer/namib_controller/tests/mud_tests/Ring-Doorbell.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mud-sbom/cloud-example1.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'mudtx', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"mud-sbom/cloud-example2.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'mudtx', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"mud-sbom/complete-example.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'mudtx', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"mud-sbom/contact-info.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'ietf-mud-transparency', an extension this "
		  "implementation does not understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"mud-sbom/mixed-example.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {
		 {"ignored: node of module 'mudtx', an extension this implementation does not "
		  "understand (RFC 8520 section 3.9)",
		  1},
	 }},
	{"mud_architecture/plc-example.json", REJECTED, "/",
	 "no ietf-mud:mud container: this is the format of a 2016 MUD draft "
	 "(ietf-mud:support-information), which has no MUD URL and cannot be converted"},
	{"mud_architecture/plc-example.p7s", REJECTED, "/",
	 "invalid JSON at line 1, column 1: unable to decode byte 0x82 near '0'"},
	{"mud_architecture/thermostat-example.json", REJECTED, "/",
	 "invalid JSON at line 28, column 6: string or '}' expected near '['"},
	{"mud_architecture/thermostat-example.p7s", REJECTED, "/",
	 "invalid JSON at line 1, column 1: unable to decode byte 0x82 near '0'"},
	{"mudfiles/devices/printers/brother/DCP-L2540DW/L2540DW.json", STRICT_OK, NULL, NULL, {}},
	{"mudfiles/unsw/HueBulbMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/NetatmoCameraMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/NetatmoWeatherStationMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/SmartThingsMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/amazonEchoMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/augustdoorbellcamMud.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='from-ipv6-augustdoorbellcam']/aces/"
	 "ace[name='from-ipv6-augustdoorbellcam-2']/matches/ipv6/destination-ipv6-network",
	 "'192.168.1.1' is an IPv4 address, in an IPv6 match"},
	{"mudfiles/unsw/awairAirQualityMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/belkincameraMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/blipcareBPmeterMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/canaryCameraMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/chromecastUltraMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/dropcamMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/hellobarbieMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/hpprinterMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: address 'fdc1:1bdc:1e84:0:0:0:0:1' without a prefix length (RFC 8519: "
		  "a prefix); read as the host prefix fdc1:1bdc:1e84:0:0:0:0:1/128",
		  2},
		 {"lenient: address 'ff05:0:0:0:0:0:0:c' without a prefix length (RFC 8519: a "
		  "prefix); read as the host prefix ff05:0:0:0:0:0:0:c/128",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  2},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/ihomepowerplugMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/lifxbulbMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  2},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/nestsmokesensorMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  2},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/pixstarphotoframeMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  3},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/ringdoorbellMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/samsungsmartcamMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: operator 'eq' beside lower-port and upper-port (RFC 8519: a range has "
		  "no operator); read as the range",
		  6},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/tplinkcameraMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: operator 'range' beside lower-port and upper-port (RFC 8519: a range "
		  "has no operator); read as the range",
		  2},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/tplinkplugMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/tribyspeakerMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/wemomotionMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/wemoswitchMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/withingsbabymonitorMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/withingscardioMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0006' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 6)",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  2},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudfiles/unsw/withingssleepsensorMud.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: ACL of type 'ipv4-acl-type' with eth matches (RFC 8519: "
		  "'mixed-eth-ipv4-acl-type')",
		  1},
		 {"lenient: ethertype '0x0800' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 2048)",
		  1},
		 {"lenient: ethertype '0x888e' as a hexadecimal string (RFC 8519: a number or a "
		  "name, here 34958)",
		  1},
		 {"lenient: pre-RFC 8519 ACL type 'ethernet-acl-type' (RFC 8519: 'eth-acl-type')",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"mudmaker/cloud-service.json", STRICT_OK, NULL, NULL, {}},
	{"mudmaker/my-controller.json", STRICT_OK, NULL, NULL, {}},
	{"mudmaker/same-manufacturer.json", STRICT_OK, NULL, NULL, {}},
	{"nist-mud/test/system-test/mudfile-server/mudfile-otherman.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/system-test/mudfile-server/mudfile-sensor.json", STRICT_OK, NULL, NULL, {}},
	{"nist-mud/test/unittest/mud-controllerclass-test/mudfile-controllerclass-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-dhcp-test/mudfile-server/mudfile-dhcptest.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-dns-test/mudfile-dns-test.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: node of module 'ietf-mud-reporter-extension' without an 'extensions' "
		  "declaration (RFC 8520 section 3.9)",
		  1},
	 }},
	{"nist-mud/test/unittest/mud-local-and-same-mfg-test/mudfile-local-and-same-mfg-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-local-and-same-mfg-test/"
	 "mudfile-local-and-same-mfg-test.json.save",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-local-networks-test/mudfile-local-networks-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-local-networks-test/mudfile.json", STRICT_OK, NULL, NULL, {}},
	{"nist-mud/test/unittest/mud-logging-test/mudfile-mylogging-test.nist.local.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-mfg-test/mudfile-mfg-test.json", STRICT_OK, NULL, NULL, {}},
	{"nist-mud/test/unittest/mud-model-test/mudfile-model-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-mycontrollerclass-test/mudfile-mycontrollerclass-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-quarantine-test/mudfile-quarantine-test.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: node of module 'nist-mud' without an 'extensions' declaration (RFC "
		  "8520 section 3.9)",
		  1},
	 }},
	{"nist-mud/test/unittest/mud-quarantine-test/mudfile.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: node of module 'nist-mud' without an 'extensions' declaration (RFC "
		  "8520 section 3.9)",
		  1},
	 }},
	{"nist-mud/test/unittest/mud-same-manufacturer-test/mudfile-same-manufacturer-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-same-mfg-scale-test/mudfile-same-mfg-scale-test.json",
	 STRICT_OK,
	 NULL,
	 NULL,
	 {}},
	{"nist-mud/test/unittest/mud-tcp-direction-test/mudfile-tcp-direction-test.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: node of module 'ietf-mud-reporter-extension' without an 'extensions' "
		  "declaration (RFC 8520 section 3.9)",
		  1},
	 }},
	{"osmud/example/MUDFILE.NEST",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: draft-ietf-netmod-acl-model name 'access-list-entries' (RFC 8519: "
		  "'aces')",
		  2},
		 {"lenient: draft-ietf-netmod-acl-model name 'acl-name' (RFC 8519: 'name')", 4},
		 {"lenient: draft-ietf-netmod-acl-model name 'acl-type' (RFC 8519: 'type')", 4},
		 {"lenient: draft-ietf-netmod-acl-model name 'ipv4-acl' (RFC 8519: 'ipv4')", 2},
		 {"lenient: draft-ietf-netmod-acl-model name 'ipv6-acl' (RFC 8519: 'ipv6')", 2},
		 {"lenient: draft-ietf-netmod-acl-model name 'rule-name' (RFC 8519: 'name')", 12},
		 {"lenient: draft-ietf-netmod-acl-model port match 'destination-port-range' in the "
		  "IP container (RFC 8519: tcp/destination-port)",
		  2},
		 {"lenient: draft-ietf-netmod-acl-model port match 'source-port-range' in the IP "
		  "container (RFC 8519: tcp/source-port)",
		  2},
		 {"lenient: draft-ietf-opsawg-mud match 'ietf-mud:same-manufacturer' (RFC 8520: "
		  "ietf-mud:mud/same-manufacturer)",
		  4},
		 {"lenient: draft-ietf-opsawg-mud member 'acl-type' (not in RFC 8520; the type of "
		  "the ACL itself applies)",
		  4},
		 {"lenient: draft-ietf-opsawg-mud name 'acl-name' (RFC 8520: 'name')", 4},
		 {"lenient: draft-ietf-opsawg-mud name 'ietf-mud:mud-acl' (RFC 8520: "
		  "'ietf-mud:mud')",
		  4},
		 {"lenient: mud-version missing (version 1 assumed)", 1},
		 {"lenient: pre-RFC 8519 ACL type 'ipv4-acl' (RFC 8519: 'ipv4-acl-type')", 2},
		 {"lenient: pre-RFC 8519 ACL type 'ipv6-acl' (RFC 8519: 'ipv6-acl-type')", 2},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"osmud/example/ieft-draft.json", STRICT_OK, NULL, NULL, {}},
	{"osmud/test/lightbulb2000.json",
	 LENIENT_OK,
	 NULL,
	 NULL,
	 {
		 {"lenient: draft-ietf-netmod-acl-model name 'access-list-entries' (RFC 8519: "
		  "'aces')",
		  2},
		 {"lenient: draft-ietf-netmod-acl-model name 'acl-type' (RFC 8519: 'type')", 2},
		 {"lenient: draft-ietf-netmod-acl-model name 'ipv6-acl' (RFC 8519: 'ipv6')", 2},
		 {"lenient: draft-ietf-netmod-acl-model name 'rule-name' (RFC 8519: 'name')", 2},
		 {"lenient: draft-ietf-netmod-acl-model port match "
		  "'destination-port-range-or-operator' in the IP container (RFC 8519: "
		  "tcp/destination-port)",
		  1},
		 {"lenient: draft-ietf-netmod-acl-model port match 'source-port-range-or-operator' "
		  "in the IP container (RFC 8519: tcp/source-port)",
		  1},
		 {"lenient: pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')", 1},
	 }},
	{"shg-mud-controller/toaster_mud.json", REJECTED,
	 "/ietf-access-control-list:acls/acl[name='mud-41611-v4fr']/aces/"
	 "ace[name='iot_toaster_ping']/matches/ipv4",
	 "Node \"s:qrc-dnsname\" not found as a child of \"ipv4\" node."},
};

#define N_CORPUS (sizeof(corpus) / sizeof(corpus[0]))

static struct mudf_ctx *ctx;
static char corpus_dir[4096];

static int
setup(void **state)
{
	const char *src = getenv("MUDGATE_SOURCE_DIR");
	char err[512];

	snprintf(corpus_dir, sizeof(corpus_dir), "%s/tests/data/mud-corpus", src ? src : ".");
	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx)
		fprintf(stderr, "%s\n", err);
	return ctx ? 0 : -1;
}

static int
teardown(void **state)
{
	mudf_ctx_destroy(ctx);
	return 0;
}

static int
run(const char *file, bool lenient, struct mudf_diags *d)
{
	struct mudf_opts opts = {.flags = lenient ? MUDF_LENIENT : 0};
	struct mudf_file *f = NULL;
	char path[8192];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir, file);
	assert_int_equal(mudf_diags_init(d, file), 0);
	ret = mudf_load(ctx, path, &opts, &f, d);
	if (!ret) {
		assert_non_null(f);
		assert_non_null(f->mud_url);
		assert_int_equal(strncmp(f->mud_url, "https://", 8), 0);
		assert_true(f->cache_validity >= 1 && f->cache_validity <= 168);
	}
	mudf_file_destroy(f);
	return ret;
}

static void
check_entry(const struct corpus_entry *e)
{
	struct mudf_diags ds, dl;
	int rs, rl;

	rs = run(e->file, false, &ds);
	rl = run(e->file, true, &dl);
	switch (e->outcome) {
	case STRICT_OK:
		if (rs) {
			mudf_diags_print(&ds, stderr, true);
			fail_msg("%s: expected strict-ok", e->file);
		}
		assert_int_equal(rl, 0);
		break;
	case LENIENT_OK:
		if (!rs)
			fail_msg("%s: expected strict mode to reject", e->file);
		if (rl) {
			mudf_diags_print(&dl, stderr, true);
			fail_msg("%s: expected lenient-ok", e->file);
		}
		break;
	case REJECTED: {
		long i = mudf_diags_first_error(&dl);

		if (!rs || !rl)
			fail_msg("%s: expected a rejection", e->file);
		assert_true(i >= 0);
		if (strcmp(dl.v[i].path, e->err_path) || strcmp(dl.v[i].msg, e->err_msg))
			fail_msg("%s: expected\n  %s: %s\ngot\n  %s: %s", e->file, e->err_path,
				 e->err_msg, dl.v[i].path, dl.v[i].msg);
		i = mudf_diags_first_error(&ds);
		assert_true(i >= 0);
		break;
	}
	}
	if (e->outcome != REJECTED) {
		/* exactly the listed warnings, with their counts */
		size_t n_expected = 0;

		for (size_t w = 0; w < 20 && e->warns[w].msg; w++) {
			int got = 0;

			for (size_t k = 0; k < dl.n; k++)
				if (dl.v[k].severity == MUDF_WARNING &&
				    !strcmp(dl.v[k].msg, e->warns[w].msg))
					got++;
			if (got != e->warns[w].count)
				fail_msg("%s: warning '%s': %d times, expected %d", e->file,
					 e->warns[w].msg, got, e->warns[w].count);
			n_expected += (size_t)got;
		}
		if (dl.n_warnings != n_expected) {
			mudf_diags_print(&dl, stderr, false);
			fail_msg("%s: %zu warnings, expected %zu", e->file, dl.n_warnings,
				 n_expected);
		}
	}
	mudf_diags_fini(&ds);
	mudf_diags_fini(&dl);
}

static void
test_corpus_table(void **state)
{
	for (size_t i = 0; i < N_CORPUS; i++)
		check_entry(&corpus[i]);
}

static size_t n_found;

static void
walk(const char *dir, const char *rel)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[8192], r[4096];
		struct stat st;
		bool listed = false;

		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk(path, r);
			continue;
		}
		if (!strcmp(r, "MANIFEST.json"))
			continue;
		for (size_t i = 0; i < N_CORPUS; i++)
			if (!strcmp(corpus[i].file, r))
				listed = true;
		if (!listed)
			fail_msg("corpus file %s is not in the table", r);
		n_found++;
	}
	closedir(d);
}

static void
test_corpus_complete(void **state)
{
	n_found = 0;
	walk(corpus_dir, "");
	assert_int_equal(n_found, N_CORPUS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_complete),
		cmocka_unit_test(test_corpus_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
