/* SPDX-License-Identifier: BSD-3-Clause */
/* dnsname address sets (dnsn.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dnsname/dnsn.h"
#include "mg_image.h"
#include "mg_file.h"

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

int
dnsn_write_json(const struct dnsn_table *t, const char *path, time_t mono_now, time_t wall_now)
{
	json_t *names = json_array(), *root = json_pack("{s:o}", "names", names);
	char *text, a[INET6_ADDRSTRLEN];
	int rc = 0;

	if (!root)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_names; i++) {
		const struct dnsn_name *n = &t->names[i];
		json_t *addrs = json_array();
		if (!n->n) {
			json_decref(addrs);
			continue;
		}
		for (size_t k = 0; k < n->n; k++) {
			inet_ntop(n->v[k].family == MGI_FAMILY_IPV4 ? AF_INET : AF_INET6,
				  n->v[k].addr, a, sizeof(a));
			json_array_append_new(
				addrs,
				json_pack("{s:s, s:I}", "address", a, "expires",
					  (json_int_t)(n->v[k].expires - mono_now + wall_now)));
		}
		json_array_append_new(names,
				      json_pack("{s:s, s:o}", "name", n->name, "addresses", addrs));
	}
	text = json_dumps(root, JSON_COMPACT);
	rc = text ? mg_write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
	free(text);
	json_decref(root);
	return rc;
}

int
dnsn_read_json(struct dnsn_table *t, const char *path, time_t mono_now, time_t wall_now,
	       uint32_t keep_expired, char *errbuf, size_t errbuf_size)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *names, *n;
	size_t i;
	int count = 0;

	if (!root) {
		if (access(path, F_OK) < 0)
			return -ENOENT;
		snprintf(errbuf, errbuf_size, "%s: line %d: %s", path, jerr.line, jerr.text);
		return -EINVAL;
	}
	names = json_object_get(root, "names");
	if (!json_is_array(names)) {
		snprintf(errbuf, errbuf_size, "%s: no \"names\" array", path);
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(names, i, n)
	{
		const char *name;
		json_t *addrs, *a;
		size_t k;
		if (json_unpack(n, "{s:s, s:o}", "name", &name, "addresses", &addrs) < 0 ||
		    strlen(name) > 1023 || dnsn_track(t, name) < 0)
			continue;
		json_array_foreach(addrs, k, a)
		{
			const char *as;
			json_int_t exp;
			uint8_t b[16] = {0};
			uint8_t fam;
			if (json_unpack(a, "{s:s, s:I}", "address", &as, "expires", &exp) < 0 ||
			    (exp <= wall_now && !keep_expired))
				continue;
			if (exp <= wall_now)
				exp = wall_now + keep_expired;
			if (inet_pton(AF_INET, as, b) == 1)
				fam = MGI_FAMILY_IPV4;
			else if (inet_pton(AF_INET6, as, b) == 1)
				fam = MGI_FAMILY_IPV6;
			else
				continue;
			/* the TTL left, not clamped again: exactly what was in force */
			uint32_t save_min = t->min_ttl, save_max = t->max_ttl;
			t->min_ttl = 0;
			t->max_ttl = UINT32_MAX;
			if (dnsn_learn(t, name, fam, b, (uint32_t)(exp - wall_now), mono_now) == 1)
				count++;
			t->min_ttl = save_min;
			t->max_ttl = save_max;
		}
	}
	json_decref(root);
	return count;
}
