/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The site context (yang/mudgate.yang, container mudgate/site): what the MUD abstractions of
 * RFC 8520 resolve to here, trust anchors, per-state profiles and allowances. The compiler
 * reads it; mudgated will keep one per configuration generation.
 *
 * A site is read-only once loaded and may be shared between threads.
 */
#ifndef SITE_H
#define SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_image.h"
#include "mud/mudf.h"

#define SITE_MAX_SIZE (4u << 20) /* size cap of a site file */

struct site_prefix {
	uint8_t family; /* MGI_FAMILY_IPV4 or MGI_FAMILY_IPV6 */
	uint8_t plen;
	uint8_t addr[16]; /* network byte order, host bits zero */
};

struct site_addrs {
	struct site_prefix *v;
	size_t n;
};

/* A controller class (key: its URI) or a my-controller entry (key: the MUD URL). */
struct site_named {
	char *key;
	struct site_addrs addrs;
};

struct site_device {
	uint8_t mac[6];
	char *mud_url;
	char *authority; /* the manufacturer: 'manufacturer', else the MUD URL's authority */
	struct site_addrs addrs;
};

struct site_profile {
	enum mgi_profile_mode mode;
	char *policy; /* with MGI_PROFILE_POLICY: the policy name */
};

struct site {
	struct site_addrs local_networks;
	struct site_named *controllers;
	size_t n_controllers;
	struct site_named *my_controllers;
	size_t n_my_controllers;
	struct site_device *devices;
	size_t n_devices;
	char **trust_anchors; /* names */
	size_t n_trust_anchors;
	struct site_profile profiles[MG_STATE_COUNT];
	uint32_t allow_flags;        /* MGI_ALLOW_* */
	struct site_addrs resolvers; /* host prefixes of allowances/resolver */
};

/* An empty site with the default profiles and allowances (mudgate.yang defaults). NULL with
 * errno ENOMEM. */
struct site *site_create_default(void);
void site_destroy(struct site *s);

/*
 * Parse a site file: JSON of mudgate.yang ({"mudgate:mudgate": {"site": {...}}}), validated by
 * libyang (the module "mudgate" is loaded into c on first use). Returns 0, -EINVAL (errors in
 * d), -EFBIG, -ENOENT (mudgate.yang missing), -ENOMEM.
 */
int site_parse(struct mudf_ctx *c, const char *json, size_t len, struct site **out,
	       struct mudf_diags *d);
int site_load(struct mudf_ctx *c, const char *path, struct site **out, struct mudf_diags *d);

/* "192.0.2.0/24", "2001:db8::/32", or a bare address (host prefix). Host bits must be zero.
 * Returns 0 or -EINVAL. */
int site_parse_prefix(const char *s, struct site_prefix *p);

/* Lookups; NULL when absent. */
const struct site_named *site_controller(const struct site *s, const char *uri);
const struct site_named *site_my_controller(const struct site *s, const char *mud_url);

#endif /* SITE_H */
