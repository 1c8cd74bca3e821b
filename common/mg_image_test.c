/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy image writer and reader: CRC-32C test vector, builder -> reader round trip of every
 * field with the layout computed by hand from docs/policy-image.md, builder errors, and a
 * table of hostile images (each a mutation of the valid one, re-checksummed so it reaches the
 * rule it targets) with the exact reason expected.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mg_image.h"

/* Bitwise CRC-32C, independent of the table in mg_crc32c.c. */
static uint32_t
crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

/* Checksum as the document defines it, with the field zeroed in a copy. */
static uint32_t
doc_checksum(const uint8_t *blob, size_t size)
{
	uint8_t *copy = malloc(size);
	uint32_t c;

	assert_non_null(copy);
	memcpy(copy, blob, size);
	memset(copy + 32, 0, 4);
	c = crc_bitwise(copy, size);
	free(copy);
	return c;
}

static void
test_crc32c(void **state)
{
	const char *v = "123456789";

	assert_int_equal(mg_crc32c(0, v, 9), 0xe3069283u);
	assert_int_equal(crc_bitwise((const uint8_t *)v, 9), 0xe3069283u);
	assert_int_equal(mg_crc32c(mg_crc32c(0, v, 4), v + 4, 5), 0xe3069283u);
	assert_int_equal(mg_crc32c(0, "", 0), 0);
}

/* ---- the reference image --------------------------------------------------------------- */

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t mac3[6] = {2, 0, 0, 0, 0, 3};

static struct mgi_ace
ace_base(uint32_t acl, uint32_t name, uint8_t family, uint8_t action)
{
	struct mgi_ace a;

	memset(&a, 0, sizeof(a));
	a.acl_name = acl;
	a.ace_name = name;
	a.family = family;
	a.action = action;
	return a;
}

/*
 * Strings: "" 0, "p0" 1, url0 4, "p1" 32, url1 35, "acl-a" 63, "ace-1".."ace-5" 69 75 81 87
 * 93, "urn:c" 99, "dns.example" 105; 117 bytes.
 * Layout: strtab 192 (117) | policies 312 (2 x 24) | aces 360 (5 x 76) | sets 744 (2 x 16) |
 * prefixes 776 (3 x 20) | devices 840 (3 x 12) | profiles 880 (6 x 8) | allowances 928 (8);
 * 936 bytes.
 */
static void
build_ref(void **blob, size_t *size)
{
	struct mgi_builder *b = mgi_builder_create();
	struct mgi_prefix px;
	struct mgi_ace a;
	uint32_t acl, n[5];

	assert_non_null(b);
	assert_int_equal(mgi_builder_add_policy(b, "p0", "https://example.com/p0.json"), 0);
	assert_int_equal(mgi_builder_add_policy(b, "p1", "https://example.com/p1.json"), 1);
	acl = (uint32_t)mgi_builder_str(b, "acl-a");
	assert_int_equal(acl, 63);
	for (int i = 0; i < 5; i++) {
		char s[16];

		snprintf(s, sizeof(s), "ace-%d", i + 1);
		n[i] = (uint32_t)mgi_builder_str(b, s);
		assert_int_equal(n[i], 69 + 6 * i);
	}
	assert_int_equal(mgi_builder_str(b, "acl-a"), 63); /* interned */
	assert_int_equal(mgi_builder_str(b, ""), 0);
	assert_int_equal(mgi_builder_set(b, MGI_SET_CONTROLLER, "urn:c"), 0);
	assert_int_equal(mgi_builder_set(b, MGI_SET_DNSNAME, "dns.example"), 1);
	assert_int_equal(mgi_builder_set(b, MGI_SET_CONTROLLER, "urn:c"), 0);

	/* Policy 0 to-device first: each direction keeps its own order. */
	a = ace_base(acl, n[2], MGI_FAMILY_IPV6, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE;
	a.src_kind = MGI_PEER_PREFIX;
	a.src_plen = 32;
	memcpy(a.src_addr, "\x20\x01\x0d\xb8", 4);
	a.proto = 58;
	a.icmp_type = 128;
	assert_int_equal(mgi_builder_add_ace(b, 0, MG_DIR_TO_DEVICE, &a), 0);

	a = ace_base(acl, n[0], MGI_FAMILY_IPV4, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_DPORT;
	a.dst_kind = MGI_PEER_SET;
	a.dst_set = 0;
	a.proto = 17;
	a.dport_lo = a.dport_hi = 5683;
	assert_int_equal(mgi_builder_add_ace(b, 0, MG_DIR_FROM_DEVICE, &a), 0);

	a = ace_base(acl, n[1], MGI_FAMILY_IPV4, MG_ACT_DROP);
	a.match = MGI_M_PROTO | MGI_M_SPORT | MGI_M_SPORT_NEQ | MGI_M_DPORT;
	a.dst_kind = MGI_PEER_PREFIX;
	a.dst_plen = 24;
	memcpy(a.dst_addr, "\xc0\xa8\x01\x00", 4);
	a.proto = 6;
	a.sport_lo = 0;
	a.sport_hi = 1023;
	a.dport_lo = a.dport_hi = 80;
	assert_int_equal(mgi_builder_add_ace(b, 0, MG_DIR_FROM_DEVICE, &a), 0);

	a = ace_base(acl, n[3], MGI_FAMILY_IPV4, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_DPORT | MGI_M_TCP_FLAGS | MGI_M_DIR_INIT;
	a.proto = 6;
	a.dport_lo = a.dport_hi = 443;
	a.tcp_flags_mask = 0x12;
	a.tcp_flags_value = 0x02;
	a.dir_init = MG_DIR_FROM_DEVICE;
	assert_int_equal(mgi_builder_add_ace(b, 1, MG_DIR_FROM_DEVICE, &a), 0);

	a = ace_base(acl, n[4], MGI_FAMILY_ETH, MG_ACT_REJECT);
	a.match = MGI_M_ETHERTYPE;
	a.ethertype = 0x88cc;
	assert_int_equal(mgi_builder_add_ace(b, 1, MG_DIR_TO_DEVICE, &a), 0);

	memset(&px, 0, sizeof(px));
	px.family = MGI_FAMILY_IPV4;
	px.plen = 8;
	px.addr[0] = 10;
	assert_int_equal(mgi_builder_set_add(b, 0, &px), 0);
	memset(&px, 0, sizeof(px));
	px.family = MGI_FAMILY_IPV4;
	px.plen = 32;
	memcpy(px.addr, "\xc0\x00\x02\x01", 4);
	assert_int_equal(mgi_builder_set_add(b, 1, &px), 0);
	memset(&px, 0, sizeof(px));
	px.family = MGI_FAMILY_IPV6;
	px.plen = 32;
	memcpy(px.addr, "\x20\x01\x0d\xb8", 4);
	assert_int_equal(mgi_builder_set_add(b, 0, &px), 0);

	assert_int_equal(mgi_builder_add_device(b, mac3, 1, MG_STATE_PENDING), 0);
	assert_int_equal(mgi_builder_add_device(b, mac1, 1, MG_STATE_ENFORCED), 0);
	assert_int_equal(mgi_builder_add_device(b, mac2, MGI_NO_POLICY, MG_STATE_QUARANTINED), 0);
	assert_int_equal(mgi_builder_add_device(b, mac3, 0, MG_STATE_UPDATING), 0); /* replaces */

	assert_int_equal(mgi_builder_set_profile(b, MG_STATE_UPDATING, MGI_PROFILE_POLICY, 1), 0);
	assert_int_equal(mgi_builder_set_allowances(b, MGI_ALLOW_ARP | MGI_ALLOW_DNS, 1), 0);
	mgi_builder_set_generation(b, 42);
	assert_int_equal(mgi_builder_finish(b, blob, size), 0);
	mgi_builder_destroy(b);
}

static const uint8_t *
u8at(const void *blob, size_t off)
{
	return (const uint8_t *)blob + off;
}

static uint32_t
u32at(const void *blob, size_t off)
{
	uint32_t v;

	memcpy(&v, u8at(blob, off), 4);
	return v;
}

static void
test_round_trip(void **state)
{
	struct mgi_image img;
	char why[256];
	void *blob;
	size_t size;
	static const uint32_t sec_off[8] = {192, 312, 360, 744, 776, 840, 880, 928};
	static const uint32_t sec_esz[8] = {1, 24, 76, 16, 20, 12, 8, 8};
	static const uint32_t sec_cnt[8] = {117, 2, 5, 2, 3, 3, 6, 1};

	build_ref(&blob, &size);
	assert_int_equal((uintptr_t)blob % 8, 0);
	assert_int_equal(size, 936);
	/* Header bytes as the document lays them out. */
	assert_memory_equal(blob, "MUDGIMG\0", 8);
	assert_int_equal(u32at(blob, 8), 1);
	assert_int_equal(u32at(blob, 12), 64);
	assert_int_equal(u32at(blob, 16), 936);
	assert_int_equal(u32at(blob, 20), 8);
	assert_int_equal(u32at(blob, 24), 42);
	assert_int_equal(u32at(blob, 28), 0);
	assert_int_equal(u32at(blob, 32), doc_checksum(blob, size));
	for (int i = 0; i < 8; i++) {
		assert_int_equal(u32at(blob, 64 + 16 * i), i + 1);
		assert_int_equal(u32at(blob, 68 + 16 * i), sec_esz[i]);
		assert_int_equal(u32at(blob, 72 + 16 * i), sec_off[i]);
		assert_int_equal(u32at(blob, 76 + 16 * i), sec_cnt[i]);
	}
	/* Padding after the strtab is zero. */
	assert_memory_equal(u8at(blob, 309), "\0\0\0", 3);

	assert_int_equal(mgi_open(&img, blob, size, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(img.generation, 42);
	assert_int_equal(img.size, 936);
	assert_int_equal(img.strtab_size, 117);
	assert_int_equal(img.n_policies, 2);
	assert_string_equal(mgi_str(&img, img.policies[0].name), "p0");
	assert_string_equal(mgi_str(&img, img.policies[0].mud_url), "https://example.com/p0.json");
	assert_string_equal(mgi_str(&img, img.policies[1].name), "p1");
	assert_string_equal(mgi_str(&img, img.policies[1].mud_url), "https://example.com/p1.json");
	assert_int_equal(img.policies[0].first_ace, 0);
	assert_int_equal(img.policies[0].n_from, 2);
	assert_int_equal(img.policies[0].n_to, 1);
	assert_int_equal(img.policies[1].first_ace, 3);
	assert_int_equal(img.policies[1].n_from, 1);
	assert_int_equal(img.policies[1].n_to, 1);
	assert_int_equal(img.policies[1].flags, 0);

	assert_int_equal(img.n_aces, 5);
	/* ace 0: from-device of p0, first added from-device ACE */
	assert_string_equal(mgi_str(&img, img.aces[0].acl_name), "acl-a");
	assert_string_equal(mgi_str(&img, img.aces[0].ace_name), "ace-1");
	assert_int_equal(img.aces[0].match, MGI_M_PROTO | MGI_M_DPORT);
	assert_int_equal(img.aces[0].family, 4);
	assert_int_equal(img.aces[0].action, MG_ACT_ACCEPT);
	assert_int_equal(img.aces[0].src_kind, MGI_PEER_ANY);
	assert_int_equal(img.aces[0].dst_kind, MGI_PEER_SET);
	assert_int_equal(img.aces[0].dst_set, 0);
	assert_int_equal(img.aces[0].proto, 17);
	assert_int_equal(img.aces[0].dport_lo, 5683);
	assert_int_equal(img.aces[0].dport_hi, 5683);
	/* ace 1 */
	assert_string_equal(mgi_str(&img, img.aces[1].ace_name), "ace-2");
	assert_int_equal(img.aces[1].action, MG_ACT_DROP);
	assert_int_equal(img.aces[1].match,
			 MGI_M_PROTO | MGI_M_SPORT | MGI_M_SPORT_NEQ | MGI_M_DPORT);
	assert_int_equal(img.aces[1].dst_kind, MGI_PEER_PREFIX);
	assert_int_equal(img.aces[1].dst_plen, 24);
	assert_memory_equal(img.aces[1].dst_addr, "\xc0\xa8\x01\x00\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(img.aces[1].proto, 6);
	assert_int_equal(img.aces[1].sport_lo, 0);
	assert_int_equal(img.aces[1].sport_hi, 1023);
	assert_int_equal(img.aces[1].dport_lo, 80);
	assert_int_equal(img.aces[1].dport_hi, 80);
	/* ace 2: the to-device ACE of p0, although added first */
	assert_string_equal(mgi_str(&img, img.aces[2].ace_name), "ace-3");
	assert_int_equal(img.aces[2].family, 6);
	assert_int_equal(img.aces[2].src_kind, MGI_PEER_PREFIX);
	assert_int_equal(img.aces[2].src_plen, 32);
	assert_memory_equal(img.aces[2].src_addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(img.aces[2].proto, 58);
	assert_int_equal(img.aces[2].icmp_type, 128);
	assert_int_equal(img.aces[2].icmp_code, 0);
	assert_int_equal(img.aces[2].match, MGI_M_PROTO | MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE);
	/* ace 3 */
	assert_string_equal(mgi_str(&img, img.aces[3].ace_name), "ace-4");
	assert_int_equal(img.aces[3].tcp_flags_mask, 0x12);
	assert_int_equal(img.aces[3].tcp_flags_value, 0x02);
	assert_int_equal(img.aces[3].dir_init, MG_DIR_FROM_DEVICE);
	assert_int_equal(img.aces[3].match,
			 MGI_M_PROTO | MGI_M_DPORT | MGI_M_TCP_FLAGS | MGI_M_DIR_INIT);
	assert_int_equal(img.aces[3].dport_lo, 443);
	/* ace 4 */
	assert_string_equal(mgi_str(&img, img.aces[4].ace_name), "ace-5");
	assert_int_equal(img.aces[4].family, 0);
	assert_int_equal(img.aces[4].action, MG_ACT_REJECT);
	assert_int_equal(img.aces[4].match, MGI_M_ETHERTYPE);
	assert_int_equal(img.aces[4].ethertype, 0x88cc);

	assert_int_equal(img.n_sets, 2);
	assert_string_equal(mgi_str(&img, img.sets[0].name), "urn:c");
	assert_int_equal(img.sets[0].kind, MGI_SET_CONTROLLER);
	assert_int_equal(img.sets[0].first, 0);
	assert_int_equal(img.sets[0].n, 2);
	assert_string_equal(mgi_str(&img, img.sets[1].name), "dns.example");
	assert_int_equal(img.sets[1].kind, MGI_SET_DNSNAME);
	assert_int_equal(img.sets[1].first, 2);
	assert_int_equal(img.sets[1].n, 1);
	assert_int_equal(img.n_prefixes, 3);
	assert_int_equal(img.prefixes[0].family, 4);
	assert_int_equal(img.prefixes[0].plen, 8);
	assert_int_equal(img.prefixes[0].addr[0], 10);
	assert_int_equal(img.prefixes[1].family, 6);
	assert_int_equal(img.prefixes[1].plen, 32);
	assert_memory_equal(img.prefixes[1].addr, "\x20\x01\x0d\xb8", 4);
	assert_int_equal(img.prefixes[2].family, 4);
	assert_int_equal(img.prefixes[2].plen, 32);
	assert_memory_equal(img.prefixes[2].addr, "\xc0\x00\x02\x01", 4);

	assert_int_equal(img.n_devices, 3);
	assert_memory_equal(img.devices[0].mac, mac1, 6);
	assert_int_equal(img.devices[0].policy, 1);
	assert_int_equal(img.devices[0].state, MG_STATE_ENFORCED);
	assert_memory_equal(img.devices[1].mac, mac2, 6);
	assert_int_equal(img.devices[1].policy, MGI_NO_POLICY);
	assert_int_equal(img.devices[1].state, MG_STATE_QUARANTINED);
	assert_memory_equal(img.devices[2].mac, mac3, 6);
	assert_int_equal(img.devices[2].policy, 0);
	assert_int_equal(img.devices[2].state, MG_STATE_UPDATING);
	assert_ptr_equal(mgi_find_device(&img, mac2), &img.devices[1]);
	assert_ptr_equal(mgi_find_device(&img, mac3), &img.devices[2]);
	assert_ptr_equal(mgi_find_device(&img, mac1), &img.devices[0]);
	assert_null(mgi_find_device(&img, (const uint8_t *)"\x02\0\0\0\0\x04"));
	assert_null(mgi_find_device(&img, (const uint8_t *)"\0\0\0\0\0\0"));

	/* Default profiles, one changed. */
	assert_int_equal(img.profiles[MG_STATE_UNKNOWN].mode, MGI_PROFILE_ALLOWANCES_ONLY);
	assert_int_equal(img.profiles[MG_STATE_PENDING].mode, MGI_PROFILE_ALLOWANCES_ONLY);
	assert_int_equal(img.profiles[MG_STATE_ENFORCED].mode, MGI_PROFILE_OWN);
	assert_int_equal(img.profiles[MG_STATE_QUARANTINED].mode, MGI_PROFILE_ALLOWANCES_ONLY);
	assert_int_equal(img.profiles[MG_STATE_UPDATING].mode, MGI_PROFILE_POLICY);
	assert_int_equal(img.profiles[MG_STATE_UPDATING].policy, 1);
	assert_int_equal(img.profiles[MG_STATE_DECOMMISSIONED].mode, MGI_PROFILE_DENY_ALL);
	assert_int_equal(img.profiles[MG_STATE_ENFORCED].policy, MGI_NO_POLICY);
	assert_int_equal(img.allowances->flags, MGI_ALLOW_ARP | MGI_ALLOW_DNS);
	assert_int_equal(img.allowances->resolver_set, 1);
	free(blob);
}

static void
test_empty_builder(void **state)
{
	struct mgi_builder *b = mgi_builder_create();
	struct mgi_image img;
	char why[256];
	void *blob;
	size_t size;

	assert_int_equal(mgi_builder_finish(b, &blob, &size), 0);
	/* 192 + strtab 1 byte -> 200; the empty sections sit at 200; profiles 200..248,
	 * allowances 248..256. */
	assert_int_equal(size, 256);
	assert_int_equal(mgi_open(&img, blob, size, why, sizeof(why)), 0);
	assert_int_equal(img.n_policies + img.n_aces + img.n_sets + img.n_devices, 0);
	assert_int_equal(img.allowances->flags,
			 MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS);
	assert_int_equal(img.allowances->resolver_set, MGI_NO_POLICY);
	assert_int_equal(img.profiles[MG_STATE_DECOMMISSIONED].mode, MGI_PROFILE_DENY_ALL);
	free(blob);
	mgi_builder_destroy(b);
	mgi_builder_destroy(NULL);
}

static void
test_builder_errors(void **state)
{
	struct mgi_builder *b = mgi_builder_create();
	char longs[300];
	struct mgi_ace a;
	void *blob = NULL;
	size_t size;

	memset(longs, 'x', sizeof(longs));
	longs[256] = '\0';
	assert_int_equal(mgi_builder_str(b, longs), -E2BIG);
	longs[255] = '\0';
	assert_true(mgi_builder_str(b, longs) > 0);
	assert_int_equal(mgi_builder_add_policy(b, "p", "u"), 0);
	memset(&a, 0, sizeof(a));
	a.family = MGI_FAMILY_IPV4;
	assert_int_equal(mgi_builder_add_ace(b, 1, MG_DIR_FROM_DEVICE, &a), -EINVAL);
	assert_string_equal(mgi_builder_error(b), "policy 1 out of range (1 policies)");
	assert_int_equal(mgi_builder_add_ace(b, 0, 2, &a), -EINVAL);
	assert_int_equal(mgi_builder_add_device(b, mac1, 3, MG_STATE_ENFORCED), -EINVAL);
	assert_int_equal(mgi_builder_add_device(b, mac1, 0, MG_STATE_COUNT), -EINVAL);
	assert_int_equal(mgi_builder_set_profile(b, MG_STATE_ENFORCED, MGI_PROFILE_POLICY, 1),
			 -EINVAL);
	assert_int_equal(mgi_builder_set_allowances(b, 0x10, MGI_NO_POLICY), -EINVAL);
	assert_int_equal(mgi_builder_set_allowances(b, 0, 0), -EINVAL);
	assert_int_equal(mgi_builder_set(b, 0, "x"), -EINVAL);
	assert_int_equal(mgi_builder_set_add(b, 0, &(struct mgi_prefix){.family = 4}), -EINVAL);
	/* An invalid ACE is refused at finish with the reader's reason. */
	a.src_kind = MGI_PEER_PREFIX;
	a.src_plen = 33;
	assert_int_equal(mgi_builder_add_ace(b, 0, MG_DIR_TO_DEVICE, &a), 0);
	assert_int_equal(mgi_builder_finish(b, &blob, &size), -EINVAL);
	assert_null(blob);
	assert_string_equal(mgi_builder_error(b), "ace 0: src_plen 33 exceeds 32");
	mgi_builder_destroy(b);
}

/* ---- hostile images -------------------------------------------------------------------- */

struct mut {
	uint8_t *blob;
	size_t size;
	struct mgi_image img; /* the valid image, pointers into blob */
};

static void *
w(struct mut *m, const void *p)
{
	return (void *)p; /* the view is const; the test owns the blob */
}

#define HDR(m)        ((struct mgi_header *)(m)->blob)
#define SEC(m, i)     ((struct mgi_section *)((m)->blob + 64) + (i))
#define ACE(m, i)     ((struct mgi_ace *)w(m, &(m)->img.aces[i]))
#define POL(m, i)     ((struct mgi_policy *)w(m, &(m)->img.policies[i]))
#define DEV(m, i)     ((struct mgi_device *)w(m, &(m)->img.devices[i]))
#define SET(m, i)     ((struct mgi_set *)w(m, &(m)->img.sets[i]))
#define PFX(m, i)     ((struct mgi_prefix *)w(m, &(m)->img.prefixes[i]))
#define PROF(m, i)    ((struct mgi_profile *)w(m, &(m)->img.profiles[i]))
#define ALLOWANCES(m) ((struct mgi_allowances *)w(m, (m)->img.allowances))
#define STRTAB(m)     ((char *)w(m, (m)->img.strtab))

struct hostile {
	const char *what;
	void (*mutate)(struct mut *m);
	bool keep_checksum; /* do not re-checksum after mutating */
	int rc;
	const char *reason;
};

/* clang-format off */
static void m_trunc0(struct mut *m) { m->size = 0; }
static void m_trunc63(struct mut *m) { m->size = 63; }
static void m_trunc100(struct mut *m) { m->size = 100; }
static void m_trunc935(struct mut *m) { m->size = 935; }
static void m_trunc100_fixed(struct mut *m) { m->size = 100; HDR(m)->image_size = 100; }
static void m_trunc900_fixed(struct mut *m) { m->size = 900; HDR(m)->image_size = 900; }
static void m_magic(struct mut *m) { HDR(m)->magic[0] = 'X'; }
static void m_version(struct mut *m) { HDR(m)->version = 2; }
static void m_header_size(struct mut *m) { HDR(m)->header_size = 72; }
static void m_image_size(struct mut *m) { HDR(m)->image_size = 944; }
static void m_n_sections(struct mut *m) { HDR(m)->n_sections = 9; }
static void m_hflags(struct mut *m) { HDR(m)->flags = 1; }
static void m_reserved(struct mut *m) { HDR(m)->reserved[3] = 1; }
static void m_checksum(struct mut *m) { STRTAB(m)[1] = 'q'; }
static void m_sec_unknown(struct mut *m) { SEC(m, 2)->type = 9; }
static void m_sec_zero(struct mut *m) { SEC(m, 0)->type = 0; }
static void m_sec_dup(struct mut *m) { SEC(m, 2)->type = MGI_SEC_POLICIES; }
static void m_sec_missing(struct mut *m) { SEC(m, 7)->type = MGI_SEC_STRTAB; }
static void m_entry_size(struct mut *m) { SEC(m, 2)->entry_size = 80; }
static void m_misaligned(struct mut *m) { SEC(m, 1)->offset = 316; }
static void m_in_header(struct mut *m) { SEC(m, 0)->offset = 184; }
static void m_out_of_bounds(struct mut *m) { SEC(m, 5)->count = 100; }
static void m_offset_overflow(struct mut *m) { SEC(m, 2)->offset = 0xfffffff8u; }
static void m_count_overflow(struct mut *m) { SEC(m, 2)->count = 0x80000000u; }
static void m_overlap(struct mut *m) { SEC(m, 1)->count = 3; }
static void m_overlap_moved(struct mut *m) { SEC(m, 7)->offset = 840; }
static void m_profiles_count(struct mut *m) { SEC(m, 6)->count = 5; }
static void m_allowances_count(struct mut *m) { SEC(m, 7)->count = 0; }
static void m_strtab_empty(struct mut *m) { SEC(m, 0)->count = 0; }
static void m_strtab_nul(struct mut *m) { STRTAB(m)[116] = 'x'; }
static void m_strtab_zero(struct mut *m) { STRTAB(m)[0] = 'x'; }
static void m_str_mid(struct mut *m) { POL(m, 0)->name = 2; }
static void m_str_range(struct mut *m) { ACE(m, 1)->ace_name = 117; }
static void m_pol_url(struct mut *m) { POL(m, 1)->mud_url = 1000; }
static void m_pol_flags(struct mut *m) { POL(m, 0)->flags = 4; }
static void m_pol_range(struct mut *m) { POL(m, 1)->n_to = 1000; }
static void m_pol_range_wrap(struct mut *m) { POL(m, 1)->n_to = 0xffffffffu; }
static void m_pol_gap(struct mut *m) { POL(m, 1)->first_ace = 2; }
static void m_pol_orphan(struct mut *m) { POL(m, 1)->n_to = 0; }
static void m_pol_dup(struct mut *m) { POL(m, 1)->name = 1; }
static void m_set_kind(struct mut *m) { SET(m, 0)->kind = 0; }
static void m_set_kind8(struct mut *m) { SET(m, 1)->kind = 8; }
static void m_set_range(struct mut *m) { SET(m, 1)->n = 5; }
static void m_set_gap(struct mut *m) { SET(m, 1)->first = 1; SET(m, 1)->n = 1; }
static void m_set_orphan(struct mut *m) { SET(m, 1)->n = 0; }
static void m_set_dup(struct mut *m) { SET(m, 1)->kind = MGI_SET_CONTROLLER; SET(m, 1)->name = 99; }
static void m_pfx_plen(struct mut *m) { PFX(m, 0)->plen = 33; }
static void m_pfx_family(struct mut *m) { PFX(m, 1)->family = 5; }
static void m_pfx_host(struct mut *m) { PFX(m, 1)->addr[15] = 1; }
static void m_pfx_pad(struct mut *m) { PFX(m, 2)->pad[1] = 1; }
static void m_ace_set(struct mut *m) { ACE(m, 0)->dst_set = 40; }
static void m_ace_plen(struct mut *m) { ACE(m, 1)->dst_plen = 33; }
static void m_ace_plen6(struct mut *m) { ACE(m, 2)->src_plen = 129; }
static void m_ace_host(struct mut *m) { ACE(m, 1)->dst_addr[3] = 1; }
static void m_ace_host4(struct mut *m) { ACE(m, 1)->dst_addr[4] = 1; }
static void m_ace_lohi(struct mut *m) { ACE(m, 1)->dport_lo = 81; }
static void m_ace_slohi(struct mut *m) { ACE(m, 1)->sport_lo = 2000; }
static void m_ace_bits(struct mut *m) { ACE(m, 2)->match |= 0x400; }
static void m_ace_family(struct mut *m) { ACE(m, 0)->family = 5; }
static void m_ace_action(struct mut *m) { ACE(m, 0)->action = 3; }
static void m_ace_pad(struct mut *m) { ACE(m, 0)->pad[1] = 1; }
static void m_ace_kind(struct mut *m) { ACE(m, 0)->src_kind = 3; }
static void m_ace_eth_ip(struct mut *m) { ACE(m, 4)->match |= MGI_M_PROTO; ACE(m, 4)->proto = 6; }
static void m_ace_eth_peer(struct mut *m) { ACE(m, 4)->src_kind = MGI_PEER_SET; }
static void m_ace_ip_ethertype(struct mut *m) { ACE(m, 2)->match |= MGI_M_ETHERTYPE; }
static void m_ace_proto_nobit(struct mut *m) { ACE(m, 4)->proto = 6; }
static void m_ace_neq_nobit(struct mut *m) { ACE(m, 0)->match |= MGI_M_SPORT_NEQ; }
static void m_ace_dport_nobit(struct mut *m) { ACE(m, 2)->dport_hi = 9; }
static void m_ace_ethertype_nobit(struct mut *m) { ACE(m, 0)->ethertype = 0x0800; }
static void m_ace_dirinit(struct mut *m) { ACE(m, 3)->dir_init = 2; }
static void m_ace_dirinit_nobit(struct mut *m) { ACE(m, 0)->dir_init = 1; }
static void m_ace_flags(struct mut *m) { ACE(m, 3)->tcp_flags_value = 0x03; }
static void m_ace_flags_udp(struct mut *m) { ACE(m, 3)->proto = 17; }
static void m_ace_icmp_proto(struct mut *m) { ACE(m, 2)->proto = 1; }
static void m_ace_port_proto(struct mut *m) { ACE(m, 0)->proto = 1; }
static void m_ace_any_addr(struct mut *m) { ACE(m, 0)->src_addr[0] = 1; }
static void m_ace_set_plen(struct mut *m) { ACE(m, 0)->dst_plen = 8; }
static void m_ace_prefix_set(struct mut *m) { ACE(m, 1)->dst_set = 1; }
static void m_ace_aclname(struct mut *m) { ACE(m, 4)->acl_name = 64; }
static void m_dev_unsorted(struct mut *m)
{
	struct mgi_device t = *DEV(m, 0);
	*DEV(m, 0) = *DEV(m, 1);
	*DEV(m, 1) = t;
}
static void m_dev_dup(struct mut *m) { memcpy(DEV(m, 1)->mac, DEV(m, 0)->mac, 6); }
static void m_dev_policy(struct mut *m) { DEV(m, 0)->policy = 7; }
static void m_dev_state(struct mut *m) { DEV(m, 2)->state = 6; }
static void m_dev_pad(struct mut *m) { DEV(m, 1)->pad = 1; }
static void m_prof_mode(struct mut *m) { PROF(m, 0)->mode = 9; }
static void m_prof_policy(struct mut *m) { PROF(m, 4)->policy = 2; }
static void m_prof_stray(struct mut *m) { PROF(m, 2)->policy = 0; }
static void m_allow_flags(struct mut *m) { ALLOWANCES(m)->flags = 0x10 | 1; }
static void m_allow_set(struct mut *m) { ALLOWANCES(m)->resolver_set = 5; }
/* clang-format on */

static const struct hostile hostile[] = {
	{"truncated to 0", m_trunc0, true, -EINVAL,
	 "image truncated: 0 bytes, the header needs 64"},
	{"truncated in the header", m_trunc63, true, -EINVAL,
	 "image truncated: 63 bytes, the header needs 64"},
	{"truncated in the section table", m_trunc100, true, -EINVAL,
	 "image_size 936 does not match the blob size 100"},
	{"truncated by one byte", m_trunc935, true, -EINVAL,
	 "image_size 936 does not match the blob size 935"},
	{"truncated, image_size patched", m_trunc100_fixed, false, -EINVAL,
	 "image truncated: 100 bytes, the section table needs 192"},
	{"truncated in the sections, image_size patched", m_trunc900_fixed, false, -EINVAL,
	 "section profiles: 6 entries of 8 bytes at offset 880 end at 928, past the image size "
	 "900"},
	{"bad magic", m_magic, false, -EPROTO, "bad magic (not a mudgate policy image)"},
	{"version 2", m_version, false, -EPROTO, "unsupported version 2 (expected 1)"},
	{"header_size", m_header_size, false, -EINVAL, "header_size 72 (expected 64)"},
	{"image_size mismatch", m_image_size, false, -EINVAL,
	 "image_size 944 does not match the blob size 936"},
	{"n_sections", m_n_sections, false, -EINVAL, "n_sections 9 (expected 8)"},
	{"bad checksum", m_checksum, true, -EINVAL, NULL /* computed below */},
	{"header flags", m_hflags, false, -EINVAL, "header flags 0x1 not zero"},
	{"header reserved", m_reserved, false, -EINVAL, "header reserved bytes not zero"},
	{"unknown section type", m_sec_unknown, false, -EINVAL, "section 2: unknown type 9"},
	{"section type 0", m_sec_zero, false, -EINVAL, "section 0: unknown type 0"},
	{"duplicate section", m_sec_dup, false, -EINVAL,
	 "section 2: type 2 (policies) appears twice, aces missing"},
	{"missing section", m_sec_missing, false, -EINVAL,
	 "section 7: type 1 (strtab) appears twice, allowances missing"},
	{"wrong entry_size", m_entry_size, false, -EINVAL,
	 "section aces: entry_size 80 (expected 76)"},
	{"misaligned section", m_misaligned, false, -EINVAL,
	 "section policies: offset 316 not 8-byte aligned"},
	{"section over the header", m_in_header, false, -EINVAL,
	 "section strtab: offset 184 inside the header and section table (192 bytes)"},
	{"section out of bounds", m_out_of_bounds, false, -EINVAL,
	 "section devices: 100 entries of 12 bytes at offset 840 end at 2040, past the image "
	 "size 936"},
	{"section offset overflow", m_offset_overflow, false, -EINVAL,
	 "section aces: 5 entries of 76 bytes at offset 4294967288 end at 4294967668, past the "
	 "image size 936"},
	{"section count overflow", m_count_overflow, false, -EINVAL,
	 "section aces: 2147483648 entries of 76 bytes at offset 360 end at 163208757608, past "
	 "the image size 936"},
	{"overlapping sections", m_overlap, false, -EINVAL,
	 "sections policies (offset 312, 72 bytes) and aces (offset 360) overlap"},
	{"section moved onto another", m_overlap_moved, false, -EINVAL,
	 "sections devices (offset 840, 36 bytes) and allowances (offset 840) overlap"},
	{"profiles count", m_profiles_count, false, -EINVAL,
	 "section profiles: 5 entries (expected 6)"},
	{"allowances count", m_allowances_count, false, -EINVAL,
	 "section allowances: 0 entries (expected 1)"},
	{"empty strtab", m_strtab_empty, false, -EINVAL,
	 "strtab: empty (offset 0 must be the empty string)"},
	{"strtab without final NUL", m_strtab_nul, false, -EINVAL, "strtab: last byte is not NUL"},
	{"strtab offset 0 not empty", m_strtab_zero, false, -EINVAL,
	 "strtab: offset 0 is not the empty string"},
	{"string offset mid-string", m_str_mid, false, -EINVAL,
	 "policy 0: name offset 2 is not the start of a string"},
	{"string offset out of range", m_str_range, false, -EINVAL,
	 "ace 1: ace_name offset 117 out of range (strtab 117 bytes)"},
	{"policy url out of range", m_pol_url, false, -EINVAL,
	 "policy 1: mud_url offset 1000 out of range (strtab 117 bytes)"},
	{"policy flags", m_pol_flags, false, -EINVAL, "policy 0: flags 0x4 not zero"},
	{"policy ACE range out of bounds", m_pol_range, false, -EINVAL,
	 "policy 1: ACE range [3, 1004) out of bounds (5 ACEs)"},
	{"policy ACE range wraps u32", m_pol_range_wrap, false, -EINVAL,
	 "policy 1: ACE range [3, 4294967299) out of bounds (5 ACEs)"},
	{"policy ACE ranges overlap", m_pol_gap, false, -EINVAL,
	 "policy 1: first_ace 2 (expected 3: ranges are contiguous in policy order)"},
	{"ACEs of no policy", m_pol_orphan, false, -EINVAL, "ACEs [4, 5) belong to no policy"},
	{"duplicate policy name", m_pol_dup, false, -EINVAL,
	 "policy 1: name \"p0\" duplicates policy 0"},
	{"set kind 0", m_set_kind, false, -EINVAL, "set 0: kind 0 invalid"},
	{"set kind 8", m_set_kind8, false, -EINVAL, "set 1: kind 8 invalid"},
	{"set range out of bounds", m_set_range, false, -EINVAL,
	 "set 1: prefix range [2, 7) out of bounds (3 prefixes)"},
	{"set ranges overlap", m_set_gap, false, -EINVAL,
	 "set 1: first 1 (expected 2: ranges are contiguous in set order)"},
	{"prefixes of no set", m_set_orphan, false, -EINVAL, "prefixes [2, 3) belong to no set"},
	{"duplicate set", m_set_dup, false, -EINVAL,
	 "set 1: (controller, \"urn:c\") duplicates set 0"},
	{"prefix plen 33", m_pfx_plen, false, -EINVAL, "prefix 0: plen 33 exceeds 32"},
	{"prefix family", m_pfx_family, false, -EINVAL, "prefix 1: family 5 invalid (4 or 6)"},
	{"prefix host bits", m_pfx_host, false, -EINVAL, "prefix 1: address bits set past plen 32"},
	{"prefix pad", m_pfx_pad, false, -EINVAL, "prefix 2: pad not zero"},
	{"ace set index out of range", m_ace_set, false, -EINVAL,
	 "ace 0: dst_set 40 out of range (2 sets)"},
	{"ace plen 33 on IPv4", m_ace_plen, false, -EINVAL, "ace 1: dst_plen 33 exceeds 32"},
	{"ace plen 129 on IPv6", m_ace_plen6, false, -EINVAL, "ace 2: src_plen 129 exceeds 128"},
	{"ace host bits set", m_ace_host, false, -EINVAL, "ace 1: dst_addr bits set past plen 24"},
	{"ace IPv4 tail bytes", m_ace_host4, false, -EINVAL,
	 "ace 1: dst_addr bits set past plen 24"},
	{"ace dport lo > hi", m_ace_lohi, false, -EINVAL, "ace 1: dport_lo 81 > dport_hi 80"},
	{"ace sport lo > hi", m_ace_slohi, false, -EINVAL, "ace 1: sport_lo 2000 > sport_hi 1023"},
	{"ace unknown match bits", m_ace_bits, false, -EINVAL, "ace 2: unknown match bits 0x400"},
	{"ace family", m_ace_family, false, -EINVAL, "ace 0: family 5 invalid (0, 4 or 6)"},
	{"ace action", m_ace_action, false, -EINVAL, "ace 0: action 3 invalid"},
	{"ace pad", m_ace_pad, false, -EINVAL, "ace 0: pad not zero"},
	{"ace peer kind", m_ace_kind, false, -EINVAL, "ace 0: src_kind 3 invalid"},
	{"IP fields on an ethernet ACE", m_ace_eth_ip, false, -EINVAL,
	 "ace 4: IP match bits 0x1 on an ethernet (family 0) ACE"},
	{"peer set on an ethernet ACE", m_ace_eth_peer, false, -EINVAL,
	 "ace 4: src set on an ethernet ACE"},
	{"ETHERTYPE on an IP ACE", m_ace_ip_ethertype, false, -EINVAL,
	 "ace 2: ETHERTYPE match on a family 6 ACE"},
	{"proto without its bit", m_ace_proto_nobit, false, -EINVAL,
	 "ace 4: proto 6 without PROTO match"},
	{"NEQ without SPORT", m_ace_neq_nobit, false, -EINVAL,
	 "ace 0: source port fields without SPORT match"},
	{"dport without its bit", m_ace_dport_nobit, false, -EINVAL,
	 "ace 2: destination port fields without DPORT match"},
	{"ethertype without its bit", m_ace_ethertype_nobit, false, -EINVAL,
	 "ace 0: ethertype 0x0800 without ETHERTYPE match"},
	{"dir_init 2", m_ace_dirinit, false, -EINVAL, "ace 3: dir_init 2 invalid"},
	{"dir_init without its bit", m_ace_dirinit_nobit, false, -EINVAL,
	 "ace 0: dir_init 1 without DIR_INIT match"},
	{"tcp flags value outside mask", m_ace_flags, false, -EINVAL,
	 "ace 3: tcp_flags_value 0x03 outside tcp_flags_mask 0x12"},
	{"tcp flags on UDP", m_ace_flags_udp, false, -EINVAL,
	 "ace 3: TCP_FLAGS or DIR_INIT match needs PROTO 6"},
	{"ICMPv4 proto on an IPv6 ICMP ACE", m_ace_icmp_proto, false, -EINVAL,
	 "ace 2: ICMP match needs PROTO 58 on family 6"},
	{"ports on ICMP", m_ace_port_proto, false, -EINVAL,
	 "ace 0: port match with proto 1 (not 6, 17, 33 or 132)"},
	{"address on an any peer", m_ace_any_addr, false, -EINVAL,
	 "ace 0: src_kind any with src_set, src_plen or src_addr set"},
	{"plen on a set peer", m_ace_set_plen, false, -EINVAL,
	 "ace 0: dst_kind set with dst_plen or dst_addr set"},
	{"set index on a prefix peer", m_ace_prefix_set, false, -EINVAL,
	 "ace 1: dst_set 1 with dst_kind prefix"},
	{"acl name mid-string", m_ace_aclname, false, -EINVAL,
	 "ace 4: acl_name offset 64 is not the start of a string"},
	{"unsorted devices", m_dev_unsorted, false, -EINVAL,
	 "device 1 (02:00:00:00:00:01): not sorted after device 0 (02:00:00:00:00:02)"},
	{"duplicate MAC", m_dev_dup, false, -EINVAL, "device 1 (02:00:00:00:00:01): duplicate MAC"},
	{"device policy out of range", m_dev_policy, false, -EINVAL,
	 "device 0 (02:00:00:00:00:01): policy 7 out of range (2 policies)"},
	{"unknown state", m_dev_state, false, -EINVAL,
	 "device 2 (02:00:00:00:00:03): state 6 invalid"},
	{"device pad", m_dev_pad, false, -EINVAL, "device 1 (02:00:00:00:00:02): pad not zero"},
	{"profile mode", m_prof_mode, false, -EINVAL, "profile 0 (unknown): mode 9 invalid"},
	{"profile policy out of range", m_prof_policy, false, -EINVAL,
	 "profile 4 (updating): policy 2 out of range (2 policies)"},
	{"profile policy with own mode", m_prof_stray, false, -EINVAL,
	 "profile 2 (enforced): policy 0 with mode own-policy (must be 0xffffffff)"},
	{"allowance flags", m_allow_flags, false, -EINVAL, "allowances: unknown flags 0x10"},
	{"resolver set out of range", m_allow_set, false, -EINVAL,
	 "allowances: resolver_set 5 out of range (2 sets)"},
};

static void
test_hostile(void **state)
{
	void *ref;
	size_t ref_size;
	char why[256], want[256];

	build_ref(&ref, &ref_size);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *h = &hostile[i];
		struct mgi_image out;
		struct mut m;
		int rc;

		m.blob = aligned_alloc(8, ref_size);
		assert_non_null(m.blob);
		memcpy(m.blob, ref, ref_size);
		m.size = ref_size;
		assert_int_equal(mgi_open(&m.img, m.blob, m.size, why, sizeof(why)), 0);
		h->mutate(&m);
		if (!h->keep_checksum)
			HDR(&m)->checksum = doc_checksum(m.blob, m.size);
		if (h->reason) {
			snprintf(want, sizeof(want), "%s", h->reason);
		} else {
			snprintf(want, sizeof(want),
				 "checksum 0x%08x does not match the computed 0x%08x",
				 HDR(&m)->checksum, doc_checksum(m.blob, m.size));
		}
		memset(why, 0, sizeof(why));
		rc = mgi_open(&out, m.blob, m.size, why, sizeof(why));
		if (rc != h->rc || strcmp(why, want))
			fail_msg("case \"%s\": got %d \"%s\", want %d \"%s\"", h->what, rc, why,
				 h->rc, want);
		free(m.blob);
	}
	free(ref);
}

static void
test_long_string(void **state)
{
	struct mgi_builder *b = mgi_builder_create();
	char s[201];
	struct mgi_image img;
	char why[256];
	void *blob;
	size_t size;

	memset(s, 'a', 200);
	s[200] = '\0';
	assert_int_equal(mgi_builder_str(b, s), 1);
	s[0] = 'b';
	assert_int_equal(mgi_builder_str(b, s), 202);
	assert_int_equal(mgi_builder_finish(b, &blob, &size), 0);
	assert_int_equal(mgi_open(&img, blob, size, why, sizeof(why)), 0);
	((uint8_t *)blob)[192 + 201] = 'c'; /* join the two strings: 401 bytes */
	((struct mgi_header *)blob)->checksum = doc_checksum(blob, size);
	assert_int_equal(mgi_open(&img, blob, size, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "strtab: string at offset 1 is 401 bytes (max 255)");
	free(blob);
	mgi_builder_destroy(b);
}

static void
test_alignment_and_size(void **state)
{
	void *ref;
	size_t size;
	uint8_t *buf;
	struct mgi_image img;
	char why[256];
	char tiny[4];

	build_ref(&ref, &size);
	buf = aligned_alloc(8, size + 8);
	memcpy(buf + 4, ref, size);
	assert_int_equal(mgi_open(&img, buf + 4, size, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "image buffer not 8-byte aligned");
	/* Oversized: refused before a byte is read. */
	assert_int_equal(mgi_open(&img, ref, (size_t)MGI_MAX_SIZE + 1, why, sizeof(why)), -E2BIG);
	assert_string_equal(why, "image size 268435457 exceeds the maximum 268435456");
	assert_int_equal(mgi_open(&img, NULL, 0, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "no image");
	/* A short errbuf truncates, NULL errbuf is allowed. */
	assert_int_equal(mgi_open(&img, ref, 10, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "ima");
	assert_int_equal(mgi_open(&img, ref, 10, NULL, 0), -EINVAL);
	free(buf);
	free(ref);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/mg_image_test.XXXXXX";
	int fd = mkstemp(path);
	size_t size = 0;
	void *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	p = mg_read_file(path, 1024, &size);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 8, 0);
	assert_int_equal(size, 5);
	assert_memory_equal(p, "hello", 5);
	free(p);
	errno = 0;
	assert_null(mg_read_file(path, 4, &size));
	assert_int_equal(errno, EFBIG);
	unlink(path);
	assert_null(mg_read_file(path, 1024, &size));
	assert_int_equal(errno, ENOENT);
	assert_null(mg_read_file("/tmp", 1024, &size));
	assert_int_equal(errno, EISDIR);
}

static void
test_names(void **state)
{
	assert_string_equal(mg_state_str(MG_STATE_QUARANTINED), "quarantined");
	assert_string_equal(mg_state_str(6), "?");
	assert_string_equal(mg_action_str(MG_ACT_REJECT), "reject");
	assert_string_equal(mgi_profile_mode_str(MGI_PROFILE_ALLOWANCES_ONLY), "allowances-only");
	assert_string_equal(mgi_set_kind_str(MGI_SET_DNSNAME), "dnsname");
	assert_string_equal(mgi_set_kind_str(0), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_builder),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_long_string),
		cmocka_unit_test(test_alignment_and_size),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
