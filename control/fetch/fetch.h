/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fetch: HTTPS GETs of MUD files and signatures with the libcurl multi interface, driven by
 * the daemon's libevent loop (curl's sockets and timer become libevent events).
 *
 * Every transfer: https only, also after a redirect (a redirect to anything else fails with
 * FETCH_E_NOT_HTTPS); the server certificate verified (peer and host name) against the
 * configured CA file, else the system store; `Accept: application/mud+json` for MUD files;
 * a size cap enforced while receiving (never buffered past it); connect and total timeouts;
 * If-None-Match / If-Modified-Since when the caller knows a previous version (answered by a
 * 304 -> not_modified). Optional --connect-to style overrides send a host's connections
 * elsewhere while TLS still checks the host name.
 *
 * Single-threaded: everything runs in the loop's thread; the callback is called from the
 * loop, never from fetch_start().
 */
#ifndef FETCH_H
#define FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* X(name, text) */
#define FETCH_ERRORS(X)                     \
	X(OK, "ok")                         \
	X(NOT_HTTPS, "not https")           \
	X(TLS, "TLS failure")               \
	X(TIMEOUT, "timed out")             \
	X(TOO_LARGE, "too large")           \
	X(HTTP_STATUS, "HTTP error status") \
	X(CONNECT, "connection failed")     \
	X(REDIRECTS, "too many redirects")  \
	X(OTHER, "transfer failed")

/* clang-format off */
enum fetch_error {
#define FETCH_X_ENUM(name, text) FETCH_E_##name,
	FETCH_ERRORS(FETCH_X_ENUM)
#undef FETCH_X_ENUM
	FETCH_E_MAX
};
/* clang-format on */

const char *fetch_error_str(enum fetch_error e);

struct fetch_opts {
	const char *ca_file; /* NULL: system store */
	size_t max_size;
	long connect_timeout; /* seconds */
	long total_timeout;
	long max_redirects;
	const char *const *connect_to; /* curl CONNECT_TO entries "HOST:443:ADDR:PORT" */
	size_t n_connect_to;
};

struct fetch_result {
	enum fetch_error error;
	long http_status;
	bool not_modified; /* 304: the caller's version is current */
	uint8_t *body;     /* malloc'd, owned by the callback (free it or keep it) */
	size_t size;
	char etag[256];
	char last_modified[256];
	char msg[512]; /* why, with curl's own words, for the log */
};

typedef void (*fetch_done_cb)(struct fetch_result *r, void *arg);

struct fetch_ctx;

/* opts is copied. NULL with errno set. */
struct fetch_ctx *fetch_create(struct event_base *base, const struct fetch_opts *opts);
/* Cancels transfers in flight without calling their callbacks. Accepts NULL. */
void fetch_destroy(struct fetch_ctx *f);

/*
 * Start a GET of url. accept: the Accept header value or NULL. etag / last_modified: the
 * version the caller holds (NULL or "" for none). cb(arg) is called exactly once, unless
 * fetch_cancel(f, arg) or fetch_destroy() comes first. Returns 0, -EINVAL (not an https URL:
 * no callback), -ENOMEM.
 */
int fetch_start(struct fetch_ctx *f, const char *url, const char *accept, const char *etag,
		const char *last_modified, fetch_done_cb cb, void *arg);
/* Cancel every transfer whose arg is arg. */
void fetch_cancel(struct fetch_ctx *f, void *arg);
/* Transfers in flight. */
size_t fetch_active(const struct fetch_ctx *f);

#endif /* FETCH_H */
