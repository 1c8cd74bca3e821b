/* SPDX-License-Identifier: BSD-3-Clause */
/* The device table (lc.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lifecycle/lc.h"
#include "mg_ctrl.h"
#include "mg_file.h"

static const char *const reason_ids[] = {
#define LC_X_ID(name, id, text) id,
	LC_REASONS(LC_X_ID)
#undef LC_X_ID
};
static const char *const reason_texts[] = {
#define LC_X_TEXT(name, id, text) text,
	LC_REASONS(LC_X_TEXT)
#undef LC_X_TEXT
};
static const char *const source_names[] = {"none", "static", "dhcpv4", "dhcpv6", "lldp"};

const char *
lc_reason_id(enum lc_reason r)
{
	return (unsigned)r < LC_R_MAX ? reason_ids[r] : "?";
}

const char *
lc_reason_text(enum lc_reason r)
{
	return (unsigned)r < LC_R_MAX ? reason_texts[r] : "?";
}

int
lc_reason_parse(const char *id)
{
	for (int i = 0; i < LC_R_MAX; i++)
		if (!strcmp(id, reason_ids[i]))
			return i;
	return -EINVAL;
}

const char *
lc_source_str(enum lc_source s)
{
	return (unsigned)s < 5 ? source_names[s] : "?";
}

int
lc_source_parse(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, source_names[i]))
			return i;
	return -EINVAL;
}

void
lc_table_init(struct lc_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
lc_table_fini(struct lc_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct lc_device *
lc_find(struct lc_table *t, const uint8_t mac[6])
{
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->v[i].mac, mac, 6))
			return &t->v[i];
	return NULL;
}

struct lc_device *
lc_get_or_add(struct lc_table *t, const uint8_t mac[6], bool *added)
{
	struct lc_device *d = lc_find(t, mac);

	if (added)
		*added = false;
	if (d)
		return d;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct lc_device *v = realloc(t->v, cap * sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return NULL;
		}
		t->v = v;
		t->cap = cap;
	}
	d = &t->v[t->n++];
	memset(d, 0, sizeof(*d));
	memcpy(d->mac, mac, 6);
	d->state = MG_STATE_UNKNOWN;
	d->reason = LC_R_NO_MUD_URL;
	snprintf(d->msg, sizeof(d->msg), "%s", lc_reason_text(LC_R_NO_MUD_URL));
	d->since = time(NULL);
	if (added)
		*added = true;
	return d;
}

bool
lc_remove(struct lc_table *t, const uint8_t mac[6])
{
	struct lc_device *d = lc_find(t, mac);

	if (!d)
		return false;
	memmove(d, d + 1, (size_t)(t->v + t->n - (d + 1)) * sizeof(*d));
	t->n--;
	return true;
}

bool
lc_set(struct lc_table *t, struct lc_device *d, enum mg_state state, enum lc_reason reason,
       const char *msg)
{
	bool changed = d->state != state || d->reason != reason;

	snprintf(d->msg, sizeof(d->msg), "%s", msg ? msg : lc_reason_text(reason));
	if (!changed)
		return false;
	if (state != d->state)
		d->since = time(NULL);
	d->state = state;
	d->reason = reason;
	if (reason > LC_R_REFRESH_FAILED && reason < LC_R_MAX)
		t->n_transitions[reason]++;
	return true;
}

bool
lc_add_addr(struct lc_device *d, uint8_t family, const uint8_t *addr)
{
	size_t alen = family == MGI_FAMILY_IPV4 ? 4 : 16;
	uint8_t *base = family == MGI_FAMILY_IPV4 ? &d->v4[0][0] : &d->v6[0][0];
	size_t *n = family == MGI_FAMILY_IPV4 ? &d->n_v4 : &d->n_v6;

	for (size_t i = 0; i < *n; i++)
		if (!memcmp(base + i * alen, addr, alen))
			return false;
	if (*n == LC_MAX_ADDRS) { /* the oldest goes */
		memmove(base, base + alen, (LC_MAX_ADDRS - 1) * alen);
		(*n)--;
	}
	memcpy(base + *n * alen, addr, alen);
	(*n)++;
	return true;
}

static json_t *
device_json(const struct lc_device *d)
{
	char mac[18], a[INET6_ADDRSTRLEN];
	json_t *addrs = json_array();

	for (size_t i = 0; i < d->n_v4; i++)
		json_array_append_new(addrs,
				      json_string(inet_ntop(AF_INET, d->v4[i], a, sizeof(a))));
	for (size_t i = 0; i < d->n_v6; i++)
		json_array_append_new(addrs,
				      json_string(inet_ntop(AF_INET6, d->v6[i], a, sizeof(a))));
	mg_mac_format(d->mac, mac);
	json_t *j =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "mac", mac, "state",
			  mg_state_str(d->state), "reason", lc_reason_id(d->reason), "message",
			  d->msg, "mud-url", d->mud_url, "source", lc_source_str(d->source),
			  "policy", d->policy, "addresses", addrs, "since", (json_int_t)d->since);
	if (j && d->announced_url[0] &&
	    (json_object_set_new(j, "announced-url", json_string(d->announced_url)) < 0 ||
	     json_object_set_new(j, "announced-source",
				 json_string(lc_source_str(d->announced_source))) < 0)) {
		json_decref(j);
		return NULL;
	}
	if (j && d->discovered && json_object_set_new(j, "discovered", json_true()) < 0) {
		json_decref(j);
		return NULL;
	}
	if (j && d->refused_url[0] &&
	    (json_object_set_new(j, "refused-url", json_string(d->refused_url)) < 0 ||
	     json_object_set_new(j, "refused-reason",
				 json_string(lc_reason_id(d->refused_reason))) < 0)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int
lc_write_json(const struct lc_table *t, const char *path)
{
	char *text;
	json_t *root, *arr;
	int rc = 0;

	arr = json_array();
	root = json_pack("{s:o}", "devices", arr);
	if (!root)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		json_t *j = device_json(&t->v[i]);
		if (!j || json_array_append_new(arr, j) < 0) {
			rc = -ENOMEM;
			goto out_free_root;
		}
	}
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	rc = text ? mg_write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;
	free(text);
out_free_root:
	json_decref(root);
	return rc;
}

int
lc_read_json(struct lc_table *t, const char *path, char *errbuf, size_t errbuf_size)
{
	json_error_t jerr;
	json_t *root, *arr, *j;
	size_t i;
	int n = 0;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(path, F_OK) < 0)
			return -ENOENT;
		snprintf(errbuf, errbuf_size, "%s: line %d: %s", path, jerr.line, jerr.text);
		return -EINVAL;
	}
	arr = json_object_get(root, "devices");
	if (!json_is_array(arr)) {
		snprintf(errbuf, errbuf_size, "%s: no \"devices\" array", path);
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(arr, i, j)
	{
		const char *mac = NULL, *state = NULL, *reason = NULL, *msg = "", *url = "",
			   *src = "none", *pol = "", *rurl = "", *rreason = "bad-url", *aurl = "",
			   *asrc = "none";
		int disc = 0;
		json_t *addrs = NULL, *a;
		json_int_t since = 0;
		uint8_t m[6];
		size_t k;
		int st, re, so;

		if (json_unpack(j,
				"{s:s, s:s, s:s, s?s, s?s, s?s, s?s, s?o, s?I, s?s, s?s, s?s, s?s, "
				"s?b}",
				"mac", &mac, "state", &state, "reason", &reason, "message", &msg,
				"mud-url", &url, "source", &src, "policy", &pol, "addresses",
				&addrs, "since", &since, "refused-url", &rurl, "refused-reason",
				&rreason, "announced-url", &aurl, "announced-source", &asrc,
				"discovered", &disc) < 0 ||
		    mg_mac_parse(mac, m) < 0 || (st = mg_state_parse(state)) < 0 ||
		    (re = lc_reason_parse(reason)) < 0 || (so = lc_source_parse(src)) < 0 ||
		    strlen(url) > LC_URL_MAX || strlen(pol) > LC_URL_MAX ||
		    strlen(rurl) > LC_URL_MAX || strlen(aurl) > LC_URL_MAX ||
		    lc_source_parse(asrc) < 0)
			continue;
		struct lc_device *d = lc_get_or_add(t, m, NULL);
		if (!d) {
			json_decref(root);
			return -ENOMEM;
		}
		d->state = (uint8_t)st;
		d->reason = (uint8_t)re;
		d->source = (uint8_t)so;
		snprintf(d->msg, sizeof(d->msg), "%s", msg);
		snprintf(d->mud_url, sizeof(d->mud_url), "%s", url);
		snprintf(d->policy, sizeof(d->policy), "%s", pol);
		snprintf(d->refused_url, sizeof(d->refused_url), "%s", rurl);
		d->refused_reason = !strcmp(rreason, "not-https") ? LC_R_NOT_HTTPS : LC_R_BAD_URL;
		snprintf(d->announced_url, sizeof(d->announced_url), "%s", aurl);
		d->announced_source = (uint8_t)lc_source_parse(asrc);
		d->discovered = disc;
		d->since = (time_t)since;
		json_array_foreach(addrs, k, a)
		{
			uint8_t b[16];
			if (!json_is_string(a))
				continue;
			if (inet_pton(AF_INET, json_string_value(a), b) == 1)
				lc_add_addr(d, MGI_FAMILY_IPV4, b);
			else if (inet_pton(AF_INET6, json_string_value(a), b) == 1)
				lc_add_addr(d, MGI_FAMILY_IPV6, b);
		}
		n++;
	}
	json_decref(root);
	return n;
}
