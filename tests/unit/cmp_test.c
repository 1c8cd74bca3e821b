/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiler: the RFC 8520 section 9 example compiles to exactly the rules written below by
 * hand; a file using every supported match against a site file; the constructs the image
 * cannot express, each rejected with its exact reason; the site file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compile/cmp.h"
#include "compile/site.h"
#include "mg_image.h"
#include "mud/mudf.h"

static struct mudf_ctx *ctx;
static char src_dir[4096];

struct built {
	void *blob;
	size_t size;
	struct mgi_image img;
};

static int
setup(void **state)
{
	const char *src = getenv("MUDGATE_SOURCE_DIR");
	char err[512];

	snprintf(src_dir, sizeof(src_dir), "%s", src ? src : ".");
	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx)
		fprintf(stderr, "%s\n", err);
	return ctx ? 0 : -1;
}

static int
teardown(void **state)
{
	mudf_ctx_destroy(ctx);
	return 0;
}

static struct site *
load_site(const char *rel)
{
	struct mudf_diags d;
	struct site *s = NULL;
	char path[8192];

	if (!rel)
		return site_create_default();
	snprintf(path, sizeof(path), "%s/%s", src_dir, rel);
	assert_int_equal(mudf_diags_init(&d, rel), 0);
	if (site_load(ctx, path, &s, &d) < 0) {
		mudf_diags_print(&d, stderr, false);
		fail_msg("cannot load %s", rel);
	}
	mudf_diags_fini(&d);
	return s;
}

/* Compile one MUD file (relative to the source dir) for one device into b->img. */
static void
build(struct built *out, const char *mud_rel, const char *site_rel, const uint8_t mac[6])
{
	struct site *site = load_site(site_rel);
	struct mgi_builder *b = mgi_builder_create();
	struct cmp *c = cmp_create(b, site);
	struct mudf_file *f = NULL;
	struct mudf_diags d;
	char path[8192], err[256];
	uint32_t pol;

	assert_non_null(c);
	snprintf(path, sizeof(path), "%s/%s", src_dir, mud_rel);
	assert_int_equal(mudf_diags_init(&d, mud_rel), 0);
	assert_int_equal(mudf_load(ctx, path, NULL, &f, &d), 0);
	if (cmp_add_policy(c, f, NULL, &pol, &d) < 0) {
		mudf_diags_print(&d, stderr, false);
		fail_msg("cannot compile %s", mud_rel);
	}
	assert_int_equal(pol, 0);
	assert_int_equal(mgi_builder_add_device(b, mac, pol, MG_STATE_ENFORCED), 0);
	assert_int_equal(cmp_finish(c, &d), 0);
	assert_int_equal(d.n_errors, 0);
	assert_int_equal(mgi_builder_finish(b, &out->blob, &out->size), 0);
	if (mgi_open(&out->img, out->blob, out->size, err, sizeof(err)) < 0)
		fail_msg("mgi_open: %s", err);
	mudf_diags_fini(&d);
	mudf_file_destroy(f);
	cmp_destroy(c);
	mgi_builder_destroy(b);
	site_destroy(site);
}

static const struct mgi_set *
find_set(const struct mgi_image *img, enum mgi_set_kind kind, const char *name, uint32_t *idx)
{
	for (uint32_t i = 0; i < img->n_sets; i++)
		if (img->sets[i].kind == (uint32_t)kind &&
		    !strcmp(mgi_str(img, img->sets[i].name), name)) {
			if (idx)
				*idx = i;
			return &img->sets[i];
		}
	fail_msg("no set %d '%s'", (int)kind, name);
	return NULL;
}

static void
prefix_of(const char *s, uint8_t *family, uint8_t *plen, uint8_t addr[16])
{
	const char *slash = strchr(s, '/');
	char buf[64];

	memset(addr, 0, 16);
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - s), s);
	*plen = (uint8_t)atoi(slash + 1);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = MGI_FAMILY_IPV4;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = MGI_FAMILY_IPV6;
	else
		fail_msg("bad test prefix %s", s);
}

/* The set holds exactly these prefixes, in this order. */
static void
assert_set(const struct mgi_image *img, enum mgi_set_kind kind, const char *name,
	   const char *const *prefixes, uint32_t n)
{
	const struct mgi_set *s = find_set(img, kind, name, NULL);

	assert_int_equal(s->n, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct mgi_prefix *p = &img->prefixes[s->first + i];
		uint8_t fam, plen, addr[16];

		prefix_of(prefixes[i], &fam, &plen, addr);
		assert_int_equal(p->family, fam);
		assert_int_equal(p->plen, plen);
		assert_memory_equal(p->addr, addr, 16);
	}
}

/* An ACE written out in full: every field not named is zero. */
static void
assert_ace(const struct mgi_image *img, const struct mgi_ace *got, const struct mgi_ace *want,
	   const char *acl, const char *ace)
{
	assert_string_equal(mgi_str(img, got->acl_name), acl);
	assert_string_equal(mgi_str(img, got->ace_name), ace);
	struct mgi_ace g = *got, w = *want;

	g.acl_name = g.ace_name = w.acl_name = w.ace_name = 0;
	if (memcmp(&g, &w, sizeof(g))) {
		print_error(
			"ACE %s/%s: match %#x/%#x family %u/%u action %u/%u src %u/%u dst %u/%u "
			"proto %u/%u sport %u-%u/%u-%u dport %u-%u/%u-%u set %u,%u/%u,%u\n",
			acl, ace, g.match, w.match, g.family, w.family, g.action, w.action,
			g.src_kind, w.src_kind, g.dst_kind, w.dst_kind, g.proto, w.proto,
			g.sport_lo, g.sport_hi, w.sport_lo, w.sport_hi, g.dport_lo, g.dport_hi,
			w.dport_lo, w.dport_hi, g.src_set, g.dst_set, w.src_set, w.dst_set);
		fail();
	}
}

static const uint8_t mac1[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0, 0x02};

/* RFC 8520 section 9, verbatim (tests/data/mud/rfc8520-example.json). */
static void
test_rfc8520_example(void **state)
{
	struct built b;
	const struct mgi_image *img = &b.img;
	const struct mgi_policy *p;
	const struct mgi_device *dev;
	uint32_t dns_set, resolvers;

	build(&b, "tests/data/mud/rfc8520-example.json", NULL, mac1);
	assert_int_equal(img->n_policies, 1);
	p = &img->policies[0];
	assert_string_equal(mgi_str(img, p->name), "https://lighting.example.com/lightbulb2000");
	assert_string_equal(mgi_str(img, p->mud_url), "https://lighting.example.com/lightbulb2000");
	assert_int_equal(p->n_from, 1);
	assert_int_equal(p->n_to, 1);
	assert_int_equal(img->n_aces, 2);

	/* one DNS-name set for test.example.com, empty until the control plane resolves it,
	 * and the (empty) resolver set of the DNS allowance */
	assert_int_equal(img->n_sets, 2);
	assert_set(img, MGI_SET_DNSNAME, "test.example.com", NULL, 0);
	find_set(img, MGI_SET_DNSNAME, "test.example.com", &dns_set);
	assert_set(img, MGI_SET_CONTROLLER, "urn:ietf:params:mud:dns", NULL, 0);
	find_set(img, MGI_SET_CONTROLLER, "urn:ietf:params:mud:dns", &resolvers);

	/* from the device: IPv6 TCP to test.example.com port 443, connection initiated by the
	 * device */
	assert_ace(img, &img->aces[p->first_ace],
		   &(struct mgi_ace){
			   .match = MGI_M_PROTO | MGI_M_DPORT | MGI_M_DIR_INIT,
			   .family = MGI_FAMILY_IPV6,
			   .action = MG_ACT_ACCEPT,
			   .src_kind = MGI_PEER_ANY,
			   .dst_kind = MGI_PEER_SET,
			   .dst_set = dns_set,
			   .proto = 6,
			   .dport_lo = 443,
			   .dport_hi = 443,
			   .dir_init = MG_DIR_FROM_DEVICE,
		   },
		   "mud-76100-v6fr", "cl0-frdev");
	/* to the device: IPv6 TCP from test.example.com port 443, initiated by the device */
	assert_ace(img, &img->aces[p->first_ace + 1],
		   &(struct mgi_ace){
			   .match = MGI_M_PROTO | MGI_M_SPORT | MGI_M_DIR_INIT,
			   .family = MGI_FAMILY_IPV6,
			   .action = MG_ACT_ACCEPT,
			   .src_kind = MGI_PEER_SET,
			   .src_set = dns_set,
			   .dst_kind = MGI_PEER_ANY,
			   .proto = 6,
			   .sport_lo = 443,
			   .sport_hi = 443,
			   .dir_init = MG_DIR_FROM_DEVICE,
		   },
		   "mud-76100-v6to", "cl0-todev");

	dev = mgi_find_device(img, mac1);
	assert_non_null(dev);
	assert_int_equal(dev->policy, 0);
	assert_int_equal(dev->state, MG_STATE_ENFORCED);
	/* the default profiles and allowances */
	assert_int_equal(img->profiles[MG_STATE_UNKNOWN].mode, MGI_PROFILE_ALLOWANCES_ONLY);
	assert_int_equal(img->profiles[MG_STATE_ENFORCED].mode, MGI_PROFILE_OWN);
	assert_int_equal(img->profiles[MG_STATE_DECOMMISSIONED].mode, MGI_PROFILE_DENY_ALL);
	assert_int_equal(img->allowances->flags,
			 MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS);
	assert_int_equal(img->allowances->resolver_set, resolvers);
	free(b.blob);
}

static void
test_features(void **state)
{
	static const char *const local[] = {"192.168.1.0/24", "fd00::/64"};
	static const char *const ntp[] = {"192.168.1.2/32"};
	static const char *const myc[] = {"192.168.1.3/32", "fd00::3/128"};
	static const char *const other[] = {"192.168.1.50/32"};
	static const char *const same[] = {"192.168.1.60/32", "fd00::60/128", "192.168.1.70/32"};
	static const char *const dns[] = {"192.168.1.1/32", "fd00::1/128"};
	struct built b;
	const struct mgi_image *img = &b.img;
	const struct mgi_policy *p;
	const struct mgi_ace *a;
	uint32_t s_local, s_ntp, s_myc, s_mfg, s_same, s_model, s_cloud, s_dns;
	struct mgi_ace w;

	build(&b, "tests/data/mud/features.json", "tests/data/site/site.json", mac2);
	p = &img->policies[0];
	assert_string_equal(mgi_str(img, p->name), "https://example.com/thing");
	assert_int_equal(p->n_from, 12);
	assert_int_equal(p->n_to, 5);
	a = &img->aces[p->first_ace];

	assert_set(img, MGI_SET_LOCAL_NETWORKS, "local-networks", local, 2);
	assert_set(img, MGI_SET_CONTROLLER, "urn:ietf:params:mud:ntp", ntp, 1);
	assert_set(img, MGI_SET_MY_CONTROLLER, "https://example.com/thing", myc, 2);
	assert_set(img, MGI_SET_MANUFACTURER, "other.example.com", other, 1);
	assert_set(img, MGI_SET_SAME_MANUFACTURER, "example.com", same, 3);
	assert_set(img, MGI_SET_MODEL, "https://other.example.com/cam", other, 1);
	assert_set(img, MGI_SET_DNSNAME, "cloud.example.com", NULL, 0);
	assert_set(img, MGI_SET_CONTROLLER, "urn:ietf:params:mud:dns", dns, 2);
	find_set(img, MGI_SET_LOCAL_NETWORKS, "local-networks", &s_local);
	find_set(img, MGI_SET_CONTROLLER, "urn:ietf:params:mud:ntp", &s_ntp);
	find_set(img, MGI_SET_MY_CONTROLLER, "https://example.com/thing", &s_myc);
	find_set(img, MGI_SET_MANUFACTURER, "other.example.com", &s_mfg);
	find_set(img, MGI_SET_SAME_MANUFACTURER, "example.com", &s_same);
	find_set(img, MGI_SET_MODEL, "https://other.example.com/cam", &s_model);
	find_set(img, MGI_SET_DNSNAME, "cloud.example.com", &s_cloud);
	find_set(img, MGI_SET_CONTROLLER, "urn:ietf:params:mud:dns", &s_dns);

	/* gte 1024 -> [1024, 65535]; lte 1023 -> [0, 1023]; flags syn exactly */
	assert_ace(img, &a[0],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_SPORT | MGI_M_DPORT |
					      MGI_M_TCP_FLAGS,
				     .family = 4,
				     .proto = 6,
				     .sport_lo = 1024,
				     .sport_hi = 65535,
				     .dport_lo = 0,
				     .dport_hi = 1023,
				     .tcp_flags_mask = 0xff,
				     .tcp_flags_value = 0x02},
		   "v4-fr", "ops");
	/* neq 53 */
	assert_ace(img, &a[1],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_DPORT | MGI_M_DPORT_NEQ,
				     .family = 4,
				     .action = MG_ACT_DROP,
				     .proto = 17,
				     .dport_lo = 53,
				     .dport_hi = 53},
		   "v4-fr", "neq");
	/* range, direction-initiated to-device, reject */
	assert_ace(img, &a[2],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_DPORT | MGI_M_DIR_INIT,
				     .family = 4,
				     .action = MG_ACT_REJECT,
				     .proto = 6,
				     .dport_lo = 8000,
				     .dport_hi = 8080,
				     .dir_init = MG_DIR_TO_DEVICE},
		   "v4-fr", "rng");
	assert_ace(img, &a[3],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE,
				     .family = 4,
				     .proto = 1,
				     .icmp_type = 8,
				     .icmp_code = 0},
		   "v4-fr", "icmp");
	memset(&w, 0, sizeof(w));
	w.match = MGI_M_PROTO;
	w.family = 4;
	w.proto = 17;
	w.src_kind = MGI_PEER_PREFIX;
	w.src_plen = 32;
	memcpy(w.src_addr, (uint8_t[]){192, 168, 1, 60}, 4);
	w.dst_kind = MGI_PEER_PREFIX;
	w.dst_plen = 24;
	memcpy(w.dst_addr, (uint8_t[]){192, 0, 2, 0}, 4);
	assert_ace(img, &a[4], &w, "v4-fr", "net");
	/* from-device abstractions constrain the destination */
	assert_ace(img, &a[5],
		   &(struct mgi_ace){.family = 4, .dst_kind = MGI_PEER_SET, .dst_set = s_local},
		   "v4-fr", "loc");
	assert_ace(img, &a[6],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_DPORT,
				     .family = 4,
				     .proto = 17,
				     .dport_lo = 123,
				     .dport_hi = 123,
				     .dst_kind = MGI_PEER_SET,
				     .dst_set = s_ntp},
		   "v4-fr", "ctl");
	assert_ace(img, &a[7],
		   &(struct mgi_ace){.family = 4, .dst_kind = MGI_PEER_SET, .dst_set = s_myc},
		   "v4-fr", "myc");
	assert_ace(img, &a[8],
		   &(struct mgi_ace){.family = 4, .dst_kind = MGI_PEER_SET, .dst_set = s_mfg},
		   "v4-fr", "mfg");
	assert_ace(img, &a[9],
		   &(struct mgi_ace){.family = 4, .dst_kind = MGI_PEER_SET, .dst_set = s_same},
		   "v4-fr", "same");
	assert_ace(img, &a[10],
		   &(struct mgi_ace){.family = 4, .dst_kind = MGI_PEER_SET, .dst_set = s_model},
		   "v4-fr", "model");
	/* a non-IP ethertype: a family 0 ACE */
	assert_ace(img, &a[11],
		   &(struct mgi_ace){.match = MGI_M_ETHERTYPE, .family = 0, .ethertype = 0x888e},
		   "eth-fr", "eapol");

	/* to the device: the dnsname is the source */
	a = &img->aces[p->first_ace + p->n_from];
	assert_ace(img, &a[0],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_SPORT,
				     .family = 6,
				     .proto = 6,
				     .sport_lo = 443,
				     .sport_hi = 443,
				     .src_kind = MGI_PEER_SET,
				     .src_set = s_cloud},
		   "v6-to", "cloud");
	/* icmp in an IPv6 ACL is ICMPv6 */
	assert_ace(img, &a[1],
		   &(struct mgi_ace){.match = MGI_M_PROTO | MGI_M_ICMP_TYPE,
				     .family = 6,
				     .proto = 58,
				     .icmp_type = 135},
		   "v6-to", "nd");
	/* an ACE with no match in an ACL without type: every frame, one ACE per family */
	assert_ace(img, &a[2], &(struct mgi_ace){.family = 0, .action = MG_ACT_DROP}, "any-to",
		   "all");
	assert_ace(img, &a[3], &(struct mgi_ace){.family = 4, .action = MG_ACT_DROP}, "any-to",
		   "all");
	assert_ace(img, &a[4], &(struct mgi_ace){.family = 6, .action = MG_ACT_DROP}, "any-to",
		   "all");

	/* profiles and allowances of the site */
	assert_int_equal(img->profiles[MG_STATE_UNKNOWN].mode, MGI_PROFILE_DENY_ALL);
	assert_int_equal(img->profiles[MG_STATE_PENDING].mode, MGI_PROFILE_ALLOWANCES_ONLY);
	assert_int_equal(img->profiles[MG_STATE_ENFORCED].mode, MGI_PROFILE_OWN);
	assert_int_equal(img->profiles[MG_STATE_QUARANTINED].mode, MGI_PROFILE_POLICY);
	assert_int_equal(img->profiles[MG_STATE_QUARANTINED].policy, 0);
	assert_int_equal(img->profiles[MG_STATE_UPDATING].mode, MGI_PROFILE_OWN);
	assert_int_equal(img->profiles[MG_STATE_DECOMMISSIONED].mode, MGI_PROFILE_DENY_ALL);
	assert_int_equal(img->allowances->flags, MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS);
	assert_int_equal(img->allowances->resolver_set, s_dns);
	free(b.blob);
}

/* ---- what the image cannot express ----------------------------------------------------- */

#define ACLP "/ietf-access-control-list:acls/acl[name='a']/aces/ace[name='e']"

struct reject {
	const char *name;
	const char *type;
	const char *matches;
	const char *actions;
	const char *path;
	const char *msg;
};

static const struct reject rejects[] = {
	{"MAC address match", "eth-acl-type",
	 "\"eth\":{\"destination-mac-address\":\"ff:ff:ff:ff:ff:ff\"}", NULL,
	 ACLP "/matches/eth/destination-mac-address",
	 "eth field 'destination-mac-address' cannot be enforced: the policy image has no such "
	 "match"},
	{"ttl", "ipv4-acl-type", "\"ipv4\":{\"ttl\":1}", NULL, ACLP "/matches/ipv4/ttl",
	 "ipv4 field 'ttl' cannot be enforced: the policy image has no such match"},
	{"dscp", "ipv4-acl-type", "\"ipv4\":{\"dscp\":46}", NULL, ACLP "/matches/ipv4/dscp",
	 "ipv4 field 'dscp' cannot be enforced: the policy image has no such match"},
	{"flow-label", "ipv6-acl-type", "\"ipv6\":{\"flow-label\":7}", NULL,
	 ACLP "/matches/ipv6/flow-label",
	 "ipv6 field 'flow-label' cannot be enforced: the policy image has no such match"},
	{"tcp sequence number", "ipv4-acl-type", "\"tcp\":{\"sequence-number\":1}", NULL,
	 ACLP "/matches/tcp/sequence-number",
	 "tcp field 'sequence-number' cannot be enforced: the policy image has no such match"},
	{"udp length", "ipv4-acl-type", "\"udp\":{\"length\":8}", NULL, ACLP "/matches/udp/length",
	 "udp field 'length' cannot be enforced: the policy image has no such match"},
	{"network and abstraction on one side", "ipv4-acl-type",
	 "\"ipv4\":{\"destination-ipv4-network\":\"10.0.0.0/8\"},"
	 "\"ietf-mud:mud\":{\"controller\":\"urn:ietf:params:mud:ntp\"}",
	 NULL, ACLP "/matches/ietf-mud:mud/controller",
	 "destination-ipv4-network and ietf-mud:mud/controller both constrain the destination "
	 "address; the policy image has one address match per side"},
	{"two abstractions", "ipv4-acl-type",
	 "\"ietf-mud:mud\":{\"local-networks\":[null],\"same-manufacturer\":[null]}", NULL,
	 ACLP "/matches/ietf-mud:mud/local-networks",
	 "ietf-mud:mud/same-manufacturer and ietf-mud:mud/local-networks both constrain the "
	 "destination address; the policy image has one address match per side"},
	{"IP abstraction in a non-IP ACE (no match-anything)", "eth-acl-type",
	 "\"eth\":{\"ethertype\":6},\"ietf-mud:mud\":{\"local-networks\":[null]}", NULL,
	 ACLP "/matches",
	 "IP matches in an ACE of non-IP frames (ethertype 0x0006): the policy image matches no "
	 "IP fields in non-IP frames"},
	{"protocol contradicting tcp", "ipv4-acl-type",
	 "\"ipv4\":{\"protocol\":17},\"tcp\":{\"source-port\":{\"port\":1}}", NULL, ACLP "/matches",
	 "protocol 17 contradicts the tcp match"},
	{"ethertype contradicting ipv4", "mixed-eth-ipv4-acl-type",
	 "\"eth\":{\"ethertype\":34525},\"ipv4\":{\"protocol\":6}", NULL, ACLP "/matches",
	 "ethertype 0x86dd contradicts the ipv4 match"},
	{"logging", "ipv4-acl-type", "\"ipv4\":{\"protocol\":6}",
	 "\"forwarding\":\"accept\",\"logging\":\"log-syslog\"", ACLP "/actions/logging",
	 "logging action 'log-syslog' cannot be enforced"},
	{"tcp match in an Ethernet ACL", "eth-acl-type", "\"tcp\":{\"source-port\":{\"port\":1}}",
	 NULL, ACLP "/matches",
	 "the matches of this ACE contradict the ACL type "
	 "'ietf-access-control-list:eth-acl-type'"},
};

static void
test_rejects(void **state)
{
	struct site *site = site_create_default();
	int failures = 0;

	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const struct reject *r = &rejects[i];
		struct mgi_builder *b = mgi_builder_create();
		struct cmp *c = cmp_create(b, site);
		struct mudf_file *f = NULL;
		struct mudf_diags d;
		char *json = NULL;
		uint32_t pol;
		long e;
		int ret;

		assert_true(
			asprintf(&json,
				 "{\"ietf-mud:mud\":{\"mud-version\":1,"
				 "\"mud-url\":\"https://example.com/x\","
				 "\"last-update\":\"2024-01-01T00:00:00Z\",\"is-supported\":true,"
				 "\"from-device-policy\":{\"access-lists\":{\"access-list\":"
				 "[{\"name\":\"a\"}]}}},"
				 "\"ietf-access-control-list:acls\":{\"acl\":[{\"name\":\"a\","
				 "\"type\":\"%s\",\"aces\":{\"ace\":[{\"name\":\"e\","
				 "\"matches\":{%s},\"actions\":{%s}}]}}]}}",
				 r->type, r->matches,
				 r->actions ? r->actions : "\"forwarding\":\"accept\"") > 0);
		assert_int_equal(mudf_diags_init(&d, r->name), 0);
		ret = mudf_parse(ctx, json, strlen(json), NULL, &f, &d);
		if (ret) {
			mudf_diags_print(&d, stderr, false);
			fail_msg("%s: the MUD file should be valid", r->name);
		}
		ret = cmp_add_policy(c, f, NULL, &pol, &d);
		e = mudf_diags_first_error(&d);
		if (ret != -EINVAL || e < 0) {
			print_error("%s: returned %d, expected -EINVAL\n", r->name, ret);
			failures++;
		} else if (strcmp(d.v[e].path, r->path) || strcmp(d.v[e].msg, r->msg)) {
			print_error("%s:\n expected %s: %s\n got      %s: %s\n", r->name, r->path,
				    r->msg, d.v[e].path, d.v[e].msg);
			failures++;
		}
		mudf_diags_fini(&d);
		mudf_file_destroy(f);
		cmp_destroy(c);
		mgi_builder_destroy(b);
		free(json);
	}
	site_destroy(site);
	assert_int_equal(failures, 0);
}

/* An abstraction the site does not resolve: legal, matches nothing, warned about. */
static void
test_empty_set_warning(void **state)
{
	struct site *site = site_create_default();
	struct mgi_builder *b = mgi_builder_create();
	struct cmp *c = cmp_create(b, site);
	const char *json = "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://e.com/x\","
			   "\"last-update\":\"2024-01-01T00:00:00Z\",\"is-supported\":true,"
			   "\"to-device-policy\":{\"access-lists\":{\"access-list\":"
			   "[{\"name\":\"a\"}]}}},"
			   "\"ietf-access-control-list:acls\":{\"acl\":[{\"name\":\"a\","
			   "\"type\":\"ipv4-acl-type\",\"aces\":{\"ace\":[{\"name\":\"e\","
			   "\"matches\":{\"ietf-mud:mud\":{\"controller\":\"urn:x:y\"}},"
			   "\"actions\":{\"forwarding\":\"accept\"}}]}}]}}";
	struct mudf_file *f = NULL;
	struct mudf_diags d;
	uint32_t pol;

	assert_int_equal(mudf_diags_init(&d, "x"), 0);
	assert_int_equal(mudf_parse(ctx, json, strlen(json), NULL, &f, &d), 0);
	assert_int_equal(cmp_add_policy(c, f, NULL, &pol, &d), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].severity, MUDF_WARNING);
	assert_string_equal(d.v[0].path, ACLP);
	assert_string_equal(d.v[0].msg, "warning: controller 'urn:x:y' resolves to no address in "
					"the site context: the ACE matches nothing");
	/* a second policy with the same name is refused */
	assert_int_equal(cmp_add_policy(c, f, NULL, &pol, &d), -EEXIST);
	mudf_diags_fini(&d);
	mudf_file_destroy(f);
	cmp_destroy(c);
	mgi_builder_destroy(b);
	site_destroy(site);
}

static void
test_site_errors(void **state)
{
	static const struct {
		const char *json;
		const char *path;
		const char *msg;
	} bad[] = {
		{"{\"mudgate:mudgate\":{\"site\":{\"local-networks\":{\"address\":[\"10.0.0.0/"
		 "33\"]}}}}",
		 "/mudgate:mudgate/site/local-networks/address", NULL},
		{"{\"mudgate:mudgate\":{\"site\":{\"device\":[{\"mac\":\"02:00:00:00:00:01\","
		 "\"mud-url\":\"http://a.example/x\"}]}}}",
		 "/mudgate:mudgate/site/device[mac='02:00:00:00:00:01']/mud-url", NULL},
		{"{\"mudgate:mudgate\":{\"site\":{\"profile\":[{\"state\":\"enforced\"}]}}}",
		 "/mudgate:mudgate/site/profile/mode",
		 "Mandatory node \"mode\" instance does not exist."},
		{"{\"mudgate:mudgate\":{\"site\":{\"colour\":\"red\"}}}", "/mudgate:mudgate/site",
		 "Node \"colour\" not found as a child of \"site\" node."},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct site *s = NULL;
		struct mudf_diags d;
		long e;

		assert_int_equal(mudf_diags_init(&d, "site"), 0);
		assert_int_equal(site_parse(ctx, bad[i].json, strlen(bad[i].json), &s, &d),
				 -EINVAL);
		assert_null(s);
		e = mudf_diags_first_error(&d);
		assert_true(e >= 0);
		if (strcmp(d.v[e].path, bad[i].path) ||
		    (bad[i].msg && strcmp(d.v[e].msg, bad[i].msg)))
			fail_msg("site %zu: got %s: %s", i, d.v[e].path, d.v[e].msg);
		mudf_diags_fini(&d);
	}
}

static void
test_profile_missing_policy(void **state)
{
	const char *json = "{\"mudgate:mudgate\":{\"site\":{\"profile\":[{\"state\":\"pending\","
			   "\"mode\":\"policy\",\"policy\":\"https://nowhere.example/x\"}]}}}";
	struct mgi_builder *b = mgi_builder_create();
	struct site *s = NULL;
	struct mudf_diags d;
	struct cmp *c;

	assert_int_equal(mudf_diags_init(&d, "site"), 0);
	assert_int_equal(site_parse(ctx, json, strlen(json), &s, &d), 0);
	c = cmp_create(b, s);
	assert_int_equal(cmp_finish(c, &d), -EINVAL);
	assert_int_equal(d.n_errors, 1);
	assert_string_equal(d.v[0].path, "/mudgate:mudgate/site/profile[state='pending']/policy");
	assert_string_equal(
		d.v[0].msg,
		"profile names policy 'https://nowhere.example/x', which was not compiled");
	mudf_diags_fini(&d);
	cmp_destroy(c);
	mgi_builder_destroy(b);
	site_destroy(s);
}

static void
test_parse_prefix(void **state)
{
	struct site_prefix p;

	assert_int_equal(site_parse_prefix("192.0.2.0/24", &p), 0);
	assert_int_equal(p.family, MGI_FAMILY_IPV4);
	assert_int_equal(p.plen, 24);
	assert_int_equal(site_parse_prefix("192.0.2.1", &p), 0);
	assert_int_equal(p.plen, 32);
	assert_int_equal(site_parse_prefix("2001:db8::/32", &p), 0);
	assert_int_equal(p.family, MGI_FAMILY_IPV6);
	assert_int_equal(site_parse_prefix("192.0.2.1/24", &p), -EINVAL); /* host bits */
	assert_int_equal(site_parse_prefix("192.0.2.0/33", &p), -EINVAL);
	assert_int_equal(site_parse_prefix("2001:db8::/129", &p), -EINVAL);
	assert_int_equal(site_parse_prefix("/8", &p), -EINVAL);
	assert_int_equal(site_parse_prefix("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(site_parse_prefix("10.0.0.0/8x", &p), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8520_example),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_empty_set_warning),
		cmocka_unit_test(test_site_errors),
		cmocka_unit_test(test_profile_missing_policy),
		cmocka_unit_test(test_parse_prefix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
