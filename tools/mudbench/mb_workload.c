/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mudbench workload: real corpus MUD files compiled by cmp into base policies, expanded
 * into per-policy variants, devices bound round-robin, frame sequences with the reference
 * classifier's verdicts.
 *
 * Base files: every MANIFEST.json entry of kind "mud" that is not a duplicate and that the
 * strict validator and the compiler accept (the others are lenient-only or use fields the
 * image cannot express). Scenario S6 uses tests/data/mud-corpus/P4Ward/mud_files/
 * modbus-opcua-3.json (2,000 ACEs), which the validator rejects (2 MB, over the 1 MiB cap,
 * duplicate ACE names, non-standard "controller-name", "modbus"/"opcua" matches, ACL type
 * "acl-1", and empty "ipv4": {} matches, which crash libyang's parser); mudbench rewrites it into
 * an equivalent standard MUD file: the same 8 ACLs and 2,000 ACEs in the same order with the same
 * controller, protocol and port matches, unique ACE names, ipv4/ipv6-acl-type, the non-standard
 * members removed, serialised without indentation (570 kB), then parses, validates and compiles it
 * like any other file.
 *
 * Variants: policy p is base p % n_bases under the name "<MUD URL>#<p>", followed by the ACEs
 * of bases p+1, p+2, ... until it has 20 compiled ACEs (most corpus files that compile strictly
 * are small: 2 to 12 ACEs); every dnsname set of
 * the base becomes a set of its own per variant with a distinct IPv4 and IPv6 address (what
 * the control plane would resolve); site sets (local networks, controllers) are shared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "compile/cmp.h"
#include "compile/site.h"
#include "mud/mudf.h"
#include "mudbench.h"

#define GW_MAC                                     \
	{                                          \
		0x02, 0x4d, 0x47, 0x00, 0x00, 0x01 \
	}

struct base {
	void *blob;
	size_t size;
	struct mgi_image img;
};

uint64_t
mb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double
ms_since(uint64_t t0)
{
	return (double)(mb_now_ns() - t0) / 1e6;
}

/* ---- base policies ------------------------------------------------------------------------ */

/* The P4Ward 2,000-ACE file rewritten as a standard MUD file (see the opening comment). */
static char *
p4ward_equivalent(const char *path, size_t *len)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	char *out = NULL;

	if (!root) {
		fprintf(stderr, "mudbench: %s: %s\n", path, jerr.text);
		return NULL;
	}
	json_t *mud = json_object_get(root, "ietf-mud:mud");
	json_t *acls =
		json_object_get(json_object_get(root, "ietf-access-control-list:acls"), "acl");
	if (!json_is_object(mud) || !json_is_array(acls)) {
		fprintf(stderr, "mudbench: %s: not the expected P4Ward layout\n", path);
		goto out;
	}
	json_object_del(mud, "controller-name");
	json_object_del(mud, "extensions");
	size_t i, j;
	json_t *acl, *ace;
	json_array_foreach(acls, i, acl)
	{
		json_t *aces = json_object_get(json_object_get(acl, "aces"), "ace");
		bool v6 = false;
		json_array_foreach(aces, j, ace)
		{
			char name[64];
			json_t *m = json_object_get(ace, "matches");
			json_object_del(m, "modbus");
			json_object_del(m, "opcua");
			/* an empty "ipv4": {} / "ipv6": {} crashes libyang 2.1.30's parser (mudc
			 * check segfaults on it); the ACE matches TCP, so protocol 6 is what the
			 * empty container means here */
			const char *fams[2] = {"ipv4", "ipv6"};
			for (int k = 0; k < 2; k++) {
				json_t *ipm = json_object_get(m, fams[k]);
				if (json_is_object(ipm) && !json_object_size(ipm) &&
				    json_object_get(m, "tcp"))
					json_object_set_new(ipm, "protocol", json_integer(6));
			}
			v6 |= json_object_get(m, "ipv6") != NULL;
			snprintf(name, sizeof(name), "%s-%zu",
				 json_string_value(json_object_get(ace, "name")), j);
			json_object_set_new(ace, "name", json_string(name));
		}
		json_object_set_new(acl, "type",
				    json_string(v6 ? "ipv6-acl-type" : "ipv4-acl-type"));
	}
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (out)
		*len = strlen(out);
out:
	json_decref(root);
	return out;
}

static int
compile_one(struct mudf_ctx *ctx, const struct site *site, const char *label, const char *text,
	    size_t len, const char *path, struct base *out, double *parse_ms, double *cmp_ms)
{
	struct mudf_opts opts = {0};
	struct mudf_file *f = NULL;
	struct mudf_diags d;
	struct mgi_builder *b = NULL;
	struct cmp *c = NULL;
	uint32_t pol;
	char err[256];
	int rc;

	if (mudf_diags_init(&d, label) < 0)
		return -ENOMEM;
	uint64_t t0 = mb_now_ns();
	rc = text ? mudf_parse(ctx, text, len, &opts, &f, &d) : mudf_load(ctx, path, &opts, &f, &d);
	*parse_ms += ms_since(t0);
	if (rc < 0)
		goto out;
	t0 = mb_now_ns();
	b = mgi_builder_create();
	c = b ? cmp_create(b, site) : NULL;
	rc = c ? cmp_add_policy(c, f, NULL, &pol, &d) : -ENOMEM;
	if (!rc)
		rc = cmp_finish(c, &d);
	if (!rc)
		rc = mgi_builder_finish(b, &out->blob, &out->size);
	*cmp_ms += ms_since(t0);
	if (!rc)
		rc = mgi_open(&out->img, out->blob, out->size, err, sizeof(err));
	if (!rc && out->img.n_aces == 0)
		rc = -ENODATA;
	if (rc < 0) {
		free(out->blob);
		out->blob = NULL;
	}
out:
	if (rc < 0 && text)
		mudf_diags_print(&d, stderr, true);
	mudf_diags_fini(&d);
	cmp_destroy(c);
	mgi_builder_destroy(b);
	mudf_file_destroy(f);
	return rc;
}

static int
load_bases(const struct mb_scenario *s, const char *src, struct mudf_ctx *ctx,
	   const struct site *site, struct base **out, uint32_t *n_out, struct mb_workload *w)
{
	char path[4096];
	struct base *v = NULL;
	uint32_t n = 0, tried = 0;
	double parse_ms = 0, cmp_ms = 0;

	if (s->big) {
		size_t len;
		snprintf(path, sizeof(path),
			 "%s/tests/data/mud-corpus/P4Ward/mud_files/modbus-opcua-3.json", src);
		char *text = p4ward_equivalent(path, &len);
		if (!text)
			return -EINVAL;
		/* through a file, exactly like any corpus file (mudf_load) */
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "/tmp/mudbench-p4ward-equivalent.%d.json",
			 (int)getpid());
		FILE *f = fopen(tmp, "w");
		bool wrote = f && fwrite(text, 1, len, f) == len;
		if (f && fclose(f) != 0)
			wrote = false;
		free(text);
		v = calloc(1, sizeof(*v));
		int rc = !wrote ? -EIO
			 : v    ? compile_one(ctx, site, tmp, NULL, 0, tmp, v, &parse_ms, &cmp_ms)
				: -ENOMEM;
		unlink(tmp);
		if (rc < 0) {
			fprintf(stderr, "mudbench: the P4Ward equivalent does not compile: %s\n",
				strerror(-rc));
			free(v);
			return rc;
		}
		n = tried = 1;
		snprintf(w->corpus_note, sizeof(w->corpus_note),
			 "P4Ward modbus-opcua-3.json rewritten as standard MUD (%u ACEs compiled)",
			 v->img.n_aces);
	} else {
		json_error_t jerr;
		snprintf(path, sizeof(path), "%s/tests/data/mud-corpus/MANIFEST.json", src);
		json_t *m = json_load_file(path, 0, &jerr);
		size_t i;
		json_t *e;
		if (!json_is_array(m)) {
			fprintf(stderr, "mudbench: %s: %s\n", path, m ? "not an array" : jerr.text);
			json_decref(m);
			return -EINVAL;
		}
		v = calloc(json_array_size(m), sizeof(*v));
		if (!v) {
			json_decref(m);
			return -ENOMEM;
		}
		json_array_foreach(m, i, e)
		{
			const char *kind = json_string_value(json_object_get(e, "kind"));
			const char *dest = json_string_value(json_object_get(e, "dest"));
			if (!kind || strcmp(kind, "mud") || !dest ||
			    !json_is_true(json_object_get(e, "copied")) ||
			    !json_is_null(json_object_get(e, "dup_of")))
				continue;
			snprintf(path, sizeof(path), "%s/tests/data/mud-corpus/%s", src, dest);
			tried++;
			if (compile_one(ctx, site, dest, NULL, 0, path, &v[n], &parse_ms,
					&cmp_ms) == 0)
				n++;
		}
		json_decref(m);
		snprintf(w->corpus_note, sizeof(w->corpus_note),
			 "%u of %u corpus MUD files compile strictly", n, tried);
	}
	if (!n) {
		free(v);
		return -ENOENT;
	}
	w->parse_ms = parse_ms;
	w->compile_ms = cmp_ms;
	w->n_bases = n;
	*out = v;
	*n_out = n;
	return 0;
}

/* ---- the expanded image -------------------------------------------------------------------- */

static void
dev_mac(uint32_t d, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x4d;
	mac[2] = 0x42;
	mac[3] = (uint8_t)(d >> 16);
	mac[4] = (uint8_t)(d >> 8);
	mac[5] = (uint8_t)d;
}

static void
dev_ip(uint32_t d, uint8_t family, uint8_t ip[16])
{
	memset(ip, 0, 16);
	uint32_t h = d + 1;
	if (family == MGI_FAMILY_IPV4) {
		ip[0] = 10;
		ip[1] = (uint8_t)(128 + (h >> 16));
		ip[2] = (uint8_t)(h >> 8);
		ip[3] = (uint8_t)h;
	} else {
		ip[0] = 0xfd;
		ip[11] = 1;
		ip[13] = (uint8_t)(h >> 16);
		ip[14] = (uint8_t)(h >> 8);
		ip[15] = (uint8_t)h;
	}
}

#define PROBE_POLICY       0
#define MB_ACES_PER_POLICY 20 /* compiled ACEs: small corpus files are concatenated */

static int
build_image(struct base *bases, uint32_t n_bases, uint32_t n_pol, uint32_t n_dev, bool probe_ace,
	    const uint8_t probe_mac[6], void **blob, size_t *size)
{
	struct mgi_builder *b = mgi_builder_create();
	uint32_t max_sets = 0;
	int rc = -ENOMEM;

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < n_bases; i++)
		max_sets = bases[i].img.n_sets > max_sets ? bases[i].img.n_sets : max_sets;
	int64_t *map = calloc(max_sets + 1, sizeof(*map));
	size_t filled_cap = 1024;
	bool *filled = calloc(filled_cap, 1);
	if (!map || !filled)
		goto out;

	for (uint32_t p = 0; p < n_pol; p++) {
		const struct base *ba = &bases[p % n_bases];
		/* the first file names the policy; the others follow it (see below) */
		const struct mgi_image *im = &ba->img;
		const struct mgi_policy *po = &im->policies[0];
		char name[MGI_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%.240s#%u", mgi_str(im, po->mud_url), p);
		int64_t pi = mgi_builder_add_policy(b, name, mgi_str(im, po->mud_url));
		if (pi < 0) {
			rc = (int)pi;
			goto out;
		}
		if (probe_ace && p == PROBE_POLICY) {
			struct mgi_ace a = {
				.family = MGI_FAMILY_IPV4,
				.action = MG_ACT_ACCEPT,
				.match = MGI_M_PROTO | MGI_M_DPORT,
				.proto = 17,
				.dport_lo = 5000,
				.dport_hi = 5000,
				.dst_kind = MGI_PEER_PREFIX,
				.dst_plen = 32,
				.dst_addr = {198, 51, 100, 1},
			};
			a.acl_name = (uint32_t)mgi_builder_str(b, "mudbench-update");
			a.ace_name = (uint32_t)mgi_builder_str(b, "probe");
			rc = mgi_builder_add_ace(b, (uint32_t)pi, MG_DIR_FROM_DEVICE, &a);
			if (rc < 0)
				goto out;
		}
		/* corpus files p, p+1, ... until the policy has MB_ACES_PER_POLICY ACEs */
		uint32_t n_aces = 0;
		for (uint32_t j = 0; j < n_bases && n_aces < MB_ACES_PER_POLICY; j++) {
			ba = &bases[(p + j) % n_bases];
			im = &ba->img;
			po = &im->policies[0];
			n_aces += po->n_from + po->n_to;
			/* sets this policy refers to */
			for (uint32_t si = 0; si < im->n_sets; si++) {
				const struct mgi_set *st = &im->sets[si];
				char sname[MGI_NAME_MAX + 1];
				bool dns = st->kind == MGI_SET_DNSNAME;
				if (dns)
					snprintf(sname, sizeof(sname), "v%u.%.220s", p,
						 mgi_str(im, st->name));
				else
					snprintf(sname, sizeof(sname), "%s", mgi_str(im, st->name));
				int64_t ns = mgi_builder_set(b, st->kind, sname);
				if (ns < 0) {
					rc = (int)ns;
					goto out;
				}
				map[si] = ns;
				if ((size_t)ns >= filled_cap) {
					size_t nc = filled_cap * 2 > (size_t)ns + 1
							    ? filled_cap * 2
							    : (size_t)ns + 1;
					bool *nf = realloc(filled, nc);
					if (!nf)
						goto out;
					memset(nf + filled_cap, 0, nc - filled_cap);
					filled = nf;
					filled_cap = nc;
				}
				if (filled[ns])
					continue;
				filled[ns] = true;
				if (dns) {
					/* what the control plane would have resolved: one v4, one
					 * v6 */
					uint32_t h = p * 64 + si + 1;
					struct mgi_prefix a4 = {.family = 4, .plen = 32};
					struct mgi_prefix a6 = {.family = 6, .plen = 128};
					a4.addr[0] = 198;
					a4.addr[1] = (uint8_t)(18 + ((h >> 16) & 1));
					a4.addr[2] = (uint8_t)(h >> 8);
					a4.addr[3] = (uint8_t)h;
					a6.addr[0] = 0x20;
					a6.addr[1] = 0x01;
					a6.addr[2] = 0x0d;
					a6.addr[3] = 0xb8;
					a6.addr[12] = (uint8_t)(h >> 24);
					a6.addr[13] = (uint8_t)(h >> 16);
					a6.addr[14] = (uint8_t)(h >> 8);
					a6.addr[15] = (uint8_t)h;
					rc = mgi_builder_set_add(b, (uint32_t)ns, &a4);
					if (!rc)
						rc = mgi_builder_set_add(b, (uint32_t)ns, &a6);
				} else {
					rc = 0;
					for (uint32_t k = 0; k < st->n && !rc; k++)
						rc = mgi_builder_set_add(
							b, (uint32_t)ns,
							&im->prefixes[st->first + k]);
				}
				if (rc < 0)
					goto out;
			}
			for (uint32_t k = 0; k < po->n_from + po->n_to; k++) {
				struct mgi_ace a = im->aces[po->first_ace + k];
				int64_t an = mgi_builder_str(b, mgi_str(im, a.acl_name));
				int64_t en = mgi_builder_str(b, mgi_str(im, a.ace_name));
				if (an < 0 || en < 0) {
					rc = -ENOMEM;
					goto out;
				}
				a.acl_name = (uint32_t)an;
				a.ace_name = (uint32_t)en;
				if (a.src_kind == MGI_PEER_SET)
					a.src_set = (uint32_t)map[a.src_set];
				if (a.dst_kind == MGI_PEER_SET)
					a.dst_set = (uint32_t)map[a.dst_set];
				rc = mgi_builder_add_ace(
					b, (uint32_t)pi,
					k < po->n_from ? MG_DIR_FROM_DEVICE : MG_DIR_TO_DEVICE, &a);
				if (rc < 0)
					goto out;
			}
		}
	}
	for (uint32_t d = 0; d < n_dev; d++) {
		uint8_t mac[6];
		dev_mac(d, mac);
		rc = mgi_builder_add_device(b, mac, d % n_pol, MG_STATE_ENFORCED);
		if (rc < 0)
			goto out;
	}
	rc = mgi_builder_add_device(b, probe_mac, PROBE_POLICY, MG_STATE_ENFORCED);
	/* profiles and allowances: the site's, as compiled into the first base */
	const struct mgi_image *i0 = &bases[0].img;
	for (uint32_t st = 0; st < MG_STATE_COUNT && !rc; st++)
		rc = mgi_builder_set_profile(b, st, i0->profiles[st].mode,
					     i0->profiles[st].mode == MGI_PROFILE_POLICY
						     ? i0->profiles[st].policy
						     : MGI_NO_POLICY);
	if (!rc) {
		uint32_t rs = i0->allowances->resolver_set;
		if (rs != MGI_NO_POLICY) {
			const struct mgi_set *st = &i0->sets[rs];
			int64_t ns = mgi_builder_set(b, st->kind, mgi_str(i0, st->name));
			rs = ns < 0 ? MGI_NO_POLICY : (uint32_t)ns;
		}
		rc = mgi_builder_set_allowances(b, i0->allowances->flags, rs);
	}
	if (!rc)
		rc = mgi_builder_finish(b, blob, size);
	if (rc < 0)
		fprintf(stderr, "mudbench: image: %s\n", mgi_builder_error(b));
out:
	free(map);
	free(filled);
	mgi_builder_destroy(b);
	return rc;
}

/* ---- frames -------------------------------------------------------------------------------- */

static uint16_t
csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct tuple {
	uint8_t family, proto, flags, icmp_type, icmp_code;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

/* Writes an Ethernet/IP/L4 frame of at least `want` bytes (padded) into a new buffer. */
static uint8_t *
make_frame(const uint8_t smac[6], const uint8_t dmac[6], const struct tuple *t, uint16_t want,
	   uint16_t *len_out)
{
	uint16_t l4 = t->proto == 6 ? 20 : t->proto == 17 ? 8 : 8;
	uint16_t l3 = t->family == MGI_FAMILY_IPV4 ? 20 : 40;
	uint16_t len = (uint16_t)(14 + l3 + l4);
	if (len < want)
		len = want;
	uint8_t *f = calloc(1, len);
	if (!f)
		return NULL;
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	uint8_t *ip = f + 14, *l = f + 14 + l3;
	if (t->family == MGI_FAMILY_IPV4) {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (uint8_t)((len - 14) >> 8);
		ip[3] = (uint8_t)(len - 14);
		ip[8] = 64;
		ip[9] = t->proto;
		memcpy(ip + 12, t->src, 4);
		memcpy(ip + 16, t->dst, 4);
		uint16_t c = csum16(ip, 20);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)((len - 54) >> 8);
		ip[5] = (uint8_t)(len - 54);
		ip[6] = t->proto;
		ip[7] = 64;
		memcpy(ip + 8, t->src, 16);
		memcpy(ip + 24, t->dst, 16);
	}
	if (t->proto == 6 || t->proto == 17) {
		l[0] = (uint8_t)(t->sport >> 8);
		l[1] = (uint8_t)t->sport;
		l[2] = (uint8_t)(t->dport >> 8);
		l[3] = (uint8_t)t->dport;
		if (t->proto == 6) {
			l[12] = 0x50;
			l[13] = t->flags;
			l[14] = 0xff;
			l[15] = 0xff;
		} else {
			uint16_t ul = (uint16_t)(len - 14 - l3);
			l[4] = (uint8_t)(ul >> 8);
			l[5] = (uint8_t)ul;
		}
	} else {
		l[0] = t->icmp_type;
		l[1] = t->icmp_code;
	}
	*len_out = len;
	return f;
}

static bool
pick_peer(const struct mgi_image *im, uint8_t kind, uint32_t set, const uint8_t *addr, uint8_t plen,
	  uint8_t family, uint32_t salt, uint8_t out[16])
{
	unsigned int bits = family == MGI_FAMILY_IPV4 ? 32 : 128;
	memset(out, 0, 16);
	if (kind == MGI_PEER_ANY) {
		if (family == MGI_FAMILY_IPV4) {
			out[0] = 100;
			out[1] = 64;
			out[2] = (uint8_t)(salt >> 8);
			out[3] = (uint8_t)(salt | 1);
		} else {
			out[0] = 0x20;
			out[1] = 0x01;
			out[2] = 0x0d;
			out[3] = 0xb8;
			out[4] = 0xff;
			out[14] = (uint8_t)(salt >> 8);
			out[15] = (uint8_t)(salt | 1);
		}
		return true;
	}
	if (kind == MGI_PEER_SET) {
		const struct mgi_set *st = &im->sets[set];
		for (uint32_t k = 0; k < st->n; k++) {
			const struct mgi_prefix *px = &im->prefixes[st->first + k];
			if (px->family != family)
				continue;
			memcpy(out, px->addr, 16);
			if (px->plen < bits)
				out[bits / 8 - 1] |= 1;
			return true;
		}
		return false;
	}
	memcpy(out, addr, 16);
	if (plen < bits)
		out[bits / 8 - 1] |= 1;
	return true;
}

static uint16_t
pick_port(uint32_t match, uint32_t m, uint32_t neq, uint16_t lo, uint16_t hi, uint16_t dflt)
{
	if (!(match & m))
		return dflt;
	if (match & neq)
		return lo > 0 ? (uint16_t)(lo - 1) : (uint16_t)(hi + 1);
	return lo;
}

/* The tuple of a frame matching ACE a of device d in direction dir; false when a is unusable. */
static bool
tuple_of(const struct mgi_image *im, const struct mgi_ace *a, unsigned int dir, uint32_t d,
	 struct tuple *t)
{
	uint8_t devip[16], peer[16];
	if (a->family != MGI_FAMILY_IPV4 && a->family != MGI_FAMILY_IPV6)
		return false;
	memset(t, 0, sizeof(*t));
	t->family = a->family;
	t->proto = (a->match & MGI_M_PROTO) ? a->proto : 17;
	uint8_t icmp = a->family == MGI_FAMILY_IPV4 ? 1 : 58;
	if (t->proto != 6 && t->proto != 17 && t->proto != icmp)
		return false;
	dev_ip(d, a->family, devip);
	bool ok = dir == MG_DIR_FROM_DEVICE ? pick_peer(im, a->dst_kind, a->dst_set, a->dst_addr,
							a->dst_plen, a->family, d, peer)
					    : pick_peer(im, a->src_kind, a->src_set, a->src_addr,
							a->src_plen, a->family, d, peer);
	if (!ok)
		return false;
	memcpy(t->src, dir == MG_DIR_FROM_DEVICE ? devip : peer, 16);
	memcpy(t->dst, dir == MG_DIR_FROM_DEVICE ? peer : devip, 16);
	uint16_t eph = (uint16_t)(32768 + d % 28000);
	t->sport = pick_port(a->match, MGI_M_SPORT, MGI_M_SPORT_NEQ, a->sport_lo, a->sport_hi,
			     dir == MG_DIR_FROM_DEVICE ? eph : 443);
	t->dport = pick_port(a->match, MGI_M_DPORT, MGI_M_DPORT_NEQ, a->dport_lo, a->dport_hi,
			     dir == MG_DIR_FROM_DEVICE ? 443 : eph);
	t->flags = (a->match & MGI_M_TCP_FLAGS) ? a->tcp_flags_value : 0x18;
	t->icmp_type = (a->match & MGI_M_ICMP_TYPE) ? a->icmp_type : 8;
	t->icmp_code = (a->match & MGI_M_ICMP_CODE) ? a->icmp_code : 0;
	return true;
}

static bool
ref_deny(const struct mgi_image *im, const uint8_t *f, uint16_t len, struct mg_flows *fl)
{
	struct mg_pkt p;
	struct mg_result r;
	mg_pkt_parse(&p, f, len);
	mg_classify_frame(im, &p, fl, &r);
	return r.verdict != MG_ALLOW;
}

static uint16_t
frame_size(const struct mb_scenario *s, uint32_t i)
{
	if (!s->imix)
		return 60; /* 64 B on the wire with the FCS */
	uint32_t k = i % 12;
	return k < 7 ? 60 : k < 11 ? 590 : 1514;
}

/* Per policy and direction: accept ACEs usable for traffic (IPv4 first when 64 B frames). */
struct cands {
	uint32_t *v;
	uint32_t n;
	uint32_t dirinit; /* a forward direction-initiated TCP ACE (from-device), or UINT32_MAX */
};

static int
policy_cands(const struct mgi_image *im, uint32_t p, unsigned int dir, bool v4_only,
	     struct cands *c)
{
	const struct mgi_policy *po = &im->policies[p];
	uint32_t first = po->first_ace + (dir ? po->n_from : 0), n = dir ? po->n_to : po->n_from;
	c->v = malloc(sizeof(uint32_t) * (n ? n : 1));
	c->n = 0;
	c->dirinit = UINT32_MAX;
	if (!c->v)
		return -ENOMEM;
	for (int pass = 0; pass < 2 && !c->n; pass++)
		for (uint32_t k = 0; k < n; k++) {
			const struct mgi_ace *a = &im->aces[first + k];
			struct tuple t;
			if (a->action != MG_ACT_ACCEPT || (pass == 0 && v4_only && a->family != 4))
				continue;
			if (!tuple_of(im, a, dir, 0, &t))
				continue;
			if ((a->match & MGI_M_DIR_INIT) && a->dir_init != dir)
				continue; /* reverse: needs a flow */
			c->v[c->n++] = first + k;
			if (!dir && (a->match & MGI_M_DIR_INIT) && t.proto == 6 &&
			    !(a->match & MGI_M_TCP_FLAGS) && c->dirinit == UINT32_MAX &&
			    a->family == MGI_FAMILY_IPV4)
				c->dirinit = first + k;
		}
	return 0;
}

static int
add_frame(struct mb_frame *fr, const uint8_t smac[6], const uint8_t dmac[6], const struct tuple *t,
	  uint16_t want)
{
	fr->data = make_frame(smac, dmac, t, want, &fr->len);
	return fr->data ? 0 : -ENOMEM;
}

int
mb_workload_build(const struct mb_scenario *s, const char *src, uint32_t seq_len,
		  struct mb_workload *w)
{
	char err[512], path[4096];
	struct mudf_ctx *ctx = NULL;
	struct site *site = NULL;
	struct base *bases = NULL;
	struct cands *cand[2] = {NULL, NULL};
	struct mg_flows *flows = NULL;
	uint32_t n_bases = 0, *flow_dev = NULL;
	struct tuple *flow_t = NULL;
	int rc;
	static const uint8_t gw[6] = GW_MAC;

	memset(w, 0, sizeof(*w));
	w->probe_mac[0] = 0x02;
	w->probe_mac[1] = 0x4d;
	w->probe_mac[2] = 0x50;
	w->probe_mac[5] = 0x01;
	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "mudbench: %s\n", err);
		return -EINVAL;
	}
	{
		struct mudf_diags d;
		snprintf(path, sizeof(path), "%s/tools/mudbench/site.json", src);
		mudf_diags_init(&d, path);
		rc = site_load(ctx, path, &site, &d);
		mudf_diags_print(&d, stderr, true);
		mudf_diags_fini(&d);
		if (rc < 0)
			goto out;
	}
	rc = load_bases(s, src, ctx, site, &bases, &n_bases, w);
	if (rc < 0)
		goto out;

	uint64_t t0 = mb_now_ns();
	rc = build_image(bases, n_bases, s->n_policies, s->n_devices, false, w->probe_mac, &w->blob,
			 &w->size);
	w->expand_ms = ms_since(t0);
	if (!rc && s->updates)
		rc = build_image(bases, n_bases, s->n_policies, s->n_devices, true, w->probe_mac,
				 &w->blob_b, &w->size_b);
	if (!rc)
		rc = mgi_open(&w->img, w->blob, w->size, err, sizeof(err));
	if (rc < 0)
		goto out;
	w->n_policies = w->img.n_policies;
	w->n_aces = w->img.n_aces;
	w->n_devices = s->n_devices;

	/* candidates per policy */
	for (unsigned int dir = 0; dir < 2; dir++) {
		cand[dir] = calloc(w->n_policies, sizeof(struct cands));
		if (!cand[dir]) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t p = 0; p < w->n_policies; p++)
			if ((rc = policy_cands(&w->img, p, dir, !s->imix, &cand[dir][p])) < 0)
				goto out;
	}

	/* TCP flows (S3): devices whose policy has a from-device direction-initiated TCP ACE */
	flows = mg_flows_create();
	if (!flows) {
		rc = -ENOMEM;
		goto out;
	}
	if (s->tcp_pct) {
		uint32_t max = s->n_devices < 16384 ? s->n_devices : 16384;
		flow_dev = calloc(max, sizeof(*flow_dev));
		flow_t = calloc(max, sizeof(*flow_t));
		for (uint32_t k = 0; k < 3; k++)
			w->hs[k] = calloc(max, sizeof(struct mb_frame));
		if (!flow_dev || !flow_t || !w->hs[0] || !w->hs[1] || !w->hs[2]) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t d = 0; d < s->n_devices && w->n_flows < max; d++) {
			uint32_t p = d % w->n_policies;
			if (cand[0][p].dirinit == UINT32_MAX)
				continue;
			struct tuple t;
			tuple_of(&w->img, &w->img.aces[cand[0][p].dirinit], 0, d, &t);
			uint8_t mac[6];
			dev_mac(d, mac);
			struct tuple r = t;
			memcpy(r.src, t.dst, 16);
			memcpy(r.dst, t.src, 16);
			r.sport = t.dport;
			r.dport = t.sport;
			uint32_t f = w->n_flows;
			t.flags = 0x02;
			rc = add_frame(&w->hs[0][f], mac, gw, &t, 60);
			r.flags = 0x12;
			rc = rc ? rc : add_frame(&w->hs[1][f], gw, mac, &r, 60);
			t.flags = 0x10;
			rc = rc ? rc : add_frame(&w->hs[2][f], mac, gw, &t, 60);
			if (rc < 0)
				goto out;
			/* the handshake must pass the reference; else the device has no flow */
			bool ok = !ref_deny(&w->img, w->hs[0][f].data, w->hs[0][f].len, flows) &&
				  !ref_deny(&w->img, w->hs[1][f].data, w->hs[1][f].len, flows) &&
				  !ref_deny(&w->img, w->hs[2][f].data, w->hs[2][f].len, flows);
			if (!ok) {
				for (int k = 0; k < 3; k++)
					free(w->hs[k][f].data);
				continue;
			}
			t.flags = r.flags = 0x18;
			flow_dev[f] = d;
			flow_t[f] = t;
			w->n_flows++;
		}
	}

	/* the sequences */
	for (unsigned int dir = 0; dir < 2; dir++) {
		w->seq[dir] = calloc(seq_len, sizeof(struct mb_frame));
		if (!w->seq[dir]) {
			rc = -ENOMEM;
			goto out;
		}
		uint32_t fi = 0;
		for (uint32_t i = 0; i < seq_len; i++) {
			struct mb_frame *fr = &w->seq[dir][i];
			uint16_t want = frame_size(s, i);
			struct tuple t;
			uint8_t mac[6];
			if (s->updates && dir == 0 && i % 64 == 5) {
				memset(&t, 0, sizeof(t));
				t.family = 4;
				t.proto = 17;
				dev_ip(UINT32_MAX - 1, 4, t.src);
				t.dst[0] = 198;
				t.dst[1] = 51;
				t.dst[2] = 100;
				t.dst[3] = 1;
				t.sport = 40000;
				t.dport = 5000;
				if ((rc = add_frame(fr, w->probe_mac, gw, &t, want)) < 0)
					goto out;
				fr->probe = true;
				if (!ref_deny(&w->img, fr->data, fr->len, NULL)) {
					fprintf(stderr,
						"mudbench: the update probe is allowed by "
						"policy %u before the update\n",
						PROBE_POLICY);
					rc = -EINVAL;
					goto out;
				}
				continue;
			}
			if (w->n_flows && (i * 37 % 100) < s->tcp_pct) {
				uint32_t f = fi++ % w->n_flows;
				struct tuple x = flow_t[f];
				dev_mac(flow_dev[f], mac);
				if (dir) {
					memcpy(x.src, flow_t[f].dst, 16);
					memcpy(x.dst, flow_t[f].src, 16);
					x.sport = flow_t[f].dport;
					x.dport = flow_t[f].sport;
				}
				rc = add_frame(fr, dir ? gw : mac, dir ? mac : gw, &x, want);
				if (rc < 0)
					goto out;
				w->n_tcp_frames++;
			} else {
				uint32_t d =
					(uint32_t)(((uint64_t)i * 7919 + dir * 13) % s->n_devices);
				uint32_t p = d % w->n_policies;
				const struct cands *c = &cand[dir][p];
				dev_mac(d, mac);
				if (i % 4 == 3 || !c->n) {
					memset(&t, 0, sizeof(t));
					t.family = 4;
					t.proto = 17;
					dev_ip(d, 4, dir ? t.dst : t.src);
					uint8_t *o = dir ? t.src : t.dst;
					o[0] = 203;
					o[2] = 113;
					o[3] = (uint8_t)(d % 254 + 1);
					t.sport = dir ? 9 : 40000;
					t.dport = dir ? 40000 : 9;
				} else {
					tuple_of(&w->img, &w->img.aces[c->v[(d * 31 + i) % c->n]],
						 dir, d, &t);
				}
				rc = add_frame(fr, dir ? gw : mac, dir ? mac : gw, &t, want);
				if (rc < 0)
					goto out;
			}
			fr->deny = ref_deny(&w->img, fr->data, fr->len, flows);
		}
		w->n_seq[dir] = seq_len;
	}
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "mudbench: workload %s: %s\n", s->name, strerror(-rc));
	for (unsigned int dir = 0; dir < 2; dir++) {
		for (uint32_t p = 0; cand[dir] && p < w->n_policies; p++)
			free(cand[dir][p].v);
		free(cand[dir]);
	}
	mg_flows_destroy(flows);
	free(flow_dev);
	free(flow_t);
	for (uint32_t i = 0; i < n_bases; i++)
		free(bases[i].blob);
	free(bases);
	site_destroy(site);
	mudf_ctx_destroy(ctx);
	return rc;
}

void
mb_workload_free(struct mb_workload *w)
{
	for (unsigned int dir = 0; dir < 2; dir++) {
		for (uint32_t i = 0; w->seq[dir] && i < w->n_seq[dir]; i++)
			free(w->seq[dir][i].data);
		free(w->seq[dir]);
	}
	for (unsigned int k = 0; k < 3; k++) {
		for (uint32_t i = 0; w->hs[k] && i < w->n_flows; i++)
			free(w->hs[k][i].data);
		free(w->hs[k]);
	}
	free(w->blob);
	free(w->blob_b);
	memset(w, 0, sizeof(*w));
}
