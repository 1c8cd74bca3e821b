/* SPDX-License-Identifier: BSD-3-Clause */
/* dnsn: tracking, learning with TTLs, expiry, the per-name cap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsname/dnsn.h"
#include "mg_image.h"

static void
test_track_learn_expire(void **state)
{
	struct dnsn_table t;
	uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	dnsn_init(&t, 30, 3600, 4096);
	/* untracked names are not learnt */
	assert_int_equal(dnsn_learn(&t, "updates.example.com", MGI_FAMILY_IPV4, a1, 60, 100),
			 -ENOENT);
	assert_int_equal(dnsn_track(&t, "Updates.Example.COM."), 0);
	assert_non_null(dnsn_find(&t, "updates.example.com"));
	uint64_t v = t.version;
	assert_int_equal(dnsn_learn(&t, "updates.example.com", MGI_FAMILY_IPV4, a1, 60, 100), 1);
	assert_true(t.version > v);
	v = t.version;
	/* known address: expiry renewed, version unchanged */
	assert_int_equal(dnsn_learn(&t, "updates.example.com", MGI_FAMILY_IPV4, a1, 120, 110), 0);
	assert_int_equal(t.version, v);
	/* TTL 5 is raised to min-ttl 30: expires at 130; a6 with TTL 10^6 capped at 3600 */
	assert_int_equal(dnsn_learn(&t, "updates.example.com", MGI_FAMILY_IPV4, a2, 5, 100), 1);
	assert_int_equal(dnsn_learn(&t, "updates.example.com", MGI_FAMILY_IPV6, a6, 1000000, 100),
			 1);
	struct dnsn_name *n = dnsn_find(&t, "updates.example.com");
	assert_int_equal(n->n, 3);
	assert_int_equal(n->v[0].expires, 230); /* renewed at 110 + 120 */
	assert_int_equal(n->v[1].expires, 130);
	assert_int_equal(n->v[2].expires, 3700);
	assert_int_equal(dnsn_next_expiry(&t), 130);
	assert_int_equal(dnsn_expire(&t, 129), 0);
	assert_int_equal(dnsn_expire(&t, 130), 1);
	assert_int_equal(n->n, 2);
	assert_int_equal(dnsn_expire(&t, 230), 1);
	assert_int_equal(dnsn_next_expiry(&t), 3700);

	/* a name no policy mentions any more goes with its addresses */
	v = t.version;
	dnsn_untrack_all(&t);
	dnsn_track(&t, "other.example.com");
	dnsn_sweep(&t);
	assert_null(dnsn_find(&t, "updates.example.com"));
	assert_true(t.version > v);
	assert_int_equal(t.n_names, 1);
	dnsn_fini(&t);
}

static void
test_cdn_many_addresses(void **state)
{
	struct dnsn_table t;
	uint8_t a[4] = {198, 51, 100, 0};

	dnsn_init(&t, 30, 3600, 300);
	dnsn_track(&t, "cdn.example.net");
	/* 300 addresses kept in full */
	for (int i = 0; i < 300; i++) {
		a[2] = (uint8_t)(i / 256);
		a[3] = (uint8_t)i;
		assert_int_equal(dnsn_learn(&t, "cdn.example.net", MGI_FAMILY_IPV4, a,
					    (uint32_t)(100 + i), 0),
				 1);
	}
	assert_int_equal(dnsn_find(&t, "cdn.example.net")->n, 300);
	/* the 301st replaces the one expiring first (TTL 100, index 0) */
	a[2] = 9;
	a[3] = 9;
	assert_int_equal(dnsn_learn(&t, "cdn.example.net", MGI_FAMILY_IPV4, a, 3000, 0), 1);
	struct dnsn_name *n = dnsn_find(&t, "cdn.example.net");
	assert_int_equal(n->n, 300);
	assert_int_equal(n->v[0].addr[2], 9);
	assert_int_equal(n->v[0].expires, 3000);
	dnsn_fini(&t);
}

/* dnsnames.json across a restart: what is left of each TTL; addresses that expired while the
 * daemon was down are kept keep_expired seconds (or skipped with 0). */
static void
test_json_restart(void **state)
{
	char path[] = "/tmp/dnsn_test_XXXXXX";
	uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
	struct dnsn_table t, r;
	char err[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	dnsn_init(&t, 1, 3600, 16);
	dnsn_track(&t, "a.example");
	/* at mono 1000 = wall 50000: a1 until wall 50100, a2 until wall 50005 */
	assert_int_equal(dnsn_learn(&t, "a.example", MGI_FAMILY_IPV4, a1, 100, 1000), 1);
	assert_int_equal(dnsn_learn(&t, "a.example", MGI_FAMILY_IPV4, a2, 5, 1000), 1);
	assert_int_equal(dnsn_write_json(&t, path, 1000, 50000), 0);
	dnsn_fini(&t);

	/* restarted at wall 50010 (mono 7): a2 expired meanwhile */
	dnsn_init(&r, 30, 3600, 16);
	assert_int_equal(dnsn_read_json(&r, path, 7, 50010, 0, err, sizeof(err)), 1);
	assert_int_equal(dnsn_find(&r, "a.example")->n, 1);
	assert_int_equal(dnsn_find(&r, "a.example")->v[0].expires, 7 + 90);
	dnsn_fini(&r);
	dnsn_init(&r, 30, 3600, 16);
	assert_int_equal(dnsn_read_json(&r, path, 7, 50010, 4, err, sizeof(err)), 2);
	struct dnsn_name *n = dnsn_find(&r, "a.example");
	assert_int_equal(n->n, 2);
	assert_int_equal(n->v[1].expires, 7 + 4);
	dnsn_fini(&r);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_track_learn_expire),
		cmocka_unit_test(test_cdn_many_addresses),
		cmocka_unit_test(test_json_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
