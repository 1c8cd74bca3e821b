/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpperf: single-core cost of the fast path's parse + classify stages, in Mpps and TSC cycles
 * per packet, against a baseline measured in the same run (the same burst loop over the same
 * frames with parsing and classification skipped).
 *
 * Workload: 500 policies of 20 ACEs (10 per direction, TCP/UDP/ICMP, IPv4 and IPv6,
 * direction-initiated pairs), 10,000 devices bound round-robin, 64-byte IPv4 frames and 78-byte
 * IPv6 frames between the devices and a gateway MAC (outbound, replies, denied ports).
 *
 * Times are this thread's on-CPU time (CLOCK_THREAD_CPUTIME_ID), best of --repeat runs,
 * converted to cycles at the TSC frequency: a shared, loaded machine then mostly costs cache
 * misses, not descheduled time.
 *
 * usage: dpperf [--smoke] [--packets N] [--repeat N] [--no-cache] [--verdict-cache N] [--acl-alg N]
 *               [--huge-dir DIR] [--ipv6-share PCT]
 *   --no-cache   classify without the worker's device lookup cache
 *   --verdict-cache N  give the device lookup cache a verdict cache of N IPv4 entries
 *   --acl-alg N  force an rte_acl classify algorithm (enum rte_acl_classify_alg)
 *   --huge-dir   use hugepage memory from a mounted hugetlbfs (as mudgate-dp in production)
 *   --ipv6-share percent of IPv6 frames (default 15)
 * Not a timed test: --smoke (the bench-smoke suite) only checks that every mode runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "classify/dp_classify.h"
#include "mg_classify.h"

#define N_POLICIES 500
#define N_DEVICES  10000
#define N_FRAMES   16384
#define SLOT       128

static uint8_t frames[N_FRAMES][SLOT] __rte_aligned(64);
static uint32_t lens[N_FRAMES];
static uint64_t prng = 0x2545f4914f6cdd1dull;
static uint32_t v6_share = 15; /* percent of IPv6 frames */
static const uint8_t gw_mac[6] = {0x02, 0xfe, 0, 0, 0, 1};

static uint32_t
rnd(uint32_t n)
{
	prng ^= prng >> 12;
	prng ^= prng << 25;
	prng ^= prng >> 27;
	return (uint32_t)((prng * 2685821657736338717ull) >> 32) % n;
}

static void
dev_mac(uint32_t d, uint8_t m[6])
{
	m[0] = 0x02;
	m[1] = 0x10;
	m[2] = 0;
	m[3] = (uint8_t)(d >> 16);
	m[4] = (uint8_t)(d >> 8);
	m[5] = (uint8_t)d;
}

static void
v4_of(uint32_t pol, uint32_t host, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 10;
	a[1] = (uint8_t)(pol >> 8);
	a[2] = (uint8_t)pol;
	a[3] = (uint8_t)host;
}

static void
v6_of(uint32_t pol, uint32_t host, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[4] = (uint8_t)(pol >> 8);
	a[5] = (uint8_t)pol;
	a[15] = (uint8_t)host;
}

static int
add(struct mgi_builder *b, uint32_t p, unsigned int dir, uint8_t fam, uint8_t proto, uint16_t port,
    uint8_t plen, bool dir_init, uint8_t action, uint32_t acl, uint32_t ace)
{
	struct mgi_ace a;
	bool from = dir == MG_DIR_FROM_DEVICE;
	memset(&a, 0, sizeof(a));
	a.acl_name = acl;
	a.ace_name = ace;
	a.family = fam;
	a.action = action;
	a.match = MGI_M_PROTO;
	a.proto = proto;
	uint8_t *peer = from ? a.dst_addr : a.src_addr;
	if (from)
		a.dst_kind = MGI_PEER_PREFIX, a.dst_plen = plen;
	else
		a.src_kind = MGI_PEER_PREFIX, a.src_plen = plen;
	if (fam == 4)
		v4_of(p, 0, peer);
	else
		v6_of(p, 0, peer);
	for (unsigned int i = 0; i < 16; i++) {
		int bits = (int)plen - 8 * (int)i;
		peer[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff00u >> bits);
	}
	if (proto == 1 || proto == 58) {
		a.match |= MGI_M_ICMP_TYPE;
		a.icmp_type = from ? (fam == 4 ? 8 : 128) : (fam == 4 ? 0 : 129);
	} else if (port) {
		a.match |= from ? MGI_M_DPORT : MGI_M_SPORT;
		if (from)
			a.dport_lo = a.dport_hi = port;
		else
			a.sport_lo = a.sport_hi = port;
	}
	if (dir_init) {
		a.match |= MGI_M_DIR_INIT;
		a.dir_init = MG_DIR_FROM_DEVICE;
	}
	return mgi_builder_add_ace(b, p, dir, &a);
}

static int
make_image(void **blob, size_t *size)
{
	struct mgi_builder *b = mgi_builder_create();
	int rc = -1;
	if (!b)
		return -1;
	uint32_t acl = (uint32_t)mgi_builder_str(b, "acl");
	uint32_t ace = (uint32_t)mgi_builder_str(b, "ace");
	for (uint32_t p = 0; p < N_POLICIES; p++) {
		char name[64];
		snprintf(name, sizeof(name), "https://perf.example/policy%u.json", p);
		if (mgi_builder_add_policy(b, name, name) < 0)
			goto out;
		for (unsigned int dir = 0; dir < 2; dir++) {
			bool ok = add(b, p, dir, 4, 6, 443, 24, true, 0, acl, ace) == 0 &&
				  add(b, p, dir, 4, 6, 80, 24, true, 0, acl, ace) == 0 &&
				  add(b, p, dir, 4, 6, 23, 16, false, 1, acl, ace) == 0 &&
				  add(b, p, dir, 4, 17, 123, 24, false, 0, acl, ace) == 0 &&
				  add(b, p, dir, 4, 17, 5683, 16, false, 0, acl, ace) == 0 &&
				  add(b, p, dir, 4, 1, 0, 24, false, 0, acl, ace) == 0 &&
				  add(b, p, dir, 4, 6, 8883, 28, true, 0, acl, ace) == 0 &&
				  add(b, p, dir, 6, 6, 443, 48, true, 0, acl, ace) == 0 &&
				  add(b, p, dir, 6, 17, 123, 48, false, 0, acl, ace) == 0 &&
				  add(b, p, dir, 6, 58, 0, 48, false, 0, acl, ace) == 0;
			if (!ok)
				goto out;
		}
	}
	for (uint32_t d = 0; d < N_DEVICES; d++) {
		uint8_t m[6];
		dev_mac(d, m);
		if (mgi_builder_add_device(b, m, d % N_POLICIES, MG_STATE_ENFORCED) < 0)
			goto out;
	}
	rc = mgi_builder_finish(b, blob, size);
out:
	if (rc < 0)
		fprintf(stderr, "dpperf: image: %s\n", mgi_builder_error(b));
	mgi_builder_destroy(b);
	return rc;
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One frame between device d and the gateway. */
static uint32_t
make_frame(uint8_t *f, uint32_t d)
{
	static const uint16_t ports[] = {443, 443, 80, 123, 8883, 23, 5683, 9999};
	uint32_t pol = d % N_POLICIES;
	bool out = rnd(100) < 65, v6 = rnd(100) < v6_share;
	uint16_t port = ports[rnd(8)];
	uint8_t proto = port == 123 || port == 5683 ? 17 : 6;
	uint8_t devaddr[16], peer[16];
	uint8_t dm[6];

	memset(f, 0, SLOT);
	dev_mac(d, dm);
	memcpy(f, out ? gw_mac : dm, 6);
	memcpy(f + 6, out ? dm : gw_mac, 6);
	if (rnd(100) < 5)
		proto = v6 ? 58 : 1;
	uint8_t *ip = f + 14, *l4;
	if (!v6) {
		wr16(f + 12, 0x0800);
		v4_of(pol, 1 + rnd(250), peer);
		memset(devaddr, 0, 16);
		devaddr[0] = 192, devaddr[1] = 168, devaddr[2] = (uint8_t)(d >> 8),
		devaddr[3] = (uint8_t)d;
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, out ? devaddr : peer, 4);
		memcpy(ip + 16, out ? peer : devaddr, 4);
		l4 = ip + 20;
	} else {
		wr16(f + 12, 0x86dd);
		v6_of(pol, 1 + rnd(250), peer);
		v6_of(60000, d, devaddr);
		ip[0] = 0x60;
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, out ? devaddr : peer, 16);
		memcpy(ip + 24, out ? peer : devaddr, 16);
		l4 = ip + 40;
	}
	uint16_t eph = (uint16_t)(32768 + rnd(16384));
	uint32_t l4len = proto == 6 ? 20 : 8;
	if (proto == 1 || proto == 58) {
		l4[0] = out ? (v6 ? 128 : 8) : (v6 ? 129 : 0);
	} else {
		wr16(l4, out ? eph : port);
		wr16(l4 + 2, out ? port : eph);
		if (proto == 6) {
			l4[12] = 0x50;
			l4[13] = out ? (rnd(4) ? 0x10 : 0x02) : 0x12;
		} else {
			wr16(l4 + 4, 8);
		}
	}
	if (!v6)
		wr16(ip + 2, (uint16_t)(20 + l4len));
	else
		wr16(ip + 4, (uint16_t)l4len);
	uint32_t len = 14 + (v6 ? 40 : 20) + l4len;
	return len < 60 ? 60 : len;
}

enum mode { M_BASELINE, M_REF_PARSE, M_PARSE, M_FULL, M_COUNT };
static const char *const mode_name[] = {"baseline (no parse, no classify)",
					"mg_pkt_parse only (reference)", "dp_parse_burst only",
					"dp_parse_burst + dp_classify_burst"};

struct run {
	const struct dp_gen *g;
	struct dp_devs *devs;
	struct dp_flow_table *ft;
	struct dp_wstats *ws;
	struct dp_dev_cache *dc;
};

static uint64_t sink;

static void
burst(const struct run *r, enum mode m, uint32_t first, uint32_t n, uint64_t now)
{
	struct dp_pkt pk[DP_BURST_MAX];
	const uint8_t *data[DP_BURST_MAX];

	for (uint32_t i = 0; i < n; i++)
		data[i] = frames[(first + i) & (N_FRAMES - 1)];
	if (m == M_BASELINE) {
		/* what every mode pays: the frames' first cache line and their lengths */
		for (uint32_t i = 0; i < n; i++) {
			if (i + 4 < n)
				rte_prefetch0(data[i + 4]);
			sink += data[i][12] + lens[(first + i) & (N_FRAMES - 1)];
		}
		r->ws->rx_pkts += n;
		return;
	}
	uint32_t len[DP_BURST_MAX];
	for (uint32_t i = 0; i < n; i++)
		len[i] = lens[(first + i) & (N_FRAMES - 1)];
	if (m == M_REF_PARSE) {
		struct mg_pkt p;
		for (uint32_t i = 0; i < n; i++) {
			if (i + 4 < n)
				rte_prefetch0(data[i + 4]);
			mg_pkt_parse(&p, data[i], len[i]);
			sink += p.proto;
		}
		r->ws->rx_pkts += n;
		return;
	}
	dp_parse_burst(pk, data, len, n);
	r->ws->rx_pkts += n;
	if (m == M_PARSE) {
		for (uint32_t i = 0; i < n; i++)
			sink += pk[i].key.k4.proto;
		return;
	}
	dp_classify_burst_cached(r->g, r->devs, r->dc, r->ft, pk, n, r->ws, 0, now);
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0",
		       "-m",
		       "1024",
		       "--log-level=lib.eal:error",
		       "--no-telemetry",
		       NULL};
	uint64_t packets = 20000000;
	bool smoke = false, no_cache = false;
	unsigned int repeat = 3;
	int acl_alg = 0;
	uint32_t vc_entries = 0;
	void *blob;
	size_t size;
	char err[256];

	char huge_dir[300];
	int n_eal = 10;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--huge-dir") && i + 1 < argc) {
			/* hugepage memory (as mudgate-dp runs in production) instead of --no-huge
			 */
			snprintf(huge_dir, sizeof(huge_dir), "--huge-dir=%s", argv[++i]);
			eal[1] = huge_dir;
			eal[6] = "-m";
			eal[7] = "256";
		} else if (!strcmp(argv[i], "--smoke"))
			smoke = true;
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ipv6-share") && i + 1 < argc)
			v6_share = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--no-cache"))
			no_cache = true;
		else if (!strcmp(argv[i], "--verdict-cache") && i + 1 < argc)
			vc_entries = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--acl-alg") && i + 1 < argc)
			acl_alg = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			packets = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: dpperf [--smoke] [--packets N] [--repeat N] "
					"[--no-cache] [--verdict-cache N] [--acl-alg N] "
					"[--huge-dir DIR] [--ipv6-share PCT]\n");
			return 2;
		}
	}
	if (smoke) {
		packets = 200000;
		repeat = 1;
	}
	if (!repeat)
		repeat = 1;
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "dpperf: rte_eal_init failed\n");
		return 1;
	}
	if (make_image(&blob, &size) < 0)
		return 1;
	struct dp_pids *pids = dp_pids_create(1 << 16);
	struct dp_gen *g = dp_gen_build(blob, size, 1, pids, 1, err, sizeof(err));
	free(blob);
	if (!g) {
		fprintf(stderr, "dpperf: dp_gen_build: %s\n", err);
		return 1;
	}
	for (int f = 0; f < 4 && acl_alg; f++)
		if (g->acl[f] && rte_acl_set_ctx_classify(g->acl[f], acl_alg) < 0)
			fprintf(stderr, "dpperf: rte_acl algorithm %d refused\n", acl_alg);
	struct dp_devs *devs = dp_devs_create("perf_devs", 16384, 1, NULL);
	if (!devs)
		return 1;
	for (uint32_t i = 0; i < g->img.n_devices; i++) {
		const struct mgi_device *d = &g->img.devices[i];
		if (dp_devs_set(devs, d->mac, g->policy_pid[d->policy], d->state) < 0)
			return 1;
	}
	struct dp_flow_table *ft = dp_flow_create("perf_flows", 1 << 16, NULL, SOCKET_ID_ANY);
	static struct dp_wstats ws;
	if (!ft)
		return 1;
	for (uint32_t i = 0; i < N_FRAMES; i++)
		lens[i] = make_frame(frames[i], rnd(N_DEVICES));
	printf("dpperf: %u policies, %u devices, %u+%u rte_acl rules (%u/%u categories), "
	       "%" PRIu64 " packets per mode, TSC %.2f GHz\n",
	       g->img.n_policies, devs->n, g->n_rules[0], g->n_rules[1], g->categories[0],
	       g->categories[1], packets, rte_get_tsc_hz() / 1e9);

	static struct dp_dev_cache dcache;
	int rc_vc = 0;
	struct run r = {g, devs, ft, &ws, no_cache ? NULL : &dcache};
	if (r.dc && vc_entries &&
	    !(dcache.vc =
		      dp_vcache_create(vc_entries, vc_entries / DP_VCACHE_V6_DIV, SOCKET_ID_ANY)))
		return 1;
	double cyc[M_COUNT];
	for (int m = 0; m < M_COUNT; m++) {
		uint64_t now = rte_rdtsc();
		/* warm up: one pass over the frames (flows recorded, caches filled) */
		for (uint32_t f = 0; f < N_FRAMES; f += DP_BURST_MAX)
			burst(&r, (enum mode)m, f, DP_BURST_MAX, now);
		/* on-CPU time of this thread (time the machine gave to others is not counted), the
		 * best of `repeat` runs, in cycles of the nominal (TSC) frequency */
		double best = 0;
		for (unsigned int rep = 0; rep < repeat; rep++) {
			struct timespec a, b;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
			uint64_t t0 = rte_rdtsc();
			for (uint64_t done = 0, f = 0; done < packets; done += DP_BURST_MAX) {
				burst(&r, (enum mode)m, (uint32_t)f, DP_BURST_MAX, t0);
				f += DP_BURST_MAX;
			}
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
			double sec = (double)(b.tv_sec - a.tv_sec) +
				     (double)(b.tv_nsec - a.tv_nsec) / 1e9;
			if (rep == 0 || sec < best)
				best = sec;
		}
		cyc[m] = best * (double)rte_get_tsc_hz() / (double)packets;
		double mpps = (double)packets / best / 1e6;
		printf("  %-38s %8.2f Mpps  %7.1f cycles/packet", mode_name[m], mpps, cyc[m]);
		if (m > 0)
			printf("  (+%.1f over baseline)", cyc[m] - cyc[0]);
		printf("\n");
	}
	if (r.dc)
		printf("  device lookups: %.1f%% from the worker's cache\n",
		       100.0 * (double)r.dc->hits / (double)(r.dc->hits + r.dc->misses + 1));
	if (dcache.vc) {
		const struct dp_vcache_stats *vs = dp_vcache_stats(dcache.vc);
		printf("  verdict cache: %.1f%% hits (%" PRIu64 " uncacheable frames, %" PRIu64
		       " inserts)\n",
		       100.0 * (double)vs->hits / (double)(vs->hits + vs->misses + 1),
		       vs->uncacheable, vs->inserts);
		if (!vs->hits)
			rc_vc = 1; /* the cache path was never exercised */
		dp_vcache_destroy(dcache.vc);
	}
	printf("  verdicts: allowed %" PRIu64 ", denied %" PRIu64 "; flows added %" PRIu64 "\n",
	       ws.allowed, ws.denied, ws.flow_added);
	int rc = (ws.allowed && ws.denied ? 0 : 1) + rc_vc;
	dp_flow_destroy(ft);
	dp_devs_destroy(devs);
	dp_gen_destroy(g);
	dp_pids_destroy(pids);
	rte_eal_cleanup();
	return rc + (int)(sink & 0);
}
