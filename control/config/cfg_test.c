/* SPDX-License-Identifier: BSD-3-Clause */
/* cfg: the startup file through validate / prepare / apply. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "config/cfg.h"

static struct mudf_ctx *ctx;
static char state[] = "/tmp/cfg_test_XXXXXX";
static char pki[1024];

/* Runs the transaction on text; returns its result, *out the configuration on success and the
 * first error in first_err. */
static int
load(const char *text, struct cfg **out, char *first_err, size_t size)
{
	struct lyd_node *tree = NULL;
	struct mudf_diags d;
	int rc;

	*out = NULL;
	first_err[0] = 0;
	assert_int_equal(mudf_diags_init(&d, "test"), 0);
	rc = cfg_validate(ctx, text, strlen(text), &tree, &d);
	if (rc == 0)
		rc = cfg_prepare(ctx, tree, text, strlen(text), state, out, &d);
	long k = mudf_diags_first_error(&d);
	if (k >= 0)
		snprintf(first_err, size, "%s: %s", d.v[k].path, d.v[k].msg);
	lyd_free_all(tree);
	mudf_diags_fini(&d);
	return rc;
}

static void
test_defaults(void **state_)
{
	struct cfg *c;
	char err[512];

	assert_int_equal(load("{\"mudgate:mudgate\": {}}", &c, err, sizeof(err)), 0);
	assert_int_equal(c->max_size, 1048576);
	assert_int_equal(c->connect_timeout, 10);
	assert_int_equal(c->total_timeout, 30);
	assert_int_equal(c->grace, 86400);
	assert_int_equal(c->retry_interval, 60);
	assert_int_equal(c->failure_state, MG_STATE_QUARANTINED);
	assert_true(c->sig.require_signature);
	assert_false(c->sig.allow_unsigned_with_warning);
	assert_int_equal(c->sig.expired_signer, MUDSIG_TIME_REJECT);
	assert_true(c->lenient);
	assert_true(c->disc_dhcp4 && c->disc_dhcp6 && c->disc_lldp);
	assert_null(c->store);
	assert_null(c->ca_file);
	cfg_destroy(c);
}

static void
test_full(void **state_)
{
	char text[8192], err[512];
	struct cfg *c = NULL, *running = NULL;
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x11};

	snprintf(text, sizeof(text),
		 "{\"mudgate:mudgate\": {"
		 " \"site\": {\"trust-anchor\": [{\"name\": \"test\", \"certificate-file\": "
		 "\"%s/ca.pem\"}], \"allowances\": {\"resolver\": [\"10.0.0.53\"]}},"
		 " \"daemon\": {"
		 "  \"device\": [{\"mac\": \"02:00:00:00:00:11\", \"mud-url\": "
		 "\"https://mud.example.com/thermostat.json\"}],"
		 "  \"discovery\": {\"lldp\": false},"
		 "  \"fetch\": {\"ca-file\": \"%s/ca.pem\", \"max-size\": 65536, "
		 "\"total-timeout\": 5,"
		 "   \"grace\": 600, \"connect-to\": [{\"host\": \"mud.example.com\", "
		 "\"address\": \"127.0.0.1\", \"port\": 8443}]},"
		 "  \"signature\": {\"expired-signer\": \"at-signing-time\", \"check-authority\": "
		 "true,"
		 "   \"authority\": [{\"host\": \"mud.example.com\", \"signer-subject\": "
		 "\"CN=x\"}]},"
		 "  \"failure-state\": \"unknown\", \"lenient\": false,"
		 "  \"dnsname\": {\"min-ttl\": 10, \"resolver\": [\"127.0.0.1\"]}}}}",
		 pki, pki);
	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	assert_non_null(c->store);
	assert_int_equal(mudsig_store_n_anchors(c->store), 1);
	assert_int_equal(c->n_statics, 1);
	assert_string_equal(cfg_static_url(c, mac), "https://mud.example.com/thermostat.json");
	assert_false(c->disc_lldp);
	assert_true(c->disc_dhcp4);
	assert_int_equal(c->max_size, 65536);
	assert_int_equal(c->total_timeout, 5);
	assert_int_equal(c->grace, 600);
	assert_int_equal(c->n_connect_to, 1);
	assert_int_equal(c->connect_to[0].port, 8443);
	assert_int_equal(c->sig.expired_signer, MUDSIG_TIME_AT_SIGNING_TIME);
	assert_true(c->sig.check_authority);
	assert_int_equal(c->sig.n_authorities, 1);
	assert_string_equal(c->sig.authorities[0].signer_subject, "CN=x");
	assert_int_equal(c->failure_state, MG_STATE_UNKNOWN);
	assert_false(c->lenient);
	assert_int_equal(c->dns_min_ttl, 10);
	assert_int_equal(c->n_resolvers, 1);
	assert_int_equal(c->site->resolvers.n, 1);
	cfg_apply(&running, c);
	assert_ptr_equal(running, c);
	cfg_destroy(running);
}

static void
test_rejections(void **state_)
{
	static const struct {
		const char *text;
		int rc;
		const char *err; /* substring of the first error */
	} t[] = {
		{"{\"mudgate:mudgate\": {\"daemon\": {\"fetch\": {\"max-size\": 10}}}}", -EINVAL,
		 "/mudgate:mudgate/daemon/fetch/max-size"},
		{"{\"mudgate:mudgate\": {\"daemon\": {\"nope\": 1}}}", -EINVAL, "nope"},
		{"{\"mudgate:mudgate\": {\"daemon\": {\"device\": [{\"mac\": "
		 "\"02:00:00:00:00:01\", "
		 "\"mud-url\": \"http://x/y\"}]}}}",
		 -EINVAL, "mud-url"},
		{"{\"mudgate:mudgate\": {\"daemon\": {\"failure-state\": \"enforced\"}}}", -EINVAL,
		 "failure-state"},
		{"{\"mudgate:mudgate\": {\"daemon\": {\"fetch\": {\"ca-file\": "
		 "\"/nonexistent/ca.pem\"}}}}",
		 -ENOENT, "/nonexistent/ca.pem: No such file or directory"},
		{"{\"mudgate:mudgate\": {\"daemon\": {\"dnsname\": {\"min-ttl\": 100, \"max-ttl\": "
		 "50}}}}",
		 -EINVAL, "max-ttl 50 is below min-ttl 100"},
		{"{\"mudgate:mudgate\": {\"site\": {\"trust-anchor\": [{\"name\": \"x\", "
		 "\"certificate-file\": \"/nonexistent.pem\"}]}}}",
		 -ENOENT, "/nonexistent.pem"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cfg *c;
		char err[512];
		int rc = load(t[i].text, &c, err, sizeof(err));
		if (rc != t[i].rc || !strstr(err, t[i].err))
			fail_msg("case %zu: rc %d (want %d), error '%s' (want '%s')", i, rc,
				 t[i].rc, err, t[i].err);
		assert_null(c);
	}
}

/* Refresh and grace low enough for tests: max-validity down to 5 s, grace 0, retry 1 s. */
static void
test_short_intervals(void **state_)
{
	struct cfg *c;
	char err[512];

	assert_int_equal(load("{\"mudgate:mudgate\": {\"daemon\": {\"fetch\": {"
			      "\"max-validity\": 5, \"grace\": 0, \"retry-interval\": 1}}}}",
			      &c, err, sizeof(err)),
			 0);
	assert_int_equal(c->max_validity, 5);
	assert_int_equal(c->grace, 0);
	assert_int_equal(c->retry_interval, 1);
	cfg_destroy(c);
	assert_int_equal(load("{\"mudgate:mudgate\": {\"daemon\": {\"fetch\": {"
			      "\"max-validity\": 4}}}}",
			      &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "max-validity"));
	assert_int_equal(load("{\"mudgate:mudgate\": {\"daemon\": {\"fetch\": {"
			      "\"retry-interval\": 0}}}}",
			      &c, err, sizeof(err)),
			 -EINVAL);
}

static void
test_inline_pem(void **state_)
{
	char path[4200], *pem, *text, err[512];
	size_t size;
	struct cfg *c;

	snprintf(path, sizeof(path), "%s/ca.pem", pki);
	pem = mg_read_file(path, 1 << 16, &size);
	assert_non_null(pem);
	/* JSON-escape the newlines */
	text = malloc(size * 2 + 512);
	char *p = text + sprintf(text, "{\"mudgate:mudgate\": {\"site\": {\"trust-anchor\": "
				       "[{\"name\": \"inline\", \"certificate-pem\": \"");
	for (size_t i = 0; i < size; i++) {
		if (pem[i] == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = pem[i];
		}
	}
	strcpy(p, "\"}]}}}");
	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	assert_int_equal(mudsig_store_n_anchors(c->store), 1);
	snprintf(path, sizeof(path), "%s/trust-anchors/inline.pem", state);
	assert_int_equal(access(path, R_OK), 0);
	cfg_destroy(c);
	free(text);
	free(pem);
}

static int
setup(void **state_)
{
	char err[512];
	const char *src = getenv("MUDGATE_SOURCE_DIR");

	snprintf(pki, sizeof(pki), "%s/tests/data/pki", src ? src : ".");
	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx || !mkdtemp(state)) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state_)
{
	char cmd[128];
	mudf_ctx_destroy(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),        cmocka_unit_test(test_full),
		cmocka_unit_test(test_rejections),      cmocka_unit_test(test_inline_pem),
		cmocka_unit_test(test_short_intervals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
