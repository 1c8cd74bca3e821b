/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The direction-initiated flow table of one worker.
 *
 * A flow is recorded when a frame that every side allowed is a TCP SYN (without ACK) accepted
 * by a direction-initiated ACE in its initiating direction; the key is the device's MAC, the
 * direction the SYN travelled and the 5-tuple as the initiator sent it (the same key as the
 * reference classifier). Reverse-direction direction-initiated ACEs match only frames whose
 * reversed tuple is recorded. Each worker owns its table (symmetric RSS sends both directions
 * of a flow to the same worker), so there are no shared writes and no locks.
 *
 * Bounded: `cap` flows. When the table is full, expired flows are reclaimed first; if none is,
 * the new flow is refused and counted (overflow policy "refuse new": established flows are
 * never evicted by a flood of SYNs). Timeouts depend on the TCP state seen on the reverse side:
 * SYN sent, established, closing (FIN), closed (RST); see docs/dataplane.md.
 */
#ifndef DP_FLOW_H
#define DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

/* 8-byte aligned (the hash reads 8-byte words); padding is zeroed by whoever builds a key. */
struct __attribute__((aligned(8))) dp_flow_key {
	uint8_t mac[6];
	uint8_t dir; /* direction the SYN travelled, relative to the device */
	uint8_t family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

enum dp_flow_state {
	DP_FLOW_SYN_SENT = 0,
	DP_FLOW_ESTABLISHED = 1,
	DP_FLOW_CLOSING = 2,
	DP_FLOW_CLOSED = 3,
	DP_FLOW_STATE_COUNT = 4,
};

struct dp_flow_stats {
	uint64_t added, refreshed, expired, overflow, hits, misses;
};

struct dp_flow_table;

/* timeouts_s: per state, seconds (NULL: defaults 30, 7440, 120, 10). */
struct dp_flow_table *dp_flow_create(const char *name, uint32_t cap, const uint32_t *timeouts_s,
				     int socket_id);
void dp_flow_destroy(struct dp_flow_table *t);

/* Looks k up at time now (TSC); on a hit refreshes it from the TCP flags of the frame. */
bool dp_flow_lookup(struct dp_flow_table *t, const struct dp_flow_key *k, uint8_t tcp_flags,
		    uint64_t now);
/* The same for n <= 64 keys at once (one pipelined hash lookup): present[i] is k[i]'s answer. */
void dp_flow_lookup_bulk(struct dp_flow_table *t, const struct dp_flow_key *const *k,
			 const uint8_t *tcp_flags, uint32_t n, uint64_t now, bool *present);
/* Records k (or refreshes it). Returns 0 or -ENOSPC (counted as overflow). */
int dp_flow_add(struct dp_flow_table *t, const struct dp_flow_key *k, uint64_t now);
/* Deletes up to `budget` expired flows, continuing where the previous call stopped. */
uint32_t dp_flow_sweep(struct dp_flow_table *t, uint64_t now, uint32_t budget);
uint32_t dp_flow_count(const struct dp_flow_table *t);
const struct dp_flow_stats *dp_flow_stats(const struct dp_flow_table *t);

#endif /* DP_FLOW_H */
