/* SPDX-License-Identifier: BSD-3-Clause */
/* Burst classification (dp_classify.h). */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
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

/* Flow-table dependence of a frame's decision (struct vc_val.fdep): per side, bit 2 * side
 * when the flow table was consulted, bit 2 * side + 1 when it held the flow; FDEP_NO_TABLE
 * when a reverse direction-initiated ACE could decide but there was no table. */
#define FDEP_NO_TABLE 0x80

/* Resolves an ACL side; *opens when the deciding ACE initiates a direction-initiated flow;
 * records in *fdep what the decision took from the flow table. */
static void
side_resolve(const struct dp_gen *g, struct side *s, unsigned int dir, const struct dp_pkt *p,
	     const uint8_t *mac, const uint32_t *res, uint32_t cats, struct dp_flow_table *ft,
	     uint64_t now, bool *opens, uint8_t *fdep)
{
	/* results are ACE indexes + 1 of the context's image: the base's or this one's (both
	 * in the policy's order, so comparing them within one context compares positions) */
	uint32_t r0 = res[s->key * cats + DP_CAT_MAIN];
	uint32_t best = r0;

	*opens = false;
	if (cats > 1) {
		uint32_t r1 = res[s->key * cats + DP_CAT_REVERSE];
		if (r1 && (!r0 || r1 < r0) && !ft)
			*fdep |= FDEP_NO_TABLE;
		if (r1 && (!r0 || r1 < r0) && ft) {
			struct dp_flow_key k;
			flow_key_of(&k, mac, !dir, p, true);
			*fdep |= (uint8_t)(1u << (2 * dir));
			if (dp_flow_lookup(ft, &k, p->key.k4.tcp_icmp, now)) {
				best = r1;
				*fdep |= (uint8_t)(2u << (2 * dir));
			}
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

/* ---- verdict cache (dp_classify.h) ------------------------------------------------------- */

/* Entry: key words, then struct vc_val; IPv4 8 words (one cache line), IPv6 16 (two). */
#define VC_KW4 4
#define VC_KW6 7
#define VC_EW4 8
#define VC_EW6 16

struct vc_val {
	uint32_t stamp; /* 0: empty */
	int32_t pos[2];
	uint32_t policy, ace;
	uint32_t hit[2]; /* ACEs whose hit counters move, or MGI_NO_POLICY */
	uint8_t verdict, reason;
	uint8_t fdep; /* the flow-table lookups the decision made and their answers */
	uint8_t pad;
};

struct dp_vcache {
	uint64_t gen_uid, epoch;
	uint32_t stamp;
	uint32_t mask[2]; /* [0] IPv4, [1] IPv6: entries - 1 (tab NULL: not cached) */
	uint8_t shift[2]; /* 32 - log2(entries) */
	uint64_t *tab[2];
	struct dp_vcache_stats st;
};

static uint64_t *
vc_table(uint32_t entries, uint32_t words, uint32_t *mask, uint8_t *shift, int socket_id)
{
	uint32_t n = rte_align32pow2(entries < 64 ? 64 : entries);
	*mask = n - 1;
	*shift = (uint8_t)(32 - rte_log2_u32(n));
	return rte_zmalloc_socket("mg_vcache", (size_t)n * words * 8, RTE_CACHE_LINE_SIZE,
				  socket_id);
}

struct dp_vcache *
dp_vcache_create(uint32_t entries4, uint32_t entries6, int socket_id)
{
	struct dp_vcache *vc =
		rte_zmalloc_socket("mg_vcache", sizeof(*vc), RTE_CACHE_LINE_SIZE, socket_id);
	if (!vc)
		return NULL;
	vc->stamp = 1;
	if ((entries4 &&
	     !(vc->tab[0] = vc_table(entries4, VC_EW4, &vc->mask[0], &vc->shift[0], socket_id))) ||
	    (entries6 &&
	     !(vc->tab[1] = vc_table(entries6, VC_EW6, &vc->mask[1], &vc->shift[1], socket_id)))) {
		dp_vcache_destroy(vc);
		rte_errno = ENOMEM;
		return NULL;
	}
	return vc;
}

void
dp_vcache_destroy(struct dp_vcache *vc)
{
	if (!vc)
		return;
	rte_free(vc->tab[0]);
	rte_free(vc->tab[1]);
	rte_free(vc);
}

const struct dp_vcache_stats *
dp_vcache_stats(const struct dp_vcache *vc)
{
	return &vc->st;
}

size_t
dp_vcache_bytes(const struct dp_vcache *vc)
{
	return (vc->tab[0] ? ((size_t)vc->mask[0] + 1) * VC_EW4 * 8 : 0) +
	       (vc->tab[1] ? ((size_t)vc->mask[1] + 1) * VC_EW6 * 8 : 0);
}

/* Empties the cache when the generation or the bindings changed since its entries were made. */
static void
vc_sync(struct dp_vcache *vc, const struct dp_gen *g, const struct dp_devs *devs)
{
	uint64_t epoch = __atomic_load_n(&devs->epoch, __ATOMIC_ACQUIRE);
	if (likely(vc->gen_uid == g->uid && vc->epoch == epoch))
		return;
	vc->gen_uid = g->uid;
	vc->epoch = epoch;
	vc->st.flushes++;
	if (++vc->stamp == 0) { /* after 2^32 flushes: clear for real */
		for (unsigned int f = 0; f < 2; f++)
			if (vc->tab[f])
				memset(vc->tab[f], 0,
				       ((size_t)vc->mask[f] + 1) * (f ? VC_EW6 : VC_EW4) * 8);
		vc->stamp = 1;
	}
}

/* The key words of a frame: 0 when it is not cacheable, else the number of words. */
static inline unsigned int
vc_key(const struct dp_pkt *x, uint64_t *k)
{
	const struct dp_acl4_key *a = &x->key.k4;
	if (x->malformed || x->family == MGI_FAMILY_ETH)
		return 0;
	k[0] = x->mac[0] | (uint64_t)a->proto << 48 | (uint64_t)a->meta << 56;
	k[1] = x->mac[1] | (uint64_t)a->tcp_icmp << 48 | (uint64_t)x->family << 56;
	if (x->family == MGI_FAMILY_IPV4) {
		k[2] = (uint64_t)a->src | (uint64_t)a->dst << 32;
		k[3] = (uint64_t)a->sport | (uint64_t)a->dport << 16;
		return VC_KW4;
	}
	const struct dp_acl6_key *b = &x->key.k6;
	memcpy(&k[2], b->src, 16);
	memcpy(&k[4], b->dst, 16);
	k[6] = (uint64_t)b->sport | (uint64_t)b->dport << 16;
	return VC_KW6;
}

static inline uint32_t
vc_hash(const uint64_t *k, unsigned int kw)
{
	uint32_t h = 0x5bd1e995;
	for (unsigned int i = 0; i < kw; i++)
		h = rte_hash_crc_8byte(k[i], h);
	/* CRC32C is linear: keys that differ in a few structured fields (sequential MACs and
	 * addresses) can share low bits; a multiply-xorshift finaliser spreads them */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline uint64_t *
vc_ent(const struct dp_vcache *vc, unsigned int f, uint32_t h, unsigned int which)
{
	uint32_t i = which ? (uint32_t)(h * 0x9e3779b1u) >> vc->shift[f] : h & vc->mask[f];
	return vc->tab[f] + (size_t)i * (f ? VC_EW6 : VC_EW4);
}

static inline bool
vc_match(const uint64_t *e, const uint64_t *k, unsigned int kw, uint32_t stamp)
{
	const struct vc_val *v = (const struct vc_val *)(e + kw);
	uint64_t d = 0;
	for (unsigned int i = 0; i < kw; i++)
		d |= e[i] ^ k[i];
	return !d && v->stamp == stamp;
}

/* Per-frame state of the cache within one burst. */
struct vc_burst {
	uint64_t k[DP_BURST_MAX][VC_KW6];
	uint32_t h[DP_BURST_MAX];
	uint8_t kw[DP_BURST_MAX];        /* 0: not cacheable */
	uint8_t cacheable[DP_BURST_MAX]; /* after the full path: may be recorded */
	uint8_t fdep[DP_BURST_MAX];
	uint32_t hit_ace[DP_BURST_MAX][2];
};

/* A hit: the recorded decision, and the rule counters it moves. */
static inline void
vc_apply(struct dp_pkt *x, const struct vc_val *v, uint64_t *hits, struct dp_dev_ctr *dctr)
{
	/* the device counters are written at the end of the burst */
	if (v->pos[0] >= 0)
		rte_prefetch0(&dctr[v->pos[0]]);
	if (v->pos[1] >= 0)
		rte_prefetch0(&dctr[v->pos[1]]);
	x->verdict = v->verdict;
	x->reason = v->reason;
	x->policy = v->policy;
	x->ace = v->ace;
	x->pos[0] = v->pos[0];
	x->pos[1] = v->pos[1];
	x->slot[0] = x->slot[1] = 0;
	if (v->hit[0] != MGI_NO_POLICY)
		hits[v->hit[0]]++;
	if (v->hit[1] != MGI_NO_POLICY)
		hits[v->hit[1]]++;
}

/*
 * Looks the burst up; frames found get their results and move their rule counters, the others
 * are listed in todo[] in frame order. Returns the number of those.
 *
 * An entry that recorded flow-table answers is used only when the same lookups, made now (in
 * one bulk lookup for the burst), give the same answers. Within a burst the full path sees the
 * flows its earlier frames opened; so that a hit never skips a flow opened earlier in the same
 * burst, such entries' frames after the burst's first TCP SYN (without ACK) take the full
 * path.
 */
static uint32_t
vc_lookup(struct dp_vcache *vc, struct vc_burst *vb, struct dp_pkt *pk, uint32_t n, uint64_t *hits,
	  struct dp_dev_ctr *dctr, uint32_t *todo, struct dp_flow_table *ft, uint64_t now)
{
	const struct vc_val *found[DP_BURST_MAX];
	struct dp_flow_key fkey[2 * DP_BURST_MAX];
	const struct dp_flow_key *fkp[2 * DP_BURST_MAX];
	uint8_t fflags[2 * DP_BURST_MAX];
	bool fpresent[2 * DP_BURST_MAX];
	uint32_t nf = 0, nt = 0, nh = 0, nchanged = 0;
	uint32_t syn_at = n; /* the first SYN */

	for (uint32_t i = 0; i < n; i++) {
		const struct dp_pkt *x = &pk[i];
		if (syn_at == n && (x->key.k4.meta & DP_META_TCP) &&
		    (x->key.k4.tcp_icmp & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			syn_at = i;
		unsigned int kw = vc_key(x, vb->k[i]);
		unsigned int f = kw == VC_KW6;
		if (kw && !vc->tab[f])
			kw = 0;
		vb->kw[i] = (uint8_t)kw;
		if (!kw)
			continue;
		uint32_t h = vc_hash(vb->k[i], kw);
		vb->h[i] = h;
		const uint64_t *e0 = vc_ent(vc, f, h, 0), *e1 = vc_ent(vc, f, h, 1);
		rte_prefetch0(e0);
		rte_prefetch0(e1);
		if (f) {
			rte_prefetch0(e0 + 8);
			rte_prefetch0(e1 + 8);
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		unsigned int kw = vb->kw[i];
		found[i] = NULL;
		if (!kw)
			continue;
		unsigned int f = kw == VC_KW6;
		const uint64_t *e = vc_ent(vc, f, vb->h[i], 0);
		if (!vc_match(e, vb->k[i], kw, vc->stamp)) {
			e = vc_ent(vc, f, vb->h[i], 1);
			if (!vc_match(e, vb->k[i], kw, vc->stamp))
				continue;
		}
		const struct vc_val *v = (const struct vc_val *)(e + kw);
		if (likely(!v->fdep)) {
			vc_apply(&pk[i], v, hits, dctr);
			found[i] = v;
			nh++;
			continue;
		}
		if (i > syn_at || !ft)
			continue;
		/* queue its flow lookups; decided below */
		for (unsigned int side = 0; side < 2; side++) {
			if (!(v->fdep & (1u << (2 * side))))
				continue;
			flow_key_of(&fkey[nf], dp_pkt_mac(&pk[i], side), !side, &pk[i], true);
			fkp[nf] = &fkey[nf];
			fflags[nf++] = pk[i].key.k4.tcp_icmp;
		}
		found[i] = v;
	}
	if (nf) {
		dp_flow_lookup_bulk(ft, fkp, fflags, nf, now, fpresent);
		uint32_t q = 0;
		for (uint32_t i = 0; i < n; i++) {
			const struct vc_val *v = found[i];
			if (!v || !v->fdep)
				continue;
			bool same = true;
			for (unsigned int side = 0; side < 2; side++)
				if (v->fdep & (1u << (2 * side)))
					same &= fpresent[q++] == !!(v->fdep & (2u << (2 * side)));
			if (same) {
				vc_apply(&pk[i], v, hits, dctr);
				nh++;
			} else {
				found[i] = NULL;
				nchanged++;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (!found[i])
			todo[nt++] = i;
	vc->st.hits += nh;
	vc->st.misses += nt;
	vc->st.flow_changed += nchanged;
	return nt;
}

/*
 * Both candidates of a new key are taken: moves the occupant of e to its other candidate, that
 * one's occupant to its own other candidate, and so on (a cuckoo path of at most VC_PATH
 * steps), so that e can take the new key. At the end of a path that found no free entry the
 * last occupant carried is dropped (it is a cache). Two candidates without displacement lose
 * several percent of the keys at half load; with it, almost none.
 */
#define VC_PATH 8

static void
vc_make_room(struct dp_vcache *vc, unsigned int f, unsigned int kw, uint64_t *e)
{
	uint64_t carry[VC_EW6], tmp[VC_EW6];
	size_t bytes = (size_t)(f ? VC_EW6 : VC_EW4) * 8;
	uint64_t *cur = e;

	memcpy(carry, e, bytes);
	for (unsigned int step = 0; step < VC_PATH; step++) {
		uint32_t h = vc_hash(carry, kw);
		uint64_t *a = vc_ent(vc, f, h, 0);
		if (a == cur)
			a = vc_ent(vc, f, h, 1);
		if (a == cur)
			break; /* both candidates of the carried key are this entry */
		vc->st.moves++;
		if (((const struct vc_val *)(a + kw))->stamp != vc->stamp) {
			memcpy(a, carry, bytes);
			return;
		}
		memcpy(tmp, a, bytes);
		memcpy(a, carry, bytes);
		memcpy(carry, tmp, bytes);
		cur = a;
	}
	vc->st.evictions++;
}

/* Records the cacheable frames of todo[] decided by the full path. */
static void
vc_insert(struct dp_vcache *vc, struct vc_burst *vb, const struct dp_pkt *pk, const uint32_t *todo,
	  uint32_t nt)
{
	for (uint32_t j = 0; j < nt; j++) {
		uint32_t i = todo[j];
		unsigned int kw = vb->kw[i];
		if (!kw)
			continue;
		if (!vb->cacheable[i]) {
			vc->st.uncacheable++;
			continue;
		}
		unsigned int f = kw == VC_KW6;
		uint64_t *e0 = vc_ent(vc, f, vb->h[i], 0), *e1 = vc_ent(vc, f, vb->h[i], 1);
		const struct vc_val *v0 = (const struct vc_val *)(e0 + kw);
		const struct vc_val *v1 = (const struct vc_val *)(e1 + kw);
		/* the key's own entry (its flow-table answers changed) first, then a free (stale)
		 * candidate, else the one the hash's top bit names */
		uint64_t *e = vc_match(e0, vb->k[i], kw, vc->stamp)   ? e0
			      : vc_match(e1, vb->k[i], kw, vc->stamp) ? e1
			      : v0->stamp != vc->stamp                ? e0
			      : v1->stamp != vc->stamp                ? e1
			      : vb->h[i] >> 31                        ? e1
								      : e0;
		if (((const struct vc_val *)(e + kw))->stamp == vc->stamp &&
		    !vc_match(e, vb->k[i], kw, vc->stamp))
			vc_make_room(vc, f, kw, e);
		const struct dp_pkt *x = &pk[i];
		memcpy(e, vb->k[i], kw * 8);
		*(struct vc_val *)(e + kw) = (struct vc_val){
			.stamp = vc->stamp,
			.pos = {x->pos[0], x->pos[1]},
			.policy = x->policy,
			.ace = x->ace,
			.hit = {vb->hit_ace[i][0], vb->hit_ace[i][1]},
			.verdict = x->verdict,
			.reason = x->reason,
			.fdep = vb->fdep[i],
		};
		vc->st.inserts++;
	}
}

/* ---- the burst ---------------------------------------------------------------------------- */

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
	struct dp_vcache *vc = dc ? dc->vc : NULL;
	struct vc_burst vb;
	uint32_t todo[DP_BURST_MAX], nt = n;

	if (!n)
		return;
	if (vc) {
		vc_sync(vc, g, devs);
		nt = vc_lookup(vc, &vb, pk, n, hits, dctr, todo, ft, now);
	} else {
		for (uint32_t i = 0; i < n; i++)
			todo[i] = i;
	}
	if (!nt)
		goto count;
	k.n[0] = k.n[1] = k.n[2] = k.n[3] = 0;
	k.n_extra = 0;

	/* 1. the distinct MACs (source, destination of each frame) left, looked up at once */
	memset(uslot, 0, sizeof(uslot));
	for (uint32_t j = 0; j < 2 * nt; j++) {
		uint64_t m = pk[todo[j >> 1]].mac[j & 1];
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
	for (uint32_t j = 0; j < nt; j++) {
		struct dp_pkt *x = &pk[todo[j]];
		bool acl0 = false;
		for (unsigned int side = 0; side < 2; side++) {
			struct side *s = &sides[j][side];
			int32_t pos = upos[uidx[2 * j + side]];
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

	/* 4. in frame order: flows, both-sides rule, rule counters, new flows */
	for (uint32_t j = 0; j < nt; j++) {
		uint32_t i = todo[j];
		struct dp_pkt *x = &pk[i];
		bool opens[2] = {false, false};
		bool decided = false;
		uint8_t fdep = 0;
		uint32_t hit_ace[2] = {MGI_NO_POLICY, MGI_NO_POLICY};

		x->verdict = MG_ALLOW;
		x->reason = MG_R_NOT_DEVICE;
		x->policy = MGI_NO_POLICY;
		x->ace = MGI_NO_POLICY;
		for (unsigned int side = 0; side < 2 && !decided; side++) {
			struct side *s = &sides[j][side];
			if (s->state == SIDE_NONE)
				continue;
			if (s->state == SIDE_ACL) {
				unsigned int f = s->ctx;
				side_resolve(g, s, side, x, dp_pkt_mac(x, side), r[f],
					     g->categories[f], ft, now, &opens[side], &fdep);
			}
			x->verdict = s->verdict;
			x->reason = s->reason;
			x->policy = s->policy;
			x->ace = s->ace;
			if (s->ace != MGI_NO_POLICY) {
				hits[s->ace]++;
				hit_ace[side] = s->ace;
			}
			if (s->verdict == MG_DENY)
				decided = true;
		}
		if (vc) {
			vb.cacheable[i] = !(fdep & FDEP_NO_TABLE) && !opens[0] && !opens[1];
			vb.fdep[i] = fdep;
			vb.hit_ace[i][0] = hit_ace[0];
			vb.hit_ace[i][1] = hit_ace[1];
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
	}
	if (vc)
		vc_insert(vc, &vb, pk, todo, nt);

count:
	/* 5. reasons and device counters of every frame, from the cache or not */
	for (uint32_t i = 0; i < n; i++) {
		struct dp_pkt *x = &pk[i];
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
