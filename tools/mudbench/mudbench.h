/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudbench: the benchmark of mudgate-dp (docs/performance.md).
 *
 * The workload (mb_workload.c): corpus MUD files compiled by the project's compiler
 * (control/compile/cmp.h) into base policies, expanded into P per-policy variants (distinct MUD
 * URL, distinct dnsname addresses), N devices bound round-robin, and frame sequences whose
 * expected verdicts come from the reference classifier (common/mg_classify.h).
 */
#ifndef MUDBENCH_H
#define MUDBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_classify.h"
#include "mg_image.h"

struct mb_scenario {
	const char *name;
	const char *what;
	uint32_t n_devices;
	uint32_t n_policies;
	uint32_t tcp_pct;   /* share of frames in direction-initiated TCP flows */
	bool imix;          /* 7:4:1 of 64, 594, 1518 B on the wire, else 64 B */
	bool updates;       /* one policy replaced every 100 ms during the measured phases */
	bool big;           /* the 2,000-ACE P4Ward equivalent policy */
	bool baseline_only; /* S1: enforcement off vs plain io forwarding */
};

/* One frame of a sequence. */
struct mb_frame {
	uint8_t *data;
	uint16_t len;
	bool deny;  /* the reference's verdict (stable frames) */
	bool probe; /* the update probe (S5): verdict depends on the generation */
};

struct mb_workload {
	void *blob; /* the enforced image */
	size_t size;
	struct mgi_image img;
	void *blob_b; /* S5: the same image with the probe policy replaced */
	size_t size_b;
	uint32_t n_policies, n_aces, n_rules_est, n_bases, n_devices;
	double parse_ms;   /* parse + validate the corpus files (once per MUD file) */
	double compile_ms; /* compile the base files (cmp) */
	double expand_ms;  /* variants, devices, mgi_builder_finish */
	/* sequences: [0] enters on the access port (from devices), [1] on the uplink */
	struct mb_frame *seq[2];
	uint32_t n_seq[2];
	/* TCP handshakes (S3): SYN (access), SYN-ACK (uplink), ACK (access) of each flow */
	struct mb_frame *hs[3];
	uint32_t n_flows;
	uint32_t n_tcp_frames;
	uint8_t probe_mac[6];
	uint8_t *arena;
	char corpus_note[256];
};

/* Builds the workload of s. Paths: the source tree. 0 or a negative errno (message on stderr). */
int mb_workload_build(const struct mb_scenario *s, const char *src_dir, uint32_t seq_len,
		      struct mb_workload *w);
void mb_workload_free(struct mb_workload *w);

uint64_t mb_now_ns(void);

/* ---- --port memif (mb_memif.c) ----------------------------------------------------------- */

struct dp_gen;
struct rte_mbuf;
struct rte_mempool;
typedef struct json_t json_t;

/* Runs the scenarios over net_memif against mudgate-dp in a child process (dp_path: the binary,
 * NULL for the one next to mudbench) and writes the JSON report. Exit status: 0, 1 (a scenario
 * or the report failed), 2 (usage: a scenario that needs in-process hooks, no mudgate-dp). */
int mb_memif_run(const struct mb_scenario *const *sel, size_t n_sel, double duration, int rounds,
		 const char *json_path, const char *dp_path);
/* "mudbench --memif-io-child EAL... -- COUNTERS_FILE": plain io forwarding between two memif
 * server ports (S1's baseline over memif); counters in the shared file. */
int mb_memif_io_child(int argc, char **argv);

/* Helpers of mudbench.c that mb_memif.c shares (see there). */
json_t *mb_stats_of(double *v, uint32_t n); /* sorts v; {min, median, p99, max, n} or null */
size_t mb_heap_used(void);
void mb_stage_cycles(const struct mb_workload *w, const struct dp_gen *g, double *parse_c,
		     double *classify_c);
double mb_stage_cycles_cached(const struct mb_workload *w, const struct dp_gen *g);
struct dp_vcache_stats;
/* A verdict cache's counters from snapshot a to snapshot b, with the hit rate. */
json_t *mb_vcache_json(const struct dp_vcache_stats *a, const struct dp_vcache_stats *b);
/* Appends the EAL arguments every mudbench process and child shares to v[n...]: memory
 * (hugepages in memory, else --no-huge with mem_mb MB), no PCI, no telemetry, the lcore map,
 * EAL logs at error. Returns the new count. */
int mb_eal_args(char **v, int n, bool huge, const char *mem_mb, const char *lcores);
json_t *mb_machine(void);
double mb_mem_per_device(void);
struct rte_mempool *mb_seq_pool(const struct mb_scenario *s, uint32_t n);
int mb_fill_mbufs(struct rte_mempool *mp, const struct mb_frame *fr, uint32_t n,
		  struct rte_mbuf **out);
void mb_export_pcaps(const struct mb_scenario *s, const struct mb_workload *w); /* if --pcap */

#endif /* MUDBENCH_H */
