/* SPDX-License-Identifier: BSD-3-Clause */
/* The site context: mudgate.yang container mudgate/site, read from JSON through libyang. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "compile/site.h"

struct site *
site_create_default(void)
{
	struct site *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	/* mg_image.h: the defaults of a fresh builder, and mudgate.yang's */
	s->profiles[MG_STATE_UNKNOWN].mode = MGI_PROFILE_ALLOWANCES_ONLY;
	s->profiles[MG_STATE_PENDING].mode = MGI_PROFILE_ALLOWANCES_ONLY;
	s->profiles[MG_STATE_ENFORCED].mode = MGI_PROFILE_OWN;
	s->profiles[MG_STATE_QUARANTINED].mode = MGI_PROFILE_ALLOWANCES_ONLY;
	s->profiles[MG_STATE_UPDATING].mode = MGI_PROFILE_OWN;
	s->profiles[MG_STATE_DECOMMISSIONED].mode = MGI_PROFILE_DENY_ALL;
	s->allow_flags = MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS;
	return s;
}

static void
named_free(struct site_named *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].addrs.v);
	}
	free(v);
}

void
site_destroy(struct site *s)
{
	if (!s)
		return;
	free(s->local_networks.v);
	named_free(s->controllers, s->n_controllers);
	named_free(s->my_controllers, s->n_my_controllers);
	for (size_t i = 0; i < s->n_devices; i++) {
		free(s->devices[i].mud_url);
		free(s->devices[i].authority);
		free(s->devices[i].addrs.v);
	}
	free(s->devices);
	for (size_t i = 0; i < s->n_trust_anchors; i++)
		free(s->trust_anchors[i]);
	free(s->trust_anchors);
	for (size_t i = 0; i < MG_STATE_COUNT; i++)
		free(s->profiles[i].policy);
	free(s->resolvers.v);
	free(s);
}

int
site_parse_prefix(const char *s, struct site_prefix *p)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	char *end;
	int max;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = MGI_FAMILY_IPV4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = MGI_FAMILY_IPV6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = (unsigned long)max;
	if (slash) {
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		plen = strtoul(slash + 1, &end, 10);
		if (*end || plen > (unsigned long)max)
			return -EINVAL;
	}
	p->plen = (uint8_t)plen;
	for (int bit = (int)plen; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}

const struct site_named *
site_controller(const struct site *s, const char *uri)
{
	for (size_t i = 0; i < s->n_controllers; i++)
		if (!strcmp(s->controllers[i].key, uri))
			return &s->controllers[i];
	return NULL;
}

const struct site_named *
site_my_controller(const struct site *s, const char *mud_url)
{
	for (size_t i = 0; i < s->n_my_controllers; i++)
		if (!strcmp(s->my_controllers[i].key, mud_url))
			return &s->my_controllers[i];
	return NULL;
}

/* ---- reading the libyang tree ---------------------------------------------------------- */

static const char *
child_value(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(n), c)
		if (!strcmp(LYD_NAME(c), name))
			return lyd_get_value(c);
	return NULL;
}

static const struct lyd_node *
child(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(n), c)
		if (!strcmp(LYD_NAME(c), name))
			return c;
	return NULL;
}

/* Every leaf-list entry `name` under n into a (address or prefix). */
static int
collect(const struct lyd_node *n, const char *name, struct site_addrs *a, struct mudf_diags *d)
{
	const struct lyd_node *c;
	size_t cnt = 0;

	if (!n)
		return 0;
	LY_LIST_FOR (lyd_child(n), c)
		if (!strcmp(LYD_NAME(c), name))
			cnt++;
	if (!cnt)
		return 0;
	a->v = calloc(cnt, sizeof(*a->v));
	if (!a->v)
		return -ENOMEM;
	LY_LIST_FOR (lyd_child(n), c) {
		if (strcmp(LYD_NAME(c), name))
			continue;
		if (site_parse_prefix(lyd_get_value(c), &a->v[a->n]) < 0) {
			char *path = lyd_path(c, LYD_PATH_STD, NULL, 0);

			mudf_diag_add(d, MUDF_ERROR, path, "'%s' is not an address prefix",
				      lyd_get_value(c));
			free(path);
			return -EINVAL;
		}
		a->n++;
	}
	return 0;
}

static size_t
count_children(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;
	size_t cnt = 0;

	if (n)
		LY_LIST_FOR (lyd_child(n), c)
			if (!strcmp(LYD_NAME(c), name))
				cnt++;
	return cnt;
}

static int
read_named(const struct lyd_node *site, const char *list, const char *key, struct site_named **v,
	   size_t *n, struct mudf_diags *d)
{
	size_t cnt = count_children(site, list);
	const struct lyd_node *c;
	int ret;

	if (!cnt)
		return 0;
	*v = calloc(cnt, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	LY_LIST_FOR (lyd_child(site), c) {
		struct site_named *x;

		if (strcmp(LYD_NAME(c), list))
			continue;
		x = &(*v)[(*n)++];
		x->key = strdup(child_value(c, key));
		if (!x->key)
			return -ENOMEM;
		ret = collect(c, "address", &x->addrs, d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int
read_devices(struct site *s, const struct lyd_node *site, struct mudf_diags *d)
{
	size_t cnt = count_children(site, "device");
	const struct lyd_node *c;
	int ret;

	if (!cnt)
		return 0;
	s->devices = calloc(cnt, sizeof(*s->devices));
	if (!s->devices)
		return -ENOMEM;
	LY_LIST_FOR (lyd_child(site), c) {
		struct site_device *x;
		const char *mfg;
		char auth[256];

		if (strcmp(LYD_NAME(c), "device"))
			continue;
		x = &s->devices[s->n_devices++];
		if (parse_mac(child_value(c, "mac"), x->mac) < 0)
			return -EINVAL;
		x->mud_url = strdup(child_value(c, "mud-url"));
		if (!x->mud_url)
			return -ENOMEM;
		mfg = child_value(c, "manufacturer");
		if (!mfg) {
			if (mudf_url_authority(x->mud_url, auth, sizeof(auth)) < 0) {
				char *path = lyd_path(c, LYD_PATH_STD, NULL, 0);

				mudf_diag_add(d, MUDF_ERROR, path,
					      "mud-url '%s' has no usable authority", x->mud_url);
				free(path);
				return -EINVAL;
			}
			mfg = auth;
		}
		x->authority = strdup(mfg);
		if (!x->authority)
			return -ENOMEM;
		for (char *p = x->authority; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		ret = collect(c, "address", &x->addrs, d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static const struct {
	const char *name;
	enum mgi_profile_mode mode;
} modes[] = {
	{"own-policy", MGI_PROFILE_OWN},
	{"policy", MGI_PROFILE_POLICY},
	{"allow-all", MGI_PROFILE_ALLOW_ALL},
	{"deny-all", MGI_PROFILE_DENY_ALL},
	{"allowances-only", MGI_PROFILE_ALLOWANCES_ONLY},
};

static const char *const states[MG_STATE_COUNT] = {
	"unknown", "pending", "enforced", "quarantined", "updating", "decommissioned",
};

static int
read_profiles(struct site *s, const struct lyd_node *site)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(site), c) {
		const char *st, *mode, *pol;
		int state = -1;

		if (strcmp(LYD_NAME(c), "profile"))
			continue;
		st = child_value(c, "state");
		mode = child_value(c, "mode");
		pol = child_value(c, "policy");
		for (int i = 0; i < MG_STATE_COUNT; i++)
			if (!strcmp(st, states[i]))
				state = i;
		if (state < 0)
			return -EINVAL; /* YANG guarantees a known state */
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (!strcmp(mode, modes[i].name))
				s->profiles[state].mode = modes[i].mode;
		free(s->profiles[state].policy);
		s->profiles[state].policy = NULL;
		if (pol) {
			s->profiles[state].policy = strdup(pol);
			if (!s->profiles[state].policy)
				return -ENOMEM;
		}
	}
	return 0;
}

static int
read_allowances(struct site *s, const struct lyd_node *site, struct mudf_diags *d)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} flags[] = {
		{"arp", MGI_ALLOW_ARP},
		{"nd", MGI_ALLOW_ND},
		{"dhcp", MGI_ALLOW_DHCP},
		{"dns", MGI_ALLOW_DNS},
	};
	const struct lyd_node *a = child(site, "allowances");

	if (!a)
		return 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		const char *v = child_value(a, flags[i].name);

		if (v && !strcmp(v, "false"))
			s->allow_flags &= ~flags[i].flag;
	}
	return collect(a, "resolver", &s->resolvers, d);
}

static int
read_trust_anchors(struct site *s, const struct lyd_node *site)
{
	size_t cnt = count_children(site, "trust-anchor");
	const struct lyd_node *c;

	if (!cnt)
		return 0;
	s->trust_anchors = calloc(cnt, sizeof(*s->trust_anchors));
	if (!s->trust_anchors)
		return -ENOMEM;
	LY_LIST_FOR (lyd_child(site), c) {
		if (strcmp(LYD_NAME(c), "trust-anchor"))
			continue;
		s->trust_anchors[s->n_trust_anchors] = strdup(child_value(c, "name"));
		if (!s->trust_anchors[s->n_trust_anchors])
			return -ENOMEM;
		s->n_trust_anchors++;
	}
	return 0;
}

int
site_parse(struct mudf_ctx *c, const char *json, size_t len, struct site **out,
	   struct mudf_diags *d)
{
	struct lyd_node *tree = NULL, *root;
	const struct lyd_node *sn;
	struct site *s = NULL;
	char err[512] = "";
	char *text = NULL;
	int ret;

	*out = NULL;
	if (len > SITE_MAX_SIZE) {
		mudf_diag_add(d, MUDF_ERROR, "/",
			      "file is %zu bytes, larger than the %u-byte limit", len,
			      SITE_MAX_SIZE);
		return -EFBIG;
	}
	ret = mudf_ly_load_module(c, "mudgate", err, sizeof(err));
	if (ret < 0) {
		mudf_diag_add(d, MUDF_ERROR, "/", "%s", err);
		return ret;
	}
	text = strndup(json, len);
	if (!text)
		return -ENOMEM;
	if (strlen(text) != len) {
		mudf_diag_add(d, MUDF_ERROR, "/", "NUL byte at offset %zu", strlen(text));
		ret = -EINVAL;
		goto out;
	}
	ret = mudf_ly_parse_json(c, text, &tree, d);
	if (ret < 0)
		goto out;
	s = site_create_default();
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	root = NULL;
	LY_LIST_FOR (tree, sn) {
		if (sn->flags & LYD_DEFAULT)
			continue;
		if (strcmp(sn->schema->module->name, "mudgate")) {
			char *path = lyd_path(sn, LYD_PATH_STD, NULL, 0);

			mudf_diag_add(d, MUDF_ERROR, path, "not mudgate configuration (module %s)",
				      sn->schema->module->name);
			free(path);
			ret = -EINVAL;
			goto out;
		}
		root = (struct lyd_node *)sn;
	}
	sn = root ? child(root, "site") : NULL;
	if (sn) {
		if ((ret = collect(child(sn, "local-networks"), "address", &s->local_networks,
				   d)) ||
		    (ret = read_named(sn, "controller", "uri", &s->controllers, &s->n_controllers,
				      d)) ||
		    (ret = read_named(sn, "my-controller", "mud-url", &s->my_controllers,
				      &s->n_my_controllers, d)) ||
		    (ret = read_devices(s, sn, d)) || (ret = read_profiles(s, sn)) ||
		    (ret = read_allowances(s, sn, d)) || (ret = read_trust_anchors(s, sn)))
			goto out;
	}
	*out = s;
	s = NULL;
out:
	site_destroy(s);
	lyd_free_all(tree);
	free(text);
	return ret;
}

int
site_load(struct mudf_ctx *c, const char *path, struct site **out, struct mudf_diags *d)
{
	size_t size = 0;
	char *buf;
	int ret;

	*out = NULL;
	buf = mg_read_file(path, SITE_MAX_SIZE, &size);
	if (!buf) {
		ret = -errno;
		if (ret == -EFBIG || ret == -E2BIG)
			mudf_diag_add(d, MUDF_ERROR, "/", "file is larger than the %u-byte limit",
				      SITE_MAX_SIZE);
		else
			mudf_diag_add(d, MUDF_ERROR, "/", "cannot read: %s", strerror(-ret));
		return ret < 0 ? ret : -EIO;
	}
	ret = site_parse(c, buf, size, out, d);
	free(buf);
	return ret;
}
