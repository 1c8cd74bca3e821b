/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy image writer. The builder keeps growable arrays per policy direction, per set
 * and for devices, and an interned string table (open addressing on the string offsets).
 * mgi_builder_finish() lays the sections out in type order, each 8-byte aligned, with the
 * ACEs of each policy as from-device then to-device and the devices sorted by MAC, checksums
 * the blob, and runs mgi_open() on it so that a builder never hands out an image the
 * enforcers would refuse.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_image.h"

struct ace_vec {
	struct mgi_ace *v;
	uint32_t n, cap;
};

struct b_policy {
	uint32_t name, mud_url;
	struct ace_vec dir[2];
};

struct b_set {
	uint32_t name, kind;
	struct mgi_prefix *v;
	uint32_t n, cap;
};

struct mgi_builder {
	char *strtab;
	size_t strtab_size, strtab_cap;
	uint32_t *str_hash; /* offsets + 1, 0 = empty slot */
	size_t hash_cap, n_strs;

	struct b_policy *policies;
	uint32_t n_policies, cap_policies;
	uint64_t n_aces;
	struct b_set *sets;
	uint32_t n_sets, cap_sets;
	uint64_t n_prefixes;
	struct mgi_device *devices;
	uint32_t n_devices, cap_devices;

	struct mgi_profile profiles[MG_STATE_COUNT];
	struct mgi_allowances allowances;
	uint64_t generation;
	char err[256];
};

__attribute__((format(printf, 3, 4))) static int
b_fail(struct mgi_builder *b, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	return err;
}

/* Grows *v (elements of size esz) so that it holds at least need elements. */
static int
grow(void **v, uint32_t *cap, uint32_t need, size_t esz)
{
	uint32_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > UINT32_MAX / 2)
			return -E2BIG;
		n *= 2;
	}
	p = realloc(*v, (size_t)n * esz);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static int
hash_insert(uint32_t *tab, size_t cap, const char *strtab, uint32_t off)
{
	size_t i = str_hash(strtab + off) & (cap - 1);

	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = off + 1;
	return 0;
}

static int
hash_grow(struct mgi_builder *b)
{
	size_t cap = b->hash_cap ? b->hash_cap * 2 : 64;
	uint32_t *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < b->hash_cap; i++)
		if (b->str_hash[i])
			hash_insert(tab, cap, b->strtab, b->str_hash[i] - 1);
	free(b->str_hash);
	b->str_hash = tab;
	b->hash_cap = cap;
	return 0;
}

int64_t
mgi_builder_str(struct mgi_builder *b, const char *s)
{
	size_t len, i;
	uint32_t off;
	int rc;

	if (!s)
		return b_fail(b, -EINVAL, "NULL string");
	len = strlen(s);
	if (len > MGI_NAME_MAX)
		return b_fail(b, -E2BIG, "string of %zu bytes exceeds %u: \"%.40s...\"", len,
			      MGI_NAME_MAX, s);
	if (len == 0)
		return 0;
	i = str_hash(s) & (b->hash_cap - 1);
	while (b->str_hash[i]) {
		off = b->str_hash[i] - 1;
		if (!strcmp(b->strtab + off, s))
			return off;
		i = (i + 1) & (b->hash_cap - 1);
	}
	if (b->strtab_size + len + 1 > MGI_MAX_SIZE)
		return b_fail(b, -E2BIG, "string table exceeds %u bytes", MGI_MAX_SIZE);
	if (b->strtab_size + len + 1 > b->strtab_cap) {
		size_t cap = b->strtab_cap * 2;
		char *p;

		while (cap < b->strtab_size + len + 1)
			cap *= 2;
		p = realloc(b->strtab, cap);
		if (!p)
			return b_fail(b, -ENOMEM, "out of memory");
		b->strtab = p;
		b->strtab_cap = cap;
	}
	off = (uint32_t)b->strtab_size;
	memcpy(b->strtab + off, s, len + 1);
	b->strtab_size += len + 1;
	if ((b->n_strs + 1) * 2 > b->hash_cap) {
		rc = hash_grow(b);
		if (rc)
			return b_fail(b, rc, "out of memory");
	}
	hash_insert(b->str_hash, b->hash_cap, b->strtab, off);
	b->n_strs++;
	return off;
}

struct mgi_builder *
mgi_builder_create(void)
{
	struct mgi_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->strtab_cap = 256;
	b->strtab = calloc(1, b->strtab_cap);
	if (!b->strtab || hash_grow(b)) {
		mgi_builder_destroy(b);
		errno = ENOMEM;
		return NULL;
	}
	b->strtab_size = 1; /* offset 0: "" */
	for (int s = 0; s < MG_STATE_COUNT; s++)
		b->profiles[s] = (struct mgi_profile){MGI_PROFILE_ALLOWANCES_ONLY, MGI_NO_POLICY};
	b->profiles[MG_STATE_ENFORCED].mode = MGI_PROFILE_OWN;
	b->profiles[MG_STATE_UPDATING].mode = MGI_PROFILE_OWN;
	b->profiles[MG_STATE_DECOMMISSIONED].mode = MGI_PROFILE_DENY_ALL;
	b->allowances.flags = MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS;
	b->allowances.resolver_set = MGI_NO_POLICY;
	return b;
}

void
mgi_builder_destroy(struct mgi_builder *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < b->n_policies; i++) {
		free(b->policies[i].dir[0].v);
		free(b->policies[i].dir[1].v);
	}
	for (uint32_t i = 0; i < b->n_sets; i++)
		free(b->sets[i].v);
	free(b->policies);
	free(b->sets);
	free(b->devices);
	free(b->str_hash);
	free(b->strtab);
	free(b);
}

const char *
mgi_builder_error(const struct mgi_builder *b)
{
	return b->err;
}

int64_t
mgi_builder_add_policy(struct mgi_builder *b, const char *name, const char *mud_url)
{
	int64_t n, u;
	int rc;

	n = mgi_builder_str(b, name);
	if (n < 0)
		return n;
	u = mgi_builder_str(b, mud_url);
	if (u < 0)
		return u;
	rc = grow((void **)&b->policies, &b->cap_policies, b->n_policies + 1, sizeof(*b->policies));
	if (rc)
		return b_fail(b, rc, "too many policies");
	b->policies[b->n_policies] = (struct b_policy){.name = (uint32_t)n, .mud_url = (uint32_t)u};
	return b->n_policies++;
}

int
mgi_builder_add_ace(struct mgi_builder *b, uint32_t policy, enum mg_dir dir,
		    const struct mgi_ace *ace)
{
	struct ace_vec *v;
	int rc;

	if (policy >= b->n_policies)
		return b_fail(b, -EINVAL, "policy %u out of range (%u policies)", policy,
			      b->n_policies);
	if (dir != MG_DIR_FROM_DEVICE && dir != MG_DIR_TO_DEVICE)
		return b_fail(b, -EINVAL, "direction %d invalid", (int)dir);
	if (ace->acl_name >= b->strtab_size || ace->ace_name >= b->strtab_size)
		return b_fail(b, -EINVAL, "ACE names are not builder string offsets");
	if ((b->n_aces + 1) * sizeof(*ace) > MGI_MAX_SIZE)
		return b_fail(b, -E2BIG, "too many ACEs");
	v = &b->policies[policy].dir[dir];
	rc = grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v));
	if (rc)
		return b_fail(b, rc, "out of memory");
	v->v[v->n++] = *ace;
	b->n_aces++;
	return 0;
}

int64_t
mgi_builder_set(struct mgi_builder *b, enum mgi_set_kind kind, const char *name)
{
	int64_t n;
	int rc;

	if (kind < MGI_SET_LOCAL_NETWORKS || kind > MGI_SET_DNSNAME)
		return b_fail(b, -EINVAL, "set kind %d invalid", (int)kind);
	n = mgi_builder_str(b, name);
	if (n < 0)
		return n;
	for (uint32_t i = 0; i < b->n_sets; i++)
		if (b->sets[i].kind == (uint32_t)kind && b->sets[i].name == (uint32_t)n)
			return i;
	rc = grow((void **)&b->sets, &b->cap_sets, b->n_sets + 1, sizeof(*b->sets));
	if (rc)
		return b_fail(b, rc, "too many sets");
	b->sets[b->n_sets] = (struct b_set){.name = (uint32_t)n, .kind = (uint32_t)kind};
	return b->n_sets++;
}

int
mgi_builder_set_add(struct mgi_builder *b, uint32_t set, const struct mgi_prefix *p)
{
	struct b_set *s;
	int rc;

	if (set >= b->n_sets)
		return b_fail(b, -EINVAL, "set %u out of range (%u sets)", set, b->n_sets);
	if ((b->n_prefixes + 1) * sizeof(*p) > MGI_MAX_SIZE)
		return b_fail(b, -E2BIG, "too many prefixes");
	s = &b->sets[set];
	rc = grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	if (rc)
		return b_fail(b, rc, "out of memory");
	s->v[s->n++] = *p;
	b->n_prefixes++;
	return 0;
}

int
mgi_builder_add_device(struct mgi_builder *b, const uint8_t mac[6], uint32_t policy,
		       enum mg_state state)
{
	int rc;

	if ((unsigned int)state >= MG_STATE_COUNT)
		return b_fail(b, -EINVAL, "state %d invalid", (int)state);
	if (policy != MGI_NO_POLICY && policy >= b->n_policies)
		return b_fail(b, -EINVAL, "policy %u out of range (%u policies)", policy,
			      b->n_policies);
	/* A repeated MAC is resolved in mgi_builder_finish() (the last binding wins), so that
	 * adding N devices stays O(N log N) instead of a scan per device. */
	rc = grow((void **)&b->devices, &b->cap_devices, b->n_devices + 1, sizeof(*b->devices));
	if (rc)
		return b_fail(b, rc, "too many devices");
	memset(&b->devices[b->n_devices], 0, sizeof(b->devices[0]));
	memcpy(b->devices[b->n_devices].mac, mac, 6);
	b->devices[b->n_devices].state = (uint8_t)state;
	b->devices[b->n_devices].policy = policy;
	b->n_devices++;
	return 0;
}

int
mgi_builder_set_profile(struct mgi_builder *b, enum mg_state state, enum mgi_profile_mode mode,
			uint32_t policy)
{
	if ((unsigned int)state >= MG_STATE_COUNT)
		return b_fail(b, -EINVAL, "state %d invalid", (int)state);
	if ((unsigned int)mode > MGI_PROFILE_ALLOWANCES_ONLY)
		return b_fail(b, -EINVAL, "profile mode %d invalid", (int)mode);
	if (mode == MGI_PROFILE_POLICY && policy >= b->n_policies)
		return b_fail(b, -EINVAL, "profile policy %u out of range (%u policies)", policy,
			      b->n_policies);
	b->profiles[state].mode = mode;
	b->profiles[state].policy = mode == MGI_PROFILE_POLICY ? policy : MGI_NO_POLICY;
	return 0;
}

int
mgi_builder_set_allowances(struct mgi_builder *b, uint32_t flags, uint32_t resolver_set)
{
	if (flags & ~(uint32_t)(MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS))
		return b_fail(b, -EINVAL, "unknown allowance flags 0x%x", flags);
	if (resolver_set != MGI_NO_POLICY && resolver_set >= b->n_sets)
		return b_fail(b, -EINVAL, "resolver set %u out of range (%u sets)", resolver_set,
			      b->n_sets);
	b->allowances.flags = flags;
	b->allowances.resolver_set = resolver_set;
	return 0;
}

void
mgi_builder_set_generation(struct mgi_builder *b, uint64_t generation)
{
	b->generation = generation;
}

static int
dev_cmp(const void *a, const void *b)
{
	return memcmp(((const struct mgi_device *)a)->mac, ((const struct mgi_device *)b)->mac, 6);
}

/* Orders device indexes by MAC, then by insertion order. */
static int
dev_idx_cmp(const void *a, const void *b, void *arg)
{
	const struct mgi_device *d = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = memcmp(d[x].mac, d[y].mac, 6);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/* Sorts the devices by MAC and keeps, of each MAC, the binding added last. */
static int
dedup_devices(struct mgi_builder *b)
{
	struct mgi_device *out;
	uint32_t *idx, n = 0;

	if (b->n_devices < 2)
		return 0;
	idx = malloc(b->n_devices * sizeof(*idx));
	out = malloc(b->n_devices * sizeof(*out));
	if (!idx || !out) {
		free(idx);
		free(out);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < b->n_devices; i++)
		idx[i] = i;
	qsort_r(idx, b->n_devices, sizeof(*idx), dev_idx_cmp, b->devices);
	for (uint32_t i = 0; i < b->n_devices; i++) {
		if (i + 1 < b->n_devices &&
		    !memcmp(b->devices[idx[i]].mac, b->devices[idx[i + 1]].mac, 6))
			continue;
		out[n++] = b->devices[idx[i]];
	}
	free(idx);
	free(b->devices);
	b->devices = out;
	b->n_devices = n;
	b->cap_devices = b->n_devices ? b->n_devices : 0;
	return 0;
}

static uint64_t
align8(uint64_t x)
{
	return (x + 7) & ~(uint64_t)7;
}

int
mgi_builder_finish(struct mgi_builder *b, void **blob, size_t *size)
{
	static const uint32_t esz[MGI_SEC_COUNT_ + 1] = {
		[MGI_SEC_STRTAB] = 1,
		[MGI_SEC_POLICIES] = sizeof(struct mgi_policy),
		[MGI_SEC_ACES] = sizeof(struct mgi_ace),
		[MGI_SEC_SETS] = sizeof(struct mgi_set),
		[MGI_SEC_PREFIXES] = sizeof(struct mgi_prefix),
		[MGI_SEC_DEVICES] = sizeof(struct mgi_device),
		[MGI_SEC_PROFILES] = sizeof(struct mgi_profile),
		[MGI_SEC_ALLOWANCES] = sizeof(struct mgi_allowances),
	};
	int dedup_rc = dedup_devices(b);
	uint64_t count[MGI_SEC_COUNT_ + 1] = {
		[MGI_SEC_STRTAB] = b->strtab_size,   [MGI_SEC_POLICIES] = b->n_policies,
		[MGI_SEC_ACES] = b->n_aces,          [MGI_SEC_SETS] = b->n_sets,
		[MGI_SEC_PREFIXES] = b->n_prefixes,  [MGI_SEC_DEVICES] = b->n_devices,
		[MGI_SEC_PROFILES] = MG_STATE_COUNT, [MGI_SEC_ALLOWANCES] = 1,
	};
	uint64_t off[MGI_SEC_COUNT_ + 1];
	struct mgi_section *tab;
	struct mgi_header *h;
	struct mgi_image img;
	uint64_t at, total;
	uint8_t *p;
	char why[200];
	int rc;

	b->err[0] = '\0';
	if (dedup_rc)
		return b_fail(b, dedup_rc, "out of memory sorting the devices");
	at = sizeof(struct mgi_header) + MGI_SEC_COUNT_ * sizeof(struct mgi_section);
	for (int t = 1; t <= MGI_SEC_COUNT_; t++) {
		off[t] = at;
		at = align8(at + count[t] * esz[t]);
	}
	total = at;
	if (total > MGI_MAX_SIZE)
		return b_fail(b, -E2BIG, "image of %llu bytes exceeds the maximum %u",
			      (unsigned long long)total, MGI_MAX_SIZE);
	p = aligned_alloc(8, total);
	if (!p)
		return b_fail(b, -ENOMEM, "out of memory for a %llu-byte image",
			      (unsigned long long)total);
	memset(p, 0, total);

	h = (struct mgi_header *)p;
	memcpy(h->magic, MGI_MAGIC, sizeof(h->magic));
	h->version = MGI_VERSION;
	h->header_size = sizeof(*h);
	h->image_size = (uint32_t)total;
	h->n_sections = MGI_SEC_COUNT_;
	h->generation = b->generation;
	tab = (struct mgi_section *)(p + sizeof(*h));
	for (int t = 1; t <= MGI_SEC_COUNT_; t++)
		tab[t - 1] = (struct mgi_section){(uint32_t)t, esz[t], (uint32_t)off[t],
						  (uint32_t)count[t]};

	memcpy(p + off[MGI_SEC_STRTAB], b->strtab, b->strtab_size);
	{
		struct mgi_policy *pol = (struct mgi_policy *)(p + off[MGI_SEC_POLICIES]);
		struct mgi_ace *ace = (struct mgi_ace *)(p + off[MGI_SEC_ACES]);
		uint32_t next = 0;

		for (uint32_t i = 0; i < b->n_policies; i++) {
			const struct b_policy *bp = &b->policies[i];

			pol[i] = (struct mgi_policy){bp->name,     bp->mud_url,  next,
						     bp->dir[0].n, bp->dir[1].n, 0};
			for (int d = 0; d < 2; d++) {
				if (bp->dir[d].n)
					memcpy(ace + next, bp->dir[d].v,
					       bp->dir[d].n * sizeof(*ace));
				next += bp->dir[d].n;
			}
		}
	}
	{
		struct mgi_set *set = (struct mgi_set *)(p + off[MGI_SEC_SETS]);
		struct mgi_prefix *pfx = (struct mgi_prefix *)(p + off[MGI_SEC_PREFIXES]);
		uint32_t next = 0;

		for (uint32_t i = 0; i < b->n_sets; i++) {
			const struct b_set *bs = &b->sets[i];

			set[i] = (struct mgi_set){bs->name, bs->kind, next, bs->n};
			if (bs->n)
				memcpy(pfx + next, bs->v, bs->n * sizeof(*pfx));
			next += bs->n;
		}
	}
	if (b->n_devices) {
		struct mgi_device *dev = (struct mgi_device *)(p + off[MGI_SEC_DEVICES]);

		memcpy(dev, b->devices, b->n_devices * sizeof(*dev));
		qsort(dev, b->n_devices, sizeof(*dev), dev_cmp);
	}
	memcpy(p + off[MGI_SEC_PROFILES], b->profiles, sizeof(b->profiles));
	memcpy(p + off[MGI_SEC_ALLOWANCES], &b->allowances, sizeof(b->allowances));
	h->checksum = mgi_checksum(p, total);

	rc = mgi_open(&img, p, total, why, sizeof(why));
	if (rc) {
		free(p);
		return b_fail(b, -EINVAL, "%s", why);
	}
	*blob = p;
	*size = total;
	return 0;
}
