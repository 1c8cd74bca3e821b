/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Update under traffic: a worker lcore classifies frames without pause through the published
 * generation (the workers' code path: dp_gen_get, dp_classify_burst, rte_rcu_qsbr_quiescent)
 * while the main lcore swaps images with dp_ctrl_load() (build aside, one atomic store, RCU
 * grace, free) and flips a device's lifecycle state in the live device table.
 *
 * Every verdict must be the reference's for the generation the worker used, with the device in
 * either of its two states; every frame submitted must come out classified. Loads are
 * incremental (changed policies in an overlay over a shared base); with the overlay limit at 0
 * every overlay is folded into a new base by the rebuild thread, and the image in force is
 * republished over it while the worker runs: some of those republications must happen.
 *
 * usage: dp_update_test [SWAPS [SEED]]   (default 2000 swaps)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "classify/dp_classify.h"
#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "dp_testgen.h"
#include "mg_classify.h"

#define N_IMAGES 6
#define N_FRAMES 1024

struct expect {
	uint8_t verdict, reason;
	uint32_t ace;
};

static void *blobs[N_IMAGES];
static size_t sizes[N_IMAGES];
static uint8_t frames[N_FRAMES][256];
static size_t lens[N_FRAMES];
static struct expect exp_[N_IMAGES][2][N_FRAMES];
static uint8_t flip_mac[6];
static volatile bool stop;
static uint64_t n_classified, n_mismatch, n_bursts, gens_seen;

static int
worker(void *arg)
{
	static struct dp_dev_cache dcache;
	struct dp_pkt pk[DP_BURST_MAX];
	uint32_t next = 0;
	uint64_t last_gen = 0;

	(void)arg;
	rte_rcu_qsbr_thread_register(dp.rcu, 0);
	rte_rcu_qsbr_thread_online(dp.rcu, 0);
	while (!stop) {
		const struct dp_gen *g = dp_gen_get();
		uint32_t idx[DP_BURST_MAX];
		if (!g) {
			rte_rcu_qsbr_quiescent(dp.rcu, 0);
			continue;
		}
		for (uint32_t i = 0; i < DP_BURST_MAX; i++) {
			idx[i] = next;
			dp_parse(&pk[i], frames[next], (uint32_t)lens[next]);
			next = (next + 1) % N_FRAMES;
		}
		dp_classify_burst_cached(g, g->devs, &dcache, NULL, pk, DP_BURST_MAX,
					 &dp.workers[0].st, 0, 1);
		uint32_t k = (uint32_t)((g->generation - 1) % N_IMAGES);
		for (uint32_t i = 0; i < DP_BURST_MAX; i++) {
			const struct expect *a = &exp_[k][0][idx[i]], *b = &exp_[k][1][idx[i]];
			bool ok_a = a->verdict == pk[i].verdict && a->reason == pk[i].reason &&
				    a->ace == pk[i].ace;
			bool ok_b = b->verdict == pk[i].verdict && b->reason == pk[i].reason &&
				    b->ace == pk[i].ace;
			if (!ok_a && !ok_b && n_mismatch++ < 10)
				fprintf(stderr,
					"MISMATCH gen %" PRIu64 " frame %u: got %s/%s ace %u, want "
					"%s ace %u or %s ace %u\n",
					g->generation, idx[i], pk[i].verdict ? "deny" : "allow",
					mg_reason_str(pk[i].reason), pk[i].ace,
					mg_reason_str(a->reason), a->ace, mg_reason_str(b->reason),
					b->ace);
		}
		if (g->generation != last_gen) {
			gens_seen++;
			last_gen = g->generation;
		}
		n_classified += DP_BURST_MAX;
		n_bursts++;
		rte_rcu_qsbr_quiescent(dp.rcu, 0);
	}
	rte_rcu_qsbr_thread_offline(dp.rcu, 0);
	rte_rcu_qsbr_thread_unregister(dp.rcu, 0);
	return 0;
}

/* The reference verdicts of every frame for image blob (optionally with flip_mac's state
 * changed to `state`). */
static int
reference(const void *blob, size_t size, int state, struct expect *out)
{
	void *copy = aligned_alloc(8, (size + 7) & ~(size_t)7);
	struct mgi_image img;
	char err[256];

	memcpy(copy, blob, size);
	if (mgi_open(&img, copy, size, err, sizeof(err)) < 0)
		return -1;
	if (state >= 0) {
		struct mgi_device *d = (struct mgi_device *)mgi_find_device(&img, flip_mac);
		if (d) {
			d->state = (uint8_t)state;
			struct mgi_header *h = copy;
			h->checksum = mgi_checksum(copy, size);
			if (mgi_open(&img, copy, size, err, sizeof(err)) < 0)
				return -1;
		}
	}
	for (uint32_t i = 0; i < N_FRAMES; i++) {
		struct mg_pkt p;
		struct mg_result r;
		mg_pkt_parse(&p, frames[i], lens[i]);
		mg_classify_frame(&img, &p, NULL, &r);
		out[i] = (struct expect){(uint8_t)r.verdict, (uint8_t)r.reason, r.ace};
	}
	free(copy);
	return 0;
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0,1",
		       "-m",
		       "512",
		       "--log-level=lib.eal:error",
		       "--log-level=user1:warning",
		       "--no-telemetry",
		       NULL};
	uint64_t swaps = 2000, seed = 77, flips = 0;
	char err[256];
	struct tg *t;

	if (argc > 1)
		swaps = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	if (rte_eal_init(11, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	unsigned int wl = rte_get_next_lcore(-1, 1, 0);
	if (wl >= RTE_MAX_LCORE) {
		fprintf(stderr, "need a worker lcore\n");
		return 1;
	}
	t = malloc(sizeof(*t));
	tg_init(t, seed);
	memcpy(flip_mac, t->macs[0], 6);
	for (int k = 0; k < N_IMAGES; k++)
		if (tg_image(t, &blobs[k], &sizes[k], 5, 8) < 0)
			return 1;
	for (uint32_t i = 0; i < N_FRAMES; i++) {
		struct mgi_image img;
		mgi_open(&img, blobs[i % N_IMAGES], sizes[i % N_IMAGES], err, sizeof(err));
		lens[i] = tg_frame_image(t, &img, frames[i]);
	}
	for (int k = 0; k < N_IMAGES; k++) {
		struct mgi_image img;
		mgi_open(&img, blobs[k], sizes[k], err, sizeof(err));
		const struct mgi_device *d = mgi_find_device(&img, flip_mac);
		int other = d && d->state == MG_STATE_QUARANTINED ? MG_STATE_ENFORCED
								  : MG_STATE_QUARANTINED;
		if (reference(blobs[k], sizes[k], -1, exp_[k][0]) < 0 ||
		    reference(blobs[k], sizes[k], other, exp_[k][1]) < 0) {
			fprintf(stderr, "reference failed\n");
			return 1;
		}
	}

	dp.n_workers = 1;
	dp.rcu = rte_zmalloc("rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.rcu, 1);
	dp.pids = dp_pids_create(1024);
	dp_overlay_limits.max_policies = 0; /* every overlay: a base rebuild on its thread */
	if (dp_ctrl_init(NULL, NULL, 1024) < 0)
		return 1;
	if (dp_ctrl_load(blobs[0], sizes[0], 0, false, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "load: %s\n", err);
		return 1;
	}
	rte_eal_remote_launch(worker, NULL, wl);

	for (uint64_t s = 1; s <= swaps; s++) {
		uint32_t k = (uint32_t)(s % N_IMAGES); /* generation s + 1 -> image s % N */
		if (dp_ctrl_load(blobs[k], sizes[k], 0, false, false, err, sizeof(err)) < 0) {
			fprintf(stderr, "swap %" PRIu64 ": %s\n", s, err);
			stop = true;
			break;
		}
		struct mgi_image img;
		mgi_open(&img, blobs[k], sizes[k], err, sizeof(err));
		const struct mgi_device *d = mgi_find_device(&img, flip_mac);
		if (d) {
			int other = d->state == MG_STATE_QUARANTINED ? MG_STATE_ENFORCED
								     : MG_STATE_QUARANTINED;
			for (int f = 0; f < 4; f++) {
				dp_devs_set_state(dp.gen->devs, flip_mac,
						  (uint8_t)(f % 2 ? d->state : other));
				flips++;
				rte_delay_us_block(20);
				dp_ctrl_maintain();
			}
		}
	}
	/* the last rebuild, if one runs, is published before the end */
	for (int i = 0; i < 2000 && dp_ctrl_gen_stats.base_rebuilds_started >
					    dp_ctrl_gen_stats.base_rebuilds +
						    dp_ctrl_gen_stats.base_rebuild_failures;
	     i++) {
		rte_delay_us_block(1000);
		dp_ctrl_maintain();
	}
	rte_delay_us_block(10000);
	stop = true;
	rte_eal_mp_wait_lcore();
	uint64_t allowed = dp.workers[0].st.allowed, denied = dp.workers[0].st.denied;
	printf("dp_update_test: %" PRIu64 " swaps, %" PRIu64 " state flips, worker saw %" PRIu64
	       " generations, %" PRIu64 " frames classified (%" PRIu64 " allowed + %" PRIu64
	       " denied), %" PRIu64 " mismatches\n",
	       swaps, flips, gens_seen, n_classified, allowed, denied, n_mismatch);
	printf("  bases: %" PRIu64 " built by a load, %" PRIu64 " rebuilds started, %" PRIu64
	       " republished, %" PRIu64 " failed\n",
	       dp_ctrl_gen_stats.base_builds_sync, dp_ctrl_gen_stats.base_rebuilds_started,
	       dp_ctrl_gen_stats.base_rebuilds, dp_ctrl_gen_stats.base_rebuild_failures);
	int fail = n_mismatch != 0 || allowed + denied != n_classified || gens_seen < 2 ||
		   !dp_ctrl_gen_stats.base_rebuilds || dp_ctrl_gen_stats.base_rebuild_failures;
	struct dp_gen *g = dp.gen;
	dp.gen = NULL;
	if (g) {
		struct dp_devs *d = g->devs;
		g->devs = NULL;
		dp_gen_destroy(g);
		dp_devs_destroy(d);
	}
	dp_ctrl_fini();
	dp_pids_destroy(dp.pids);
	rte_free(dp.rcu);
	for (int k = 0; k < N_IMAGES; k++)
		free(blobs[k]);
	free(t);
	rte_eal_cleanup();
	return fail;
}
