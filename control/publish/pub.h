/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pub: mudgated's side of the mudgate-dp control socket (common/mg_ctrl.h), on the libevent
 * loop, and the synchronisation of the fast path with what the control plane wants.
 *
 * The caller states what it wants (pub_set_desired): one policy image (as the builder made
 * it, generation 0) and the device bindings (MAC, state, policy name). pub keeps a mirror of
 * what the fast path has (learnt with GET_STATE / GET_BINDINGS when it connects, then
 * updated by every accepted request) and sends only the difference:
 *   - the image when its bytes differ from the image the fast path runs: LOAD_IMAGE with
 *     KEEP_BINDINGS, so the running image is replaced atomically and never unloaded first;
 *   - BIND for a device whose policy differs or that the fast path does not know,
 *     SET_STATE when only the state differs. Bindings the control plane does not know are
 *     left alone, except those it asks to forget (pub_forget: UNBIND).
 * A binding the fast path refused is not sent again until it changes (or the connection is
 * made again, or an UNBIND frees a slot); an image it refused is not sent again until it
 * changes. Each desired image carries the caller's tag, reported back when it is loaded or
 * refused, so the caller knows which of its images the fast path judged.
 * Requests go in order on one connection, so a BIND after the LOAD that brings its policy
 * is applied after it, and a RELEASE queued with pub_release_after_sync() leaves after the
 * image that makes a held DNS answer enforceable.
 *
 * Restart without a gap: every loaded image is kept in STATE/image.mgi with its generation
 * in STATE/published.json. When the fast path reports that generation and the checksum that
 * image has under it, the mirror starts from that image, and an unchanged desired image is
 * not sent again.
 *
 * The socket is reconnected every second while it is down; the fast path keeps enforcing
 * meanwhile (fail-static). Single-threaded (the loop).
 *
 * Counters: pub_counters_refresh() asks the fast path for its COUNTERS document (GET_COUNTERS,
 * docs/dataplane.md "Counters") without ever waiting on the loop, and caches the answer: a
 * query serves every reader for PUB_COUNTERS_MAX_AGE_MS after it ended, so a burst of readers
 * costs one query; a query not answered within PUB_COUNTERS_TIMEOUT_MS ends its waiters (the
 * late answer still fills the cache).
 */
#ifndef PUB_H
#define PUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_ctrl.h"
#include "mg_image.h"

struct event_base;
struct json_t;
struct pub;

#define PUB_COUNTERS_MAX_AGE_MS 1000
#define PUB_COUNTERS_TIMEOUT_MS 500
#define PUB_COUNTERS_MAX_SIZE   (16u << 20) /* a larger COUNTERS document is refused */

struct pub_binding {
	uint8_t mac[6];
	uint8_t state;                     /* enum mg_state */
	char policy[MG_CTRL_NAME_MAX + 1]; /* "" for none */
};

struct pub_events {
	/* A punted frame (hold_id != 0: release it with pub_release*). */
	void (*punt)(const struct mg_ctrl_punt *m, const uint8_t *frame, void *arg);
	/* Connected and in sync (up), or connection lost (!up); reason says why. */
	void (*link)(bool up, const char *reason, void *arg);
	/* A request was refused: what (e.g. "BIND 02:00:00:00:00:01"), status, reason. */
	void (*refused)(const char *what, const uint8_t *mac, int status, const char *reason,
			void *arg);
	/* The image of tag (pub_set_desired) was loaded as generation. */
	void (*loaded)(uint64_t generation, size_t size, uint64_t tag, void *arg);
	/* The image of tag was refused (status < 0, mudgate-dp's reason); the fast path keeps the
	 * image it runs. refused() is called too. */
	void (*image_refused)(uint64_t tag, int status, const char *reason, void *arg);
	void *arg;
};

struct pub_stats {
	uint64_t loads, binds, set_states, unbinds, releases, refused, reconnects;
	uint64_t generation; /* in force on the fast path, 0 when unknown */
};

/* NULL with errno set. sock_path and state_dir are copied. */
struct pub *pub_create(struct event_base *base, const char *sock_path, const char *state_dir,
		       const struct pub_events *ev);
void pub_destroy(struct pub *p);

/*
 * What the fast path should have. image (8-byte aligned, malloc'd) is taken over, NULL keeps
 * the previous one; tag names it in the loaded / image_refused events; bindings are copied.
 * Synchronisation starts now when connected, else on connect. Returns 0 or -ENOMEM.
 */
int pub_set_desired(struct pub *p, void *image, size_t image_size, uint64_t tag,
		    const struct pub_binding *b, size_t n);

/* Unbind mac in the fast path (UNBIND) at the next synchronisation, and from then on leave it
 * alone, unless a later pub_set_desired() wants it again. Returns 0 or -ENOMEM. */
int pub_forget(struct pub *p, const uint8_t mac[6]);

/* The tag of the desired image the fast path runs (loaded, or found identical to what it ran
 * when the connection was made), 0 when none is known. */
uint64_t pub_loaded_tag(const struct pub *p);

/* Release a held frame now, or after the synchronisation in progress. */
int pub_release(struct pub *p, uint64_t hold_id, uint32_t action);
int pub_release_after_sync(struct pub *p, uint64_t hold_id, uint32_t action);

bool pub_connected(const struct pub *p);
/* True when connected, nothing in flight and the mirror equals the desired state. */
bool pub_in_sync(const struct pub *p);
const struct pub_stats *pub_get_stats(const struct pub *p);
/* The mirror of the fast path's bindings (valid until the next event). */
const struct pub_binding *pub_mirror(const struct pub *p, size_t *n);

/*
 * Make the cached counters fresh. Returns 0 when there is nothing to wait for: the last query
 * ended less than PUB_COUNTERS_MAX_AGE_MS ago, or the fast path is not connected. Else sends
 * GET_COUNTERS (unless one is in flight already) and returns 1: done(arg) is called once, on
 * the loop, when the answer arrives, the query times out or the connection is lost (it may
 * call pub_counters(), nothing else of pub). -ENOMEM.
 */
int pub_counters_refresh(struct pub *p, void (*done)(void *arg), void *arg);

/*
 * The last COUNTERS document the fast path sent: a JSON object (borrowed, valid until the next
 * answer or pub_destroy), NULL when none arrived. *when (may be NULL): when it arrived
 * (seconds since the epoch).
 */
const struct json_t *pub_counters(const struct pub *p, int64_t *when);

/* Counters queries sent, answered, refused (malformed document) and timed out. */
struct pub_counters_stats {
	uint64_t queries, answers, refused, timeouts;
};
const struct pub_counters_stats *pub_get_counters_stats(const struct pub *p);

#endif /* PUB_H */
