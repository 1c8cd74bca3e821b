/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The structural pass over a MUD file's JSON (mudf.h, stage 2). It runs before libyang so
 * that it can name the JSON path of what it finds and repair, with MUDF_LENIENT, the
 * deviations seen in real MUD files:
 *   - the pre-RFC 8519 top-level container ietf-access-control-list:access-lists;
 *   - draft-ietf-netmod-acl-model names: acl-name, acl-type, access-list-entries, rule-name,
 *     ipv4-acl / ipv6-acl match containers with their port ranges, ACL types ipv4-acl,
 *     ipv6-acl, ipv4, ipv6, eth-acl, ethernet-acl-type;
 *   - draft-ietf-opsawg-mud names: ietf-mud:mud-acl, bare ietf-mud:same-manufacturer (and
 *     the other abstractions) directly under matches, acl-name / acl-type in policies;
 *   - a missing mud-version, a last-update without time zone offset, unknown unqualified
 *     members of ietf-mud:mud, undeclared extension nodes.
 * A repair only renames or moves nodes, or removes metadata; a match is never removed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mudf.h"
#include "mudf_int.h"

#define PATH_MAX_LEN  1024
#define KEY_SHOWN_MAX 64 /* longest key value shown in a path */

struct jctx {
	struct mudf_ctx *c;
	struct mudf_diags *d;
	bool lenient;
	bool oom;
	size_t n_deviations; /* strict mode: deviations reported as errors (and repaired) */
	char path[PATH_MAX_LEN];
	size_t len;
};

struct name_ref {
	const char *name;
	char *path;
	bool used;
};

struct name_list {
	struct name_ref *v;
	size_t n;
	size_t cap;
};

/* ---- paths ----------------------------------------------------------------------------- */

static size_t jp_push(struct jctx *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t
jp_push(struct jctx *j, const char *fmt, ...)
{
	size_t old = j->len;
	va_list ap;
	int n;

	if (j->len >= sizeof(j->path) - 1)
		return old;
	va_start(ap, fmt);
	n = vsnprintf(j->path + j->len, sizeof(j->path) - j->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		j->path[j->len] = '\0';
	else if ((size_t)n >= sizeof(j->path) - j->len)
		j->len = sizeof(j->path) - 1;
	else
		j->len += (size_t)n;
	return old;
}

static void
jp_pop(struct jctx *j, size_t old)
{
	j->len = old;
	j->path[old] = '\0';
}

/* Append "[name='value']" (value shortened, quotes replaced) or "[N]" for entry idx. */
static size_t
jp_push_entry(struct jctx *j, const char *key, json_t *entry, size_t idx)
{
	json_t *v = json_is_object(entry) ? json_object_get(entry, key) : NULL;
	char shown[KEY_SHOWN_MAX + 4];
	const char *s;
	size_t i;

	if (!json_is_string(v))
		return jp_push(j, "[%zu]", idx + 1);
	s = json_string_value(v);
	for (i = 0; s[i] && i < KEY_SHOWN_MAX; i++)
		shown[i] = (s[i] == '\'' || (unsigned char)s[i] < 0x20) ? '?' : s[i];
	shown[i] = '\0';
	if (s[i])
		strcat(shown, "...");
	return jp_push(j, "[%s='%s']", key, shown);
}

static void jerr(struct jctx *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
jerr(struct jctx *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (mudf_diag_vadd(j->d, MUDF_ERROR, j->path, fmt, ap) < 0)
		j->oom = true;
	va_end(ap);
}

static void jwarn(struct jctx *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
jwarn(struct jctx *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (mudf_diag_vadd(j->d, MUDF_WARNING, j->path, fmt, ap) < 0)
		j->oom = true;
	va_end(ap);
}

/*
 * A known deviation at the current path. Lenient: a warning "lenient: WHAT". Strict: an error
 * "WHAT (accepted with --lenient)". Either way the caller repairs it (returns true), so that
 * the rest of the file is checked as the lenient mode would see it and every other problem is
 * reported too; in strict mode the file stays invalid.
 */
static bool deviation(struct jctx *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
deviation(struct jctx *j, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0) {
		j->oom = true;
		return false;
	}
	if (j->lenient) {
		jwarn(j, "lenient: %s", what);
	} else {
		jerr(j, "%s (accepted with --lenient)", what);
		j->n_deviations++;
	}
	free(what);
	return true;
}

/* ---- helpers --------------------------------------------------------------------------- */

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Rename member from -> to of obj; false (and an error) when to exists already. */
static bool
rename_member(struct jctx *j, json_t *obj, const char *from, const char *to)
{
	json_t *v = json_object_get(obj, from);

	if (!v)
		return true;
	if (json_object_get(obj, to)) {
		jerr(j, "both '%s' and '%s' present", from, to);
		return false;
	}
	json_incref(v);
	if (json_object_del(obj, from) || json_object_set_new(obj, to, v)) {
		json_decref(v);
		j->oom = true;
		return false;
	}
	return true;
}

/* A draft-era member name: repaired in lenient mode. */
static void
draft_rename(struct jctx *j, json_t *obj, const char *from, const char *to, const char *origin)
{
	size_t old;

	if (!json_object_get(obj, from))
		return;
	old = jp_push(j, "/%s", from);
	if (deviation(j, "%s name '%s' (RFC %s: '%s')", origin, from,
		      strstr(origin, "opsawg-mud") ? "8520" : "8519", to)) {
		jp_pop(j, old);
		rename_member(j, obj, from, to);
		return;
	}
	jp_pop(j, old);
}

static int
names_add(struct jctx *j, struct name_list *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct name_ref *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			j->oom = true;
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = name;
	l->v[l->n].used = false;
	l->v[l->n].path = strdup(j->path);
	if (!l->v[l->n].path) {
		j->oom = true;
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static struct name_ref *
names_find(struct name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static void
names_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Module part of "module:name", or NULL (length in *len) for an unqualified name. */
static const char *
member_module(const char *key, size_t *len)
{
	const char *colon = strchr(key, ':');

	if (!colon)
		return NULL;
	*len = (size_t)(colon - key);
	return key;
}

/* ---- depth ----------------------------------------------------------------------------- */

static bool
depth_ok(json_t *v, int depth)
{
	const char *k;
	json_t *x;
	size_t i;

	if (depth > MUDF_MAX_DEPTH)
		return false;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x) if (!depth_ok(x, depth + 1)) return false;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) if (!depth_ok(x, depth + 1)) return false;
	}
	return true;
}

/* ---- ietf-mud:mud ---------------------------------------------------------------------- */

static const char *const mud_members[] = {
	"mud-version",  "mud-url",       "last-update", "mud-signature",      "cache-validity",
	"is-supported", "systeminfo",    "mfg-name",    "model-name",         "firmware-rev",
	"software-rev", "documentation", "extensions",  "from-device-policy", "to-device-policy",
};

static bool
is_mud_member(const char *key)
{
	for (size_t i = 0; i < sizeof(mud_members) / sizeof(mud_members[0]); i++)
		if (!strcmp(key, mud_members[i]))
			return true;
	return false;
}

/* An https URL with a non-empty authority (RFC 8520 section 3.3 / 4). */
static void
check_https(struct jctx *j, json_t *mud, const char *member)
{
	json_t *v = json_object_get(mud, member);
	char auth[256];
	size_t old;

	if (!json_is_string(v))
		return;
	old = jp_push(j, "/%s", member);
	if (mudf_url_authority(json_string_value(v), auth, sizeof(auth)) < 0)
		jerr(j, "%s '%.200s' is not an https URL with a host (RFC 8520 section 4)", member,
		     json_string_value(v));
	jp_pop(j, old);
}

/* "YYYY-MM-DDTHH:MM:SS[.frac]" with nothing after: a date-and-time missing its offset. */
static bool
lacks_offset(const char *s)
{
	size_t n = strlen(s), i = 19;

	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	return i == n;
}

static void
check_policy(struct jctx *j, json_t *mud, const char *member, struct name_list *refs)
{
	json_t *pol = json_object_get(mud, member), *al, *list, *e;
	struct name_list seen = {0};
	size_t old, old2, i;

	if (!json_is_object(pol))
		return;
	old = jp_push(j, "/%s", member);
	al = json_object_get(pol, "access-lists");
	list = json_is_object(al) ? json_object_get(al, "access-list") : NULL;
	if (!json_is_array(list))
		goto out;
	jp_push(j, "/access-lists/access-list");
	json_array_foreach(list, i, e)
	{
		json_t *name;

		if (!json_is_object(e))
			continue;
		old2 = j->len;
		jp_push(j, "[%zu]", i + 1);
		draft_rename(j, e, "acl-name", "name", "draft-ietf-opsawg-mud");
		jp_pop(j, old2);
		jp_push_entry(j, "name", e, i);
		if (json_object_get(e, "acl-type")) {
			size_t old3 = jp_push(j, "/acl-type");

			if (deviation(j,
				      "draft-ietf-opsawg-mud member 'acl-type' (not in RFC 8520; "
				      "the type of the ACL itself applies)"))
				json_object_del(e, "acl-type");
			jp_pop(j, old3);
		}
		name = json_object_get(e, "name");
		if (json_is_string(name)) {
			if (names_find(&seen, json_string_value(name))) {
				jerr(j, "ACL '%s' named twice in %s", json_string_value(name),
				     member);
			} else {
				names_add(j, &seen, json_string_value(name));
				names_add(j, refs, json_string_value(name));
			}
		}
		jp_pop(j, old2);
	}
out:
	names_free(&seen);
	jp_pop(j, old);
}

static void
check_mud(struct jctx *j, json_t *mud, struct name_list *refs)
{
	json_t *v, *ext = json_object_get(mud, "extensions");
	bool declared = json_is_array(ext) && json_array_size(ext) > 0;
	const char *key, *mod;
	void *tmp;
	size_t old, mlen;

	json_object_foreach_safe(mud, tmp, key, v)
	{
		old = jp_push(j, "/%s", key);
		mod = member_module(key, &mlen);
		if (mod && !(mlen == 8 && !strncmp(mod, "ietf-mud", 8)) &&
		    !mudf_ly_has_module(j->c, mod, mlen)) {
			if (declared) {
				jwarn(j,
				      "ignored: node of module '%.*s', an extension this "
				      "implementation does not understand (RFC 8520 section 3.9)",
				      (int)mlen, mod);
				json_object_del(mud, key);
			} else if (deviation(j,
					     "node of module '%.*s' without an 'extensions' "
					     "declaration (RFC 8520 section 3.9)",
					     (int)mlen, mod)) {
				json_object_del(mud, key);
			}
		} else if (!mod && !is_mud_member(key)) {
			if (deviation(j, "unknown member '%s' of ietf-mud:mud (not in RFC 8520)",
				      key))
				json_object_del(mud, key);
		}
		jp_pop(j, old);
	}

	if (!json_object_get(mud, "mud-version")) {
		old = jp_push(j, "/mud-version");
		if (deviation(j, "mud-version missing (version 1 assumed)"))
			json_object_set_new(mud, "mud-version", json_integer(1));
		jp_pop(j, old);
	}

	check_https(j, mud, "mud-url");

	v = json_object_get(mud, "cache-validity");
	if (json_is_integer(v) && (json_integer_value(v) < 1 || json_integer_value(v) > 168)) {
		old = jp_push(j, "/cache-validity");
		jerr(j, "cache-validity %lld out of range 1..168 (hours, RFC 8520 section 3.5)",
		     (long long)json_integer_value(v));
		jp_pop(j, old);
	}

	v = json_object_get(mud, "last-update");
	if (json_is_string(v) && lacks_offset(json_string_value(v))) {
		old = jp_push(j, "/last-update");
		if (deviation(j,
			      "last-update '%s' has no time zone offset (read as '-00:00', "
			      "offset unknown)",
			      json_string_value(v))) {
			char buf[64];

			snprintf(buf, sizeof(buf), "%s-00:00", json_string_value(v));
			json_object_set_new(mud, "last-update", json_string(buf));
		}
		jp_pop(j, old);
	}

	check_policy(j, mud, "from-device-policy", refs);
	check_policy(j, mud, "to-device-policy", refs);
}

/* ---- ACLs ------------------------------------------------------------------------------ */

static const struct {
	const char *from, *to;
} acl_type_alias[] = {
	{"ethernet-acl-type", "eth-acl-type"},
	{"eth-acl", "eth-acl-type"},
	{"ipv4-acl", "ipv4-acl-type"},
	{"ipv6-acl", "ipv6-acl-type"},
	{"ipv4", "ipv4-acl-type"},
	{"ipv6", "ipv6-acl-type"},
};

static void
check_acl_type(struct jctx *j, json_t *acl)
{
	static const char qual[] = "ietf-access-control-list:";
	json_t *v = json_object_get(acl, "type");
	const char *s;
	size_t old;
	bool q;

	if (!json_is_string(v))
		return;
	s = json_string_value(v);
	q = !strncmp(s, qual, sizeof(qual) - 1);
	if (q)
		s += sizeof(qual) - 1;
	for (size_t i = 0; i < sizeof(acl_type_alias) / sizeof(acl_type_alias[0]); i++) {
		char buf[96];

		if (strcmp(s, acl_type_alias[i].from))
			continue;
		old = jp_push(j, "/type");
		if (deviation(j, "pre-RFC 8519 ACL type '%s' (RFC 8519: '%s')", s,
			      acl_type_alias[i].to)) {
			snprintf(buf, sizeof(buf), "%s%s", q ? qual : "", acl_type_alias[i].to);
			json_object_set_new(acl, "type", json_string(buf));
		}
		jp_pop(j, old);
		return;
	}
}

/* Move draft-era port members of an ipv4-acl / ipv6-acl container into tcp / udp. */
static void
move_l3_ports(struct jctx *j, json_t *matches, json_t *l3)
{
	static const struct {
		const char *from, *to;
	} ports[] = {
		{"source-port-range-or-operator", "source-port"},
		{"destination-port-range-or-operator", "destination-port"},
		{"source-port-range", "source-port"},
		{"destination-port-range", "destination-port"},
	};
	json_t *proto = json_object_get(l3, "protocol");

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		json_t *v = json_object_get(l3, ports[i].from), *l4;
		const char *l4name;
		size_t old;

		if (!v)
			continue;
		old = jp_push(j, "/%s", ports[i].from);
		if (!json_is_integer(proto) ||
		    (json_integer_value(proto) != 6 && json_integer_value(proto) != 17)) {
			jerr(j,
			     "port match '%s' without protocol 6 (tcp) or 17 (udp) cannot be "
			     "converted",
			     ports[i].from);
			jp_pop(j, old);
			continue;
		}
		l4name = json_integer_value(proto) == 6 ? "tcp" : "udp";
		if (!deviation(j,
			       "draft-ietf-netmod-acl-model port match '%s' in the IP "
			       "container (RFC 8519: %s/%s)",
			       ports[i].from, l4name, ports[i].to)) {
			jp_pop(j, old);
			continue;
		}
		l4 = json_object_get(matches, l4name);
		if (!l4) {
			l4 = json_object();
			if (!l4 || json_object_set_new(matches, l4name, l4)) {
				j->oom = true;
				jp_pop(j, old);
				return;
			}
		}
		if (!json_is_object(l4) || json_object_get(l4, ports[i].to)) {
			jerr(j, "cannot move to %s/%s: already present", l4name, ports[i].to);
		} else {
			json_object_set(l4, ports[i].to, v);
			json_object_del(l3, ports[i].from);
		}
		jp_pop(j, old);
	}
}

/* tcp/udp source-port, destination-port: mudgee writes an operator beside a range. */
static void
check_l4_ports(struct jctx *j, json_t *l4)
{
	static const char *const members[] = {"source-port", "destination-port"};

	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_object_get(l4, members[i]), *op;
		size_t old;

		if (!json_is_object(p) || !json_object_get(p, "lower-port") ||
		    !json_object_get(p, "upper-port"))
			continue;
		op = json_object_get(p, "operator");
		if (!json_is_string(op))
			continue;
		old = jp_push(j, "/%s/operator", members[i]);
		if (deviation(j,
			      "operator '%s' beside lower-port and upper-port (RFC 8519: a range "
			      "has no operator); read as the range",
			      json_string_value(op)))
			json_object_del(p, "operator");
		jp_pop(j, old);
	}
}

/* eth/ethertype: mudgee writes "0x0800"; RFC 8519 wants 2048 or a name. */
static void
check_ethertype(struct jctx *j, json_t *eth)
{
	json_t *v = json_object_get(eth, "ethertype");
	unsigned long x;
	const char *s;
	char *end;
	size_t old;

	if (!json_is_string(v))
		return;
	s = json_string_value(v);
	if (strncasecmp(s, "0x", 2) || !s[2] || strlen(s) > 6)
		return;
	x = strtoul(s + 2, &end, 16);
	if (*end || x > 0xffff)
		return;
	old = jp_push(j, "/ethertype");
	if (deviation(j,
		      "ethertype '%s' as a hexadecimal string (RFC 8519: a number or a name, "
		      "here %lu)",
		      s, x))
		json_object_set_new(eth, "ethertype", json_integer((json_int_t)x));
	jp_pop(j, old);
}

/* A prefix of the container's family with a length in range; other defects are YANG's. */
static void
check_prefix(struct jctx *j, const char *member, const char *s, bool v6)
{
	const char *slash = strchr(s, '/');
	unsigned char addr[16];
	char buf[64];
	unsigned long len;
	char *end;
	size_t old;

	if ((size_t)(slash - s) >= sizeof(buf))
		return;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
		return;
	len = strtoul(slash + 1, &end, 10);
	if (slash[1] >= '0' && slash[1] <= '9' && !*end && len <= (v6 ? 128u : 32u))
		return;
	old = jp_push(j, "/%s", member);
	jerr(j, "'%s' is not an IPv%d prefix: the length must be 0..%d", s, v6 ? 6 : 4,
	     v6 ? 128 : 32);
	jp_pop(j, old);
}

/* ipv4/ipv6 source/destination networks: mudgee writes host addresses without a length. */
static void
check_networks(struct jctx *j, json_t *l3, bool v6)
{
	static const char *const members[2][2] = {
		{"source-ipv4-network", "destination-ipv4-network"},
		{"source-ipv6-network", "destination-ipv6-network"},
	};

	for (size_t i = 0; i < 2; i++) {
		const char *m = members[v6][i], *s;
		json_t *v = json_object_get(l3, m);
		char buf[80];
		size_t old;

		if (!json_is_string(v))
			continue;
		s = json_string_value(v);
		if (strchr(s, '/')) {
			check_prefix(j, m, s, v6);
			continue;
		}
		if (strlen(s) > 45 || !*s)
			continue;
		old = jp_push(j, "/%s", m);
		if (v6 && strspn(s, "0123456789.") == strlen(s)) {
			jerr(j, "'%s' is an IPv4 address, in an IPv6 match", s);
			jp_pop(j, old);
			continue;
		}
		if (!v6 && strchr(s, ':')) {
			jerr(j, "'%s' is an IPv6 address, in an IPv4 match", s);
			jp_pop(j, old);
			continue;
		}
		/* only an address of the container's family; anything else is for YANG to reject */
		if (v6 ? !strchr(s, ':') : strspn(s, "0123456789.") != strlen(s)) {
			jp_pop(j, old);
			continue;
		}
		if (deviation(j,
			      "address '%s' without a prefix length (RFC 8519: a prefix); read as "
			      "the host prefix %s/%d",
			      s, s, v6 ? 128 : 32)) {
			snprintf(buf, sizeof(buf), "%s/%d", s, v6 ? 128 : 32);
			json_object_set_new(l3, m, json_string(buf));
		}
		jp_pop(j, old);
	}
}

static const char *const mud_abstractions[] = {
	"manufacturer",   "same-manufacturer", "model",
	"local-networks", "controller",        "my-controller",
};

static void
check_matches(struct jctx *j, json_t *m)
{
	const char *key, *mod;
	size_t old, mlen;
	json_t *v;
	void *tmp;

	draft_rename(j, m, "ipv4-acl", "ipv4", "draft-ietf-netmod-acl-model");
	draft_rename(j, m, "ipv6-acl", "ipv6", "draft-ietf-netmod-acl-model");
	draft_rename(j, m, "ietf-mud:mud-acl", "ietf-mud:mud", "draft-ietf-opsawg-mud");

	/* draft-ietf-opsawg-mud put the abstractions directly under matches */
	for (size_t i = 0; i < sizeof(mud_abstractions) / sizeof(mud_abstractions[0]); i++) {
		char bare[64];
		json_t *mud;

		snprintf(bare, sizeof(bare), "ietf-mud:%s", mud_abstractions[i]);
		v = json_object_get(m, bare);
		if (!v)
			continue;
		old = jp_push(j, "/%s", bare);
		if (deviation(j, "draft-ietf-opsawg-mud match '%s' (RFC 8520: ietf-mud:mud/%s)",
			      bare, mud_abstractions[i])) {
			mud = json_object_get(m, "ietf-mud:mud");
			if (!mud) {
				mud = json_object();
				if (!mud || json_object_set_new(m, "ietf-mud:mud", mud)) {
					j->oom = true;
					jp_pop(j, old);
					return;
				}
			}
			if (!json_is_object(mud) || json_object_get(mud, mud_abstractions[i])) {
				jerr(j, "cannot move to ietf-mud:mud/%s: already present",
				     mud_abstractions[i]);
			} else {
				json_object_set(mud, mud_abstractions[i], v);
				json_object_del(m, bare);
			}
		}
		jp_pop(j, old);
	}

	for (size_t i = 0; i < 2; i++) {
		const char *l3 = i ? "ipv6" : "ipv4";

		v = json_object_get(m, l3);
		if (json_is_object(v)) {
			old = jp_push(j, "/%s", l3);
			move_l3_ports(j, m, v);
			jp_pop(j, old);
		}
	}

	json_object_foreach_safe(m, tmp, key, v)
	{
		const char *k2;
		json_t *v2;

		old = jp_push(j, "/%s", key);
		if (json_is_object(v)) {
			if (!strcmp(key, "tcp") || !strcmp(key, "udp"))
				check_l4_ports(j, v);
			else if (!strcmp(key, "ipv4") || !strcmp(key, "ipv6"))
				check_networks(j, v, key[3] == '6');
			else if (!strcmp(key, "eth"))
				check_ethertype(j, v);
		}
		mod = member_module(key, &mlen);
		if (mod && !mudf_ly_has_module(j->c, mod, mlen))
			jerr(j,
			     "match of module '%.*s', an extension this implementation does not "
			     "understand (ignoring a match would widen the ACE)",
			     (int)mlen, mod);
		if (json_is_object(v)) {
			json_object_foreach(v, k2, v2)
			{
				size_t old2;

				mod = member_module(k2, &mlen);
				if (!mod || mudf_ly_has_module(j->c, mod, mlen))
					continue;
				old2 = jp_push(j, "/%s", k2);
				jerr(j,
				     "match of module '%.*s', an extension this implementation "
				     "does not understand (ignoring a match would widen the ACE)",
				     (int)mlen, mod);
				jp_pop(j, old2);
			}
		}
		jp_pop(j, old);
	}
}

/*
 * libyang 2.1.30 crashes (a NULL dereference in lysc_node_when) validating an empty eth, ipv4
 * or ipv6 match container: their choice cases carry `when` conditions. An empty container
 * only says "a frame of this family". Where the ACL's own type names exactly that family the
 * container adds nothing, and it is removed before libyang sees it. In any other ACL type
 * removing it would widen the ACE, so the file is rejected with the reason instead.
 */
static void
check_empty_family(struct jctx *j, json_t *m, json_t *acl)
{
	static const char qual[] = "ietf-access-control-list:";
	static const struct {
		const char *member, *type;
	} fam[] = {
		{"eth", "eth-acl-type"},
		{"ipv4", "ipv4-acl-type"},
		{"ipv6", "ipv6-acl-type"},
	};
	json_t *type = json_object_get(acl, "type");
	const char *t = json_is_string(type) ? json_string_value(type) : "";

	if (!strncmp(t, qual, sizeof(qual) - 1))
		t += sizeof(qual) - 1;
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		json_t *v = json_object_get(m, fam[i].member);
		size_t old;

		if (!json_is_object(v) || json_object_size(v) > 0)
			continue;
		old = jp_push(j, "/%s", fam[i].member);
		if (!strcmp(t, fam[i].type))
			json_object_del(m, fam[i].member);
		else
			jerr(j,
			     "empty '%s' match in an ACL of type '%s' cannot be validated (name a "
			     "header field, or use an ACL of type '%s')",
			     fam[i].member, t, fam[i].type);
		jp_pop(j, old);
	}
}

/* An ipv4-acl-type / ipv6-acl-type ACL whose ACEs match on eth (mudgee) is a mixed ACL. */
static void
check_mixed_type(struct jctx *j, json_t *acl, json_t *aces)
{
	static const char qual[] = "ietf-access-control-list:";
	json_t *type = json_object_get(acl, "type"), *ace;
	const char *s, *to;
	bool eth = false;
	size_t i, old;
	char buf[96];

	if (!json_is_string(type))
		return;
	s = json_string_value(type);
	if (!strncmp(s, qual, sizeof(qual) - 1))
		s += sizeof(qual) - 1;
	if (!strcmp(s, "ipv4-acl-type"))
		to = "mixed-eth-ipv4-acl-type";
	else if (!strcmp(s, "ipv6-acl-type"))
		to = "mixed-eth-ipv6-acl-type";
	else
		return;
	json_array_foreach(aces, i, ace)
	{
		json_t *m = json_object_get(ace, "matches");

		if (json_is_object(m) && json_object_get(m, "eth"))
			eth = true;
	}
	if (!eth)
		return;
	old = jp_push(j, "/type");
	if (deviation(j, "ACL of type '%s' with eth matches (RFC 8519: '%s')", s, to)) {
		snprintf(buf, sizeof(buf), "%s", to);
		json_object_set_new(acl, "type", json_string(buf));
	}
	jp_pop(j, old);
}

static void
check_acl(struct jctx *j, json_t *acl)
{
	json_t *aces, *list, *ace, *name;
	struct name_list seen = {0};
	size_t old, old2, i;

	draft_rename(j, acl, "access-list-entries", "aces", "draft-ietf-netmod-acl-model");
	check_acl_type(j, acl);
	aces = json_object_get(acl, "aces");
	list = json_is_object(aces) ? json_object_get(aces, "ace") : NULL;
	if (!json_is_array(list))
		return;
	check_mixed_type(j, acl, list);
	old = jp_push(j, "/aces/ace");
	json_array_foreach(list, i, ace)
	{
		json_t *m;

		if (!json_is_object(ace))
			continue;
		old2 = j->len;
		jp_push(j, "[%zu]", i + 1);
		draft_rename(j, ace, "rule-name", "name", "draft-ietf-netmod-acl-model");
		jp_pop(j, old2);
		jp_push_entry(j, "name", ace, i);
		name = json_object_get(ace, "name");
		if (json_is_string(name)) {
			if (names_find(&seen, json_string_value(name)))
				jerr(j, "duplicate ACE name '%s'", json_string_value(name));
			else
				names_add(j, &seen, json_string_value(name));
		}
		m = json_object_get(ace, "matches");
		if (json_is_object(m)) {
			size_t old3 = jp_push(j, "/matches");

			check_matches(j, m);
			check_empty_family(j, m, acl);
			jp_pop(j, old3);
		}
		jp_pop(j, old2);
	}
	jp_pop(j, old);
	names_free(&seen);
}

static void
check_acls(struct jctx *j, json_t *acls, struct name_list *defs)
{
	json_t *list = json_is_object(acls) ? json_object_get(acls, "acl") : NULL, *acl, *name;
	size_t old, old2, i;

	if (!json_is_array(list))
		return;
	old = jp_push(j, "/acl");
	json_array_foreach(list, i, acl)
	{
		if (!json_is_object(acl))
			continue;
		old2 = j->len;
		jp_push(j, "[%zu]", i + 1);
		draft_rename(j, acl, "acl-name", "name", "draft-ietf-netmod-acl-model");
		draft_rename(j, acl, "acl-type", "type", "draft-ietf-netmod-acl-model");
		jp_pop(j, old2);
		jp_push_entry(j, "name", acl, i);
		name = json_object_get(acl, "name");
		if (json_is_string(name)) {
			if (names_find(defs, json_string_value(name)))
				jerr(j, "duplicate ACL name '%s'", json_string_value(name));
			else
				names_add(j, defs, json_string_value(name));
		}
		check_acl(j, acl);
		jp_pop(j, old2);
	}
	jp_pop(j, old);
}

/* ---- the document ---------------------------------------------------------------------- */

static void
no_mud_container(struct jctx *j, json_t *root)
{
	char members[200] = "";
	const char *key;
	size_t n = 0;
	json_t *v;

	if (json_object_get(root, "ietf-mud:support-information") ||
	    json_object_get(root, "ietf-mud:supportInformation")) {
		jerr(j, "no ietf-mud:mud container: this is the format of a 2016 MUD draft "
			"(ietf-mud:support-information), which has no MUD URL and cannot be "
			"converted");
		return;
	}
	json_object_foreach(root, key, v)
	{
		if (n == 4) {
			strncat(members, ", ...", sizeof(members) - strlen(members) - 1);
			break;
		}
		if (n)
			strncat(members, ", ", sizeof(members) - strlen(members) - 1);
		strncat(members, key, 40);
		n++;
		if (strlen(members) > sizeof(members) - 50)
			break;
	}
	jerr(j, "no ietf-mud:mud container: not a MUD file (top-level members: %s)",
	     n ? members : "none");
}

int
mudf_json_check(struct mudf_ctx *c, json_t *root, bool lenient, struct mudf_diags *d)
{
	struct jctx j = {.c = c, .d = d, .lenient = lenient};
	struct name_list refs = {0}, defs = {0};
	size_t errors = d->n_errors;
	json_t *mud, *acls;
	int ret;

	if (!json_is_object(root)) {
		jerr(&j, "the top-level JSON value is %s, not an object", json_type_name(root));
		goto out;
	}
	if (!depth_ok(root, 1)) {
		jerr(&j, "JSON nesting deeper than %d levels", MUDF_MAX_DEPTH);
		goto out;
	}
	mud = json_object_get(root, "ietf-mud:mud");
	if (!mud) {
		no_mud_container(&j, root);
		goto out;
	}
	if (!json_is_object(mud)) {
		jp_push(&j, "/ietf-mud:mud");
		jerr(&j, "ietf-mud:mud is %s, not an object", json_type_name(mud));
		jp_pop(&j, 0);
		goto out;
	}
	if (json_object_get(root, "ietf-access-control-list:access-lists")) {
		jp_push(&j, "/ietf-access-control-list:access-lists");
		if (deviation(&j, "pre-RFC 8519 container name 'access-lists' (RFC 8519: 'acls')"))
			rename_member(&j, root, "ietf-access-control-list:access-lists",
				      "ietf-access-control-list:acls");
		jp_pop(&j, 0);
	}

	jp_push(&j, "/ietf-mud:mud");
	check_mud(&j, mud, &refs);
	jp_pop(&j, 0);

	acls = json_object_get(root, "ietf-access-control-list:acls");
	jp_push(&j, "/ietf-access-control-list:acls");
	check_acls(&j, acls, &defs);
	jp_pop(&j, 0);

	for (size_t i = 0; i < refs.n; i++) {
		struct name_ref *def = names_find(&defs, refs.v[i].name);

		if (def) {
			def->used = true;
			continue;
		}
		mudf_diag_add(d, MUDF_ERROR, refs.v[i].path,
			      "the policy names ACL '%s', which ietf-access-control-list:acls does "
			      "not define",
			      refs.v[i].name);
	}
	for (size_t i = 0; i < defs.n; i++)
		if (!defs.v[i].used)
			mudf_diag_add(d, MUDF_WARNING, defs.v[i].path,
				      "warning: ACL '%s' is not used by any policy",
				      defs.v[i].name);
out:
	names_free(&refs);
	names_free(&defs);
	if (j.oom)
		ret = -ENOMEM;
	else if (d->n_errors > errors + j.n_deviations)
		ret = -EINVAL;
	else
		ret = j.n_deviations ? 1 : 0;
	return ret;
}
