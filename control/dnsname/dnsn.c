/* SPDX-License-Identifier: BSD-3-Clause */
/* dnsname address sets (dnsn.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname/dnsn.h"
#include "mg_image.h"

void
dnsn_init(struct dnsn_table *t, uint32_t min_ttl, uint32_t max_ttl, uint32_t max_addrs)
{
	memset(t, 0, sizeof(*t));
	t->min_ttl = min_ttl;
	t->max_ttl = max_ttl < min_ttl ? min_ttl : max_ttl;
	t->max_addrs = max_addrs ? max_addrs : 1;
}

static void
name_fini(struct dnsn_name *n)
{
	free(n->name);
	free(n->v);
}

void
dnsn_fini(struct dnsn_table *t)
{
	for (size_t i = 0; i < t->n_names; i++)
		name_fini(&t->names[i]);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

void
dnsn_canon(char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = 0;
}

void
dnsn_untrack_all(struct dnsn_table *t)
{
	for (size_t i = 0; i < t->n_names; i++)
		t->names[i].tracked = false;
}

static struct dnsn_name *
lookup(struct dnsn_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_names; i++)
		if (!strcmp(t->names[i].name, name))
			return &t->names[i];
	return NULL;
}

struct dnsn_name *
dnsn_find(struct dnsn_table *t, const char *name)
{
	struct dnsn_name *n = lookup(t, name);

	return n && n->tracked ? n : NULL;
}

int
dnsn_track(struct dnsn_table *t, const char *name)
{
	char *c = strdup(name);
	struct dnsn_name *n;

	if (!c)
		return -ENOMEM;
	dnsn_canon(c);
	n = lookup(t, c);
	if (n) {
		n->tracked = true;
		free(c);
		return 0;
	}
	if (t->n_names == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct dnsn_name *v = realloc(t->names, cap * sizeof(*v));
		if (!v) {
			free(c);
			return -ENOMEM;
		}
		t->names = v;
		t->cap = cap;
	}
	t->names[t->n_names++] = (struct dnsn_name){.name = c, .tracked = true};
	return 0;
}

void
dnsn_sweep(struct dnsn_table *t)
{
	size_t w = 0;

	for (size_t i = 0; i < t->n_names; i++) {
		if (t->names[i].tracked) {
			t->names[w++] = t->names[i];
			continue;
		}
		if (t->names[i].n)
			t->version++;
		name_fini(&t->names[i]);
	}
	t->n_names = w;
}

int
dnsn_learn(struct dnsn_table *t, const char *name, uint8_t family, const uint8_t *addr,
	   uint32_t ttl, time_t now)
{
	struct dnsn_name *n = dnsn_find(t, name);
	size_t alen = family == MGI_FAMILY_IPV4 ? 4 : 16;
	struct dnsn_addr a = {.family = family};

	if (!n)
		return -ENOENT;
	if (ttl < t->min_ttl)
		ttl = t->min_ttl;
	if (ttl > t->max_ttl)
		ttl = t->max_ttl;
	memcpy(a.addr, addr, alen);
	a.expires = now + (time_t)ttl;
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i].family == family && !memcmp(n->v[i].addr, a.addr, 16)) {
			if (n->v[i].expires < a.expires)
				n->v[i].expires = a.expires;
			return 0;
		}
	if (n->n >= t->max_addrs) { /* full: replace the one expiring first */
		size_t k = 0;
		for (size_t i = 1; i < n->n; i++)
			if (n->v[i].expires < n->v[k].expires)
				k = i;
		n->v[k] = a;
		t->version++;
		return 1;
	}
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 8;
		struct dnsn_addr *v = realloc(n->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		n->v = v;
		n->cap = cap;
	}
	n->v[n->n++] = a;
	t->version++;
	return 1;
}

size_t
dnsn_expire(struct dnsn_table *t, time_t now)
{
	size_t removed = 0;

	for (size_t i = 0; i < t->n_names; i++) {
		struct dnsn_name *n = &t->names[i];
		size_t w = 0;
		for (size_t k = 0; k < n->n; k++)
			if (n->v[k].expires > now)
				n->v[w++] = n->v[k];
		removed += n->n - w;
		n->n = w;
	}
	if (removed)
		t->version++;
	return removed;
}

time_t
dnsn_next_expiry(const struct dnsn_table *t)
{
	time_t best = 0;

	for (size_t i = 0; i < t->n_names; i++)
		for (size_t k = 0; k < t->names[i].n; k++)
			if (!best || t->names[i].v[k].expires < best)
				best = t->names[i].v[k].expires;
	return best;
}
