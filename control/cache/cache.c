/* SPDX-License-Identifier: BSD-3-Clause */
/* On-disk cache of verified MUD files (cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "cache/cache.h"
#include "mg_image.h"
#include "mg_file.h"

void
cache_entry_fini(struct cache_entry *e)
{
	free(e->url);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

void
cache_key(const char *url, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)url, strlen(url), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

int
cache_init(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void
paths(const char *dir, const char *url, char *body, char *meta, size_t size)
{
	char key[65];

	cache_key(url, key);
	snprintf(body, size, "%s/%s.body", dir, key);
	snprintf(meta, size, "%s/%s.meta", dir, key);
}

static int
put_meta(const char *path, const struct cache_entry *e)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "url", e->url, "etag", e->etag,
			      "last-modified", e->last_modified, "fetched", (json_int_t)e->fetched,
			      "expires", (json_int_t)e->expires, "size", (json_int_t)e->size);
	char *text;
	int rc;

	if (!j)
		return -ENOMEM;
	text = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	rc = mg_write_file_atomic(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

int
cache_put(const char *dir, const struct cache_entry *e)
{
	char body[4200], meta[4200];
	int rc;

	if (!e->url || (!e->body && e->size))
		return -EINVAL;
	paths(dir, e->url, body, meta, sizeof(body));
	rc = mg_write_file_atomic(body, e->body ? (const void *)e->body : "", e->size, 0600);
	if (rc < 0)
		return rc;
	return put_meta(meta, e);
}

static int
get_meta(const char *path, const char *url, struct cache_entry *e, size_t *size)
{
	json_error_t jerr;
	const char *u, *etag, *lm;
	json_int_t fetched, expires, sz;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc = -EINVAL;

	if (!j)
		return access(path, F_OK) < 0 ? -ENOENT : -EINVAL;
	if (json_unpack(j, "{s:s, s:s, s:s, s:I, s:I, s:I}", "url", &u, "etag", &etag,
			"last-modified", &lm, "fetched", &fetched, "expires", &expires, "size",
			&sz) < 0 ||
	    strcmp(u, url) || strlen(etag) > CACHE_ETAG_MAX || strlen(lm) > CACHE_ETAG_MAX ||
	    sz < 0)
		goto out_free_json;
	e->url = strdup(url);
	if (!e->url) {
		rc = -ENOMEM;
		goto out_free_json;
	}
	strcpy(e->etag, etag);
	strcpy(e->last_modified, lm);
	e->fetched = (time_t)fetched;
	e->expires = (time_t)expires;
	*size = (size_t)sz;
	rc = 0;
out_free_json:
	json_decref(j);
	return rc;
}

int
cache_get(const char *dir, const char *url, size_t max_size, struct cache_entry *e)
{
	char body[4200], meta[4200];
	size_t want, got;
	int rc;

	memset(e, 0, sizeof(*e));
	paths(dir, url, body, meta, sizeof(body));
	rc = get_meta(meta, url, e, &want);
	if (rc < 0)
		goto out_fini;
	if (want > max_size) {
		rc = -EFBIG;
		goto out_fini;
	}
	e->body = mg_read_file(body, max_size, &got);
	if (!e->body) {
		rc = errno == ENOENT ? -ENOENT : -EINVAL;
		goto out_fini;
	}
	if (got != want) { /* body and meta from different writes: not ours to trust */
		rc = -EINVAL;
		goto out_fini;
	}
	e->size = got;
	return 0;
out_fini:
	cache_entry_fini(e);
	return rc;
}

int
cache_touch(const char *dir, const char *url, time_t fetched, time_t expires)
{
	char body[4200], meta[4200];
	struct cache_entry e;
	size_t size;
	int rc;

	memset(&e, 0, sizeof(e));
	paths(dir, url, body, meta, sizeof(body));
	rc = get_meta(meta, url, &e, &size);
	if (rc < 0)
		return rc;
	e.fetched = fetched;
	e.expires = expires;
	e.size = size;
	rc = put_meta(meta, &e);
	cache_entry_fini(&e);
	return rc;
}

int
cache_remove(const char *dir, const char *url)
{
	char body[4200], meta[4200];
	int rc = 0;

	paths(dir, url, body, meta, sizeof(body));
	if (unlink(meta) < 0)
		rc = -errno;
	unlink(body);
	return rc;
}
