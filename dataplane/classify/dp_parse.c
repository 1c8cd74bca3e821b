/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst parser (dp_parse.h). The rules are those of mg_pkt_parse() (common/mg_classify.c),
 * in the same order; the code differs in what it writes: the rte_acl key directly, no memset
 * of a 60-byte struct, the MACs as two 8-byte loads, and the common case (untagged IPv4
 * without options) reaches the L4 header without a loop.
 */
#include <stddef.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "dp_parse.h"

#define PREFETCH_AHEAD 4

#define ETH_IPV4   0x0800
#define ETH_IPV6   0x86dd
#define ETH_8021Q  0x8100
#define ETH_8021AD 0x88a8

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint64_t
rd_mac(const uint8_t *b)
{
	uint64_t v;
	memcpy(&v, b, 8);
	return v & rte_cpu_to_le_64(0x0000ffffffffffffull);
}

/* key.meta and key.tcp_icmp (the same offsets in both key layouts) */
static inline void
set_meta(struct dp_pkt *x, uint8_t meta, uint8_t tcp_icmp)
{
	x->key.k4.meta = meta;
	x->key.k4.tcp_icmp = tcp_icmp;
}

/*
 * L4 fields from b[0..n), n bounded by the IP payload; frag: any fragment (the UDP length is
 * compared only without one). ports: where the key's ports live. Returns 1 when malformed.
 */
static inline int
parse_l4(struct dp_pkt *x, uint8_t proto, int frag, const uint8_t *b, size_t n, uint8_t *ports)
{
	switch (proto) {
	case 6: {
		if (n < 20)
			return 1;
		size_t doff = (size_t)(b[12] >> 4) * 4;
		if (doff < 20 || doff > n)
			return 1;
		memcpy(ports, b, 4);
		set_meta(x, DP_META_L4 | DP_META_PORTS | DP_META_TCP, b[13]);
		return 0;
	}
	case 17:
		if (n < 8)
			return 1;
		if (!frag && (rd16(b + 4) < 8 || rd16(b + 4) > n))
			return 1;
		memcpy(ports, b, 4);
		set_meta(x, DP_META_L4 | DP_META_PORTS, 0);
		return 0;
	case 132:
	case 33:
		if (n < 12)
			return 1;
		memcpy(ports, b, 4);
		set_meta(x, DP_META_L4 | DP_META_PORTS, 0);
		return 0;
	case 1:
	case 58:
		/* ICMP is protocol 1 only over IPv4, ICMPv6 is 58 only over IPv6 */
		if ((proto == 1) != (x->family == MGI_FAMILY_IPV4)) {
			set_meta(x, DP_META_L4, 0);
			return 0;
		}
		if (n < 4)
			return 1;
		set_meta(x, DP_META_L4 | DP_META_ICMP, b[0]);
		ports[1] = b[1]; /* the code, as the source port's low byte (ports are 0) */
		return 0;
	default:
		set_meta(x, DP_META_L4, 0);
		return 0;
	}
}

static inline int
parse_ipv4(struct dp_pkt *x, const uint8_t *b, size_t n)
{
	struct dp_acl4_key *k = &x->key.k4;

	x->family = MGI_FAMILY_IPV4;
	if (n < 20 || (b[0] >> 4) != 4)
		return 1;
	size_t ihl = (size_t)(b[0] & 0x0f) * 4;
	size_t tot = rd16(b + 2);
	if (ihl < 20 || tot < ihl || tot > n)
		return 1;
	k->proto = b[9];
	memcpy(&k->src, b + 12, 8); /* src and dst */
	uint16_t frag = rd16(b + 6);
	if (frag & 0x1fff) { /* non-first fragment: no L4 header */
		set_meta(x, 0, 0);
		return 0;
	}
	return parse_l4(x, k->proto, (frag & 0x2000) != 0, b + ihl, tot - ihl,
			(uint8_t *)k + offsetof(struct dp_acl4_key, sport));
}

static inline int
parse_ipv6(struct dp_pkt *x, const uint8_t *b, size_t n)
{
	struct dp_acl6_key *k = &x->key.k6;

	x->family = MGI_FAMILY_IPV6;
	if (n < 40 || (b[0] >> 4) != 6)
		return 1;
	size_t rn = rd16(b + 4);
	if (40 + rn > n)
		return 1;
	uint8_t nh = b[6];
	int frag = 0;
	memcpy(k->src, b + 8, 32); /* src and dst */
	b += 40;
	for (unsigned int n_ext = 0;; n_ext++) {
		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60)
			break;
		if (n_ext == 8 || rn < 8)
			return 1;
		if (nh == 44) {
			uint16_t off = rd16(b + 2) >> 3;
			frag = 1;
			nh = b[0];
			b += 8;
			rn -= 8;
			if (off) { /* non-first fragment: no L4 header */
				k->proto = nh;
				set_meta(x, 0, 0);
				return 0;
			}
			continue;
		}
		size_t hl = nh == 51 ? ((size_t)b[1] + 2) * 4 : ((size_t)b[1] + 1) * 8;
		if (hl > rn)
			return 1;
		nh = b[0];
		b += hl;
		rn -= hl;
	}
	k->proto = nh;
	return parse_l4(x, nh, frag, b, rn, (uint8_t *)k + offsetof(struct dp_acl6_key, sport));
}

void
dp_parse(struct dp_pkt *x, const uint8_t *f, uint32_t len)
{
	size_t off = 14;

	x->len = len;
	x->family = MGI_FAMILY_ETH;
	x->malformed = 0;
	x->key.k4.proto = 0;
	set_meta(x, 0, 0);
	x->key.k4.sport = 0;
	x->key.k4.dport = 0;
	x->key.k6.sport = 0;
	x->key.k6.dport = 0;
	if (unlikely(len < 14)) {
		x->ethertype = 0;
		x->malformed = 1;
		x->mac[0] = x->mac[1] = 0;
		if (len >= 12) {
			memcpy(&x->mac[1], f, 6);
			memcpy(&x->mac[0], f + 6, 6);
		}
		return;
	}
	x->mac[1] = rd_mac(f);
	x->mac[0] = rd_mac(f + 6); /* reads f[6..13]: within the 14 bytes */
	uint16_t et = rd16(f + 12);
	if (unlikely(et == ETH_8021Q || et == ETH_8021AD)) {
		for (unsigned int n_vlans = 0; et == ETH_8021Q || et == ETH_8021AD; n_vlans++) {
			if (n_vlans == 2 || len < off + 4) {
				x->ethertype = et;
				x->malformed = 1;
				return;
			}
			et = rd16(f + off + 2);
			off += 4;
		}
	}
	x->ethertype = et;
	if (likely(et == ETH_IPV4))
		x->malformed = (uint8_t)parse_ipv4(x, f + off, len - off);
	else if (et == ETH_IPV6)
		x->malformed = (uint8_t)parse_ipv6(x, f + off, len - off);
}

void
dp_parse_burst(struct dp_pkt *pk, const uint8_t *const *data, const uint32_t *len, uint32_t n)
{
	uint32_t i = 0;

	for (uint32_t j = 0; j < PREFETCH_AHEAD && j < n; j++)
		rte_prefetch0(data[j]);
	for (; i + PREFETCH_AHEAD < n; i++) {
		rte_prefetch0(data[i + PREFETCH_AHEAD]);
		dp_parse(&pk[i], data[i], len[i]);
	}
	for (; i < n; i++)
		dp_parse(&pk[i], data[i], len[i]);
}
