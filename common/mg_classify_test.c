/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference classifier: frames written byte by byte in the test, verdicts worked out by hand
 * from docs/policy-image.md "Semantics" against the policy below.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mg_classify.h"

/* Devices. */
static const uint8_t DEV_A[6] = {2, 0, 0, 0, 0, 0x0a}; /* enforced, policy p */
static const uint8_t DEV_Q[6] = {2, 0, 0, 0, 0, 0x0b}; /* quarantined: allowances only */
static const uint8_t DEV_D[6] = {2, 0, 0, 0, 0, 0x0c}; /* decommissioned: deny all */
static const uint8_t DEV_N[6] = {2, 0, 0, 0, 0, 0x0d}; /* enforced without a policy */
static const uint8_t DEV_U[6] = {2, 0, 0, 0, 0, 0x0e}; /* updating: profile policy p-upd */
static const uint8_t DEV_P[6] = {2, 0, 0, 0, 0, 0x0f}; /* pending: profile allow-all */
static const uint8_t REMOTE[6] = {0, 0x11, 0x22, 0x33, 0x44, 0x55}; /* not a device */
static const uint8_t ROUTER[6] = {0, 0x11, 0x22, 0x33, 0x44, 0x66}; /* not a device */

static void *g_blob;
static struct mgi_image g_img;

/* ---- the policy ------------------------------------------------------------------------ */

enum {
	ACE_UDP_CTL = 0, /* from: v4 udp dst in set ctl, dport 5683 -> accept */
	ACE_TCP_NEQ = 1, /* from: v4 tcp dport NOT in 1..1023 -> drop */
	ACE_HTTP = 2,    /* from: v4 tcp dst 198.51.100.0/24 sport 1024..65535 dport 80 -> accept */
	ACE_SSH_SYN = 3, /* from: v4 tcp dport 22 flags SYN without ACK -> accept */
	ACE_PING = 4,    /* from: v4 icmp 8/0 -> accept */
	ACE_HTTPS_INIT = 5,   /* from: v6 tcp dport 443 direction-initiated from-device -> accept */
	ACE_UDP_NET = 6,      /* from: v4 udp dst 203.0.113.0/24 -> accept */
	ACE_LLDP = 7,         /* from: eth 0x88cc -> accept */
	ACE_SSH_REPLY = 8,    /* from: v6 tcp sport 22 direction-initiated to-device -> accept */
	ACE_LL_SRC = 9,       /* from: v6 udp src fe80::/10 dport 9999 -> accept */
	ACE_HTTPS_REPLY = 10, /* to: v6 tcp sport 443 direction-initiated from-device -> accept */
	ACE_SSH_IN = 11,      /* to: v6 tcp dport 22 direction-initiated to-device -> accept */
	ACE_CTL_REPLY = 12,   /* to: v4 udp src in set ctl sport 5683 -> accept */
	ACE_TO_REJECT = 13,   /* to: v4 anything -> reject */
	ACE_UPD_ALL = 14,     /* p-upd from: v4 anything -> accept */
};

static void
addr(uint8_t out[16], const char *s)
{
	memset(out, 0, 16);
	if (strchr(s, ':'))
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
	else
		assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static struct mgi_ace
mk(struct mgi_builder *b, const char *acl, const char *name, uint8_t family, uint8_t action)
{
	struct mgi_ace a;

	memset(&a, 0, sizeof(a));
	a.acl_name = (uint32_t)mgi_builder_str(b, acl);
	a.ace_name = (uint32_t)mgi_builder_str(b, name);
	a.family = family;
	a.action = action;
	return a;
}

static void
proto(struct mgi_ace *a, uint8_t p)
{
	a->match |= MGI_M_PROTO;
	a->proto = p;
}

static void
dport(struct mgi_ace *a, uint16_t lo, uint16_t hi)
{
	a->match |= MGI_M_DPORT;
	a->dport_lo = lo;
	a->dport_hi = hi;
}

static void
sport(struct mgi_ace *a, uint16_t lo, uint16_t hi)
{
	a->match |= MGI_M_SPORT;
	a->sport_lo = lo;
	a->sport_hi = hi;
}

static void
add_pfx(struct mgi_builder *b, uint32_t set, const char *s, uint8_t plen)
{
	struct mgi_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = strchr(s, ':') ? 6 : 4;
	p.plen = plen;
	addr(p.addr, s);
	assert_int_equal(mgi_builder_set_add(b, set, &p), 0);
}

static int
setup(void **state)
{
	struct mgi_builder *b = mgi_builder_create();
	struct mgi_ace a;
	size_t size;
	char why[256];
	uint32_t ctl, res;
	int64_t p, pu;

	p = mgi_builder_add_policy(b, "p", "https://example.com/p.json");
	pu = mgi_builder_add_policy(b, "p-upd", "https://example.com/p-upd.json");
	ctl = (uint32_t)mgi_builder_set(b, MGI_SET_CONTROLLER, "urn:ctl");
	res = (uint32_t)mgi_builder_set(b, MGI_SET_LOCAL_NETWORKS, "resolvers");
	add_pfx(b, ctl, "10.1.0.0", 16);
	add_pfx(b, ctl, "2001:db8:1::", 48);
	add_pfx(b, res, "192.0.2.53", 32);
	add_pfx(b, res, "2001:db8:53::53", 128);

	a = mk(b, "from", "udp-ctl", 4, MG_ACT_ACCEPT);
	proto(&a, 17);
	a.dst_kind = MGI_PEER_SET;
	a.dst_set = ctl;
	dport(&a, 5683, 5683);
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "tcp-neq", 4, MG_ACT_DROP);
	proto(&a, 6);
	dport(&a, 1, 1023);
	a.match |= MGI_M_DPORT_NEQ;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "http", 4, MG_ACT_ACCEPT);
	proto(&a, 6);
	a.dst_kind = MGI_PEER_PREFIX;
	a.dst_plen = 24;
	addr(a.dst_addr, "198.51.100.0");
	sport(&a, 1024, 65535);
	dport(&a, 80, 80);
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "ssh-syn", 4, MG_ACT_ACCEPT);
	proto(&a, 6);
	dport(&a, 22, 22);
	a.match |= MGI_M_TCP_FLAGS;
	a.tcp_flags_mask = 0x12;
	a.tcp_flags_value = 0x02;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "ping", 4, MG_ACT_ACCEPT);
	proto(&a, 1);
	a.match |= MGI_M_ICMP_TYPE | MGI_M_ICMP_CODE;
	a.icmp_type = 8;
	a.icmp_code = 0;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "https-init", 6, MG_ACT_ACCEPT);
	proto(&a, 6);
	dport(&a, 443, 443);
	a.match |= MGI_M_DIR_INIT;
	a.dir_init = MG_DIR_FROM_DEVICE;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "udp-net", 4, MG_ACT_ACCEPT);
	proto(&a, 17);
	a.dst_kind = MGI_PEER_PREFIX;
	a.dst_plen = 24;
	addr(a.dst_addr, "203.0.113.0");
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "lldp", 0, MG_ACT_ACCEPT);
	a.match = MGI_M_ETHERTYPE;
	a.ethertype = 0x88cc;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "ssh-reply", 6, MG_ACT_ACCEPT);
	proto(&a, 6);
	sport(&a, 22, 22);
	a.match |= MGI_M_DIR_INIT;
	a.dir_init = MG_DIR_TO_DEVICE;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	a = mk(b, "from", "ll-src", 6, MG_ACT_ACCEPT);
	proto(&a, 17);
	a.src_kind = MGI_PEER_PREFIX;
	a.src_plen = 10;
	addr(a.src_addr, "fe80::");
	dport(&a, 9999, 9999);
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_FROM_DEVICE, &a), 0);

	/* To-device. */
	a = mk(b, "to", "https-reply", 6, MG_ACT_ACCEPT);
	proto(&a, 6);
	sport(&a, 443, 443);
	a.match |= MGI_M_DIR_INIT;
	a.dir_init = MG_DIR_FROM_DEVICE;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_TO_DEVICE, &a), 0);

	a = mk(b, "to", "ssh-in", 6, MG_ACT_ACCEPT);
	proto(&a, 6);
	dport(&a, 22, 22);
	a.match |= MGI_M_DIR_INIT;
	a.dir_init = MG_DIR_TO_DEVICE;
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_TO_DEVICE, &a), 0);

	a = mk(b, "to", "ctl-reply", 4, MG_ACT_ACCEPT);
	proto(&a, 17);
	a.src_kind = MGI_PEER_SET;
	a.src_set = ctl;
	sport(&a, 5683, 5683);
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_TO_DEVICE, &a), 0);

	a = mk(b, "to", "reject-v4", 4, MG_ACT_REJECT);
	assert_int_equal(mgi_builder_add_ace(b, p, MG_DIR_TO_DEVICE, &a), 0);

	a = mk(b, "upd", "all-v4", 4, MG_ACT_ACCEPT);
	assert_int_equal(mgi_builder_add_ace(b, pu, MG_DIR_FROM_DEVICE, &a), 0);

	assert_int_equal(mgi_builder_add_device(b, DEV_A, p, MG_STATE_ENFORCED), 0);
	assert_int_equal(mgi_builder_add_device(b, DEV_Q, p, MG_STATE_QUARANTINED), 0);
	assert_int_equal(mgi_builder_add_device(b, DEV_D, p, MG_STATE_DECOMMISSIONED), 0);
	assert_int_equal(mgi_builder_add_device(b, DEV_N, MGI_NO_POLICY, MG_STATE_ENFORCED), 0);
	assert_int_equal(mgi_builder_add_device(b, DEV_U, p, MG_STATE_UPDATING), 0);
	assert_int_equal(mgi_builder_add_device(b, DEV_P, p, MG_STATE_PENDING), 0);
	assert_int_equal(mgi_builder_set_profile(b, MG_STATE_UPDATING, MGI_PROFILE_POLICY, pu), 0);
	assert_int_equal(mgi_builder_set_profile(b, MG_STATE_PENDING, MGI_PROFILE_ALLOW_ALL, 0), 0);
	assert_int_equal(
		mgi_builder_set_allowances(
			b, MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS, res),
		0);
	if (mgi_builder_finish(b, &g_blob, &size))
		fail_msg("finish: %s", mgi_builder_error(b));
	mgi_builder_destroy(b);
	if (mgi_open(&g_img, g_blob, size, why, sizeof(why)))
		fail_msg("open: %s", why);
	assert_int_equal(g_img.n_aces, 15);
	return 0;
}

static int
teardown(void **state)
{
	free(g_blob);
	return 0;
}

/* ---- frames ---------------------------------------------------------------------------- */

struct frame {
	uint8_t b[600];
	size_t n;
};

static void
put8(struct frame *f, uint8_t v)
{
	assert_true(f->n < sizeof(f->b));
	f->b[f->n++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void
putn(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
zeros(struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, 0);
}

static void
eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	f->n = 0;
	putn(f, dst, 6);
	putn(f, src, 6);
	put16(f, type);
}

/* IPv4 header, IHL 5, total length 20 + l4_len. */
static void
ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto_, uint16_t frag,
     size_t l4_len)
{
	uint8_t a[16];

	put8(f, 0x45);
	put8(f, 0);
	put16(f, (uint16_t)(20 + l4_len));
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto_);
	put16(f, 0); /* checksum: not verified */
	addr(a, src);
	putn(f, a, 4);
	addr(a, dst);
	putn(f, a, 4);
}

static void
ipv6(struct frame *f, const char *src, const char *dst, uint8_t nh, size_t payload_len)
{
	uint8_t a[16];

	put8(f, 0x60);
	put8(f, 0);
	put16(f, 0);
	put16(f, (uint16_t)payload_len);
	put8(f, nh);
	put8(f, 64);
	addr(a, src);
	putn(f, a, 16);
	addr(a, dst);
	putn(f, a, 16);
}

static void
tcp(struct frame *f, uint16_t sp, uint16_t dp, uint8_t flags)
{
	put16(f, sp);
	put16(f, dp);
	zeros(f, 8); /* seq, ack */
	put8(f, 5 << 4);
	put8(f, flags);
	put16(f, 1024);
	zeros(f, 4);
}

static void
udp(struct frame *f, uint16_t sp, uint16_t dp, size_t payload)
{
	put16(f, sp);
	put16(f, dp);
	put16(f, (uint16_t)(8 + payload));
	put16(f, 0);
	zeros(f, payload);
}

static void
icmp(struct frame *f, uint8_t type, uint8_t code)
{
	put8(f, type);
	put8(f, code);
	zeros(f, 6);
}

/* Whole frames. */
static void
v4_tcp(struct frame *f, const uint8_t *dm, const uint8_t *sm, const char *s, const char *d,
       uint16_t sp, uint16_t dp, uint8_t flags)
{
	eth(f, dm, sm, 0x0800);
	ipv4(f, s, d, 6, 0, 20);
	tcp(f, sp, dp, flags);
}

static void
v4_udp(struct frame *f, const uint8_t *dm, const uint8_t *sm, const char *s, const char *d,
       uint16_t sp, uint16_t dp)
{
	eth(f, dm, sm, 0x0800);
	ipv4(f, s, d, 17, 0, 12);
	udp(f, sp, dp, 4);
}

static void
v6_tcp(struct frame *f, const uint8_t *dm, const uint8_t *sm, const char *s, const char *d,
       uint16_t sp, uint16_t dp, uint8_t flags)
{
	eth(f, dm, sm, 0x86dd);
	ipv6(f, s, d, 6, 20);
	tcp(f, sp, dp, flags);
}

static void
v6_udp(struct frame *f, const uint8_t *dm, const uint8_t *sm, const char *s, const char *d,
       uint16_t sp, uint16_t dp)
{
	eth(f, dm, sm, 0x86dd);
	ipv6(f, s, d, 17, 12);
	udp(f, sp, dp, 4);
}

#define A4  "192.168.1.10"
#define A6  "2001:db8:a::10"
#define SYN 0x02
#define ACK 0x10

/* Classify a whole frame and check verdict, reason and (for ACE results) the ACE. */
static void
expect_frame(const struct frame *f, struct mg_flows *flows, enum mg_verdict v, enum mg_reason r,
	     uint32_t ace, int line)
{
	struct mg_pkt p;
	struct mg_result res;

	mg_pkt_parse(&p, f->b, f->n);
	mg_classify_frame(&g_img, &p, flows, &res);
	if (res.verdict != v || res.reason != r || res.ace != ace)
		fail_msg("line %d: got %s/%s ace %u, want %s/%s ace %u", line,
			 res.verdict == MG_ALLOW ? "allow" : "deny", mg_reason_str(res.reason),
			 res.ace, v == MG_ALLOW ? "allow" : "deny", mg_reason_str(r), ace);
}

#define ALLOW_ACE(f, fl, i) expect_frame(f, fl, MG_ALLOW, MG_R_ACE_ACCEPT, i, __LINE__)
#define DROP_ACE(f, fl, i)  expect_frame(f, fl, MG_DENY, MG_R_ACE_DROP, i, __LINE__)
#define DENY(f, fl, r)      expect_frame(f, fl, MG_DENY, r, MGI_NO_POLICY, __LINE__)
#define ALLOW(f, fl, r)     expect_frame(f, fl, MG_ALLOW, r, MGI_NO_POLICY, __LINE__)

/* ---- parser ---------------------------------------------------------------------------- */

static void
test_parse_fields(void **state)
{
	struct frame f;
	struct mg_pkt p;
	uint8_t a[16];

	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 80, SYN | ACK);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_memory_equal(p.src_mac, DEV_A, 6);
	assert_memory_equal(p.dst_mac, REMOTE, 6);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.n_vlans, 0);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.proto, 6);
	assert_true(p.l4);
	assert_false(p.frag);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, 0x12);
	addr(a, A4);
	assert_memory_equal(p.src_addr, a, 16);
	addr(a, "198.51.100.7");
	assert_memory_equal(p.dst_addr, a, 16);

	/* IPv4 with options (IHL 6) and Ethernet padding after the datagram. */
	eth(&f, REMOTE, DEV_A, 0x0800);
	put8(&f, 0x46);
	put8(&f, 0);
	put16(&f, 24 + 8);
	zeros(&f, 4);
	put8(&f, 64);
	put8(&f, 17);
	put16(&f, 0);
	addr(a, A4);
	putn(&f, a, 4);
	addr(a, "10.1.2.3");
	putn(&f, a, 4);
	put8(&f, 1); /* NOP options */
	put8(&f, 1);
	put8(&f, 1);
	put8(&f, 0);
	udp(&f, 1111, 2222, 0);
	zeros(&f, 10); /* padding */
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.sport, 1111);
	assert_int_equal(p.dport, 2222);

	/* ICMPv6 */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8::1", 58, 8);
	icmp(&f, 135, 0);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, 135);
	assert_int_equal(p.icmp_code, 0);

	/* ARP: family ETH, not parsed further */
	eth(&f, REMOTE, DEV_A, 0x0806);
	zeros(&f, 28);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.family, MGI_FAMILY_ETH);
	assert_int_equal(p.ethertype, 0x0806);

	/* SCTP ports */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.0.0.1", 132, 0, 12);
	put16(&f, 36412);
	put16(&f, 38412);
	zeros(&f, 8);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.sport, 36412);
	assert_int_equal(p.dport, 38412);

	/* GRE: no L4 fields, not malformed */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.0.0.1", 47, 0, 4);
	zeros(&f, 4);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.proto, 47);
	assert_true(p.l4);
	assert_int_equal(p.sport, 0);
}

static void
test_parse_vlan(void **state)
{
	struct frame f;
	struct mg_pkt p;

	eth(&f, REMOTE, DEV_A, 0x88a8);
	put16(&f, 100);
	put16(&f, 0x8100);
	put16(&f, 200);
	put16(&f, 0x0800);
	ipv4(&f, A4, "10.1.2.3", 17, 0, 8);
	udp(&f, 40000, 5683, 0);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.n_vlans, 2);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.dport, 5683);
	ALLOW_ACE(&f, NULL, ACE_UDP_CTL);

	/* Three tags: malformed. */
	eth(&f, REMOTE, DEV_A, 0x8100);
	put16(&f, 1);
	put16(&f, 0x8100);
	put16(&f, 2);
	put16(&f, 0x8100);
	put16(&f, 3);
	put16(&f, 0x0800);
	ipv4(&f, A4, "10.1.2.3", 17, 0, 8);
	udp(&f, 40000, 5683, 0);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	DENY(&f, NULL, MG_R_MALFORMED);

	/* A tag cut short. */
	eth(&f, REMOTE, DEV_A, 0x8100);
	put16(&f, 1);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);

	/* LLDP behind one tag: the innermost ethertype matches. */
	eth(&f, REMOTE, DEV_A, 0x8100);
	put16(&f, 7);
	put16(&f, 0x88cc);
	zeros(&f, 40);
	ALLOW_ACE(&f, NULL, ACE_LLDP);
}

static void
test_parse_truncated(void **state)
{
	struct frame f;
	struct mg_pkt p;
	size_t full;

	/* Runts. */
	mg_pkt_parse(&p, (const uint8_t *)"\x02\0\0\0\0\x0a", 6);
	assert_true(p.malformed);
	eth(&f, REMOTE, DEV_A, 0x0800);
	mg_pkt_parse(&p, f.b, 13);
	assert_true(p.malformed);
	assert_memory_equal(p.src_mac, DEV_A, 6); /* MACs known from 12 bytes on */
	f.n = 13;
	DENY(&f, NULL, MG_R_MALFORMED);

	/* Every truncation of a TCP/IPv4 frame inside its headers is malformed. */
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 80, SYN);
	full = f.n;
	for (size_t n = 0; n < full; n++) {
		mg_pkt_parse(&p, f.b, n);
		if (!p.malformed)
			fail_msg("TCP/IPv4 cut at %zu bytes not malformed", n);
	}
	mg_pkt_parse(&p, f.b, full);
	assert_false(p.malformed);

	/* IPv4 IHL 4, version 5, total length past the frame, total length < IHL. */
	v4_udp(&f, REMOTE, DEV_A, A4, "10.1.2.3", 1, 5683);
	f.b[14] = 0x44;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	f.b[14] = 0x55;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	f.b[14] = 0x45;
	f.b[17] = 33; /* total length 33 > 32 available */
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	f.b[17] = 19;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	/* UDP length inconsistent: 7, and 13 > 12 available. */
	v4_udp(&f, REMOTE, DEV_A, A4, "10.1.2.3", 1, 5683);
	f.b[14 + 20 + 5] = 7;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	f.b[14 + 20 + 5] = 13;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	/* TCP data offset 4 (< 20 bytes), and 6 (24 > 20 available). */
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 80, SYN);
	f.b[14 + 20 + 12] = 4 << 4;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	f.b[14 + 20 + 12] = 6 << 4;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	DENY(&f, NULL, MG_R_MALFORMED);
	/* ICMP of 3 bytes, SCTP of 11. */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.0.0.1", 1, 0, 3);
	zeros(&f, 3);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.0.0.1", 132, 0, 11);
	zeros(&f, 11);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	/* IPv6: payload length past the frame, version 4 in an IPv6 header. */
	v6_udp(&f, REMOTE, DEV_A, A6, "2001:db8::1", 1, 2);
	f.b[14 + 5] = 13;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	v6_udp(&f, REMOTE, DEV_A, A6, "2001:db8::1", 1, 2);
	f.b[14] = 0x40;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	/* The IPv4 payload bounds L4, not the frame: UDP cut by total length. */
	v4_udp(&f, REMOTE, DEV_A, A4, "10.1.2.3", 1, 5683);
	f.b[17] = 20 + 7;
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
}

/* IPv6 extension header: next header nh, 8 bytes (or 8 * (len + 1)). */
static void
ext(struct frame *f, uint8_t nh, uint8_t len8)
{
	put8(f, nh);
	put8(f, len8);
	zeros(f, 6 + 8 * (size_t)len8);
}

static void
test_parse_ipv6_ext(void **state)
{
	struct frame f;
	struct mg_pkt p;
	struct mg_flows *fl = mg_flows_create();

	/* hop-by-hop(8) -> routing(16) -> dest-opts(8) -> AH(12 + 4 = 16) -> TCP */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8:b::1", 0, 8 + 16 + 8 + 16 + 20);
	ext(&f, 43, 0);
	ext(&f, 60, 1);
	ext(&f, 51, 0);
	put8(&f, 6); /* AH: payload len 2 -> (2 + 2) * 4 = 16 bytes */
	put8(&f, 2);
	zeros(&f, 14);
	tcp(&f, 40000, 443, SYN);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.proto, 6);
	assert_true(p.l4);
	assert_false(p.frag);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, SYN);
	ALLOW_ACE(&f, fl, ACE_HTTPS_INIT);

	/* 8 extension headers are walked, a 9th is malformed. */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8:b::1", 60, 8 * 8 + 8);
	for (int i = 0; i < 7; i++)
		ext(&f, 60, 0);
	ext(&f, 17, 0);
	udp(&f, 1, 9999, 0);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 9999);
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8:b::1", 60, 9 * 8 + 8);
	for (int i = 0; i < 8; i++)
		ext(&f, 60, 0);
	ext(&f, 17, 0);
	udp(&f, 1, 9999, 0);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);
	DENY(&f, fl, MG_R_MALFORMED);

	/* Extension header longer than the payload. */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8:b::1", 0, 8);
	put8(&f, 17);
	put8(&f, 1); /* claims 16 bytes */
	zeros(&f, 6);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.malformed);

	/* Non-first fragment: proto from the fragment header, no L4. */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8:b::1", 44, 8 + 16);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, (100 << 3) | 1);
	zeros(&f, 4);
	zeros(&f, 16);
	mg_pkt_parse(&p, f.b, f.n);
	assert_false(p.malformed);
	assert_true(p.frag);
	assert_false(p.l4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.dport, 0);
	DENY(&f, fl, MG_R_DEFAULT_DENY); /* ACE 5 needs dport */

	/* First fragment (offset 0, M=1): L4 parsed. */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8:b::1", 44, 8 + 20);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 1);
	zeros(&f, 4);
	tcp(&f, 40001, 443, SYN);
	mg_pkt_parse(&p, f.b, f.n);
	assert_true(p.frag);
	assert_true(p.l4);
	assert_int_equal(p.dport, 443);
	ALLOW_ACE(&f, fl, ACE_HTTPS_INIT);

	/* Link-local source prefix (fe80::/10 contains febf::1, not fec0::1). */
	v6_udp(&f, REMOTE, DEV_A, "febf::1", "ff02::1", 5, 9999);
	ALLOW_ACE(&f, fl, ACE_LL_SRC);
	v6_udp(&f, REMOTE, DEV_A, "fec0::1", "ff02::1", 5, 9999);
	DENY(&f, fl, MG_R_DEFAULT_DENY);
	mg_flows_destroy(fl);
}

/* ---- matching -------------------------------------------------------------------------- */

static void
test_ports_and_sets(void **state)
{
	struct frame f;

	/* set member, dport range of one */
	v4_udp(&f, REMOTE, DEV_A, A4, "10.1.2.3", 40000, 5683);
	ALLOW_ACE(&f, NULL, ACE_UDP_CTL);
	v4_udp(&f, REMOTE, DEV_A, A4, "10.1.2.3", 40000, 5684);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* 10.2.0.1 is outside 10.1.0.0/16; the v6 member does not count for v4. */
	v4_udp(&f, REMOTE, DEV_A, A4, "10.2.0.1", 40000, 5683);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* NEQ: 8080 is not in 1..1023 -> ACE 1 drops */
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 8080, SYN);
	DROP_ACE(&f, NULL, ACE_TCP_NEQ);
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 0, SYN);
	DROP_ACE(&f, NULL, ACE_TCP_NEQ);
	/* 80 is in 1..1023: ACE 1 no; ACE 2 sport 40000 in 1024..65535, dst in /24 */
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 80, SYN);
	ALLOW_ACE(&f, NULL, ACE_HTTP);
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 1024, 80, ACK);
	ALLOW_ACE(&f, NULL, ACE_HTTP);
	/* sport 1023 below the range; 198.51.101.7 outside the prefix */
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 1023, 80, SYN);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.101.7", 40000, 80, SYN);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* the same ports over UDP: ACE 1/2 want TCP */
	v4_udp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 8080);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* reply to-device from the controller */
	v4_udp(&f, DEV_A, REMOTE, "10.1.200.1", A4, 5683, 40000);
	ALLOW_ACE(&f, NULL, ACE_CTL_REPLY);
	/* any other v4 to the device: reject ACE 13 */
	v4_udp(&f, DEV_A, REMOTE, "10.3.0.1", A4, 5683, 40000);
	DROP_ACE(&f, NULL, ACE_TO_REJECT);
	/* v6 to the device without a match: default deny */
	v6_udp(&f, DEV_A, REMOTE, "2001:db8::1", A6, 1, 2);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
}

static void
test_tcp_flags_icmp_ethertype(void **state)
{
	struct frame f;

	v4_tcp(&f, REMOTE, DEV_A, A4, "10.9.9.9", 40000, 22, SYN);
	ALLOW_ACE(&f, NULL, ACE_SSH_SYN);
	v4_tcp(&f, REMOTE, DEV_A, A4, "10.9.9.9", 40000, 22, SYN | 0x08); /* SYN|PSH */
	ALLOW_ACE(&f, NULL, ACE_SSH_SYN);
	v4_tcp(&f, REMOTE, DEV_A, A4, "10.9.9.9", 40000, 22, SYN | ACK);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	v4_tcp(&f, REMOTE, DEV_A, A4, "10.9.9.9", 40000, 22, ACK);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);

	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.9.9.9", 1, 0, 8);
	icmp(&f, 8, 0);
	ALLOW_ACE(&f, NULL, ACE_PING);
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.9.9.9", 1, 0, 8);
	icmp(&f, 8, 1);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.9.9.9", 1, 0, 8);
	icmp(&f, 0, 0);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* ICMPv6 echo: the ping ACE is IPv4 */
	eth(&f, REMOTE, DEV_A, 0x86dd);
	ipv6(&f, A6, "2001:db8::1", 58, 8);
	icmp(&f, 128, 0);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);

	eth(&f, REMOTE, DEV_A, 0x88cc);
	zeros(&f, 46);
	ALLOW_ACE(&f, NULL, ACE_LLDP);
	eth(&f, REMOTE, DEV_A, 0x88cd);
	zeros(&f, 46);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
}

static void
test_fragments(void **state)
{
	struct frame f;

	/* First fragment (MF, offset 0) of UDP to 203.0.113.5: L4 parsed, ACE 6 */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "203.0.113.5", 17, 0x2000, 16);
	udp(&f, 1, 7, 100); /* UDP length 108 > 16: fine in a fragment */
	f.n = 14 + 20 + 16;
	ALLOW_ACE(&f, NULL, ACE_UDP_NET);
	/* Non-first fragment to the controller: ACE 0 needs dport -> no; default deny */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "10.1.2.3", 17, 100, 16);
	zeros(&f, 16);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* Non-first fragment to 203.0.113.5: ACE 6 has no port fields -> accept */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "203.0.113.5", 17, 0x2000 | 100, 16);
	zeros(&f, 16);
	ALLOW_ACE(&f, NULL, ACE_UDP_NET);
	/* Non-first TCP fragment: NEQ ACE 1 needs a port -> no match either */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "198.51.100.7", 6, 100, 16);
	zeros(&f, 16);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* A first fragment too short for its TCP header is malformed */
	eth(&f, REMOTE, DEV_A, 0x0800);
	ipv4(&f, A4, "198.51.100.7", 6, 0x2000, 8);
	zeros(&f, 8);
	DENY(&f, NULL, MG_R_MALFORMED);
}

static void
test_direction_initiated(void **state)
{
	struct mg_flows *fl = mg_flows_create();
	struct frame f;
	struct mg_pkt p;
	struct mg_result r;

	/* An unsolicited reply from port 443: no flow -> default deny */
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::1", A6, 443, 40000, SYN | ACK);
	DENY(&f, fl, MG_R_DEFAULT_DENY);
	/* The device opens the flow (SYN accepted by ACE 5, dir_init == from) */
	v6_tcp(&f, REMOTE, DEV_A, A6, "2001:db8:b::1", 40000, 443, SYN);
	ALLOW_ACE(&f, fl, ACE_HTTPS_INIT);
	/* the reply now matches ACE 10 */
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::1", A6, 443, 40000, SYN | ACK);
	ALLOW_ACE(&f, fl, ACE_HTTPS_REPLY);
	/* another port, another peer: no flow */
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::1", A6, 443, 40001, ACK);
	DENY(&f, fl, MG_R_DEFAULT_DENY);
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::2", A6, 443, 40000, ACK);
	DENY(&f, fl, MG_R_DEFAULT_DENY);
	/* without a flow table the reverse direction never matches */
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::1", A6, 443, 40000, ACK);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* from-device data packets of the flow (no SYN) still match ACE 5 */
	v6_tcp(&f, REMOTE, DEV_A, A6, "2001:db8:b::1", 40000, 443, ACK);
	ALLOW_ACE(&f, fl, ACE_HTTPS_INIT);
	/* a SYN|ACK does not open a flow */
	v6_tcp(&f, REMOTE, DEV_A, A6, "2001:db8:b::1", 40002, 443, SYN | ACK);
	ALLOW_ACE(&f, fl, ACE_HTTPS_INIT);
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::1", A6, 443, 40002, ACK);
	DENY(&f, fl, MG_R_DEFAULT_DENY);

	/* The other way: a connection to the device's SSH server (ACE 11, dir_init to). */
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:c::1", A6, 50000, 22, SYN);
	ALLOW_ACE(&f, fl, ACE_SSH_IN);
	v6_tcp(&f, REMOTE, DEV_A, A6, "2001:db8:c::1", 22, 50000, SYN | ACK);
	ALLOW_ACE(&f, fl, ACE_SSH_REPLY);
	v6_tcp(&f, REMOTE, DEV_A, A6, "2001:db8:c::1", 22, 50001, SYN | ACK);
	DENY(&f, fl, MG_R_DEFAULT_DENY);

	/* The per-side API records and finds flows the same way. */
	{
		struct mg_flows *f2 = mg_flows_create();
		const struct mgi_device *a = mgi_find_device(&g_img, DEV_A);

		v6_tcp(&f, REMOTE, DEV_A, A6, "2001:db8:b::1", 40000, 443, SYN);
		mg_pkt_parse(&p, f.b, f.n);
		mg_classify(&g_img, a, MG_DIR_FROM_DEVICE, &p, f2, &r);
		assert_int_equal(r.reason, MG_R_ACE_ACCEPT);
		v6_tcp(&f, DEV_A, REMOTE, "2001:db8:b::1", A6, 443, 40000, ACK);
		mg_pkt_parse(&p, f.b, f.n);
		mg_classify(&g_img, a, MG_DIR_TO_DEVICE, &p, f2, &r);
		assert_int_equal(r.reason, MG_R_ACE_ACCEPT);
		assert_int_equal(r.ace, ACE_HTTPS_REPLY);
		mg_flows_destroy(f2);
	}

	/* Non-TCP never matches a direction-initiated ACE: UDP to port 443 over v6 */
	v6_udp(&f, REMOTE, DEV_A, A6, "2001:db8:b::1", 40000, 443);
	DENY(&f, fl, MG_R_DEFAULT_DENY);

	/* A SYN the other side denies opens no flow: DEV_A -> DEV_Q (allowances only). */
	v6_tcp(&f, DEV_Q, DEV_A, A6, "2001:db8:d::1", 40005, 443, SYN);
	DENY(&f, fl, MG_R_PROFILE_NO_POLICY);
	v6_tcp(&f, DEV_A, REMOTE, "2001:db8:d::1", A6, 443, 40005, SYN | ACK);
	DENY(&f, fl, MG_R_DEFAULT_DENY);
	mg_flows_destroy(fl);
}

static void
test_allowances(void **state)
{
	struct frame f;

	/* Quarantined device: allowances only. */
	eth(&f, ROUTER, DEV_Q, 0x0806);
	zeros(&f, 28);
	ALLOW(&f, NULL, MG_R_ALLOW_ARP);
	eth(&f, DEV_Q, ROUTER, 0x0806);
	zeros(&f, 28);
	ALLOW(&f, NULL, MG_R_ALLOW_ARP);
	for (int t = 132; t <= 138; t++) {
		eth(&f, ROUTER, DEV_Q, 0x86dd);
		ipv6(&f, "fe80::b", "ff02::2", 58, 8);
		icmp(&f, (uint8_t)t, 0);
		if (t >= 133 && t <= 137)
			ALLOW(&f, NULL, MG_R_ALLOW_ND);
		else
			DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	}
	/* DHCPv4 */
	v4_udp(&f, ROUTER, DEV_Q, "0.0.0.0", "255.255.255.255", 68, 67);
	ALLOW(&f, NULL, MG_R_ALLOW_DHCP);
	v4_udp(&f, DEV_Q, ROUTER, "192.168.1.1", "192.168.1.11", 67, 68);
	ALLOW(&f, NULL, MG_R_ALLOW_DHCP);
	v4_udp(&f, ROUTER, DEV_Q, "192.168.1.11", "192.168.1.1", 67, 68); /* wrong way */
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	v4_udp(&f, ROUTER, DEV_Q, "192.168.1.11", "192.168.1.1", 546, 547); /* v6 ports on v4 */
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	/* DHCPv6 */
	v6_udp(&f, ROUTER, DEV_Q, "fe80::b", "ff02::1:2", 546, 547);
	ALLOW(&f, NULL, MG_R_ALLOW_DHCP);
	v6_udp(&f, DEV_Q, ROUTER, "fe80::1", "fe80::b", 547, 546);
	ALLOW(&f, NULL, MG_R_ALLOW_DHCP);
	v6_udp(&f, ROUTER, DEV_Q, "fe80::b", "ff02::1:2", 68, 67);
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	/* DNS to the resolvers only, UDP and TCP, and the answers */
	v4_udp(&f, ROUTER, DEV_Q, "192.168.1.11", "192.0.2.53", 40000, 53);
	ALLOW(&f, NULL, MG_R_ALLOW_DNS);
	v4_tcp(&f, ROUTER, DEV_Q, "192.168.1.11", "192.0.2.53", 40000, 53, SYN);
	ALLOW(&f, NULL, MG_R_ALLOW_DNS);
	v4_udp(&f, ROUTER, DEV_Q, "192.168.1.11", "192.0.2.54", 40000, 53);
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	v4_udp(&f, DEV_Q, ROUTER, "192.0.2.53", "192.168.1.11", 53, 40000);
	ALLOW(&f, NULL, MG_R_ALLOW_DNS);
	v4_udp(&f, DEV_Q, ROUTER, "192.0.2.54", "192.168.1.11", 53, 40000);
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	v6_udp(&f, ROUTER, DEV_Q, "2001:db8:a::11", "2001:db8:53::53", 40000, 53);
	ALLOW(&f, NULL, MG_R_ALLOW_DNS);
	/* the answer's direction matters: sport 53 from the device is not an allowance */
	v4_udp(&f, ROUTER, DEV_Q, "192.168.1.11", "192.0.2.53", 53, 40000);
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	/* Allowances come before an enforced device's policy too: DNS of DEV_A */
	v4_udp(&f, DEV_A, ROUTER, "192.0.2.53", A4, 53, 40000);
	ALLOW(&f, NULL, MG_R_ALLOW_DNS);
}

static void
test_profiles(void **state)
{
	struct frame f;
	struct mg_pkt p;
	struct mg_result r;
	char rule[128];

	/* decommissioned: not even ARP */
	eth(&f, ROUTER, DEV_D, 0x0806);
	zeros(&f, 28);
	DENY(&f, NULL, MG_R_PROFILE_DENY_ALL);
	/* pending with allow-all: even a malformed frame */
	eth(&f, ROUTER, DEV_P, 0x0800);
	zeros(&f, 10);
	ALLOW(&f, NULL, MG_R_PROFILE_ALLOW_ALL);
	/* enforced without a policy: allowances, then deny */
	v4_udp(&f, ROUTER, DEV_N, "192.168.1.13", "10.1.2.3", 40000, 5683);
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	eth(&f, ROUTER, DEV_N, 0x0806);
	zeros(&f, 28);
	ALLOW(&f, NULL, MG_R_ALLOW_ARP);
	/* malformed frame from an enforced device: denied before the allowances */
	eth(&f, ROUTER, DEV_N, 0x0800);
	zeros(&f, 10);
	DENY(&f, NULL, MG_R_MALFORMED);
	/* updating: the profile's policy p-upd (index 1), whatever the device's own */
	v4_udp(&f, ROUTER, DEV_U, "192.168.1.14", "10.9.9.9", 1, 2);
	mg_pkt_parse(&p, f.b, f.n);
	mg_classify_frame(&g_img, &p, NULL, &r);
	assert_int_equal(r.verdict, MG_ALLOW);
	assert_int_equal(r.reason, MG_R_ACE_ACCEPT);
	assert_int_equal(r.policy, 1);
	assert_int_equal(r.ace, ACE_UPD_ALL);
	mg_result_rule(&g_img, &r, rule, sizeof(rule));
	assert_string_equal(rule, "p-upd/upd/all-v4");
	v6_udp(&f, ROUTER, DEV_U, "2001:db8::14", "2001:db8::1", 1, 2);
	mg_pkt_parse(&p, f.b, f.n);
	mg_classify_frame(&g_img, &p, NULL, &r);
	assert_int_equal(r.reason, MG_R_DEFAULT_DENY);
	assert_int_equal(r.policy, 1);
	assert_int_equal(r.ace, MGI_NO_POLICY);
	mg_result_rule(&g_img, &r, rule, sizeof(rule));
	assert_string_equal(rule, "default-deny");
}

static void
test_both_sides(void **state)
{
	struct frame f;
	struct mg_pkt p;
	struct mg_result r;
	char rule[128];

	/* No device on either side. */
	v4_udp(&f, ROUTER, REMOTE, "1.1.1.1", "2.2.2.2", 1, 2);
	ALLOW(&f, NULL, MG_R_NOT_DEVICE);
	mg_pkt_parse(&p, f.b, f.n);
	mg_classify_frame(&g_img, &p, NULL, &r);
	assert_int_equal(r.policy, MGI_NO_POLICY);
	mg_result_rule(&g_img, &r, rule, sizeof(rule));
	assert_string_equal(rule, "not-device");
	/* DEV_A allows (ACE 0), DEV_Q's to-device denies: the deny decides. */
	v4_udp(&f, DEV_Q, DEV_A, A4, "10.1.2.3", 40000, 5683);
	DENY(&f, NULL, MG_R_PROFILE_NO_POLICY);
	/* DEV_A denies first: its result decides. */
	v4_udp(&f, DEV_P, DEV_A, A4, "10.2.0.1", 40000, 5683);
	DENY(&f, NULL, MG_R_DEFAULT_DENY);
	/* Both allow: the last allow (DEV_P's allow-all) is reported. */
	v4_udp(&f, DEV_P, DEV_A, A4, "10.1.2.3", 40000, 5683);
	ALLOW(&f, NULL, MG_R_PROFILE_ALLOW_ALL);
	/* Source allows, destination not bound: the source's result. */
	v4_udp(&f, REMOTE, DEV_A, A4, "10.1.2.3", 40000, 5683);
	mg_pkt_parse(&p, f.b, f.n);
	mg_classify_frame(&g_img, &p, NULL, &r);
	assert_int_equal(r.verdict, MG_ALLOW);
	assert_int_equal(r.policy, 0);
	assert_int_equal(r.ace, ACE_UDP_CTL);
	mg_result_rule(&g_img, &r, rule, sizeof(rule));
	assert_string_equal(rule, "p/from/udp-ctl");
	mg_result_rule(&g_img, &r, rule, 5);
	assert_string_equal(rule, "p/fr");
	/* A drop names its ACE too. */
	v4_tcp(&f, REMOTE, DEV_A, A4, "198.51.100.7", 40000, 8080, SYN);
	mg_pkt_parse(&p, f.b, f.n);
	mg_classify_frame(&g_img, &p, NULL, &r);
	mg_result_rule(&g_img, &r, rule, sizeof(rule));
	assert_string_equal(rule, "p/from/tcp-neq");
	/* Per side: DEV_A to-device alone. */
	mg_classify(&g_img, mgi_find_device(&g_img, DEV_A), MG_DIR_TO_DEVICE, &p, NULL, &r);
	assert_int_equal(r.reason, MG_R_ACE_DROP);
	assert_int_equal(r.ace, ACE_TO_REJECT);
	/* broadcast destination is no device */
	v4_udp(&f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", DEV_A, A4, "10.1.2.3", 40000, 5683);
	ALLOW_ACE(&f, NULL, ACE_UDP_CTL);
}

static void
test_reason_names(void **state)
{
	assert_string_equal(mg_reason_str(MG_R_NOT_DEVICE), "not-device");
	assert_string_equal(mg_reason_str(MG_R_ALLOW_DNS), "allow-dns");
	assert_string_equal(mg_reason_str(MG_R_COUNT_), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_vlan),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_ipv6_ext),
		cmocka_unit_test(test_ports_and_sets),
		cmocka_unit_test(test_tcp_flags_icmp_ethertype),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_direction_initiated),
		cmocka_unit_test(test_allowances),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_both_sides),
		cmocka_unit_test(test_reason_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
