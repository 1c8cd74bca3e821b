/* SPDX-License-Identifier: BSD-3-Clause */
/* libcurl multi on libevent (fetch.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fetch/fetch.h"

static const char *const error_texts[] = {
#define FETCH_X_TEXT(name, text) text,
	FETCH_ERRORS(FETCH_X_TEXT)
#undef FETCH_X_TEXT
};

const char *
fetch_error_str(enum fetch_error e)
{
	return (unsigned)e < FETCH_E_MAX ? error_texts[e] : "?";
}

struct xfer {
	struct fetch_ctx *f;
	CURL *easy;
	struct curl_slist *headers;
	fetch_done_cb cb;
	void *arg;
	char *url;
	uint8_t *buf;
	size_t size, cap;
	bool too_large;
	char etag[256];
	char last_modified[256];
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;
};

struct sock {
	curl_socket_t fd;
	struct event *ev;
};

struct fetch_ctx {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct fetch_opts o;
	char *ca_file;
	struct curl_slist *connect_to;
	struct xfer *xfers;
	size_t n_active;
};

static void check_done(struct fetch_ctx *f);

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_ctx *f = arg;
	int running;

	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(f);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct fetch_ctx *f = arg;

	if (timeout_ms < 0) {
		evtimer_del(f->timer);
		return 0;
	}
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	evtimer_add(f->timer, &tv);
	return 0;
}

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_ctx *f = arg;
	int running, action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
			      (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(f->multi, fd, action, &running);
	check_done(f);
}

static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct fetch_ctx *f = arg;
	struct sock *sk = sockp;

	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			event_free(sk->ev);
			free(sk);
		}
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	if (!sk) {
		sk = calloc(1, sizeof(*sk));
		if (!sk)
			return -1;
		sk->fd = s;
		curl_multi_assign(f->multi, s, sk);
	} else {
		event_free(sk->ev);
	}
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
			     (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	sk->ev = event_new(f->base, s, kind, on_sock, f);
	if (!sk->ev)
		return -1;
	event_add(sk->ev, NULL);
	return 0;
}

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->size + len > x->f->o.max_size) {
		x->too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (x->size + len > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		while (cap < x->size + len)
			cap *= 2;
		uint8_t *b = realloc(x->buf, cap);
		if (!b)
			return 0;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->size, p, len);
	x->size += len;
	return len;
}

/* ETag and Last-Modified of the final response (earlier responses of redirects reset them). */
static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char *dst = NULL;
	size_t skip = 0;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		x->etag[0] = x->last_modified[0] = 0;
		return len;
	}
	if (len > 5 && !strncasecmp(p, "ETag:", 5)) {
		dst = x->etag;
		skip = 5;
	} else if (len > 14 && !strncasecmp(p, "Last-Modified:", 14)) {
		dst = x->last_modified;
		skip = 14;
	}
	if (dst) {
		const char *v = p + skip, *end = p + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		size_t vl = (size_t)(end - v);
		bool ok = vl < 256;
		for (size_t i = 0; ok && i < vl; i++)
			ok = v[i] >= 0x20 && v[i] < 0x7f;
		if (ok) {
			memcpy(dst, v, vl);
			dst[vl] = 0;
		}
	}
	return len;
}

static void
xfer_free(struct xfer *x)
{
	curl_multi_remove_handle(x->f->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->buf);
	free(x->url);
	free(x);
}

static void
unlink_xfer(struct fetch_ctx *f, struct xfer *x)
{
	for (struct xfer **pp = &f->xfers; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			f->n_active--;
			return;
		}
}

static enum fetch_error
classify(CURLcode c)
{
	switch (c) {
	case CURLE_OK:
		return FETCH_E_OK;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return FETCH_E_NOT_HTTPS;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return FETCH_E_TLS;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_E_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return FETCH_E_TOO_LARGE;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return FETCH_E_CONNECT;
	case CURLE_TOO_MANY_REDIRECTS:
		return FETCH_E_REDIRECTS;
	default:
		return FETCH_E_OTHER;
	}
}

static void
finish(struct fetch_ctx *f, struct xfer *x, CURLcode code)
{
	struct fetch_result r = {0};
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
	size_t wl = strlen(why);

	while (wl && (why[wl - 1] == '\n' || why[wl - 1] == '.'))
		wl--;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.http_status);
	r.error = classify(code);
	if (x->too_large) {
		r.error = FETCH_E_TOO_LARGE;
		snprintf(r.msg, sizeof(r.msg), "larger than the %zu-byte cap", f->o.max_size);
	} else if (r.error == FETCH_E_TLS) {
		snprintf(r.msg, sizeof(r.msg), "TLS verify failed: %.*s", (int)wl, why);
	} else if (r.error == FETCH_E_NOT_HTTPS) {
		snprintf(r.msg, sizeof(r.msg), "redirect off https refused: %.*s", (int)wl, why);
	} else if (r.error == FETCH_E_TOO_LARGE) {
		snprintf(r.msg, sizeof(r.msg), "larger than the %zu-byte cap", f->o.max_size);
	} else if (r.error != FETCH_E_OK) {
		snprintf(r.msg, sizeof(r.msg), "%s: %.*s", fetch_error_str(r.error), (int)wl, why);
	} else if (r.http_status == 304) {
		r.not_modified = true;
		snprintf(r.msg, sizeof(r.msg), "not modified");
	} else if (r.http_status != 200) {
		r.error = FETCH_E_HTTP_STATUS;
		snprintf(r.msg, sizeof(r.msg), "HTTP status %ld", r.http_status);
	} else {
		snprintf(r.msg, sizeof(r.msg), "%zu bytes", x->size);
		r.body = x->buf;
		r.size = x->size;
		x->buf = NULL;
		memcpy(r.etag, x->etag, sizeof(r.etag));
		memcpy(r.last_modified, x->last_modified, sizeof(r.last_modified));
	}
	fetch_done_cb cb = x->cb;
	void *arg = x->arg;
	unlink_xfer(f, x);
	xfer_free(x);
	cb(&r, arg);
	free(r.body);
}

static void
check_done(struct fetch_ctx *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left))) {
		struct xfer *x = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			finish(f, x, m->data.result);
	}
}

struct fetch_ctx *
fetch_create(struct event_base *base, const struct fetch_opts *opts)
{
	static bool global;
	struct fetch_ctx *f;

	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			errno = EIO;
			return NULL;
		}
		global = true;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto out_nomem;
	f->base = base;
	f->o = *opts;
	f->o.connect_to = NULL;
	if (opts->ca_file && !(f->ca_file = strdup(opts->ca_file)))
		goto out_free;
	for (size_t i = 0; i < opts->n_connect_to; i++) {
		struct curl_slist *l = curl_slist_append(f->connect_to, opts->connect_to[i]);
		if (!l)
			goto out_free;
		f->connect_to = l;
	}
	f->multi = curl_multi_init();
	f->timer = evtimer_new(base, on_timer, f);
	if (!f->multi || !f->timer)
		goto out_free;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
out_free:
	fetch_destroy(f);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void
fetch_destroy(struct fetch_ctx *f)
{
	if (!f)
		return;
	while (f->xfers) {
		struct xfer *x = f->xfers;
		unlink_xfer(f, x);
		xfer_free(x);
	}
	if (f->multi)
		curl_multi_cleanup(f->multi);
	if (f->timer)
		event_free(f->timer);
	curl_slist_free_all(f->connect_to);
	free(f->ca_file);
	free(f);
}

int
fetch_start(struct fetch_ctx *f, const char *url, const char *accept, const char *etag,
	    const char *last_modified, fetch_done_cb cb, void *arg)
{
	struct xfer *x;
	char h[400];

	if (strncasecmp(url, "https://", 8) || !url[8])
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->f = f;
	x->cb = cb;
	x->arg = arg;
	x->url = strdup(url);
	x->easy = curl_easy_init();
	if (!x->url || !x->easy)
		goto out_free;
	if (accept) {
		snprintf(h, sizeof(h), "Accept: %s", accept);
		x->headers = curl_slist_append(x->headers, h);
	}
	if (etag && etag[0]) {
		snprintf(h, sizeof(h), "If-None-Match: %s", etag);
		x->headers = curl_slist_append(x->headers, h);
	}
	if (last_modified && last_modified[0]) {
		snprintf(h, sizeof(h), "If-Modified-Since: %s", last_modified);
		x->headers = curl_slist_append(x->headers, h);
	}
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, f->o.max_redirects > 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, f->o.max_redirects);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, f->ca_file);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_size);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, f->o.connect_timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, f->o.total_timeout);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mudgated/" MG_VERSION);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
	if (f->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, f->connect_to);
	if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
		goto out_free;
	x->next = f->xfers;
	f->xfers = x;
	f->n_active++;
	return 0;
out_free:
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->url);
	free(x);
	return -ENOMEM;
}

void
fetch_cancel(struct fetch_ctx *f, void *arg)
{
	struct xfer **pp = &f->xfers;

	while (*pp) {
		struct xfer *x = *pp;
		if (x->arg == arg) {
			*pp = x->next;
			f->n_active--;
			xfer_free(x);
		} else {
			pp = &x->next;
		}
	}
}

size_t
fetch_active(const struct fetch_ctx *f)
{
	return f->n_active;
}
