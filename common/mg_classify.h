/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference classifier: (image, frame, direction) -> verdict, linear and obviously
 * correct. It is the oracle every enforcer (mudgate-dp, mudgate.ko) is tested against, so it
 * favours clarity over speed: parse the frame once into struct mg_pkt, then walk the ACEs of
 * the applicable policy in order; the first ACE that matches decides; none matching denies.
 *
 * Evaluation order for a frame of a bound device in direction dir (docs/policy-image.md
 * "Semantics" is normative):
 *   1. profile of the device's state: DENY_ALL -> deny; ALLOW_ALL -> allow;
 *   2. malformed frame (truncated or inconsistent L2/L3/L4 header) -> deny;
 *   3. allowances (ARP, ND, DHCP, DNS to resolvers) -> allow;
 *   4. ALLOWANCES_ONLY profile, or no policy -> deny;
 *   5. the policy's ACEs of direction dir, first match wins: accept -> allow, drop/reject ->
 *      deny; none -> deny (default deny).
 *
 * direction-initiated needs flow state: struct mg_flows is a plain array of TCP flows opened
 * by a SYN (without ACK) that an ACE with MGI_M_DIR_INIT accepted in the initiating
 * direction. Passing NULL flows evaluates every reverse-direction direction-initiated ACE as
 * not matching. Not thread-safe per struct mg_flows.
 */
#ifndef MG_CLASSIFY_H
#define MG_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_image.h"

/* Parsed header fields of one frame. */
struct mg_pkt {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint16_t ethertype; /* innermost, after up to 2 VLAN tags */
	uint8_t n_vlans;
	bool malformed; /* truncated or inconsistent header; see docs */
	uint8_t family; /* MGI_FAMILY_ETH for non-IP frames, 4 or 6 */
	uint8_t proto;  /* IP protocol / IPv6 final next header */
	bool l4;        /* L4 header present: not a non-first fragment */
	bool frag;      /* any fragment (v4 MF or offset, v6 fragment header) */
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	uint16_t sport, dport;        /* TCP/UDP (and SCTP/DCCP) when l4 */
	uint8_t tcp_flags;            /* when proto == 6 && l4 */
	uint8_t icmp_type, icmp_code; /* when ICMP / ICMPv6 && l4 */
};

/* Parse a frame; always fills *p (malformed set when it cannot be parsed fully). */
void mg_pkt_parse(struct mg_pkt *p, const uint8_t *frame, size_t len);

enum mg_verdict {
	MG_ALLOW = 0,
	MG_DENY = 1,
};

/* Why a verdict was reached. X-macro: the same list names counters in the enforcers. */
#define MG_REASONS(X)                                                                  \
	X(NOT_DEVICE, "not-device") /* no bound device on this side: not classified */ \
	X(ACE_ACCEPT, "ace-accept")                                                    \
	X(ACE_DROP, "ace-drop")                                                        \
	X(DEFAULT_DENY, "default-deny")                                                \
	X(MALFORMED, "malformed")                                                      \
	X(PROFILE_ALLOW_ALL, "profile-allow-all")                                      \
	X(PROFILE_DENY_ALL, "profile-deny-all")                                        \
	X(PROFILE_NO_POLICY, "profile-no-policy")                                      \
	X(ALLOW_ARP, "allow-arp")                                                      \
	X(ALLOW_ND, "allow-nd")                                                        \
	X(ALLOW_DHCP, "allow-dhcp")                                                    \
	X(ALLOW_DNS, "allow-dns")

enum mg_reason {
#define MG_REASON_ENUM(id, str) MG_R_##id,
	MG_REASONS(MG_REASON_ENUM)
#undef MG_REASON_ENUM
		MG_R_COUNT_
};

const char *mg_reason_str(enum mg_reason r);

struct mg_result {
	enum mg_verdict verdict;
	enum mg_reason reason;
	uint32_t policy; /* policy index, MGI_NO_POLICY when none applied */
	uint32_t ace;    /* global ACE index when reason is ACE_*, else MGI_NO_POLICY */
};

struct mg_flows;
struct mg_flows *mg_flows_create(void);
void mg_flows_destroy(struct mg_flows *f);

/*
 * Classify one parsed frame for device dev in direction dir (from-device: dev is the source
 * MAC; to-device: dev is the destination). flows may be NULL (see above).
 */
void mg_classify(const struct mgi_image *img, const struct mgi_device *dev, enum mg_dir dir,
		 const struct mg_pkt *p, struct mg_flows *flows, struct mg_result *res);

/*
 * Whole-frame decision as every enforcer applies it: the source MAC's device is checked
 * from-device, then the destination MAC's device to-device; both must allow. A frame touching
 * no bound device is allowed with reason NOT_DEVICE. *res receives the deciding result (the
 * first deny, else the last allow).
 */
void mg_classify_frame(const struct mgi_image *img, const struct mg_pkt *p, struct mg_flows *flows,
		       struct mg_result *res);

/* "policy/acl/ace" for ACE results, the reason string otherwise. */
void mg_result_rule(const struct mgi_image *img, const struct mg_result *res, char *buf,
		    size_t size);

#endif /* MG_CLASSIFY_H */
