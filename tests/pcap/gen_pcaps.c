/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_pcaps OUTDIR: writes the replay scenarios of tests/pcap: for each scenario NAME a policy
 * image NAME.img built with the mgi_builder API and a capture NAME.pcap (Ethernet), plus
 * raw.pcap (link type RAW, which mudc replay refuses) and bad.img (a truncated image).
 * The frames of each capture are listed, with the verdict expected, in replay_test.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mg_image.h"

static const char *out_dir;

#define CHECK(x)                                                                                  \
	do {                                                                                      \
		if ((x) < 0) {                                                                    \
			fprintf(stderr, "gen_pcaps: %s:%d: %s failed\n", __FILE__, __LINE__, #x); \
			exit(1);                                                                  \
		}                                                                                 \
	} while (0)

/* ---- frames ---------------------------------------------------------------------------- */

struct frame {
	uint8_t b[512];
	size_t n;
};

static void
put8(struct frame *f, uint8_t v)
{
	if (f->n >= sizeof(f->b)) {
		fprintf(stderr, "gen_pcaps: frame too long\n");
		exit(1);
	}
	f->b[f->n++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void
zeros(struct frame *f, size_t n)
{
	while (n--)
		put8(f, 0);
}

static void
put_addr(struct frame *f, const char *s)
{
	uint8_t a[16];
	int v6 = strchr(s, ':') != NULL;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, a) != 1) {
		fprintf(stderr, "gen_pcaps: bad address %s\n", s);
		exit(1);
	}
	for (int i = 0; i < (v6 ? 16 : 4); i++)
		put8(f, a[i]);
}

static void
eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	f->n = 0;
	for (int i = 0; i < 6; i++)
		put8(f, dst[i]);
	for (int i = 0; i < 6; i++)
		put8(f, src[i]);
	put16(f, type);
}

static void
ipv4(struct frame *f, const char *s, const char *d, uint8_t proto, uint16_t frag, size_t l4)
{
	put8(f, 0x45);
	put8(f, 0);
	put16(f, (uint16_t)(20 + l4));
	put16(f, 1);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put_addr(f, s);
	put_addr(f, d);
}

static void
ipv6(struct frame *f, const char *s, const char *d, uint8_t nh, size_t payload)
{
	put8(f, 0x60);
	zeros(f, 3);
	put16(f, (uint16_t)payload);
	put8(f, nh);
	put8(f, 64);
	put_addr(f, s);
	put_addr(f, d);
}

static void
tcp(struct frame *f, uint16_t sp, uint16_t dp, uint8_t flags)
{
	put16(f, sp);
	put16(f, dp);
	zeros(f, 8);
	put8(f, 0x50);
	put8(f, flags);
	put16(f, 8192);
	zeros(f, 4);
}

static void
udp(struct frame *f, uint16_t sp, uint16_t dp)
{
	put16(f, sp);
	put16(f, dp);
	put16(f, 12);
	put16(f, 0);
	zeros(f, 4);
}

static void
icmp(struct frame *f, uint8_t type)
{
	put8(f, type);
	zeros(f, 7);
}

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
	udp(f, sp, dp);
}

static void
v6_udp(struct frame *f, const uint8_t *dm, const uint8_t *sm, const char *s, const char *d,
       uint16_t sp, uint16_t dp)
{
	eth(f, dm, sm, 0x86dd);
	ipv6(f, s, d, 17, 12);
	udp(f, sp, dp);
}

/* ---- files ----------------------------------------------------------------------------- */

struct capture {
	pcap_t *pc;
	pcap_dumper_t *d;
	unsigned int n;
};

static void
cap_open(struct capture *c, const char *name, int linktype)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	c->pc = pcap_open_dead(linktype, 65535);
	c->d = c->pc ? pcap_dump_open(c->pc, path) : NULL;
	if (!c->d) {
		fprintf(stderr, "gen_pcaps: %s: %s\n", path, c->pc ? pcap_geterr(c->pc) : "?");
		exit(1);
	}
	c->n = 0;
}

static void
cap_add(struct capture *c, const struct frame *f)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = 1700000000 + c->n;
	h.caplen = h.len = (bpf_u_int32)f->n;
	pcap_dump((u_char *)c->d, &h, f->b);
	c->n++;
}

static void
cap_close(struct capture *c)
{
	pcap_dump_close(c->d);
	pcap_close(c->pc);
}

static void
write_file(const char *name, const void *p, size_t size)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "gen_pcaps: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
finish(struct mgi_builder *b, const char *name, size_t cut)
{
	void *blob;
	size_t size;

	if (mgi_builder_finish(b, &blob, &size)) {
		fprintf(stderr, "gen_pcaps: %s: %s\n", name, mgi_builder_error(b));
		exit(1);
	}
	write_file(name, blob, cut ? cut : size);
	free(blob);
	mgi_builder_destroy(b);
}

static struct mgi_ace
ace(struct mgi_builder *b, const char *acl, const char *name, uint8_t family, uint8_t action)
{
	struct mgi_ace a;
	int64_t an = mgi_builder_str(b, acl), nn = mgi_builder_str(b, name);

	CHECK(an);
	CHECK(nn);
	memset(&a, 0, sizeof(a));
	a.acl_name = (uint32_t)an;
	a.ace_name = (uint32_t)nn;
	a.family = family;
	a.action = action;
	return a;
}

static void
host(uint8_t out[16], const char *s)
{
	memset(out, 0, 16);
	if (inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, out) != 1)
		exit(1);
}

static void
add_pfx(struct mgi_builder *b, uint32_t set, const char *s, uint8_t plen)
{
	struct mgi_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = strchr(s, ':') ? 6 : 4;
	p.plen = plen;
	host(p.addr, s);
	CHECK(mgi_builder_set_add(b, set, &p));
}

/* ---- scenario "basic": IPv4 thermostat ------------------------------------------------- */

static const uint8_t THERMO[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t QUAR[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t ROUTER[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x01};
static const uint8_t OTHER[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x02};

static void
gen_basic(void)
{
	struct mgi_builder *b = mgi_builder_create();
	struct capture c;
	struct frame f;
	struct mgi_ace a;
	int64_t p, res;

	if (!b)
		exit(1);
	p = mgi_builder_add_policy(b, "thermo", "https://example.com/thermo.json");
	CHECK(p);
	res = mgi_builder_set(b, MGI_SET_LOCAL_NETWORKS, "resolvers");
	CHECK(res);
	add_pfx(b, (uint32_t)res, "192.0.2.53", 32);

	a = ace(b, "out", "cloud-https", 4, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_DPORT | MGI_M_DIR_INIT;
	a.proto = 6;
	a.dst_kind = MGI_PEER_PREFIX;
	a.dst_plen = 32;
	host(a.dst_addr, "203.0.113.10");
	a.dport_lo = a.dport_hi = 443;
	a.dir_init = MG_DIR_FROM_DEVICE;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_FROM_DEVICE, &a));
	a = ace(b, "out", "ntp", 4, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_DPORT;
	a.proto = 17;
	a.dport_lo = a.dport_hi = 123;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_FROM_DEVICE, &a));
	a = ace(b, "out", "block-telnet", 4, MG_ACT_DROP);
	a.match = MGI_M_PROTO | MGI_M_DPORT;
	a.proto = 6;
	a.dport_lo = a.dport_hi = 23;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_FROM_DEVICE, &a));
	a = ace(b, "in", "https-reply", 4, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_SPORT | MGI_M_DIR_INIT;
	a.proto = 6;
	a.src_kind = MGI_PEER_PREFIX;
	a.src_plen = 32;
	host(a.src_addr, "203.0.113.10");
	a.sport_lo = a.sport_hi = 443;
	a.dir_init = MG_DIR_FROM_DEVICE;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_TO_DEVICE, &a));
	a = ace(b, "in", "ping", 4, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_ICMP_TYPE;
	a.proto = 1;
	a.icmp_type = 8;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_TO_DEVICE, &a));

	CHECK(mgi_builder_add_device(b, QUAR, (uint32_t)p, MG_STATE_QUARANTINED));
	CHECK(mgi_builder_add_device(b, THERMO, (uint32_t)p, MG_STATE_ENFORCED));
	CHECK(mgi_builder_set_allowances(
		b, MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS, (uint32_t)res));
	finish(b, "basic.img", 0);

	cap_open(&c, "basic.pcap", DLT_EN10MB);
	/* 0 */ v4_tcp(&f, ROUTER, THERMO, "192.168.1.20", "203.0.113.10", 40000, 443, 0x02);
	cap_add(&c, &f);
	/* 1 */ v4_tcp(&f, THERMO, ROUTER, "203.0.113.10", "192.168.1.20", 443, 40000, 0x12);
	cap_add(&c, &f);
	/* 2 */ v4_tcp(&f, ROUTER, THERMO, "192.168.1.20", "203.0.113.10", 40000, 443, 0x10);
	cap_add(&c, &f);
	/* 3 */ v4_tcp(&f, THERMO, ROUTER, "203.0.113.10", "192.168.1.20", 443, 40001, 0x10);
	cap_add(&c, &f);
	/* 4 */ v4_udp(&f, ROUTER, THERMO, "192.168.1.20", "8.8.8.8", 50000, 123);
	cap_add(&c, &f);
	/* 5 */ v4_tcp(&f, ROUTER, THERMO, "192.168.1.20", "1.2.3.4", 40002, 23, 0x02);
	cap_add(&c, &f);
	/* 6 */ v4_tcp(&f, ROUTER, THERMO, "192.168.1.20", "1.2.3.4", 40003, 25, 0x02);
	cap_add(&c, &f);
	/* 7 */ eth(&f, THERMO, ROUTER, 0x0800);
	ipv4(&f, "192.168.1.1", "192.168.1.20", 1, 0, 8);
	icmp(&f, 8);
	cap_add(&c, &f);
	/* 8 */ eth(&f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", THERMO, 0x0806);
	zeros(&f, 28);
	cap_add(&c, &f);
	/* 9 */ v4_udp(&f, ROUTER, QUAR, "192.168.1.21", "192.0.2.53", 50001, 53);
	cap_add(&c, &f);
	/* 10 */ v4_udp(&f, ROUTER, QUAR, "192.168.1.21", "8.8.8.8", 50002, 53);
	cap_add(&c, &f);
	/* 11 */ v4_udp(&f, QUAR, THERMO, "192.168.1.20", "192.168.1.21", 50003, 123);
	cap_add(&c, &f);
	/* 12 */ v4_udp(&f, OTHER, ROUTER, "192.168.1.1", "192.168.1.30", 1, 2);
	cap_add(&c, &f);
	/* 13 */ v4_udp(&f, ROUTER, THERMO, "192.168.1.20", "8.8.8.8", 50004, 123);
	f.n = 14 + 16; /* IPv4 header cut */
	cap_add(&c, &f);
	/* 14 */ eth(&f, ROUTER, THERMO, 0x8100);
	put16(&f, 10);
	put16(&f, 0x0800);
	ipv4(&f, "192.168.1.20", "8.8.8.8", 17, 0, 12);
	udp(&f, 50005, 123);
	cap_add(&c, &f);
	/* 15 */ eth(&f, ROUTER, THERMO, 0x0800);
	ipv4(&f, "192.168.1.20", "8.8.8.8", 17, 185, 12);
	zeros(&f, 12);
	cap_add(&c, &f);
	cap_close(&c);

	/* A truncated copy of the image for the error path. */
	b = mgi_builder_create();
	finish(b, "bad.img", 100);
}

/* ---- scenario "v6": IPv6 lamp ----------------------------------------------------------- */

static const uint8_t LAMP[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t DECOM[6] = {0x02, 0, 0, 0, 0, 0x11};

static void
gen_v6(void)
{
	struct mgi_builder *b = mgi_builder_create();
	struct capture c;
	struct frame f;
	struct mgi_ace a;
	int64_t p, ctl;

	if (!b)
		exit(1);
	p = mgi_builder_add_policy(b, "lamp", "https://example.com/lamp.json");
	CHECK(p);
	ctl = mgi_builder_set(b, MGI_SET_CONTROLLER, "urn:example:ctl");
	CHECK(ctl);
	add_pfx(b, (uint32_t)ctl, "2001:db8:c::", 48);

	a = ace(b, "out", "coap", 6, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_DPORT;
	a.proto = 17;
	a.dst_kind = MGI_PEER_SET;
	a.dst_set = (uint32_t)ctl;
	a.dport_lo = a.dport_hi = 5683;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_FROM_DEVICE, &a));
	a = ace(b, "in", "coap", 6, MG_ACT_ACCEPT);
	a.match = MGI_M_PROTO | MGI_M_SPORT;
	a.proto = 17;
	a.src_kind = MGI_PEER_SET;
	a.src_set = (uint32_t)ctl;
	a.sport_lo = a.sport_hi = 5683;
	CHECK(mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_TO_DEVICE, &a));
	CHECK(mgi_builder_add_device(b, LAMP, (uint32_t)p, MG_STATE_ENFORCED));
	CHECK(mgi_builder_add_device(b, DECOM, (uint32_t)p, MG_STATE_DECOMMISSIONED));
	finish(b, "v6.img", 0);

	cap_open(&c, "v6.pcap", DLT_EN10MB);
	/* 0: router solicitation */
	eth(&f, (const uint8_t *)"\x33\x33\0\0\0\x02", LAMP, 0x86dd);
	ipv6(&f, "fe80::10", "ff02::2", 58, 8);
	icmp(&f, 133);
	cap_add(&c, &f);
	/* 1: DHCPv6 solicit */
	v6_udp(&f, (const uint8_t *)"\x33\x33\0\x01\0\x02", LAMP, "fe80::10", "ff02::1:2", 546,
	       547);
	cap_add(&c, &f);
	/* 2: CoAP to the controller behind hop-by-hop and destination options */
	eth(&f, ROUTER, LAMP, 0x86dd);
	ipv6(&f, "2001:db8:1::10", "2001:db8:c::1", 0, 8 + 8 + 12);
	put8(&f, 60);
	zeros(&f, 7);
	put8(&f, 17);
	zeros(&f, 7);
	udp(&f, 40000, 5683);
	cap_add(&c, &f);
	/* 3: the controller's answer */
	v6_udp(&f, LAMP, ROUTER, "2001:db8:c::1", "2001:db8:1::10", 5683, 40000);
	cap_add(&c, &f);
	/* 4: CoAP elsewhere */
	v6_udp(&f, ROUTER, LAMP, "2001:db8:1::10", "2001:db8:d::1", 40001, 5683);
	cap_add(&c, &f);
	/* 5: the decommissioned device's ARP */
	eth(&f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", DECOM, 0x0806);
	zeros(&f, 28);
	cap_add(&c, &f);
	/* 6: nine destination-options headers */
	eth(&f, ROUTER, LAMP, 0x86dd);
	ipv6(&f, "2001:db8:1::10", "2001:db8:c::1", 60, 9 * 8 + 12);
	for (int i = 0; i < 9; i++) {
		put8(&f, i < 8 ? 60 : 17);
		zeros(&f, 7);
	}
	udp(&f, 40002, 5683);
	cap_add(&c, &f);
	cap_close(&c);

	/* A capture of another link type. */
	cap_open(&c, "raw.pcap", DLT_RAW);
	f.n = 0;
	ipv4(&f, "192.168.1.20", "8.8.8.8", 17, 0, 12);
	udp(&f, 1, 123);
	cap_add(&c, &f);
	cap_close(&c);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_pcaps OUTDIR\n");
		return 2;
	}
	out_dir = argv[1];
	gen_basic();
	gen_v6();
	return 0;
}
