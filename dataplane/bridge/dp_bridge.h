/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transparent bridge: MAC learning across access ports and the worker loop.
 *
 * Learning is a direct-mapped cache of DP_LEARN_SIZE 64-bit words (MAC << 16 | port index + 1)
 * written by every worker with relaxed atomic stores: a lookup sees either a whole old or a
 * whole new entry, never a torn one, and a collision only costs a flood. No locks.
 */
#ifndef DP_BRIDGE_H
#define DP_BRIDGE_H

#include <stdint.h>
#include <string.h>

#include "dp_ctx.h"

static inline uint64_t
dp_mac_u64(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static inline uint32_t
dp_learn_idx(uint64_t mac)
{
	return (uint32_t)((mac * 0x9e3779b97f4a7c15ull) >> 52) & (DP_LEARN_SIZE - 1);
}

static inline void
dp_learn(const uint8_t *mac, uint16_t port_index)
{
	uint64_t m = dp_mac_u64(mac);
	uint64_t *e = &dp.learn[dp_learn_idx(m)];
	uint64_t v = m << 16 | (uint64_t)(port_index + 1);
	if (__atomic_load_n(e, __ATOMIC_RELAXED) != v)
		__atomic_store_n(e, v, __ATOMIC_RELAXED);
}

/* Port index the MAC was learned on, or -1. */
static inline int
dp_learned(const uint8_t *mac)
{
	uint64_t m = dp_mac_u64(mac);
	uint64_t v = __atomic_load_n(&dp.learn[dp_learn_idx(m)], __ATOMIC_RELAXED);
	if ((v >> 16) != m || !(v & 0xffff))
		return -1;
	return (int)(v & 0xffff) - 1;
}

/* The worker main loop (rte_eal_remote_launch). arg: struct dp_worker *. */
int dp_worker_main(void *arg);

#endif /* DP_BRIDGE_H */
