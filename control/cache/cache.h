/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache: the on-disk cache of verified MUD files and their signatures, in STATE/cache/.
 *
 * One entry per URL, named by the SHA-256 of the URL: HASH.body (the exact bytes served) and
 * HASH.meta (JSON: url, etag, last-modified, fetched, expires). Only files that passed
 * verification, validation and compilation are stored, so what the cache holds is always
 * the last good file, and it survives restarts: mudgated verifies it again when it starts and
 * enforces it without waiting for the network. `expires` is when the file must be refreshed
 * (fetched + cache-validity); past it the file stays in force for the configured grace while
 * refreshes fail. Writes are atomic (temporary file + rename), body before meta, so a crash
 * leaves either the old entry or the new one.
 *
 * No state, no logging; single-threaded by use (one event loop).
 */
#ifndef CACHE_H
#define CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CACHE_ETAG_MAX 255

struct cache_entry {
	char *url;
	uint8_t *body;
	size_t size;
	char etag[CACHE_ETAG_MAX + 1];          /* "" when the server sent none */
	char last_modified[CACHE_ETAG_MAX + 1]; /* HTTP date, "" when none */
	time_t fetched;                         /* last time the server confirmed the body */
	time_t expires;                         /* refresh due */
};

/* Frees the members (not e itself); accepts a zeroed entry. */
void cache_entry_fini(struct cache_entry *e);

/* Creates dir (mode 0700) when absent. Returns 0 or a negative errno. */
int cache_init(const char *dir);

/* Stores e (url, body, etag, last_modified, fetched, expires). Returns 0 or a negative errno. */
int cache_put(const char *dir, const struct cache_entry *e);

/*
 * Reads the entry of url into *e (members malloc'd; cache_entry_fini). At most max_size body
 * bytes. Returns 0, -ENOENT (no entry), -EINVAL (meta corrupt, or for another URL: a hash
 * collision or tampering), -EFBIG, -ENOMEM.
 */
int cache_get(const char *dir, const char *url, size_t max_size, struct cache_entry *e);

/* Updates fetched and expires of an existing entry (a 304 Not Modified). */
int cache_touch(const char *dir, const char *url, time_t fetched, time_t expires);

/* Removes the entry of url; -ENOENT when absent. */
int cache_remove(const char *dir, const char *url);

/* The file name stem of url: 64 hex digits and a NUL. */
void cache_key(const char *url, char out[65]);

#endif /* CACHE_H */
