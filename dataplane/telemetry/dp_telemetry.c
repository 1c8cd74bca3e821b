/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter readers: the COUNTERS document of the control socket and the /mudgate/... DPDK
 * telemetry commands. Both sum the per-worker blocks; they run on the control thread or the
 * telemetry thread, never on a worker, and hold dp_ctrl_lock() while they use dp.gen.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "mg_ctrl.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

#define SUM(field)                                             \
	({                                                     \
		uint64_t s_ = 0;                               \
		for (uint32_t w_ = 0; w_ < dp.n_workers; w_++) \
			s_ += dp.workers[w_].st.field;         \
		s_;                                            \
	})

static void
json_escape(struct sbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sb_printf(b, "\\u%04x", *s);
		else
			sb_printf(b, "%c", *s);
	}
	sb_printf(b, "\"");
}

char *
dp_counters_json(size_t *len)
{
	struct sbuf b = {0};

	dp_ctrl_lock();
	const struct dp_gen *g = dp.gen;
	sb_printf(&b, "{\"generation\":%" PRIu64 ",\"workers\":%u,", g ? g->generation : 0,
		  dp.n_workers);
	/* where the rules of the generation in force live (docs/dataplane.md "Update protocol") */
	sb_printf(&b,
		  "\"acl\":{\"base_rules\":%u,\"overlay_policies\":%u,\"overlay_rules\":%u,"
		  "\"base_builds_on_load\":%" PRIu64 ",\"base_rebuilds\":%" PRIu64
		  ",\"base_rebuild_failures\":%" PRIu64 ",\"last_base_build_ms\":%.1f},",
		  g ? g->base->acl.n_rules[0] + g->base->acl.n_rules[1] : 0, g ? g->n_overlay : 0,
		  g ? g->n_overlay_rules : 0, dp_ctrl_gen_stats.base_builds_sync,
		  dp_ctrl_gen_stats.base_rebuilds, dp_ctrl_gen_stats.base_rebuild_failures,
		  dp_ctrl_gen_stats.last_base_build_ms);
	sb_printf(&b,
		  "\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx_packets\":%" PRIu64
		  ",\"flooded\":%" PRIu64 ",\"allowed\":%" PRIu64 ",\"denied\":%" PRIu64
		  ",\"injected\":%" PRIu64 ",",
		  SUM(rx_pkts), SUM(rx_bytes), SUM(tx_pkts), SUM(flooded), SUM(allowed),
		  SUM(denied), SUM(injected));
	/* per worker: each block is written by its worker only, the totals are these sums */
	sb_printf(&b, "\"per_worker\":[");
	for (uint32_t w = 0; w < dp.n_workers; w++) {
		const struct dp_wstats *st = &dp.workers[w].st;
		sb_printf(&b,
			  "%s{\"lcore\":%u,\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64
			  ",\"allowed\":%" PRIu64 ",\"denied\":%" PRIu64 ",\"flows_added\":%" PRIu64
			  ",\"flows\":%u,\"loops\":%" PRIu64 ",\"idle_loops\":%" PRIu64
			  ",\"busy_cycles\":%" PRIu64,
			  w ? "," : "", dp.workers[w].lcore, st->rx_pkts, st->tx_pkts, st->allowed,
			  st->denied, st->flow_added,
			  dp.workers[w].flows ? dp_flow_count(dp.workers[w].flows) : 0, st->loops,
			  st->idle_loops, st->busy_cycles);
		/* read while the worker writes: each 64-bit counter is read whole (x86-64) */
		const struct dp_vcache *vc = dp.workers[w].dcache ? dp.workers[w].dcache->vc : NULL;
		if (vc) {
			const struct dp_vcache_stats *vs = dp_vcache_stats(vc);
			sb_printf(&b,
				  ",\"verdict_cache\":{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64
				  ",\"flow_changed\":%" PRIu64 ",\"inserts\":%" PRIu64
				  ",\"uncacheable\":%" PRIu64 ",\"flushes\":%" PRIu64
				  ",\"moves\":%" PRIu64 ",\"evictions\":%" PRIu64 "}",
				  vs->hits, vs->misses, vs->flow_changed, vs->inserts,
				  vs->uncacheable, vs->flushes, vs->moves, vs->evictions);
		}
		sb_printf(&b, "}");
	}
	sb_printf(&b, "],");
	sb_printf(&b, "\"reasons\":{");
	for (int r = 0; r < MG_R_COUNT_; r++)
		sb_printf(&b, "%s\"%s\":%" PRIu64, r ? "," : "", mg_reason_str(r), SUM(reasons[r]));
	sb_printf(&b, "},\"drops\":{");
	for (int d = 0; d < DP_DROP_COUNT_; d++) {
		uint64_t v = SUM(drops[d]);
		if (d == DP_DROP_HOLD_DROPPED)
			v += dp_ctrl_stats.hold_dropped;
		sb_printf(&b, "%s\"%s\":%" PRIu64, d ? "," : "", dp_drop_str(d), v);
	}
	sb_printf(&b, "},\"punts\":{");
	for (int p = 0; p < DP_PUNT_COUNT_; p++)
		sb_printf(&b, "%s\"%s\":%" PRIu64, p ? "," : "", dp_punt_str(p), SUM(punts[p]));
	sb_printf(&b,
		  "},\"flows\":{\"added\":%" PRIu64 ",\"expired\":%" PRIu64 ",\"overflow\":%" PRIu64
		  "},",
		  SUM(flow_added), SUM(flow_expired), SUM(flow_overflow));
	const struct dp_ctrl_stats *c = &dp_ctrl_stats;
	sb_printf(&b,
		  "\"ctrl\":{\"clients\":%" PRIu64 ",\"messages\":%" PRIu64
		  ",\"malformed\":%" PRIu64 ",\"out_of_order\":%" PRIu64 ",\"rejected\":%" PRIu64
		  ",\"loads\":%" PRIu64 ",\"load_failures\":%" PRIu64 ",\"binds\":%" PRIu64
		  ",\"unbinds\":%" PRIu64 ",\"set_states\":%" PRIu64 ",\"punts_sent\":%" PRIu64
		  ",\"punts_dropped\":%" PRIu64 ",\"holds\":%" PRIu64 ",\"hold_released\":%" PRIu64
		  ",\"hold_timeouts\":%" PRIu64 ",\"persist_errors\":%" PRIu64 "},",
		  c->clients, c->msgs, c->malformed, c->out_of_order, c->rejected, c->loads,
		  c->load_failures, c->binds, c->unbinds, c->set_states, c->punts_sent,
		  c->punts_dropped, c->holds, c->hold_released, c->hold_timeouts,
		  c->persist_errors);
	sb_printf(&b, "\"devices\":[");
	if (g && g->devs) {
		uint32_t next = 0, pos, n = 0;
		uint8_t mac[6];
		uint64_t slot;
		while (dp_devs_iterate(g->devs, &next, mac, &slot, &pos) == 0) {
			struct dp_dev_ctr t = {0};
			for (uint32_t w = 0; w < g->devs->n_workers; w++) {
				const struct dp_dev_ctr *x =
					&g->devs->ctr[(size_t)w * g->devs->cap + pos];
				t.allow_pkts += x->allow_pkts;
				t.allow_bytes += x->allow_bytes;
				t.deny_pkts += x->deny_pkts;
				t.deny_bytes += x->deny_bytes;
			}
			char m[18];
			uint32_t pid = dp_slot_pid(slot);
			const char *pname = pid == DP_NO_PID ? "" : dp_pids_name(dp.pids, pid);
			mg_mac_format(mac, m);
			sb_printf(&b,
				  "%s{\"mac\":\"%s\",\"state\":\"%s\",\"policy\":", n++ ? "," : "",
				  m, mg_state_str(dp_slot_state(slot)));
			json_escape(&b, pname ? pname : "");
			sb_printf(&b,
				  ",\"allowed_packets\":%" PRIu64 ",\"allowed_bytes\":%" PRIu64
				  ",\"denied_packets\":%" PRIu64 ",\"denied_bytes\":%" PRIu64 "}",
				  t.allow_pkts, t.allow_bytes, t.deny_pkts, t.deny_bytes);
		}
	}
	sb_printf(&b, "],\"rules\":[");
	if (g) {
		size_t stride = RTE_ALIGN_CEIL((size_t)g->img.n_aces + 1, 8);
		uint32_t n = 0;
		for (uint32_t a = 0; a < g->img.n_aces; a++) {
			uint64_t hits = 0;
			for (uint32_t w = 0; w < g->n_workers; w++)
				hits += g->rule_hits[stride * w + a];
			if (!hits)
				continue;
			uint32_t pol = 0;
			while (pol + 1 < g->img.n_policies &&
			       g->img.policies[pol + 1].first_ace <= a)
				pol++;
			const struct mgi_ace *ace = &g->img.aces[a];
			sb_printf(&b, "%s{\"ace\":%u,\"policy\":", n++ ? "," : "", a);
			json_escape(&b, mgi_str(&g->img, g->img.policies[pol].name));
			sb_printf(&b, ",\"acl\":");
			json_escape(&b, mgi_str(&g->img, ace->acl_name));
			sb_printf(&b, ",\"name\":");
			json_escape(&b, mgi_str(&g->img, ace->ace_name));
			sb_printf(&b, ",\"hits\":%" PRIu64 "}", hits);
		}
	}
	sb_printf(&b, "]}");
	dp_ctrl_unlock();
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- DPDK telemetry ---------------------------------------------------------------------- */

/* Telemetry dictionary keys allow [A-Za-z0-9_] only: "ace-drop" becomes "ace_drop". */
static void
add_u64(struct rte_tel_data *d, const char *name, uint64_t v)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	size_t i;
	for (i = 0; name[i] && i + 1 < sizeof(key); i++)
		key[i] = name[i] == '-' ? '_' : name[i];
	key[i] = 0;
	rte_tel_data_add_dict_u64(d, key, v);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", SUM(rx_pkts));
	rte_tel_data_add_dict_u64(d, "tx_packets", SUM(tx_pkts));
	rte_tel_data_add_dict_u64(d, "allowed", SUM(allowed));
	rte_tel_data_add_dict_u64(d, "denied", SUM(denied));
	rte_tel_data_add_dict_u64(d, "flooded", SUM(flooded));
	rte_tel_data_add_dict_u64(d, "flows_added", SUM(flow_added));
	rte_tel_data_add_dict_u64(d, "flows_expired", SUM(flow_expired));
	rte_tel_data_add_dict_u64(d, "flows_overflow", SUM(flow_overflow));
	dp_ctrl_lock();
	rte_tel_data_add_dict_u64(d, "generation", dp.gen ? dp.gen->generation : 0);
	rte_tel_data_add_dict_u64(d, "devices", dp.gen && dp.gen->devs ? dp.gen->devs->n : 0);
	dp_ctrl_unlock();
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (int i = 0; i < DP_DROP_COUNT_; i++)
		add_u64(d, dp_drop_str(i), SUM(drops[i]));
	return 0;
}

static int
tel_reasons(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (int i = 0; i < MG_R_COUNT_; i++)
		add_u64(d, mg_reason_str(i), SUM(reasons[i]));
	return 0;
}

static int
tel_punts(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (int i = 0; i < DP_PUNT_COUNT_; i++)
		add_u64(d, dp_punt_str(i), SUM(punts[i]));
	return 0;
}

/* /mudgate/device,MAC: one device's counters. */
static int
tel_device(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint8_t mac[6];
	int rc = -EINVAL;

	if (!params || mg_mac_parse(params, mac) < 0)
		return -EINVAL;
	dp_ctrl_lock();
	if (dp.gen && dp.gen->devs) {
		int32_t pos = dp_devs_lookup(dp.gen->devs, mac);
		if (pos >= 0) {
			struct dp_dev_ctr t = {0};
			struct dp_devs *devs = dp.gen->devs;
			for (uint32_t w = 0; w < devs->n_workers; w++) {
				const struct dp_dev_ctr *x =
					&devs->ctr[(size_t)w * devs->cap + pos];
				t.allow_pkts += x->allow_pkts;
				t.allow_bytes += x->allow_bytes;
				t.deny_pkts += x->deny_pkts;
				t.deny_bytes += x->deny_bytes;
			}
			uint64_t slot = __atomic_load_n(&devs->slot[pos].word, __ATOMIC_ACQUIRE);
			rte_tel_data_start_dict(d);
			rte_tel_data_add_dict_string(d, "state", mg_state_str(dp_slot_state(slot)));
			rte_tel_data_add_dict_u64(d, "allowed_packets", t.allow_pkts);
			rte_tel_data_add_dict_u64(d, "allowed_bytes", t.allow_bytes);
			rte_tel_data_add_dict_u64(d, "denied_packets", t.deny_pkts);
			rte_tel_data_add_dict_u64(d, "denied_bytes", t.deny_bytes);
			rc = 0;
		}
	}
	dp_ctrl_unlock();
	return rc;
}

int
dp_telemetry_init(void)
{
	int rc = 0;
	rc |= rte_telemetry_register_cmd("/mudgate/stats", tel_stats,
					 "Frame, verdict and flow totals. No parameters");
	rc |= rte_telemetry_register_cmd("/mudgate/drops", tel_drops,
					 "Drops per reason. No parameters");
	rc |= rte_telemetry_register_cmd("/mudgate/reasons", tel_reasons,
					 "Classified frames per deciding reason. No parameters");
	rc |= rte_telemetry_register_cmd("/mudgate/punts", tel_punts,
					 "Punt path counters. No parameters");
	rc |= rte_telemetry_register_cmd("/mudgate/device", tel_device,
					 "One device's counters. Parameters: MAC");
	return rc ? -EINVAL : 0;
}
