/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-worker direction-initiated flow table (dp_flow.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dp_flow.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

struct dp_flow_entry {
	uint64_t expires; /* TSC */
	uint8_t state;
};

struct dp_flow_table {
	struct rte_hash *h;
	struct dp_flow_entry *e;               /* [cap] by hash position */
	uint64_t timeout[DP_FLOW_STATE_COUNT]; /* TSC cycles */
	uint32_t sweep_next;
	uint32_t n;
	struct dp_flow_stats st;
};

static const uint32_t default_timeouts[DP_FLOW_STATE_COUNT] = {30, 7440, 120, 10};

struct dp_flow_table *
dp_flow_create(const char *name, uint32_t cap, const uint32_t *timeouts_s, int socket_id)
{
	struct dp_flow_table *t =
		rte_zmalloc_socket("mg_flows", sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (!t)
		return NULL;
	struct rte_hash_parameters prm = {
		.name = name,
		.entries = cap,
		.key_len = sizeof(struct dp_flow_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
	};
	t->h = rte_hash_create(&prm);
	if (!t->h)
		goto out_err;
	t->e = rte_zmalloc_socket("mg_flow_entries",
				  ((size_t)rte_hash_max_key_id(t->h) + 1) * sizeof(*t->e),
				  RTE_CACHE_LINE_SIZE, socket_id);
	if (!t->e)
		goto out_err;
	for (int i = 0; i < DP_FLOW_STATE_COUNT; i++)
		t->timeout[i] = (uint64_t)(timeouts_s ? timeouts_s[i] : default_timeouts[i]) *
				rte_get_tsc_hz();
	return t;
out_err:
	dp_flow_destroy(t);
	errno = ENOMEM;
	return NULL;
}

void
dp_flow_destroy(struct dp_flow_table *t)
{
	if (!t)
		return;
	rte_hash_free(t->h);
	rte_free(t->e);
	rte_free(t);
}

static void
refresh(struct dp_flow_table *t, int32_t pos, uint8_t tcp_flags, uint64_t now)
{
	struct dp_flow_entry *e = &t->e[pos];
	/* An expired flow not yet swept still counts: the reference has no timeouts, and the
	 * sweep is what ends a flow. */
	if (tcp_flags & TCP_RST)
		e->state = DP_FLOW_CLOSED;
	else if (tcp_flags & TCP_FIN)
		e->state = DP_FLOW_CLOSING;
	else if (e->state == DP_FLOW_SYN_SENT && !(tcp_flags & TCP_SYN))
		e->state = DP_FLOW_ESTABLISHED;
	else if (e->state == DP_FLOW_SYN_SENT)
		e->state = DP_FLOW_ESTABLISHED; /* SYN-ACK */
	e->expires = now + t->timeout[e->state];
	t->st.hits++;
}

bool
dp_flow_lookup(struct dp_flow_table *t, const struct dp_flow_key *k, uint8_t tcp_flags,
	       uint64_t now)
{
	int32_t pos = rte_hash_lookup(t->h, k);
	if (pos < 0) {
		t->st.misses++;
		return false;
	}
	refresh(t, pos, tcp_flags, now);
	return true;
}

void
dp_flow_lookup_bulk(struct dp_flow_table *t, const struct dp_flow_key *const *k,
		    const uint8_t *tcp_flags, uint32_t n, uint64_t now, bool *present)
{
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	for (uint32_t i = 0; i < n; i += RTE_HASH_LOOKUP_BULK_MAX) {
		uint32_t m = RTE_MIN(n - i, (uint32_t)RTE_HASH_LOOKUP_BULK_MAX);
		rte_hash_lookup_bulk(t->h, (const void **)(uintptr_t)(k + i), m, pos);
		for (uint32_t j = 0; j < m; j++) {
			present[i + j] = pos[j] >= 0;
			if (pos[j] < 0)
				t->st.misses++;
			else
				refresh(t, pos[j], tcp_flags[i + j], now);
		}
	}
}

int
dp_flow_add(struct dp_flow_table *t, const struct dp_flow_key *k, uint64_t now)
{
	int32_t pos = rte_hash_lookup(t->h, k);
	if (pos >= 0) {
		t->e[pos].expires = now + t->timeout[t->e[pos].state];
		t->st.refreshed++;
		return 0;
	}
	pos = rte_hash_add_key(t->h, k);
	if (pos == -ENOSPC) {
		dp_flow_sweep(t, now, 256);
		pos = rte_hash_add_key(t->h, k);
	}
	if (pos < 0) {
		t->st.overflow++;
		return -ENOSPC;
	}
	t->e[pos].state = DP_FLOW_SYN_SENT;
	t->e[pos].expires = now + t->timeout[DP_FLOW_SYN_SENT];
	t->n++;
	t->st.added++;
	return 0;
}

uint32_t
dp_flow_sweep(struct dp_flow_table *t, uint64_t now, uint32_t budget)
{
	/* Visits at most 4 * budget positions, occupied or not (an occupied position has a
	 * non-zero expiry): rte_hash_iterate() skips empty slots inside the call, so on a
	 * sparse table one call walked up to the whole table, every SWEEP_EVERY loops. */
	uint32_t n_del = 0, n_pos = (uint32_t)rte_hash_max_key_id(t->h) + 1;
	for (uint32_t i = 0; i < 4 * budget && n_del < budget; i++) {
		void *key;
		uint32_t pos = t->sweep_next;
		t->sweep_next = pos + 1 >= n_pos ? 0 : pos + 1;
		if (!t->e[pos].expires || t->e[pos].expires >= now)
			continue;
		if (rte_hash_get_key_with_position(t->h, (int32_t)pos, &key) == 0) {
			struct dp_flow_key k;
			memcpy(&k, key, sizeof(k));
			if (rte_hash_del_key(t->h, &k) >= 0) {
				t->e[pos].expires = 0;
				t->n--;
				t->st.expired++;
				n_del++;
			}
		}
	}
	return n_del;
}

uint32_t
dp_flow_count(const struct dp_flow_table *t)
{
	return t->n;
}

const struct dp_flow_stats *
dp_flow_stats(const struct dp_flow_table *t)
{
	return &t->st;
}
