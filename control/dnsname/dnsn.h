/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsn: the addresses behind the DNS names of dnsname ACEs (ietf-acldns src-dnsname /
 * dst-dnsname), which fill the MGI_SET_DNSNAME sets of the policy image.
 *
 * Two sources feed one table: the DNS answers devices receive (punted by the fast path, parsed
 * by control/dns) and mudgated's own resolution (evdns). Each address is kept until its TTL,
 * clamped to [min_ttl, max_ttl], has run out since it was last seen; seeing it again renews it.
 * A name keeps at most max_addrs addresses (a CDN name answering with many addresses keeps them
 * all up to that cap; past it, the address expiring first is replaced).
 *
 * Only tracked names are learnt: the names the policies in force mention (dnsn_track).
 * Names are compared in the lowercase presentation form dnsp produces, without a trailing dot.
 *
 * Single-threaded (the event loop); no logging, no I/O.
 */
#ifndef DNSN_H
#define DNSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct dnsn_addr {
	uint8_t family; /* MGI_FAMILY_IPV4 or MGI_FAMILY_IPV6 */
	uint8_t addr[16];
	time_t expires; /* monotonic seconds */
};

struct dnsn_name {
	char *name;
	bool tracked; /* mentioned by a policy in force */
	struct dnsn_addr *v;
	size_t n;
	size_t cap;
	time_t next_resolve; /* monotonic seconds; 0: now */
};

struct dnsn_table {
	struct dnsn_name *names;
	size_t n_names;
	size_t cap;
	uint32_t min_ttl, max_ttl, max_addrs;
	uint64_t version; /* bumped whenever a set's membership changes */
};

void dnsn_init(struct dnsn_table *t, uint32_t min_ttl, uint32_t max_ttl, uint32_t max_addrs);
void dnsn_fini(struct dnsn_table *t);

/* Canonical form of a name in place: lowercase, trailing dot removed. */
void dnsn_canon(char *name);

/* Marks every name untracked (dnsn_track then marks the current ones, dnsn_sweep drops the
 * rest). */
void dnsn_untrack_all(struct dnsn_table *t);
/* Tracks name (canonicalised copy). Returns 0 or -ENOMEM. */
int dnsn_track(struct dnsn_table *t, const char *name);
/* Drops untracked names with their addresses; bumps version when one had addresses. */
void dnsn_sweep(struct dnsn_table *t);

/* The entry of name, NULL when not tracked. */
struct dnsn_name *dnsn_find(struct dnsn_table *t, const char *name);

/*
 * Learn addr (family as above) for name with ttl seconds at monotonic time now. Returns 1 when
 * the address is new to the set (version bumped), 0 when it was known (expiry renewed),
 * -ENOENT when name is not tracked, -ENOMEM.
 */
int dnsn_learn(struct dnsn_table *t, const char *name, uint8_t family, const uint8_t *addr,
	       uint32_t ttl, time_t now);

/* Removes addresses expired at now; returns how many (version bumped when > 0). */
size_t dnsn_expire(struct dnsn_table *t, time_t now);

/* The earliest expiry among all addresses, 0 when none. */
time_t dnsn_next_expiry(const struct dnsn_table *t);

/*
 * Persistence across restarts (STATE/dnsnames.json), so a restarted mudgated publishes the
 * same sets and the fast path needs no new image: {"names": [{"name", "addresses":
 * [{"address", "expires"}]}]}, expires in wall-clock seconds. mono_now / wall_now convert.
 * Write is atomic. Read tracks every name it restores (the next dnsn_sweep drops those no
 * policy mentions) and skips malformed entries. An address whose TTL ran out while nobody
 * could renew it (the daemon was down; the fast path kept enforcing it) is kept keep_expired
 * more seconds, time for a first resolution to renew it; with 0 it is skipped. Returns the
 * number of addresses restored, -ENOENT, -EINVAL (errbuf), -ENOMEM.
 */
int dnsn_write_json(const struct dnsn_table *t, const char *path, time_t mono_now, time_t wall_now);
int dnsn_read_json(struct dnsn_table *t, const char *path, time_t mono_now, time_t wall_now,
		   uint32_t keep_expired, char *errbuf, size_t errbuf_size);

#endif /* DNSN_H */
