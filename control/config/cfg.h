/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg: mudgated's configuration, the container mudgate of yang/mudgate.yang (site + daemon),
 * read from a JSON file (RFC 7951) and changed in one transaction path, the same for the
 * startup file and, later, NETCONF edit-config:
 *
 *   cfg_validate()  the text against the YANG model (libyang): structure, types, ranges;
 *   cfg_prepare()   everything that can fail: the site, the trust anchors loaded into a
 *                   signature store, the CA file checked, static bindings parsed, into a new
 *                   struct cfg that nothing uses yet;
 *   cfg_apply()     swaps the running configuration for the prepared one; cannot fail.
 *
 * A failure in validate or prepare leaves the running configuration untouched, with a reason
 * naming the path and why.
 *
 * Single-threaded (the event loop). A struct cfg is read-only once prepared.
 */
#ifndef CFG_H
#define CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile/site.h"
#include "mg_image.h"
#include "mud/mudf.h"
#include "verify/mudsig.h"

#define CFG_MAX_SIZE (4u << 20)

struct cfg_static {
	uint8_t mac[6];
	char *mud_url;
};

struct cfg_connect_to {
	char *host;
	char *address;
	uint16_t port;
};

struct cfg {
	struct site *site;
	struct mudsig_store *store; /* NULL without trust anchors */
	struct mudsig_policy sig;   /* authorities point into auth */
	struct mudsig_authority *auth;
	size_t n_auth;

	bool disc_dhcp4, disc_dhcp6, disc_lldp;
	struct cfg_static *statics;
	size_t n_statics;

	char *ca_file; /* NULL: system store */
	size_t max_size;
	long connect_timeout, total_timeout; /* seconds */
	long max_redirects;
	uint32_t retry_interval, grace, max_validity; /* seconds; max_validity 0: none */
	struct cfg_connect_to *connect_to;
	size_t n_connect_to;

	enum mg_state failure_state;
	bool lenient;

	bool dns_resolve;
	char **resolvers;
	size_t n_resolvers;
	uint32_t dns_min_ttl, dns_max_ttl, dns_max_addrs;
};

/*
 * Validate text[0..len) (the whole configuration document) against mudgate.yang, loaded into
 * ctx on first use. On success *tree is the validated data tree (lyd_free_all). Returns 0,
 * -EINVAL (errors in d), -EFBIG, -ENOENT (module missing), -ENOMEM.
 */
int cfg_validate(struct mudf_ctx *ctx, const char *text, size_t len, struct lyd_node **tree,
		 struct mudf_diags *d);

/*
 * Build a configuration from a validated tree and its text. state_dir receives inline trust
 * anchors (STATE/trust-anchors/NAME.pem). Returns 0 with *out set, or a negative errno with
 * the reason in d.
 */
int cfg_prepare(struct mudf_ctx *ctx, const struct lyd_node *tree, const char *text, size_t len,
		const char *state_dir, struct cfg **out, struct mudf_diags *d);

/* Install next as the running configuration; the previous one is destroyed. Cannot fail. */
void cfg_apply(struct cfg **running, struct cfg *next);

/* Read path, validate and prepare. */
int cfg_load(struct mudf_ctx *ctx, const char *path, const char *state_dir, struct cfg **out,
	     struct mudf_diags *d);

void cfg_destroy(struct cfg *c);

/* The static MUD URL of mac, NULL when none. */
const char *cfg_static_url(const struct cfg *c, const uint8_t mac[6]);

#endif /* CFG_H */
