/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference classifier. Parsing follows docs/policy-image.md "Frames"; matching follows
 * "Semantics". Everything here is linear on purpose: it is the oracle the enforcers are
 * compared with, so each rule is written once, in the order the document states it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_classify.h"

#define ETH_P_IPV4   0x0800
#define ETH_P_ARP    0x0806
#define ETH_P_IPV6   0x86dd
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88a8

#define IPPROTO_ICMP_   1
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define IPPROTO_DCCP_   33
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_SCTP_   132

#define TCP_SYN 0x02
#define TCP_ACK 0x10

#define MAX_VLANS  2
#define MAX_V6_EXT 8 /* extension headers walked before the frame is called malformed */

static uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* ---- parsing --------------------------------------------------------------------------- */

/* L4 fields from b[0..n), n bounded by the IP payload length. */
static void
parse_l4(struct mg_pkt *p, const uint8_t *b, size_t n)
{
	switch (p->proto) {
	case IPPROTO_TCP_: {
		size_t doff;

		if (n < 20) {
			p->malformed = true;
			return;
		}
		doff = (size_t)(b[12] >> 4) * 4;
		if (doff < 20 || doff > n) {
			p->malformed = true;
			return;
		}
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->tcp_flags = b[13];
		return;
	}
	case IPPROTO_UDP_: {
		if (n < 8) {
			p->malformed = true;
			return;
		}
		/* The UDP length covers the whole datagram: comparable only when unfragmented. */
		if (!p->frag && (rd16(b + 4) < 8 || rd16(b + 4) > n)) {
			p->malformed = true;
			return;
		}
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		return;
	}
	case IPPROTO_SCTP_:
	case IPPROTO_DCCP_:
		if (n < 12) {
			p->malformed = true;
			return;
		}
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		return;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		/* ICMP is proto 1 only over IPv4, ICMPv6 is 58 only over IPv6. */
		if ((p->proto == IPPROTO_ICMP_) != (p->family == MGI_FAMILY_IPV4))
			return;
		if (n < 4) {
			p->malformed = true;
			return;
		}
		p->icmp_type = b[0];
		p->icmp_code = b[1];
		return;
	default:
		return;
	}
}

static void
parse_ipv4(struct mg_pkt *p, const uint8_t *b, size_t n)
{
	size_t ihl, tot;
	uint16_t frag;

	p->family = MGI_FAMILY_IPV4;
	if (n < 20 || (b[0] >> 4) != 4) {
		p->malformed = true;
		return;
	}
	ihl = (size_t)(b[0] & 0x0f) * 4;
	tot = rd16(b + 2);
	if (ihl < 20 || tot < ihl || tot > n) {
		p->malformed = true;
		return;
	}
	p->proto = b[9];
	memcpy(p->src_addr, b + 12, 4);
	memcpy(p->dst_addr, b + 16, 4);
	frag = rd16(b + 6);
	p->frag = (frag & 0x2000) || (frag & 0x1fff);
	p->l4 = (frag & 0x1fff) == 0;
	if (p->l4)
		parse_l4(p, b + ihl, tot - ihl);
}

static void
parse_ipv6(struct mg_pkt *p, const uint8_t *b, size_t n)
{
	uint8_t nh;
	size_t rn;
	int n_ext = 0;

	p->family = MGI_FAMILY_IPV6;
	if (n < 40 || (b[0] >> 4) != 6) {
		p->malformed = true;
		return;
	}
	rn = rd16(b + 4);
	if (40 + rn > n) {
		p->malformed = true;
		return;
	}
	nh = b[6];
	memcpy(p->src_addr, b + 8, 16);
	memcpy(p->dst_addr, b + 24, 16);
	b += 40;
	for (;;) {
		size_t hl;

		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60)
			break;
		if (n_ext++ == MAX_V6_EXT || rn < 8) {
			p->malformed = true;
			p->proto = nh;
			return;
		}
		if (nh == 44) {
			uint16_t off = rd16(b + 2) >> 3;

			p->frag = true;
			nh = b[0];
			b += 8;
			rn -= 8;
			if (off != 0) {
				p->proto = nh;
				p->l4 = false;
				return;
			}
			continue;
		}
		hl = nh == 51 ? ((size_t)b[1] + 2) * 4 : ((size_t)b[1] + 1) * 8;
		if (hl > rn) {
			p->malformed = true;
			p->proto = nh;
			return;
		}
		nh = b[0];
		b += hl;
		rn -= hl;
	}
	p->proto = nh;
	p->l4 = true;
	parse_l4(p, b, rn);
}

void
mg_pkt_parse(struct mg_pkt *p, const uint8_t *frame, size_t len)
{
	size_t off = 14;
	uint16_t et;

	memset(p, 0, sizeof(*p));
	p->family = MGI_FAMILY_ETH;
	if (len >= 12) {
		memcpy(p->dst_mac, frame, 6);
		memcpy(p->src_mac, frame + 6, 6);
	}
	if (len < 14) {
		p->malformed = true;
		return;
	}
	et = rd16(frame + 12);
	while (et == ETH_P_8021Q || et == ETH_P_8021AD) {
		if (p->n_vlans == MAX_VLANS || len < off + 4) {
			p->ethertype = et;
			p->malformed = true;
			return;
		}
		et = rd16(frame + off + 2);
		off += 4;
		p->n_vlans++;
	}
	p->ethertype = et;
	if (et == ETH_P_IPV4)
		parse_ipv4(p, frame + off, len - off);
	else if (et == ETH_P_IPV6)
		parse_ipv6(p, frame + off, len - off);
}

/* ---- flows ----------------------------------------------------------------------------- */

/* A TCP flow as its initiator sent the SYN, for one device and direction. */
struct flow_key {
	uint8_t mac[6];
	uint8_t dir; /* direction the SYN travelled, relative to the device */
	uint8_t family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

struct mg_flows {
	struct flow_key *v;
	size_t n, cap;
};

struct mg_flows *
mg_flows_create(void)
{
	return calloc(1, sizeof(struct mg_flows));
}

void
mg_flows_destroy(struct mg_flows *f)
{
	if (!f)
		return;
	free(f->v);
	free(f);
}

static bool
flow_eq(const struct flow_key *a, const struct flow_key *b)
{
	return !memcmp(a->mac, b->mac, 6) && a->dir == b->dir && a->family == b->family &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) && a->sport == b->sport &&
	       a->dport == b->dport;
}

static bool
flow_find(const struct mg_flows *f, const struct flow_key *k)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (flow_eq(&f->v[i], k))
			return true;
	return false;
}

/* Records k; a table that cannot grow keeps its flows (the reverse traffic then denies). */
static void
flow_add(struct mg_flows *f, const struct flow_key *k)
{
	if (!f || flow_find(f, k))
		return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct flow_key *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *k;
}

static void
flow_key_of(struct flow_key *k, const uint8_t mac[6], unsigned int dir, const struct mg_pkt *p,
	    bool reverse)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, mac, 6);
	k->dir = (uint8_t)dir;
	k->family = p->family;
	memcpy(k->src, reverse ? p->dst_addr : p->src_addr, 16);
	memcpy(k->dst, reverse ? p->src_addr : p->dst_addr, 16);
	k->sport = reverse ? p->dport : p->sport;
	k->dport = reverse ? p->sport : p->dport;
}

/* ---- matching -------------------------------------------------------------------------- */

static bool
prefix_match(const uint8_t addr[16], const uint8_t pfx[16], unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(addr, pfx, bytes))
		return false;
	if (bits && ((addr[bytes] ^ pfx[bytes]) & (0xff00u >> bits) & 0xff))
		return false;
	return true;
}

static bool
set_match(const struct mgi_image *img, uint32_t set, unsigned int family, const uint8_t addr[16])
{
	const struct mgi_set *s = &img->sets[set];

	for (uint32_t i = s->first; i < s->first + s->n; i++) {
		const struct mgi_prefix *px = &img->prefixes[i];

		if (px->family == family && prefix_match(addr, px->addr, px->plen))
			return true;
	}
	return false;
}

static bool
peer_match(const struct mgi_image *img, unsigned int family, uint8_t kind, uint32_t set,
	   const uint8_t pfx[16], uint8_t plen, const uint8_t addr[16])
{
	switch (kind) {
	case MGI_PEER_PREFIX:
		return prefix_match(addr, pfx, plen);
	case MGI_PEER_SET:
		return set_match(img, set, family, addr);
	default:
		return true;
	}
}

static bool
has_ports(const struct mg_pkt *p)
{
	return p->l4 && (p->proto == IPPROTO_TCP_ || p->proto == IPPROTO_UDP_ ||
			 p->proto == IPPROTO_SCTP_ || p->proto == IPPROTO_DCCP_);
}

static bool
is_icmp(const struct mg_pkt *p)
{
	return p->l4 &&
	       p->proto == (p->family == MGI_FAMILY_IPV4 ? IPPROTO_ICMP_ : IPPROTO_ICMPV6_);
}

static bool
port_match(uint32_t match, uint32_t bit, uint32_t neq_bit, uint16_t lo, uint16_t hi, uint16_t port)
{
	bool in = port >= lo && port <= hi;

	return (match & neq_bit) ? !in : in;
}

/* Does ACE a match frame p of device dev in direction dir? *opens is set when the ACE is the
 * initiating side of a direction-initiated flow and p is its SYN. */
static bool
ace_match(const struct mgi_image *img, const struct mgi_ace *a, const struct mgi_device *dev,
	  enum mg_dir dir, const struct mg_pkt *p, const struct mg_flows *flows, bool *opens)
{
	uint32_t m = a->match;

	*opens = false;
	if (a->family != p->family)
		return false;
	if ((m & MGI_M_ETHERTYPE) && p->ethertype != a->ethertype)
		return false;
	if (a->family == MGI_FAMILY_ETH)
		return true;
	if ((m & MGI_M_PROTO) && p->proto != a->proto)
		return false;
	if (!peer_match(img, a->family, a->src_kind, a->src_set, a->src_addr, a->src_plen,
			p->src_addr))
		return false;
	if (!peer_match(img, a->family, a->dst_kind, a->dst_set, a->dst_addr, a->dst_plen,
			p->dst_addr))
		return false;
	if ((m & (MGI_M_SPORT | MGI_M_DPORT)) && !has_ports(p))
		return false;
	if ((m & MGI_M_SPORT) &&
	    !port_match(m, MGI_M_SPORT, MGI_M_SPORT_NEQ, a->sport_lo, a->sport_hi, p->sport))
		return false;
	if ((m & MGI_M_DPORT) &&
	    !port_match(m, MGI_M_DPORT, MGI_M_DPORT_NEQ, a->dport_lo, a->dport_hi, p->dport))
		return false;
	if ((m & (MGI_M_TCP_FLAGS | MGI_M_DIR_INIT)) && !(p->l4 && p->proto == IPPROTO_TCP_))
		return false;
	if ((m & MGI_M_TCP_FLAGS) && (p->tcp_flags & a->tcp_flags_mask) != a->tcp_flags_value)
		return false;
	if ((m & (MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE)) && !is_icmp(p))
		return false;
	if ((m & MGI_M_ICMP_TYPE) && p->icmp_type != a->icmp_type)
		return false;
	if ((m & MGI_M_ICMP_CODE) && p->icmp_code != a->icmp_code)
		return false;
	if (m & MGI_M_DIR_INIT) {
		if (a->dir_init == dir) {
			*opens = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
		} else {
			struct flow_key k;

			flow_key_of(&k, dev->mac, a->dir_init, p, true);
			if (!flow_find(flows, &k))
				return false;
		}
	}
	return true;
}

static bool
allowance(const struct mgi_image *img, enum mg_dir dir, const struct mg_pkt *p, enum mg_reason *why)
{
	uint32_t fl = img->allowances->flags;
	bool from = dir == MG_DIR_FROM_DEVICE;
	uint32_t rs = img->allowances->resolver_set;

	if ((fl & MGI_ALLOW_ARP) && p->family == MGI_FAMILY_ETH && p->ethertype == ETH_P_ARP) {
		*why = MG_R_ALLOW_ARP;
		return true;
	}
	if ((fl & MGI_ALLOW_ND) && p->family == MGI_FAMILY_IPV6 && is_icmp(p) &&
	    p->icmp_type >= 133 && p->icmp_type <= 137) {
		*why = MG_R_ALLOW_ND;
		return true;
	}
	if ((fl & MGI_ALLOW_DHCP) && p->l4 && p->proto == IPPROTO_UDP_) {
		uint16_t cli = p->family == MGI_FAMILY_IPV4 ? 68 : 546;
		uint16_t srv = p->family == MGI_FAMILY_IPV4 ? 67 : 547;

		if ((from && p->sport == cli && p->dport == srv) ||
		    (!from && p->sport == srv && p->dport == cli)) {
			*why = MG_R_ALLOW_DHCP;
			return true;
		}
	}
	if ((fl & MGI_ALLOW_DNS) && rs != MGI_NO_POLICY && p->l4 &&
	    (p->proto == IPPROTO_UDP_ || p->proto == IPPROTO_TCP_)) {
		if ((from && p->dport == 53 && set_match(img, rs, p->family, p->dst_addr)) ||
		    (!from && p->sport == 53 && set_match(img, rs, p->family, p->src_addr))) {
			*why = MG_R_ALLOW_DNS;
			return true;
		}
	}
	return false;
}

static void
set_res(struct mg_result *res, enum mg_verdict v, enum mg_reason r, uint32_t policy, uint32_t ace)
{
	res->verdict = v;
	res->reason = r;
	res->policy = policy;
	res->ace = ace;
}

/* One side; *opens and *open_key receive the flow to record should the frame be allowed. */
static void
classify_side(const struct mgi_image *img, const struct mgi_device *dev, enum mg_dir dir,
	      const struct mg_pkt *p, const struct mg_flows *flows, struct mg_result *res,
	      bool *opens, struct flow_key *open_key)
{
	const struct mgi_profile *prof = &img->profiles[dev->state];
	const struct mgi_policy *pol;
	enum mg_reason why;
	uint32_t policy;

	*opens = false;
	if (prof->mode == MGI_PROFILE_DENY_ALL)
		return set_res(res, MG_DENY, MG_R_PROFILE_DENY_ALL, MGI_NO_POLICY, MGI_NO_POLICY);
	if (prof->mode == MGI_PROFILE_ALLOW_ALL)
		return set_res(res, MG_ALLOW, MG_R_PROFILE_ALLOW_ALL, MGI_NO_POLICY, MGI_NO_POLICY);
	if (p->malformed)
		return set_res(res, MG_DENY, MG_R_MALFORMED, MGI_NO_POLICY, MGI_NO_POLICY);
	if (allowance(img, dir, p, &why))
		return set_res(res, MG_ALLOW, why, MGI_NO_POLICY, MGI_NO_POLICY);
	policy = prof->mode == MGI_PROFILE_POLICY ? prof->policy
		 : prof->mode == MGI_PROFILE_OWN  ? dev->policy
						  : MGI_NO_POLICY;
	if (policy == MGI_NO_POLICY)
		return set_res(res, MG_DENY, MG_R_PROFILE_NO_POLICY, MGI_NO_POLICY, MGI_NO_POLICY);
	pol = &img->policies[policy];
	{
		uint32_t first = pol->first_ace + (dir == MG_DIR_FROM_DEVICE ? 0 : pol->n_from);
		uint32_t n = dir == MG_DIR_FROM_DEVICE ? pol->n_from : pol->n_to;

		for (uint32_t i = first; i < first + n; i++) {
			const struct mgi_ace *a = &img->aces[i];

			if (!ace_match(img, a, dev, dir, p, flows, opens))
				continue;
			if (a->action != MG_ACT_ACCEPT) {
				*opens = false;
				return set_res(res, MG_DENY, MG_R_ACE_DROP, policy, i);
			}
			if (*opens)
				flow_key_of(open_key, dev->mac, dir, p, false);
			return set_res(res, MG_ALLOW, MG_R_ACE_ACCEPT, policy, i);
		}
	}
	set_res(res, MG_DENY, MG_R_DEFAULT_DENY, policy, MGI_NO_POLICY);
}

void
mg_classify(const struct mgi_image *img, const struct mgi_device *dev, enum mg_dir dir,
	    const struct mg_pkt *p, struct mg_flows *flows, struct mg_result *res)
{
	struct flow_key k;
	bool opens;

	classify_side(img, dev, dir, p, flows, res, &opens, &k);
	if (opens && res->verdict == MG_ALLOW)
		flow_add(flows, &k);
}

void
mg_classify_frame(const struct mgi_image *img, const struct mg_pkt *p, struct mg_flows *flows,
		  struct mg_result *res)
{
	const struct mgi_device *src = mgi_find_device(img, p->src_mac);
	const struct mgi_device *dst = mgi_find_device(img, p->dst_mac);
	struct flow_key k[2];
	bool opens[2] = {false, false};
	struct mg_result r;

	set_res(res, MG_ALLOW, MG_R_NOT_DEVICE, MGI_NO_POLICY, MGI_NO_POLICY);
	if (src) {
		classify_side(img, src, MG_DIR_FROM_DEVICE, p, flows, &r, &opens[0], &k[0]);
		*res = r;
		if (r.verdict == MG_DENY)
			return;
	}
	if (dst) {
		classify_side(img, dst, MG_DIR_TO_DEVICE, p, flows, &r, &opens[1], &k[1]);
		*res = r;
		if (r.verdict == MG_DENY)
			return;
	}
	/* Both sides allow: only now may the frame open a flow. */
	for (int i = 0; i < 2; i++)
		if (opens[i])
			flow_add(flows, &k[i]);
}

const char *
mg_reason_str(enum mg_reason r)
{
	static const char *const names[] = {
#define MG_REASON_STR(id, str) str,
		MG_REASONS(MG_REASON_STR)
#undef MG_REASON_STR
	};
	return (unsigned int)r < MG_R_COUNT_ ? names[r] : "?";
}

void
mg_result_rule(const struct mgi_image *img, const struct mg_result *res, char *buf, size_t size)
{
	if (!size)
		return;
	if ((res->reason == MG_R_ACE_ACCEPT || res->reason == MG_R_ACE_DROP) &&
	    res->policy < img->n_policies && res->ace < img->n_aces) {
		const struct mgi_ace *a = &img->aces[res->ace];

		snprintf(buf, size, "%s/%s/%s", mgi_str(img, img->policies[res->policy].name),
			 mgi_str(img, a->acl_name), mgi_str(img, a->ace_name));
		return;
	}
	snprintf(buf, size, "%s", mg_reason_str(res->reason));
}
