/* SPDX-License-Identifier: BSD-3-Clause */
/* cache: put/get/touch round trip, corruption and size cap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache/cache.h"

static char dir[] = "/tmp/cache_test_XXXXXX";
static const char *url = "https://mud.example.com/thermostat.json";

static void
test_key(void **state)
{
	char k[65];

	/* sha256("https://mud.example.com/thermostat.json") by `printf %s URL | sha256sum` */
	cache_key(url, k);
	assert_string_equal(k, "6bc1fb041440e319e120ae8cc3807bcc66d09a2a5673335233dd66891b10ae50");
}

static void
test_round_trip(void **state)
{
	struct cache_entry e = {.url = (char *)url,
				.body = (uint8_t *)"{\"x\":1}",
				.size = 7,
				.fetched = 1000,
				.expires = 1000 + 48 * 3600};
	struct cache_entry g;

	strcpy(e.etag, "\"abc\"");
	strcpy(e.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
	assert_int_equal(cache_get(dir, url, 1024, &g), -ENOENT);
	assert_int_equal(cache_put(dir, &e), 0);
	assert_int_equal(cache_get(dir, url, 1024, &g), 0);
	assert_int_equal(g.size, 7);
	assert_memory_equal(g.body, "{\"x\":1}", 7);
	assert_string_equal(g.etag, "\"abc\"");
	assert_string_equal(g.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
	assert_int_equal(g.fetched, 1000);
	assert_int_equal(g.expires, 1000 + 48 * 3600);
	cache_entry_fini(&g);

	/* a 304 moves the dates only */
	assert_int_equal(cache_touch(dir, url, 5000, 9000), 0);
	assert_int_equal(cache_get(dir, url, 1024, &g), 0);
	assert_int_equal(g.fetched, 5000);
	assert_int_equal(g.expires, 9000);
	assert_string_equal(g.etag, "\"abc\"");
	assert_memory_equal(g.body, "{\"x\":1}", 7);
	cache_entry_fini(&g);

	/* size cap */
	assert_int_equal(cache_get(dir, url, 6, &g), -EFBIG);
}

static void
test_corrupt(void **state)
{
	char k[65], path[512];
	struct cache_entry g;
	FILE *f;

	cache_key(url, k);
	/* body replaced by another size than meta records: refused */
	snprintf(path, sizeof(path), "%s/%s.body", dir, k);
	f = fopen(path, "w");
	fputs("{\"x\":12}", f);
	fclose(f);
	assert_int_equal(cache_get(dir, url, 1024, &g), -EINVAL);
	/* meta of another URL under this key: refused */
	snprintf(path, sizeof(path), "%s/%s.meta", dir, k);
	f = fopen(path, "w");
	fputs("{\"url\":\"https://evil.example/x\",\"etag\":\"\",\"last-modified\":\"\","
	      "\"fetched\":1,\"expires\":2,\"size\":8}",
	      f);
	fclose(f);
	assert_int_equal(cache_get(dir, url, 1024, &g), -EINVAL);
	assert_int_equal(cache_remove(dir, url), 0);
	assert_int_equal(cache_get(dir, url, 1024, &g), -ENOENT);
}

static int
setup(void **state)
{
	return mkdtemp(dir) && cache_init(dir) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
