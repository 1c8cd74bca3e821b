/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudbench --scenario NAME[,NAME...] [--duration SECONDS] [--rounds N] --json FILE [--pcap DIR]
 *          [--min-updates N] [--port ring|memif] [--dp PATH]
 *
 * --port memif drives the mudgate-dp binary in a child process over net_memif instead
 * (mb_memif.c); what follows describes the default, --port ring.
 *
 * --pcap DIR also writes DIR/<scenario>-access.pcap (frames from the devices), -uplink.pcap
 * (frames to them), -syn/-synack/-ack.pcap (the TCP handshakes) and <scenario>.mgi (the image),
 * so that pktgen and mudgate-dp on real NICs replay exactly the same workload.
 *
 * Drives the real mudgate-dp worker loop (dp_worker_main) in process on lcore 1 over two
 * net_ring ports (access, uplink), fed by a generator on lcore 2 (pinned with the main lcore
 * to CPU 0). Each scenario alternates, in the same run and on the same worker core, phases of
 * the baseline (the same loop with enforcement off: no generation published, frames pass
 * unclassified) and of enforcement (the scenario's generation), and S1 also plain io
 * forwarding (rx burst -> tx burst, what testpmd io does). Between phases the generator stops
 * and the rings drain, so every frame of an enforcement phase is classified by that phase's
 * generation and its verdict can be checked against the reference classifier's.
 *
 * The generator does no per-frame work: each sequence slot is one pre-built mbuf holding a
 * fixed frame, whose reference count is set high (MB_REFCNT) once, so the worker's free of a
 * denied frame only decrements it and transmitted frames are simply dequeued; the counts are
 * topped up every MB_REFILL_PASSES passes over the sequence. The expected denials and probes of
 * a chunk come from prefix sums. A slot is reused only after the whole sequence (>= 8 ring
 * sizes) has passed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "bridge/dp_bridge.h"
#include "classify/dp_classify.h"
#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "mudbench.h"
#include "port/dp_port.h"

#define RING_SIZE        4096
#define SEQ_LEN          32768 /* frames per port direction, >= 8 ring sizes */
#define MAX_DEVS         131072
#define UPDATE_MS        100
#define MAX_ROUNDS       64
#define MB_REFCNT        60000
#define MB_REFILL_PASSES 4096 /* < MB_REFCNT: a slot is freed at most once per pass */

static const struct mb_scenario scenarios[] = {
	{"S1", "baseline: enforcement off vs plain io forwarding, S2 traffic", 10000, 500, 0, false,
	 false, false, true},
	{"S2", "10,000 devices, 500 policies, 64 B", 10000, 500, 0, false, false, false, false},
	{"S3", "S2 with 50% TCP in direction-initiated flows", 10000, 500, 50, false, false, false,
	 false},
	{"S4", "100,000 devices, 500 policies, 64 B", 100000, 500, 0, false, false, false, false},
	{"S5", "S2, one policy replaced every 100 ms", 10000, 500, 0, false, true, false, false},
	{"S6", "2,000-ACE policy (P4Ward equivalent) on 1,000 devices", 1000, 1, 0, false, false,
	 true, false},
	{"S7", "S2 with IMIX 7:4:1 (64/594/1518 B)", 10000, 500, 0, true, false, false, false},
};

enum mode { MODE_BASE = 0, MODE_ENF = 1, MODE_IO = 2 };

/* ---- the generator (lcore 2) ------------------------------------------------------------ */

struct gen {
	struct rte_mbuf **m[2];               /* per port direction, SEQ_LEN slots */
	uint32_t *cum_deny[2], *cum_probe[2]; /* prefix sums over the slots, n + 1 entries */
	uint32_t n[2], cur[2], passes[2];
	struct rte_ring *rx[2], *tx[2];
	volatile bool run, stop;
	volatile uint64_t enq, exp_deny, probes; /* written by the generator */
	volatile uint64_t tx_seen;
	/* update probe */
	volatile uint64_t *probe_ctr; /* the probe device's counter that moves with the update */
	volatile uint64_t probe_base;
	volatile uint64_t probe_hit_tsc; /* 0 until seen */
	volatile bool armed;
};

static struct gen G;
static struct rte_ring *acc_rx, *acc_tx, *up_rx, *up_tx;

static int
gen_main(void *arg)
{
	(void)arg;
	struct rte_mbuf *buf[256];
	while (!G.stop) {
		for (int p = 0; p < 2; p++) {
			unsigned int n =
				rte_ring_sc_dequeue_burst(G.tx[p], (void **)buf, 256, NULL);
			G.tx_seen += n;
		}
		if (G.armed && *G.probe_ctr != G.probe_base) {
			G.probe_hit_tsc = rte_rdtsc();
			G.armed = false;
		}
		if (!G.run)
			continue;
		bool full = true;
		for (int p = 0; p < 2; p++) {
			unsigned int room = rte_ring_free_count(G.rx[p]);
			if (room < 64)
				continue;
			full = false;
			/* one contiguous run of slots, enqueued straight from the slot array */
			uint32_t c = G.cur[p], k = room < 256 ? room : 256;
			if (k > G.n[p] - c)
				k = G.n[p] - c;
			rte_ring_sp_enqueue_bulk(G.rx[p], (void **)&G.m[p][c], k, NULL);
			G.enq += k;
			G.exp_deny += G.cum_deny[p][c + k] - G.cum_deny[p][c];
			G.probes += G.cum_probe[p][c + k] - G.cum_probe[p][c];
			G.cur[p] = c + k;
			if (G.cur[p] == G.n[p]) {
				G.cur[p] = 0;
				if (++G.passes[p] % MB_REFILL_PASSES == 0) /* amortised */
					for (uint32_t i = 0; i < G.n[p]; i++)
						rte_mbuf_refcnt_set(G.m[p][i], MB_REFCNT);
			}
		}
		if (full) /* both rings hold >= 4032 frames: give the shared CPU to the main lcore
			   (a yield instead lets a busy generator delay updates by tens of ms) */
			usleep(20);
	}
	return 0;
}

/* ---- plain io forwarding on the worker lcore ---------------------------------------------- */

static volatile bool io_quit;
static uint64_t io_pkts;

static int
io_main(void *arg)
{
	(void)arg;
	struct rte_mbuf *m[32];
	while (!io_quit) {
		for (uint16_t p = 0; p < 2; p++) {
			uint16_t n = rte_eth_rx_burst(dp.ports[p].id, 0, m, 32);
			if (!n)
				continue;
			uint16_t s = rte_eth_tx_burst(dp.ports[1 - p].id, 0, m, n);
			for (uint16_t i = s; i < n; i++)
				rte_pktmbuf_free(m[i]);
			io_pkts += n;
		}
	}
	return 0;
}

/* ---- phases -------------------------------------------------------------------------------- */

static unsigned int worker_lcore = 1, gen_lcore = 2;
static uint32_t min_updates = 3; /* S5: updates to observe at least (--min-updates) */
static uint32_t vcache_entries = DP_VCACHE_DEFAULT; /* --verdict-cache (mudgate-dp's default) */
#define MIN_UPDATES_GRACE_S 10                      /* beyond the phase, at most */
static struct dp_gen *enf_gen; /* the scenario's generation while the baseline runs */

static void
set_mode(enum mode cur, enum mode next)
{
	if (cur == MODE_IO && next != MODE_IO) {
		io_quit = true;
		rte_eal_wait_lcore(worker_lcore);
		dp.quit = false;
		rte_eal_remote_launch(dp_worker_main, &dp.workers[0], worker_lcore);
	} else if (cur != MODE_IO && next == MODE_IO) {
		dp.quit = true;
		rte_eal_wait_lcore(worker_lcore);
		io_quit = false;
		rte_eal_remote_launch(io_main, NULL, worker_lcore);
	}
	if (next == MODE_BASE && dp.gen) {
		enf_gen = dp.gen;
		__atomic_store_n(&dp.gen, NULL, __ATOMIC_RELEASE);
		rte_rcu_qsbr_synchronize(dp.rcu, RTE_QSBR_THRID_INVALID);
	} else if (next != MODE_BASE && !dp.gen && enf_gen) {
		__atomic_store_n(&dp.gen, enf_gen, __ATOMIC_RELEASE);
		rte_rcu_qsbr_synchronize(dp.rcu, RTE_QSBR_THRID_INVALID);
	}
}

static void
wait_drained(void)
{
	uint64_t t_end = mb_now_ns() + 2000000000ull;
	while (mb_now_ns() < t_end) {
		if (rte_ring_empty(acc_rx) && rte_ring_empty(up_rx) && rte_ring_empty(acc_tx) &&
		    rte_ring_empty(up_tx)) {
			usleep(2000);
			if (rte_ring_empty(acc_tx) && rte_ring_empty(up_tx))
				return;
		}
		usleep(200);
	}
}

struct sample {
	uint64_t rx, tx, allowed, denied, loops, idle, busy;
	uint64_t drops[DP_DROP_COUNT_];
	uint64_t reasons[MG_R_COUNT_];
};

static void
snap(struct sample *s)
{
	const struct dp_wstats *st = &dp.workers[0].st;
	s->rx = st->rx_pkts + io_pkts;
	s->tx = st->tx_pkts;
	s->allowed = st->allowed;
	s->denied = st->denied;
	s->loops = st->loops;
	s->idle = st->idle_loops;
	s->busy = st->busy_cycles;
	memcpy(s->drops, st->drops, sizeof(s->drops));
	memcpy(s->reasons, st->reasons, sizeof(s->reasons));
}

struct phase_res {
	double mpps, idle_pct, rx_per_busy_loop, busy_cpp, busy_pct;
	uint64_t rx, denied, exp_deny, probes, enq;
	uint64_t drops[DP_DROP_COUNT_];
	uint64_t reasons[MG_R_COUNT_];
};

struct upd_stats {
	double lat_ms[4096];
	double build_ms[4096];
	double load_ms[4096]; /* the dp_ctrl_load() call: diff, overlay, publish, RCU grace */
	double open_ms[4096], diff_ms[4096], acl_ms[4096], cpu_ms[4096];
	uint32_t n, missed, issued;
	uint32_t overlay_policies_max, overlay_rules_max;
};

static void
update_now(struct mb_workload *w, bool to_b, struct upd_stats *u, const int32_t probe_pos)
{
	char err[256];
	struct dp_dev_ctr *c = &dp.gen->devs->ctr[probe_pos];
	G.probe_ctr = to_b ? &c->allow_pkts : &c->deny_pkts;
	G.probe_base = *G.probe_ctr;
	G.probe_hit_tsc = 0;
	uint64_t t0 = rte_rdtsc();
	G.armed = true;
	int rc = dp_ctrl_load(to_b ? w->blob_b : w->blob, to_b ? w->size_b : w->size, 0, true,
			      false, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "mudbench: update: %s\n", err);
		G.armed = false;
		return;
	}
	uint64_t t1 = rte_rdtsc();
	enf_gen = dp.gen;
	double build_ms = dp.gen->build_ms, o_ms = dp.gen->open_ms, d_ms = dp.gen->diff_ms,
	       a_ms = dp.gen->acl_ms, c_ms = dp.gen->build_cpu_ms;
	u->issued++;
	u->overlay_policies_max = RTE_MAX(u->overlay_policies_max, dp.gen->n_overlay);
	u->overlay_rules_max = RTE_MAX(u->overlay_rules_max, dp.gen->n_overlay_rules);
	uint64_t hz = rte_get_tsc_hz(), lim = t0 + hz; /* 1 s */
	while (!G.probe_hit_tsc && rte_rdtsc() < lim)
		usleep(50);
	G.armed = false;
	if (u->n < RTE_DIM(u->lat_ms)) {
		if (G.probe_hit_tsc) {
			u->lat_ms[u->n] = (double)(G.probe_hit_tsc - t0) * 1e3 / (double)hz;
			u->build_ms[u->n] = build_ms;
			u->load_ms[u->n] = (double)(t1 - t0) * 1e3 / (double)hz;
			u->open_ms[u->n] = o_ms;
			u->diff_ms[u->n] = d_ms;
			u->acl_ms[u->n] = a_ms;
			u->cpu_ms[u->n] = c_ms;
			u->n++;
		} else {
			u->missed++;
		}
	}
}

/* Waits until the deadline (ns), serving base rebuilds as the control thread does. */
static void
idle_until(uint64_t deadline_ns)
{
	while (mb_now_ns() < deadline_ns) {
		dp_ctrl_maintain();
		enf_gen = dp.gen;
		usleep(1000);
	}
}

static void
run_phase(enum mode m, double secs, struct phase_res *r, struct mb_workload *w, struct upd_stats *u,
	  bool *upd_state, int32_t probe_pos)
{
	struct sample a, b, s0, s1;
	uint64_t enq0 = G.enq, dn0 = G.exp_deny, pr0 = G.probes;

	snap(&s0);
	G.run = true;
	usleep(20000); /* ramp */
	snap(&a);
	uint64_t t0 = rte_rdtsc();
	if (u && m == MODE_ENF) {
		/* an update every UPDATE_MS for the phase; then, while fewer than min_updates
		 * were observed in the scenario, more, until a bounded deadline */
		uint64_t end = mb_now_ns() + (uint64_t)(secs * 1e9);
		uint64_t hard = end + MIN_UPDATES_GRACE_S * 1000000000ull;
		for (;;) {
			uint64_t now = mb_now_ns();
			if (now + UPDATE_MS * 1000000ull >= end &&
			    (u->n >= min_updates || now + UPDATE_MS * 1000000ull >= hard))
				break;
			uint64_t next = now + UPDATE_MS * 1000000ull;
			*upd_state = !*upd_state;
			update_now(w, *upd_state, u, probe_pos);
			idle_until(next);
		}
		idle_until(end);
	} else {
		usleep((useconds_t)(secs * 1e6));
	}
	snap(&b);
	uint64_t t1 = rte_rdtsc();
	G.run = false;
	wait_drained();
	snap(&s1);
	double dt = (double)(t1 - t0) / (double)rte_get_tsc_hz();
	r->mpps = (double)(b.rx - a.rx) / dt / 1e6;
	r->rx_per_busy_loop =
		b.loops - b.idle > a.loops - a.idle
			? (double)(b.rx - a.rx) / (double)((b.loops - b.idle) - (a.loops - a.idle))
			: 0;
	r->busy_cpp = b.rx > a.rx ? (double)(b.busy - a.busy) / (double)(b.rx - a.rx) : 0;
	r->busy_pct = 100.0 * (double)(b.busy - a.busy) / (double)(t1 - t0);
	r->idle_pct = b.loops > a.loops
			      ? 100.0 * (double)(b.idle - a.idle) / (double)(b.loops - a.loops)
			      : 0;
	r->rx = s1.rx - s0.rx;
	r->denied = s1.denied - s0.denied;
	r->enq = G.enq - enq0;
	r->exp_deny = G.exp_deny - dn0;
	r->probes = G.probes - pr0;
	for (int i = 0; i < DP_DROP_COUNT_; i++)
		r->drops[i] = s1.drops[i] - s0.drops[i];
	for (int i = 0; i < MG_R_COUNT_; i++)
		r->reasons[i] = s1.reasons[i] - s0.reasons[i];
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static json_t *
stats_of(double *v, uint32_t n)
{
	if (!n)
		return json_null();
	qsort(v, n, sizeof(*v), cmp_dbl);
	uint32_t p99 = (uint32_t)ceil(0.99 * n) - 1;
	return json_pack("{s:f,s:f,s:f,s:f,s:i}", "min", v[0], "median", v[n / 2], "p99",
			 v[p99 < n ? p99 : n - 1], "max", v[n - 1], "n", (json_int_t)n);
}

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t t = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			t += st.heap_allocsz_bytes;
	struct mallinfo2 mi = mallinfo2();
	return t + mi.uordblks + mi.hblkhd;
}

/* Cycles per packet of each stage on the main lcore, dp_parse_burst and dp_classify_burst over
 * the sequence in bursts of 32: the median over bursts (CPU 0 is shared: a mean would count
 * preemptions). */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void
stage_cycles(const struct mb_workload *w, const struct dp_gen *g, double *parse_c,
	     double *classify_c)
{
	static struct dp_pkt pk[DP_BURST_MAX];
	uint32_t nb = 2 * (SEQ_LEN / DP_BURST_MAX), k = 0;
	uint64_t *tp = calloc(nb, sizeof(*tp)), *tc = calloc(nb, sizeof(*tc));
	struct dp_flow_table *ft = dp_flow_create("mb_stage_flows", 65536, NULL, SOCKET_ID_ANY);
	*parse_c = *classify_c = 0;
	if (!tp || !tc || !ft)
		goto out;
	for (int dir = 0; dir < 2; dir++)
		for (uint32_t i = 0; i + DP_BURST_MAX <= w->n_seq[dir] && k < nb;
		     i += DP_BURST_MAX) {
			const uint8_t *data[DP_BURST_MAX];
			uint32_t len[DP_BURST_MAX];
			for (uint32_t j = 0; j < DP_BURST_MAX; j++) {
				data[j] = w->seq[dir][i + j].data;
				len[j] = w->seq[dir][i + j].len;
			}
			uint64_t t0 = rte_rdtsc();
			dp_parse_burst(pk, data, len, DP_BURST_MAX);
			uint64_t t1 = rte_rdtsc();
			dp_classify_burst(g, g->devs, ft, pk, DP_BURST_MAX, NULL, 0, t1);
			tc[k] = rte_rdtsc() - t1;
			tp[k] = t1 - t0;
			k++;
		}
	qsort(tp, k, sizeof(*tp), cmp_u64);
	qsort(tc, k, sizeof(*tc), cmp_u64);
	if (k) {
		*parse_c = (double)tp[k / 2] / DP_BURST_MAX;
		*classify_c = (double)tc[k / 2] / DP_BURST_MAX;
	}
out:
	dp_flow_destroy(ft);
	free(tp);
	free(tc);
}

/*
 * The worker's form of the classify stage: with a device lookup cache and a verdict cache of
 * the worker's size, over the sequence once to fill them, then timed over a second pass (the
 * steady state of traffic that repeats its conversations). Median cycles per packet.
 */
static double
stage_cycles_cached(const struct mb_workload *w, const struct dp_gen *g)
{
	static struct dp_pkt pk[DP_BURST_MAX];
	uint32_t nb = 2 * (SEQ_LEN / DP_BURST_MAX), k = 0;
	uint64_t *tc = calloc(nb, sizeof(*tc));
	struct dp_flow_table *ft = dp_flow_create("mb_stage_flows2", 65536, NULL, SOCKET_ID_ANY);
	struct dp_dev_cache *dc = rte_zmalloc("mb_stage_dc", sizeof(*dc), RTE_CACHE_LINE_SIZE);
	double c = 0;
	if (!tc || !ft || !dc || !vcache_entries ||
	    !(dc->vc = dp_vcache_create(vcache_entries, vcache_entries / DP_VCACHE_V6_DIV,
					SOCKET_ID_ANY)))
		goto out;
	for (int pass = 0; pass < 2; pass++)
		for (int dir = 0; dir < 2; dir++)
			for (uint32_t i = 0; i + DP_BURST_MAX <= w->n_seq[dir] && k < nb;
			     i += DP_BURST_MAX) {
				const uint8_t *data[DP_BURST_MAX];
				uint32_t len[DP_BURST_MAX];
				for (uint32_t j = 0; j < DP_BURST_MAX; j++) {
					data[j] = w->seq[dir][i + j].data;
					len[j] = w->seq[dir][i + j].len;
				}
				dp_parse_burst(pk, data, len, DP_BURST_MAX);
				uint64_t t1 = rte_rdtsc();
				dp_classify_burst_cached(g, g->devs, dc, ft, pk, DP_BURST_MAX, NULL,
							 0, t1);
				if (pass)
					tc[k++] = rte_rdtsc() - t1;
			}
	qsort(tc, k, sizeof(*tc), cmp_u64);
	if (k)
		c = (double)tc[k / 2] / DP_BURST_MAX;
out:
	if (dc)
		dp_vcache_destroy(dc->vc);
	rte_free(dc);
	dp_flow_destroy(ft);
	free(tc);
	return c;
}

/* ---- pcap export (for pktgen -s P:FILE, docs/performance.md) ----------------------------- */

static const char *pcap_dir;

static int
write_pcap(const char *scen, const char *what, const struct mb_frame *fr, uint32_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%s.pcap", pcap_dir, scen, what);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	const uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1}; /* LE, Ethernet */
	fwrite(gh, sizeof(gh), 1, f);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t rh[4] = {0, i, fr[i].len, fr[i].len};
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(fr[i].data, fr[i].len, 1, f);
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static void
export_pcaps(const struct mb_scenario *s, const struct mb_workload *w)
{
	int rc = write_pcap(s->name, "access", w->seq[0], w->n_seq[0]);
	if (!rc)
		rc = write_pcap(s->name, "uplink", w->seq[1], w->n_seq[1]);
	for (int k = 0; k < 3 && !rc && w->n_flows; k++)
		rc = write_pcap(s->name,
				k == 0   ? "syn"
				: k == 1 ? "synack"
					 : "ack",
				w->hs[k], w->n_flows);
	if (!rc) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.mgi", pcap_dir, s->name);
		FILE *f = fopen(path, "wb");
		rc = f && fwrite(w->blob, 1, w->size, f) == w->size ? 0 : -EIO;
		if (f && fclose(f) != 0)
			rc = -EIO;
	}
	if (rc < 0)
		fprintf(stderr, "mudbench: --pcap %s: %s\n", pcap_dir, strerror(-rc));
}

/* ---- one scenario --------------------------------------------------------------------------- */

static struct rte_mempool *
seq_pool(const struct mb_scenario *s, uint32_t n)
{
	static unsigned int k;
	char name[32];
	snprintf(name, sizeof(name), "mb_seq_%u", k++);
	return rte_pktmbuf_pool_create(name, n, 0, RTE_ALIGN(sizeof(struct dp_punt_meta), 8),
				       (uint16_t)(RTE_PKTMBUF_HEADROOM + (s->imix ? 1536 : 128)),
				       SOCKET_ID_ANY);
}

static int
fill_mbufs(struct rte_mempool *mp, const struct mb_frame *fr, uint32_t n, struct rte_mbuf **out)
{
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		if (!m)
			return -ENOMEM;
		memcpy(rte_pktmbuf_append(m, fr[i].len), fr[i].data, fr[i].len);
		out[i] = m;
	}
	return 0;
}

/* Runs the TCP handshakes through the worker, one step at a time. */
static void
handshakes(struct mb_workload *w, struct rte_mempool *mp)
{
	struct rte_ring *rings[3] = {acc_rx, up_rx, acc_rx};
	for (int k = 0; k < 3; k++) {
		for (uint32_t f = 0; f < w->n_flows; f++) {
			struct rte_mbuf *m;
			if (fill_mbufs(mp, &w->hs[k][f], 1, &m) < 0)
				break;
			while (rte_ring_enqueue(rings[k], m) != 0)
				rte_pause();
		}
		wait_drained();
	}
}

/* {baseline: stats, enforced: stats} of one figure over the rounds; S1's second mode is plain
 * io forwarding, which has no worker loop figures (null). */
static json_t *
per_mode(const struct mb_scenario *s, double *base, double *enf, int rounds)
{
	return json_pack("{s:o,s:o}", "baseline", stats_of(base, (uint32_t)rounds),
			 s->baseline_only ? "io" : "enforced",
			 s->baseline_only ? json_null() : stats_of(enf, (uint32_t)rounds));
}

static int
run_scenario(const struct mb_scenario *s, double duration, int rounds, json_t *out)
{
	struct mb_workload w;
	char err[512];
	int rc;

	printf("mudbench: %s: %s\n", s->name, s->what);
	fflush(stdout);
	struct dp_vcache *vc = dp.workers[0].dcache->vc;
	struct dp_vcache_stats vc0 = {0};
	if (vc)
		vc0 = *dp_vcache_stats(vc);
	rc = mb_workload_build(
		s, getenv("MUDGATE_SOURCE_DIR") ? getenv("MUDGATE_SOURCE_DIR") : MB_SOURCE_DIR,
		SEQ_LEN, &w);
	if (rc < 0)
		return rc;
	if (pcap_dir)
		export_pcaps(s, &w);

	/* memory of a generation of this image (rte_acl contexts and side tables) */
	size_t h0 = heap_used();
	struct dp_gen *mg = dp_gen_build(w.blob, w.size, 1u << 30, dp.pids, 1, err, sizeof(err));
	size_t h1 = heap_used();
	double mg_build_ms = mg ? mg->build_ms : 0;
	dp_gen_destroy(mg);
	/* the image -> published generation with its device table (timed), built in full: no
	 * overlay over the previous scenario's base */
	struct dp_overlay_limits lim = dp_overlay_limits;
	dp_overlay_limits.sync_rules = 0;
	uint64_t t0 = mb_now_ns();
	rc = dp_ctrl_load(w.blob, w.size, 0, false, false, err, sizeof(err));
	double load_ms = (double)(mb_now_ns() - t0) / 1e6;
	dp_overlay_limits = lim;
	if (rc < 0) {
		fprintf(stderr, "mudbench: %s: load: %s\n", s->name, err);
		mb_workload_free(&w);
		return rc;
	}
	enf_gen = dp.gen;
	uint32_t n_rules = dp.gen->n_rules[0] + dp.gen->n_rules[1];
	/* a full build (the fresh generation measured for memory above), whatever the load
	 * reused of the previous scenario's base */
	double gen_build_ms = mg_build_ms;
	int32_t probe_pos = dp_devs_lookup(dp.gen->devs, w.probe_mac);

	/* the sequences as mbufs */
	uint32_t *cum[2][2] = {{NULL, NULL}, {NULL, NULL}};
	struct rte_mempool *mp = seq_pool(s, 2 * SEQ_LEN + w.n_flows * 3 + 1024);
	struct rte_mbuf **mb0 = calloc(SEQ_LEN, sizeof(*mb0)),
			**mb1 = calloc(SEQ_LEN, sizeof(*mb1));
	if (!mp || !mb0 || !mb1 || fill_mbufs(mp, w.seq[0], w.n_seq[0], mb0) < 0 ||
	    fill_mbufs(mp, w.seq[1], w.n_seq[1], mb1) < 0) {
		fprintf(stderr, "mudbench: %s: mbufs: %s\n", s->name, rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto out;
	}
	for (int d = 0; d < 2; d++) {
		struct rte_mbuf **mb = d ? mb1 : mb0;
		cum[d][0] = calloc(w.n_seq[d] + 1, sizeof(uint32_t));
		cum[d][1] = calloc(w.n_seq[d] + 1, sizeof(uint32_t));
		if (!cum[d][0] || !cum[d][1]) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < w.n_seq[d]; i++) {
			cum[d][0][i + 1] = cum[d][0][i] + w.seq[d][i].deny;
			cum[d][1][i + 1] = cum[d][1][i] + w.seq[d][i].probe;
			rte_mbuf_refcnt_set(mb[i], MB_REFCNT);
		}
		G.cum_deny[d] = cum[d][0];
		G.cum_probe[d] = cum[d][1];
		G.n[d] = w.n_seq[d];
		G.cur[d] = G.passes[d] = 0;
	}
	G.m[0] = mb0;
	G.m[1] = mb1;
	if (w.n_flows)
		handshakes(&w, mp);
	struct sample hs;
	snap(&hs);

	double stage_parse = 0, stage_classify = 0;
	stage_cycles(&w, dp.gen, &stage_parse, &stage_classify);
	double stage_cached = stage_cycles_cached(&w, dp.gen);

	/* alternating phases */
	double phase = duration / (2.0 * rounds);
	if (phase < 0.1)
		phase = 0.1;
	static double mp_base[MAX_ROUNDS], mp_enf[MAX_ROUNDS], mp_io[MAX_ROUNDS], ratio[MAX_ROUNDS];
	static struct upd_stats upd;
	memset(&upd, 0, sizeof(upd));
	uint64_t sync0 = dp_ctrl_gen_stats.base_builds_sync;
	uint64_t started0 = dp_ctrl_gen_stats.base_rebuilds_started;
	uint64_t rebuilt0 = dp_ctrl_gen_stats.base_rebuilds;
	bool upd_state = false;
	struct phase_res tot = {0}, r;
	double idle_max = 0, idle_base[MAX_ROUNDS], idle_enf[MAX_ROUNDS];
	double busy_base[MAX_ROUNDS], busy_enf[MAX_ROUNDS];
	double bcpp_base[MAX_ROUNDS], bcpp_enf[MAX_ROUNDS], bpct_base[MAX_ROUNDS],
		bpct_enf[MAX_ROUNDS];
	uint64_t verdict_mismatch = 0, probe_frames = 0;
	enum mode cur = MODE_ENF;
	for (int k = 0; k < rounds; k++) {
		set_mode(cur, MODE_BASE);
		cur = MODE_BASE;
		run_phase(MODE_BASE, phase, &r, &w, NULL, NULL, probe_pos);
		mp_base[k] = r.mpps;
		idle_base[k] = r.idle_pct;
		busy_base[k] = r.rx_per_busy_loop;
		bcpp_base[k] = r.busy_cpp;
		bpct_base[k] = r.busy_pct;
		idle_max = fmax(idle_max, r.idle_pct);
		if (s->baseline_only) {
			set_mode(cur, MODE_IO);
			cur = MODE_IO;
			run_phase(MODE_IO, phase, &r, &w, NULL, NULL, probe_pos);
			mp_io[k] = r.mpps;
			ratio[k] = mp_base[k] / mp_io[k];
			continue;
		}
		set_mode(cur, MODE_ENF);
		cur = MODE_ENF;
		run_phase(MODE_ENF, phase, &r, &w, s->updates ? &upd : NULL, &upd_state, probe_pos);
		mp_enf[k] = r.mpps;
		idle_enf[k] = r.idle_pct;
		busy_enf[k] = r.rx_per_busy_loop;
		bcpp_enf[k] = r.busy_cpp;
		bpct_enf[k] = r.busy_pct;
		ratio[k] = r.mpps / mp_base[k];
		idle_max = fmax(idle_max, r.idle_pct);
		/* every frame of the phase was classified by the phase's generation(s): the
		 * stable frames' denials must equal the reference's count */
		uint64_t probe_denied = 0;
		if (s->updates) {
			probe_frames += r.probes;
			probe_denied = r.denied - r.exp_deny; /* attributed below */
		}
		if (!s->updates && r.denied != r.exp_deny)
			verdict_mismatch += r.denied > r.exp_deny ? r.denied - r.exp_deny
								  : r.exp_deny - r.denied;
		(void)probe_denied;
		tot.rx += r.rx;
		tot.denied += r.denied;
		tot.exp_deny += r.exp_deny;
		for (int i = 0; i < DP_DROP_COUNT_; i++)
			tot.drops[i] += r.drops[i];
		for (int i = 0; i < MG_R_COUNT_; i++)
			tot.reasons[i] += r.reasons[i];
	}
	set_mode(cur, MODE_ENF);
	if (s->updates && upd_state) { /* leave the image as built (no traffic: not counted) */
		static struct upd_stats scratch;
		update_now(&w, false, &scratch, probe_pos);
		upd_state = false;
	}

	/* results */
	json_t *drops = json_object(), *reasons = json_object();
	for (int i = 0; i < DP_DROP_COUNT_; i++)
		json_object_set_new(drops, dp_drop_str(i), json_integer((json_int_t)tot.drops[i]));
	for (int i = 0; i < MG_R_COUNT_; i++)
		if (tot.reasons[i])
			json_object_set_new(reasons, mg_reason_str(i),
					    json_integer((json_int_t)tot.reasons[i]));
	double *main_v = s->baseline_only ? mp_base : mp_enf;
	double *base_v = s->baseline_only ? mp_io : mp_base;
	double sv_main[MAX_ROUNDS], sv_base[MAX_ROUNDS], sv_ratio[MAX_ROUNDS];
	memcpy(sv_main, main_v, sizeof(double) * rounds);
	memcpy(sv_base, base_v, sizeof(double) * rounds);
	memcpy(sv_ratio, ratio, sizeof(double) * rounds);
	json_t *j_main = stats_of(sv_main, (uint32_t)rounds);
	json_t *j_base = stats_of(sv_base, (uint32_t)rounds);
	json_t *j_ratio = stats_of(sv_ratio, (uint32_t)rounds);
	double mpps = json_real_value(json_object_get(j_main, "median"));
	double bmpps = json_real_value(json_object_get(j_base, "median"));
	double hz = (double)rte_get_tsc_hz();
	size_t frame_bytes = 0;
	for (uint32_t i = 0; i < w.n_seq[0]; i++)
		frame_bytes += w.seq[0][i].len;
	uint64_t exp_allowed_stable = 0;
	for (int d = 0; d < 2; d++)
		for (uint32_t i = 0; i < w.n_seq[d]; i++)
			exp_allowed_stable += !w.seq[d][i].deny && !w.seq[d][i].probe;

	json_t *sc = json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:o,s:o,s:o,s:o,s:o}", "name", s->name,
			       "what", s->what, "mpps", mpps, "baseline_mpps", bmpps, "ratio",
			       bmpps > 0 ? mpps / bmpps : 0, "cycles_per_packet",
			       mpps > 0 ? hz / (mpps * 1e6) : 0, "baseline_cycles_per_packet",
			       bmpps > 0 ? hz / (bmpps * 1e6) : 0, "mpps_stats", j_main,
			       "baseline_mpps_stats", j_base, "ratio_stats", j_ratio, "drops",
			       drops, "reasons", reasons);
	json_object_set_new(sc, "baseline",
			    json_string(s->baseline_only
						? "plain io forwarding (rx burst -> tx burst) on "
						  "the worker lcore"
						: "mudgate-dp worker loop, enforcement off (no "
						  "generation)"));
	json_object_set_new(sc, "port", json_string("net_ring (in process)"));
	/* the worker's verdict cache over the whole scenario (all enforcement rounds) */
	if (vc) {
		json_t *vj = mb_vcache_json(&vc0, dp_vcache_stats(vc));
		json_object_set_new(vj, "entries_ipv4", json_integer(vcache_entries));
		json_object_set_new(vj, "bytes", json_integer((json_int_t)dp_vcache_bytes(vc)));
		json_object_set_new(sc, "verdict_cache", vj);
	} else {
		json_object_set_new(sc, "verdict_cache", json_null());
	}
	json_object_set_new(sc, "rounds", json_integer(rounds));
	json_object_set_new(sc, "phase_s", json_real(phase));
	json_object_set_new(sc, "max_idle_loop_pct", json_real(idle_max));
	/* the worker's loops that received nothing, per mode: a busy worker has few (the
	 * generator keeps up), a starved one many */
	json_object_set_new(sc, "idle_loop_pct", per_mode(s, idle_base, idle_enf, rounds));
	/* frames per loop that received any (2 ports x 32 at most): near 64, the worker is
	 * saturated; far below, it waits for the generator */
	json_object_set_new(sc, "rx_per_busy_loop", per_mode(s, busy_base, busy_enf, rounds));
	/* the worker's own cost: TSC cycles of its loops that received frames, per frame, and
	 * the share of the phase it spent in them (the rest: waiting for the generator) */
	json_object_set_new(sc, "worker_busy_cycles_per_packet",
			    per_mode(s, bcpp_base, bcpp_enf, rounds));
	json_object_set_new(sc, "worker_busy_pct", per_mode(s, bpct_base, bpct_enf, rounds));
	json_object_set_new(
		sc, "workload",
		json_pack("{s:i,s:i,s:i,s:i,s:f,s:i,s:s,s:i,s:i,s:f,s:b,s:f}", "devices",
			  (json_int_t)s->n_devices, "policies", (json_int_t)w.n_policies, "aces",
			  (json_int_t)w.n_aces, "rules", (json_int_t)n_rules, "aces_per_policy",
			  (double)w.n_aces / w.n_policies, "bases", (json_int_t)w.n_bases, "corpus",
			  w.corpus_note, "tcp_flows", (json_int_t)w.n_flows, "sequence_frames",
			  (json_int_t)(w.n_seq[0] + w.n_seq[1]), "allowed_share_expected",
			  (double)exp_allowed_stable / (w.n_seq[0] + w.n_seq[1]), "imix", s->imix,
			  "mean_frame_bytes", (double)frame_bytes / w.n_seq[0]));
	json_object_set_new(sc, "verdicts",
			    json_pack("{s:I,s:I,s:I,s:I}", "frames", (json_int_t)tot.rx, "denied",
				      (json_int_t)tot.denied, "reference_denied",
				      (json_int_t)tot.exp_deny, "mismatch",
				      (json_int_t)verdict_mismatch));
	json_object_set_new(sc, "image",
			    json_pack("{s:f,s:f,s:f,s:f,s:f,s:I}", "parse_validate_ms", w.parse_ms,
				      "compile_ms", w.compile_ms, "expand_finish_ms", w.expand_ms,
				      "generation_build_ms", gen_build_ms, "load_total_ms", load_ms,
				      "size_bytes", (json_int_t)w.size));
	json_object_set_new(sc, "memory",
			    json_pack("{s:I,s:f}", "generation_bytes",
				      (json_int_t)(h1 > h0 ? h1 - h0 : 0), "per_rule_bytes",
				      n_rules ? (double)(h1 > h0 ? h1 - h0 : 0) / n_rules : 0));
	json_object_set_new(sc, "stage_cycles_per_packet",
			    json_pack("{s:f,s:f,s:f}", "parse", stage_parse, "classify_burst",
				      stage_classify, "classify_burst_cached", stage_cached));
	if (w.n_flows)
		json_object_set_new(sc, "handshakes",
				    json_pack("{s:I,s:I}", "flows", (json_int_t)w.n_flows,
					      "flows_added",
					      (json_int_t)dp.workers[0].st.flow_added));
	if (s->updates) {
		uint64_t other = 0;
		for (int i = 0; i < DP_DROP_COUNT_; i++)
			if (i != DP_DROP_ACE_DROP && i != DP_DROP_DEFAULT_DENY)
				other += tot.drops[i];
		/* loss: frames received but neither transmitted nor denied by policy, plus
		 * stable frames denied beyond the reference's count (the probe's denials are
		 * at most the probe frames) */
		int64_t extra = (int64_t)tot.denied - (int64_t)tot.exp_deny - (int64_t)probe_frames;
		json_t *ju = json_pack(
			"{s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I}", "updates", (json_int_t)upd.n, "issued",
			(json_int_t)upd.issued, "missed", (json_int_t)upd.missed, "latency_ms",
			stats_of(upd.lat_ms, upd.n), "build_ms", stats_of(upd.build_ms, upd.n),
			"probe_frames", (json_int_t)probe_frames, "non_policy_drops",
			(json_int_t)other, "stable_denied_beyond_reference",
			(json_int_t)(extra > 0 ? extra : 0));
		json_object_set_new(ju, "load_call_ms", stats_of(upd.load_ms, upd.n));
		json_object_set_new(ju, "build_open_ms", stats_of(upd.open_ms, upd.n));
		json_object_set_new(ju, "build_diff_ms", stats_of(upd.diff_ms, upd.n));
		json_object_set_new(ju, "build_acl_ms", stats_of(upd.acl_ms, upd.n));
		json_object_set_new(ju, "build_cpu_ms", stats_of(upd.cpu_ms, upd.n));
		json_object_set_new(ju, "latency_from",
				    json_string("dp_ctrl_load() call (image arrival) to the first "
						"probe frame counted the new way"));
		json_object_set_new(ju, "overlay_policies_max",
				    json_integer(upd.overlay_policies_max));
		json_object_set_new(ju, "overlay_rules_max", json_integer(upd.overlay_rules_max));
		json_object_set_new(
			ju, "base",
			json_pack("{s:I,s:I,s:I,s:f}", "builds_on_load",
				  (json_int_t)(dp_ctrl_gen_stats.base_builds_sync - sync0),
				  "rebuilds_started",
				  (json_int_t)(dp_ctrl_gen_stats.base_rebuilds_started - started0),
				  "rebuilds_published",
				  (json_int_t)(dp_ctrl_gen_stats.base_rebuilds - rebuilt0),
				  "last_rebuild_ms", dp_ctrl_gen_stats.last_base_build_ms));
		if (!upd.n) {
			char note[200];
			snprintf(note, sizeof(note),
				 "no update observed: %u issued, %u not seen by a probe frame "
				 "within 1 s; latencies unavailable",
				 upd.issued, upd.missed);
			json_object_set_new(ju, "note", json_string(note));
			fprintf(stderr, "mudbench: %s: %s\n", s->name, note);
		}
		json_object_set_new(sc, "update", ju);
		if (upd.n)
			printf("mudbench: %s: %u updates, latency p50 %.2f ms p99 %.2f ms\n",
			       s->name, upd.n, upd.lat_ms[upd.n / 2],
			       upd.lat_ms[(uint32_t)ceil(0.99 * upd.n) - 1]);
	}
	json_array_append_new(out, sc);
	printf("mudbench: %s: %.2f Mpps, baseline %.2f Mpps, ratio %.3f, %.0f cycles/packet\n",
	       s->name, mpps, bmpps, bmpps > 0 ? mpps / bmpps : 0,
	       mpps > 0 ? hz / (mpps * 1e6) : 0);
	fflush(stdout);
	rc = 0;
out:
	G.m[0] = G.m[1] = NULL;
	free(mb0);
	free(mb1);
	for (int d = 0; d < 2; d++)
		free(cum[d][0]), free(cum[d][1]);
	/* leave no sequence mbuf in a ring: the pool is freed */
	wait_drained();
	rte_mempool_free(mp);
	mb_workload_free(&w);
	return rc;
}

/* Memory per device in the fast path: a device table of 10,000 bound devices. */
static double
mem_per_device(void)
{
	size_t h0 = heap_used();
	struct dp_devs *d = dp_devs_create("mb_devmem", 10000, 1, NULL);
	if (!d)
		return 0;
	for (uint32_t i = 0; i < 10000; i++) {
		uint8_t mac[6] = {0x02, 0x4d, 0x44, 0, (uint8_t)(i >> 8), (uint8_t)i};
		dp_devs_set(d, mac, 0, MG_STATE_ENFORCED);
	}
	size_t h1 = heap_used();
	dp_devs_destroy(d);
	return (double)(h1 - h0) / 10000.0;
}

static json_t *
machine(void)
{
	struct utsname u;
	char model[600] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10)) {
				char *c = strchr(line, ':');
				snprintf(model, sizeof(model), "%s", c ? c + 2 : line);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	uname(&u);
	return json_pack("{s:s,s:i,s:s,s:f,s:s,s:s,s:s}", "cpu", model, "cpus",
			 (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release, "tsc_hz",
			 (double)rte_get_tsc_hz(), "dpdk", rte_version(), "lcores",
			 "main 0@cpu0, worker 1@cpu1, generator 2@cpu0", "memory",
			 rte_eal_has_hugepages() ? "hugepages" : "--no-huge");
}

static bool
have_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long n = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n >= 512;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: mudbench --scenario NAME[,NAME...] [--duration SECONDS] [--rounds N] "
		   "--json FILE\n                [--pcap DIR]   (also write each scenario's frames "
		   "and image for pktgen)\n                [--min-updates N]   (S5: keep updating "
		   "past the phase, at most 10 s, until N were observed; default 3)\n"
		   "                [--verdict-cache N]   (the worker's verdict cache entries, as "
		   "mudgate-dp's option; 0: none)\nscenarios:\n");
	for (size_t i = 0; i < RTE_DIM(scenarios); i++)
		fprintf(f, "  %s  %s\n", scenarios[i].name, scenarios[i].what);
	fprintf(f, "ports:\n  --port ring    net_ring in process (default)\n  --port memif   "
		   "net_memif between processes: mudgate-dp as a child (--dp PATH, default: "
		   "next to mudbench); not S5\n");
}

int
main(int argc, char **argv)
{
	const char *list = NULL, *json_path = NULL;
	double duration = 10;
	int rounds = 5, status = 1;
	static const struct option opts[] = {
		{"scenario", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"rounds", required_argument, NULL, 'r'},
		{"json", required_argument, NULL, 'j'},
		{"pcap", required_argument, NULL, 'p'},
		{"min-updates", required_argument, NULL, 'u'},
		{"verdict-cache", required_argument, NULL, 'V'},
		{"port", required_argument, NULL, 'M'},
		{"dp", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *port = "ring", *dp_path = NULL;
	int c;
	if (argc > 1 && !strcmp(argv[1], "--memif-io-child")) /* mb_memif.c: S1's io forwarder */
		return mb_memif_io_child(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			list = optarg;
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'p':
			pcap_dir = optarg;
			break;
		case 'u':
			min_updates = (uint32_t)atoi(optarg);
			break;
		case 'V':
			vcache_entries = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'M':
			port = optarg;
			break;
		case 'X':
			dp_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!list || !json_path || duration <= 0 || rounds < 1 || rounds > MAX_ROUNDS ||
	    optind != argc || (strcmp(port, "ring") && strcmp(port, "memif"))) {
		usage(stderr);
		return 2;
	}
	const struct mb_scenario *sel[RTE_DIM(scenarios)];
	size_t n_sel = 0;
	char *l = strdup(list);
	for (char *save = NULL, *t = strtok_r(l, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < RTE_DIM(scenarios); i++)
			if (!strcasecmp(t, scenarios[i].name))
				break;
		if (i == RTE_DIM(scenarios) || n_sel == RTE_DIM(sel)) {
			fprintf(stderr, "mudbench: unknown scenario '%s'\n", t);
			usage(stderr);
			free(l);
			return 2;
		}
		sel[n_sel++] = &scenarios[i];
	}
	free(l);
	if (!strcmp(port, "memif"))
		return mb_memif_run(sel, n_sel, duration, rounds, json_path, dp_path);

	char *eal[16];
	int ne = 0;
	eal[ne++] = argv[0];
	ne = mb_eal_args(eal, ne, have_hugepages(), "3072", "0@0,1@1,2@0");
	eal[ne++] = "--log-level=user1:error";
	eal[ne] = NULL;
	optind = 1;
	if (rte_eal_init(ne, eal) < 0) {
		fprintf(stderr, "mudbench: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	/* the fast path's context, as main() of mudgate-dp builds it, with ring ports */
	dp.pool = rte_pktmbuf_pool_create("mg_pool", 8191, 256,
					  RTE_ALIGN(sizeof(struct dp_punt_meta), 8),
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	acc_rx = rte_ring_create("mb_acc_rx", RING_SIZE, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	acc_tx = rte_ring_create("mb_acc_tx", RING_SIZE, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	up_rx = rte_ring_create("mb_up_rx", RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	up_tx = rte_ring_create("mb_up_tx", RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	int acc = rte_eth_from_rings("mb_access", &acc_rx, 1, &acc_tx, 1, SOCKET_ID_ANY);
	int up = rte_eth_from_rings("mb_uplink", &up_rx, 1, &up_tx, 1, SOCKET_ID_ANY);
	if (!dp.pool || !acc_rx || !acc_tx || !up_rx || !up_tx || acc < 0 || up < 0) {
		fprintf(stderr, "mudbench: port setup failed: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	dp.n_workers = 1;
	dp.workers[0].lcore = worker_lcore;
	dp.ports[0] = (struct dp_port){.id = (uint16_t)acc, .role = DP_PORT_ACCESS};
	dp.ports[1] = (struct dp_port){.id = (uint16_t)up, .role = DP_PORT_UPLINK};
	dp.port_idx[acc] = 0;
	dp.port_idx[up] = 1;
	dp.n_ports = 2;
	dp.uplink = 1;
	char err[256];
	for (int i = 0; i < 2; i++)
		if (dp_port_setup(&dp.ports[i], 1, dp.pool, err, sizeof(err)) < 0) {
			fprintf(stderr, "mudbench: %s\n", err);
			goto out;
		}
	dp.rcu = rte_zmalloc("mb_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.rcu, 1);
	dp.pids = dp_pids_create(1u << 20);
	dp.punt_rate = 1000;
	dp.hold_timeout_ms = 500;
	dp.workers[0].flows = dp_flow_create("mb_flows", 65536, NULL, SOCKET_ID_ANY);
	/* the worker's lookup caches, as mudgate-dp sets them up */
	dp.workers[0].dcache =
		rte_zmalloc("mb_dev_cache", sizeof(*dp.workers[0].dcache), RTE_CACHE_LINE_SIZE);
	if (dp.workers[0].dcache && vcache_entries)
		dp.workers[0].dcache->vc = dp_vcache_create(
			vcache_entries, vcache_entries / DP_VCACHE_V6_DIV, SOCKET_ID_ANY);
	dp.workers[0].punt =
		rte_ring_create("mb_punt", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	dp.workers[0].inject =
		rte_ring_create("mb_inject", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!dp.rcu || !dp.pids || !dp.workers[0].flows || !dp.workers[0].punt ||
	    !dp.workers[0].dcache || (vcache_entries && !dp.workers[0].dcache->vc) ||
	    !dp.workers[0].inject || dp_ctrl_init(NULL, NULL, MAX_DEVS) < 0) {
		fprintf(stderr, "mudbench: fast path setup failed\n");
		goto out;
	}
	double per_dev = mem_per_device();

	G.rx[0] = acc_rx;
	G.rx[1] = up_rx;
	G.tx[0] = acc_tx;
	G.tx[1] = up_tx;
	rte_eal_remote_launch(dp_worker_main, &dp.workers[0], worker_lcore);
	rte_eal_remote_launch(gen_main, NULL, gen_lcore);

	json_t *doc = json_object(), *arr = json_array();
	json_t *mach = machine();
	json_object_set_new(mach, "device_table_bytes_per_device", json_real(per_dev));
	json_object_set_new(doc, "machine", mach);
	json_object_set_new(doc, "scenarios", arr);
	status = 0;
	for (size_t i = 0; i < n_sel; i++)
		if (run_scenario(sel[i], duration, rounds, arr) < 0)
			status = 1;
	if (json_dump_file(doc, json_path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		fprintf(stderr, "mudbench: cannot write %s\n", json_path);
		status = 1;
	}
	json_decref(doc);

	G.stop = true;
	dp.quit = true;
	rte_eal_mp_wait_lcore();
	dp_ctrl_fini();
out:
	rte_eal_cleanup();
	return status;
}

/* ---- shared with mb_memif.c (--port memif) ------------------------------------------------ */

json_t *
mb_stats_of(double *v, uint32_t n)
{
	return stats_of(v, n);
}

size_t
mb_heap_used(void)
{
	return heap_used();
}

void
mb_stage_cycles(const struct mb_workload *w, const struct dp_gen *g, double *parse_c,
		double *classify_c)
{
	stage_cycles(w, g, parse_c, classify_c);
}

double
mb_stage_cycles_cached(const struct mb_workload *w, const struct dp_gen *g)
{
	return stage_cycles_cached(w, g);
}

json_t *
mb_vcache_json(const struct dp_vcache_stats *a, const struct dp_vcache_stats *b)
{
	uint64_t h = b->hits - a->hits, m = b->misses - a->misses;
#define D(f) (json_int_t)(b->f - a->f)
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "hits", (json_int_t)h, "misses",
			 (json_int_t)m, "inserts", D(inserts), "uncacheable", D(uncacheable),
			 "flushes", D(flushes), "flow_changed", D(flow_changed), "moves", D(moves),
			 "evictions", D(evictions), "hit_rate",
			 h + m ? (double)h / (double)(h + m) : 0.0);
#undef D
}

int
mb_eal_args(char **v, int n, bool huge, const char *mem_mb, const char *lcores)
{
	if (huge) {
		v[n++] = "--in-memory";
	} else {
		v[n++] = "--no-huge"; /* implies legacy memory: no --in-memory */
		v[n++] = "--no-shconf";
		v[n++] = "-m";
		v[n++] = (char *)mem_mb;
	}
	v[n++] = "--no-pci";
	v[n++] = "--no-telemetry";
	v[n++] = "--lcores";
	v[n++] = (char *)lcores;
	v[n++] = "--log-level=lib.eal:error";
	return n;
}

json_t *
mb_machine(void)
{
	return machine();
}

double
mb_mem_per_device(void)
{
	return mem_per_device();
}

struct rte_mempool *
mb_seq_pool(const struct mb_scenario *s, uint32_t n)
{
	return seq_pool(s, n);
}

int
mb_fill_mbufs(struct rte_mempool *mp, const struct mb_frame *fr, uint32_t n, struct rte_mbuf **out)
{
	return fill_mbufs(mp, fr, n, out);
}

void
mb_export_pcaps(const struct mb_scenario *s, const struct mb_workload *w)
{
	if (pcap_dir)
		export_pcaps(s, w);
}
