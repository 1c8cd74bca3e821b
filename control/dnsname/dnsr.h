/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsr: mudgated's own stub resolver for dnsname sets, on the libevent loop.
 *
 * libevent's evdns keeps at most 32 addresses of an answer, too few for a CDN name; this
 * resolver keeps every address: it asks over UDP with EDNS0 (4096-byte payload), retries over
 * TCP when the answer is truncated (TC), and parses with control/dns (dnsp_parse: bounded, CNAME
 * chains followed, effective TTLs, up to DNSP_MAX_ADDRS addresses). An answer is accepted only
 * from the server asked, with the query's id, name and type. Servers are tried in order, each
 * with the timeout; the first answer wins.
 *
 * Single-threaded (the loop). A callback may run inside dnsr_resolve() when every server fails
 * at once (no route, socket error).
 */
#ifndef DNSR_H
#define DNSR_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dnsp.h"

struct event_base;
struct dnsr;

/*
 * rc 0: r is the parsed answer (r->rcode may be non-zero, e.g. NXDOMAIN); otherwise a negative
 * errno (-ETIMEDOUT, -EBADMSG, -ECONNREFUSED, ...) with msg saying why. r is borrowed.
 */
typedef void (*dnsr_answer_cb)(const char *name, uint16_t qtype, int rc,
			       const struct dnsp_result *r, const char *msg, void *arg);

/* servers: IPv4/IPv6 addresses (port 53); none: the nameservers of /etc/resolv.conf. NULL with
 * errno set (ENOENT: no server at all). */
struct dnsr *dnsr_create(struct event_base *base, const char *const *servers, size_t n_servers,
			 unsigned timeout_s);
/* Cancels queries in flight without calling back. Accepts NULL. */
void dnsr_destroy(struct dnsr *d);

/* Ask for name (presentation form, at most 253 bytes) type qtype (1 A, 28 AAAA). Returns 0,
 * -EINVAL (bad name), -ENOMEM. */
int dnsr_resolve(struct dnsr *d, const char *name, uint16_t qtype, dnsr_answer_cb cb, void *arg);

/* Build a query message into buf (at least 512 bytes); returns its size or -EINVAL. */
int dnsr_build_query(uint8_t *buf, size_t size, uint16_t id, const char *name, uint16_t qtype);

#endif /* DNSR_H */
