/* SPDX-License-Identifier: BSD-3-Clause */
/* mudgate-dp control socket client and synchronisation (pub.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "publish/pub.h"
#include "mg_file.h"

struct req {
	uint32_t seq;
	uint16_t type;
	bool sync; /* part of a synchronisation */
	struct pub_binding b;
	void *image; /* LOAD_IMAGE: the blob sent (gen 0) */
	size_t image_size;
	uint64_t tag; /* LOAD_IMAGE: the caller's tag of image */
	struct req *next;
};

struct release {
	uint64_t hold_id;
	uint32_t action;
};

struct ctr_waiter {
	void (*done)(void *arg);
	void *arg;
};

struct pub {
	struct event_base *base;
	char *sock_path;
	char *state_dir;
	struct pub_events ev;
	struct bufferevent *bev;
	struct event *retry;
	bool ready; /* HELLO, GET_STATE, GET_BINDINGS done */
	bool was_up;
	uint32_t seq;
	struct req *head, *tail;

	void *desired;
	size_t desired_size;
	uint64_t desired_tag, loaded_tag;
	struct pub_binding *want;
	size_t n_want;

	void *loaded; /* the image the fast path runs (gen 0 bytes), NULL unknown */
	size_t loaded_size;
	void *failed; /* last image the fast path refused: not retried */
	size_t failed_size;
	void *cand; /* from the state dir */
	size_t cand_size;
	uint64_t cand_gen;

	struct pub_binding *mirror;
	size_t n_mirror, cap_mirror;
	struct pub_binding *bad; /* bindings the fast path refused: not sent again */
	size_t n_bad, cap_bad;
	struct pub_binding *forget; /* to UNBIND (only mac is used) */
	size_t n_forget, cap_forget;

	unsigned outstanding; /* sync requests in flight */
	bool dirty;
	struct release *rel;
	size_t n_rel, cap_rel;
	struct pub_stats st;

	json_t *ctr;        /* the last COUNTERS document */
	int64_t ctr_when;   /* when it arrived (epoch seconds) */
	uint64_t ctr_ended; /* monotonic ms when the last query ended, 0: never */
	bool ctr_in_flight; /* a GET_COUNTERS waits for its answer */
	bool ctr_waiting;   /* ... and its waiters were not ended by the timeout */
	struct event *ctr_timer;
	struct ctr_waiter *ctr_w;
	size_t n_ctr_w, cap_ctr_w;
	struct pub_counters_stats cst;
};

static void pub_connect(struct pub *p);
static void run_sync(struct pub *p);
static void lost(struct pub *p, const char *why);

/* ---- persistence ------------------------------------------------------------------------ */

static void
persist_loaded(struct pub *p, uint64_t gen)
{
	char path[4200], text[64];

	if (!p->state_dir)
		return;
	snprintf(path, sizeof(path), "%s/image.mgi", p->state_dir);
	if (mg_write_file_atomic(path, p->loaded, p->loaded_size, 0600) < 0)
		return;
	snprintf(path, sizeof(path), "%s/published.json", p->state_dir);
	snprintf(text, sizeof(text), "{\"generation\": %" PRIu64 "}\n", gen);
	mg_write_file_atomic(path, text, strlen(text), 0600);
}

static void
restore_candidate(struct pub *p)
{
	char path[4200], *text;
	size_t size;

	if (!p->state_dir)
		return;
	snprintf(path, sizeof(path), "%s/published.json", p->state_dir);
	text = mg_read_file(path, 4096, &size);
	if (!text)
		return;
	text[size < 4095 ? size : 4095] = 0;
	char *g = strstr(text, "\"generation\":");
	if (g)
		p->cand_gen = strtoull(g + 13, NULL, 10);
	free(text);
	snprintf(path, sizeof(path), "%s/image.mgi", p->state_dir);
	p->cand = mg_read_file(path, MGI_MAX_SIZE, &p->cand_size);
	if (!p->cand)
		p->cand_gen = 0;
}

/* The checksum the fast path reports for blob loaded as generation gen. */
static uint32_t
checksum_at(const void *blob, size_t size, uint64_t gen)
{
	struct mgi_header *h;
	uint32_t crc;
	void *copy;

	if (size < sizeof(*h))
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, blob, size);
	h = copy;
	h->generation = gen;
	h->checksum = 0;
	crc = mgi_checksum(copy, size);
	free(copy);
	return crc;
}

/* ---- requests --------------------------------------------------------------------------- */

static struct req *
send_req(struct pub *p, uint16_t type, const void *a, uint32_t a_len, const void *b, uint32_t b_len)
{
	uint8_t hdr[MG_CTRL_HDR_SIZE];
	struct req *r;

	if (!p->bev)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->seq = ++p->seq;
	r->type = type;
	mg_ctrl_hdr_encode(hdr, type, a_len + b_len, r->seq);
	bufferevent_write(p->bev, hdr, sizeof(hdr));
	if (a_len)
		bufferevent_write(p->bev, a, a_len);
	if (b_len)
		bufferevent_write(p->bev, b, b_len);
	if (p->tail)
		p->tail->next = r;
	else
		p->head = r;
	p->tail = r;
	return r;
}

static void
req_free(struct req *r)
{
	free(r->image);
	free(r);
}

static struct pub_binding *
mirror_find(struct pub *p, const uint8_t mac[6])
{
	for (size_t i = 0; i < p->n_mirror; i++)
		if (!memcmp(p->mirror[i].mac, mac, 6))
			return &p->mirror[i];
	return NULL;
}

static int
mirror_set(struct pub *p, const struct pub_binding *b)
{
	struct pub_binding *m = mirror_find(p, b->mac);

	if (!m) {
		if (p->n_mirror == p->cap_mirror) {
			size_t cap = p->cap_mirror ? p->cap_mirror * 2 : 32;
			struct pub_binding *v = realloc(p->mirror, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->mirror = v;
			p->cap_mirror = cap;
		}
		m = &p->mirror[p->n_mirror++];
	}
	*m = *b;
	return 0;
}

/* Find mac in v[0..n), NULL when absent. */
static struct pub_binding *
list_find(struct pub_binding *v, size_t n, const uint8_t mac[6])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].mac, mac, 6))
			return &v[i];
	return NULL;
}

/* Add b to a list (replacing the entry of its mac). */
static int
list_put(struct pub_binding **v, size_t *n, size_t *cap, const struct pub_binding *b)
{
	struct pub_binding *m = list_find(*v, *n, b->mac);

	if (!m) {
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			struct pub_binding *nv = realloc(*v, c * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = c;
		}
		m = &(*v)[(*n)++];
	}
	*m = *b;
	return 0;
}

static void
list_del(struct pub_binding *v, size_t *n, const uint8_t mac[6])
{
	struct pub_binding *m = list_find(v, *n, mac);

	if (m)
		*m = v[--(*n)];
}

/* A binding the fast path refused exactly as wanted now. */
static bool
refused_before(struct pub *p, const struct pub_binding *w)
{
	const struct pub_binding *b = list_find(p->bad, p->n_bad, w->mac);

	return b && b->state == w->state && !strcmp(b->policy, w->policy);
}

static void
flush_releases(struct pub *p)
{
	for (size_t i = 0; i < p->n_rel; i++)
		pub_release(p, p->rel[i].hold_id, p->rel[i].action);
	p->n_rel = 0;
}

static void
refused(struct pub *p, const char *what, const uint8_t *mac, int status, const char *reason)
{
	p->st.refused++;
	if (p->ev.refused)
		p->ev.refused(what, mac, status, reason, p->ev.arg);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The query in flight ended (answer, timeout, connection lost): call and forget its waiters. */
static void
counters_end(struct pub *p)
{
	size_t n = p->n_ctr_w;

	p->ctr_ended = now_ms();
	p->ctr_waiting = false;
	evtimer_del(p->ctr_timer);
	p->n_ctr_w = 0;
	for (size_t i = 0; i < n; i++)
		p->ctr_w[i].done(p->ctr_w[i].arg);
}

/* The answer to GET_COUNTERS: a JSON object, or a REPLY refusing the request. */
static void
counters_answer(struct pub *p, const struct mg_ctrl_hdr *h, const uint8_t *pl)
{
	json_error_t je;
	json_t *j = NULL;
	char why[300];

	p->ctr_in_flight = false;
	if (h->type != MG_CTRL_COUNTERS) {
		snprintf(why, sizeof(why), "answered by %s", mg_ctrl_type_str(h->type));
	} else if (h->len > PUB_COUNTERS_MAX_SIZE) {
		snprintf(why, sizeof(why), "COUNTERS: %u bytes, more than %u", h->len,
			 PUB_COUNTERS_MAX_SIZE);
	} else if (!(j = json_loadb((const char *)pl, h->len, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(why, sizeof(why), "COUNTERS: byte %d: %s", je.position, je.text);
	} else if (!json_is_object(j)) {
		snprintf(why, sizeof(why), "COUNTERS: not a JSON object");
		json_decref(j);
		j = NULL;
	}
	if (j) {
		json_decref(p->ctr);
		p->ctr = j;
		p->ctr_when = (int64_t)time(NULL);
		p->cst.answers++;
	} else {
		p->cst.refused++;
		refused(p, "GET_COUNTERS", NULL, -EBADMSG, why);
	}
	if (p->ctr_waiting)
		counters_end(p);
}

static void
on_counters_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pub *p = arg;

	p->cst.timeouts++;
	counters_end(p);
}

static void
handle_reply(struct pub *p, struct req *r, const struct mg_ctrl_hdr *h, const uint8_t *pl)
{
	char reason[MG_CTRL_REASON_MAX + 1] = "", what[64];
	struct mg_ctrl_reply rep = {0};

	if (h->type == MG_CTRL_REPLY) {
		memcpy(&rep, pl, sizeof(rep));
		memcpy(reason, pl + sizeof(rep), rep.reason_len);
		reason[rep.reason_len] = 0;
		if (rep.generation)
			p->st.generation = rep.generation;
	}
	char mac[18];
	mg_mac_format(r->b.mac, mac);
	switch (r->type) {
	case MG_CTRL_HELLO:
		if (rep.status < 0) {
			refused(p, "HELLO", NULL, rep.status, reason);
			break;
		}
		send_req(p, MG_CTRL_GET_STATE, NULL, 0, NULL, 0);
		send_req(p, MG_CTRL_GET_BINDINGS, NULL, 0, NULL, 0);
		break;
	case MG_CTRL_GET_STATE: {
		struct mg_ctrl_state_info s;
		if (h->type != MG_CTRL_STATE)
			break;
		memcpy(&s, pl, sizeof(s));
		p->st.generation = s.generation;
		free(p->loaded);
		p->loaded = NULL;
		if (s.generation && p->cand && s.generation == p->cand_gen &&
		    s.image_crc == checksum_at(p->cand, p->cand_size, p->cand_gen)) {
			p->loaded = malloc(p->cand_size);
			if (p->loaded) {
				memcpy(p->loaded, p->cand, p->cand_size);
				p->loaded_size = p->cand_size;
			}
		}
		break;
	}
	case MG_CTRL_GET_BINDINGS: {
		if (h->type != MG_CTRL_BINDINGS)
			break;
		p->n_mirror = 0;
		p->n_bad = 0; /* a new connection: refused bindings may be tried again */
		for (uint32_t off = 0; off + sizeof(struct mg_ctrl_bind) <= h->len;) {
			struct mg_ctrl_bind b;
			struct pub_binding pb = {0};
			memcpy(&b, pl + off, sizeof(b));
			off += sizeof(b);
			if (off + b.name_len > h->len)
				break;
			memcpy(pb.mac, b.mac, 6);
			pb.state = b.state;
			memcpy(pb.policy, pl + off, b.name_len);
			off += b.name_len;
			mirror_set(p, &pb);
		}
		p->ready = true;
		p->was_up = true;
		if (p->ev.link)
			p->ev.link(true, "in sync", p->ev.arg);
		run_sync(p);
		break;
	}
	case MG_CTRL_LOAD_IMAGE:
		if (rep.status < 0) {
			refused(p, "LOAD_IMAGE", NULL, rep.status, reason);
			free(p->failed);
			p->failed = r->image;
			p->failed_size = r->image_size;
			r->image = NULL;
			if (p->ev.image_refused)
				p->ev.image_refused(r->tag, rep.status, reason, p->ev.arg);
			break;
		}
		p->st.loads++;
		free(p->loaded);
		p->loaded = r->image;
		p->loaded_size = r->image_size;
		p->loaded_tag = r->tag;
		r->image = NULL;
		persist_loaded(p, rep.generation);
		if (p->ev.loaded)
			p->ev.loaded(rep.generation, p->loaded_size, r->tag, p->ev.arg);
		break;
	case MG_CTRL_BIND:
	case MG_CTRL_SET_STATE:
		if (rep.status < 0) {
			snprintf(what, sizeof(what), "%s %s", mg_ctrl_type_str(r->type), mac);
			list_put(&p->bad, &p->n_bad, &p->cap_bad, &r->b);
			refused(p, what, r->b.mac, rep.status, reason);
			break;
		}
		if (r->type == MG_CTRL_BIND)
			p->st.binds++;
		else
			p->st.set_states++;
		mirror_set(p, &r->b);
		break;
	case MG_CTRL_UNBIND:
		/* refused means "not bound": either way the fast path no longer has it */
		list_del(p->mirror, &p->n_mirror, r->b.mac);
		list_del(p->forget, &p->n_forget, r->b.mac);
		if (rep.status == 0) {
			p->st.unbinds++;
			p->n_bad = 0; /* a slot was freed: refused bindings may fit now */
		}
		break;
	case MG_CTRL_GET_COUNTERS:
		counters_answer(p, h, pl);
		break;
	case MG_CTRL_RELEASE:
		if (rep.status == 0)
			p->st.releases++;
		/* an expired hold was forwarded by the fast path already: not an error */
		break;
	default:
		break;
	}
	if (r->sync && p->outstanding && --p->outstanding == 0) {
		if (p->dirty)
			run_sync(p);
		else
			flush_releases(p);
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct pub *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		uint8_t hdr[MG_CTRL_HDR_SIZE];
		struct mg_ctrl_hdr h;
		char err[256];

		if (evbuffer_get_length(in) < MG_CTRL_HDR_SIZE)
			return;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		if (mg_ctrl_hdr_decode(&h, hdr, MG_CTRL_MAX_PAYLOAD, err, sizeof(err)) < 0) {
			refused(p, "framing", NULL, -EPROTO, err);
			lost(p, err);
			return;
		}
		if (evbuffer_get_length(in) < MG_CTRL_HDR_SIZE + (size_t)h.len)
			return;
		evbuffer_drain(in, MG_CTRL_HDR_SIZE);
		uint8_t *pl = malloc((size_t)h.len + 1);
		if (!pl)
			return;
		evbuffer_remove(in, pl, h.len);
		if (mg_ctrl_payload_check(h.type, pl, h.len, err, sizeof(err)) < 0) {
			refused(p, mg_ctrl_type_str(h.type), NULL, -EBADMSG, err);
		} else if (h.type == MG_CTRL_PUNT) {
			struct mg_ctrl_punt m;
			memcpy(&m, pl, sizeof(m));
			if (p->ev.punt)
				p->ev.punt(&m, pl + sizeof(m), p->ev.arg);
		} else if (p->head && p->head->seq == h.seq) {
			struct req *r = p->head;
			p->head = r->next;
			if (!p->head)
				p->tail = NULL;
			handle_reply(p, r, &h, pl);
			req_free(r);
		} else {
			refused(p, "reply", NULL, -EPROTO, "answer to no request in flight");
		}
		free(pl);
		if (!p->bev)
			return;
	}
}

static void
lost(struct pub *p, const char *why)
{
	struct timeval tv = {1, 0};

	if (p->bev) {
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
	while (p->head) {
		struct req *r = p->head;
		p->head = r->next;
		req_free(r);
	}
	p->tail = NULL;
	p->outstanding = 0;
	p->n_rel = 0; /* the fast path forwards held frames of a lost client */
	p->ctr_in_flight = false;
	if (p->ctr_waiting)
		counters_end(p);
	if (p->ready || p->was_up) {
		p->was_up = false;
		if (p->ev.link)
			p->ev.link(false, why, p->ev.arg);
	}
	p->ready = false;
	evtimer_add(p->retry, &tv);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct pub *p = arg;
	char why[128];

	if (what & BEV_EVENT_CONNECTED) {
		struct mg_ctrl_hello h = {.version = MG_CTRL_VERSION, .flags = MG_CTRL_HELLO_PUNT};
		send_req(p, MG_CTRL_HELLO, &h, sizeof(h), NULL, 0);
		return;
	}
	snprintf(why, sizeof(why), "%s: %s", p->sock_path,
		 what & BEV_EVENT_EOF ? "closed by mudgate-dp"
				      : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	lost(p, why);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct pub *p = arg;

	p->st.reconnects++;
	pub_connect(p);
}

static void
pub_connect(struct pub *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->sock_path);
	p->bev = bufferevent_socket_new(p->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev) {
		lost(p, "out of memory");
		return;
	}
	bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		char why[200];
		snprintf(why, sizeof(why), "%s: %s", p->sock_path, strerror(errno));
		lost(p, why);
	}
}

/* ---- synchronisation -------------------------------------------------------------------- */

static void
run_sync(struct pub *p)
{
	if (!p->ready || !p->bev) {
		p->dirty = true;
		return;
	}
	if (p->outstanding) {
		p->dirty = true;
		return;
	}
	p->dirty = false;
	if (p->desired && p->loaded && p->loaded_size == p->desired_size &&
	    !memcmp(p->loaded, p->desired, p->desired_size))
		p->loaded_tag = p->desired_tag;
	if (p->desired &&
	    (!p->loaded || p->loaded_size != p->desired_size ||
	     memcmp(p->loaded, p->desired, p->desired_size)) &&
	    !(p->failed && p->failed_size == p->desired_size &&
	      !memcmp(p->failed, p->desired, p->desired_size))) {
		struct mg_ctrl_load m = {.flags = MG_CTRL_LOAD_KEEP_BINDINGS};
		void *copy = malloc(p->desired_size);
		if (copy) {
			memcpy(copy, p->desired, p->desired_size);
			struct req *r = send_req(p, MG_CTRL_LOAD_IMAGE, &m, sizeof(m), p->desired,
						 (uint32_t)p->desired_size);
			if (r) {
				r->sync = true;
				r->image = copy;
				r->image_size = p->desired_size;
				r->tag = p->desired_tag;
				p->outstanding++;
			} else {
				free(copy);
			}
		}
	}
	for (size_t i = 0; i < p->n_want; i++) {
		const struct pub_binding *w = &p->want[i];
		struct pub_binding *m = mirror_find(p, w->mac);
		struct req *r = NULL;
		if (refused_before(p, w))
			continue;
		if (!m || strcmp(m->policy, w->policy)) {
			struct mg_ctrl_bind b = {.state = w->state,
						 .name_len = (uint16_t)strlen(w->policy)};
			memcpy(b.mac, w->mac, 6);
			r = send_req(p, MG_CTRL_BIND, &b, sizeof(b), w->policy, b.name_len);
		} else if (m->state != w->state) {
			struct mg_ctrl_state s = {.state = w->state};
			memcpy(s.mac, w->mac, 6);
			r = send_req(p, MG_CTRL_SET_STATE, &s, sizeof(s), NULL, 0);
		}
		if (r) {
			r->sync = true;
			r->b = *w;
			p->outstanding++;
		}
	}
	for (size_t i = 0; i < p->n_forget;) {
		const struct pub_binding *f = &p->forget[i];
		if (!mirror_find(p, f->mac)) { /* not in the fast path: nothing to undo */
			p->forget[i] = p->forget[--p->n_forget];
			continue;
		}
		struct mg_ctrl_mac m = {{0}};
		memcpy(m.mac, f->mac, 6);
		struct req *r = send_req(p, MG_CTRL_UNBIND, &m, sizeof(m), NULL, 0);
		if (r) {
			r->sync = true;
			memcpy(r->b.mac, f->mac, 6);
			p->outstanding++;
		}
		i++;
	}
	if (!p->outstanding)
		flush_releases(p);
}

int
pub_set_desired(struct pub *p, void *image, size_t image_size, uint64_t tag,
		const struct pub_binding *b, size_t n)
{
	struct pub_binding *w = malloc((n ? n : 1) * sizeof(*w));

	if (!w) {
		free(image);
		return -ENOMEM;
	}
	memcpy(w, b, n * sizeof(*w));
	free(p->want);
	p->want = w;
	p->n_want = n;
	for (size_t i = 0; i < n; i++) {
		list_del(p->forget, &p->n_forget, b[i].mac);
		/* a binding wanted differently from the one refused is worth a try */
		if (list_find(p->bad, p->n_bad, b[i].mac) && !refused_before(p, &b[i]))
			list_del(p->bad, &p->n_bad, b[i].mac);
	}
	if (image) {
		free(p->desired);
		p->desired = image;
		p->desired_size = image_size;
		p->desired_tag = tag;
	}
	run_sync(p);
	return 0;
}

int
pub_forget(struct pub *p, const uint8_t mac[6])
{
	struct pub_binding f = {{0}};

	memcpy(f.mac, mac, 6);
	for (size_t i = 0; i < p->n_want; i++)
		if (!memcmp(p->want[i].mac, mac, 6))
			p->want[i] = p->want[--p->n_want];
	list_del(p->bad, &p->n_bad, mac);
	if (list_put(&p->forget, &p->n_forget, &p->cap_forget, &f) < 0)
		return -ENOMEM;
	run_sync(p);
	return 0;
}

uint64_t
pub_loaded_tag(const struct pub *p)
{
	return p->loaded_tag;
}

int
pub_release(struct pub *p, uint64_t hold_id, uint32_t action)
{
	struct mg_ctrl_release m = {.hold_id = hold_id, .action = action};

	return send_req(p, MG_CTRL_RELEASE, &m, sizeof(m), NULL, 0) ? 0 : -ENOTCONN;
}

int
pub_release_after_sync(struct pub *p, uint64_t hold_id, uint32_t action)
{
	if (!p->ready)
		return -ENOTCONN;
	if (!p->outstanding && !p->dirty)
		return pub_release(p, hold_id, action);
	if (p->n_rel == p->cap_rel) {
		size_t cap = p->cap_rel ? p->cap_rel * 2 : 64;
		struct release *v = realloc(p->rel, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->rel = v;
		p->cap_rel = cap;
	}
	p->rel[p->n_rel++] = (struct release){hold_id, action};
	return 0;
}

bool
pub_connected(const struct pub *p)
{
	return p->ready;
}

bool
pub_in_sync(const struct pub *p)
{
	if (!p->ready || p->outstanding || p->dirty || p->n_forget)
		return false;
	if (p->desired && (!p->loaded || p->loaded_size != p->desired_size ||
			   memcmp(p->loaded, p->desired, p->desired_size)))
		return false;
	for (size_t i = 0; i < p->n_want; i++) {
		const struct pub_binding *m = mirror_find((struct pub *)p, p->want[i].mac);
		if (refused_before((struct pub *)p, &p->want[i]))
			continue;
		if (!m || m->state != p->want[i].state || strcmp(m->policy, p->want[i].policy))
			return false;
	}
	return true;
}

const struct pub_stats *
pub_get_stats(const struct pub *p)
{
	return &p->st;
}

int
pub_counters_refresh(struct pub *p, void (*done)(void *arg), void *arg)
{
	struct timeval tv = {0, PUB_COUNTERS_TIMEOUT_MS * 1000};

	if (!p->ready || (p->ctr_ended && now_ms() - p->ctr_ended < PUB_COUNTERS_MAX_AGE_MS))
		return 0;
	if (p->n_ctr_w == p->cap_ctr_w) {
		size_t cap = p->cap_ctr_w ? p->cap_ctr_w * 2 : 4;
		struct ctr_waiter *v = realloc(p->ctr_w, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->ctr_w = v;
		p->cap_ctr_w = cap;
	}
	if (!p->ctr_in_flight) {
		if (!send_req(p, MG_CTRL_GET_COUNTERS, NULL, 0, NULL, 0))
			return -ENOMEM;
		p->ctr_in_flight = true;
		p->cst.queries++;
	}
	if (!p->ctr_waiting) {
		p->ctr_waiting = true;
		evtimer_add(p->ctr_timer, &tv);
	}
	p->ctr_w[p->n_ctr_w++] = (struct ctr_waiter){done, arg};
	return 1;
}

const struct json_t *
pub_counters(const struct pub *p, int64_t *when)
{
	if (when)
		*when = p->ctr_when;
	return p->ctr;
}

const struct pub_counters_stats *
pub_get_counters_stats(const struct pub *p)
{
	return &p->cst;
}

const struct pub_binding *
pub_mirror(const struct pub *p, size_t *n)
{
	*n = p->n_mirror;
	return p->mirror;
}

struct pub *
pub_create(struct event_base *base, const char *sock_path, const char *state_dir,
	   const struct pub_events *ev)
{
	struct pub *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base = base;
	p->ev = *ev;
	p->sock_path = strdup(sock_path);
	p->state_dir = state_dir ? strdup(state_dir) : NULL;
	p->retry = evtimer_new(base, on_retry, p);
	p->ctr_timer = evtimer_new(base, on_counters_timeout, p);
	if (!p->sock_path || (state_dir && !p->state_dir) || !p->retry || !p->ctr_timer) {
		pub_destroy(p);
		errno = ENOMEM;
		return NULL;
	}
	restore_candidate(p);
	pub_connect(p);
	return p;
}

void
pub_destroy(struct pub *p)
{
	if (!p)
		return;
	if (p->bev)
		bufferevent_free(p->bev);
	while (p->head) {
		struct req *r = p->head;
		p->head = r->next;
		req_free(r);
	}
	if (p->retry)
		event_free(p->retry);
	if (p->ctr_timer)
		event_free(p->ctr_timer);
	json_decref(p->ctr);
	free(p->ctr_w);
	free(p->sock_path);
	free(p->state_dir);
	free(p->desired);
	free(p->want);
	free(p->loaded);
	free(p->failed);
	free(p->cand);
	free(p->mirror);
	free(p->bad);
	free(p->forget);
	free(p->rel);
	free(p);
}
