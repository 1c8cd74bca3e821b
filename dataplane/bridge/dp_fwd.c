/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: rx burst -> parse all -> learn -> classify the burst -> punt -> forward ->
 * tx bursts. One worker owns rx queue w and tx queue w of every port. No locks, no syscalls,
 * no allocation, no logs; every drop is counted by reason.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "bridge/dp_bridge.h"
#include "classify/dp_classify.h"
#include "punt/dp_punt.h"

#define SWEEP_EVERY  64 /* loops between flow-table sweep steps */
#define SWEEP_BUDGET 32

struct txq {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST_MAX * 2];
};

static void
tx_add(struct dp_worker *w, struct txq *q, uint16_t port_index, struct rte_mbuf *m)
{
	struct txq *t = &q[port_index];
	if (t->n == RTE_DIM(t->m)) {
		rte_pktmbuf_free(m);
		w->st.drops[DP_DROP_TX_FULL]++;
		return;
	}
	t->m[t->n++] = m;
}

static void
tx_flush(struct dp_worker *w, struct txq *q)
{
	for (uint16_t pi = 0; pi < dp.n_ports; pi++) {
		struct txq *t = &q[pi];
		if (!t->n)
			continue;
		uint16_t queue = (uint16_t)(w->index % dp.ports[pi].n_txq);
		uint16_t sent = rte_eth_tx_burst(dp.ports[pi].id, queue, t->m, t->n);
		w->st.tx_pkts += sent;
		for (uint16_t i = sent; i < t->n; i++) {
			rte_pktmbuf_free(t->m[i]);
			w->st.drops[DP_DROP_TX_FULL]++;
		}
		t->n = 0;
	}
}

/* Output ports for an allowed frame from rx port index `in`: one port, or a flood. */
static void
forward(struct dp_worker *w, struct txq *q, uint16_t in, struct rte_mbuf *m, const uint8_t *dst)
{
	const struct dp_port *rx = &dp.ports[in];
	uint16_t outs[DP_MAX_PORTS], n_out = 0;

	if (!(dst[0] & 1)) {
		int l = dp_learned(dst);
		if (l >= 0) {
			if (l == in) {
				rte_pktmbuf_free(m);
				w->st.drops[DP_DROP_SAME_PORT]++;
				return;
			}
			tx_add(w, q, (uint16_t)l, m);
			return;
		}
	}
	/* multicast, broadcast or unknown unicast: every other port, except that frames from
	 * the uplink go to access ports only (it is the only non-access port) */
	for (uint16_t pi = 0; pi < dp.n_ports; pi++) {
		if (pi == in)
			continue;
		if (rx->role == DP_PORT_UPLINK && dp.ports[pi].role == DP_PORT_UPLINK)
			continue;
		outs[n_out++] = pi;
	}
	if (n_out == 0) {
		rte_pktmbuf_free(m);
		w->st.drops[DP_DROP_NO_UPLINK]++;
		return;
	}
	if (n_out > 1) {
		rte_mbuf_refcnt_update(m, (int16_t)(n_out - 1));
		w->st.flooded++;
	}
	for (uint16_t i = 0; i < n_out; i++)
		tx_add(w, q, outs[i], m);
}

static bool
punt_token(struct dp_worker *w, uint64_t now)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t burst = dp.punt_rate / 10 + 16;
	if (now - w->punt_tsc > hz / 1000) {
		uint64_t add = (now - w->punt_tsc) * dp.punt_rate / hz;
		if (add) {
			w->punt_tokens = RTE_MIN(burst, w->punt_tokens + add);
			w->punt_tsc = now;
		}
	}
	if (!w->punt_tokens)
		return false;
	w->punt_tokens--;
	return true;
}

/* Does the destination device of this frame have dnsname ACEs under its profile? */
static bool
wants_hold(const struct dp_gen *g, const struct dp_pkt *x)
{
	if (x->pos[1] < 0)
		return false;
	uint64_t slot = x->slot[1]; /* 0: decided by the verdict cache, which keeps positions */
	if (!slot)
		slot = __atomic_load_n(&g->devs->slot[x->pos[1]].word, __ATOMIC_ACQUIRE);
	if (!(slot & DP_SLOT_VALID))
		return false;
	const struct mgi_profile *prof = &g->img.profiles[dp_slot_state(slot)];
	uint32_t policy = MGI_NO_POLICY;
	if (prof->mode == MGI_PROFILE_POLICY) {
		policy = prof->policy;
	} else if (prof->mode == MGI_PROFILE_OWN) {
		uint32_t pid = dp_slot_pid(slot);
		policy = pid < g->n_pid_map ? g->pid_map[pid] : MGI_NO_POLICY;
	}
	return policy != MGI_NO_POLICY && g->pol[policy].dnsname;
}

/* Returns true when the frame was taken (held); false: forward it as usual. */
static bool
punt(struct dp_worker *w, const struct dp_gen *g, struct rte_mbuf *m, const struct dp_pkt *x,
     uint16_t port_id, uint8_t kind, uint64_t now)
{
	if (!__atomic_load_n(&dp.punt_listener, __ATOMIC_RELAXED)) {
		w->st.punts[DP_PUNT_NO_LISTENER]++;
		return false;
	}
	if (!punt_token(w, now)) {
		w->st.punts[DP_PUNT_RATE_LIMITED]++;
		return false;
	}
	struct dp_punt_meta *meta = rte_mbuf_to_priv(m);
	bool hold = kind == MG_PUNT_DNS && x->verdict == MG_ALLOW && wants_hold(g, x);
	meta->hold = hold;
	meta->port = port_id;
	meta->kind = kind;
	meta->out_port = UINT16_MAX;
	if (!hold)
		rte_mbuf_refcnt_update(m, 1);
	if (rte_ring_sp_enqueue(w->punt, m) != 0) {
		if (!hold)
			rte_mbuf_refcnt_update(m, -1);
		w->st.punts[DP_PUNT_QUEUE_FULL]++;
		if (hold)
			w->st.drops[DP_DROP_HOLD_FULL]++; /* counted; the answer is still forwarded
							   */
		return false;
	}
	w->st.punts[kind == MG_PUNT_DHCP4   ? DP_PUNT_DHCP4
		    : kind == MG_PUNT_DHCP6 ? DP_PUNT_DHCP6
		    : kind == MG_PUNT_LLDP  ? DP_PUNT_LLDP
					    : DP_PUNT_DNS]++;
	if (hold)
		w->st.punts[DP_PUNT_HELD]++;
	return hold;
}

static void
process_burst(struct dp_worker *w, const struct dp_gen *g, struct txq *q, uint16_t in,
	      struct rte_mbuf **m, uint16_t n, uint64_t now)
{
	/* a chained frame's headers, contiguous: the parser reads at most 14 + 8 + 40 + 8 * 2048
	 * (the longest IPv6 extension headers) + 20 bytes deep */
	static __thread uint8_t scratch[18432];
	struct dp_pkt pk[DP_BURST_MAX];
	const uint8_t *data[DP_BURST_MAX];
	uint32_t len[DP_BURST_MAX];
	const struct dp_port *rx = &dp.ports[in];
	uint64_t bytes = 0;
	uint16_t chained = 0;

	for (uint16_t i = 0; i < n; i++) {
		data[i] = rte_pktmbuf_mtod(m[i], const uint8_t *);
		len[i] = rte_pktmbuf_pkt_len(m[i]);
		bytes += len[i];
		chained |= (uint16_t)(m[i]->nb_segs > 1);
	}
	if (likely(!chained)) {
		dp_parse_burst(pk, data, len, n);
	} else {
		for (uint16_t i = 0; i < n; i++) {
			const uint8_t *d = data[i];
			if (m[i]->nb_segs > 1)
				d = rte_pktmbuf_read(m[i], 0,
						     RTE_MIN(len[i], (uint32_t)sizeof(scratch)),
						     scratch);
			dp_parse(&pk[i], d, len[i]);
		}
	}
	w->st.rx_pkts += n;
	w->st.rx_bytes += bytes;
	if (rx->role == DP_PORT_ACCESS) {
		for (uint16_t i = 0; i < n; i++)
			if (!(pk[i].mac[0] & 1) && len[i] >= 12)
				dp_learn(dp_pkt_mac(&pk[i], 0), in);
	}
	if (g) {
		dp_classify_burst_cached(g, g->devs, w->dcache, w->flows, pk, n, &w->st, w->index,
					 now);
	} else {
		for (uint16_t i = 0; i < n; i++) {
			pk[i].verdict = MG_ALLOW;
			pk[i].reason = MG_R_NOT_DEVICE;
		}
		w->st.allowed += n;
		w->st.reasons[MG_R_NOT_DEVICE] += n;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint8_t kind = dp_punt_kind(&pk[i]);
		if (unlikely(kind) && g && punt(w, g, m[i], &pk[i], rx->id, kind, now))
			continue; /* held */
		if (pk[i].verdict != MG_ALLOW) {
			rte_pktmbuf_free(m[i]);
			continue;
		}
		forward(w, q, in, m[i], dp_pkt_mac(&pk[i], 1));
	}
}

static void
drain_inject(struct dp_worker *w, struct txq *q)
{
	struct rte_mbuf *m[DP_BURST_MAX];
	unsigned int n = rte_ring_sc_dequeue_burst(w->inject, (void **)m, DP_BURST_MAX, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct dp_punt_meta *meta = rte_mbuf_to_priv(m[i]);
		uint16_t in = dp.port_idx[meta->port];
		w->st.injected++;
		forward(w, q, in, m[i], rte_pktmbuf_mtod(m[i], const uint8_t *));
	}
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct txq q[DP_MAX_PORTS];
	uint64_t hz = rte_get_tsc_hz();

	memset(q, 0, sizeof(q));
	rte_rcu_qsbr_thread_register(dp.rcu, w->index);
	rte_rcu_qsbr_thread_online(dp.rcu, w->index);
	w->last_rx_tsc = rte_rdtsc();
	w->punt_tsc = w->last_rx_tsc;
	w->punt_tokens = dp.punt_rate / 10 + 16; /* start with a full bucket */

	while (!dp.quit) {
		const struct dp_gen *g = dp_gen_get();
		uint64_t now = rte_rdtsc();
		bool got = false;

		for (uint16_t pi = 0; pi < dp.n_ports; pi++) {
			struct rte_mbuf *m[DP_BURST_MAX];
			if (w->index >= dp.ports[pi].n_rxq)
				continue;
			uint16_t n = rte_eth_rx_burst(dp.ports[pi].id, (uint16_t)w->index, m,
						      DP_BURST_MAX);
			if (!n)
				continue;
			got = true;
			process_burst(w, g, q, pi, m, n, now);
			tx_flush(w, q);
		}
		drain_inject(w, q);
		tx_flush(w, q);
		w->st.loops++;
		if (got) {
			w->last_rx_tsc = now;
			w->st.busy_cycles += rte_rdtsc() - now;
		} else {
			w->st.idle_loops++;
			if (dp.drain_exit && now - w->last_rx_tsc > hz &&
			    rte_ring_empty(w->inject)) {
				w->done = true;
				break;
			}
		}
		if ((w->st.loops & (SWEEP_EVERY - 1)) == 0)
			w->st.flow_expired += dp_flow_sweep(w->flows, now, SWEEP_BUDGET);
		rte_rcu_qsbr_quiescent(dp.rcu, w->index);
	}
	rte_rcu_qsbr_thread_offline(dp.rcu, w->index);
	rte_rcu_qsbr_thread_unregister(dp.rcu, w->index);
	w->done = true;
	return 0;
}
