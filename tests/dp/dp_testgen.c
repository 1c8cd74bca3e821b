/* SPDX-License-Identifier: BSD-3-Clause */
/* Random images and frames for the dataplane tests (dp_testgen.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dp_testgen.h"

uint64_t
tg_rand(struct tg *t)
{
	/* xorshift64* */
	t->s ^= t->s >> 12;
	t->s ^= t->s << 25;
	t->s ^= t->s >> 27;
	return t->s * 2685821657736338717ull;
}

static uint32_t
rn(struct tg *t, uint32_t n)
{
	return n ? (uint32_t)(tg_rand(t) % n) : 0;
}

static bool
chance(struct tg *t, unsigned int pct)
{
	return rn(t, 100) < pct;
}

static void
mask_prefix(uint8_t addr[16], unsigned int plen)
{
	for (unsigned int i = 0; i < 16; i++) {
		int bits = (int)plen - 8 * (int)i;
		if (bits >= 8)
			continue;
		addr[i] &= bits <= 0 ? 0 : (uint8_t)(0xff00u >> bits);
	}
}

void
tg_init(struct tg *t, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->s = seed ? seed : 0x9e3779b97f4a7c15ull;
	t->n_macs = 16;
	for (uint32_t i = 0; i < t->n_macs; i++) {
		uint8_t m[6] = {0x02, 0x00, 0x00, 0x00, (uint8_t)(i >> 8), (uint8_t)(i + 1)};
		if (i == 15)
			memset(m, 0, 6); /* the all-zero MAC: what a runt frame parses to */
		memcpy(t->macs[i], m, 6);
	}
	/* the pool: nested and adjacent prefixes of both families, host and zero lengths */
	static const struct {
		uint8_t fam, plen;
		uint8_t a[16];
	} base[] = {
		{4, 8, {10}},
		{4, 16, {10, 1}},
		{4, 24, {10, 1, 2}},
		{4, 32, {10, 1, 2, 3}},
		{4, 31, {10, 1, 2, 4}},
		{4, 0, {0}},
		{4, 25, {192, 168, 1, 128}},
		{4, 32, {255, 255, 255, 255}},
		{4, 12, {172, 16}},
		{4, 1, {128}},
		{6, 32, {0x20, 0x01, 0x0d, 0xb8}},
		{6, 48, {0x20, 0x01, 0x0d, 0xb8, 0, 1}},
		{6, 64, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2}},
		{6, 128, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}},
		{6, 127, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2}},
		{6, 0, {0}},
		{6, 10, {0xfe, 0x80}},
		{6, 8, {0xff}},
		{6, 96, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xff, 0xff, 0xff, 0xff}},
		{6, 33, {0x20, 0x01, 0x0d, 0xb8, 0x80}},
	};
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		struct mgi_prefix *p = &t->pool[t->n_pool++];
		memset(p, 0, sizeof(*p));
		p->family = base[i].fam;
		p->plen = base[i].plen;
		memcpy(p->addr, base[i].a, 16);
		mask_prefix(p->addr, p->plen);
	}
}

static const uint16_t fixed_ports[] = {0,   1,   53,   67,   68,   80,    443,
				       546, 547, 1023, 1024, 8080, 65534, 65535};

static uint16_t
rand_port(struct tg *t)
{
	uint32_t r = rn(t, 10);
	if (r < 4)
		return fixed_ports[rn(t, sizeof(fixed_ports) / sizeof(fixed_ports[0]))];
	if (r < 8 && t->n_ports) {
		uint16_t p = t->ports[rn(t, t->n_ports)];
		int d = (int)rn(t, 3) - 1; /* edge, edge - 1, edge + 1 */
		return (uint16_t)(p + d);
	}
	return (uint16_t)tg_rand(t);
}

static void
note_port(struct tg *t, uint16_t p)
{
	if (t->n_ports < sizeof(t->ports) / sizeof(t->ports[0]))
		t->ports[t->n_ports++] = p;
}

static void
rand_range(struct tg *t, uint16_t *lo, uint16_t *hi)
{
	uint16_t a = rand_port(t), b = chance(t, 30) ? a : rand_port(t);
	*lo = a < b ? a : b;
	*hi = a < b ? b : a;
	note_port(t, *lo);
	note_port(t, *hi);
}

static void
rand_peer(struct tg *t, struct mgi_ace *a, bool src, uint32_t n_sets)
{
	uint8_t *kind = src ? &a->src_kind : &a->dst_kind;
	uint32_t r = rn(t, 10);
	if (r < 3) {
		*kind = MGI_PEER_ANY;
	} else if (r < 7 || !n_sets) {
		/* a pool prefix of the ACE's family, possibly shortened */
		const struct mgi_prefix *p;
		do
			p = &t->pool[rn(t, t->n_pool)];
		while (p->family != a->family);
		uint8_t plen = p->plen;
		if (chance(t, 20) && plen)
			plen = (uint8_t)rn(t, plen + 1u);
		*kind = MGI_PEER_PREFIX;
		memcpy(src ? a->src_addr : a->dst_addr, p->addr, 16);
		mask_prefix(src ? a->src_addr : a->dst_addr, plen);
		if (src)
			a->src_plen = plen;
		else
			a->dst_plen = plen;
	} else {
		*kind = MGI_PEER_SET;
		if (src)
			a->src_set = rn(t, n_sets);
		else
			a->dst_set = rn(t, n_sets);
	}
}

static void
rand_ace(struct tg *t, struct mgi_ace *a, uint32_t n_sets)
{
	static const uint16_t ethertypes[] = {0x0806, 0x88cc, 0x0800, 0x86dd, 0x1234, 0x8100};
	uint32_t r = rn(t, 20);

	a->action = chance(t, 60) ? MG_ACT_ACCEPT : (uint8_t)(1 + rn(t, 2));
	if (r < 2) {
		a->family = MGI_FAMILY_ETH;
		if (chance(t, 80)) {
			a->match |= MGI_M_ETHERTYPE;
			a->ethertype = ethertypes[rn(t, sizeof(ethertypes) / 2)];
		}
		return;
	}
	a->family = r < 11 ? MGI_FAMILY_IPV4 : MGI_FAMILY_IPV6;
	rand_peer(t, a, true, n_sets);
	rand_peer(t, a, false, n_sets);
	uint32_t kind = rn(t, 10);
	if (kind < 4) { /* TCP */
		a->match |= MGI_M_PROTO;
		a->proto = 6;
		if (chance(t, 30)) {
			a->match |= MGI_M_TCP_FLAGS;
			a->tcp_flags_mask = (uint8_t)tg_rand(t);
			a->tcp_flags_value = (uint8_t)tg_rand(t) & a->tcp_flags_mask;
		}
		if (chance(t, 35)) {
			a->match |= MGI_M_DIR_INIT;
			a->dir_init = (uint8_t)rn(t, 2);
		}
	} else if (kind < 7) { /* UDP / SCTP / DCCP / no proto with ports */
		static const uint8_t pp[] = {17, 17, 132, 33};
		if (chance(t, 85)) {
			a->match |= MGI_M_PROTO;
			a->proto = pp[rn(t, 4)];
		}
	} else if (kind < 9) { /* ICMP */
		a->match |= MGI_M_PROTO;
		a->proto = a->family == MGI_FAMILY_IPV4 ? 1 : 58;
		if (chance(t, 60)) {
			a->match |= MGI_M_ICMP_TYPE;
			a->icmp_type = chance(t, 50) ? (uint8_t)(a->family == 4 ? 8 : 128)
						     : (uint8_t)tg_rand(t);
		}
		if (chance(t, 40)) {
			a->match |= MGI_M_ICMP_CODE;
			a->icmp_code = (uint8_t)rn(t, 3);
		}
		return;
	} else { /* anything, maybe a protocol number */
		if (chance(t, 50)) {
			a->match |= MGI_M_PROTO;
			a->proto = (uint8_t)(chance(t, 50) ? 47 : tg_rand(t));
			if (a->proto == 6 || a->proto == 1 || a->proto == 58)
				a->proto = 47;
		}
		return;
	}
	if (a->proto == 0 || a->proto == 6 || a->proto == 17 || a->proto == 132 || a->proto == 33) {
		if (chance(t, 50)) {
			a->match |= MGI_M_SPORT;
			rand_range(t, &a->sport_lo, &a->sport_hi);
			if (chance(t, 30))
				a->match |= MGI_M_SPORT_NEQ;
		}
		if (chance(t, 60)) {
			a->match |= MGI_M_DPORT;
			rand_range(t, &a->dport_lo, &a->dport_hi);
			if (chance(t, 30))
				a->match |= MGI_M_DPORT_NEQ;
		}
	}
}

int
tg_image(struct tg *t, void **blob, size_t *size, unsigned int max_policies, unsigned int max_aces)
{
	struct mgi_builder *b = mgi_builder_create();
	uint32_t n_pol = 1 + rn(t, max_policies), n_sets = rn(t, 5);
	char name[64];
	int rc = -ENOMEM;

	if (!b)
		return -ENOMEM;
	t->n_ports = 0;
	for (uint32_t s = 0; s < n_sets; s++) {
		snprintf(name, sizeof(name), "set%u.example", s);
		int64_t si =
			mgi_builder_set(b,
					s == 0 && chance(t, 50) ? MGI_SET_DNSNAME
								: (enum mgi_set_kind)(1 + rn(t, 7)),
					name);
		if (si < 0)
			goto out;
		uint32_t n = rn(t, 5);
		for (uint32_t i = 0; i < n; i++)
			if ((rc = mgi_builder_set_add(b, (uint32_t)si,
						      &t->pool[rn(t, t->n_pool)])) < 0)
				goto out;
	}
	int64_t acl = mgi_builder_str(b, "acl"), ace = mgi_builder_str(b, "ace");
	for (uint32_t p = 0; p < n_pol; p++) {
		snprintf(name, sizeof(name), "https://example.com/policy%u.json", p);
		int64_t pi = mgi_builder_add_policy(b, name, name);
		if (pi < 0 || acl < 0 || ace < 0) {
			rc = -EINVAL;
			goto out;
		}
		/* each direction list, plus the mirror of most direction-initiated ACEs in the
		 * other list (as MUD files pair them), so that replies find their flows */
		struct mgi_ace lists[2][64];
		uint32_t n_list[2] = {0, 0};
		for (unsigned int dir = 0; dir < 2; dir++) {
			uint32_t n = rn(t, max_aces + 1);
			for (uint32_t i = 0; i < n && n_list[dir] < 32; i++) {
				struct mgi_ace *a = &lists[dir][n_list[dir]++];
				memset(a, 0, sizeof(*a));
				a->acl_name = (uint32_t)acl;
				a->ace_name = (uint32_t)ace;
				rand_ace(t, a, n_sets);
				if ((a->match & MGI_M_DIR_INIT) && chance(t, 70)) {
					struct mgi_ace *m = &lists[!dir][n_list[!dir]++];
					*m = *a;
					m->src_kind = a->dst_kind;
					m->dst_kind = a->src_kind;
					m->src_set = a->dst_set;
					m->dst_set = a->src_set;
					m->src_plen = a->dst_plen;
					m->dst_plen = a->src_plen;
					memcpy(m->src_addr, a->dst_addr, 16);
					memcpy(m->dst_addr, a->src_addr, 16);
					m->match &= ~(MGI_M_SPORT | MGI_M_DPORT | MGI_M_SPORT_NEQ |
						      MGI_M_DPORT_NEQ);
					if (a->match & MGI_M_SPORT)
						m->match |= MGI_M_DPORT;
					if (a->match & MGI_M_DPORT)
						m->match |= MGI_M_SPORT;
					if (a->match & MGI_M_SPORT_NEQ)
						m->match |= MGI_M_DPORT_NEQ;
					if (a->match & MGI_M_DPORT_NEQ)
						m->match |= MGI_M_SPORT_NEQ;
					m->sport_lo = a->dport_lo;
					m->sport_hi = a->dport_hi;
					m->dport_lo = a->sport_lo;
					m->dport_hi = a->sport_hi;
					m->match &= ~MGI_M_TCP_FLAGS;
					m->tcp_flags_mask = m->tcp_flags_value = 0;
				}
			}
		}
		for (unsigned int dir = 0; dir < 2; dir++)
			for (uint32_t i = 0; i < n_list[dir]; i++)
				if ((rc = mgi_builder_add_ace(b, (uint32_t)pi, dir,
							      &lists[dir][i])) < 0)
					goto out;
	}
	for (uint32_t i = 0; i < 12; i++) {
		if (chance(t, 15))
			continue;
		uint32_t pol = chance(t, 10) ? MGI_NO_POLICY : rn(t, n_pol);
		uint32_t st = chance(t, 60) ? MG_STATE_ENFORCED : rn(t, MG_STATE_COUNT);
		if ((rc = mgi_builder_add_device(b, t->macs[i == 11 ? 15 : i], pol, st)) < 0)
			goto out;
	}
	for (uint32_t s = 0; s < MG_STATE_COUNT; s++) {
		if (chance(t, 60))
			continue; /* builder default */
		uint32_t mode = rn(t, 5);
		rc = mgi_builder_set_profile(
			b, s, mode, mode == MGI_PROFILE_POLICY ? rn(t, n_pol) : MGI_NO_POLICY);
		if (rc < 0)
			goto out;
	}
	rc = mgi_builder_set_allowances(b, (uint32_t)rn(t, 16),
					n_sets && chance(t, 70) ? rn(t, n_sets) : MGI_NO_POLICY);
	if (rc < 0)
		goto out;
	rc = mgi_builder_finish(b, blob, size);
out:
	if (rc < 0)
		fprintf(stderr, "tg_image: %s\n", mgi_builder_error(b));
	mgi_builder_destroy(b);
	return rc;
}

int
tg_image_mutate(struct tg *t, const struct mgi_image *in, void **blob, size_t *size)
{
	struct mgi_builder *b = mgi_builder_create();
	uint32_t n_in = in->n_policies, order[64], n_order = 0, new_idx[64];
	char name[64];
	int rc = -ENOMEM;

	if (!b)
		return -ENOMEM;
	if (n_in > 48) {
		rc = -E2BIG;
		goto out;
	}
	/* the address sets, in order (ACEs keep their set indexes); sometimes one changes */
	uint32_t changed_set = in->n_sets && chance(t, 25) ? rn(t, in->n_sets) : UINT32_MAX;
	for (uint32_t si = 0; si < in->n_sets; si++) {
		const struct mgi_set *st = &in->sets[si];
		int64_t x = mgi_builder_set(b, st->kind, mgi_str(in, st->name));
		if (x < 0)
			goto out;
		if (si == changed_set) {
			uint32_t n = rn(t, 5);
			for (uint32_t i = 0; i < n; i++)
				if ((rc = mgi_builder_set_add(b, (uint32_t)x,
							      &t->pool[rn(t, t->n_pool)])) < 0)
					goto out;
			continue;
		}
		for (uint32_t i = 0; i < st->n; i++)
			if ((rc = mgi_builder_set_add(b, (uint32_t)x,
						      &in->prefixes[st->first + i])) < 0)
				goto out;
	}
	/* which policies stay (most), in which order (sometimes shuffled: renumbered) */
	for (uint32_t p = 0; p < n_in; p++) {
		new_idx[p] = MGI_NO_POLICY;
		if (n_in > 1 && chance(t, 10))
			continue; /* removed */
		order[n_order++] = p;
	}
	if (chance(t, 40))
		for (uint32_t i = n_order; i > 1; i--) {
			uint32_t j = rn(t, i), x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
	int64_t acl = mgi_builder_str(b, "acl"), ace = mgi_builder_str(b, "ace");
	if (acl < 0 || ace < 0)
		goto out;
	uint32_t n_out = 0;
	for (uint32_t k = 0; k < n_order; k++) {
		const struct mgi_policy *pol = &in->policies[order[k]];
		int64_t pi = mgi_builder_add_policy(b, mgi_str(in, pol->name),
						    mgi_str(in, pol->mud_url));
		if (pi < 0) {
			rc = (int)pi;
			goto out;
		}
		new_idx[order[k]] = (uint32_t)pi;
		n_out++;
		bool change = chance(t, 20);
		uint32_t victim = pol->n_from + pol->n_to ? rn(t, pol->n_from + pol->n_to) : 0;
		for (uint32_t i = 0; i < pol->n_from + pol->n_to; i++) {
			struct mgi_ace a = in->aces[pol->first_ace + i];
			unsigned int dir = i < pol->n_from ? MG_DIR_FROM_DEVICE : MG_DIR_TO_DEVICE;
			a.acl_name = (uint32_t)mgi_builder_str(b, mgi_str(in, a.acl_name));
			a.ace_name = (uint32_t)mgi_builder_str(b, mgi_str(in, a.ace_name));
			if (change && i == victim) {
				if (chance(t, 30))
					continue; /* an ACE removed */
				memset(&a, 0, sizeof(a));
				a.acl_name = (uint32_t)acl;
				a.ace_name = (uint32_t)ace;
				rand_ace(t, &a, in->n_sets); /* replaced */
			}
			if ((rc = mgi_builder_add_ace(b, (uint32_t)pi, dir, &a)) < 0)
				goto out;
		}
		if (change && (chance(t, 40) || !(pol->n_from + pol->n_to))) {
			struct mgi_ace a = {.acl_name = (uint32_t)acl, .ace_name = (uint32_t)ace};
			rand_ace(t, &a, in->n_sets); /* an ACE added */
			if ((rc = mgi_builder_add_ace(b, (uint32_t)pi, rn(t, 2), &a)) < 0)
				goto out;
		}
	}
	/* new policies */
	uint32_t n_new = n_out < 40 && chance(t, 25) ? 1 + rn(t, 2) : 0;
	for (uint32_t k = 0; k < n_new; k++) {
		snprintf(name, sizeof(name), "https://example.com/new%" PRIu64 ".json",
			 tg_rand(t) % 1000000);
		int64_t pi = mgi_builder_add_policy(b, name, name);
		if (pi < 0)
			continue; /* the name exists already */
		n_out++;
		uint32_t n = rn(t, 8);
		for (uint32_t i = 0; i < n; i++) {
			struct mgi_ace a = {.acl_name = (uint32_t)acl, .ace_name = (uint32_t)ace};
			rand_ace(t, &a, in->n_sets);
			if ((rc = mgi_builder_add_ace(b, (uint32_t)pi, rn(t, 2), &a)) < 0)
				goto out;
		}
	}
	/* the devices follow their policies; some move to another one or to none */
	for (uint32_t i = 0; i < in->n_devices; i++) {
		const struct mgi_device *d = &in->devices[i];
		uint32_t pol = d->policy == MGI_NO_POLICY ? MGI_NO_POLICY : new_idx[d->policy];
		if (n_out && (pol == MGI_NO_POLICY || chance(t, 10)) && chance(t, 70))
			pol = rn(t, n_out);
		if ((rc = mgi_builder_add_device(b, d->mac, pol, d->state)) < 0)
			goto out;
	}
	for (uint32_t st = 0; st < MG_STATE_COUNT; st++) {
		const struct mgi_profile *pr = &in->profiles[st];
		uint32_t pol = pr->mode == MGI_PROFILE_POLICY ? new_idx[pr->policy] : MGI_NO_POLICY;
		uint32_t mode = pr->mode;
		if (mode == MGI_PROFILE_POLICY && pol == MGI_NO_POLICY)
			mode = MGI_PROFILE_ALLOWANCES_ONLY;
		if ((rc = mgi_builder_set_profile(b, st, mode, pol)) < 0)
			goto out;
	}
	rc = mgi_builder_set_allowances(b, in->allowances->flags, in->allowances->resolver_set);
	if (rc < 0)
		goto out;
	rc = mgi_builder_finish(b, blob, size);
out:
	if (rc < 0)
		fprintf(stderr, "tg_image_mutate: %s\n", mgi_builder_error(b));
	mgi_builder_destroy(b);
	return rc;
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An address from the pool: base, last, just outside, or random. */
static void
rand_addr(struct tg *t, uint8_t family, uint8_t *out)
{
	const struct mgi_prefix *p;
	unsigned int n = family == 4 ? 4 : 16;
	do
		p = &t->pool[rn(t, t->n_pool)];
	while (p->family != family);
	memcpy(out, p->addr, n);
	switch (rn(t, 5)) {
	case 0: /* network address */
		break;
	case 1: /* last address */
	case 2:
		for (unsigned int i = 0; i < n; i++) {
			int bits = (int)p->plen - 8 * (int)i;
			if (bits < 8)
				out[i] |= bits <= 0 ? 0xff : (uint8_t)(0xffu >> bits);
		}
		if (rn(t, 2)) { /* one past the end */
			for (int i = (int)n - 1; i >= 0 && ++out[i] == 0; i--)
				;
		}
		break;
	case 3: /* one before */
		for (int i = (int)n - 1; i >= 0 && out[i]-- == 0; i--)
			;
		break;
	default:
		for (unsigned int i = 0; i < n; i++)
			out[i] = (uint8_t)tg_rand(t);
	}
}

static size_t
l4_header(struct tg *t, uint8_t proto, uint8_t *l4, size_t room)
{
	static const uint8_t flags[] = {0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x00, 0xff};
	size_t n = 0;
	switch (proto) {
	case 6:
		n = 20;
		wr16(l4, rand_port(t));
		wr16(l4 + 2, rand_port(t));
		l4[12] = chance(t, 95) ? 0x50 : (uint8_t)(tg_rand(t) & 0xf0);
		l4[13] = chance(t, 80) ? flags[rn(t, 8)] : (uint8_t)tg_rand(t);
		break;
	case 17:
		n = 8;
		wr16(l4, rand_port(t));
		wr16(l4 + 2, rand_port(t));
		break;
	case 132:
	case 33:
		n = 12;
		wr16(l4, rand_port(t));
		wr16(l4 + 2, rand_port(t));
		break;
	case 1:
	case 58: {
		static const uint8_t types[] = {0, 8, 3, 128, 129, 133, 134, 135, 136, 137, 138};
		n = 8;
		l4[0] = chance(t, 80) ? types[rn(t, sizeof(types))] : (uint8_t)tg_rand(t);
		l4[1] = (uint8_t)rn(t, 3);
		break;
	}
	default:
		n = rn(t, 16);
	}
	n += chance(t, 30) ? rn(t, 24) : 0; /* payload */
	return n > room ? room : n;
}

static size_t
make_frame(struct tg *t, uint8_t *f)
{
	static const uint8_t protos[] = {6, 6, 17, 17, 1, 58, 132, 33, 47, 0};
	size_t off = 12;
	uint32_t r;

	memset(f, 0, 256);
	r = rn(t, 20);
	if (r == 0)
		memset(f, 0xff, 6);
	else if (r == 1)
		memcpy(f, (uint8_t[]){0x33, 0x33, 0, 0, 0, 1}, 6);
	else
		memcpy(f, t->macs[rn(t, t->n_macs)], 6);
	memcpy(f + 6, t->macs[rn(t, t->n_macs)], 6);
	uint32_t n_vlans = chance(t, 75) ? 0 : 1 + rn(t, chance(t, 90) ? 2 : 3);
	for (uint32_t i = 0; i < n_vlans; i++) {
		wr16(f + off, i == 0 && chance(t, 50) ? 0x88a8 : 0x8100);
		wr16(f + off + 2, (uint16_t)rn(t, 4096));
		off += 4;
	}
	r = rn(t, 20);
	if (r < 1) {
		wr16(f + off, 0x0806);
		return off + 2 + 28;
	}
	if (r < 2) {
		wr16(f + off, chance(t, 50) ? 0x88cc : (uint16_t)tg_rand(t));
		return off + 2 + rn(t, 40);
	}
	uint8_t proto = chance(t, 85) ? protos[rn(t, sizeof(protos))] : (uint8_t)tg_rand(t);
	if (r < 11) { /* IPv4 */
		uint8_t *ip = f + off + 2;
		wr16(f + off, 0x0800);
		size_t ihl = chance(t, 90) ? 20 : 24;
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		ip[8] = 64;
		ip[9] = proto;
		rand_addr(t, 4, ip + 12);
		rand_addr(t, 4, ip + 16);
		if (chance(t, 10)) /* fragments: MF and/or an offset */
			wr16(ip + 6, (uint16_t)((chance(t, 50) ? 0x2000 : 0) |
						(chance(t, 50) ? rn(t, 0x1fff) : 0)));
		size_t l4 = l4_header(t, proto, ip + ihl, 256 - (off + 2 + ihl));
		if (proto == 17)
			wr16(ip + ihl + 4, (uint16_t)(chance(t, 95) ? l4 : rn(t, 64)));
		size_t tot = ihl + l4;
		wr16(ip + 2, (uint16_t)(chance(t, 95) ? tot : rn(t, 80)));
		return off + 2 + tot;
	}
	/* IPv6 */
	uint8_t *ip = f + off + 2;
	wr16(f + off, 0x86dd);
	ip[0] = 0x60;
	ip[7] = 64;
	rand_addr(t, 6, ip + 8);
	rand_addr(t, 6, ip + 24);
	size_t hl = 40;
	uint8_t *nh = ip + 6;
	uint32_t n_ext = chance(t, 80) ? 0 : 1 + rn(t, 3);
	for (uint32_t i = 0; i < n_ext && hl + 16 < 200; i++) {
		static const uint8_t ext[] = {0, 60, 43, 44, 51};
		uint8_t e = ext[rn(t, 5)];
		uint8_t *h = ip + hl;
		*nh = e;
		nh = h;
		if (e == 44) {
			wr16(h + 2, (uint16_t)(chance(t, 50) ? 0 : (rn(t, 0x1fff) << 3)) |
					    (uint16_t)rn(t, 2));
			hl += 8;
		} else if (e == 51) {
			h[1] = 1; /* (1 + 2) * 4 = 12 bytes */
			hl += 12;
		} else {
			h[1] = 0;
			hl += 8;
		}
	}
	*nh = proto;
	size_t l4 = l4_header(t, proto, ip + hl, 256 - (off + 2 + hl));
	if (proto == 17)
		wr16(ip + hl + 4, (uint16_t)(chance(t, 95) ? l4 : rn(t, 64)));
	size_t pl = hl - 40 + l4;
	wr16(ip + 4, (uint16_t)(chance(t, 95) ? pl : rn(t, 80)));
	return off + 2 + 40 + pl;
}

/* The reply of a recorded TCP frame: MACs, addresses and ports swapped. */
static size_t
reply_frame(struct tg *t, uint8_t *f)
{
	uint32_t i = rn(t, t->n_hist);
	size_t len = t->hist_len[i], off = 12;
	uint8_t tmp[16];

	memcpy(f, t->hist[i], 256);
	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	while ((f[off] == 0x81 && f[off + 1] == 0x00) || (f[off] == 0x88 && f[off + 1] == 0xa8))
		off += 4;
	uint8_t *ip = f + off + 2, *l4;
	size_t alen;
	if (f[off] == 0x08) {
		alen = 4;
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		l4 = ip + (ip[0] & 0xf) * 4;
	} else {
		alen = 16;
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
		l4 = ip + 40; /* recorded frames have no extension header */
	}
	(void)alen;
	memcpy(tmp, l4, 2);
	memcpy(l4, l4 + 2, 2);
	memcpy(l4 + 2, tmp, 2);
	static const uint8_t flags[] = {0x12, 0x10, 0x11, 0x04, 0x18};
	l4[13] = flags[rn(t, 5)];
	return len;
}

size_t
tg_frame(struct tg *t, uint8_t *buf)
{
	size_t len;
	if (t->n_hist && chance(t, 15))
		return reply_frame(t, buf);
	len = make_frame(t, buf);
	/* remember plain TCP frames (no extension header) for their replies */
	size_t off = 12;
	while (off + 4 <= len && ((buf[off] == 0x81 && buf[off + 1] == 0) ||
				  (buf[off] == 0x88 && buf[off + 1] == 0xa8)))
		off += 4;
	if (off + 2 + 40 <= len &&
	    ((buf[off] == 0x08 && buf[off + 1] == 0 && buf[off + 11] == 6) ||
	     (buf[off] == 0x86 && buf[off + 1] == 0xdd && buf[off + 8] == 6))) {
		uint32_t slot = t->n_hist < 64 ? t->n_hist++ : rn(t, 64);
		memcpy(t->hist[slot], buf, 256);
		t->hist_len[slot] = len;
	}
	if (chance(t, 6)) /* truncated anywhere */
		len = rn(t, (uint32_t)len + 1);
	return len;
}

/* An address inside (or at the edge of) addr/plen. */
static void
addr_in(struct tg *t, const uint8_t *pfx, unsigned int plen, unsigned int n, uint8_t *out)
{
	for (unsigned int i = 0; i < n; i++) {
		int bits = (int)plen - 8 * (int)i;
		uint8_t host = bits >= 8 ? 0 : bits <= 0 ? 0xff : (uint8_t)(0xffu >> bits);
		uint8_t r = (uint8_t)tg_rand(t);
		uint32_t e = rn(t, 4);
		out[i] = (uint8_t)((pfx[i] & ~host) | ((e == 0 ? 0 : e == 1 ? 0xff : r) & host));
	}
}

static void
peer_addr(struct tg *t, const struct mgi_image *img, const struct mgi_ace *a, bool src,
	  uint8_t *out)
{
	unsigned int n = a->family == MGI_FAMILY_IPV4 ? 4 : 16;
	uint8_t kind = src ? a->src_kind : a->dst_kind;
	if (kind == MGI_PEER_PREFIX) {
		addr_in(t, src ? a->src_addr : a->dst_addr, src ? a->src_plen : a->dst_plen, n,
			out);
		return;
	}
	if (kind == MGI_PEER_SET) {
		const struct mgi_set *s = &img->sets[src ? a->src_set : a->dst_set];
		for (uint32_t tries = 0; s->n && tries < 8; tries++) {
			const struct mgi_prefix *p = &img->prefixes[s->first + rn(t, s->n)];
			if (p->family == a->family) {
				addr_in(t, p->addr, p->plen, n, out);
				return;
			}
		}
	}
	rand_addr(t, a->family, out);
}

static uint16_t
port_for(struct tg *t, uint32_t m, uint32_t bit, uint32_t neq, uint16_t lo, uint16_t hi)
{
	if (!(m & bit) || chance(t, 10))
		return rand_port(t);
	if (m & neq) {
		if (lo > 0 && (hi == 65535 || chance(t, 50)))
			return (uint16_t)rn(t, lo);
		if (hi < 65535)
			return (uint16_t)(hi + 1 + rn(t, 65535u - hi));
		return lo;
	}
	uint32_t e = rn(t, 3);
	return e == 0 ? lo : e == 1 ? hi : (uint16_t)(lo + rn(t, (uint32_t)(hi - lo) + 1));
}

size_t
tg_frame_for_ace(struct tg *t, const struct mgi_image *img, uint32_t ace, const uint8_t *dev_mac,
		 unsigned int dir, const uint8_t *peer_mac, uint8_t *f)
{
	const struct mgi_ace *a = &img->aces[ace];
	size_t off = 12;

	memset(f, 0, 256);
	memcpy(f, dir == MG_DIR_FROM_DEVICE ? peer_mac : dev_mac, 6);
	memcpy(f + 6, dir == MG_DIR_FROM_DEVICE ? dev_mac : peer_mac, 6);
	if (chance(t, 15)) {
		wr16(f + off, 0x8100);
		wr16(f + off + 2, (uint16_t)rn(t, 4096));
		off += 4;
	}
	if (a->family == MGI_FAMILY_ETH) {
		wr16(f + off, (a->match & MGI_M_ETHERTYPE) ? a->ethertype : 0x88cc);
		return off + 2 + 46;
	}
	uint8_t proto = (a->match & MGI_M_PROTO) ? a->proto : (chance(t, 50) ? 6 : 17);
	uint16_t sport =
		port_for(t, a->match, MGI_M_SPORT, MGI_M_SPORT_NEQ, a->sport_lo, a->sport_hi);
	uint16_t dport =
		port_for(t, a->match, MGI_M_DPORT, MGI_M_DPORT_NEQ, a->dport_lo, a->dport_hi);
	uint8_t *ip = f + off + 2, *l4;
	size_t hl, l4len;
	if (a->family == MGI_FAMILY_IPV4) {
		wr16(f + off, 0x0800);
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = proto;
		peer_addr(t, img, a, true, ip + 12);
		peer_addr(t, img, a, false, ip + 16);
		hl = 20;
	} else {
		wr16(f + off, 0x86dd);
		ip[0] = 0x60;
		ip[6] = proto;
		ip[7] = 64;
		peer_addr(t, img, a, true, ip + 8);
		peer_addr(t, img, a, false, ip + 24);
		hl = 40;
	}
	l4 = ip + hl;
	if (proto == 6) {
		l4len = 20;
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		l4[12] = 0x50;
		uint8_t fl = chance(t, 50) ? 0x02 : (uint8_t)(chance(t, 50) ? 0x10 : tg_rand(t));
		if ((a->match & MGI_M_DIR_INIT) && a->dir_init == dir && chance(t, 70))
			fl = 0x02; /* open a direction-initiated flow */
		if (a->match & MGI_M_TCP_FLAGS && chance(t, 80))
			fl = (uint8_t)((fl & ~a->tcp_flags_mask) | a->tcp_flags_value);
		l4[13] = fl;
	} else if (proto == 1 || proto == 58) {
		l4len = 8;
		l4[0] = (a->match & MGI_M_ICMP_TYPE) ? a->icmp_type : (uint8_t)rn(t, 256);
		l4[1] = (a->match & MGI_M_ICMP_CODE) ? a->icmp_code : 0;
	} else if (proto == 17 || proto == 132 || proto == 33) {
		l4len = proto == 17 ? 8 : 12;
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		if (proto == 17)
			wr16(l4 + 4, 8 + 16);
		if (proto == 17)
			l4len += 16;
	} else {
		l4len = 8;
	}
	if (a->family == MGI_FAMILY_IPV4)
		wr16(ip + 2, (uint16_t)(hl + l4len));
	else
		wr16(ip + 4, (uint16_t)l4len);
	size_t len = off + 2 + hl + l4len;
	if (proto == 6) { /* remember it for a reply */
		uint32_t slot = t->n_hist < 64 ? t->n_hist++ : rn(t, 64);
		memcpy(t->hist[slot], f, 256);
		t->hist_len[slot] = len;
	}
	return len;
}

size_t
tg_frame_image(struct tg *t, const struct mgi_image *img, uint8_t *f)
{
	uint32_t r = rn(t, 10);
	if (img->n_devices && img->n_aces && r < 7) {
		const struct mgi_device *d = &img->devices[rn(t, img->n_devices)];
		uint32_t pol = d->policy != MGI_NO_POLICY ? d->policy : rn(t, img->n_policies);
		const struct mgi_policy *p = &img->policies[pol];
		if (p->n_from + p->n_to) {
			uint32_t k = rn(t, p->n_from + p->n_to);
			unsigned int dir = k < p->n_from ? MG_DIR_FROM_DEVICE : MG_DIR_TO_DEVICE;
			const uint8_t *peer = chance(t, 80)
						      ? t->macs[14]
						      : img->devices[rn(t, img->n_devices)].mac;
			return tg_frame_for_ace(t, img, p->first_ace + k, d->mac, dir, peer, f);
		}
	}
	if (img->n_devices && t->n_hist && r < 9)
		return reply_frame(t, f);
	size_t len = make_frame(t, f);
	if (img->n_devices && chance(t, 70)) {
		memcpy(f + (chance(t, 50) ? 0 : 6), img->devices[rn(t, img->n_devices)].mac, 6);
	}
	if (chance(t, 5))
		len = rn(t, (uint32_t)len + 1);
	return len;
}

/* ---- boundary and malformed frames ------------------------------------------------------ */

struct bnd {
	uint8_t (*out)[256];
	size_t *lens;
	size_t n, max;
};

static void
bnd_add(struct bnd *b, const uint8_t *f, size_t len)
{
	if (b->n == b->max || len > 256)
		return;
	memset(b->out[b->n], 0, 256);
	memcpy(b->out[b->n], f, len);
	b->lens[b->n++] = len;
}

/* A template: the frame, where its IP and L4 headers start (0: none) and what they are. */
struct tmpl {
	uint8_t f[256];
	size_t len, l3, l4, ext; /* ext: first IPv6 extension header, 0 when none */
	uint16_t ethertype;
	uint8_t proto;
};

static void
tmpl_eth(struct tmpl *t, unsigned int n_vlans, uint16_t ethertype)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	memset(t, 0, sizeof(*t));
	memcpy(t->f, macs, 12);
	size_t off = 12;
	for (unsigned int i = 0; i < n_vlans; i++) {
		wr16(t->f + off, i == 0 && n_vlans > 1 ? 0x88a8 : 0x8100);
		wr16(t->f + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	wr16(t->f + off, ethertype);
	t->ethertype = ethertype;
	t->len = off + 2;
	t->l3 = off + 2;
}

static size_t
l4_fill(uint8_t *l4, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags)
{
	switch (proto) {
	case 6:
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		l4[12] = 0x50;
		l4[13] = flags;
		return 20;
	case 17:
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		wr16(l4 + 4, 12);
		return 12;
	case 132:
	case 33:
		wr16(l4, sport);
		wr16(l4 + 2, dport);
		return 12;
	case 1:
	case 58:
		l4[0] = flags;
		l4[1] = 0;
		return 8;
	default:
		return 6;
	}
}

static void
tmpl_v4(struct tmpl *t, unsigned int n_vlans, unsigned int ihl, uint8_t proto, uint16_t frag,
	uint16_t sport, uint16_t dport, uint8_t flags)
{
	tmpl_eth(t, n_vlans, 0x0800);
	uint8_t *ip = t->f + t->l3;
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[8] = 64;
	ip[9] = proto;
	wr16(ip + 6, frag);
	memcpy(ip + 12, (uint8_t[]){10, 1, 2, 3}, 4);
	memcpy(ip + 16, (uint8_t[]){192, 168, 1, 200}, 4);
	t->l4 = t->l3 + ihl;
	size_t l4 = l4_fill(t->f + t->l4, proto, sport, dport, flags);
	wr16(ip + 2, (uint16_t)(ihl + l4));
	t->len = t->l4 + l4;
	t->proto = proto;
}

/* IPv6 with the extension headers exts[0..n_ext) (0, 43, 60: 8 bytes; 51: 12; 44: fragment
 * with offset frag_off and M=1) and then proto. */
static void
tmpl_v6(struct tmpl *t, unsigned int n_vlans, const uint8_t *exts, unsigned int n_ext,
	uint16_t frag_off, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags)
{
	tmpl_eth(t, n_vlans, 0x86dd);
	uint8_t *ip = t->f + t->l3;
	ip[0] = 0x60;
	ip[7] = 64;
	memcpy(ip + 8, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}, 16);
	memcpy(ip + 24, (uint8_t[]){0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 16);
	uint8_t *nh = ip + 6;
	size_t off = t->l3 + 40;
	t->ext = n_ext ? off : 0;
	for (unsigned int i = 0; i < n_ext; i++) {
		uint8_t *h = t->f + off;
		*nh = exts[i];
		nh = h;
		if (exts[i] == 44) {
			wr16(h + 2, (uint16_t)(frag_off << 3 | 1));
			off += 8;
		} else if (exts[i] == 51) {
			h[1] = 1;
			off += 12;
		} else {
			off += 8;
		}
	}
	*nh = proto;
	t->l4 = off;
	size_t l4 = l4_fill(t->f + off, proto, sport, dport, flags);
	wr16(ip + 4, (uint16_t)(off - t->l3 - 40 + l4));
	t->len = off + l4;
	t->proto = proto;
}

/* Every truncation of t and the header mutations that apply to it. */
static void
bnd_variants(struct bnd *b, const struct tmpl *t)
{
	uint8_t f[256];
	for (size_t len = 0; len <= t->len; len++)
		bnd_add(b, t->f, len);
	if (t->ethertype == 0x0800) {
		uint8_t *ip = f + t->l3;
		size_t ihl = t->l4 - t->l3, tot = t->len - t->l3;
		for (unsigned int v = 0; v < 16; v++) { /* every IHL */
			memcpy(f, t->f, 256);
			ip[0] = (uint8_t)(0x40 | v);
			bnd_add(b, f, t->len);
		}
		static const unsigned int vers[] = {0, 5, 6, 15};
		for (unsigned int v = 0; v < 4; v++) {
			memcpy(f, t->f, 256);
			ip[0] = (uint8_t)(vers[v] << 4 | (ip[0] & 0xf));
			bnd_add(b, f, t->len);
		}
		const size_t tots[] = {0, ihl - 1, ihl, ihl + 1, tot - 1, tot, tot + 1, 65535};
		for (unsigned int v = 0; v < 8; v++) {
			memcpy(f, t->f, 256);
			wr16(ip + 2, (uint16_t)tots[v]);
			bnd_add(b, f, t->len);
			bnd_add(b, f, t->len + 10); /* Ethernet padding after the datagram */
		}
		static const uint16_t frags[] = {0x2000, 0x0001, 0x1fff, 0x3fff, 0x4000, 0x2001};
		for (unsigned int v = 0; v < 6; v++) {
			memcpy(f, t->f, 256);
			wr16(ip + 6, frags[v]);
			bnd_add(b, f, t->len);
		}
	}
	if (t->ethertype == 0x86dd) {
		uint8_t *ip = f + t->l3;
		size_t pl = t->len - t->l3 - 40;
		const size_t pls[] = {0, pl - 1, pl + 1, 65535, 8, 7};
		for (unsigned int v = 0; v < 6; v++) {
			memcpy(f, t->f, 256);
			wr16(ip + 4, (uint16_t)pls[v]);
			bnd_add(b, f, t->len);
		}
		for (unsigned int v = 0; v < 16; v += 3) {
			memcpy(f, t->f, 256);
			ip[0] = (uint8_t)(v << 4);
			bnd_add(b, f, t->len);
		}
		if (t->ext) {
			static const uint8_t hl[] = {0, 1, 2, 30, 255};
			for (unsigned int v = 0; v < 5; v++) {
				memcpy(f, t->f, 256);
				f[t->ext + 1] = hl[v];
				bnd_add(b, f, t->len);
			}
		}
	}
	if (t->l4 && t->proto == 6) {
		for (unsigned int v = 0; v < 16; v++) { /* every TCP data offset */
			memcpy(f, t->f, 256);
			f[t->l4 + 12] = (uint8_t)(v << 4);
			bnd_add(b, f, t->len);
		}
	}
	if (t->l4 && t->proto == 17) {
		size_t ul = t->len - t->l4;
		const size_t uls[] = {0, 7, 8, ul - 1, ul, ul + 1, 65535};
		for (unsigned int v = 0; v < 7; v++) {
			memcpy(f, t->f, 256);
			wr16(f + t->l4 + 4, (uint16_t)uls[v]);
			bnd_add(b, f, t->len);
		}
	}
}

size_t
tg_boundary_frames(uint8_t (*out)[256], size_t *lens, size_t max)
{
	struct bnd b = {out, lens, 0, max};
	struct tmpl t;
	static const uint8_t ext_mix[] = {0, 60, 43, 51};
	static const uint8_t ext8[] = {0, 60, 43, 60, 43, 60, 43, 60, 43};
	static const uint8_t frag_hdr[] = {44};
	static const uint8_t hop_frag[] = {0, 44};

	/* runts and bare Ethernet */
	for (size_t len = 0; len < 14; len++) {
		tmpl_eth(&t, 0, 0x0800);
		bnd_add(&b, t.f, len);
	}
	tmpl_eth(&t, 0, 0x0806);
	t.len += 28;
	bnd_variants(&b, &t);
	tmpl_eth(&t, 0, 0x88cc);
	bnd_add(&b, t.f, t.len + 20);
	for (unsigned int v = 0; v <= 3; v++) { /* untagged, VLAN, QinQ, three tags */
		tmpl_v4(&t, v, 20, 6, 0, 40000, 443, 0x02);
		bnd_variants(&b, &t);
		tmpl_v6(&t, v, NULL, 0, 0, 58, 0, 0, 135);
		bnd_variants(&b, &t);
	}
	tmpl_v4(&t, 0, 24, 17, 0, 68, 67, 0);
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 17, 0, 53, 40000, 0);
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 1, 0, 0, 0, 8);
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 58, 0, 0, 0, 8); /* ICMPv6 number over IPv4 */
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 132, 0, 5000, 5001, 0);
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 33, 0, 5000, 5001, 0);
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 47, 0, 0, 0, 0);
	bnd_variants(&b, &t);
	tmpl_v4(&t, 1, 20, 17, 0x2000, 1000, 2000, 0); /* first fragment (MF) */
	bnd_variants(&b, &t);
	tmpl_v4(&t, 0, 20, 6, 0x00b9, 1000, 2000, 0x12); /* non-first fragment */
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, NULL, 0, 0, 6, 40000, 443, 0x02);
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, ext_mix, 4, 0, 17, 546, 547, 0);
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, ext8, 8, 0, 6, 1, 2, 0x10); /* 8 extension headers: the limit */
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, ext8, 9, 0, 6, 1, 2, 0x10); /* 9: malformed */
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, frag_hdr, 1, 0, 17, 53, 1000, 0); /* first fragment */
	bnd_variants(&b, &t);
	tmpl_v6(&t, 1, hop_frag, 2, 77, 6, 1, 2, 0x02); /* non-first fragment */
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, NULL, 0, 0, 1, 0, 0, 8); /* ICMP number over IPv6 */
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, NULL, 0, 0, 33, 7, 8, 0);
	bnd_variants(&b, &t);
	tmpl_v6(&t, 0, NULL, 0, 0, 59, 0, 0, 0); /* no next header */
	bnd_variants(&b, &t);
	return b.n;
}
