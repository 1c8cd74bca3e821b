/* SPDX-License-Identifier: BSD-3-Clause */
/* lc: device table, transitions, devices.json round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "lifecycle/lc.h"

static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0, 0x02};

static void
test_add_and_set(void **state)
{
	struct lc_table t;
	bool added;

	lc_table_init(&t);
	struct lc_device *d = lc_get_or_add(&t, mac1, &added);
	assert_non_null(d);
	assert_true(added);
	assert_int_equal(d->state, MG_STATE_UNKNOWN);
	assert_int_equal(d->reason, LC_R_NO_MUD_URL);
	assert_ptr_equal(lc_get_or_add(&t, mac1, &added), d);
	assert_false(added);
	assert_null(lc_find(&t, mac2));

	/* a transition is reported once; the same state and reason again is not */
	assert_true(lc_set(&t, d, MG_STATE_QUARANTINED, LC_R_TLS, "TLS verify failed: x"));
	assert_false(lc_set(&t, d, MG_STATE_QUARANTINED, LC_R_TLS, "TLS verify failed: y"));
	assert_string_equal(d->msg, "TLS verify failed: y");
	assert_int_equal(t.n_transitions[LC_R_TLS], 1);
	assert_true(lc_set(&t, d, MG_STATE_ENFORCED, LC_R_OK, NULL));
	assert_string_equal(d->msg, "verified MUD file applied");
	assert_int_equal(t.n_transitions[LC_R_OK], 0);
	lc_table_fini(&t);
}

static void
test_addrs(void **state)
{
	struct lc_table t;
	uint8_t a[4] = {192, 168, 1, 10};

	lc_table_init(&t);
	struct lc_device *d = lc_get_or_add(&t, mac1, NULL);
	assert_true(lc_add_addr(d, MGI_FAMILY_IPV4, a));
	assert_false(lc_add_addr(d, MGI_FAMILY_IPV4, a));
	for (int i = 0; i < LC_MAX_ADDRS + 3; i++) {
		a[3] = (uint8_t)(20 + i);
		assert_true(lc_add_addr(d, MGI_FAMILY_IPV4, a));
	}
	assert_int_equal(d->n_v4, LC_MAX_ADDRS);
	/* the oldest went: .10 .20 .21 .22; the first kept is .23 */
	assert_int_equal(d->v4[0][3], 23);
	assert_int_equal(d->v4[LC_MAX_ADDRS - 1][3], 20 + LC_MAX_ADDRS + 2);
	lc_table_fini(&t);
}

static void
test_json_round_trip(void **state)
{
	char path[] = "/tmp/lc_test_XXXXXX", err[256];
	struct lc_table t, r;
	uint8_t v4[4] = {10, 0, 0, 7}, v6[16] = {0xfd, 0, [15] = 7};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	lc_table_init(&t);
	struct lc_device *d = lc_get_or_add(&t, mac1, NULL);
	strcpy(d->mud_url, "https://mud.example.com/thermostat.json");
	strcpy(d->policy, d->mud_url);
	d->source = LC_SRC_DHCP4;
	lc_add_addr(d, MGI_FAMILY_IPV4, v4);
	lc_add_addr(d, MGI_FAMILY_IPV6, v6);
	lc_set(&t, d, MG_STATE_ENFORCED, LC_R_OK, NULL);
	strcpy(d->announced_url, "https://mud.example.com/announced.json");
	d->announced_source = LC_SRC_LLDP;
	d->discovered = true;
	d = lc_get_or_add(&t, mac2, NULL);
	lc_set(&t, d, MG_STATE_QUARANTINED, LC_R_SIGNATURE, "signature expired: x");
	strcpy(d->refused_url, "http://mud.example.com/x\"y");
	d->refused_reason = LC_R_NOT_HTTPS;
	assert_int_equal(lc_write_json(&t, path), 0);

	/* the document as the lab reads it */
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	assert_non_null(j);
	json_t *d0 = json_array_get(json_object_get(j, "devices"), 0);
	assert_string_equal(json_string_value(json_object_get(d0, "mac")), "02:00:00:00:00:01");
	assert_string_equal(json_string_value(json_object_get(d0, "state")), "enforced");
	assert_string_equal(json_string_value(json_object_get(d0, "reason")), "ok");
	assert_string_equal(json_string_value(json_object_get(d0, "source")), "dhcpv4");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d0, "addresses"), 0)),
			    "10.0.0.7");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d0, "addresses"), 1)),
			    "fd00::7");
	assert_null(json_object_get(d0, "refused-url"));
	json_t *d1 = json_array_get(json_object_get(j, "devices"), 1);
	assert_string_equal(json_string_value(json_object_get(d1, "refused-url")),
			    "http://mud.example.com/x\"y");
	assert_string_equal(json_string_value(json_object_get(d1, "refused-reason")), "not-https");
	assert_null(json_object_get(d1, "discovered"));
	json_decref(j);

	lc_table_init(&r);
	assert_int_equal(lc_read_json(&r, path, err, sizeof(err)), 2);
	d = lc_find(&r, mac2);
	assert_non_null(d);
	assert_int_equal(d->state, MG_STATE_QUARANTINED);
	assert_int_equal(d->reason, LC_R_SIGNATURE);
	assert_string_equal(d->msg, "signature expired: x");
	assert_string_equal(d->refused_url, "http://mud.example.com/x\"y");
	assert_int_equal(d->refused_reason, LC_R_NOT_HTTPS);
	assert_false(d->discovered);
	d = lc_find(&r, mac1);
	assert_string_equal(d->policy, "https://mud.example.com/thermostat.json");
	assert_int_equal(d->n_v4, 1);
	assert_int_equal(d->n_v6, 1);
	assert_string_equal(d->announced_url, "https://mud.example.com/announced.json");
	assert_int_equal(d->announced_source, LC_SRC_LLDP);
	assert_true(d->discovered);
	assert_string_equal(d->refused_url, "");
	/* forgetting a device keeps the others */
	assert_true(lc_remove(&r, mac1));
	assert_false(lc_remove(&r, mac1));
	assert_int_equal(r.n, 1);
	assert_non_null(lc_find(&r, mac2));
	assert_null(lc_find(&r, mac1));
	lc_table_fini(&r);
	lc_table_fini(&t);

	/* not such a document */
	FILE *f = fopen(path, "w");
	fputs("{\"devices\": 3}", f);
	fclose(f);
	lc_table_init(&r);
	assert_int_equal(lc_read_json(&r, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no \"devices\" array"));
	unlink(path);
	assert_int_equal(lc_read_json(&r, path, err, sizeof(err)), -ENOENT);
	lc_table_fini(&r);
}

static void
test_reason_ids(void **state)
{
	for (int r = 0; r < LC_R_MAX; r++)
		assert_int_equal(lc_reason_parse(lc_reason_id(r)), r);
	assert_string_equal(lc_reason_id(LC_R_TLS), "tls");
	assert_string_equal(lc_reason_id(LC_R_BAD_URL), "bad-url");
	assert_string_equal(lc_reason_id(LC_R_PUBLISH), "publish");
	assert_int_equal(lc_reason_parse("nope"), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_set),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_reason_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
