/* SPDX-License-Identifier: BSD-3-Clause */
/* Policy generations (rte_acl build) and the device table. See dp_policy.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dp_policy.h"

/* ---- stable policy ids ----------------------------------------------------------------- */

struct dp_pids {
	char **names;    /* [max] */
	uint32_t *slots; /* open addressing, [2 * max] rounded to a power of two: pid + 1 */
	uint32_t n_slots;
	uint32_t n, max;
};

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

struct dp_pids *
dp_pids_create(uint32_t max)
{
	struct dp_pids *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->max = max;
	p->n_slots = rte_align32pow2(2 * max);
	p->names = calloc(max, sizeof(*p->names));
	p->slots = calloc(p->n_slots, sizeof(*p->slots));
	if (!p->names || !p->slots) {
		dp_pids_destroy(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void
dp_pids_destroy(struct dp_pids *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	free(p->slots);
	free(p);
}

static uint32_t *
pids_slot(const struct dp_pids *p, const char *name)
{
	uint32_t i = name_hash(name) & (p->n_slots - 1);
	for (;; i = (i + 1) & (p->n_slots - 1)) {
		uint32_t v = p->slots[i];
		if (v == 0 || !strcmp(p->names[v - 1], name))
			return &p->slots[i];
	}
}

uint32_t
dp_pids_find(const struct dp_pids *p, const char *name)
{
	uint32_t v = *pids_slot(p, name);
	return v ? v - 1 : DP_NO_PID;
}

uint32_t
dp_pids_intern(struct dp_pids *p, const char *name)
{
	uint32_t *s = pids_slot(p, name);
	if (*s)
		return *s - 1;
	if (p->n == p->max)
		return DP_NO_PID;
	p->names[p->n] = strdup(name);
	if (!p->names[p->n])
		return DP_NO_PID;
	*s = ++p->n;
	return p->n - 1;
}

const char *
dp_pids_name(const struct dp_pids *p, uint32_t pid)
{
	return pid < p->n ? p->names[pid] : NULL;
}

/* ---- rte_acl field layouts ------------------------------------------------------------- */

enum { F_PROTO, F_META, F_TCP_ICMP, F_PDIR, F_ADDR };
#define N_FIELDS4 (F_ADDR + 2 + 2)
#define N_FIELDS6 (F_ADDR + 8 + 2)

RTE_ACL_RULE_DEF(dp_rule4, N_FIELDS4);
RTE_ACL_RULE_DEF(dp_rule6, N_FIELDS6);

static void
acl_config(struct rte_acl_config *cfg, bool v6, uint32_t categories)
{
	unsigned int n_addr = v6 ? 4 : 1, f = 0, in = 0;
	uint32_t off_src =
		v6 ? offsetof(struct dp_acl6_key, src) : offsetof(struct dp_acl4_key, src);
	uint32_t off_ports =
		v6 ? offsetof(struct dp_acl6_key, sport) : offsetof(struct dp_acl4_key, sport);

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = categories;
#define DEF(t, sz, inp, o)                                                                         \
	cfg->defs[f] = (struct rte_acl_field_def){                                                 \
		.type = (t), .size = (sz), .field_index = f, .input_index = (inp), .offset = (o)}; \
	f++
	DEF(RTE_ACL_FIELD_TYPE_BITMASK, 1, in++, 0);
	DEF(RTE_ACL_FIELD_TYPE_BITMASK, 1, in, 4);
	DEF(RTE_ACL_FIELD_TYPE_BITMASK, 1, in, 5);
	DEF(RTE_ACL_FIELD_TYPE_BITMASK, 2, in++, 6);
	for (unsigned int i = 0; i < 2 * n_addr; i++) {
		DEF(RTE_ACL_FIELD_TYPE_MASK, 4, in++, off_src + 4 * i);
	}
	DEF(RTE_ACL_FIELD_TYPE_RANGE, 2, in, off_ports);
	DEF(RTE_ACL_FIELD_TYPE_RANGE, 2, in, off_ports + 2);
#undef DEF
	cfg->num_fields = f;
}

/* One address constraint: addr (network order, 16 bytes) / plen. */
struct addr_c {
	const uint8_t *addr;
	uint8_t plen;
};

/* Expands one side of an ACE into its list of (addr, plen); returns the count (0: the ACE can
 * never match: a set without a member of the ACE's family). */
static uint32_t
expand_peer(const struct mgi_image *img, const struct mgi_ace *a, bool src, struct addr_c *out,
	    uint32_t max)
{
	static const uint8_t zero[16];
	uint8_t kind = src ? a->src_kind : a->dst_kind;
	uint32_t n = 0;

	if (kind == MGI_PEER_ANY) {
		if (out)
			out[0] = (struct addr_c){zero, 0};
		return 1;
	}
	if (kind == MGI_PEER_PREFIX) {
		if (out)
			out[0] = (struct addr_c){src ? a->src_addr : a->dst_addr,
						 src ? a->src_plen : a->dst_plen};
		return 1;
	}
	const struct mgi_set *s = &img->sets[src ? a->src_set : a->dst_set];
	for (uint32_t i = 0; i < s->n; i++) {
		const struct mgi_prefix *p = &img->prefixes[s->first + i];
		if (p->family != a->family)
			continue;
		if (out && n < max)
			out[n] = (struct addr_c){p->addr, p->plen};
		n++;
	}
	return n;
}

struct range {
	uint16_t lo, hi;
};

/* Port constraint -> 0, 1 or 2 ranges. */
static uint32_t
port_ranges(uint32_t match, uint32_t m_bit, uint32_t neq_bit, uint16_t lo, uint16_t hi,
	    struct range out[2])
{
	uint32_t n = 0;
	if (!(match & m_bit)) {
		out[0] = (struct range){0, 65535};
		return 1;
	}
	if (!(match & neq_bit)) {
		if (lo > hi)
			return 0;
		out[0] = (struct range){lo, hi};
		return 1;
	}
	if (lo > hi) { /* empty range: NOT in it is always true */
		out[0] = (struct range){0, 65535};
		return 1;
	}
	if (lo > 0)
		out[n++] = (struct range){0, (uint16_t)(lo - 1)};
	if (hi < 65535)
		out[n++] = (struct range){(uint16_t)(hi + 1), 65535};
	return n;
}

static void
set_addr_fields(struct rte_acl_field *f, const struct addr_c *c, bool v6)
{
	unsigned int words = v6 ? 4 : 1;
	for (unsigned int w = 0; w < words; w++) {
		int bits = (int)c->plen - 32 * (int)w;
		uint32_t be;
		memcpy(&be, c->addr + 4 * w, 4);
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		f[w].value.u32 = bits ? rte_be_to_cpu_32(be) : 0;
		f[w].mask_range.u32 = (uint32_t)bits;
	}
}

/* The meta bits an ACE requires of a packet (mirrors the reference's field guards). */
static uint8_t
ace_meta(const struct mgi_ace *a)
{
	uint8_t m = 0;
	if (a->match & (MGI_M_SPORT | MGI_M_DPORT))
		m |= DP_META_PORTS;
	if (a->match & MGI_M_TCP_FLAGS)
		m |= DP_META_TCP;
	if (a->match & (MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE))
		m |= DP_META_ICMP;
	if (a->match & MGI_M_DIR_INIT)
		m |= DP_META_TCP;
	return m;
}

/* An IP ACE that also names an ethertype matches only when it is its family's. */
static bool
ace_ethertype_ok(const struct mgi_ace *a)
{
	if (!(a->match & MGI_M_ETHERTYPE))
		return true;
	return a->ethertype == (a->family == MGI_FAMILY_IPV4 ? 0x0800 : 0x86dd);
}

struct acl_build {
	struct rte_acl_ctx *ctx;
	uint8_t *rules; /* staging, rule_size each */
	uint32_t n, cap, rule_size;
};

static int
add_ace_rules(struct acl_build *b, const struct mgi_image *img, uint32_t ace_idx, uint32_t pol,
	      uint32_t dir, uint32_t pos, uint32_t category, struct addr_c *srcs,
	      struct addr_c *dsts, uint32_t max_peers)
{
	const struct mgi_ace *a = &img->aces[ace_idx];
	bool v6 = a->family == MGI_FAMILY_IPV6;
	unsigned int words = v6 ? 4 : 1;
	struct range sp[2], dp[2];
	uint32_t n_src, n_dst, n_sp, n_dp;

	if (!ace_ethertype_ok(a))
		return 0;
	if (pol * 2 + dir > UINT16_MAX)
		return -E2BIG; /* refused earlier: at most DP_MAX_POLICIES */
	n_src = expand_peer(img, a, true, srcs, max_peers);
	n_dst = expand_peer(img, a, false, dsts, max_peers);
	if (n_src > max_peers || n_dst > max_peers)
		return -E2BIG;
	n_sp = port_ranges(a->match, MGI_M_SPORT, MGI_M_SPORT_NEQ, a->sport_lo, a->sport_hi, sp);
	n_dp = port_ranges(a->match, MGI_M_DPORT, MGI_M_DPORT_NEQ, a->dport_lo, a->dport_hi, dp);
	if (a->match & MGI_M_ICMP_CODE) /* the code travels in the source port (no SPORT here) */
		sp[0] = (struct range){a->icmp_code, a->icmp_code};

	for (uint32_t i = 0; i < n_src; i++)
		for (uint32_t j = 0; j < n_dst; j++)
			for (uint32_t k = 0; k < n_sp; k++)
				for (uint32_t l = 0; l < n_dp; l++) {
					if (b->n == b->cap)
						return -E2BIG;
					struct rte_acl_rule *r =
						(void *)(b->rules + (size_t)b->n++ * b->rule_size);
					struct rte_acl_field *f = r->field;
					uint8_t meta = ace_meta(a);
					memset(r, 0, b->rule_size);
					r->data.category_mask = 1u << category;
					r->data.priority = (int32_t)(RTE_ACL_MAX_PRIORITY - pos);
					r->data.userdata = ace_idx + 1;
					if (a->match & MGI_M_PROTO) {
						f[F_PROTO].value.u8 = a->proto;
						f[F_PROTO].mask_range.u8 = 0xff;
					}
					f[F_META].value.u8 = meta;
					f[F_META].mask_range.u8 = meta;
					/* TCP_FLAGS needs TCP, ICMP_TYPE ICMP: never both */
					if (a->match & MGI_M_TCP_FLAGS) {
						f[F_TCP_ICMP].value.u8 =
							a->tcp_flags_value & a->tcp_flags_mask;
						f[F_TCP_ICMP].mask_range.u8 = a->tcp_flags_mask;
					} else if (a->match & MGI_M_ICMP_TYPE) {
						f[F_TCP_ICMP].value.u8 = a->icmp_type;
						f[F_TCP_ICMP].mask_range.u8 = 0xff;
					}
					f[F_PDIR].value.u16 = (uint16_t)(pol * 2 + dir);
					f[F_PDIR].mask_range.u16 = UINT16_MAX;
					set_addr_fields(&f[F_ADDR], &srcs[i], v6);
					set_addr_fields(&f[F_ADDR + words], &dsts[j], v6);
					f[F_ADDR + 2 * words].value.u16 = sp[k].lo;
					f[F_ADDR + 2 * words].mask_range.u16 = sp[k].hi;
					f[F_ADDR + 2 * words + 1].value.u16 = dp[l].lo;
					f[F_ADDR + 2 * words + 1].mask_range.u16 = dp[l].hi;
				}
	return 0;
}

static uint64_t acl_name_seq; /* atomic: bases are built on other threads */

static bool
ace_reverse(const struct mgi_ace *a, uint32_t dir)
{
	return (a->match & MGI_M_DIR_INIT) && a->dir_init != dir;
}

static uint64_t
ace_rule_count(const struct mgi_image *img, const struct mgi_ace *a)
{
	struct range r[2];
	if (!ace_ethertype_ok(a))
		return 0;
	return (uint64_t)expand_peer(img, a, true, NULL, 0) * expand_peer(img, a, false, NULL, 0) *
	       port_ranges(a->match, MGI_M_SPORT, MGI_M_SPORT_NEQ, a->sport_lo, a->sport_hi, r) *
	       port_ranges(a->match, MGI_M_DPORT, MGI_M_DPORT_NEQ, a->dport_lo, a->dport_hi, r);
}

/* Rules of policy p in one family (v6) or both (v6 < 0). */
static uint64_t
policy_rule_count(const struct mgi_image *img, uint32_t p, int v6)
{
	const struct mgi_policy *pol = &img->policies[p];
	uint64_t n = 0;
	for (uint32_t k = 0; k < pol->n_from + pol->n_to; k++) {
		const struct mgi_ace *a = &img->aces[pol->first_ace + k];
		if (a->family == MGI_FAMILY_ETH ||
		    (v6 >= 0 && a->family != (v6 ? MGI_FAMILY_IPV6 : MGI_FAMILY_IPV4)))
			continue;
		n += ace_rule_count(img, a);
	}
	return n;
}

/*
 * Builds the context of one family over the policies of img selected by `include` (NULL: all):
 * keys carry the image's policy index, results its global ACE index + 1. acl->ctx[v6] stays
 * NULL when there is no rule. tag names the context ('b' base, 'o' overlay).
 */
static int
build_family(struct dp_acl *acl, const struct mgi_image *img, const uint8_t *include, bool v6,
	     char tag, char *errbuf, size_t errbuf_size)
{
	uint8_t family = v6 ? MGI_FAMILY_IPV6 : MGI_FAMILY_IPV4;
	uint32_t max_peers = img->n_prefixes + 1;
	struct acl_build b = {0};
	struct addr_c *srcs = NULL, *dsts = NULL;
	struct rte_acl_config cfg;
	bool reverse = false;
	uint64_t total = 0;
	int rc = 0;

	b.rule_size = v6 ? sizeof(struct dp_rule6) : sizeof(struct dp_rule4);
	/* Count first so the staging area and the context are sized exactly. */
	for (uint32_t p = 0; p < img->n_policies; p++) {
		const struct mgi_policy *pol = &img->policies[p];
		if (include && !include[p])
			continue;
		for (uint32_t k = 0; k < pol->n_from + pol->n_to; k++) {
			const struct mgi_ace *a = &img->aces[pol->first_ace + k];
			if (a->family != family)
				continue;
			uint64_t n = ace_rule_count(img, a);
			if (n &&
			    ace_reverse(a, k < pol->n_from ? MG_DIR_FROM_DEVICE : MG_DIR_TO_DEVICE))
				reverse = true;
			total += n;
		}
	}
	acl->categories[v6] = reverse ? RTE_ACL_RESULTS_MULTIPLIER : 1;
	if (total == 0)
		return 0;
	if (total > (1u << 24)) {
		snprintf(errbuf, errbuf_size, "IPv%d: %" PRIu64 " rules after expansion (max %u)",
			 v6 ? 6 : 4, total, 1u << 24);
		return -E2BIG;
	}
	b.cap = (uint32_t)total;
	b.rules = malloc((size_t)b.cap * b.rule_size);
	srcs = malloc(max_peers * sizeof(*srcs));
	dsts = malloc(max_peers * sizeof(*dsts));
	if (!b.rules || !srcs || !dsts) {
		rc = -ENOMEM;
		snprintf(errbuf, errbuf_size, "out of memory staging %u rules", b.cap);
		goto out_free;
	}
	for (uint32_t p = 0; p < img->n_policies; p++) {
		const struct mgi_policy *pol = &img->policies[p];
		if (include && !include[p])
			continue;
		for (uint32_t k = 0; k < pol->n_from + pol->n_to; k++) {
			uint32_t i = pol->first_ace + k;
			uint32_t dir = k < pol->n_from ? MG_DIR_FROM_DEVICE : MG_DIR_TO_DEVICE;
			uint32_t pos = k < pol->n_from ? k : k - pol->n_from;
			if (img->aces[i].family != family)
				continue;
			rc = add_ace_rules(&b, img, i, p, dir, pos,
					   ace_reverse(&img->aces[i], dir) ? DP_CAT_REVERSE
									   : DP_CAT_MAIN,
					   srcs, dsts, max_peers);
			if (rc < 0) {
				snprintf(errbuf, errbuf_size, "ace %u: rule expansion overflow", i);
				goto out_free;
			}
		}
	}

	char name[RTE_ACL_NAMESIZE];
	snprintf(name, sizeof(name), "mg%d%c_%" PRIu64, v6 ? 6 : 4, tag,
		 __atomic_add_fetch(&acl_name_seq, 1, __ATOMIC_RELAXED));
	struct rte_acl_param prm = {
		.name = name,
		.socket_id = SOCKET_ID_ANY,
		.rule_size = b.rule_size,
		.max_rule_num = b.n,
	};
	b.ctx = rte_acl_create(&prm);
	if (!b.ctx) {
		rc = -ENOMEM;
		snprintf(errbuf, errbuf_size, "rte_acl_create(%s) failed", name);
		goto out_free;
	}
	rc = rte_acl_add_rules(b.ctx, (const struct rte_acl_rule *)b.rules, b.n);
	if (rc < 0) {
		snprintf(errbuf, errbuf_size, "rte_acl_add_rules: %s", strerror(-rc));
		goto out_free_ctx;
	}
	acl_config(&cfg, v6, acl->categories[v6]);
	rc = rte_acl_build(b.ctx, &cfg);
	if (rc < 0) {
		snprintf(errbuf, errbuf_size, "rte_acl_build (%u rules): %s", b.n, strerror(-rc));
		goto out_free_ctx;
	}
	acl->ctx[v6] = b.ctx;
	acl->n_rules[v6] = b.n;
	b.ctx = NULL;
out_free_ctx:
	rte_acl_free(b.ctx);
out_free:
	free(srcs);
	free(dsts);
	free(b.rules);
	return rc;
}

static int
build_acl(struct dp_acl *acl, const struct mgi_image *img, const uint8_t *include, char tag,
	  char *errbuf, size_t errbuf_size)
{
	int rc = build_family(acl, img, include, false, tag, errbuf, errbuf_size);
	if (rc == 0)
		rc = build_family(acl, img, include, true, tag, errbuf, errbuf_size);
	return rc;
}

static void
free_acl(struct dp_acl *acl)
{
	rte_acl_free(acl->ctx[0]);
	rte_acl_free(acl->ctx[1]);
	acl->ctx[0] = acl->ctx[1] = NULL;
}

static bool
ace_refers_dnsname(const struct mgi_image *img, const struct mgi_ace *a)
{
	return (a->src_kind == MGI_PEER_SET && img->sets[a->src_set].kind == MGI_SET_DNSNAME) ||
	       (a->dst_kind == MGI_PEER_SET && img->sets[a->dst_set].kind == MGI_SET_DNSNAME);
}

/* ---- policy comparison ------------------------------------------------------------------ */

/* An ACE without what does not reach its rules: names and set indexes (the sets' members are
 * compared instead). */
static void
ace_norm(struct mgi_ace *out, const struct mgi_ace *a)
{
	*out = *a;
	out->acl_name = out->ace_name = 0;
	out->src_set = out->dst_set = 0;
}

/* Two CRC-32C lanes with different seeds (the CPU's crc32 instruction): a fingerprint, not a
 * proof; equal fingerprints are confirmed by policy_equal(). */
static uint32_t
crc_buf(const uint8_t *p, size_t len, uint32_t c)
{
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* rte_hash_crc() would load unaligned words */
		c = rte_hash_crc_8byte(w, c);
	}
	for (; len; len--)
		c = rte_hash_crc_1byte(*p++, c);
	return c;
}

static uint64_t
fp64(uint64_t h, const void *data, size_t len)
{
	uint32_t lo = crc_buf(data, len, (uint32_t)h);
	uint32_t hi = crc_buf(data, len, (uint32_t)(h >> 32) ^ 0x9e3779b9u);
	return (uint64_t)hi << 32 | lo;
}

static uint64_t
set_hash(uint64_t h, const struct mgi_image *img, uint32_t set)
{
	const struct mgi_set *s = &img->sets[set];
	h = fp64(h, &s->kind, sizeof(s->kind));
	h = fp64(h, &s->n, sizeof(s->n));
	return fp64(h, &img->prefixes[s->first], (size_t)s->n * sizeof(struct mgi_prefix));
}

uint64_t
dp_policy_hash(const struct mgi_image *img, uint32_t p)
{
	const struct mgi_policy *pol = &img->policies[p];
	uint64_t h = 0xcbf29ce484222325ull;
	h = fp64(h, &pol->n_from, sizeof(pol->n_from));
	h = fp64(h, &pol->n_to, sizeof(pol->n_to));
	for (uint32_t k = 0; k < pol->n_from + pol->n_to; k++) {
		const struct mgi_ace *a = &img->aces[pol->first_ace + k];
		struct mgi_ace n;
		ace_norm(&n, a);
		h = fp64(h, &n, sizeof(n));
		if (a->src_kind == MGI_PEER_SET)
			h = set_hash(h, img, a->src_set);
		if (a->dst_kind == MGI_PEER_SET)
			h = set_hash(h, img, a->dst_set);
	}
	return h;
}

static bool
set_equal(const struct mgi_image *x, uint32_t sx, const struct mgi_image *y, uint32_t sy)
{
	const struct mgi_set *a = &x->sets[sx], *b = &y->sets[sy];
	return a->kind == b->kind && a->n == b->n &&
	       !memcmp(&x->prefixes[a->first], &y->prefixes[b->first],
		       (size_t)a->n * sizeof(struct mgi_prefix));
}

/* Policy px of x and py of y have the same rules (exact comparison, after equal hashes). */
static bool
policy_equal(const struct mgi_image *x, uint32_t px, const struct mgi_image *y, uint32_t py)
{
	const struct mgi_policy *a = &x->policies[px], *b = &y->policies[py];
	if (a->n_from != b->n_from || a->n_to != b->n_to)
		return false;
	for (uint32_t k = 0; k < a->n_from + a->n_to; k++) {
		const struct mgi_ace *ea = &x->aces[a->first_ace + k];
		const struct mgi_ace *eb = &y->aces[b->first_ace + k];
		struct mgi_ace na, nb;
		ace_norm(&na, ea);
		ace_norm(&nb, eb);
		if (memcmp(&na, &nb, sizeof(na)))
			return false;
		if (ea->src_kind == MGI_PEER_SET && !set_equal(x, ea->src_set, y, eb->src_set))
			return false;
		if (ea->dst_kind == MGI_PEER_SET && !set_equal(x, ea->dst_set, y, eb->dst_set))
			return false;
	}
	return true;
}

/* ---- bases ------------------------------------------------------------------------------- */

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

struct dp_base *
dp_base_build(const void *blob, size_t size, const uint32_t *policy_pid, char *errbuf,
	      size_t errbuf_size)
{
	struct timespec t0;
	struct dp_base *b;
	int rc = -ENOMEM;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	b = calloc(1, sizeof(*b));
	if (!b)
		goto out_err;
	b->blob = aligned_alloc(8, RTE_ALIGN_CEIL(size ? size : 8, 8));
	if (!b->blob)
		goto out_err;
	memcpy(b->blob, blob, size);
	rc = mgi_open(&b->img, b->blob, size, errbuf, errbuf_size);
	if (rc < 0) {
		rc = -EINVAL;
		goto out_err;
	}
	if (b->img.n_policies > DP_MAX_POLICIES) {
		snprintf(errbuf, errbuf_size, "%u policies: at most %u", b->img.n_policies,
			 DP_MAX_POLICIES);
		rc = -E2BIG;
		goto out_err;
	}
	rc = -ENOMEM;
	const struct mgi_image *img = &b->img;
	b->pol_hash = calloc(img->n_policies + 1, sizeof(*b->pol_hash));
	for (uint32_t p = 0; p < img->n_policies; p++)
		b->n_pids = RTE_MAX(b->n_pids, policy_pid[p] + 1);
	b->pid_pol = malloc(((size_t)b->n_pids + 1) * sizeof(*b->pid_pol));
	if (!b->pol_hash || !b->pid_pol) {
		snprintf(errbuf, errbuf_size, "out of memory");
		goto out_err;
	}
	for (uint32_t i = 0; i <= b->n_pids; i++)
		b->pid_pol[i] = MGI_NO_POLICY;
	for (uint32_t p = 0; p < img->n_policies; p++) {
		b->pid_pol[policy_pid[p]] = p;
		b->pol_hash[p] = dp_policy_hash(img, p);
	}
	rc = build_acl(&b->acl, img, NULL, 'b', errbuf, errbuf_size);
	if (rc < 0)
		goto out_err;
	b->build_ms = ms_since(&t0);
	return b;

out_err:
	dp_base_destroy(b);
	errno = -rc;
	return NULL;
}

void
dp_base_destroy(struct dp_base *b)
{
	if (!b)
		return;
	free_acl(&b->acl);
	free(b->pid_pol);
	free(b->pol_hash);
	free(b->blob);
	free(b);
}

/* ---- generations ------------------------------------------------------------------------ */

/* Side tables of the image: per-ACE facts, Ethernet ACE lists, dnsname flags, resolvers. */
static void
fill_tables(struct dp_gen *g)
{
	const struct mgi_image *img = &g->img;
	uint32_t n_eth = 0;

	for (uint32_t p = 0; p < img->n_policies; p++) {
		const struct mgi_policy *pol = &img->policies[p];
		for (uint32_t dir = 0; dir < 2; dir++) {
			uint32_t first = pol->first_ace + (dir ? pol->n_from : 0);
			uint32_t n = dir ? pol->n_to : pol->n_from;
			g->pol[p].eth_first[dir] = n_eth;
			for (uint32_t k = 0; k < n; k++) {
				const struct mgi_ace *a = &img->aces[first + k];
				struct dp_ace_info *ai = &g->ace[first + k];
				ai->dir = (uint8_t)dir;
				ai->family = a->family;
				ai->dir_init = a->dir_init;
				ai->ethertype = a->ethertype;
				ai->match_lo = (uint16_t)a->match;
				if (a->action == MG_ACT_ACCEPT)
					ai->flags |= DP_ACE_ACCEPT;
				if (a->match & MGI_M_DIR_INIT) {
					ai->flags |= DP_ACE_DIR_INIT;
					if (a->dir_init != dir)
						ai->flags |= DP_ACE_REVERSE;
				}
				if (a->family == MGI_FAMILY_ETH)
					g->eth_aces[n_eth++] = first + k;
				if (ace_refers_dnsname(img, a))
					g->pol[p].dnsname = true;
			}
			g->pol[p].eth_n[dir] = n_eth - g->pol[p].eth_first[dir];
		}
	}
	if (img->allowances->resolver_set != MGI_NO_POLICY) {
		const struct mgi_set *s = &img->sets[img->allowances->resolver_set];
		g->resolvers = &img->prefixes[s->first];
		g->n_resolvers = s->n;
	}
}

/* Which policies of g's image the base holds with equal rules: pol[].overlay, acl_pol and
 * base_ace. Returns the number of overlay rules. */
static uint64_t
diff_base(struct dp_gen *g, const struct dp_base *base, uint8_t *include)
{
	const struct mgi_image *img = &g->img;
	uint64_t n_ov = 0;

	for (uint32_t i = 0; i < base->img.n_aces; i++)
		g->base_ace[i] = MGI_NO_POLICY;
	g->n_overlay = 0;
	for (uint32_t p = 0; p < img->n_policies; p++) {
		uint32_t pid = g->policy_pid[p];
		uint32_t bp = pid < base->n_pids ? base->pid_pol[pid] : MGI_NO_POLICY;
		if (bp != MGI_NO_POLICY && base->pol_hash[bp] == dp_policy_hash(img, p) &&
		    policy_equal(img, p, &base->img, bp)) {
			const struct mgi_policy *np = &img->policies[p];
			const struct mgi_policy *op = &base->img.policies[bp];
			for (uint32_t k = 0; k < np->n_from + np->n_to; k++)
				g->base_ace[op->first_ace + k] = np->first_ace + k;
			g->pol[p].overlay = 0;
			g->pol[p].acl_pol = bp;
			include[p] = 0;
			continue;
		}
		g->pol[p].overlay = 1;
		g->pol[p].acl_pol = p;
		include[p] = 1;
		g->n_overlay++;
		n_ov += policy_rule_count(img, p, -1);
	}
	return n_ov;
}

struct dp_gen *
dp_gen_update(const void *blob, size_t size, uint64_t generation, struct dp_pids *pids,
	      uint32_t n_workers, struct dp_base *base, uint32_t max_overlay_rules, char *errbuf,
	      size_t errbuf_size)
{
	struct timespec t0, c0, c1;
	struct dp_gen *g;
	uint8_t *include = NULL;
	int rc = -ENOMEM;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	g = calloc(1, sizeof(*g));
	if (!g)
		goto out_err;
	static uint64_t uids;
	g->generation = generation;
	g->uid = __atomic_add_fetch(&uids, 1, __ATOMIC_RELAXED);
	g->n_workers = n_workers ? n_workers : 1;
	g->blob = aligned_alloc(8, RTE_ALIGN_CEIL(size ? size : 8, 8));
	if (!g->blob)
		goto out_err;
	memcpy(g->blob, blob, size);
	g->size = size;
	rc = mgi_open(&g->img, g->blob, size, errbuf, errbuf_size);
	if (rc < 0) {
		rc = -EINVAL;
		goto out_err;
	}
	const struct mgi_image *img = &g->img;
	g->open_ms = ms_since(&t0);
	if (img->n_policies > DP_MAX_POLICIES) { /* the key's policy/direction field */
		snprintf(errbuf, errbuf_size, "%u policies: at most %u", img->n_policies,
			 DP_MAX_POLICIES);
		rc = -E2BIG;
		goto out_err;
	}
	rc = -ENOMEM;
	g->ace = calloc(img->n_aces + 1, sizeof(*g->ace));
	g->pol = calloc(img->n_policies + 1, sizeof(*g->pol));
	g->eth_aces = calloc(img->n_aces + 1, sizeof(*g->eth_aces));
	g->policy_pid = calloc(img->n_policies + 1, sizeof(*g->policy_pid));
	include = calloc(img->n_policies + 1, 1);
	if (!g->ace || !g->pol || !g->eth_aces || !g->policy_pid || !include) {
		snprintf(errbuf, errbuf_size, "out of memory");
		goto out_err;
	}
	for (uint32_t p = 0; p < img->n_policies; p++) {
		g->policy_pid[p] = dp_pids_intern(pids, mgi_str(img, img->policies[p].name));
		if (g->policy_pid[p] == DP_NO_PID) {
			snprintf(errbuf, errbuf_size, "policy %u: policy id table full", p);
			rc = -E2BIG;
			goto out_err;
		}
	}
	/* n_pid_map covers every pid of this image; other pids map to MGI_NO_POLICY. */
	g->n_pid_map = 0;
	for (uint32_t p = 0; p < img->n_policies; p++)
		g->n_pid_map = RTE_MAX(g->n_pid_map, g->policy_pid[p] + 1);
	g->pid_map = malloc((g->n_pid_map + 1) * sizeof(*g->pid_map));
	if (!g->pid_map)
		goto out_err;
	for (uint32_t i = 0; i <= g->n_pid_map; i++)
		g->pid_map[i] = MGI_NO_POLICY;
	for (uint32_t p = 0; p < img->n_policies; p++)
		g->pid_map[g->policy_pid[p]] = p;
	fill_tables(g);
	size_t stride = RTE_ALIGN_CEIL((size_t)img->n_aces + 1, 8);
	g->rule_hits = rte_zmalloc("mg_rule_hits", stride * g->n_workers * sizeof(uint64_t),
				   RTE_CACHE_LINE_SIZE);
	if (!g->rule_hits) {
		snprintf(errbuf, errbuf_size, "out of memory for rule counters");
		goto out_err;
	}

	/* the base: the one given when the overlay stays small, else a new one */
	if (base) {
		g->base_ace = malloc(((size_t)base->img.n_aces + 1) * sizeof(*g->base_ace));
		if (!g->base_ace)
			goto out_err;
		if (diff_base(g, base, include) > max_overlay_rules) {
			free(g->base_ace);
			g->base_ace = NULL;
			base = NULL;
		}
	}
	if (!base) {
		base = dp_base_build(g->blob, size, g->policy_pid, errbuf, errbuf_size);
		if (!base) {
			rc = -errno;
			goto out_err;
		}
		g->base_ace = malloc(((size_t)img->n_aces + 1) * sizeof(*g->base_ace));
		if (!g->base_ace) {
			dp_base_destroy(base);
			goto out_err;
		}
		diff_base(g, base, include); /* every policy in the base */
	}
	g->base = base;
	base->refs++;
	g->diff_ms = ms_since(&t0) - g->open_ms;
	if (g->n_overlay) {
		rc = build_acl(&g->ov, img, include, 'o', errbuf, errbuf_size);
		if (rc < 0)
			goto out_err;
	}
	for (unsigned int f = 0; f < 2; f++) {
		g->acl[f] = base->acl.ctx[f];
		g->categories[f] = base->acl.categories[f];
		g->acl[2 + f] = g->ov.ctx[f];
		g->categories[2 + f] = g->ov.categories[f] ? g->ov.categories[f] : 1;
		g->n_rules[f] = base->acl.n_rules[f] + g->ov.n_rules[f];
		g->n_overlay_rules += g->ov.n_rules[f];
	}
	free(include);
	g->build_ms = ms_since(&t0);
	g->acl_ms = g->build_ms - g->open_ms - g->diff_ms;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	g->build_cpu_ms =
		(double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
	return g;

out_err:
	free(include);
	dp_gen_destroy(g);
	errno = -rc;
	return NULL;
}

struct dp_gen *
dp_gen_build(const void *blob, size_t size, uint64_t generation, struct dp_pids *pids,
	     uint32_t n_workers, char *errbuf, size_t errbuf_size)
{
	return dp_gen_update(blob, size, generation, pids, n_workers, NULL, 0, errbuf, errbuf_size);
}

void
dp_gen_destroy(struct dp_gen *g)
{
	if (!g)
		return;
	free_acl(&g->ov);
	if (g->base && --g->base->refs == 0)
		dp_base_destroy(g->base);
	rte_free(g->rule_hits);
	free(g->base_ace);
	free(g->ace);
	free(g->pol);
	free(g->eth_aces);
	free(g->pid_map);
	free(g->policy_pid);
	free(g->blob);
	free(g);
}

/* ---- device table ----------------------------------------------------------------------- */

struct dp_devs *
dp_devs_create(const char *name, uint32_t cap, uint32_t n_workers, struct rte_rcu_qsbr *rcu)
{
	struct dp_devs *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	struct rte_hash_parameters prm = {
		.name = name,
		.entries = cap,
		.key_len = 6,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	d->h = rte_hash_create(&prm);
	if (!d->h)
		goto out_err;
	d->cap = (uint32_t)rte_hash_max_key_id(d->h) + 1;
	d->slot = rte_zmalloc("mg_dev_slots", d->cap * sizeof(*d->slot), RTE_CACHE_LINE_SIZE);
	if (!d->slot)
		goto out_err;
	d->n_workers = n_workers ? n_workers : 1;
	static uint64_t epochs;
	d->epoch = __atomic_add_fetch(&epochs, 1ull << 32, __ATOMIC_RELAXED);
	d->ctr = rte_zmalloc("mg_dev_ctr", (size_t)d->cap * d->n_workers * sizeof(*d->ctr),
			     RTE_CACHE_LINE_SIZE);
	if (!d->ctr)
		goto out_err;
	if (rcu) {
		struct rte_hash_rcu_config rc = {.v = rcu, .mode = RTE_HASH_QSBR_MODE_DQ};
		if (rte_hash_rcu_qsbr_add(d->h, &rc) < 0)
			goto out_err;
		d->rcu = true;
	}
	return d;
out_err:
	dp_devs_destroy(d);
	errno = ENOMEM;
	return NULL;
}

void
dp_devs_destroy(struct dp_devs *d)
{
	if (!d)
		return;
	rte_hash_free(d->h);
	rte_free(d->slot);
	rte_free(d->ctr);
	free(d);
}

/* An aligned copy of a MAC: rte_hash_crc reads 4-byte words. */
#define ALIGNED_MAC(name, mac)         \
	uint64_t name##_buf = 0;       \
	memcpy(&name##_buf, (mac), 6); \
	const void *name = &name##_buf

int
dp_devs_set(struct dp_devs *d, const uint8_t mac_in[6], uint32_t pid, uint8_t state)
{
	ALIGNED_MAC(mac, mac_in);
	int32_t pos = rte_hash_lookup(d->h, mac);
	if (pos >= 0) {
		__atomic_store_n(&d->slot[pos].word, dp_slot_make(pid, state), __ATOMIC_RELEASE);
		__atomic_add_fetch(&d->epoch, 1, __ATOMIC_RELEASE);
		return 0;
	}
	pos = rte_hash_add_key(d->h, mac);
	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : -EINVAL;
	d->n++;
	__atomic_store_n(&d->slot[pos].mac, mac_buf, __ATOMIC_RELAXED);
	__atomic_store_n(&d->slot[pos].word, dp_slot_make(pid, state), __ATOMIC_RELEASE);
	__atomic_add_fetch(&d->epoch, 1, __ATOMIC_RELEASE);
	return 0;
}

int
dp_devs_set_state(struct dp_devs *d, const uint8_t mac_in[6], uint8_t state)
{
	ALIGNED_MAC(mac, mac_in);
	int32_t pos = rte_hash_lookup(d->h, mac);
	if (pos < 0)
		return -ENOENT;
	uint64_t s = __atomic_load_n(&d->slot[pos].word, __ATOMIC_RELAXED);
	__atomic_store_n(&d->slot[pos].word, dp_slot_make(dp_slot_pid(s), state), __ATOMIC_RELEASE);
	__atomic_add_fetch(&d->epoch, 1, __ATOMIC_RELEASE);
	return 0;
}

int
dp_devs_del(struct dp_devs *d, const uint8_t mac_in[6])
{
	ALIGNED_MAC(mac, mac_in);
	int32_t pos = rte_hash_lookup(d->h, mac);
	if (pos < 0)
		return -ENOENT;
	/* A reader still holding the position (a burst in progress, a worker's cached lookup)
	 * sees a free slot: not a device. With RCU the hash hands the position out again only
	 * after the grace period, and a reused position carries its new MAC, which the workers'
	 * caches compare. Without RCU there are no concurrent readers (tests): free it now. */
	__atomic_store_n(&d->slot[pos].word, 0, __ATOMIC_RELEASE);
	pos = rte_hash_del_key(d->h, mac);
	if (pos < 0)
		return -ENOENT;
	if (!d->rcu)
		rte_hash_free_key_with_position(d->h, pos);
	d->n--;
	__atomic_add_fetch(&d->epoch, 1, __ATOMIC_RELEASE);
	return 0;
}

void
dp_devs_clear(struct dp_devs *d)
{
	uint8_t mac[6];
	uint64_t slot;
	uint32_t next = 0, pos;
	uint8_t(*macs)[6] = malloc(((size_t)d->n + 1) * 6);
	uint32_t n = 0;

	if (!macs)
		return;
	while (n < d->n && dp_devs_iterate(d, &next, mac, &slot, &pos) == 0)
		memcpy(macs[n++], mac, 6);
	for (uint32_t i = 0; i < n; i++)
		dp_devs_del(d, macs[i]);
	free(macs);
}

int
dp_devs_iterate(const struct dp_devs *d, uint32_t *next, uint8_t mac[6], uint64_t *slot,
		uint32_t *pos)
{
	const void *key;
	void *data;
	int32_t p = rte_hash_iterate(d->h, &key, &data, next);
	if (p < 0)
		return -ENOENT;
	memcpy(mac, key, 6);
	*slot = __atomic_load_n(&d->slot[p].word, __ATOMIC_ACQUIRE);
	*pos = (uint32_t)p;
	return 0;
}

int32_t
dp_devs_lookup(const struct dp_devs *d, const uint8_t mac_in[6])
{
	ALIGNED_MAC(mac, mac_in);
	return rte_hash_lookup(d->h, mac);
}
