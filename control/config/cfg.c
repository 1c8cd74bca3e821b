/* SPDX-License-Identifier: BSD-3-Clause */
/* mudgated configuration transactions (cfg.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "config/cfg.h"
#include "mg_ctrl.h"

static const struct lyd_node *
child(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	if (!n)
		return NULL;
	LY_LIST_FOR (lyd_child(n), c)
		if (!strcmp(LYD_NAME(c), name))
			return c;
	return NULL;
}

static const char *
value(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c = child(n, name);

	return c ? lyd_get_value(c) : NULL;
}

static unsigned long
uvalue(const struct lyd_node *n, const char *name, unsigned long dflt)
{
	const char *v = value(n, name);

	return v ? strtoul(v, NULL, 10) : dflt;
}

static bool
bvalue(const struct lyd_node *n, const char *name, bool dflt)
{
	const char *v = value(n, name);

	return v ? !strcmp(v, "true") : dflt;
}

void
cfg_destroy(struct cfg *c)
{
	if (!c)
		return;
	site_destroy(c->site);
	mudsig_store_destroy(c->store);
	for (size_t i = 0; i < c->n_auth; i++) {
		free((char *)c->auth[i].host);
		free((char *)c->auth[i].signer_subject);
	}
	free(c->auth);
	for (size_t i = 0; i < c->n_statics; i++)
		free(c->statics[i].mud_url);
	free(c->statics);
	free(c->ca_file);
	for (size_t i = 0; i < c->n_connect_to; i++) {
		free(c->connect_to[i].host);
		free(c->connect_to[i].address);
	}
	free(c->connect_to);
	for (size_t i = 0; i < c->n_resolvers; i++)
		free(c->resolvers[i]);
	free(c->resolvers);
	free(c);
}

int
cfg_validate(struct mudf_ctx *ctx, const char *text, size_t len, struct lyd_node **tree,
	     struct mudf_diags *d)
{
	char err[512] = "";
	char *copy;
	int rc;

	*tree = NULL;
	if (len > CFG_MAX_SIZE) {
		mudf_diag_add(d, MUDF_ERROR, "/", "%zu bytes, larger than the %u-byte limit", len,
			      CFG_MAX_SIZE);
		return -EFBIG;
	}
	rc = mudf_ly_load_module(ctx, "mudgate", err, sizeof(err));
	if (rc < 0) {
		mudf_diag_add(d, MUDF_ERROR, "/", "%s", err);
		return rc;
	}
	copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	if (strlen(copy) != len) {
		mudf_diag_add(d, MUDF_ERROR, "/", "NUL byte at offset %zu", strlen(copy));
		free(copy);
		return -EINVAL;
	}
	rc = mudf_ly_parse_json(ctx, copy, tree, d);
	free(copy);
	return rc;
}

static int
count(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;
	int k = 0;

	if (!n)
		return 0;
	LY_LIST_FOR (lyd_child(n), c)
		if (!strcmp(LYD_NAME(c), name))
			k++;
	return k;
}

/* Trust anchors: certificate-file as is, certificate-pem written under the state dir. */
static int
load_store(struct cfg *c, const struct lyd_node *site, const char *state_dir, struct mudf_diags *d)
{
	int n = count(site, "trust-anchor"), k = 0, rc = 0;
	const struct lyd_node *ta;
	char **files;
	char *errmsg = NULL;

	if (n == 0)
		return 0;
	files = calloc((size_t)n, sizeof(*files));
	if (!files)
		return -ENOMEM;
	LY_LIST_FOR (lyd_child(site), ta) {
		const char *name, *file, *pem;
		if (strcmp(LYD_NAME(ta), "trust-anchor"))
			continue;
		name = value(ta, "name");
		file = value(ta, "certificate-file");
		pem = value(ta, "certificate-pem");
		if (file) {
			files[k] = strdup(file);
		} else if (pem) {
			char dir[4200], path[4400], safe[65];
			size_t i;
			for (i = 0; name[i] && i < 64; i++)
				safe[i] = (name[i] == '/' || name[i] == '.') ? '_' : name[i];
			safe[i] = 0;
			snprintf(dir, sizeof(dir), "%s/trust-anchors", state_dir);
			snprintf(path, sizeof(path), "%s/%s.pem", dir, safe);
			FILE *f;
			if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || !(f = fopen(path, "w"))) {
				rc = -errno;
				mudf_diag_add(d, MUDF_ERROR, "/mudgate:mudgate/site/trust-anchor",
					      "%s: %s", path, strerror(errno));
				goto out_free;
			}
			fputs(pem, f);
			fclose(f);
			files[k] = strdup(path);
		}
		if (!files[k]) {
			rc = -ENOMEM;
			goto out_free;
		}
		k++;
	}
	c->store = mudsig_store_create((const char *const *)files, (size_t)k, &errmsg);
	if (!c->store) {
		rc = errno ? -errno : -EINVAL;
		mudf_diag_add(d, MUDF_ERROR, "/mudgate:mudgate/site/trust-anchor", "%s",
			      errmsg ? errmsg : "cannot load the trust anchors");
		free(errmsg);
	}
out_free:
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

static int
read_daemon(struct cfg *c, const struct lyd_node *dn, struct mudf_diags *d)
{
	const struct lyd_node *n, *e;
	int k;

	n = child(dn, "discovery");
	c->disc_dhcp4 = bvalue(n, "dhcpv4", true);
	c->disc_dhcp6 = bvalue(n, "dhcpv6", true);
	c->disc_lldp = bvalue(n, "lldp", true);

	k = count(dn, "device");
	c->statics = calloc((size_t)k + 1, sizeof(*c->statics));
	if (!c->statics)
		return -ENOMEM;
	if (dn)
		LY_LIST_FOR (lyd_child(dn), e) {
			struct cfg_static *s = &c->statics[c->n_statics];
			if (strcmp(LYD_NAME(e), "device"))
				continue;
			if (mg_mac_parse(value(e, "mac"), s->mac) < 0) {
				mudf_diag_add(d, MUDF_ERROR, "/mudgate:mudgate/daemon/device",
					      "bad MAC '%s'", value(e, "mac"));
				return -EINVAL;
			}
			if (strlen(value(e, "mud-url")) > 255) {
				mudf_diag_add(d, MUDF_ERROR, "/mudgate:mudgate/daemon/device",
					      "%s: MUD URL longer than 255 bytes", value(e, "mac"));
				return -EINVAL;
			}
			s->mud_url = strdup(value(e, "mud-url"));
			if (!s->mud_url)
				return -ENOMEM;
			c->n_statics++;
		}

	n = child(dn, "fetch");
	if (value(n, "ca-file")) {
		c->ca_file = strdup(value(n, "ca-file"));
		if (!c->ca_file)
			return -ENOMEM;
		if (access(c->ca_file, R_OK) < 0) {
			mudf_diag_add(d, MUDF_ERROR, "/mudgate:mudgate/daemon/fetch/ca-file",
				      "%s: %s", c->ca_file, strerror(errno));
			return -ENOENT;
		}
	}
	c->max_size = uvalue(n, "max-size", 1u << 20);
	c->connect_timeout = (long)uvalue(n, "connect-timeout", 10);
	c->total_timeout = (long)uvalue(n, "total-timeout", 30);
	c->max_redirects = (long)uvalue(n, "max-redirects", 3);
	c->retry_interval = (uint32_t)uvalue(n, "retry-interval", 60);
	c->grace = (uint32_t)uvalue(n, "grace", 86400);
	c->max_validity = (uint32_t)uvalue(n, "max-validity", 0);
	k = count(n, "connect-to");
	c->connect_to = calloc((size_t)k + 1, sizeof(*c->connect_to));
	if (!c->connect_to)
		return -ENOMEM;
	if (n)
		LY_LIST_FOR (lyd_child(n), e) {
			struct cfg_connect_to *t = &c->connect_to[c->n_connect_to];
			if (strcmp(LYD_NAME(e), "connect-to"))
				continue;
			t->host = strdup(value(e, "host"));
			t->address = strdup(value(e, "address"));
			t->port = (uint16_t)uvalue(e, "port", 443);
			c->n_connect_to++;
			if (!t->host || !t->address)
				return -ENOMEM;
		}

	n = child(dn, "signature");
	mudsig_policy_init(&c->sig);
	c->sig.require_signature = bvalue(n, "require", true);
	c->sig.allow_unsigned_with_warning = bvalue(n, "allow-unsigned", false);
	const char *es = value(n, "expired-signer");
	c->sig.expired_signer = !es || !strcmp(es, "reject")     ? MUDSIG_TIME_REJECT
				: !strcmp(es, "at-signing-time") ? MUDSIG_TIME_AT_SIGNING_TIME
								 : MUDSIG_TIME_IGNORE;
	c->sig.check_authority = bvalue(n, "check-authority", false);
	k = count(n, "authority");
	c->auth = calloc((size_t)k + 1, sizeof(*c->auth));
	if (!c->auth)
		return -ENOMEM;
	if (n)
		LY_LIST_FOR (lyd_child(n), e) {
			if (strcmp(LYD_NAME(e), "authority"))
				continue;
			c->auth[c->n_auth].host = strdup(value(e, "host"));
			c->auth[c->n_auth].signer_subject = strdup(value(e, "signer-subject"));
			c->n_auth++;
			if (!c->auth[c->n_auth - 1].host || !c->auth[c->n_auth - 1].signer_subject)
				return -ENOMEM;
		}
	c->sig.authorities = c->auth;
	c->sig.n_authorities = c->n_auth;

	const char *fs = value(dn, "failure-state");
	c->failure_state = !fs || !strcmp(fs, "quarantined") ? MG_STATE_QUARANTINED
			   : !strcmp(fs, "unknown")          ? MG_STATE_UNKNOWN
							     : MG_STATE_DECOMMISSIONED;
	c->lenient = bvalue(dn, "lenient", true);

	n = child(dn, "dnsname");
	c->dns_resolve = bvalue(n, "resolve", true);
	c->dns_min_ttl = (uint32_t)uvalue(n, "min-ttl", 30);
	c->dns_max_ttl = (uint32_t)uvalue(n, "max-ttl", 86400);
	c->dns_max_addrs = (uint32_t)uvalue(n, "max-addresses", 4096);
	if (c->dns_max_ttl < c->dns_min_ttl) {
		mudf_diag_add(d, MUDF_ERROR, "/mudgate:mudgate/daemon/dnsname/max-ttl",
			      "max-ttl %u is below min-ttl %u", c->dns_max_ttl, c->dns_min_ttl);
		return -EINVAL;
	}
	k = count(n, "resolver");
	c->resolvers = calloc((size_t)k + 1, sizeof(*c->resolvers));
	if (!c->resolvers)
		return -ENOMEM;
	if (n)
		LY_LIST_FOR (lyd_child(n), e) {
			if (strcmp(LYD_NAME(e), "resolver"))
				continue;
			c->resolvers[c->n_resolvers] = strdup(lyd_get_value(e));
			if (!c->resolvers[c->n_resolvers++])
				return -ENOMEM;
		}
	return 0;
}

int
cfg_prepare(struct mudf_ctx *ctx, const struct lyd_node *tree, const char *text, size_t len,
	    const char *state_dir, struct cfg **out, struct mudf_diags *d)
{
	const struct lyd_node *root = NULL, *n;
	struct cfg *c;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	LY_LIST_FOR (tree, n)
		if (!strcmp(n->schema->module->name, "mudgate") && !strcmp(LYD_NAME(n), "mudgate"))
			root = n;
	rc = site_parse(ctx, text, len, &c->site, d);
	if (rc < 0)
		goto out_destroy;
	rc = load_store(c, child(root, "site"), state_dir, d);
	if (rc < 0)
		goto out_destroy;
	rc = read_daemon(c, child(root, "daemon"), d);
	if (rc < 0)
		goto out_destroy;
	*out = c;
	return 0;
out_destroy:
	cfg_destroy(c);
	return rc;
}

void
cfg_apply(struct cfg **running, struct cfg *next)
{
	struct cfg *old = *running;

	*running = next;
	cfg_destroy(old);
}

int
cfg_load(struct mudf_ctx *ctx, const char *path, const char *state_dir, struct cfg **out,
	 struct mudf_diags *d)
{
	struct lyd_node *tree = NULL;
	size_t size;
	char *text;
	int rc;

	*out = NULL;
	text = mg_read_file(path, CFG_MAX_SIZE, &size);
	if (!text) {
		rc = -errno;
		mudf_diag_add(d, MUDF_ERROR, "/", "%s: %s", path,
			      errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
		return rc;
	}
	rc = cfg_validate(ctx, text, size, &tree, d);
	if (rc == 0)
		rc = cfg_prepare(ctx, tree, text, size, state_dir, out, d);
	lyd_free_all(tree);
	free(text);
	return rc;
}

const char *
cfg_static_url(const struct cfg *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->n_statics; i++)
		if (!memcmp(c->statics[i].mac, mac, 6))
			return c->statics[i].mud_url;
	return NULL;
}
