/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudgate-dp: the DPDK fast path.
 *
 *   mudgate-dp [EAL args] -- --access PORTS --uplink PORT [--image FILE] [--ctrl SOCKET]
 *              [--state-dir DIR] [--workers N] [--drain-exit] [--max-devices N]
 *              [--max-flows N] [--verdict-cache N] [--punt-rate N] [--hold-timeout-ms N]
 *
 * The main lcore is the control thread; every other lcore (up to --workers) is a worker.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "bridge/dp_bridge.h"
#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "mg_image.h"
#include "port/dp_port.h"

static void
on_signal(int sig)
{
	(void)sig;
	dp.quit = true;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: mudgate-dp [EAL args] -- --access PORT[,PORT...] --uplink PORT\n"
		   "         [--image FILE] [--ctrl SOCKET] [--state-dir DIR] [--workers N]\n"
		   "         [--drain-exit] [--max-devices N] [--max-flows N] [--punt-rate N]\n"
		   "         [--verdict-cache N] [--hold-timeout-ms N]\n"
		   "PORT is a DPDK port id or a device name (net_pcap0). See docs/dataplane.md.\n");
}

static int
add_port(const char *spec, uint8_t role)
{
	uint16_t id;
	if (dp_port_resolve(spec, &id) < 0) {
		fprintf(stderr, "mudgate-dp: port '%s': no such DPDK port\n", spec);
		return -ENODEV;
	}
	for (uint16_t i = 0; i < dp.n_ports; i++)
		if (dp.ports[i].id == id) {
			fprintf(stderr, "mudgate-dp: port '%s' given twice\n", spec);
			return -EINVAL;
		}
	if (dp.n_ports == DP_MAX_PORTS) {
		fprintf(stderr, "mudgate-dp: more than %d ports\n", DP_MAX_PORTS);
		return -E2BIG;
	}
	dp.ports[dp.n_ports] = (struct dp_port){.id = id, .role = role};
	dp.port_idx[id] = dp.n_ports;
	if (role == DP_PORT_UPLINK)
		dp.uplink = dp.n_ports;
	dp.n_ports++;
	return 0;
}

static unsigned long
num_arg(const char *name, const char *v, unsigned long min, unsigned long max)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || !*v || *end || n < min || n > max) {
		fprintf(stderr, "mudgate-dp: %s '%s': want an integer in [%lu, %lu]\n", name, v,
			min, max);
		exit(2);
	}
	return n;
}

int
main(int argc, char **argv)
{
	const char *access = NULL, *uplink = NULL, *image = NULL, *ctrl = NULL, *state = NULL;
	unsigned long workers = 0, max_devices = 16384, max_flows = 65536,
		      vcache = DP_VCACHE_DEFAULT;
	char err[512] = "";
	int rc, status = 1;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "mudgate-dp: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	dp.punt_rate = 1000;
	dp.hold_timeout_ms = 500;

	static const struct option opts[] = {
		{"access", required_argument, NULL, 'a'},
		{"uplink", required_argument, NULL, 'u'},
		{"image", required_argument, NULL, 'i'},
		{"ctrl", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"workers", required_argument, NULL, 'w'},
		{"drain-exit", no_argument, NULL, 'd'},
		{"max-devices", required_argument, NULL, 'D'},
		{"max-flows", required_argument, NULL, 'F'},
		{"verdict-cache", required_argument, NULL, 'V'},
		{"punt-rate", required_argument, NULL, 'P'},
		{"hold-timeout-ms", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			access = optarg;
			break;
		case 'u':
			uplink = optarg;
			break;
		case 'i':
			image = optarg;
			break;
		case 'c':
			ctrl = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'w':
			workers = num_arg("--workers", optarg, 1, DP_MAX_WORKERS);
			break;
		case 'd':
			dp.drain_exit = true;
			break;
		case 'D':
			max_devices = num_arg("--max-devices", optarg, 16, 1ul << 24);
			break;
		case 'F':
			max_flows = num_arg("--max-flows", optarg, 64, 1ul << 26);
			break;
		case 'V':
			vcache = num_arg("--verdict-cache", optarg, 0, 1ul << 24);
			break;
		case 'P':
			dp.punt_rate = (uint32_t)num_arg("--punt-rate", optarg, 1, 1000000);
			break;
		case 'H':
			dp.hold_timeout_ms =
				(uint32_t)num_arg("--hold-timeout-ms", optarg, 1, 60000);
			break;
		case 'h':
			usage(stdout);
			rte_eal_cleanup();
			return 0;
		default:
			usage(stderr);
			rte_eal_cleanup();
			return 2;
		}
	}
	if (!access || !uplink || optind != argc) {
		usage(stderr);
		rte_eal_cleanup();
		return 2;
	}

	/* ports */
	char *list = strdup(access);
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (add_port(tok, DP_PORT_ACCESS) < 0)
			goto out_eal;
	free(list);
	list = NULL;
	if (add_port(uplink, DP_PORT_UPLINK) < 0)
		goto out_eal;

	/* workers: every lcore but the main one, at most --workers */
	unsigned int lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (workers && dp.n_workers == workers)
			break;
		if (dp.n_workers == DP_MAX_WORKERS)
			break;
		dp.workers[dp.n_workers].lcore = lcore;
		dp.workers[dp.n_workers].index = dp.n_workers;
		dp.n_workers++;
	}
	if (dp.n_workers == 0) {
		fprintf(stderr, "mudgate-dp: no worker lcore: give EAL at least two (-l 0,1)\n");
		goto out_eal;
	}

	unsigned int n_mbufs = RTE_MAX(8191u, dp.n_ports * dp.n_workers * 2048u + 4096u);
	dp.pool = rte_pktmbuf_pool_create("mg_pool", n_mbufs, 256,
					  RTE_ALIGN(sizeof(struct dp_punt_meta), 8),
					  RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!dp.pool) {
		fprintf(stderr, "mudgate-dp: mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out_eal;
	}
	size_t rcu_size = rte_rcu_qsbr_get_memsize(dp.n_workers);
	dp.rcu = rte_zmalloc("mg_rcu", rcu_size, RTE_CACHE_LINE_SIZE);
	if (!dp.rcu || rte_rcu_qsbr_init(dp.rcu, dp.n_workers) < 0) {
		fprintf(stderr, "mudgate-dp: RCU init failed\n");
		goto out_eal;
	}
	dp.pids = dp_pids_create(1u << 20);
	if (!dp.pids)
		goto out_eal;
	for (uint32_t w = 0; w < dp.n_workers; w++) {
		char name[32];
		struct dp_worker *wk = &dp.workers[w];
		snprintf(name, sizeof(name), "mg_flows_%u", w);
		wk->flows = dp_flow_create(name, (uint32_t)max_flows, NULL,
					   (int)rte_lcore_to_socket_id(wk->lcore));
		snprintf(name, sizeof(name), "mg_punt_%u", w);
		wk->punt =
			rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "mg_inject_%u", w);
		wk->inject =
			rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		wk->dcache =
			rte_zmalloc_socket("mg_dev_cache", sizeof(*wk->dcache), RTE_CACHE_LINE_SIZE,
					   (int)rte_lcore_to_socket_id(wk->lcore));
		if (wk->dcache && vcache)
			wk->dcache->vc = dp_vcache_create((uint32_t)vcache,
							  (uint32_t)(vcache / DP_VCACHE_V6_DIV),
							  (int)rte_lcore_to_socket_id(wk->lcore));
		if (!wk->flows || !wk->punt || !wk->inject || !wk->dcache ||
		    (vcache && !wk->dcache->vc)) {
			fprintf(stderr, "mudgate-dp: worker %u tables: %s\n", w,
				rte_strerror(rte_errno));
			goto out_eal;
		}
	}
	for (uint16_t i = 0; i < dp.n_ports; i++) {
		if (dp_port_setup(&dp.ports[i], dp.n_workers, dp.pool, err, sizeof(err)) < 0) {
			fprintf(stderr, "mudgate-dp: %s\n", err);
			goto out_eal;
		}
	}

	/* control side and the first generation: the state directory wins over --image (it
	 * holds what the control plane pushed last) */
	rc = dp_ctrl_init(ctrl, state, (uint32_t)max_devices);
	if (rc < 0) {
		fprintf(stderr, "mudgate-dp: control socket %s / state dir %s: %s\n",
			ctrl ? ctrl : "-", state ? state : "-", strerror(-rc));
		goto out_ports;
	}
	rc = dp_ctrl_restore(err, sizeof(err));
	if (rc == 0) {
		printf("mudgate-dp: restored generation %" PRIu64 " from %s\n", dp.gen->generation,
		       state);
	} else if (rc != -ENOENT) {
		fprintf(stderr, "mudgate-dp: state dir %s: %s\n", state, err);
	}
	if (!dp.gen && image) {
		size_t size;
		void *blob = mg_read_file(image, MGI_MAX_SIZE, &size);
		if (!blob) {
			fprintf(stderr, "mudgate-dp: %s: %s\n", image, strerror(errno));
			goto out_ctrl;
		}
		rc = dp_ctrl_load(blob, size, 0, false, true, err, sizeof(err));
		free(blob);
		if (rc < 0) {
			fprintf(stderr, "mudgate-dp: %s: %s\n", image, err);
			goto out_ctrl;
		}
	}
	if (!dp.gen)
		fprintf(stderr, "mudgate-dp: warning: no image yet: frames pass unclassified\n");
	else
		printf("mudgate-dp: generation %" PRIu64 ": %u policies, %u devices, %u+%u rules "
		       "(built in %.1f ms)\n",
		       dp.gen->generation, dp.gen->img.n_policies, dp.gen->devs->n,
		       dp.gen->n_rules[0], dp.gen->n_rules[1], dp.gen->build_ms);
	if (dp_telemetry_init() < 0)
		fprintf(stderr, "mudgate-dp: warning: telemetry commands not registered\n");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (uint32_t w = 0; w < dp.n_workers; w++)
		rte_eal_remote_launch(dp_worker_main, &dp.workers[w], dp.workers[w].lcore);
	printf("mudgate-dp: %u ports, %u workers, forwarding\n", dp.n_ports, dp.n_workers);
	fflush(stdout);

	while (!dp.quit) {
		dp_ctrl_poll(10);
		if (dp.drain_exit) {
			bool all = true;
			for (uint32_t w = 0; w < dp.n_workers; w++)
				all &= __atomic_load_n(&dp.workers[w].done, __ATOMIC_ACQUIRE);
			if (all)
				break;
		}
	}
	dp.quit = true;
	rte_eal_mp_wait_lcore();
	dp_ctrl_poll(0); /* last punts and releases */
	status = 0;

	{
		size_t len;
		char *j = dp_counters_json(&len);
		if (j) {
			printf("mudgate-dp: counters %s\n", j);
			free(j);
		}
	}
out_ctrl:
	dp_ctrl_fini();
out_ports:
	for (uint16_t i = 0; i < dp.n_ports; i++)
		dp_port_close(&dp.ports[i]);
out_eal:
	free(list);
	if (dp.gen) {
		struct dp_devs *d = dp.gen->devs;
		dp.gen->devs = NULL;
		dp_gen_destroy(dp.gen);
		dp.gen = NULL;
		if (d && --d->refs == 0)
			dp_devs_destroy(d);
	}
	for (uint32_t w = 0; w < dp.n_workers; w++) {
		struct rte_mbuf *m = NULL;
		while (dp.workers[w].inject &&
		       rte_ring_dequeue(dp.workers[w].inject, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (dp.workers[w].punt && rte_ring_dequeue(dp.workers[w].punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		dp_flow_destroy(dp.workers[w].flows);
		if (dp.workers[w].dcache)
			dp_vcache_destroy(dp.workers[w].dcache->vc);
		rte_free(dp.workers[w].dcache);
		rte_ring_free(dp.workers[w].punt);
		rte_ring_free(dp.workers[w].inject);
	}
	dp_pids_destroy(dp.pids);
	rte_free(dp.rcu);
	rte_mempool_free(dp.pool);
	rte_eal_cleanup();
	return status;
}
