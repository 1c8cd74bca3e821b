/* SPDX-License-Identifier: BSD-3-Clause */
/* Burst classification (dp_classify.h). */
#include <string.h>

#include <rte_branch_prediction.h>
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
	uint8_t ctx; /* with SIDE_ACL: dp_gen.acl index (family + 2 * overlay) */
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

/* The configured allowances, in the reference's order. */
static bool
allowance(const struct dp_gen *g, unsigned int dir, const struct dp_pkt *x, uint8_t *why)
{
	uint32_t fl = g->img.allowances->flags;
	bool from = dir == MG_DIR_FROM_DEVICE;
	uint8_t meta = x->key.k4.meta, proto = x->key.k4.proto;

	if ((fl & MGI_ALLOW_ARP) && x->family == MGI_FAMILY_ETH && x->ethertype == 0x0806) {
		*why = MG_R_ALLOW_ARP;
		return true;
	}
	if (x->family == MGI_FAMILY_ETH || !(meta & DP_META_L4))
		return false;
	if ((fl & MGI_ALLOW_ND) && x->family == MGI_FAMILY_IPV6 && (meta & DP_META_ICMP) &&
	    dp_pkt_icmp_type(x) >= 133 && dp_pkt_icmp_type(x) <= 137) {
		*why = MG_R_ALLOW_ND;
		return true;
	}
	if (proto != 17 && proto != 6)
		return false;
	uint16_t sport = dp_pkt_sport(x), dport = dp_pkt_dport(x);
	if ((fl & MGI_ALLOW_DHCP) && proto == 17) {
		uint16_t cli = x->family == MGI_FAMILY_IPV4 ? 68 : 546;
		uint16_t srv = x->family == MGI_FAMILY_IPV4 ? 67 : 547;
		if ((from && sport == cli && dport == srv) ||
		    (!from && sport == srv && dport == cli)) {
			*why = MG_R_ALLOW_DHCP;
			return true;
		}
	}
	if ((fl & MGI_ALLOW_DNS) && g->n_resolvers) {
		if ((from && dport == 53 && resolver_match(g, x->family, dp_pkt_dst(x))) ||
		    (!from && sport == 53 && resolver_match(g, x->family, dp_pkt_src(x)))) {
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

/* rte_acl keys of one burst: the frames' own keys, plus copies for frames with two ACL sides */
struct keys {
	const uint8_t *d[4][2 * DP_BURST_MAX]; /* [dp_gen.acl index] key pointers */
	uint32_t n[4];
	struct dp_acl6_key extra[DP_BURST_MAX]; /* second sides (an IPv4 key fits) */
	uint32_t n_extra;
};

/* Steps before the ACEs for one side; may queue an rte_acl key. */
static void
side_prepare(const struct dp_gen *g, uint64_t slot, unsigned int dir, struct dp_pkt *x,
	     struct side *s, struct keys *k, bool copy)
{
	const struct mgi_profile *prof = &g->img.profiles[dp_slot_state(slot)];
	uint32_t policy;
	uint8_t why;

	if (prof->mode == MGI_PROFILE_DENY_ALL)
		return side_done(s, MG_DENY, MG_R_PROFILE_DENY_ALL, MGI_NO_POLICY, MGI_NO_POLICY);
	if (prof->mode == MGI_PROFILE_ALLOW_ALL)
		return side_done(s, MG_ALLOW, MG_R_PROFILE_ALLOW_ALL, MGI_NO_POLICY, MGI_NO_POLICY);
	if (x->malformed)
		return side_done(s, MG_DENY, MG_R_MALFORMED, MGI_NO_POLICY, MGI_NO_POLICY);
	if (allowance(g, dir, x, &why))
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
	if (x->family == MGI_FAMILY_ETH) {
		const struct dp_policy_info *pi = &g->pol[policy];
		const uint32_t *list = &g->eth_aces[pi->eth_first[dir]];
		for (uint32_t i = 0; i < pi->eth_n[dir]; i++) {
			const struct dp_ace_info *ai = &g->ace[list[i]];
			if ((ai->match_lo & MGI_M_ETHERTYPE) && ai->ethertype != x->ethertype)
				continue;
			if (ai->flags & DP_ACE_ACCEPT)
				return side_done(s, MG_ALLOW, MG_R_ACE_ACCEPT, policy, list[i]);
			return side_done(s, MG_DENY, MG_R_ACE_DROP, policy, list[i]);
		}
		return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, policy, MGI_NO_POLICY);
	}
	const struct dp_policy_info *pi = &g->pol[policy];
	unsigned int v6 = x->family == MGI_FAMILY_IPV6;
	unsigned int c = v6 + 2u * pi->overlay;
	if (!g->acl[c])
		return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, policy, MGI_NO_POLICY);
	/* the frame's own key, or a copy when its other side already uses it */
	struct dp_acl4_key *key = &x->key.k4;
	if (copy) {
		key = (struct dp_acl4_key *)&k->extra[k->n_extra++];
		memcpy(key, &x->key, v6 ? sizeof(struct dp_acl6_key) : sizeof(struct dp_acl4_key));
	}
	key->pdir = rte_cpu_to_be_16((uint16_t)(pi->acl_pol * 2 + dir)); /* < DP_MAX_POLICIES */
	s->ctx = (uint8_t)c;
	s->key = k->n[c];
	k->d[c][k->n[c]++] = (const uint8_t *)key;
	s->state = SIDE_ACL;
}

static void
flow_key_of(struct dp_flow_key *k, const uint8_t *mac, unsigned int dir, const struct dp_pkt *x,
	    bool reverse)
{
	unsigned int alen = x->family == MGI_FAMILY_IPV4 ? 4 : 16;
	memset(k, 0, sizeof(*k));
	memcpy(k->mac, mac, 6);
	k->dir = (uint8_t)dir;
	k->family = x->family;
	memcpy(k->src, reverse ? dp_pkt_dst(x) : dp_pkt_src(x), alen);
	memcpy(k->dst, reverse ? dp_pkt_src(x) : dp_pkt_dst(x), alen);
	k->sport = reverse ? dp_pkt_dport(x) : dp_pkt_sport(x);
	k->dport = reverse ? dp_pkt_sport(x) : dp_pkt_dport(x);
}

/* Resolves an ACL side; *opens when the deciding ACE initiates a direction-initiated flow. */
static void
side_resolve(const struct dp_gen *g, struct side *s, unsigned int dir, const struct dp_pkt *p,
	     const uint8_t *mac, const uint32_t *res, uint32_t cats, struct dp_flow_table *ft,
	     uint64_t now, bool *opens)
{
	/* results are ACE indexes + 1 of the context's image: the base's or this one's (both
	 * in the policy's order, so comparing them within one context compares positions) */
	uint32_t r0 = res[s->key * cats + DP_CAT_MAIN];
	uint32_t best = r0;

	*opens = false;
	if (cats > 1) {
		uint32_t r1 = res[s->key * cats + DP_CAT_REVERSE];
		if (r1 && (!r0 || r1 < r0) && ft) {
			struct dp_flow_key k;
			flow_key_of(&k, mac, !dir, p, true);
			if (dp_flow_lookup(ft, &k, p->key.k4.tcp_icmp, now))
				best = r1;
		}
	}
	if (!best)
		return side_done(s, MG_DENY, MG_R_DEFAULT_DENY, s->policy, MGI_NO_POLICY);
	uint32_t ace = s->ctx < 2 ? g->base_ace[best - 1] : best - 1;
	const struct dp_ace_info *ai = &g->ace[ace];
	if (!(ai->flags & DP_ACE_ACCEPT))
		return side_done(s, MG_DENY, MG_R_ACE_DROP, s->policy, ace);
	if ((ai->flags & (DP_ACE_DIR_INIT | DP_ACE_REVERSE)) == DP_ACE_DIR_INIT &&
	    (p->key.k4.tcp_icmp & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		*opens = true;
	side_done(s, MG_ALLOW, MG_R_ACE_ACCEPT, s->policy, ace);
}

/* drop counter + 1 of each deny reason; 0 for the allow reasons */
static const uint8_t drop_of_reason[MG_R_COUNT_] = {
	[MG_R_ACE_DROP] = DP_DROP_ACE_DROP + 1,
	[MG_R_DEFAULT_DENY] = DP_DROP_DEFAULT_DENY + 1,
	[MG_R_MALFORMED] = DP_DROP_MALFORMED + 1,
	[MG_R_PROFILE_DENY_ALL] = DP_DROP_PROFILE_DENY_ALL + 1,
	[MG_R_PROFILE_NO_POLICY] = DP_DROP_PROFILE_NO_POLICY + 1,
};

/* The distinct MACs of a burst: a small open-addressing set over at most 2 * DP_BURST_MAX keys. */
#define UNIQ_SLOTS 128

static inline uint32_t
uniq_hash(uint64_t mac)
{
	return (uint32_t)((mac * 0x9e3779b97f4a7c15ull) >> 57); /* 7 bits */
}

static inline uint32_t
cache_idx(uint64_t mac)
{
	return (uint32_t)((mac * 0x9e3779b97f4a7c15ull) >> 40) & (DP_DEV_CACHE_SIZE - 1);
}

/* Positions of the keys ukey[0..nu): from the cache where it has them, the rest in one bulk
 * lookup (whose answers fill the cache). */
static void
lookup_devs(const struct dp_devs *devs, struct dp_dev_cache *dc, const uint64_t *ukey, uint32_t nu,
	    int32_t *upos)
{
	const void *kp[2 * DP_BURST_MAX];
	uint32_t miss[2 * DP_BURST_MAX], nm = 0;
	int32_t mpos[2 * DP_BURST_MAX];

	if (!dc) {
		for (uint32_t u = 0; u < nu; u++)
			kp[u] = &ukey[u];
		rte_hash_lookup_bulk(devs->h, kp, nu, upos);
		return;
	}
	uint64_t epoch = __atomic_load_n(&devs->epoch, __ATOMIC_ACQUIRE);
	if (unlikely(epoch != dc->epoch)) {
		dc->epoch = epoch;
		if (++dc->stamp == 0) {
			memset(dc->e, 0, sizeof(dc->e));
			dc->stamp = 1;
		}
	}
	for (uint32_t u = 0; u < nu; u++)
		rte_prefetch0(&dc->e[cache_idx(ukey[u])]);
	for (uint32_t u = 0; u < nu; u++) {
		const struct dp_dev_cache_ent *e = &dc->e[cache_idx(ukey[u])];
		if (e->stamp == dc->stamp && e->mac == ukey[u]) {
			upos[u] = e->pos;
			continue;
		}
		kp[nm] = &ukey[u];
		miss[nm++] = u;
	}
	dc->hits += nu - nm;
	dc->misses += nm;
	if (!nm)
		return;
	rte_hash_lookup_bulk(devs->h, kp, nm, mpos);
	for (uint32_t j = 0; j < nm; j++) {
		uint32_t u = miss[j];
		struct dp_dev_cache_ent *e = &dc->e[cache_idx(ukey[u])];
		upos[u] = mpos[j] < 0 ? -1 : mpos[j];
		*e = (struct dp_dev_cache_ent){ukey[u], upos[u], dc->stamp};
	}
}

/* The slot of position pos for MAC mac, or 0 when pos no longer holds mac (a stale cache
 * entry: looked up again) or holds no device. */
static inline uint64_t
slot_of(const struct dp_devs *devs, struct dp_dev_cache *dc, uint64_t mac, int32_t *pos)
{
	const struct dp_dev_slot *ds = &devs->slot[*pos];
	uint64_t word = __atomic_load_n(&ds->word, __ATOMIC_ACQUIRE);
	if (likely(__atomic_load_n(&ds->mac, __ATOMIC_RELAXED) == mac))
		return word & DP_SLOT_VALID ? word : 0;
	/* the position was handed to another MAC since the cache entry was made */
	int32_t p = rte_hash_lookup(devs->h, &mac);
	if (dc)
		dc->e[cache_idx(mac)] = (struct dp_dev_cache_ent){mac, p < 0 ? -1 : p, dc->stamp};
	*pos = p < 0 ? -1 : p;
	if (p < 0)
		return 0;
	ds = &devs->slot[p];
	word = __atomic_load_n(&ds->word, __ATOMIC_ACQUIRE);
	return word & DP_SLOT_VALID ? word : 0;
}

void
dp_classify_burst_cached(const struct dp_gen *g, const struct dp_devs *devs,
			 struct dp_dev_cache *dc, struct dp_flow_table *ft, struct dp_pkt *pk,
			 uint32_t n, struct dp_wstats *ws, uint32_t worker, uint64_t now)
{
	uint64_t ukey[2 * DP_BURST_MAX];
	int32_t upos[2 * DP_BURST_MAX];
	uint8_t uidx[2 * DP_BURST_MAX];
	uint8_t uslot[UNIQ_SLOTS];
	uint32_t nu = 0;
	struct side sides[DP_BURST_MAX][2];
	struct keys k;
	uint32_t r[4][2 * DP_BURST_MAX * RTE_ACL_RESULTS_MULTIPLIER];
	size_t stride = RTE_ALIGN_CEIL((size_t)g->img.n_aces + 1, 8);
	uint32_t wrow = worker < g->n_workers ? worker : 0;
	uint64_t *hits = g->rule_hits + stride * wrow;
	struct dp_dev_ctr *dctr =
		devs->ctr + (size_t)(worker < devs->n_workers ? worker : 0) * devs->cap;
	uint64_t n_allowed = 0, rx_reason[MG_R_COUNT_] = {0};

	if (!n)
		return;
	k.n[0] = k.n[1] = k.n[2] = k.n[3] = 0;
	k.n_extra = 0;

	/* 1. the burst's distinct MACs (source, destination of each frame), looked up at once */
	memset(uslot, 0, sizeof(uslot));
	for (uint32_t j = 0; j < 2 * n; j++) {
		uint64_t m = pk[j >> 1].mac[j & 1];
		uint32_t h = uniq_hash(m);
		while (uslot[h] && ukey[uslot[h] - 1] != m)
			h = (h + 1) & (UNIQ_SLOTS - 1);
		if (!uslot[h]) {
			ukey[nu] = m;
			uslot[h] = (uint8_t)++nu;
		}
		uidx[j] = (uint8_t)(uslot[h] - 1);
	}
	lookup_devs(devs, dc, ukey, nu, upos);
	for (uint32_t u = 0; u < nu; u++) {
		if (upos[u] < 0)
			continue;
		rte_prefetch0(&devs->slot[upos[u]]);
		rte_prefetch0(&dctr[upos[u]]);
	}

	/* 2. everything before the ACEs; queue rte_acl keys */
	for (uint32_t i = 0; i < n; i++) {
		struct dp_pkt *x = &pk[i];
		bool acl0 = false;
		for (unsigned int side = 0; side < 2; side++) {
			struct side *s = &sides[i][side];
			int32_t pos = upos[uidx[2 * i + side]];
			s->state = SIDE_NONE;
			x->pos[side] = -1;
			if (pos < 0)
				continue;
			uint64_t slot = slot_of(devs, dc, x->mac[side], &pos);
			if (!slot)
				continue;
			x->pos[side] = pos;
			x->slot[side] = slot;
			side_prepare(g, slot, side, x, s, &k, acl0);
			acl0 = s->state == SIDE_ACL;
		}
	}

	/* 3. one rte_acl call per family for the whole burst (base), and one per family on the
	 * overlay when some frame's policy is there */
	for (unsigned int f = 0; f < 4; f++)
		if (k.n[f])
			rte_acl_classify(g->acl[f], k.d[f], r[f], k.n[f], g->categories[f]);

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
			if (s->state == SIDE_NONE)
				continue;
			if (s->state == SIDE_ACL) {
				unsigned int f = s->ctx;
				side_resolve(g, s, side, x, dp_pkt_mac(x, side), r[f],
					     g->categories[f], ft, now, &opens[side]);
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
		if (x->verdict == MG_ALLOW && (opens[0] || opens[1]) && ft) {
			for (unsigned int side = 0; side < 2; side++) {
				struct dp_flow_key fk;
				if (!opens[side])
					continue;
				flow_key_of(&fk, dp_pkt_mac(x, side), side, x, false);
				if (dp_flow_add(ft, &fk, now) < 0) {
					if (ws)
						ws->flow_overflow++;
				} else if (ws) {
					ws->flow_added++;
				}
			}
		}
		rx_reason[x->reason]++;
		n_allowed += x->verdict == MG_ALLOW;
		for (unsigned int side = 0; side < 2; side++) {
			if (x->pos[side] < 0)
				continue;
			struct dp_dev_ctr *c = &dctr[x->pos[side]];
			if (x->verdict == MG_ALLOW) {
				c->allow_pkts++;
				c->allow_bytes += x->len;
			} else {
				c->deny_pkts++;
				c->deny_bytes += x->len;
			}
		}
	}
	if (!ws)
		return;
	ws->allowed += n_allowed;
	ws->denied += n - n_allowed;
	for (unsigned int rs = 0; rs < MG_R_COUNT_; rs++) {
		ws->reasons[rs] += rx_reason[rs];
		if (drop_of_reason[rs])
			ws->drops[drop_of_reason[rs] - 1] += rx_reason[rs];
	}
}

void
dp_classify_burst(const struct dp_gen *g, const struct dp_devs *devs, struct dp_flow_table *ft,
		  struct dp_pkt *pk, uint32_t n, struct dp_wstats *ws, uint32_t worker,
		  uint64_t now)
{
	dp_classify_burst_cached(g, devs, NULL, ft, pk, n, ws, worker, now);
}
