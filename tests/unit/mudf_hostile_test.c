/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile MUD inputs, each with the exact first error expected (path and message), in strict
 * and lenient mode alike.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mud/mudf.h"

static struct mudf_ctx *ctx;

#define ACL "/ietf-access-control-list:acls/acl[name='a']"
#define ACE ACL "/aces/ace[name='e']"

/* A MUD file: url, cache-validity, the ACL the policy names, the ACL type, the ACE list. */
static char *
doc(const char *url, const char *cv, const char *polname, const char *type, const char *aces)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"%s\","
		     "\"last-update\":\"2024-01-01T00:00:00Z\",\"cache-validity\":%s,"
		     "\"is-supported\":true,\"systeminfo\":\"x\","
		     "\"from-device-policy\":{\"access-lists\":{\"access-list\":[{\"name\":\"%s\"}]"
		     "}}},"
		     "\"ietf-access-control-list:acls\":{\"acl\":[{\"name\":\"a\",\"type\":\"%s\","
		     "\"aces\":{\"ace\":[%s]}}]}}",
		     url, cv, polname, type, aces) < 0)
		return NULL;
	return s;
}

#define ACE_OK(name, matches)                                                                      \
	"{\"name\":\"" name "\",\"matches\":{" matches "},\"actions\":{\"forwarding\":\"accept\"}" \
	"}"

#define GOOD_ACE \
	ACE_OK("e", "\"ipv4\":{\"protocol\":6},\"tcp\":{\"destination-port\":{\"port\":80}}")

struct hostile {
	const char *name;
	char *(*make)(size_t *len);
	int ret;
	const char *path;
	const char *msg;
};

static char *
mk_doc(const char *url, const char *cv, const char *pol, const char *type, const char *aces,
       size_t *len)
{
	char *s = doc(url, cv, pol, type, aces);

	*len = s ? strlen(s) : 0;
	return s;
}

#define GOOD_URL "https://example.com/dev"

static char *
h_valid(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_truncated(size_t *len)
{
	char *s = h_valid(len);

	*len = 60; /* inside the MUD URL */
	s[60] = '\0';
	return s;
}

static char *
h_10mb(size_t *len)
{
	size_t n = 10u << 20;
	char *s = malloc(n + 1);

	memset(s, ' ', n);
	s[0] = '{';
	s[n - 1] = '}';
	s[n] = '\0';
	*len = n;
	return s;
}

static char *
h_deep_arrays(size_t *len)
{
	size_t depth = 10000;
	char *s = malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	*len = 2 * depth;
	return s;
}

static char *
h_deep_objects(size_t *len)
{
	/* 100 nested objects inside ietf-mud:mud: under jansson's limit, over ours */
	char *s = malloc(16 * 100 + 64), *p = s;

	p += sprintf(p, "{\"ietf-mud:mud\":");
	for (int i = 0; i < 100; i++)
		p += sprintf(p, "{\"x\":");
	p += sprintf(p, "1");
	for (int i = 0; i < 101; i++)
		*p++ = '}';
	*p = '\0';
	*len = strlen(s);
	return s;
}

static char *
h_unknown_acl_type(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "foo-acl-type", GOOD_ACE, len);
}

static char *
h_inverted_range(size_t *len)
{
	return mk_doc(
		GOOD_URL, "48", "a", "ipv4-acl-type",
		ACE_OK("e", "\"tcp\":{\"source-port\":{\"lower-port\":100,\"upper-port\":10}}"),
		len);
}

static char *
h_prefix33(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type",
		      ACE_OK("e", "\"ipv4\":{\"destination-ipv4-network\":\"10.0.0.0/33\"}"), len);
}

static char *
h_dup_ace(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type", GOOD_ACE "," GOOD_ACE, len);
}

static char *
h_http_url(size_t *len)
{
	return mk_doc("http://example.com/dev", "48", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_cv0(size_t *len)
{
	return mk_doc(GOOD_URL, "0", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_cv169(size_t *len)
{
	return mk_doc(GOOD_URL, "169", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_missing_acl(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "nope", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_dup_key(size_t *len)
{
	return mk_doc(GOOD_URL, "48, \"cache-validity\": 48", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_top_array(size_t *len)
{
	*len = 2;
	return strdup("[]");
}

static char *
h_empty(size_t *len)
{
	*len = 0;
	return strdup("");
}

static char *
h_not_utf8(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type",
		      ACE_OK("e\xff", "\"ipv4\":{\"protocol\":6}"), len);
}

static char *
h_nul_byte(size_t *len)
{
	char *s = h_valid(len);

	s[10] = '\0'; /* inside "ietf-mud:mud" */
	return s;
}

static char *
h_big_int(size_t *len)
{
	return mk_doc(GOOD_URL, "99999999999999999999999", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_unknown_match(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type", ACE_OK("e", "\"foo\":{}"), len);
}

static char *
h_unknown_module_match(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type", ACE_OK("e", "\"x-ext:foo\":{}"), len);
}

static char *
h_no_host(size_t *len)
{
	return mk_doc("https:///dev", "48", "a", "ipv4-acl-type", GOOD_ACE, len);
}

static char *
h_dup_acl(size_t *len)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"%s\","
		     "\"last-update\":\"2024-01-01T00:00:00Z\",\"is-supported\":true,"
		     "\"from-device-policy\":{\"access-lists\":{\"access-list\":[{\"name\":\"a\"}]}"
		     "}},"
		     "\"ietf-access-control-list:acls\":{\"acl\":[{\"name\":\"a\"},{\"name\":\"a\"}"
		     "]}}",
		     GOOD_URL) < 0)
		return NULL;
	*len = strlen(s);
	return s;
}

static char *
h_policy_twice(size_t *len)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"%s\","
		     "\"last-update\":\"2024-01-01T00:00:00Z\",\"is-supported\":true,"
		     "\"from-device-policy\":{\"access-lists\":{\"access-list\":[{\"name\":\"a\"},"
		     "{\"name\":\"a\"}]}}},"
		     "\"ietf-access-control-list:acls\":{\"acl\":[{\"name\":\"a\"}]}}",
		     GOOD_URL) < 0)
		return NULL;
	*len = strlen(s);
	return s;
}

static char *
h_ipv4_in_ipv6(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv6-acl-type",
		      ACE_OK("e", "\"ipv6\":{\"destination-ipv6-network\":\"10.1.2.3\"}"), len);
}

static char *
h_no_mud(size_t *len)
{
	*len = strlen("{\"foo:bar\":1}");
	return strdup("{\"foo:bar\":1}");
}

static char *
h_bad_port(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type",
		      ACE_OK("e", "\"tcp\":{\"source-port\":{\"port\":65536}}"), len);
}

/* libyang 2.1.30 crashes on these unless the pre-pass handles them (check_empty_family). */
static char *
h_empty_eth_in_ipv4(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "mixed-eth-ipv4-acl-type", ACE_OK("e", "\"eth\":{}"),
		      len);
}

static char *
h_empty_ipv6_in_ipv4(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type", ACE_OK("e", "\"ipv6\":{}"), len);
}

static char *
h_empty_ipv4_in_ipv4(size_t *len)
{
	return mk_doc(GOOD_URL, "48", "a", "ipv4-acl-type", ACE_OK("e", "\"ipv4\":{}"), len);
}

static const struct hostile table[] = {
	{"valid", h_valid, 0, NULL, NULL},
	{"truncated JSON", h_truncated, -EINVAL, "/",
	 "invalid JSON at line 1, column 60: premature end of input near '\"https://example.'"},
	{"10 MB file", h_10mb, -EFBIG, "/",
	 "file is 10485760 bytes, larger than the 1048576-byte limit"},
	{"10,000-deep nesting", h_deep_arrays, -EINVAL, "/", "JSON nesting deeper than 64 levels"},
	{"100-deep objects", h_deep_objects, -EINVAL, "/", "JSON nesting deeper than 64 levels"},
	{"unknown ACL type", h_unknown_acl_type, -EINVAL, ACL "/type",
	 "Invalid identityref \"foo-acl-type\" value - identity not found in module "
	 "\"ietf-access-control-list\"."},
	{"inverted port range", h_inverted_range, -EINVAL,
	 ACE "/matches/tcp/source-port/lower-port",
	 "The lower-port must be less than or equal to the upper-port."},
	{"/33 prefix", h_prefix33, -EINVAL, ACE "/matches/ipv4/destination-ipv4-network",
	 "'10.0.0.0/33' is not an IPv4 prefix: the length must be 0..32"},
	{"duplicate ACE names", h_dup_ace, -EINVAL, ACE, "duplicate ACE name 'e'"},
	{"http mud-url", h_http_url, -EINVAL, "/ietf-mud:mud/mud-url",
	 "mud-url 'http://example.com/dev' is not an https URL with a host (RFC 8520 section 4)"},
	{"https URL without host", h_no_host, -EINVAL, "/ietf-mud:mud/mud-url",
	 "mud-url 'https:///dev' is not an https URL with a host (RFC 8520 section 4)"},
	{"cache-validity 0", h_cv0, -EINVAL, "/ietf-mud:mud/cache-validity",
	 "cache-validity 0 out of range 1..168 (hours, RFC 8520 section 3.5)"},
	{"cache-validity 169", h_cv169, -EINVAL, "/ietf-mud:mud/cache-validity",
	 "cache-validity 169 out of range 1..168 (hours, RFC 8520 section 3.5)"},
	{"policy naming a missing ACL", h_missing_acl, -EINVAL,
	 "/ietf-mud:mud/from-device-policy/access-lists/access-list[name='nope']",
	 "the policy names ACL 'nope', which ietf-access-control-list:acls does not define"},
	{"duplicate JSON member", h_dup_key, -EINVAL, "/",
	 "invalid JSON at line 1, column 143: duplicate object key near '\"cache-validity\"'"},
	{"top-level array", h_top_array, -EINVAL, "/",
	 "the top-level JSON value is an array, not an object"},
	{"empty file", h_empty, -EINVAL, "/",
	 "invalid JSON at line 1, column 0: '[' or '{' expected near end of file"},
	{"invalid UTF-8", h_not_utf8, -EINVAL, "/",
	 "invalid JSON at line 1, column 333: unable to decode byte 0xff near '\"e'"},
	{"NUL byte", h_nul_byte, -EINVAL, "/",
	 "invalid JSON at line 1, column 10: control character 0x0 near '\"ietf-mud'"},
	{"integer overflow", h_big_int, -EINVAL, "/",
	 "invalid JSON at line 1, column 146: too big integer"},
	{"unknown match", h_unknown_match, -EINVAL, ACE "/matches",
	 "Node \"foo\" not found as a child of \"matches\" node."},
	{"match of an unknown module", h_unknown_module_match, -EINVAL, ACE "/matches/x-ext:foo",
	 "match of module 'x-ext', an extension this implementation does not understand "
	 "(ignoring a match would widen the ACE)"},
	{"duplicate ACL names", h_dup_acl, -EINVAL, "/ietf-access-control-list:acls/acl[name='a']",
	 "duplicate ACL name 'a'"},
	{"ACL named twice by a policy", h_policy_twice, -EINVAL,
	 "/ietf-mud:mud/from-device-policy/access-lists/access-list[name='a']",
	 "ACL 'a' named twice in from-device-policy"},
	{"IPv4 address in an IPv6 match", h_ipv4_in_ipv6, -EINVAL,
	 ACE "/matches/ipv6/destination-ipv6-network",
	 "'10.1.2.3' is an IPv4 address, in an IPv6 match"},
	{"no ietf-mud:mud", h_no_mud, -EINVAL, "/",
	 "no ietf-mud:mud container: not a MUD file (top-level members: foo:bar)"},
	{"empty eth match in a mixed ACL", h_empty_eth_in_ipv4, -EINVAL, ACE "/matches/eth",
	 "empty 'eth' match in an ACL of type 'mixed-eth-ipv4-acl-type' cannot be validated "
	 "(name a header field, or use an ACL of type 'eth-acl-type')"},
	{"empty ipv6 match in an IPv4 ACL", h_empty_ipv6_in_ipv4, -EINVAL, ACE "/matches/ipv6",
	 "empty 'ipv6' match in an ACL of type 'ipv4-acl-type' cannot be validated (name a "
	 "header field, or use an ACL of type 'ipv6-acl-type')"},
	{"empty ipv4 match in an IPv4 ACL (valid)", h_empty_ipv4_in_ipv4, 0, NULL, NULL},
	{"port 65536", h_bad_port, -EINVAL, ACE "/matches/tcp/source-port/port",
	 "Value \"65536\" is out of type uint16 min/max bounds."},
};

static int
setup(void **state)
{
	char err[512];

	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx)
		fprintf(stderr, "%s\n", err);
	return ctx ? 0 : -1;
}

static int
teardown(void **state)
{
	mudf_ctx_destroy(ctx);
	return 0;
}

static void
test_hostile(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		for (int lenient = 0; lenient < 2; lenient++) {
			struct mudf_opts opts = {.flags = lenient ? MUDF_LENIENT : 0};
			const struct hostile *h = &table[i];
			struct mudf_file *f = NULL;
			struct mudf_diags d;
			size_t len;
			char *buf = h->make(&len);
			long e;
			int ret;

			assert_non_null(buf);
			if (!len && h->make != h_empty)
				fail_msg("%s: no input", h->name);
			assert_int_equal(mudf_diags_init(&d, h->name), 0);
			ret = mudf_parse(ctx, buf, len, &opts, &f, &d);
			if (ret != h->ret) {
				mudf_diags_print(&d, stderr, false);
				print_error("%s: returned %d, expected %d\n", h->name, ret, h->ret);
				failures++;
			} else if (h->ret) {
				assert_null(f);
				e = mudf_diags_first_error(&d);
				assert_true(e >= 0);
				if (strcmp(d.v[e].path, h->path) || strcmp(d.v[e].msg, h->msg)) {
					print_error("%s:\n expected %s: %s\n got      %s: %s\n",
						    h->name, h->path, h->msg, d.v[e].path,
						    d.v[e].msg);
					failures++;
				}
			} else {
				assert_non_null(f);
				assert_string_equal(f->mud_url, GOOD_URL);
				assert_string_equal(f->authority, "example.com");
				assert_int_equal(f->cache_validity, 48);
				assert_int_equal(f->n_from, 1);
				assert_string_equal(f->from_acls[0], "a");
				assert_int_equal(f->n_to, 0);
				assert_int_equal(d.n, 0);
			}
			mudf_file_destroy(f);
			mudf_diags_fini(&d);
			free(buf);
		}
	}
	assert_int_equal(failures, 0);
}

static void
test_url_authority(void **state)
{
	char buf[64];

	assert_int_equal(mudf_url_authority("https://Example.COM:8443/x?y", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "example.com:8443");
	assert_int_equal(mudf_url_authority("HTTPS://a.b", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a.b");
	assert_int_equal(mudf_url_authority("http://a.b/", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mudf_url_authority("https://user@a.b/", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mudf_url_authority("https://", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mudf_url_authority("https://a b/", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mudf_url_authority("https://aaaaaaaaaaaaaaaa", buf, 8), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_url_authority),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
