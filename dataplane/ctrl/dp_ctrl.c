/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread: socket server, generations, bindings, punts, persistence (dp_ctrl.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "mg_ctrl.h"
#include "mg_file.h"
#include "mg_image.h"

#define LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, RTE_LOGTYPE_USER1, "mudgate.ctrl: " fmt "\n", ##__VA_ARGS__)

#define MAX_CLIENTS 8
#define OUT_CAP     (8u << 20) /* a client's unsent bytes beyond which punts are dropped for it */
#define MAX_HOLDS   4096
#define BIND_MAGIC  "MGBIND1"

struct dp_ctrl_stats dp_ctrl_stats;

struct client {
	int fd;
	bool hello;
	bool punt;
	uint32_t last_seq;
	uint8_t hdr[MG_CTRL_HDR_SIZE];
	uint32_t hdr_got;
	struct mg_ctrl_hdr h;
	uint8_t *payload;
	uint32_t payload_got;
	bool skip; /* discard this payload (unknown type) */
	uint8_t *out;
	size_t out_len, out_cap, out_off;
};

struct hold {
	uint64_t id;
	struct rte_mbuf *m;
	uint32_t worker;
	uint64_t deadline; /* TSC */
};

static struct {
	int lfd;
	char sock_path[108];
	char state_dir[4096];
	uint32_t max_devices;
	struct client cl[MAX_CLIENTS];
	struct hold holds[MAX_HOLDS];
	uint64_t next_hold;
	uint64_t devs_seq;
	bool bindings_dirty;
	uint64_t dirty_tsc;
	pthread_mutex_t lock;
	/* the base rebuild thread (struct rebuild) and when the image last changed */
	struct rebuild *rb;
	uint64_t load_tsc;
} C = {.lfd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

struct dp_ctrl_gen_stats dp_ctrl_gen_stats;
struct dp_overlay_limits dp_overlay_limits = {
	.max_policies = 32, .max_rules = 2000, .sync_rules = 8000, .stable_ms = 2000};

void
dp_ctrl_lock(void)
{
	pthread_mutex_lock(&C.lock);
}

void
dp_ctrl_unlock(void)
{
	pthread_mutex_unlock(&C.lock);
}

/* ---- persistence ------------------------------------------------------------------------ */

static int
write_atomic(const char *name, const void *a, size_t a_len, const void *b, size_t b_len)
{
	struct iovec iov[2] = {{.iov_base = (void *)a, .iov_len = a_len},
			       {.iov_base = (void *)b, .iov_len = b_len}};
	char path[4200];
	int rc;

	if (!C.state_dir[0])
		return 0;
	snprintf(path, sizeof(path), "%s/%s", C.state_dir, name);
	rc = mg_write_file_atomicv(path, iov, 2, 0600);
	if (rc < 0) {
		dp_ctrl_stats.persist_errors++;
		LOG(ERR, "persisting %s: %s", path, strerror(-rc));
	}
	return rc;
}

/* The BINDINGS payload of the current binding table (malloc'd). */
static uint8_t *
bindings_payload(const struct dp_gen *g, uint32_t *len_out, uint32_t *n_out)
{
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap), mac[6];
	uint32_t next = 0, pos, n = 0;
	uint64_t slot;

	if (!buf)
		return NULL;
	while (g && g->devs && dp_devs_iterate(g->devs, &next, mac, &slot, &pos) == 0) {
		uint32_t pid = dp_slot_pid(slot);
		const char *name = pid == DP_NO_PID ? NULL : dp_pids_name(dp.pids, pid);
		size_t nl = name ? strlen(name) : 0;
		if (len + sizeof(struct mg_ctrl_bind) + nl > cap) {
			cap = cap * 2 + nl;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		struct mg_ctrl_bind b = {.state = dp_slot_state(slot), .name_len = (uint16_t)nl};
		memcpy(b.mac, mac, 6);
		memcpy(buf + len, &b, sizeof(b));
		memcpy(buf + len + sizeof(b), name ? name : "", nl);
		len += sizeof(b) + nl;
		n++;
	}
	*len_out = (uint32_t)len;
	if (n_out)
		*n_out = n;
	return buf;
}

struct bind_file_hdr {
	char magic[8];
	uint64_t generation;
	uint32_t crc;
	uint32_t len;
};

static void
persist_bindings(void)
{
	const struct dp_gen *g = dp.gen;
	uint32_t len;
	uint8_t *p;

	if (!g)
		return;
	p = bindings_payload(g, &len, NULL);
	if (!p)
		return;
	struct bind_file_hdr h = {.magic = BIND_MAGIC,
				  .generation = g->generation,
				  .crc = mg_crc32c(0, p, len),
				  .len = len};
	write_atomic("bindings.bin", &h, sizeof(h), p, len);
	free(p);
	C.bindings_dirty = false;
}

static void
mark_dirty(void)
{
	if (!C.bindings_dirty)
		C.dirty_tsc = rte_rdtsc();
	C.bindings_dirty = true;
}

/* Applies a BINDINGS payload to devs (validated already). */
static int
apply_bindings(struct dp_devs *devs, const struct dp_gen *g, const uint8_t *p, uint32_t len,
	       char *errbuf, size_t errbuf_size)
{
	for (uint32_t off = 0; off < len;) {
		struct mg_ctrl_bind b;
		char name[MG_CTRL_NAME_MAX + 1];
		memcpy(&b, p + off, sizeof(b));
		memcpy(name, p + off + sizeof(b), b.name_len);
		name[b.name_len] = 0;
		off += sizeof(b) + b.name_len;
		uint32_t pid = DP_NO_PID;
		if (b.name_len) {
			pid = dp_pids_find(dp.pids, name);
			if (pid == DP_NO_PID || pid >= g->n_pid_map ||
			    g->pid_map[pid] == MGI_NO_POLICY) {
				snprintf(errbuf, errbuf_size,
					 "policy '%.180s' not in generation %" PRIu64, name,
					 g->generation);
				return -ENOENT;
			}
		}
		int rc = dp_devs_set(devs, b.mac, pid, b.state);
		if (rc < 0) {
			snprintf(errbuf, errbuf_size, "device table full (%u)", devs->cap);
			return rc;
		}
	}
	return 0;
}

/* ---- generations ------------------------------------------------------------------------ */

/* keep_hits: ng is the same image as the current generation and takes over its rule counters
 * (a worker uses one generation per burst and writes only its own row) */
static void
publish(struct dp_gen *ng, bool keep_hits)
{
	struct dp_gen *old = dp.gen;

	if (keep_hits && old) {
		rte_free(ng->rule_hits);
		ng->rule_hits = old->rule_hits;
	}
	__atomic_store_n(&dp.gen, ng, __ATOMIC_RELEASE);
	/* every worker passes a quiescent point after the store: none can still see old */
	rte_rcu_qsbr_synchronize(dp.rcu, RTE_QSBR_THRID_INVALID);
	if (!old)
		return;
	dp_ctrl_lock();
	struct dp_devs *od = old->devs;
	old->devs = NULL;
	if (keep_hits)
		old->rule_hits = NULL;
	dp_gen_destroy(old);
	if (od && --od->refs == 0)
		dp_devs_destroy(od);
	dp_ctrl_unlock();
}

static struct dp_devs *
new_devs(void)
{
	char name[32];
	snprintf(name, sizeof(name), "mg_devs_%" PRIu64, ++C.devs_seq);
	struct dp_devs *d = dp_devs_create(name, C.max_devices, dp.n_workers, dp.rcu);
	if (d)
		d->refs = 1;
	return d;
}

int
dp_ctrl_load(const void *blob, size_t size, uint64_t generation, bool keep_bindings, bool persist,
	     char *errbuf, size_t errbuf_size)
{
	uint64_t cur = dp.gen ? dp.gen->generation : 0;
	struct mgi_header *h;
	struct dp_gen *g;
	void *copy;
	int rc;

	if (size < sizeof(struct mgi_header)) {
		snprintf(errbuf, errbuf_size, "image of %zu bytes is shorter than its header",
			 size);
		return -EINVAL;
	}
	if (generation == 0)
		generation = cur + 1;
	else if (generation <= cur) {
		snprintf(errbuf, errbuf_size, "generation %" PRIu64 " is not newer than %" PRIu64,
			 generation, cur);
		return -ESTALE;
	}
	/* The image as sent is validated once (dp_gen_update: mgi_open, checksum included) and
	 * published; only then does the generation's copy get its generation number and a new
	 * checksum (what is persisted and reported): the header is read by the control thread
	 * only, so neither costs update latency. */
	dp_ctrl_maintain(); /* a rebuilt base, when ready, is the one to diff against */
	g = dp_gen_update(blob, size, generation, dp.pids, dp.n_workers,
			  dp.gen ? dp.gen->base : NULL, dp_overlay_limits.sync_rules, errbuf,
			  errbuf_size);
	if (!g) {
		rc = -errno;
		dp_ctrl_stats.load_failures++;
		return rc ? rc : -EINVAL;
	}
	g->img.generation = generation;
	copy = g->blob;
	if (keep_bindings && dp.gen && dp.gen->devs) {
		g->devs = dp.gen->devs;
		g->devs->refs++;
	} else {
		g->devs = new_devs();
		if (!g->devs) {
			snprintf(errbuf, errbuf_size, "cannot create a device table of %u",
				 C.max_devices);
			dp_gen_destroy(g);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < g->img.n_devices; i++) {
			const struct mgi_device *d = &g->img.devices[i];
			uint32_t pid =
				d->policy == MGI_NO_POLICY ? DP_NO_PID : g->policy_pid[d->policy];
			rc = dp_devs_set(g->devs, d->mac, pid, d->state);
			if (rc < 0) {
				snprintf(errbuf, errbuf_size, "device table full (%u)",
					 C.max_devices);
				dp_devs_destroy(g->devs);
				g->devs = NULL;
				dp_gen_destroy(g);
				return rc;
			}
		}
	}
	LOG(INFO,
	    "generation %" PRIu64 ": %u policies, %u ACEs, %u+%u rules (overlay: %u policies, "
	    "%u rules), built in %.1f ms",
	    generation, g->img.n_policies, g->img.n_aces, g->n_rules[0], g->n_rules[1],
	    g->n_overlay, g->n_overlay_rules, g->build_ms);
	if (!dp.gen || g->base != dp.gen->base)
		dp_ctrl_gen_stats.base_builds_sync++;
	publish(g, false);
	dp_ctrl_stats.loads++;
	C.load_tsc = rte_rdtsc();
	h = copy;
	h->generation = generation;
	h->checksum = 0;
	h->checksum = mgi_checksum(copy, size);
	if (persist) {
		write_atomic("image.mgi", copy, size, NULL, 0);
		persist_bindings();
	}
	return 0;
}

/* ---- base rebuilds --------------------------------------------------------------------- */

/* A base built on its own thread from the image in force when it started; the control thread
 * starts it, polls `done` and joins it. Nothing else is shared. */
struct rebuild {
	pthread_t th;
	void *blob;
	size_t size;
	uint32_t *policy_pid;
	struct dp_base *base; /* the result, NULL on failure */
	char err[256];
	bool done; /* atomic: release by the thread, acquire by the control thread */
};

static void *
rebuild_main(void *arg)
{
	struct rebuild *r = arg;
	r->base = dp_base_build(r->blob, r->size, r->policy_pid, r->err, sizeof(r->err));
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void
rebuild_free(struct rebuild *r)
{
	if (!r)
		return;
	free(r->blob);
	free(r->policy_pid);
	free(r);
}

static void
rebuild_start(const struct dp_gen *g)
{
	struct rebuild *r = calloc(1, sizeof(*r));
	if (!r)
		return;
	r->blob = malloc(g->size);
	r->policy_pid = malloc(((size_t)g->img.n_policies + 1) * sizeof(*r->policy_pid));
	if (!r->blob || !r->policy_pid) {
		rebuild_free(r);
		return;
	}
	memcpy(r->blob, g->blob, g->size);
	r->size = g->size;
	memcpy(r->policy_pid, g->policy_pid, (size_t)g->img.n_policies * sizeof(*r->policy_pid));
	if (pthread_create(&r->th, NULL, rebuild_main, r) != 0) {
		rebuild_free(r);
		return;
	}
	pthread_setname_np(r->th, "mg-acl-build");
	C.rb = r;
	dp_ctrl_gen_stats.base_rebuilds_started++;
}

/* Joins the rebuild thread; publishes the image in force over the new base. */
static void
rebuild_finish(void)
{
	struct rebuild *r = C.rb;
	char err[256];

	pthread_join(r->th, NULL);
	C.rb = NULL;
	if (!r->base) {
		LOG(ERR, "base rebuild failed: %s", r->err);
		dp_ctrl_gen_stats.base_rebuild_failures++;
		rebuild_free(r);
		return;
	}
	dp_ctrl_gen_stats.base_rebuilds++;
	dp_ctrl_gen_stats.last_base_build_ms = r->base->build_ms;
	if (!dp.gen || !dp.gen->n_overlay) { /* nothing left to fold into a base */
		dp_base_destroy(r->base);
		rebuild_free(r);
		return;
	}
	/* the image in force may be newer than the one the base was built from: its changes
	 * since then go to the overlay */
	struct dp_gen *g = dp_gen_update(dp.gen->blob, dp.gen->size, dp.gen->generation, dp.pids,
					 dp.n_workers, r->base, UINT32_MAX, err, sizeof(err));
	if (!g) {
		LOG(ERR, "generation over the rebuilt base: %s", err);
		dp_base_destroy(r->base);
		rebuild_free(r);
		return;
	}
	g->devs = dp.gen->devs;
	g->devs->refs++;
	LOG(INFO, "generation %" PRIu64 ": base rebuilt in %.1f ms, overlay %u policies",
	    g->generation, r->base->build_ms, g->n_overlay);
	publish(g, true);
	rebuild_free(r);
}

void
dp_ctrl_maintain(void)
{
	if (C.rb) {
		if (__atomic_load_n(&C.rb->done, __ATOMIC_ACQUIRE))
			rebuild_finish();
		return;
	}
	const struct dp_gen *g = dp.gen;
	if (!g || !g->n_overlay || dp.quit) /* no new build while shutting down */
		return;
	const struct dp_overlay_limits *l = &dp_overlay_limits;
	bool big = g->n_overlay > l->max_policies || g->n_overlay_rules > l->max_rules;
	bool stable = rte_rdtsc() - C.load_tsc > rte_get_tsc_hz() * l->stable_ms / 1000;
	if (big || stable)
		rebuild_start(g);
}

int
dp_ctrl_restore(char *errbuf, size_t errbuf_size)
{
	char path[4200];
	size_t size, bsize;
	void *blob, *bb;
	int rc;

	if (!C.state_dir[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/image.mgi", C.state_dir);
	blob = mg_read_file(path, MGI_MAX_SIZE, &size);
	if (!blob) {
		snprintf(errbuf, errbuf_size, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	struct mgi_image img;
	rc = mgi_open(&img, blob, size, errbuf, errbuf_size);
	if (rc < 0) {
		free(blob);
		return rc;
	}
	rc = dp_ctrl_load(blob, size, img.generation ? img.generation : 1, false, false, errbuf,
			  errbuf_size);
	free(blob);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/bindings.bin", C.state_dir);
	bb = mg_read_file(path, 1u << 28, &bsize);
	if (!bb)
		return 0; /* the image's own device table */
	struct bind_file_hdr bh;
	char err[256];
	if (bsize < sizeof(bh)) {
		LOG(WARNING, "%s: truncated, using the image's device table", path);
		goto out_free;
	}
	memcpy(&bh, bb, sizeof(bh));
	const uint8_t *p = (const uint8_t *)bb + sizeof(bh);
	if (memcmp(bh.magic, BIND_MAGIC, 8) || bh.len != bsize - sizeof(bh) ||
	    bh.crc != mg_crc32c(0, p, bh.len) ||
	    mg_ctrl_payload_check(MG_CTRL_BINDINGS, p, bh.len, err, sizeof(err)) < 0) {
		LOG(WARNING, "%s: invalid, using the image's device table", path);
		goto out_free;
	}
	if (bh.generation != dp.gen->generation) {
		LOG(WARNING, "%s: generation %" PRIu64 " != image %" PRIu64 ", using the image's",
		    path, bh.generation, dp.gen->generation);
		goto out_free;
	}
	/* bindings are applied to the live table: each change is one atomic slot update and
	 * no worker runs yet at startup */
	dp_devs_clear(dp.gen->devs);
	if (apply_bindings(dp.gen->devs, dp.gen, p, bh.len, err, sizeof(err)) < 0)
		LOG(WARNING, "%s: %s", path, err);
out_free:
	free(bb);
	return 0;
}

/* ---- client I/O ------------------------------------------------------------------------- */

static void
out_append(struct client *c, uint16_t type, uint32_t seq, const void *a, uint32_t a_len,
	   const void *b, uint32_t b_len)
{
	size_t need = MG_CTRL_HDR_SIZE + a_len + b_len;
	if (c->out_len + need > c->out_cap) {
		size_t cap = RTE_MAX(c->out_cap * 2, c->out_len + need + 4096);
		uint8_t *n = realloc(c->out, cap);
		if (!n)
			return;
		c->out = n;
		c->out_cap = cap;
	}
	mg_ctrl_hdr_encode(c->out + c->out_len, type, a_len + b_len, seq);
	if (a_len)
		memcpy(c->out + c->out_len + MG_CTRL_HDR_SIZE, a, a_len);
	if (b_len)
		memcpy(c->out + c->out_len + MG_CTRL_HDR_SIZE + a_len, b, b_len);
	c->out_len += need;
}

static void
reply(struct client *c, uint32_t seq, int status, const char *reason)
{
	size_t rl = strlen(reason);
	if (rl > MG_CTRL_REASON_MAX)
		rl = MG_CTRL_REASON_MAX;
	struct mg_ctrl_reply r = {.status = status,
				  .reason_len = (uint32_t)rl,
				  .generation = dp.gen ? dp.gen->generation : 0};
	out_append(c, MG_CTRL_REPLY, seq, &r, sizeof(r), reason, (uint32_t)rl);
	dp_ctrl_stats.replies++;
	if (status < 0)
		LOG(INFO, "client %d: request %u rejected: %s", c->fd, seq, reason);
}

static void
flush_out(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w <= 0)
			break;
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

static void release_all_holds(void);

static void
update_listener(void)
{
	bool any = false;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (C.cl[i].fd >= 0 && C.cl[i].punt)
			any = true;
	__atomic_store_n(&dp.punt_listener, any, __ATOMIC_RELAXED);
	if (!any)
		release_all_holds();
}

static void
client_close(struct client *c)
{
	close(c->fd);
	free(c->payload);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	dp_ctrl_stats.disconnects++;
	update_listener();
}

/* ---- holds ------------------------------------------------------------------------------ */

static void
hold_finish(struct hold *h, bool forward)
{
	if (forward) {
		if (rte_ring_enqueue(dp.workers[h->worker].inject, h->m) != 0) {
			rte_pktmbuf_free(h->m);
			dp_ctrl_stats.hold_dropped++;
		}
	} else {
		rte_pktmbuf_free(h->m);
		dp_ctrl_stats.hold_dropped++;
	}
	h->m = NULL;
	h->id = 0;
}

static void
release_all_holds(void)
{
	for (int i = 0; i < MAX_HOLDS; i++)
		if (C.holds[i].m)
			hold_finish(&C.holds[i], true);
}

/* ---- requests --------------------------------------------------------------------------- */

static void
handle(struct client *c)
{
	const struct mg_ctrl_hdr *h = &c->h;
	const uint8_t *p = c->payload;
	char err[256] = "";
	int rc;

	dp_ctrl_stats.msgs++;
	if (h->seq <= c->last_seq && c->hello) {
		dp_ctrl_stats.out_of_order++;
		snprintf(err, sizeof(err), "%s: seq %u not above the previous %u",
			 mg_ctrl_type_str(h->type), h->seq, c->last_seq);
		return reply(c, h->seq, -EPROTO, err);
	}
	rc = mg_ctrl_payload_check(h->type, p, h->len, err, sizeof(err));
	if (rc < 0) {
		dp_ctrl_stats.malformed++;
		return reply(c, h->seq, rc, err);
	}
	if (!c->hello && h->type != MG_CTRL_HELLO) {
		dp_ctrl_stats.out_of_order++;
		snprintf(err, sizeof(err), "%s before HELLO", mg_ctrl_type_str(h->type));
		return reply(c, h->seq, -EPROTO, err);
	}
	c->last_seq = h->seq;
	switch (h->type) {
	case MG_CTRL_HELLO: {
		struct mg_ctrl_hello m;
		memcpy(&m, p, sizeof(m));
		if (c->hello) {
			dp_ctrl_stats.out_of_order++;
			return reply(c, h->seq, -EPROTO, "HELLO: already said");
		}
		c->hello = true;
		c->punt = m.flags & MG_CTRL_HELLO_PUNT;
		update_listener();
		return reply(c, h->seq, 0, "hello");
	}
	case MG_CTRL_LOAD_IMAGE: {
		struct mg_ctrl_load m;
		memcpy(&m, p, sizeof(m));
		rc = dp_ctrl_load(p + sizeof(m), h->len - sizeof(m), m.generation,
				  m.flags & MG_CTRL_LOAD_KEEP_BINDINGS, true, err, sizeof(err));
		if (rc < 0)
			dp_ctrl_stats.rejected++;
		else
			snprintf(err, sizeof(err), "generation %" PRIu64 " loaded",
				 dp.gen->generation);
		return reply(c, h->seq, rc, err);
	}
	case MG_CTRL_BIND: {
		if (!dp.gen) {
			dp_ctrl_stats.rejected++;
			return reply(c, h->seq, -ENOENT, "BIND: no image loaded");
		}
		rc = apply_bindings(dp.gen->devs, dp.gen, p, h->len, err, sizeof(err));
		if (rc < 0) {
			dp_ctrl_stats.rejected++;
			return reply(c, h->seq, rc, err);
		}
		dp_ctrl_stats.binds++;
		mark_dirty();
		return reply(c, h->seq, 0, "bound");
	}
	case MG_CTRL_UNBIND:
	case MG_CTRL_SET_STATE: {
		char mac[18];
		mg_mac_format(p, mac);
		if (!dp.gen) {
			dp_ctrl_stats.rejected++;
			return reply(c, h->seq, -ENOENT, "no image loaded");
		}
		rc = h->type == MG_CTRL_UNBIND ? dp_devs_del(dp.gen->devs, p)
					       : dp_devs_set_state(dp.gen->devs, p, p[6]);
		if (rc < 0) {
			dp_ctrl_stats.rejected++;
			snprintf(err, sizeof(err), "%s: device %s is not bound",
				 mg_ctrl_type_str(h->type), mac);
			return reply(c, h->seq, rc, err);
		}
		if (h->type == MG_CTRL_UNBIND)
			dp_ctrl_stats.unbinds++;
		else
			dp_ctrl_stats.set_states++;
		mark_dirty();
		return reply(c, h->seq, 0, "ok");
	}
	case MG_CTRL_GET_COUNTERS: {
		size_t len;
		char *j = dp_counters_json(&len);
		if (!j)
			return reply(c, h->seq, -ENOMEM, "out of memory");
		out_append(c, MG_CTRL_COUNTERS, h->seq, j, (uint32_t)len, NULL, 0);
		free(j);
		return;
	}
	case MG_CTRL_GET_STATE:
	case MG_CTRL_GET_BINDINGS: {
		uint32_t len, n;
		uint8_t *b = bindings_payload(dp.gen, &len, &n);
		if (!b)
			return reply(c, h->seq, -ENOMEM, "out of memory");
		if (h->type == MG_CTRL_GET_BINDINGS) {
			out_append(c, MG_CTRL_BINDINGS, h->seq, b, len, NULL, 0);
		} else {
			struct mg_ctrl_state_info s = {
				.generation = dp.gen ? dp.gen->generation : 0,
				.image_crc =
					dp.gen ? ((const struct mgi_header *)dp.gen->blob)->checksum
					       : 0,
				.n_bindings = n,
				.bindings_crc = mg_crc32c(0, b, len),
				.n_workers = dp.n_workers,
			};
			out_append(c, MG_CTRL_STATE, h->seq, &s, sizeof(s), NULL, 0);
		}
		free(b);
		return;
	}
	case MG_CTRL_RELEASE: {
		struct mg_ctrl_release m;
		memcpy(&m, p, sizeof(m));
		struct hold *hd = &C.holds[m.hold_id % MAX_HOLDS];
		if (!m.hold_id || hd->id != m.hold_id || !hd->m) {
			dp_ctrl_stats.rejected++;
			snprintf(err, sizeof(err), "RELEASE: hold %" PRIu64 " unknown or expired",
				 m.hold_id);
			return reply(c, h->seq, -ENOENT, err);
		}
		hold_finish(hd, m.action == MG_RELEASE_FORWARD);
		if (m.action == MG_RELEASE_FORWARD)
			dp_ctrl_stats.hold_released++;
		return reply(c, h->seq, 0, "released");
	}
	default:
		dp_ctrl_stats.malformed++;
		snprintf(err, sizeof(err), "%s is not a request", mg_ctrl_type_str(h->type));
		return reply(c, h->seq, -EBADMSG, err);
	}
}

/* Reads what is available; returns false when the client must be closed. */
static bool
client_read(struct client *c)
{
	for (;;) {
		if (c->hdr_got < MG_CTRL_HDR_SIZE) {
			ssize_t r = read(c->fd, c->hdr + c->hdr_got, MG_CTRL_HDR_SIZE - c->hdr_got);
			if (r == 0)
				return false;
			if (r < 0)
				return errno == EAGAIN || errno == EINTR;
			c->hdr_got += (uint32_t)r;
			if (c->hdr_got < MG_CTRL_HDR_SIZE)
				continue;
			char err[200];
			int rc = mg_ctrl_hdr_decode(&c->h, c->hdr, MG_CTRL_MAX_PAYLOAD, err,
						    sizeof(err));
			c->skip = false;
			if (rc == -EBADMSG) {
				dp_ctrl_stats.malformed++;
				reply(c, c->h.seq, rc, err);
				c->skip = true;
			} else if (rc < 0) {
				/* framing cannot be trusted any more */
				dp_ctrl_stats.malformed++;
				reply(c, c->h.seq, rc, err);
				flush_out(c);
				return false;
			}
			c->payload = malloc((size_t)c->h.len + 1);
			if (!c->payload)
				return false;
			c->payload_got = 0;
		}
		if (c->payload_got < c->h.len) {
			ssize_t r =
				read(c->fd, c->payload + c->payload_got, c->h.len - c->payload_got);
			if (r == 0)
				return false;
			if (r < 0)
				return errno == EAGAIN || errno == EINTR;
			c->payload_got += (uint32_t)r;
			if (c->payload_got < c->h.len)
				continue;
		}
		if (!c->skip)
			handle(c);
		free(c->payload);
		c->payload = NULL;
		c->hdr_got = 0;
	}
}

/* ---- punts ------------------------------------------------------------------------------ */

static void
drain_punts(void)
{
	uint64_t now = rte_rdtsc();
	for (uint32_t w = 0; w < dp.n_workers; w++) {
		struct rte_mbuf *m[64];
		unsigned int n =
			rte_ring_sc_dequeue_burst(dp.workers[w].punt, (void **)m, 64, NULL);
		for (unsigned int i = 0; i < n; i++) {
			struct dp_punt_meta *meta = rte_mbuf_to_priv(m[i]);
			struct mg_ctrl_punt pm = {.port = meta->port,
						  .kind = meta->kind,
						  .frame_len = rte_pktmbuf_pkt_len(m[i])};
			uint8_t buf[16384];
			uint32_t len = RTE_MIN(pm.frame_len, (uint32_t)sizeof(buf));
			const void *data = rte_pktmbuf_read(m[i], 0, len, buf);
			pm.frame_len = len;
			if (meta->hold) {
				uint64_t id = ++C.next_hold;
				struct hold *h = &C.holds[id % MAX_HOLDS];
				if (h->m) /* the slot's previous hold times out now */
					hold_finish(h, true), dp_ctrl_stats.hold_timeouts++;
				*h = (struct hold){.id = id,
						   .m = m[i],
						   .worker = w,
						   .deadline = now + rte_get_tsc_hz() *
									     dp.hold_timeout_ms /
									     1000};
				pm.hold_id = id;
				dp_ctrl_stats.holds++;
			}
			bool sent = false;
			for (int k = 0; k < MAX_CLIENTS; k++) {
				struct client *c = &C.cl[k];
				if (c->fd < 0 || !c->punt)
					continue;
				if (c->out_len - c->out_off > OUT_CAP) {
					dp_ctrl_stats.punts_dropped++;
					continue;
				}
				out_append(c, MG_CTRL_PUNT, 0, &pm, sizeof(pm), data, len);
				sent = true;
			}
			if (sent)
				dp_ctrl_stats.punts_sent++;
			if (!meta->hold)
				rte_pktmbuf_free(m[i]);
			else if (!sent) /* nobody to release it: forward now */
				hold_finish(&C.holds[pm.hold_id % MAX_HOLDS], true);
		}
	}
	for (int i = 0; i < MAX_HOLDS; i++)
		if (C.holds[i].m && C.holds[i].deadline < now) {
			hold_finish(&C.holds[i], true);
			dp_ctrl_stats.hold_timeouts++;
		}
}

/* ---- loop ------------------------------------------------------------------------------- */

void
dp_ctrl_poll(int timeout_ms)
{
	struct pollfd pfd[MAX_CLIENTS + 1];
	int map[MAX_CLIENTS + 1], n = 0;

	if (C.lfd >= 0) {
		pfd[n] = (struct pollfd){.fd = C.lfd, .events = POLLIN};
		map[n++] = -1;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (C.cl[i].fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = C.cl[i].fd, .events = POLLIN};
		if (C.cl[i].out_len > C.cl[i].out_off)
			pfd[n].events |= POLLOUT;
		map[n++] = i;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) > 0) {
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (map[k] < 0) {
				int fd = accept4(C.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				int slot = -1;
				for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
					if (C.cl[i].fd < 0)
						slot = i;
				if (slot < 0) {
					close(fd);
					continue;
				}
				C.cl[slot].fd = fd;
				dp_ctrl_stats.clients++;
				continue;
			}
			struct client *c = &C.cl[map[k]];
			if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && !client_read(c)) {
				flush_out(c);
				client_close(c);
				continue;
			}
			flush_out(c);
		}
	}
	drain_punts();
	dp_ctrl_maintain();
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (C.cl[i].fd >= 0 && C.cl[i].out_len > C.cl[i].out_off)
			flush_out(&C.cl[i]);
	if (C.bindings_dirty && rte_rdtsc() - C.dirty_tsc > rte_get_tsc_hz() / 10)
		persist_bindings();
}

int
dp_ctrl_init(const char *sock_path, const char *state_dir, uint32_t max_devices)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	for (int i = 0; i < MAX_CLIENTS; i++)
		C.cl[i].fd = -1;
	C.max_devices = max_devices;
	if (state_dir) {
		if (strlen(state_dir) >= sizeof(C.state_dir))
			return -ENAMETOOLONG;
		if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		strcpy(C.state_dir, state_dir);
	}
	if (!sock_path)
		return 0;
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	strcpy(C.sock_path, sock_path);
	C.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (C.lfd < 0)
		return -errno;
	unlink(sock_path);
	if (bind(C.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(C.lfd, 8) < 0) {
		int rc = -errno;
		close(C.lfd);
		C.lfd = -1;
		return rc;
	}
	chmod(sock_path, 0600);
	return 0;
}

void
dp_ctrl_fini(void)
{
	if (C.rb) {
		pthread_join(C.rb->th, NULL);
		dp_base_destroy(C.rb->base);
		rebuild_free(C.rb);
		C.rb = NULL;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (C.cl[i].fd >= 0) {
			flush_out(&C.cl[i]);
			client_close(&C.cl[i]);
		}
	for (int i = 0; i < MAX_HOLDS; i++)
		if (C.holds[i].m) {
			rte_pktmbuf_free(C.holds[i].m);
			C.holds[i].m = NULL;
		}
	if (C.bindings_dirty)
		persist_bindings();
	if (C.lfd >= 0) {
		close(C.lfd);
		unlink(C.sock_path);
		C.lfd = -1;
	}
}
