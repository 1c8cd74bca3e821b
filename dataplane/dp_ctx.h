/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process-wide context of mudgate-dp: ports, workers, the published generation, the
 * device table, counters and the punt rings. Written at startup by main(); afterwards the
 * control thread (main lcore) is the only writer of everything except each worker's own
 * struct dp_worker (written by that worker only).
 */
#ifndef DP_CTX_H
#define DP_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "classify/dp_classify.h"
#include "flow/dp_flow.h"
#include "policy/dp_policy.h"
#include "telemetry/dp_stats.h"

#define DP_MAX_PORTS   16
#define DP_MAX_WORKERS 32
#define DP_LEARN_SIZE  4096 /* MAC learning cache entries (power of two) */

enum dp_port_role {
	DP_PORT_ACCESS = 0,
	DP_PORT_UPLINK = 1,
};

struct dp_port {
	uint16_t id;  /* DPDK port id */
	uint8_t role; /* enum dp_port_role */
	uint16_t n_rxq, n_txq;
	char name[64];
};

/* Per worker, written by that worker only (except the rings, single producer/consumer). */
struct __rte_cache_aligned dp_worker {
	unsigned int lcore;
	uint32_t index;
	struct dp_flow_table *flows;
	struct dp_dev_cache *dcache; /* device lookups (classify/dp_classify.h) */
	struct rte_ring *punt;       /* worker -> control: punted/held frames (SP/SC) */
	struct rte_ring *inject;     /* control -> worker: released frames to transmit (SP/SC) */
	struct dp_wstats st;
	uint64_t last_rx_tsc;           /* for --drain-exit */
	uint64_t punt_tokens, punt_tsc; /* token bucket */
	bool done;
};

/* An mbuf queued to the control thread: the metadata lives in the mbuf's private area. */
struct dp_punt_meta {
	uint64_t hold;     /* 1: held (forward on release), 0: a copy */
	uint16_t port;     /* rx port id */
	uint16_t out_port; /* with hold: where to transmit on release (UINT16_MAX: flood) */
	uint8_t kind;      /* enum mg_ctrl_punt_kind */
};

struct dp_ctx {
	struct dp_port ports[DP_MAX_PORTS];
	uint16_t n_ports;
	uint16_t uplink;                     /* index in ports[] */
	uint16_t port_idx[RTE_MAX_ETHPORTS]; /* DPDK port id -> index in ports[] */
	struct dp_worker workers[DP_MAX_WORKERS];
	uint32_t n_workers;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *rcu;
	struct dp_gen *gen; /* published generation: __atomic load acquire / store release */
	struct dp_devs *devs;
	struct dp_pids *pids;
	uint64_t learn[DP_LEARN_SIZE]; /* mac << 16 | port index + 1, relaxed atomic words */
	volatile bool quit;
	bool drain_exit;
	bool punt_listener; /* a control client wants punts: hold DNS answers, copy punts */
	uint32_t punt_rate; /* punts per second per worker */
	uint32_t hold_timeout_ms;
	struct dp_dev_ctr *dev_base; /* counters at bind time, per position (control thread) */
};

extern struct dp_ctx dp;

static inline struct dp_gen *
dp_gen_get(void)
{
	return __atomic_load_n(&dp.gen, __ATOMIC_ACQUIRE);
}

#endif /* DP_CTX_H */
