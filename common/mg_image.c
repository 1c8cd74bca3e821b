/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy image reader: mgi_open() checks every rule of docs/policy-image.md
 * "Validation" in the order the document lists them and stops at the first violation with a
 * reason naming the field, the entry and the offending value. After it succeeds, accessors
 * and the classifier index the image without further checks.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mg_image.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the policy image is little-endian and read in place: big-endian hosts are not supported"
#endif

/* The layout docs/policy-image.md states, byte for byte. */
static_assert(sizeof(struct mgi_header) == 64, "mgi_header size");
static_assert(offsetof(struct mgi_header, magic) == 0, "mgi_header.magic");
static_assert(offsetof(struct mgi_header, version) == 8, "mgi_header.version");
static_assert(offsetof(struct mgi_header, header_size) == 12, "mgi_header.header_size");
static_assert(offsetof(struct mgi_header, image_size) == 16, "mgi_header.image_size");
static_assert(offsetof(struct mgi_header, n_sections) == 20, "mgi_header.n_sections");
static_assert(offsetof(struct mgi_header, generation) == 24, "mgi_header.generation");
static_assert(offsetof(struct mgi_header, checksum) == 32, "mgi_header.checksum");
static_assert(offsetof(struct mgi_header, flags) == 36, "mgi_header.flags");
static_assert(offsetof(struct mgi_header, reserved) == 40, "mgi_header.reserved");

static_assert(sizeof(struct mgi_section) == 16, "mgi_section size");
static_assert(offsetof(struct mgi_section, type) == 0, "mgi_section.type");
static_assert(offsetof(struct mgi_section, entry_size) == 4, "mgi_section.entry_size");
static_assert(offsetof(struct mgi_section, offset) == 8, "mgi_section.offset");
static_assert(offsetof(struct mgi_section, count) == 12, "mgi_section.count");

static_assert(sizeof(struct mgi_policy) == 24, "mgi_policy size");
static_assert(offsetof(struct mgi_policy, name) == 0, "mgi_policy.name");
static_assert(offsetof(struct mgi_policy, mud_url) == 4, "mgi_policy.mud_url");
static_assert(offsetof(struct mgi_policy, first_ace) == 8, "mgi_policy.first_ace");
static_assert(offsetof(struct mgi_policy, n_from) == 12, "mgi_policy.n_from");
static_assert(offsetof(struct mgi_policy, n_to) == 16, "mgi_policy.n_to");
static_assert(offsetof(struct mgi_policy, flags) == 20, "mgi_policy.flags");

static_assert(sizeof(struct mgi_ace) == 76, "mgi_ace size");
static_assert(offsetof(struct mgi_ace, acl_name) == 0, "mgi_ace.acl_name");
static_assert(offsetof(struct mgi_ace, ace_name) == 4, "mgi_ace.ace_name");
static_assert(offsetof(struct mgi_ace, match) == 8, "mgi_ace.match");
static_assert(offsetof(struct mgi_ace, src_set) == 12, "mgi_ace.src_set");
static_assert(offsetof(struct mgi_ace, dst_set) == 16, "mgi_ace.dst_set");
static_assert(offsetof(struct mgi_ace, family) == 20, "mgi_ace.family");
static_assert(offsetof(struct mgi_ace, action) == 21, "mgi_ace.action");
static_assert(offsetof(struct mgi_ace, src_kind) == 22, "mgi_ace.src_kind");
static_assert(offsetof(struct mgi_ace, dst_kind) == 23, "mgi_ace.dst_kind");
static_assert(offsetof(struct mgi_ace, src_plen) == 24, "mgi_ace.src_plen");
static_assert(offsetof(struct mgi_ace, dst_plen) == 25, "mgi_ace.dst_plen");
static_assert(offsetof(struct mgi_ace, proto) == 26, "mgi_ace.proto");
static_assert(offsetof(struct mgi_ace, tcp_flags_mask) == 27, "mgi_ace.tcp_flags_mask");
static_assert(offsetof(struct mgi_ace, tcp_flags_value) == 28, "mgi_ace.tcp_flags_value");
static_assert(offsetof(struct mgi_ace, icmp_type) == 29, "mgi_ace.icmp_type");
static_assert(offsetof(struct mgi_ace, icmp_code) == 30, "mgi_ace.icmp_code");
static_assert(offsetof(struct mgi_ace, dir_init) == 31, "mgi_ace.dir_init");
static_assert(offsetof(struct mgi_ace, sport_lo) == 32, "mgi_ace.sport_lo");
static_assert(offsetof(struct mgi_ace, sport_hi) == 34, "mgi_ace.sport_hi");
static_assert(offsetof(struct mgi_ace, dport_lo) == 36, "mgi_ace.dport_lo");
static_assert(offsetof(struct mgi_ace, dport_hi) == 38, "mgi_ace.dport_hi");
static_assert(offsetof(struct mgi_ace, ethertype) == 40, "mgi_ace.ethertype");
static_assert(offsetof(struct mgi_ace, pad) == 42, "mgi_ace.pad");
static_assert(offsetof(struct mgi_ace, src_addr) == 44, "mgi_ace.src_addr");
static_assert(offsetof(struct mgi_ace, dst_addr) == 60, "mgi_ace.dst_addr");

static_assert(sizeof(struct mgi_set) == 16, "mgi_set size");
static_assert(offsetof(struct mgi_set, name) == 0, "mgi_set.name");
static_assert(offsetof(struct mgi_set, kind) == 4, "mgi_set.kind");
static_assert(offsetof(struct mgi_set, first) == 8, "mgi_set.first");
static_assert(offsetof(struct mgi_set, n) == 12, "mgi_set.n");

static_assert(sizeof(struct mgi_prefix) == 20, "mgi_prefix size");
static_assert(offsetof(struct mgi_prefix, family) == 0, "mgi_prefix.family");
static_assert(offsetof(struct mgi_prefix, plen) == 1, "mgi_prefix.plen");
static_assert(offsetof(struct mgi_prefix, pad) == 2, "mgi_prefix.pad");
static_assert(offsetof(struct mgi_prefix, addr) == 4, "mgi_prefix.addr");

static_assert(sizeof(struct mgi_device) == 12, "mgi_device size");
static_assert(offsetof(struct mgi_device, mac) == 0, "mgi_device.mac");
static_assert(offsetof(struct mgi_device, state) == 6, "mgi_device.state");
static_assert(offsetof(struct mgi_device, pad) == 7, "mgi_device.pad");
static_assert(offsetof(struct mgi_device, policy) == 8, "mgi_device.policy");

static_assert(sizeof(struct mgi_profile) == 8, "mgi_profile size");
static_assert(offsetof(struct mgi_profile, mode) == 0, "mgi_profile.mode");
static_assert(offsetof(struct mgi_profile, policy) == 4, "mgi_profile.policy");

static_assert(sizeof(struct mgi_allowances) == 8, "mgi_allowances size");
static_assert(offsetof(struct mgi_allowances, flags) == 0, "mgi_allowances.flags");
static_assert(offsetof(struct mgi_allowances, resolver_set) == 4, "mgi_allowances.resolver_set");

#define TABLE_END (sizeof(struct mgi_header) + MGI_SEC_COUNT_ * sizeof(struct mgi_section))
static_assert(TABLE_END == 192, "header + section table");

#define ALLOW_ALL_ (MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS)

static const char *const sec_names[MGI_SEC_COUNT_ + 1] = {
	[MGI_SEC_STRTAB] = "strtab",     [MGI_SEC_POLICIES] = "policies",
	[MGI_SEC_ACES] = "aces",         [MGI_SEC_SETS] = "sets",
	[MGI_SEC_PREFIXES] = "prefixes", [MGI_SEC_DEVICES] = "devices",
	[MGI_SEC_PROFILES] = "profiles", [MGI_SEC_ALLOWANCES] = "allowances",
};

static const uint32_t sec_entry_size[MGI_SEC_COUNT_ + 1] = {
	[MGI_SEC_STRTAB] = 1,
	[MGI_SEC_POLICIES] = sizeof(struct mgi_policy),
	[MGI_SEC_ACES] = sizeof(struct mgi_ace),
	[MGI_SEC_SETS] = sizeof(struct mgi_set),
	[MGI_SEC_PREFIXES] = sizeof(struct mgi_prefix),
	[MGI_SEC_DEVICES] = sizeof(struct mgi_device),
	[MGI_SEC_PROFILES] = sizeof(struct mgi_profile),
	[MGI_SEC_ALLOWANCES] = sizeof(struct mgi_allowances),
};

const char *
mg_state_str(unsigned int state)
{
	static const char *const names[MG_STATE_COUNT] = {
		"unknown", "pending", "enforced", "quarantined", "updating", "decommissioned",
	};
	return state < MG_STATE_COUNT ? names[state] : "?";
}

const char *
mg_action_str(unsigned int action)
{
	static const char *const names[] = {"accept", "drop", "reject"};
	return action < 3 ? names[action] : "?";
}

const char *
mgi_profile_mode_str(unsigned int mode)
{
	static const char *const names[] = {"own-policy", "policy", "allow-all", "deny-all",
					    "allowances-only"};
	return mode < 5 ? names[mode] : "?";
}

const char *
mgi_set_kind_str(unsigned int kind)
{
	static const char *const names[] = {
		"?",
		"local-networks",
		"controller",
		"my-controller",
		"manufacturer",
		"same-manufacturer",
		"model",
		"dnsname",
	};
	return kind >= 1 && kind <= 7 ? names[kind] : "?";
}

uint32_t
mgi_checksum(const void *blob, size_t size)
{
	const uint8_t *p = blob;
	const uint8_t zero[4] = {0};
	size_t at = offsetof(struct mgi_header, checksum);
	uint32_t crc;

	if (size < sizeof(struct mgi_header))
		return mg_crc32c(0, blob, size);
	crc = mg_crc32c(0, p, at);
	crc = mg_crc32c(crc, zero, sizeof(zero));
	return mg_crc32c(crc, p + at + 4, size - at - 4);
}

/* ---- validation ------------------------------------------------------------------------ */

struct ctx {
	struct mgi_image *img;
	char *errbuf;
	size_t errbuf_size;
};

__attribute__((format(printf, 3, 4))) static int
fail(struct ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->errbuf && c->errbuf_size > 0) {
		va_start(ap, fmt);
		vsnprintf(c->errbuf, c->errbuf_size, fmt, ap);
		va_end(ap);
	}
	return err;
}

static void
fmt_mac(char buf[18], const uint8_t mac[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* A string reference: inside the table and at the start of a string. */
static int
check_str(struct ctx *c, const char *who, uint32_t idx, const char *field, uint32_t off)
{
	const struct mgi_image *img = c->img;

	if (off >= img->strtab_size)
		return fail(c, -EINVAL, "%s %u: %s offset %u out of range (strtab %u bytes)", who,
			    idx, field, off, img->strtab_size);
	if (off > 0 && img->strtab[off - 1] != '\0')
		return fail(c, -EINVAL, "%s %u: %s offset %u is not the start of a string", who,
			    idx, field, off);
	return 0;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Bits of addr[16] past plen are zero. */
static bool
host_bits_zero(const uint8_t addr[16], unsigned int plen)
{
	unsigned int byte = plen / 8, bits = plen % 8;

	if (bits) {
		if (addr[byte] & (0xffu >> bits))
			return false;
		byte++;
	}
	return all_zero(addr + byte, 16 - byte);
}

static unsigned int
family_max_plen(unsigned int family)
{
	return family == MGI_FAMILY_IPV4 ? 32 : 128;
}

static int
check_header(struct ctx *c, const uint8_t *base, size_t size)
{
	const struct mgi_header *h = (const void *)base;
	uint32_t sum;

	if (size > MGI_MAX_SIZE)
		return fail(c, -E2BIG, "image size %zu exceeds the maximum %u", size, MGI_MAX_SIZE);
	if (size < sizeof(*h))
		return fail(c, -EINVAL, "image truncated: %zu bytes, the header needs %zu", size,
			    sizeof(*h));
	if (memcmp(h->magic, MGI_MAGIC, sizeof(h->magic)))
		return fail(c, -EPROTO, "bad magic (not a mudgate policy image)");
	if (h->version != MGI_VERSION)
		return fail(c, -EPROTO, "unsupported version %u (expected %u)", h->version,
			    MGI_VERSION);
	if (h->header_size != sizeof(*h))
		return fail(c, -EINVAL, "header_size %u (expected %zu)", h->header_size,
			    sizeof(*h));
	if (h->image_size != size)
		return fail(c, -EINVAL, "image_size %u does not match the blob size %zu",
			    h->image_size, size);
	if (h->n_sections != MGI_SEC_COUNT_)
		return fail(c, -EINVAL, "n_sections %u (expected %u)", h->n_sections,
			    MGI_SEC_COUNT_);
	if (size < TABLE_END)
		return fail(c, -EINVAL, "image truncated: %zu bytes, the section table needs %zu",
			    size, (size_t)TABLE_END);
	sum = mgi_checksum(base, size);
	if (h->checksum != sum)
		return fail(c, -EINVAL, "checksum 0x%08x does not match the computed 0x%08x",
			    h->checksum, sum);
	if (h->flags)
		return fail(c, -EINVAL, "header flags 0x%x not zero", h->flags);
	if (!all_zero(h->reserved, sizeof(h->reserved)))
		return fail(c, -EINVAL, "header reserved bytes not zero");
	return 0;
}

/* Fills secs[type] from the table; checks types, sizes, alignment, bounds and overlaps. */
static int
check_sections(struct ctx *c, const uint8_t *base, size_t size, const struct mgi_section **secs)
{
	const struct mgi_section *tab = (const void *)(base + sizeof(struct mgi_header));
	const struct mgi_section *order[MGI_SEC_COUNT_];

	for (uint32_t i = 0; i < MGI_SEC_COUNT_; i++) {
		uint32_t t = tab[i].type;

		if (t < 1 || t > MGI_SEC_COUNT_)
			return fail(c, -EINVAL, "section %u: unknown type %u", i, t);
		if (secs[t]) {
			uint32_t missing = 1;

			while (missing <= MGI_SEC_COUNT_) {
				bool seen = false;

				for (uint32_t j = 0; j < MGI_SEC_COUNT_; j++)
					seen = seen || tab[j].type == missing;
				if (!seen)
					break;
				missing++;
			}
			return fail(c, -EINVAL,
				    "section %u: type %u (%s) appears twice, %s missing", i, t,
				    sec_names[t], sec_names[missing]);
		}
		secs[t] = &tab[i];
	}
	for (uint32_t t = 1; t <= MGI_SEC_COUNT_; t++) {
		const struct mgi_section *s = secs[t];
		uint64_t end = (uint64_t)s->offset + (uint64_t)s->count * s->entry_size;

		if (s->entry_size != sec_entry_size[t])
			return fail(c, -EINVAL, "section %s: entry_size %u (expected %u)",
				    sec_names[t], s->entry_size, sec_entry_size[t]);
		if (s->offset % 8)
			return fail(c, -EINVAL, "section %s: offset %u not 8-byte aligned",
				    sec_names[t], s->offset);
		if (s->offset < TABLE_END)
			return fail(c, -EINVAL,
				    "section %s: offset %u inside the header and section table "
				    "(%zu bytes)",
				    sec_names[t], s->offset, (size_t)TABLE_END);
		if (end > size)
			return fail(c, -EINVAL,
				    "section %s: %u entries of %u bytes at offset %u end at %llu, "
				    "past the image size %zu",
				    sec_names[t], s->count, s->entry_size, s->offset,
				    (unsigned long long)end, size);
	}
	/* Overlaps: sort by offset (8 entries, insertion sort); empty sections occupy nothing. */
	for (uint32_t t = 1; t <= MGI_SEC_COUNT_; t++) {
		uint32_t j = t - 1;

		while (j > 0 && order[j - 1]->offset > secs[t]->offset) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = secs[t];
	}
	for (uint32_t i = 0; i + 1 < MGI_SEC_COUNT_; i++) {
		const struct mgi_section *a = order[i];
		uint64_t a_len = (uint64_t)a->count * a->entry_size;

		if (a_len == 0)
			continue;
		for (uint32_t j = i + 1; j < MGI_SEC_COUNT_; j++) {
			const struct mgi_section *b = order[j];

			if (b->count == 0)
				continue;
			if (a->offset + a_len > b->offset)
				return fail(
					c, -EINVAL,
					"sections %s (offset %u, %llu bytes) and %s (offset %u) "
					"overlap",
					sec_names[a->type], a->offset, (unsigned long long)a_len,
					sec_names[b->type], b->offset);
			break;
		}
	}
	return 0;
}

static int
check_strtab(struct ctx *c)
{
	const struct mgi_image *img = c->img;
	uint32_t start = 0;

	if (img->strtab_size == 0)
		return fail(c, -EINVAL, "strtab: empty (offset 0 must be the empty string)");
	if (img->strtab[0] != '\0')
		return fail(c, -EINVAL, "strtab: offset 0 is not the empty string");
	if (img->strtab[img->strtab_size - 1] != '\0')
		return fail(c, -EINVAL, "strtab: last byte is not NUL");
	for (uint32_t i = 0; i < img->strtab_size; i++) {
		if (img->strtab[i] != '\0')
			continue;
		if (i - start > MGI_NAME_MAX)
			return fail(c, -EINVAL, "strtab: string at offset %u is %u bytes (max %u)",
				    start, i - start, MGI_NAME_MAX);
		start = i + 1;
	}
	return 0;
}

/* Sort helpers for the uniqueness checks. */
struct name_key {
	const char *name;
	uint32_t kind;
	uint32_t idx;
};

static int
name_key_cmp(const void *a, const void *b)
{
	const struct name_key *x = a, *y = b;
	int r;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	r = strcmp(x->name, y->name);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Finds the first duplicate (kind, name); *dup and *orig get the later and the earlier index. */
static int
find_duplicate(struct name_key *keys, uint32_t n, uint32_t *dup, uint32_t *orig)
{
	uint32_t best = UINT32_MAX;

	if (n < 2)
		return 0;
	qsort(keys, n, sizeof(*keys), name_key_cmp);
	for (uint32_t i = 1; i < n; i++)
		if (keys[i].kind == keys[i - 1].kind && !strcmp(keys[i].name, keys[i - 1].name) &&
		    keys[i].idx < best) {
			best = keys[i].idx;
			*orig = keys[i - 1].idx;
		}
	if (best == UINT32_MAX)
		return 0;
	*dup = best;
	return 1;
}

static int
check_policies(struct ctx *c)
{
	const struct mgi_image *img = c->img;
	struct name_key *keys = NULL;
	uint64_t next = 0;
	uint32_t dup, orig;
	int rc;

	for (uint32_t i = 0; i < img->n_policies; i++) {
		const struct mgi_policy *p = &img->policies[i];
		uint64_t end = (uint64_t)p->first_ace + p->n_from + p->n_to;

		rc = check_str(c, "policy", i, "name", p->name);
		if (!rc)
			rc = check_str(c, "policy", i, "mud_url", p->mud_url);
		if (rc)
			return rc;
		if (p->flags)
			return fail(c, -EINVAL, "policy %u: flags 0x%x not zero", i, p->flags);
		if (end > img->n_aces)
			return fail(c, -EINVAL,
				    "policy %u: ACE range [%u, %llu) out of bounds (%u ACEs)", i,
				    p->first_ace, (unsigned long long)end, img->n_aces);
		if (p->first_ace != next)
			return fail(c, -EINVAL,
				    "policy %u: first_ace %u (expected %llu: ranges are contiguous "
				    "in policy order)",
				    i, p->first_ace, (unsigned long long)next);
		next = end;
	}
	if (next != img->n_aces)
		return fail(c, -EINVAL, "ACEs [%llu, %u) belong to no policy",
			    (unsigned long long)next, img->n_aces);
	if (img->n_policies < 2)
		return 0;
	keys = calloc(img->n_policies, sizeof(*keys));
	if (!keys)
		return fail(c, -ENOMEM, "out of memory checking policy names");
	for (uint32_t i = 0; i < img->n_policies; i++)
		keys[i] = (struct name_key){mgi_str(img, img->policies[i].name), 0, i};
	rc = 0;
	if (find_duplicate(keys, img->n_policies, &dup, &orig))
		rc = fail(c, -EINVAL, "policy %u: name \"%s\" duplicates policy %u", dup,
			  mgi_str(img, img->policies[dup].name), orig);
	free(keys);
	return rc;
}

static int
check_prefix(struct ctx *c, uint32_t i, const struct mgi_prefix *p)
{
	if (p->family != MGI_FAMILY_IPV4 && p->family != MGI_FAMILY_IPV6)
		return fail(c, -EINVAL, "prefix %u: family %u invalid (4 or 6)", i, p->family);
	if (p->plen > family_max_plen(p->family))
		return fail(c, -EINVAL, "prefix %u: plen %u exceeds %u", i, p->plen,
			    family_max_plen(p->family));
	if (p->pad[0] || p->pad[1])
		return fail(c, -EINVAL, "prefix %u: pad not zero", i);
	if (!host_bits_zero(p->addr, p->plen))
		return fail(c, -EINVAL, "prefix %u: address bits set past plen %u", i, p->plen);
	return 0;
}

static int
check_sets(struct ctx *c)
{
	const struct mgi_image *img = c->img;
	struct name_key *keys = NULL;
	uint64_t next = 0;
	uint32_t dup, orig;
	int rc;

	for (uint32_t i = 0; i < img->n_prefixes; i++) {
		rc = check_prefix(c, i, &img->prefixes[i]);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < img->n_sets; i++) {
		const struct mgi_set *s = &img->sets[i];
		uint64_t end = (uint64_t)s->first + s->n;

		rc = check_str(c, "set", i, "name", s->name);
		if (rc)
			return rc;
		if (s->kind < MGI_SET_LOCAL_NETWORKS || s->kind > MGI_SET_DNSNAME)
			return fail(c, -EINVAL, "set %u: kind %u invalid", i, s->kind);
		if (end > img->n_prefixes)
			return fail(c, -EINVAL,
				    "set %u: prefix range [%u, %llu) out of bounds (%u prefixes)",
				    i, s->first, (unsigned long long)end, img->n_prefixes);
		if (s->first != next)
			return fail(c, -EINVAL,
				    "set %u: first %u (expected %llu: ranges are contiguous in set "
				    "order)",
				    i, s->first, (unsigned long long)next);
		next = end;
	}
	if (next != img->n_prefixes)
		return fail(c, -EINVAL, "prefixes [%llu, %u) belong to no set",
			    (unsigned long long)next, img->n_prefixes);
	if (img->n_sets < 2)
		return 0;
	keys = calloc(img->n_sets, sizeof(*keys));
	if (!keys)
		return fail(c, -ENOMEM, "out of memory checking set names");
	for (uint32_t i = 0; i < img->n_sets; i++)
		keys[i] = (struct name_key){mgi_str(img, img->sets[i].name), img->sets[i].kind, i};
	rc = 0;
	if (find_duplicate(keys, img->n_sets, &dup, &orig))
		rc = fail(c, -EINVAL, "set %u: (%s, \"%s\") duplicates set %u", dup,
			  mgi_set_kind_str(img->sets[dup].kind), mgi_str(img, img->sets[dup].name),
			  orig);
	free(keys);
	return rc;
}

static int
check_peer(struct ctx *c, uint32_t i, const struct mgi_ace *a, const char *side, uint8_t kind,
	   uint32_t set, uint8_t plen, const uint8_t addr[16])
{
	const struct mgi_image *img = c->img;

	switch (kind) {
	case MGI_PEER_ANY:
		if (set || plen || !all_zero(addr, 16))
			return fail(c, -EINVAL,
				    "ace %u: %s_kind any with %s_set, %s_plen or %s_addr set", i,
				    side, side, side, side);
		return 0;
	case MGI_PEER_PREFIX:
		if (a->family == MGI_FAMILY_ETH)
			return fail(c, -EINVAL, "ace %u: %s prefix on an ethernet ACE", i, side);
		if (set)
			return fail(c, -EINVAL, "ace %u: %s_set %u with %s_kind prefix", i, side,
				    set, side);
		if (plen > family_max_plen(a->family))
			return fail(c, -EINVAL, "ace %u: %s_plen %u exceeds %u", i, side, plen,
				    family_max_plen(a->family));
		if (!host_bits_zero(addr, plen))
			return fail(c, -EINVAL, "ace %u: %s_addr bits set past plen %u", i, side,
				    plen);
		return 0;
	case MGI_PEER_SET:
		if (a->family == MGI_FAMILY_ETH)
			return fail(c, -EINVAL, "ace %u: %s set on an ethernet ACE", i, side);
		if (set >= img->n_sets)
			return fail(c, -EINVAL, "ace %u: %s_set %u out of range (%u sets)", i, side,
				    set, img->n_sets);
		if (plen || !all_zero(addr, 16))
			return fail(c, -EINVAL, "ace %u: %s_kind set with %s_plen or %s_addr set",
				    i, side, side, side);
		return 0;
	default:
		return fail(c, -EINVAL, "ace %u: %s_kind %u invalid", i, side, kind);
	}
}

static bool
proto_has_ports(unsigned int proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132;
}

static int
check_ace(struct ctx *c, uint32_t i, const struct mgi_ace *a)
{
	const uint32_t ip_bits = MGI_M_ALL_ & ~MGI_M_ETHERTYPE;
	uint32_t m = a->match;
	int rc;

	rc = check_str(c, "ace", i, "acl_name", a->acl_name);
	if (!rc)
		rc = check_str(c, "ace", i, "ace_name", a->ace_name);
	if (rc)
		return rc;
	if (m & ~MGI_M_ALL_)
		return fail(c, -EINVAL, "ace %u: unknown match bits 0x%x", i, m & ~MGI_M_ALL_);
	if (a->family != MGI_FAMILY_ETH && a->family != MGI_FAMILY_IPV4 &&
	    a->family != MGI_FAMILY_IPV6)
		return fail(c, -EINVAL, "ace %u: family %u invalid (0, 4 or 6)", i, a->family);
	if (a->action > MG_ACT_REJECT)
		return fail(c, -EINVAL, "ace %u: action %u invalid", i, a->action);
	if (a->pad[0] || a->pad[1])
		return fail(c, -EINVAL, "ace %u: pad not zero", i);
	if (a->family == MGI_FAMILY_ETH && (m & ip_bits))
		return fail(c, -EINVAL, "ace %u: IP match bits 0x%x on an ethernet (family 0) ACE",
			    i, m & ip_bits);
	if (a->family != MGI_FAMILY_ETH && (m & MGI_M_ETHERTYPE))
		return fail(c, -EINVAL, "ace %u: ETHERTYPE match on a family %u ACE", i, a->family);
	rc = check_peer(c, i, a, "src", a->src_kind, a->src_set, a->src_plen, a->src_addr);
	if (!rc)
		rc = check_peer(c, i, a, "dst", a->dst_kind, a->dst_set, a->dst_plen, a->dst_addr);
	if (rc)
		return rc;
	/* Fields whose match bit is clear are zero: one image per rule set. */
	if (!(m & MGI_M_PROTO) && a->proto)
		return fail(c, -EINVAL, "ace %u: proto %u without PROTO match", i, a->proto);
	if (!(m & MGI_M_SPORT) && (a->sport_lo || a->sport_hi || (m & MGI_M_SPORT_NEQ)))
		return fail(c, -EINVAL, "ace %u: source port fields without SPORT match", i);
	if (!(m & MGI_M_DPORT) && (a->dport_lo || a->dport_hi || (m & MGI_M_DPORT_NEQ)))
		return fail(c, -EINVAL, "ace %u: destination port fields without DPORT match", i);
	if (!(m & MGI_M_TCP_FLAGS) && (a->tcp_flags_mask || a->tcp_flags_value))
		return fail(c, -EINVAL, "ace %u: tcp flags without TCP_FLAGS match", i);
	if (!(m & MGI_M_ICMP_TYPE) && a->icmp_type)
		return fail(c, -EINVAL, "ace %u: icmp_type %u without ICMP_TYPE match", i,
			    a->icmp_type);
	if (!(m & MGI_M_ICMP_CODE) && a->icmp_code)
		return fail(c, -EINVAL, "ace %u: icmp_code %u without ICMP_CODE match", i,
			    a->icmp_code);
	if (!(m & MGI_M_ETHERTYPE) && a->ethertype)
		return fail(c, -EINVAL, "ace %u: ethertype 0x%04x without ETHERTYPE match", i,
			    a->ethertype);
	if (a->dir_init > MG_DIR_TO_DEVICE)
		return fail(c, -EINVAL, "ace %u: dir_init %u invalid", i, a->dir_init);
	if (!(m & MGI_M_DIR_INIT) && a->dir_init)
		return fail(c, -EINVAL, "ace %u: dir_init %u without DIR_INIT match", i,
			    a->dir_init);
	/* Values of the fields compared. */
	if ((m & MGI_M_SPORT) && a->sport_lo > a->sport_hi)
		return fail(c, -EINVAL, "ace %u: sport_lo %u > sport_hi %u", i, a->sport_lo,
			    a->sport_hi);
	if ((m & MGI_M_DPORT) && a->dport_lo > a->dport_hi)
		return fail(c, -EINVAL, "ace %u: dport_lo %u > dport_hi %u", i, a->dport_lo,
			    a->dport_hi);
	if ((m & (MGI_M_SPORT | MGI_M_DPORT)) && (m & MGI_M_PROTO) && !proto_has_ports(a->proto))
		return fail(c, -EINVAL, "ace %u: port match with proto %u (not 6, 17, 33 or 132)",
			    i, a->proto);
	if ((m & MGI_M_TCP_FLAGS) && (a->tcp_flags_value & ~a->tcp_flags_mask))
		return fail(c, -EINVAL,
			    "ace %u: tcp_flags_value 0x%02x outside tcp_flags_mask 0x%02x", i,
			    a->tcp_flags_value, a->tcp_flags_mask);
	if ((m & (MGI_M_TCP_FLAGS | MGI_M_DIR_INIT)) && (!(m & MGI_M_PROTO) || a->proto != 6))
		return fail(c, -EINVAL, "ace %u: TCP_FLAGS or DIR_INIT match needs PROTO 6", i);
	if (m & (MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE)) {
		unsigned int want = a->family == MGI_FAMILY_IPV4 ? 1 : 58;

		if (!(m & MGI_M_PROTO) || a->proto != want)
			return fail(c, -EINVAL, "ace %u: ICMP match needs PROTO %u on family %u", i,
				    want, a->family);
	}
	return 0;
}

static int
check_devices(struct ctx *c)
{
	const struct mgi_image *img = c->img;
	char mac[18], prev[18];

	for (uint32_t i = 0; i < img->n_devices; i++) {
		const struct mgi_device *d = &img->devices[i];

		/* the MACs are formatted only for a reason: 10,000 snprintf()s cost milliseconds */
		if (d->state < MG_STATE_COUNT && !d->pad &&
		    (d->policy == MGI_NO_POLICY || d->policy < img->n_policies) &&
		    (i == 0 || memcmp(img->devices[i - 1].mac, d->mac, 6) < 0))
			continue;
		fmt_mac(mac, d->mac);
		if (d->state >= MG_STATE_COUNT)
			return fail(c, -EINVAL, "device %u (%s): state %u invalid", i, mac,
				    d->state);
		if (d->pad)
			return fail(c, -EINVAL, "device %u (%s): pad not zero", i, mac);
		if (d->policy != MGI_NO_POLICY && d->policy >= img->n_policies)
			return fail(c, -EINVAL,
				    "device %u (%s): policy %u out of range (%u policies)", i, mac,
				    d->policy, img->n_policies);
		if (i > 0) {
			int r = memcmp(img->devices[i - 1].mac, d->mac, 6);

			fmt_mac(prev, img->devices[i - 1].mac);
			if (r == 0)
				return fail(c, -EINVAL, "device %u (%s): duplicate MAC", i, mac);
			if (r > 0)
				return fail(c, -EINVAL,
					    "device %u (%s): not sorted after device %u (%s)", i,
					    mac, i - 1, prev);
		}
	}
	return 0;
}

static int
check_profiles(struct ctx *c)
{
	const struct mgi_image *img = c->img;
	const struct mgi_allowances *al = img->allowances;

	for (uint32_t s = 0; s < MG_STATE_COUNT; s++) {
		const struct mgi_profile *p = &img->profiles[s];

		if (p->mode > MGI_PROFILE_ALLOWANCES_ONLY)
			return fail(c, -EINVAL, "profile %u (%s): mode %u invalid", s,
				    mg_state_str(s), p->mode);
		if (p->mode == MGI_PROFILE_POLICY && p->policy >= img->n_policies)
			return fail(c, -EINVAL,
				    "profile %u (%s): policy %u out of range (%u policies)", s,
				    mg_state_str(s), p->policy, img->n_policies);
		if (p->mode != MGI_PROFILE_POLICY && p->policy != MGI_NO_POLICY)
			return fail(c, -EINVAL,
				    "profile %u (%s): policy %u with mode %s (must be 0xffffffff)",
				    s, mg_state_str(s), p->policy, mgi_profile_mode_str(p->mode));
	}
	if (al->flags & ~ALLOW_ALL_)
		return fail(c, -EINVAL, "allowances: unknown flags 0x%x", al->flags & ~ALLOW_ALL_);
	if (al->resolver_set != MGI_NO_POLICY && al->resolver_set >= img->n_sets)
		return fail(c, -EINVAL, "allowances: resolver_set %u out of range (%u sets)",
			    al->resolver_set, img->n_sets);
	return 0;
}

int
mgi_open(struct mgi_image *img, const void *blob, size_t size, char *errbuf, size_t errbuf_size)
{
	const struct mgi_section *secs[MGI_SEC_COUNT_ + 1] = {NULL};
	const uint8_t *base = blob;
	struct mgi_image v = {0};
	struct ctx c = {&v, errbuf, errbuf_size};
	int rc;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!blob)
		return fail(&c, -EINVAL, "no image");
	if ((uintptr_t)blob % 8)
		return fail(&c, -EINVAL, "image buffer not 8-byte aligned");
	rc = check_header(&c, base, size);
	if (rc)
		return rc;
	rc = check_sections(&c, base, size, secs);
	if (rc)
		return rc;

	v.base = base;
	v.size = size;
	v.generation = ((const struct mgi_header *)base)->generation;
	v.strtab = (const char *)(base + secs[MGI_SEC_STRTAB]->offset);
	v.strtab_size = secs[MGI_SEC_STRTAB]->count;
	v.policies = (const void *)(base + secs[MGI_SEC_POLICIES]->offset);
	v.n_policies = secs[MGI_SEC_POLICIES]->count;
	v.aces = (const void *)(base + secs[MGI_SEC_ACES]->offset);
	v.n_aces = secs[MGI_SEC_ACES]->count;
	v.sets = (const void *)(base + secs[MGI_SEC_SETS]->offset);
	v.n_sets = secs[MGI_SEC_SETS]->count;
	v.prefixes = (const void *)(base + secs[MGI_SEC_PREFIXES]->offset);
	v.n_prefixes = secs[MGI_SEC_PREFIXES]->count;
	v.devices = (const void *)(base + secs[MGI_SEC_DEVICES]->offset);
	v.n_devices = secs[MGI_SEC_DEVICES]->count;
	v.profiles = (const void *)(base + secs[MGI_SEC_PROFILES]->offset);
	v.allowances = (const void *)(base + secs[MGI_SEC_ALLOWANCES]->offset);

	if (secs[MGI_SEC_PROFILES]->count != MG_STATE_COUNT)
		return fail(&c, -EINVAL, "section profiles: %u entries (expected %u)",
			    secs[MGI_SEC_PROFILES]->count, MG_STATE_COUNT);
	if (secs[MGI_SEC_ALLOWANCES]->count != 1)
		return fail(&c, -EINVAL, "section allowances: %u entries (expected 1)",
			    secs[MGI_SEC_ALLOWANCES]->count);
	rc = check_strtab(&c);
	if (rc)
		return rc;
	rc = check_policies(&c);
	if (rc)
		return rc;
	rc = check_sets(&c);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < v.n_aces; i++) {
		rc = check_ace(&c, i, &v.aces[i]);
		if (rc)
			return rc;
	}
	rc = check_devices(&c);
	if (rc)
		return rc;
	rc = check_profiles(&c);
	if (rc)
		return rc;
	*img = v;
	return 0;
}

const struct mgi_device *
mgi_find_device(const struct mgi_image *img, const uint8_t mac[6])
{
	uint32_t lo = 0, hi = img->n_devices;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = memcmp(img->devices[mid].mac, mac, 6);

		if (r == 0)
			return &img->devices[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void *
mg_read_file(const char *path, size_t max_size, size_t *size_out)
{
	void *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out_close;
	}
	if ((uint64_t)st.st_size > max_size) {
		err = EFBIG;
		goto out_close;
	}
	/* Round up so an empty file still yields a valid pointer; 8-byte aligned. */
	buf = aligned_alloc(8, ((size_t)st.st_size + 8) & ~(size_t)7);
	if (!buf) {
		err = ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, (char *)buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO; /* the file shrank under us */
			goto out_free;
		}
		got += (size_t)n;
	}
	close(fd);
	*size_out = got;
	return buf;

out_free:
	free(buf);
out_close:
	close(fd);
	errno = err;
	return NULL;
}
