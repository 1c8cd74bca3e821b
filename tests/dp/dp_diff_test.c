/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test: the fast path -- burst parser (dp_parse_burst), device hash, rte_acl
 * generations, flow table -- against the reference, mg_pkt_parse() + mg_classify_frame(), on
 * random policies and random frames, plus for every image the deterministic boundary and
 * malformed corpus (tg_boundary_frames: every truncation, IHL, total length, extension header
 * chain, VLAN/QinQ, fragment case) with device MACs on either side. Every frame's parsed fields
 * and its verdict, deciding reason, policy and ACE must be equal.
 *
 * usage: dp_diff_test [N_FRAMES [SEED]]   (default 1,000,000 random frames)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_common.h>
#include <rte_lcore.h>

#include "classify/dp_classify.h"
#include "dp_testgen.h"
#include "mg_classify.h"

#define FRAMES_PER_IMAGE 4000

static uint8_t bnd[8192][256];
static size_t bnd_len[8192];

/* The parser's fields against the reference's; returns a description of the first difference. */
static const char *
fields_differ(const struct dp_pkt *x, const struct mg_pkt *p)
{
	if (x->malformed != p->malformed)
		return "malformed";
	if (memcmp(dp_pkt_mac(x, 0), p->src_mac, 6) || memcmp(dp_pkt_mac(x, 1), p->dst_mac, 6))
		return "MAC";
	if (x->mac[0] >> 48 || x->mac[1] >> 48) /* little-endian hosts: bytes 6, 7 */
		return "MAC padding";
	if (p->malformed)
		return NULL;
	if (x->family != p->family || x->ethertype != p->ethertype)
		return "family/ethertype";
	if (p->family == MGI_FAMILY_ETH)
		return x->key.k4.proto || x->key.k4.meta ? "non-IP key" : NULL;
	unsigned int alen = p->family == MGI_FAMILY_IPV4 ? 4 : 16;
	const struct dp_acl4_key *k = &x->key.k4;
	uint8_t meta = 0;
	if (p->l4) {
		meta |= DP_META_L4;
		if (p->proto == 6 || p->proto == 17 || p->proto == 132 || p->proto == 33)
			meta |= DP_META_PORTS;
		if (p->proto == 6)
			meta |= DP_META_TCP;
		if (p->proto == (p->family == MGI_FAMILY_IPV4 ? 1 : 58))
			meta |= DP_META_ICMP;
	}
	if (k->proto != p->proto || k->meta != meta)
		return "proto/meta";
	if (memcmp(dp_pkt_src(x), p->src_addr, alen) || memcmp(dp_pkt_dst(x), p->dst_addr, alen))
		return "addresses";
	/* the key's shared fields: ICMP code in the source port, TCP flags or ICMP type */
	if (dp_pkt_sport(x) != ((meta & DP_META_ICMP) ? p->icmp_code : p->sport) ||
	    dp_pkt_dport(x) != p->dport)
		return "ports";
	uint8_t ti = (meta & DP_META_TCP) ? p->tcp_flags : (meta & DP_META_ICMP) ? p->icmp_type : 0;
	if (k->tcp_icmp != ti || ((meta & DP_META_ICMP) && (dp_pkt_icmp_type(x) != p->icmp_type ||
							    dp_pkt_icmp_code(x) != p->icmp_code)))
		return "tcp flags/icmp";
	return NULL;
}

static void
hexdump(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", b[i], (i + 1) % 32 ? "" : "\n");
	fprintf(stderr, "\n");
}

/*
 * The lookup cache against a reused position: a worker that cached X -> p and has not yet seen
 * the table's epoch change while p was freed and handed to Y must not classify X's frames as
 * Y's. Returns the number of failures.
 */
static int
stale_position_check(struct dp_pids *pids)
{
	static const uint8_t x_mac[6] = {0x02, 0, 0, 0, 0x0a, 1},
			     y_mac[6] = {0x02, 0, 0, 0, 0x0a, 2};
	struct mgi_builder *b = mgi_builder_create();
	struct dp_dev_cache *dc = calloc(1, sizeof(*dc));
	struct dp_devs *devs = dp_devs_create("stale_devs", 64, 1, NULL);
	struct dp_gen *g = NULL;
	void *blob = NULL;
	size_t size;
	char err[256];
	int fails = 1;

	/* one policy without ACEs: every IP frame of a bound device is denied (default deny) */
	if (!b || !dc || !devs || mgi_builder_add_policy(b, "stale", "https://x.example/s") < 0 ||
	    mgi_builder_finish(b, &blob, &size) < 0)
		goto out;
	g = dp_gen_build(blob, size, 1000000, pids, 1, err, sizeof(err));
	if (!g)
		goto out;
	uint8_t f[64] = {0};
	memcpy(f, y_mac, 6); /* to Y, from X: only X's side matters while Y is unbound */
	memcpy(f + 6, x_mac, 6);
	f[12] = 0x08, f[14] = 0x45, f[17] = 20 + 8, f[23] = 17, f[14 + 20 + 5] = 8;
	struct dp_pkt pk;
	if (dp_devs_set(devs, x_mac, g->policy_pid[0], MG_STATE_ENFORCED) < 0)
		goto out;
	int32_t px = dp_devs_lookup(devs, x_mac);
	dp_parse(&pk, f, 60);
	dp_classify_burst_cached(g, devs, dc, NULL, &pk, 1, NULL, 0, 1);
	bool first = pk.reason == MG_R_DEFAULT_DENY && pk.pos[0] == px;
	/* X leaves, another MAC takes its position; the worker has not seen the epoch change */
	if (dp_devs_del(devs, x_mac) < 0)
		goto out;
	bool reused = false; /* free positions are handed out in order: bind until px comes back */
	for (uint32_t i = 0; i < devs->cap && !reused; i++) {
		uint8_t y[6] = {0x02, 0, 0, 0, 0x0c, (uint8_t)i};
		if (dp_devs_set(devs, y, g->policy_pid[0], MG_STATE_DECOMMISSIONED) < 0)
			break;
		reused = dp_devs_lookup(devs, y) == px;
	}
	dc->epoch = devs->epoch;                           /* as if the bump were not visible yet */
	memcpy(f, (uint8_t[]){0x02, 0, 0, 0, 0x0b, 1}, 6); /* to a non-device */
	dp_parse(&pk, f, 60);
	dp_classify_burst_cached(g, devs, dc, NULL, &pk, 1, NULL, 0, 1);
	bool second = pk.reason == MG_R_NOT_DEVICE && pk.pos[0] < 0;
	printf("  stale cache position: X bound %s, position reused by Y %s, X then %s\n",
	       first ? "ok" : "WRONG", reused ? "yes" : "no (check not exercised)",
	       second ? "not a device (ok)" : mg_reason_str(pk.reason));
	fails = !first || !reused || !second;
out:
	if (fails)
		fprintf(stderr, "stale position check failed %s\n", err);
	dp_gen_destroy(g);
	free(blob);
	dp_devs_destroy(devs);
	free(dc);
	mgi_builder_destroy(b);
	return fails;
}

/*
 * The verdict cache against binding changes within one generation: X's frame is decided by its
 * policy (default deny), then X loses its policy (profile-no-policy), then gets it back; each
 * time the same frame, twice (the second from the cache). Returns the number of failures.
 */
static int
vcache_binding_check(struct dp_pids *pids)
{
	static const uint8_t x_mac[6] = {0x02, 0, 0, 0, 0x0d, 1};
	struct mgi_builder *b = mgi_builder_create();
	struct dp_dev_cache *dc = calloc(1, sizeof(*dc));
	struct dp_devs *devs = dp_devs_create("vc_devs", 64, 1, NULL);
	struct dp_gen *g = NULL;
	void *blob = NULL;
	size_t size;
	char err[256] = "";
	int fails = 1;

	if (!b || !dc || !devs || mgi_builder_add_policy(b, "vc", "https://x.example/vc") < 0 ||
	    mgi_builder_finish(b, &blob, &size) < 0 ||
	    !(dc->vc = dp_vcache_create(64, 64, SOCKET_ID_ANY)))
		goto out;
	g = dp_gen_build(blob, size, 2000000, pids, 1, err, sizeof(err));
	if (!g)
		goto out;
	uint8_t f[64] = {0};
	memcpy(f, (uint8_t[]){0x02, 0, 0, 0, 0x0b, 1}, 6); /* to a non-device, from X */
	memcpy(f + 6, x_mac, 6);
	f[12] = 0x08, f[14] = 0x45, f[17] = 20 + 8, f[23] = 17, f[14 + 20 + 5] = 8;
	static const struct {
		uint32_t pid; /* 0: the policy's, else DP_NO_PID */
		uint8_t reason;
	} steps[] = {{0, MG_R_DEFAULT_DENY}, {1, MG_R_PROFILE_NO_POLICY}, {0, MG_R_DEFAULT_DENY}};
	fails = 0;
	for (size_t st = 0; st < RTE_DIM(steps); st++) {
		uint32_t pid = steps[st].pid ? DP_NO_PID : g->policy_pid[0];
		if (dp_devs_set(devs, x_mac, pid, MG_STATE_ENFORCED) < 0) {
			fails++;
			break;
		}
		for (int pass = 0; pass < 2; pass++) {
			struct dp_pkt pk;
			dp_parse(&pk, f, 60);
			dp_classify_burst_cached(g, devs, dc, NULL, &pk, 1, NULL, 0, 1);
			if (pk.reason != steps[st].reason) {
				fprintf(stderr,
					"verdict cache: binding step %zu pass %d: %s, want %s\n",
					st, pass, mg_reason_str(pk.reason),
					mg_reason_str(steps[st].reason));
				fails++;
			}
		}
	}
	const struct dp_vcache_stats *vs = dp_vcache_stats(dc->vc);
	if (vs->hits != 3) { /* the second pass of every step */
		fprintf(stderr, "verdict cache: %" PRIu64 " hits in the binding check, want 3\n",
			vs->hits);
		fails++;
	}
	printf("  verdict cache across binding changes: %s\n", fails ? "WRONG" : "ok");
out:
	if (fails && !g)
		fprintf(stderr, "verdict cache binding check setup failed %s\n", err);
	dp_gen_destroy(g);
	free(blob);
	dp_devs_destroy(devs);
	if (dc)
		dp_vcache_destroy(dc->vc);
	free(dc);
	mgi_builder_destroy(b);
	return fails;
}

/*
 * The verdict cache against flow-table changes: a reply of a direction-initiated TCP flow is
 * denied before its SYN and allowed after it, whether its decision was recorded before or not;
 * every frame compared with the reference. Returns the number of failures.
 */
static int
vcache_flow_check(struct dp_pids *pids)
{
	static const uint8_t x_mac[6] = {0x02, 0, 0, 0, 0x0e, 1},
			     peer[6] = {0x02, 0, 0, 0, 0x0e, 2};
	struct mgi_builder *b = mgi_builder_create();
	struct dp_dev_cache *dc = calloc(1, sizeof(*dc));
	struct dp_devs *devs = dp_devs_create("vcf_devs", 64, 1, NULL);
	struct dp_flow_table *ft = dp_flow_create("vcf_flows", 64, NULL, SOCKET_ID_ANY);
	struct mg_flows *rf = mg_flows_create();
	struct dp_gen *g = NULL;
	void *blob = NULL;
	size_t size;
	char err[256] = "";
	int fails = 1;

	if (!b || !dc || !devs || !ft || !rf || !(dc->vc = dp_vcache_create(64, 64, SOCKET_ID_ANY)))
		goto out;
	int64_t pol = mgi_builder_add_policy(b, "vcf", "https://x.example/vcf");
	/* web client: TCP to port 80 initiated by the device, and the replies */
	struct mgi_ace a = {.acl_name = (uint32_t)mgi_builder_str(b, "acl"),
			    .ace_name = (uint32_t)mgi_builder_str(b, "web"),
			    .family = MGI_FAMILY_IPV4,
			    .action = MG_ACT_ACCEPT,
			    .proto = 6,
			    .match = MGI_M_PROTO | MGI_M_DPORT | MGI_M_DIR_INIT,
			    .dir_init = MG_DIR_FROM_DEVICE,
			    .dport_lo = 80,
			    .dport_hi = 80};
	struct mgi_ace r = a;
	r.match = MGI_M_PROTO | MGI_M_SPORT | MGI_M_DIR_INIT;
	r.dport_lo = r.dport_hi = 0;
	r.sport_lo = r.sport_hi = 80;
	if (pol < 0 || mgi_builder_add_ace(b, (uint32_t)pol, MG_DIR_FROM_DEVICE, &a) < 0 ||
	    mgi_builder_add_ace(b, (uint32_t)pol, MG_DIR_TO_DEVICE, &r) < 0 ||
	    mgi_builder_add_device(b, x_mac, (uint32_t)pol, MG_STATE_ENFORCED) < 0 ||
	    mgi_builder_finish(b, &blob, &size) < 0)
		goto out;
	g = dp_gen_build(blob, size, 3000000, pids, 1, err, sizeof(err));
	if (!g || dp_devs_set(devs, x_mac, g->policy_pid[0], MG_STATE_ENFORCED) < 0)
		goto out;
	/* frames: 0 = the reply (peer:80 -> X:40000, ACK), 1 = the SYN (X -> peer:80) */
	/* 0, 1: a reply and the SYN of a flow from port 40000; 2, 3: the same from port 40001 */
	uint8_t f[4][60];
	for (int k = 0; k < 4; k++) {
		uint8_t *e = f[k], *ip = e + 14, *tcp = ip + 20;
		static const uint8_t xa[4] = {10, 0, 0, 2}, pa[4] = {192, 0, 2, 1};
		memset(e, 0, 60);
		bool syn = k & 1;
		uint16_t eph = (uint16_t)(40000 + k / 2);
		memcpy(e, syn ? peer : x_mac, 6);
		memcpy(e + 6, syn ? x_mac : peer, 6);
		e[12] = 0x08;
		ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
		memcpy(ip + 12, syn ? xa : pa, 4);
		memcpy(ip + 16, syn ? pa : xa, 4);
		uint16_t sp = syn ? eph : 80, dp = syn ? 80 : eph;
		tcp[0] = (uint8_t)(sp >> 8), tcp[1] = (uint8_t)sp;
		tcp[2] = (uint8_t)(dp >> 8), tcp[3] = (uint8_t)dp;
		tcp[12] = 0x50, tcp[13] = syn ? 0x02 : 0x10;
	}
	/* one-frame bursts: reply, reply (cached: no flow), SYN, reply (flow now: recorded
	 * answer no longer holds), reply (cached: flow); then for the second flow a reply alone
	 * (recorded: no flow) and a burst of reply, SYN, reply: the first reply is answered from
	 * the cache, the second must see the flow the SYN before it opened */
	static const struct {
		uint32_t n;
		int frame[3];
		uint8_t want[3];
	} bursts[] = {
		{1, {0}, {MG_DENY}},
		{1, {0}, {MG_DENY}},
		{1, {1}, {MG_ALLOW}},
		{1, {0}, {MG_ALLOW}},
		{1, {0}, {MG_ALLOW}},
		{1, {2}, {MG_DENY}},
		{3, {2, 3, 2}, {MG_DENY, MG_ALLOW, MG_ALLOW}},
	};
	fails = 0;
	for (size_t bi = 0; bi < RTE_DIM(bursts); bi++) {
		struct dp_pkt pk[3];
		const uint8_t *data[3];
		uint32_t len[3];
		for (uint32_t j = 0; j < bursts[bi].n; j++) {
			data[j] = f[bursts[bi].frame[j]];
			len[j] = 60;
		}
		dp_parse_burst(pk, data, len, bursts[bi].n);
		dp_classify_burst_cached(g, devs, dc, ft, pk, bursts[bi].n, NULL, 0, 1);
		for (uint32_t j = 0; j < bursts[bi].n; j++) {
			struct mg_pkt p;
			struct mg_result res;
			uint8_t want = bursts[bi].want[j];
			mg_pkt_parse(&p, data[j], 60);
			mg_classify_frame(&g->img, &p, rf, &res);
			if (pk[j].verdict != want || res.verdict != want ||
			    pk[j].reason != res.reason || pk[j].ace != res.ace) {
				fprintf(stderr,
					"verdict cache flow burst %zu frame %u: fast path %s/%s, "
					"reference %s/%s\n",
					bi, j, pk[j].verdict ? "deny" : "allow",
					mg_reason_str(pk[j].reason), res.verdict ? "deny" : "allow",
					mg_reason_str(res.reason));
				fails++;
			}
		}
	}
	const struct dp_vcache_stats *vs = dp_vcache_stats(dc->vc);
	if (vs->hits != 3 || vs->flow_changed != 1) {
		fprintf(stderr,
			"verdict cache flow check: %" PRIu64 " hits, %" PRIu64
			" flow_changed; want 3 and 1\n",
			vs->hits, vs->flow_changed);
		fails++;
	}
	printf("  verdict cache across a flow opened: %s\n", fails ? "WRONG" : "ok");
out:
	if (fails && !g)
		fprintf(stderr, "verdict cache flow check setup failed %s\n", err);
	dp_gen_destroy(g);
	free(blob);
	dp_flow_destroy(ft);
	mg_flows_destroy(rf);
	dp_devs_destroy(devs);
	if (dc)
		dp_vcache_destroy(dc->vc);
	free(dc);
	mgi_builder_destroy(b);
	return fails;
}

/*
 * Policy updates: chains of images, each a random successor of the previous (tg_image_mutate:
 * policies added, changed, removed, renumbered, address sets changed), built incrementally
 * like dp_ctrl_load does (dp_gen_update over the previous generation's base: unchanged
 * policies stay in the base, the others go to the overlay), sometimes with a tiny overlay
 * bound (a new base at load) or followed by a base rebuilt from the image (dp_base_build, as
 * the rebuild thread does) and the image republished over it. Every frame is checked against
 * mg_classify_frame() on the image in force. Returns the number of mismatches; *by_path counts
 * frames decided by a base ACE whose index moved, by an overlay ACE, and generations with an
 * overlay.
 */
static uint64_t
update_sequences(struct tg *t, struct dp_pids *pids, struct dp_dev_cache *dc, uint32_t n_chains,
		 uint32_t n_steps, uint64_t by_path[4])
{
	static uint8_t frames[DP_BURST_MAX][256];
	static size_t lens[DP_BURST_MAX];
	struct dp_devs *devs = dp_devs_create("upd_devs", 1024, 1, NULL);
	uint64_t mism = 0, n_gen = 0, n_frames = 0;
	uint32_t n_last = 0;
	char err[256] = "";

	if (!devs)
		return 1;
	for (uint32_t c = 0; c < n_chains; c++) {
		void *blob;
		size_t size;
		if (tg_image(t, &blob, &size, 6, 10) < 0)
			return mism + 1;
		struct dp_gen *g =
			dp_gen_build(blob, size, ++n_gen + (1u << 20), pids, 1, err, sizeof(err));
		free(blob);
		for (uint32_t step = 0; g && step < n_steps; step++) {
			if (tg_image_mutate(t, &g->img, &blob, &size) < 0) {
				mism++;
				break;
			}
			uint32_t bound = tg_rand(t) % 8 ? UINT32_MAX : (uint32_t)(tg_rand(t) % 16);
			struct dp_gen *ng = dp_gen_update(blob, size, ++n_gen + (1u << 20), pids, 1,
							  g->base, bound, err, sizeof(err));
			free(blob);
			if (ng && ng->n_overlay && tg_rand(t) % 6 == 0) {
				/* the rebuild thread's path: a base from the image, republished */
				struct dp_base *nb = dp_base_build(
					ng->blob, ng->size, ng->policy_pid, err, sizeof(err));
				struct dp_gen *rg =
					nb ? dp_gen_update(ng->blob, ng->size, ng->generation, pids,
							   1, nb, UINT32_MAX, err, sizeof(err))
					   : NULL;
				if (!rg) {
					dp_base_destroy(nb);
					dp_gen_destroy(ng);
					ng = NULL;
				} else {
					if (rg->n_overlay) {
						fprintf(stderr,
							"a rebuilt base leaves %u policies in "
							"the overlay\n",
							rg->n_overlay);
						mism++;
					}
					dp_gen_destroy(ng);
					ng = rg;
				}
			}
			dp_gen_destroy(g);
			g = ng;
			if (!g) {
				fprintf(stderr, "update: %s\n", err);
				mism++;
				break;
			}
			by_path[3] += g->n_overlay > 0;
			dp_devs_clear(devs);
			for (uint32_t i = 0; i < g->img.n_devices; i++) {
				const struct mgi_device *d = &g->img.devices[i];
				uint32_t pid = d->policy == MGI_NO_POLICY
						       ? DP_NO_PID
						       : g->policy_pid[d->policy];
				if (dp_devs_set(devs, d->mac, pid, d->state) < 0)
					mism++;
			}
			char fname[32];
			snprintf(fname, sizeof(fname), "upd_flows_%" PRIu64, n_gen);
			struct dp_flow_table *ft =
				dp_flow_create(fname, 1 << 12, NULL, SOCKET_ID_ANY);
			struct mg_flows *rf = mg_flows_create();
			if (!ft || !rf)
				return mism + 1;
			/* the first burst of a step replays the previous step's last one: the
			 * verdict cache must not answer from the previous generation */
			for (uint32_t done = 0, first = 1; done < 600; first = 0) {
				uint32_t n = first && n_last
						     ? n_last
						     : 1 + (uint32_t)(tg_rand(t) % DP_BURST_MAX);
				const uint8_t *data[DP_BURST_MAX];
				uint32_t dlen[DP_BURST_MAX];
				struct dp_pkt pk[DP_BURST_MAX];
				for (uint32_t i = 0; i < n; i++) {
					if (!first || !n_last)
						lens[i] = tg_rand(t) % 8
								  ? tg_frame_image(t, &g->img,
										   frames[i])
								  : tg_frame(t, frames[i]);
					data[i] = frames[i];
					dlen[i] = (uint32_t)lens[i];
				}
				n_last = n;
				for (int pass = 0; pass < 2; pass++) {
					dp_parse_burst(pk, data, dlen, n);
					dp_classify_burst_cached(g, devs, dc, ft, pk, n, NULL, 0,
								 1);
					for (uint32_t i = 0; i < n; i++) {
						struct mg_pkt p;
						struct mg_result r;
						mg_pkt_parse(&p, frames[i], lens[i]);
						mg_classify_frame(&g->img, &p, rf, &r);
						if (r.verdict != pk[i].verdict ||
						    r.reason != pk[i].reason ||
						    r.policy != pk[i].policy ||
						    r.ace != pk[i].ace) {
							if (mism++ < 10) {
								fprintf(stderr,
									"UPDATE MISMATCH "
									"generation "
									"%" PRIu64
									" (overlay %u policies): "
									"reference "
									"%s/%s "
									"policy %u ace %u, fast "
									"path %s/%s "
									"policy "
									"%u ace %u\n",
									g->generation, g->n_overlay,
									r.verdict ? "deny"
										  : "allow",
									mg_reason_str(r.reason),
									r.policy, r.ace,
									pk[i].verdict ? "deny"
										      : "allow",
									mg_reason_str(pk[i].reason),
									pk[i].policy, pk[i].ace);
								hexdump(frames[i], lens[i]);
							}
						} else if (r.ace != MGI_NO_POLICY &&
							   g->ace[r.ace].family != MGI_FAMILY_ETH) {
							const struct dp_policy_info *pi =
								&g->pol[r.policy];
							if (pi->overlay)
								by_path[1]++;
							else if (pi->acl_pol != r.policy ||
								 g->base->img.policies[pi->acl_pol]
										 .first_ace !=
									 g->img.policies[r.policy]
										 .first_ace)
								by_path[0]++;
							else
								by_path[2]++;
						}
					}
				}
				done += n;
			}
			n_frames += 600;
			dp_flow_destroy(ft);
			mg_flows_destroy(rf);
		}
		dp_gen_destroy(g);
	}
	dp_devs_destroy(devs);
	printf("  updates: %u chains of %u images, %" PRIu64 " frames, %" PRIu64
	       " mismatches; decided by a renumbered base ACE %" PRIu64 ", an overlay ACE %" PRIu64
	       ", a base ACE in place %" PRIu64 "; %" PRIu64 " generations with an overlay\n",
	       n_chains, n_steps, n_frames, mism, by_path[0], by_path[1], by_path[2], by_path[3]);
	return mism;
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0",
		       "-m",
		       "512",
		       "--log-level=lib.eal:error",
		       "--no-telemetry",
		       NULL};
	uint64_t n_frames = 1000000, seed = 20261129, n_done = 0, mismatches = 0, n_images = 0;
	uint64_t by_reason[MG_R_COUNT_] = {0};
	uint64_t n_reverse = 0, n_v6_ace = 0, n_bnd_done = 0, n_malformed = 0;
	struct dp_pids *pids;
	struct tg *t;
	int rc;

	if (argc > 1)
		n_frames = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	if (rte_eal_init(10, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	t = malloc(sizeof(*t));
	/* the workers' lookup cache, across images and device tables like a worker's */
	struct dp_dev_cache *dc = calloc(1, sizeof(*dc));
	/* and its verdict cache, small: entries are evicted and reused all the time */
	if (dc)
		dc->vc = dp_vcache_create(2048, 512, SOCKET_ID_ANY);
	pids = dp_pids_create(1 << 16);
	struct dp_devs *devs = dp_devs_create("diff_devs", 1024, 1, NULL);
	if (!t || !pids || !devs || !dc || !dc->vc) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	tg_init(t, seed);
	uint32_t n_bnd = (uint32_t)tg_boundary_frames(bnd, bnd_len, RTE_DIM(bnd));
	printf("dp_diff_test: seed %" PRIu64 ", %" PRIu64 " frames\n", seed, n_frames);

	while (n_done < n_frames) {
		void *blob;
		size_t size;
		char err[256] = "";

		rc = tg_image(t, &blob, &size, 6, 10);
		if (rc < 0) {
			fprintf(stderr, "image generation failed: %d\n", rc);
			return 1;
		}
		struct dp_gen *g = dp_gen_build(blob, size, ++n_images, pids, 1, err, sizeof(err));
		free(blob);
		if (!g) {
			fprintf(stderr, "dp_gen_build: %s\n", err);
			return 1;
		}
		/* bindings = the image's device table, like mudgate-dp loading an image */
		dp_devs_clear(devs);
		for (uint32_t i = 0; i < g->img.n_devices; i++) {
			const struct mgi_device *d = &g->img.devices[i];
			uint32_t pid =
				d->policy == MGI_NO_POLICY ? DP_NO_PID : g->policy_pid[d->policy];
			if (dp_devs_set(devs, d->mac, pid, d->state) < 0) {
				fprintf(stderr, "dp_devs_set failed\n");
				return 1;
			}
		}
		char fname[32];
		snprintf(fname, sizeof(fname), "diff_flows_%" PRIu64, n_images);
		struct dp_flow_table *ft = dp_flow_create(fname, 1 << 14, NULL, SOCKET_ID_ANY);
		struct mg_flows *rf = mg_flows_create();
		if (!ft || !rf) {
			fprintf(stderr, "flow tables failed\n");
			return 1;
		}
		static uint8_t frames[DP_BURST_MAX][256];
		static size_t lens[DP_BURST_MAX];
		struct dp_pkt pk[DP_BURST_MAX];
		const uint8_t *data[DP_BURST_MAX];
		uint32_t dlen[DP_BURST_MAX];
		/* the random frames of this image, then its pass over the boundary corpus */
		uint32_t n_rand = FRAMES_PER_IMAGE;
		if (n_frames - n_done < n_rand)
			n_rand = (uint32_t)(n_frames - n_done);
		for (uint32_t done = 0, b = 0; done < n_rand || b < n_bnd;) {
			uint32_t n = 1 + (uint32_t)(tg_rand(t) % DP_BURST_MAX);
			for (uint32_t i = 0; i < n; i++) {
				if (done < n_rand) {
					lens[i] = tg_rand(t) & 1
							  ? tg_frame(t, frames[i])
							  : tg_frame_image(t, &g->img, frames[i]);
					done++;
				} else if (b < n_bnd) {
					/* device MACs (or the peer, broadcast) on both sides */
					memcpy(frames[i], bnd[b], 256);
					lens[i] = bnd_len[b++];
					for (unsigned int side = 0; side < 2; side++) {
						uint32_t r = (uint32_t)(tg_rand(t) % 8);
						const uint8_t *m =
							r < 5 && g->img.n_devices
								? g->img.devices[tg_rand(t) %
										 g->img.n_devices]
									  .mac
								: t->macs[r == 7 ? 15 : 14];
						memcpy(frames[i] + 6 * side, m, 6);
					}
					n_bnd_done++;
				} else {
					n = i;
					break;
				}
				data[i] = frames[i];
				dlen[i] = (uint32_t)lens[i];
			}
			/* twice: the second pass meets the verdict cache's entries */
			for (int pass = 0; pass < 2; pass++) {
				if (pass == 1) {
					/* without its TCP SYNs: the cache's entries that depend
					 * on flows are used only in a burst without any */
					uint32_t m = 0;
					for (uint32_t i = 0; i < n; i++) {
						bool syn = (pk[i].key.k4.meta & DP_META_TCP) &&
							   (pk[i].key.k4.tcp_icmp & 0x12) == 0x02;
						if (syn && tg_rand(t) % 4)
							continue;
						if (m != i) {
							memcpy(frames[m], frames[i], 256);
							lens[m] = lens[i];
						}
						dlen[m] = (uint32_t)lens[m];
						m++;
					}
					n = m;
				}
				dp_parse_burst(pk, data, dlen, n);
				dp_classify_burst_cached(g, devs, dc, ft, pk, n, NULL, 0, 1);
				for (uint32_t i = 0; i < n; i++) {
					struct mg_pkt p;
					struct mg_result r;
					mg_pkt_parse(&p, frames[i], lens[i]);
					const char *what = fields_differ(&pk[i], &p);
					if (what) {
						if (mismatches++ < 10) {
							fprintf(stderr,
								"PARSE MISMATCH image %" PRIu64
								": %s (reference malformed %d)\n",
								n_images, what, p.malformed);
							hexdump(frames[i], lens[i]);
						}
						continue;
					}
					n_malformed += p.malformed;
					mg_classify_frame(&g->img, &p, rf, &r);
					by_reason[r.reason]++;
					if (r.ace != MGI_NO_POLICY &&
					    (g->ace[r.ace].flags & DP_ACE_REVERSE))
						n_reverse++;
					if (r.ace != MGI_NO_POLICY &&
					    g->ace[r.ace].family == MGI_FAMILY_IPV6)
						n_v6_ace++;
					if (r.verdict != pk[i].verdict ||
					    r.reason != pk[i].reason || r.policy != pk[i].policy ||
					    r.ace != pk[i].ace) {
						if (mismatches++ < 10) {
							fprintf(stderr,
								"MISMATCH image %" PRIu64
								": reference %s/%s policy %u ace "
								"%u, fast "
								"path %s/%s policy %u ace %u\n",
								n_images,
								r.verdict ? "deny" : "allow",
								mg_reason_str(r.reason), r.policy,
								r.ace,
								pk[i].verdict ? "deny" : "allow",
								mg_reason_str(pk[i].reason),
								pk[i].policy, pk[i].ace);
							hexdump(frames[i], lens[i]);
						}
					}
				}
			}
		}
		n_done += n_rand;
		dp_flow_destroy(ft);
		mg_flows_destroy(rf);
		dp_gen_destroy(g);
	}
	mismatches += (uint64_t)stale_position_check(pids);
	mismatches += (uint64_t)vcache_binding_check(pids);
	mismatches += (uint64_t)vcache_flow_check(pids);
	uint64_t by_path[4] = {0};
	uint32_t n_chains = n_frames >= 100000 ? 40 : 4;
	mismatches += update_sequences(t, pids, dc, n_chains, 25, by_path);
	if (n_frames >= 100000 && (!by_path[0] || !by_path[1] || !by_path[2] || !by_path[3])) {
		fprintf(stderr, "update paths not all exercised\n");
		mismatches++;
	}
	printf("dp_diff_test: %" PRIu64 " random + %" PRIu64
	       " boundary frames (%u distinct, %" PRIu64 " malformed) over %" PRIu64
	       " images, %" PRIu64 " mismatches\n",
	       n_done, n_bnd_done, n_bnd, n_malformed, n_images, mismatches);
	printf("  decided by a reverse direction-initiated ACE: %" PRIu64
	       ", by an IPv6 ACE: %" PRIu64 "\n",
	       n_reverse, n_v6_ace);
	if (n_frames >= 100000 && (!n_reverse || !n_v6_ace)) {
		fprintf(stderr, "flow or IPv6 ACE paths never exercised\n");
		mismatches++;
	}
	for (int r = 0; r < MG_R_COUNT_; r++)
		printf("  %-20s %" PRIu64 "\n", mg_reason_str(r), by_reason[r]);
	/* the test is worthless if a reason never occurs */
	int missing = 0;
	for (int r = 0; r < MG_R_COUNT_; r++)
		if (!by_reason[r] && n_frames >= 100000) {
			fprintf(stderr, "reason %s never reached\n", mg_reason_str(r));
			missing++;
		}
	printf("  device lookups: %" PRIu64 " from the cache, %" PRIu64 " from the table\n",
	       dc->hits, dc->misses);
	const struct dp_vcache_stats *vs = dp_vcache_stats(dc->vc);
	printf("  verdict cache: %" PRIu64 " hits, %" PRIu64 " misses (%" PRIu64
	       " of them flow answers changed), %" PRIu64 " inserts, %" PRIu64
	       " uncacheable, %" PRIu64 " flushes\n",
	       vs->hits, vs->misses, vs->flow_changed, vs->inserts, vs->uncacheable, vs->flushes);
	if (n_frames >= 100000 && (!vs->hits || !vs->flushes)) {
		fprintf(stderr, "verdict cache paths never exercised\n");
		missing++;
	}
	dp_vcache_destroy(dc->vc);
	free(dc);
	dp_devs_destroy(devs);
	dp_pids_destroy(pids);
	free(t);
	rte_eal_cleanup();
	return mismatches || missing ? 1 : 0;
}
