/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path's burst parser: frames straight into the rte_acl key layout (struct
 * dp_acl4_key / dp_acl6_key) plus the two MACs as zero-padded 8-byte device-table keys. It
 * implements docs/policy-image.md "Frames" exactly as mg_pkt_parse() does (the reference; the
 * differential test compares the two field by field and verdict by verdict): bounded by the
 * frame length, at most 2 VLAN tags, at most 8 IPv6 extension headers, every truncation and
 * inconsistency marks the frame malformed.
 *
 * Fields of a frame that is not malformed:
 *   family      MGI_FAMILY_ETH, 4 or 6; ethertype the innermost one;
 *   key.proto   IP protocol (IPv6: the final next header);
 *   key.meta    DP_META_L4 (an L4 header: not a non-first fragment), DP_META_PORTS (TCP, UDP,
 *               SCTP, DCCP with L4), DP_META_TCP, DP_META_ICMP (ICMP over IPv4 / ICMPv6 over
 *               IPv6 with L4);
 *   key.tcp_icmp: the TCP flags with DP_META_TCP, the ICMP type with DP_META_ICMP, else 0;
 *   addresses and ports in network byte order; without DP_META_PORTS the ports are 0, except
 *   that with DP_META_ICMP the source port holds the ICMP code (dp_pkt_icmp_code()).
 * The key's pdir is left to the classifier. Non-IP frames have proto and meta 0. A malformed
 * frame's other fields are unspecified (every bound device denies it before they matter).
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stdint.h>

#include <rte_byteorder.h>

#include "policy/dp_policy.h"

#define DP_BURST_MAX 32

/* One frame of a burst: parser output, then the classifier's results. */
struct dp_pkt {
	union {
		struct dp_acl4_key k4; /* family 4 */
		struct dp_acl6_key k6; /* family 6 */
	} key;
	uint64_t mac[2]; /* [0] source, [1] destination: 6 bytes, then 2 zero bytes */
	uint16_t ethertype;
	uint8_t family;    /* MGI_FAMILY_ETH, MGI_FAMILY_IPV4, MGI_FAMILY_IPV6 */
	uint8_t malformed; /* 0 or 1 */
	uint32_t len;      /* frame bytes, for counters */
	/* results of dp_classify_burst() */
	uint8_t verdict;  /* enum mg_verdict */
	uint8_t reason;   /* enum mg_reason: the deciding one */
	uint32_t policy;  /* deciding policy or MGI_NO_POLICY */
	uint32_t ace;     /* deciding global ACE index or MGI_NO_POLICY */
	int32_t pos[2];   /* device table positions of the source / destination, or < 0 */
	uint64_t slot[2]; /* their slot words; 0 when the verdict came from the verdict cache */
};

/* Parses n frames (data[i], len[i] bytes, contiguous) into pk[0..n). */
void dp_parse_burst(struct dp_pkt *pk, const uint8_t *const *data, const uint32_t *len, uint32_t n);

/* The same for one frame. */
void dp_parse(struct dp_pkt *x, const uint8_t *f, uint32_t len);

/* Accessors for the fields the classifier and the punt path read. */
static inline const uint8_t *
dp_pkt_src(const struct dp_pkt *x)
{
	return x->family == MGI_FAMILY_IPV4 ? (const uint8_t *)&x->key.k4.src
					    : (const uint8_t *)x->key.k6.src;
}

static inline const uint8_t *
dp_pkt_dst(const struct dp_pkt *x)
{
	return x->family == MGI_FAMILY_IPV4 ? (const uint8_t *)&x->key.k4.dst
					    : (const uint8_t *)x->key.k6.dst;
}

/* Ports in host byte order (0 without DP_META_PORTS). */
static inline uint16_t
dp_pkt_sport(const struct dp_pkt *x)
{
	return rte_be_to_cpu_16(x->family == MGI_FAMILY_IPV4 ? x->key.k4.sport : x->key.k6.sport);
}

static inline uint16_t
dp_pkt_dport(const struct dp_pkt *x)
{
	return rte_be_to_cpu_16(x->family == MGI_FAMILY_IPV4 ? x->key.k4.dport : x->key.k6.dport);
}

/* ICMP type and code (valid with DP_META_ICMP; the key layouts share these offsets) */
static inline uint8_t
dp_pkt_icmp_type(const struct dp_pkt *x)
{
	return x->key.k4.tcp_icmp;
}

static inline uint8_t
dp_pkt_icmp_code(const struct dp_pkt *x)
{
	return (uint8_t)dp_pkt_sport(x);
}

static inline const uint8_t *
dp_pkt_mac(const struct dp_pkt *x, unsigned int side)
{
	return (const uint8_t *)&x->mac[side];
}

#endif /* DP_PARSE_H */
