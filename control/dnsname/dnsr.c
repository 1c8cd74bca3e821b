/* SPDX-License-Identifier: BSD-3-Clause */
/* Stub resolver keeping every address (dnsr.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "dnsname/dnsn.h"
#include "dnsname/dnsr.h"

#define MAX_SERVERS 4
#define UDP_SIZE    4096

struct query {
	struct dnsr *d;
	char name[256];
	uint16_t qtype;
	uint16_t id;
	unsigned server;
	bool tcp;
	int fd;
	struct event *ev;
	struct bufferevent *bev;
	uint8_t msg[512];
	int msg_len;
	dnsr_answer_cb cb;
	void *arg;
	struct query *next;
};

struct dnsr {
	struct event_base *base;
	struct sockaddr_storage servers[MAX_SERVERS];
	socklen_t server_len[MAX_SERVERS];
	unsigned n_servers;
	unsigned timeout_s;
	struct query *queries;
};

int
dnsr_build_query(uint8_t *buf, size_t size, uint16_t id, const char *name, uint16_t qtype)
{
	size_t len = strlen(name), off = 12;
	const char *p = name;

	if (size < 512 || len == 0 || len > 253)
		return -EINVAL;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	buf[11] = 1;   /* ARCOUNT: OPT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			return -EINVAL;
		buf[off++] = (uint8_t)l;
		memcpy(buf + off, p, l);
		off += l;
		p += l;
		if (*p == '.')
			p++;
	}
	buf[off++] = 0;
	buf[off++] = (uint8_t)(qtype >> 8);
	buf[off++] = (uint8_t)qtype;
	buf[off++] = 0;
	buf[off++] = 1; /* IN */
	/* OPT: root, type 41, class = UDP payload size, ttl 0, rdlen 0 */
	uint8_t opt[11] = {0, 0, 41, UDP_SIZE >> 8, UDP_SIZE & 0xff, 0, 0, 0, 0, 0, 0};
	memcpy(buf + off, opt, sizeof(opt));
	return (int)(off + sizeof(opt));
}

static void
query_free(struct query *q)
{
	struct dnsr *d = q->d;

	for (struct query **pp = &d->queries; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	if (q->ev)
		event_free(q->ev);
	if (q->bev)
		bufferevent_free(q->bev);
	else if (q->fd >= 0)
		close(q->fd);
	free(q);
}

static void query_send(struct query *q);

static void
finish(struct query *q, int rc, const struct dnsp_result *r, const char *msg)
{
	dnsr_answer_cb cb = q->cb;
	void *arg = q->arg;
	char name[256];
	uint16_t qtype = q->qtype;

	snprintf(name, sizeof(name), "%s", q->name);
	query_free(q);
	cb(name, qtype, rc, r, msg, arg);
}

/* This server failed: the next one, or give up. */
static void
next_server(struct query *q, int rc, const char *msg)
{
	if (q->ev) {
		event_free(q->ev);
		q->ev = NULL;
	}
	if (q->bev) {
		bufferevent_free(q->bev);
		q->bev = NULL;
		q->fd = -1;
	} else if (q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
	}
	q->tcp = false;
	if (++q->server < q->d->n_servers) {
		query_send(q);
		return;
	}
	finish(q, rc, NULL, msg);
}

/* A complete DNS message from the server: check it is the answer to q, parse, deliver. */
static void
answer(struct query *q, const uint8_t *m, size_t len)
{
	struct dnsp_result *r = malloc(sizeof(*r));
	struct dnsp_error err;
	char msg[256];
	int rc;

	if (!r) {
		finish(q, -ENOMEM, NULL, "out of memory");
		return;
	}
	rc = dnsp_parse(m, len, r, &err, NULL);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s", err.msg);
		free(r);
		next_server(q, rc, msg);
		return;
	}
	char want[256];
	snprintf(want, sizeof(want), "%s", q->name);
	dnsn_canon(want);
	if (r->id != q->id || r->qtype != q->qtype || strcmp(r->qname, want)) {
		free(r);
		return; /* not ours (spoofed or stale): keep waiting */
	}
	if (r->truncated && !q->tcp) {
		free(r);
		q->tcp = true;
		if (q->ev) {
			event_free(q->ev);
			q->ev = NULL;
		}
		close(q->fd);
		q->fd = -1;
		query_send(q);
		return;
	}
	finish(q, 0, r, "ok");
	free(r);
}

static void
on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	static uint8_t buf[65536]; /* whatever the server sends, dnsp_parse bounds it */
	ssize_t n;

	if (what & EV_TIMEOUT) {
		next_server(q, -ETIMEDOUT, "timed out");
		return;
	}
	n = recv(fd, buf, sizeof(buf), 0); /* connected socket: only the server's datagrams */
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		char msg[128];
		snprintf(msg, sizeof(msg), "%s", strerror(errno));
		next_server(q, -errno, msg);
		return;
	}
	answer(q, buf, (size_t)n);
}

static void
on_tcp_read(struct bufferevent *bev, void *arg)
{
	struct query *q = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t lb[2];

	if (evbuffer_get_length(in) < 2)
		return;
	evbuffer_copyout(in, lb, 2);
	size_t len = (size_t)lb[0] << 8 | lb[1];
	if (evbuffer_get_length(in) < 2 + len)
		return;
	uint8_t *m = malloc(len ? len : 1);
	if (!m) {
		finish(q, -ENOMEM, NULL, "out of memory");
		return;
	}
	evbuffer_drain(in, 2);
	evbuffer_remove(in, m, len);
	q->tcp = true;
	answer(q, m, len);
	free(m);
}

static void
on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct query *q = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	next_server(q, what & BEV_EVENT_TIMEOUT ? -ETIMEDOUT : -ECONNRESET,
		    what & BEV_EVENT_TIMEOUT ? "timed out (TCP)" : "TCP connection failed");
}

static void
query_send(struct query *q)
{
	struct dnsr *d = q->d;
	const struct sockaddr *sa = (const struct sockaddr *)&d->servers[q->server];
	struct timeval tv = {d->timeout_s, 0};

	if (q->tcp) {
		uint8_t lb[2] = {(uint8_t)(q->msg_len >> 8), (uint8_t)q->msg_len};
		q->bev = bufferevent_socket_new(d->base, -1, BEV_OPT_CLOSE_ON_FREE);
		if (!q->bev) {
			next_server(q, -ENOMEM, "out of memory");
			return;
		}
		bufferevent_setcb(q->bev, on_tcp_read, NULL, on_tcp_event, q);
		bufferevent_set_timeouts(q->bev, &tv, &tv);
		bufferevent_enable(q->bev, EV_READ | EV_WRITE);
		bufferevent_write(q->bev, lb, 2);
		bufferevent_write(q->bev, q->msg, (size_t)q->msg_len);
		if (bufferevent_socket_connect(q->bev, sa, (int)d->server_len[q->server]) < 0)
			next_server(q, -ECONNREFUSED, "TCP connect failed");
		return;
	}
	q->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, sa, d->server_len[q->server]) < 0 ||
	    send(q->fd, q->msg, (size_t)q->msg_len, 0) < 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "UDP: %s", strerror(errno));
		next_server(q, -errno, msg);
		return;
	}
	q->ev = event_new(d->base, q->fd, EV_READ | EV_PERSIST | EV_TIMEOUT, on_udp, q);
	if (!q->ev) {
		next_server(q, -ENOMEM, "out of memory");
		return;
	}
	event_add(q->ev, &tv);
}

int
dnsr_resolve(struct dnsr *d, const char *name, uint16_t qtype, dnsr_answer_cb cb, void *arg)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->d = d;
	q->fd = -1;
	q->qtype = qtype;
	q->cb = cb;
	q->arg = arg;
	q->id = (uint16_t)arc4random();
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->msg_len = dnsr_build_query(q->msg, sizeof(q->msg), q->id, name, qtype);
	if (q->msg_len < 0 || d->n_servers == 0) {
		free(q);
		return -EINVAL;
	}
	q->next = d->queries;
	d->queries = q;
	query_send(q); /* failures are reported through the callback, from the loop... */
	return 0;
}

static int
add_server(struct dnsr *d, const char *s)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&d->servers[d->n_servers];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&d->servers[d->n_servers];

	if (d->n_servers == MAX_SERVERS)
		return 0;
	memset(&d->servers[d->n_servers], 0, sizeof(d->servers[0]));
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(53);
		d->server_len[d->n_servers++] = sizeof(*v4);
	} else if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(53);
		d->server_len[d->n_servers++] = sizeof(*v6);
	} else {
		return -EINVAL;
	}
	return 0;
}

struct dnsr *
dnsr_create(struct event_base *base, const char *const *servers, size_t n_servers,
	    unsigned timeout_s)
{
	struct dnsr *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base = base;
	d->timeout_s = timeout_s ? timeout_s : 3;
	for (size_t i = 0; i < n_servers; i++)
		if (add_server(d, servers[i]) < 0) {
			free(d);
			errno = EINVAL;
			return NULL;
		}
	if (!n_servers) {
		FILE *f = fopen("/etc/resolv.conf", "r");
		char line[256], addr[128];
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, " nameserver %127s", addr) == 1)
				add_server(d, addr);
		if (f)
			fclose(f);
	}
	if (!d->n_servers) {
		free(d);
		errno = ENOENT;
		return NULL;
	}
	return d;
}

void
dnsr_destroy(struct dnsr *d)
{
	if (!d)
		return;
	while (d->queries)
		query_free(d->queries);
	free(d);
}
