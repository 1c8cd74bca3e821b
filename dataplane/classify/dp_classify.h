/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst classification: the whole enforcement decision of mudgate-dp for up to DP_BURST_MAX
 * parsed frames, with the semantics of mg_classify_frame() (mg_classify.h):
 *
 *   1. one bulk device-table lookup for the distinct source and destination MACs of the burst
 *      (a burst's frames mostly share the gateway's MAC on one side);
 *   2. per side (source device from-device, destination device to-device): profile, malformed,
 *      allowances, policy selection, Ethernet ACEs -- or an rte_acl key;
 *   3. one rte_acl_classify() call per family for the whole burst, whatever the mix of devices
 *      and policies (the policy and direction are exact-match fields of the key);
 *   4. in frame order: direction-initiated resolution against the worker's flow table, the
 *      both-sides rule, counters, and recording of new flows.
 *
 * Workers and the differential test call the same function. Called by one thread per flow
 * table and stats block; the generation and device table are only read.
 */
#ifndef DP_CLASSIFY_H
#define DP_CLASSIFY_H

#include <stdint.h>

#include "classify/dp_parse.h"
#include "flow/dp_flow.h"
#include "policy/dp_policy.h"
#include "telemetry/dp_stats.h"
#include "mg_classify.h"

/*
 * A worker's cache of device-table lookups: MAC -> position, or absent. Entries are valid for
 * one value of the table's epoch (bumped by every MAC added or deleted); a positive entry is
 * used only while the position still holds that MAC (struct dp_dev_slot.mac) and a valid slot,
 * so a position freed and handed to another MAC is never taken for the old one. Owned by one
 * thread; zero-initialised.
 */
#define DP_DEV_CACHE_SIZE 8192 /* entries (power of two), 16 bytes each */

struct dp_dev_cache_ent {
	uint64_t mac;
	int32_t pos; /* < 0: not in the table */
	uint32_t stamp;
};

struct dp_vcache;

struct dp_dev_cache {
	uint64_t epoch; /* the table epoch the entries of `stamp` belong to */
	uint32_t stamp; /* entries with another stamp are empty */
	uint64_t hits, misses;
	struct dp_vcache *vc; /* the worker's verdict cache, or NULL (none) */
	struct dp_dev_cache_ent e[DP_DEV_CACHE_SIZE];
};

/*
 * A worker's verdict cache: the exact decision of an earlier frame with the same inputs, so
 * that the frames of a known conversation skip the device lookups, the per-side steps and
 * rte_acl (the role of the exact-match cache in OVS-DPDK).
 *
 * Key: everything an IP frame's verdict depends on besides the generation and the bindings:
 * both MACs, the family, and the rte_acl key fields (protocol, meta flags, TCP flags or ICMP
 * type, addresses, ports or ICMP code). Value: verdict, reason, deciding policy and ACE, the
 * ACEs whose counters the frame moves, and the device table positions of both sides.
 *
 * Exactness: entries carry a stamp valid for one generation (dp_gen.uid) and one value of
 * the device table's epoch, which every binding change bumps; any change empties the cache.
 * Recorded: IPv4 and IPv6 frames that are not malformed and do not open a direction-initiated
 * flow. When a reverse direction-initiated ACE could decide a frame, the entry also records
 * the flow-table lookups made and their answers: a hit repeats those lookups (refreshing the
 * flows as the full path does) and is used only when the answers are the same. The others
 * always take the full path. Two candidate entries per key (two hash positions), one cache line per
 * IPv4 entry and two per IPv6 entry. Owned by one thread.
 */
struct dp_vcache_stats {
	uint64_t hits, misses, inserts, uncacheable, flushes;
	uint64_t flow_changed; /* of misses: an entry whose flow-table answers no longer hold */
	uint64_t moves;        /* entries moved to their other candidate to make room */
	uint64_t evictions;    /* entries dropped to make room */
};

/* mudgate-dp's default (--verdict-cache): IPv4 entries per worker, and how many fewer IPv6 ones
 * (two cache lines each). 25 % load at 65,536 conversations: two-candidate cuckoo hashing
 * loses keys from 50 %. */
#define DP_VCACHE_DEFAULT 262144
#define DP_VCACHE_V6_DIV  8

/* entries4 / entries6: entries per family, rounded up to a power of two (0: that family is
 * not cached). NULL with rte_errno on failure. */
struct dp_vcache *dp_vcache_create(uint32_t entries4, uint32_t entries6, int socket_id);
void dp_vcache_destroy(struct dp_vcache *vc);
const struct dp_vcache_stats *dp_vcache_stats(const struct dp_vcache *vc);
/* Bytes of table memory. */
size_t dp_vcache_bytes(const struct dp_vcache *vc);

/*
 * Classifies pk[0..n) (n <= DP_BURST_MAX, parsed by dp_parse_burst()) with generation g. ft: the
 * caller's flow table (NULL treats reverse direction-initiated ACEs as not matching, like the
 * reference with NULL flows). ws: the caller's counters (NULL: none). worker: row of
 * g->rule_hits. now: TSC.
 */
void dp_classify_burst(const struct dp_gen *g, const struct dp_devs *devs, struct dp_flow_table *ft,
		       struct dp_pkt *pk, uint32_t n, struct dp_wstats *ws, uint32_t worker,
		       uint64_t now);

/* The same with the caller's device lookup cache dc (the workers' form). */
void dp_classify_burst_cached(const struct dp_gen *g, const struct dp_devs *devs,
			      struct dp_dev_cache *dc, struct dp_flow_table *ft, struct dp_pkt *pk,
			      uint32_t n, struct dp_wstats *ws, uint32_t worker, uint64_t now);

#endif /* DP_CLASSIFY_H */
