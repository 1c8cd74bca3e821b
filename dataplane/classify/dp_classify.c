/* SPDX-License-Identifier: BSD-3-Clause */
/* Burst classification (dp_classify.h). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "dp_classify.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

enum side_state {
	SIDE_NONE = 0, /* no bound device on this side */
	SIDE_DONE,     /* decided before the ACEs */
	SIDE_ACL,      /* waiting for the rte_acl result */
};

struct side {
	uint8_t state; /* enum side_state */
	uint8_t verdict;
	uint8_t reason;
	uint8_t family_idx; /* 0 v4, 1 v6 with SIDE_ACL */
	uint32_t policy;
	uint32_t ace;
	uint32_t key; /* key index with SIDE_ACL */
};

static bool
prefix_match(const uint8_t *addr, const uint8_t *pfx, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;
	if (memcmp(addr, pfx, bytes))
		return false;
	return !bits || !((addr[bytes] ^ pfx[bytes]) & (0xff00u >> bits) & 0xff);
}

static bool
resolver_match(const struct dp_gen *g, uint8_t family, const uint8_t *addr)
{
	for (uint32_t i = 0; i < g->n_resolvers; i++)
		if (g->resolvers[i].family == family &&
		    prefix_match(addr, g->resolvers[i].addr, g->resolvers[i].plen))
			return true;
	return false;
}

static bool
is_icmp(const struct mg_pkt *p)
{
	return p->l4 && p->proto == (p->family == MGI_FAMILY_IPV4 ? 1 : 58);
}

/* The configured allowances, in the reference's order. */
static bool
allowance(const struct dp_gen *g, unsigned int dir, const struct mg_pkt *p, uint8_t *why)
{
	uint32_t fl = g->img.allowances->flags;
	bool from = dir == MG_DIR_FROM_DEVICE;

	if ((fl & MGI_ALLOW_ARP) && p->family == MGI_FAMILY_ETH && p->ethertype == 0x0806) {
		*why = MG_R_ALLOW_ARP;
		return true;
	}
	if (p->family == MGI_FAMILY_ETH)
		return false;
	if ((fl & MGI_ALLOW_ND) && p->family == MGI_FAMILY_IPV6 && is_icmp(p) &&
	    p->icmp_type >= 133 && p->icmp_type <= 137) {
		*why = MG_R_ALLOW_ND;
		return true;
	}
	if (!p->l4)
		return false;
	if ((fl & MGI_ALLOW_DHCP) && p->proto == 17) {
		uint16_t cli = p->family == MGI_FAMILY_IPV4 ? 68 : 546;
		uint16_t srv = p->family == MGI_FAMILY_IPV4 ? 67 : 547;
		if ((from && p->sport == cli && p->dport == srv) ||
		    (!from && p->sport == srv && p->dport == cli)) {
			*why = MG_R_ALLOW_DHCP;
			return true;
		}
	}
	if ((fl & MGI_ALLOW_DNS) && g->n_resolvers && (p->proto == 17 || p->proto == 6)) {
		if ((from && p->dport == 53 && resolver_match(g, p->family, p->dst_addr)) ||
		    (!from && p->sport == 53 && resolver_match(g, p->family, p->src_addr))) {
			*why = MG_R_ALLOW_DNS;
			return true;
		}
	}
	return false;
}

static inline void
side_done(struct side *s, uint8_t verdict, uint8_t reason, uint32_t policy, uint32_t ace)
{
	s->state = SIDE_DONE;
	s->verdict = verdict;
	s->reason = reason;
	s->policy = policy;
	s->ace = ace;
}

static void
fill_key_common(uint8_t *proto, uint8_t *meta4, const struct mg_pkt *p)
{
	uint8_t meta = 0;
	*proto = p->proto;
	if (p->l4) {
		meta |= DP_META_L4;
		if (p->proto == 6 || p->proto == 17 || p->proto == 132 || p->proto == 33)
			meta |= DP_META_PORTS;
		if (p->proto == 6)
			meta |= DP_META_TCP;
		if (is_icmp(p))
			meta |= DP_META_ICMP;
	}
	meta4[0] = meta;
	meta4[1] = (meta & DP_META_TCP) ? p->tcp_flags : 0;
	meta4[2] = (meta & DP_META_ICMP) ? p->icmp_type : 0;
	meta4[3] = (meta & DP_META_ICMP) ? p->icmp_code : 0;
}

/* Steps before the ACEs for one side; may queue an rte_acl key. */
static void
side_prepare(const struct dp_gen *g, uint64_t slot, unsigned int dir, const struct mg_pkt *p,
	     struct side *s, struct dp_acl4_key *k4, uint32_t *n4, struct dp_acl6_key *k6,
	     uint32_t *n6)
{
	const struct mgi_profile *prof = &g->img.profiles[dp_slot_state(slot)];
	uint32_t policy;
	uint8_t why;

	if (prof->mode == MGI_PROFILE_DENY_ALL)
		return side_done(s, MG_DENY, MG_R_PROFILE_DENY_ALL, MGI_NO_POLICY, MGI_NO_POLICY);
	if (prof->mode == MGI_PROFILE_ALLOW_ALL)
		return side_done(s, MG_ALLOW, MG_R_PROFILE_ALLOW_ALL, MGI_NO_POLICY, MGI_NO_POLICY);
	if (p->malformed)
		return side_done(s, MG_DENY, MG_R_MALFORMED, MGI_NO_POLICY, MGI_NO_POLICY);
	if (allowance(g, dir, p, &why))
		return side_done(s, MG_ALLOW, why, MGI_NO_POLICY, MGI_NO_POLICY);
	if (prof->mode == MGI_PROFILE_POLICY) {
		policy = prof->policy;
	} else if (prof->mode == MGI_PROFILE_OWN) {
		uint32_t pid = dp_slot_pid(slot);
		policy = pid < g->n_pid_map ? g->pid_map[pid] : MGI_NO_POLICY;
	} else {
		policy = MGI_NO_POLICY;
	}
	if (policy == MGI_NO_POLICY)
		return side_done(s, MG_DENY, MG_R_PROFILE_NO_POLICY, MGI_NO_POLICY, MGI_NO_POLICY);

	s->policy = policy;
	if (p->family == MGI_FAMILY_ETH) {
		const struct dp_policy_info *pi = &g->pol[policy];
		const uint32_t *list = &g->eth_aces[pi->eth_first[dir]];
		for (uint32_t i = 0; i < pi->eth_n[dir]; i++) {
			const struct dp_ace_info *ai = &g->ace[list[i]];
			if ((ai->match_lo & MGI_M_ETHERTYPE) && ai->ethertype != p->ethertype)
				continue;
			if (ai->flags & DP_ACE_ACCEPT)
				return side_done(s, MG_ALLOW, MG_R_ACE_ACCEPT, policy, list[i]);
			return side_done(s, MG_DENY, MG_R_ACE_DROP, policy, list[i]);
		}
		return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, policy, MGI_NO_POLICY);
	}
	uint32_t pdir = rte_cpu_to_be_32(policy * 2 + dir);
	if (p->family == MGI_FAMILY_IPV4) {
		if (!g->acl[0])
			return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, policy, MGI_NO_POLICY);
		struct dp_acl4_key *k = &k4[*n4];
		fill_key_common(&k->proto, &k->meta, p);
		k->pdir = pdir;
		memcpy(&k->src, p->src_addr, 4);
		memcpy(&k->dst, p->dst_addr, 4);
		k->sport = rte_cpu_to_be_16(p->sport);
		k->dport = rte_cpu_to_be_16(p->dport);
		s->family_idx = 0;
		s->key = (*n4)++;
	} else {
		if (!g->acl[1])
			return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, policy, MGI_NO_POLICY);
		struct dp_acl6_key *k = &k6[*n6];
		fill_key_common(&k->proto, &k->meta, p);
		k->pdir = pdir;
		memcpy(k->src, p->src_addr, 16);
		memcpy(k->dst, p->dst_addr, 16);
		k->sport = rte_cpu_to_be_16(p->sport);
		k->dport = rte_cpu_to_be_16(p->dport);
		s->family_idx = 1;
		s->key = (*n6)++;
	}
	s->state = SIDE_ACL;
}

static void
flow_key_of(struct dp_flow_key *k, const uint8_t mac[6], unsigned int dir, const struct mg_pkt *p,
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

/* Resolves an ACL side; *opens when the deciding ACE initiates a direction-initiated flow. */
static void
side_resolve(const struct dp_gen *g, struct side *s, unsigned int dir, const struct mg_pkt *p,
	     const uint8_t *mac, const uint32_t *res, uint32_t cats, struct dp_flow_table *ft,
	     uint64_t now, bool *opens)
{
	uint32_t r0 = res[s->key * cats + DP_CAT_MAIN];
	uint32_t best = r0;

	*opens = false;
	if (cats > 1) {
		uint32_t r1 = res[s->key * cats + DP_CAT_REVERSE];
		if (r1 && (!r0 || r1 < r0) && ft) {
			struct dp_flow_key k;
			flow_key_of(&k, mac, !dir, p, true);
			if (dp_flow_lookup(ft, &k, p->tcp_flags, now))
				best = r1;
		}
	}
	if (!best)
		return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, s->policy, MGI_NO_POLICY);
	uint32_t ace = best - 1;
	const struct dp_ace_info *ai = &g->ace[ace];
	if (!(ai->flags & DP_ACE_ACCEPT))
		return side_done(s, MG_DENY, MG_R_ACE_DROP, s->policy, ace);
	if ((ai->flags & (DP_ACE_DIR_INIT | DP_ACE_REVERSE)) == DP_ACE_DIR_INIT &&
	    (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		*opens = true;
	side_done(s, MG_ALLOW, MG_R_ACE_ACCEPT, s->policy, ace);
}

static const uint8_t drop_of_reason[MG_R_COUNT_] = {
	[MG_R_ACE_DROP] = DP_DROP_ACE_DROP,
	[MG_R_DEFAULT_DENY] = DP_DROP_DEFAULT_DENY,
	[MG_R_MALFORMED] = DP_DROP_MALFORMED,
	[MG_R_PROFILE_DENY_ALL] = DP_DROP_PROFILE_DENY_ALL,
	[MG_R_PROFILE_NO_POLICY] = DP_DROP_PROFILE_NO_POLICY,
};

void
dp_classify_burst(const struct dp_gen *g, const struct dp_devs *devs, struct dp_flow_table *ft,
		  struct dp_pkt *pk, uint32_t n, struct dp_wstats *ws, uint32_t worker,
		  uint64_t now)
{
	const void *keys[2 * DP_BURST_MAX];
	uint64_t kbuf[2 * DP_BURST_MAX]; /* aligned copies: rte_hash_crc reads 4-byte words */
	int32_t pos[2 * DP_BURST_MAX];
	struct side sides[DP_BURST_MAX][2];
	struct dp_acl4_key k4[2 * DP_BURST_MAX];
	struct dp_acl6_key k6[2 * DP_BURST_MAX];
	const uint8_t *d4[2 * DP_BURST_MAX], *d6[2 * DP_BURST_MAX];
	uint32_t r4[2 * DP_BURST_MAX * RTE_ACL_RESULTS_MULTIPLIER];
	uint32_t r6[2 * DP_BURST_MAX * RTE_ACL_RESULTS_MULTIPLIER];
	uint32_t n4 = 0, n6 = 0;
	size_t stride = RTE_ALIGN_CEIL((size_t)g->img.n_aces + 1, 8);
	uint64_t *hits = g->rule_hits + stride * (worker < g->n_workers ? worker : 0);

	/* 1. bulk device lookup: source then destination MAC of each frame */
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&kbuf[2 * i], pk[i].p.src_mac, 6);
		memcpy(&kbuf[2 * i + 1], pk[i].p.dst_mac, 6);
		keys[2 * i] = &kbuf[2 * i];
		keys[2 * i + 1] = &kbuf[2 * i + 1];
	}
	if (n)
		rte_hash_lookup_bulk(devs->h, keys, 2 * n, pos);

	/* 2. everything before the ACEs; queue rte_acl keys */
	for (uint32_t i = 0; i < n; i++) {
		for (unsigned int side = 0; side < 2; side++) {
			struct side *s = &sides[i][side];
			s->state = SIDE_NONE;
			pk[i].pos[side] = pos[2 * i + side];
			if (pos[2 * i + side] < 0)
				continue;
			uint64_t slot =
				__atomic_load_n(&devs->slot[pos[2 * i + side]], __ATOMIC_ACQUIRE);
			pk[i].slot[side] = slot;
			side_prepare(g, slot, side, &pk[i].p, s, k4, &n4, k6, &n6);
		}
	}

	/* 3. one rte_acl call per family for the whole burst */
	if (n4) {
		for (uint32_t k = 0; k < n4; k++)
			d4[k] = (const uint8_t *)&k4[k];
		rte_acl_classify(g->acl[0], d4, r4, n4, g->categories[0]);
	}
	if (n6) {
		for (uint32_t k = 0; k < n6; k++)
			d6[k] = (const uint8_t *)&k6[k];
		rte_acl_classify(g->acl[1], d6, r6, n6, g->categories[1]);
	}

	/* 4. in frame order: flows, both-sides rule, counters, new flows */
	for (uint32_t i = 0; i < n; i++) {
		struct dp_pkt *x = &pk[i];
		bool opens[2] = {false, false};
		bool decided = false;

		x->verdict = MG_ALLOW;
		x->reason = MG_R_NOT_DEVICE;
		x->policy = MGI_NO_POLICY;
		x->ace = MGI_NO_POLICY;
		for (unsigned int side = 0; side < 2 && !decided; side++) {
			struct side *s = &sides[i][side];
			const uint8_t *mac = side == 0 ? x->p.src_mac : x->p.dst_mac;
			if (s->state == SIDE_NONE)
				continue;
			if (s->state == SIDE_ACL) {
				bool v6 = s->family_idx;
				side_resolve(g, s, side, &x->p, mac, v6 ? r6 : r4,
					     g->categories[v6], ft, now, &opens[side]);
			}
			x->verdict = s->verdict;
			x->reason = s->reason;
			x->policy = s->policy;
			x->ace = s->ace;
			if (s->ace != MGI_NO_POLICY)
				hits[s->ace]++;
			if (s->verdict == MG_DENY)
				decided = true;
		}
		if (x->verdict == MG_ALLOW) {
			for (unsigned int side = 0; side < 2; side++) {
				struct dp_flow_key k;
				if (!opens[side] || !ft)
					continue;
				flow_key_of(&k, side == 0 ? x->p.src_mac : x->p.dst_mac, side,
					    &x->p, false);
				if (dp_flow_add(ft, &k, now) < 0 && ws)
					ws->flow_overflow++;
				else if (ws)
					ws->flow_added++;
			}
		}
		if (!ws)
			continue;
		ws->reasons[x->reason]++;
		if (x->verdict == MG_ALLOW) {
			ws->allowed++;
		} else {
			ws->denied++;
			ws->drops[drop_of_reason[x->reason]]++;
		}
		for (unsigned int side = 0; side < 2; side++) {
			if (x->pos[side] < 0)
				continue;
			struct dp_dev_ctr *c =
				&devs->ctr[(size_t)(worker < devs->n_workers ? worker : 0) *
						   devs->cap +
					   (uint32_t)x->pos[side]];
			if (x->verdict == MG_ALLOW) {
				c->allow_pkts++;
				c->allow_bytes += x->len;
			} else {
				c->deny_pkts++;
				c->deny_bytes += x->len;
			}
		}
	}
}
