/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudsig tests. Expected outcomes come from `openssl cms -verify` on the same files:
 *  - tests/data/mud-corpus/mud_architecture/{plc,thermostat}-example.{json,p7s} with
 *    _trust/mud_architecture_cacert.pem: the self-signed signer (CN=Lalksy) is valid
 *    2017-07-23 .. 2020-07-22; `openssl cms -verify` fails with "certificate has expired",
 *    succeeds with -attime at the signingTime (2017-07-24 18:30:26 and 03:41:40 UTC) and with
 *    -no_check_time; a modified file fails with "content verify error".
 *  - tests/data/pki/ from make-pki.sh (see the list there): good.p7s verifies, rogue.p7s
 *    "unable to get local issuer certificate", expired-*.p7s "certificate has expired",
 *    expired-then-valid.p7s verifies with -attime 2020-06-01, notyet.p7s "certificate is not
 *    yet valid". Subjects below are `openssl x509 -noout -subject -nameopt RFC2253`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mudsig.h"

#define T_2017_07_24 1500854400 /* 2017-07-24T00:00:00Z */
#define T_2020_06_01 1590969600 /* 2020-06-01T00:00:00Z */
#define T_2022_01_01 1640995200
#define T_2025_06_01 1748736000

#define SIGNER_SUBJECT "O=Example Devices,CN=Example Devices MUD signer"
#define OTHER_SUBJECT  "O=Other Vendor,CN=Other Vendor MUD signer"
#define MUD_URL        "https://mud.example.com/thermostat.json"

struct blob {
	uint8_t *data;
	size_t size;
};

static char *
path_of(const char *rel)
{
	const char *src = getenv("MUDGATE_SOURCE_DIR");
	char *p;

	if (asprintf(&p, "%s/tests/data/%s", src ? src : ".", rel) < 0)
		fail_msg("asprintf");
	return p;
}

static struct blob
load(const char *rel)
{
	char *p = path_of(rel);
	struct blob b = {0};
	FILE *f = fopen(p, "rb");
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", p);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.data = malloc((size_t)n + 1);
	b.size = fread(b.data, 1, (size_t)n, f);
	fclose(f);
	free(p);
	assert_int_equal(b.size, (size_t)n);
	return b;
}

static struct mudsig_store *
store_of(const char *rel)
{
	char *p = path_of(rel);
	const char *files[1] = {p};
	char *msg = NULL;
	struct mudsig_store *s = mudsig_store_create(files, 1, &msg);

	if (s == NULL)
		fail_msg("store %s: %s", p, msg ? msg : "?");
	free(p);
	return s;
}

struct fixture {
	struct mudsig_store *pki;
	struct mudsig_store *rogue;
	struct mudsig_store *corpus;
	struct blob mud;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->pki = store_of("pki/ca.pem");
	f->rogue = store_of("pki/rogue-ca.pem");
	f->corpus = store_of("mud-corpus/_trust/mud_architecture_cacert.pem");
	f->mud = load("pki/thermostat.json");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mudsig_store_destroy(f->pki);
	mudsig_store_destroy(f->rogue);
	mudsig_store_destroy(f->corpus);
	free(f->mud.data);
	free(f);
	return 0;
}

/* Verify pki/<sig> over pki/thermostat.json. */
static int
pki_verify(struct fixture *f, const struct mudsig_store *store, const struct mudsig_policy *pol,
	   const char *sig_name, struct mudsig_result *res)
{
	char rel[128];
	struct blob sig;
	int rc;

	snprintf(rel, sizeof(rel), "pki/%s", sig_name);
	sig = load(rel);
	rc = mudsig_verify(store, pol, MUD_URL, f->mud.data, f->mud.size, sig.data, sig.size, res);
	free(sig.data);
	return rc;
}

static void
policy_at(struct mudsig_policy *p, enum mudsig_time_policy tp, time_t now)
{
	mudsig_policy_init(p);
	p->expired_signer = tp;
	p->now = now;
}

static void
test_defaults(void **state)
{
	struct mudsig_policy p;

	mudsig_policy_init(&p);
	assert_true(p.require_signature);
	assert_false(p.allow_unsigned_with_warning);
	assert_int_equal(p.expired_signer, MUDSIG_TIME_REJECT);
	assert_false(p.check_authority);
	assert_string_equal(mudsig_reason_id(MUDSIG_R_DIGEST_MISMATCH), "digest-mismatch");
	assert_string_equal(mudsig_reason_id(MUDSIG_R_SIGNER_NOT_AUTHORISED),
			    "signer-not-authorised");
}

/* ---- real corpus ---- */

static void
corpus_case(struct fixture *f, const char *base, enum mudsig_time_policy tp, bool tamper,
	    int want_rc, enum mudsig_reason want, struct mudsig_result *res)
{
	char rel[256];
	struct blob mud, sig;
	struct mudsig_policy p;
	int rc;

	snprintf(rel, sizeof(rel), "mud-corpus/mud_architecture/%s.json", base);
	mud = load(rel);
	snprintf(rel, sizeof(rel), "mud-corpus/mud_architecture/%s.p7s", base);
	sig = load(rel);
	if (tamper)
		mud.data[mud.size / 2] ^= 0x01;
	policy_at(&p, tp, 0);
	rc = mudsig_verify(f->corpus, &p, NULL, mud.data, mud.size, sig.data, sig.size, res);
	if (rc != want_rc || res->reason != want)
		fail_msg("%s tp %d tamper %d: rc %d %s (%s), want %d %s", base, tp, tamper, rc,
			 mudsig_reason_id(res->reason), res->msg, want_rc, mudsig_reason_id(want));
	free(mud.data);
	free(sig.data);
}

static void
test_corpus(void **state)
{
	static const char *const bases[] = {"plc-example", "thermostat-example"};
	static const time_t signed_at[] = {1500921026, 1500867700}; /* from the CMS */
	struct fixture *f = *state;
	struct mudsig_result res;

	for (size_t i = 0; i < 2; i++) {
		corpus_case(f, bases[i], MUDSIG_TIME_REJECT, false, -EKEYEXPIRED, MUDSIG_R_EXPIRED,
			    &res);
		assert_non_null(strstr(res.msg, "certificate has expired"));
		assert_string_equal(res.signer_subject, "CN=Lalksy,OU=CS,O=CU,L=nyc,ST=NY,C=US");
		assert_true(res.has_signing_time);
		assert_int_equal(res.signing_time, signed_at[i]);

		corpus_case(f, bases[i], MUDSIG_TIME_AT_SIGNING_TIME, false, 0, MUDSIG_R_OK, &res);
		assert_true(res.warning);
		assert_non_null(strstr(res.msg, "valid at signingTime 2017-07-24T"));

		corpus_case(f, bases[i], MUDSIG_TIME_IGNORE, false, 0, MUDSIG_R_OK, &res);
		assert_false(res.warning);

		/* content changed: caught before any chain or time question */
		corpus_case(f, bases[i], MUDSIG_TIME_IGNORE, true, -EBADMSG,
			    MUDSIG_R_DIGEST_MISMATCH, &res);
		corpus_case(f, bases[i], MUDSIG_TIME_REJECT, true, -EBADMSG,
			    MUDSIG_R_DIGEST_MISMATCH, &res);
	}
}

/* The corpus signer's only name is CN=Lalksy: it may not sign for a host unless mapped. */
static void
test_corpus_authority(void **state)
{
	static const struct mudsig_authority map[] = {
		{"simantec-mud.com", "CN=Lalksy,OU=CS,O=CU,L=nyc,ST=NY,C=US"},
	};
	struct fixture *f = *state;
	struct blob mud = load("mud-corpus/mud_architecture/plc-example.json");
	struct blob sig = load("mud-corpus/mud_architecture/plc-example.p7s");
	struct mudsig_result res;
	struct mudsig_policy p;
	const char *url = "https://simantec-mud.com/.well-known/mud/v1/s7-1200";

	policy_at(&p, MUDSIG_TIME_IGNORE, 0);
	p.check_authority = true;
	assert_int_equal(
		mudsig_verify(f->corpus, &p, url, mud.data, mud.size, sig.data, sig.size, &res),
		-EACCES);
	assert_int_equal(res.reason, MUDSIG_R_SIGNER_NOT_AUTHORISED);
	assert_string_equal(res.msg, "signer 'CN=Lalksy,OU=CS,O=CU,L=nyc,ST=NY,C=US' "
				     "(CN:Lalksy) may not sign for host 'simantec-mud.com'");
	p.authorities = map;
	p.n_authorities = 1;
	assert_int_equal(
		mudsig_verify(f->corpus, &p, url, mud.data, mud.size, sig.data, sig.size, &res), 0);
	free(mud.data);
	free(sig.data);
}

/* ---- own PKI ---- */

static void
test_good(void **state)
{
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	p.check_authority = true;
	assert_int_equal(pki_verify(f, f->pki, &p, "good.p7s", &res), 0);
	assert_int_equal(res.reason, MUDSIG_R_OK);
	assert_false(res.warning);
	assert_string_equal(res.signer_subject, SIGNER_SUBJECT);
	assert_true(res.has_signing_time);
	assert_int_equal(res.signing_time, 1704067200); /* 2024-01-01T00:00:00Z */
	assert_string_equal(res.msg, "signature by '" SIGNER_SUBJECT "' verified");

	/* current clock, default policy (signer valid until 2049) */
	assert_int_equal(pki_verify(f, f->pki, NULL, "good.p7s", &res), 0);
}

static void
test_tampered(void **state)
{
	struct fixture *f = *state;
	struct blob sig = load("pki/good.p7s");
	struct mudsig_result res;
	struct mudsig_policy p;
	uint8_t *copy = malloc(f->mud.size);

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	memcpy(copy, f->mud.data, f->mud.size);
	copy[10] ^= 0x20;
	assert_int_equal(
		mudsig_verify(f->pki, &p, MUD_URL, copy, f->mud.size, sig.data, sig.size, &res),
		-EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_DIGEST_MISMATCH);
	assert_non_null(strstr(res.msg, "does not match the"));
	/* one byte less */
	assert_int_equal(mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size - 1, sig.data,
				       sig.size, &res),
			 -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_DIGEST_MISMATCH);
	/* signature value corrupted (last byte of the DER is inside the RSA signature) */
	sig.data[sig.size - 1] ^= 0x01;
	assert_int_equal(mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, sig.data,
				       sig.size, &res),
			 -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_DIGEST_MISMATCH);
	free(copy);
	free(sig.data);
}

static void
test_wrong_ca(void **state)
{
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	assert_int_equal(pki_verify(f, f->pki, &p, "rogue.p7s", &res), -EKEYREJECTED);
	assert_int_equal(res.reason, MUDSIG_R_UNTRUSTED_CHAIN);
	assert_non_null(strstr(res.msg, "unable to get local issuer certificate"));
	/* a good signature against a store that does not hold its CA */
	assert_int_equal(pki_verify(f, f->rogue, &p, "good.p7s", &res), -EKEYREJECTED);
	assert_int_equal(res.reason, MUDSIG_R_UNTRUSTED_CHAIN);
	/* time policies do not rescue an untrusted chain */
	p.expired_signer = MUDSIG_TIME_IGNORE;
	assert_int_equal(pki_verify(f, f->pki, &p, "rogue.p7s", &res), -EKEYREJECTED);
	p.expired_signer = MUDSIG_TIME_AT_SIGNING_TIME;
	assert_int_equal(pki_verify(f, f->pki, &p, "rogue.p7s", &res), -EKEYREJECTED);
}

static void
test_expired(void **state)
{
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	assert_int_equal(pki_verify(f, f->pki, &p, "expired-then-valid.p7s", &res), -EKEYEXPIRED);
	assert_int_equal(res.reason, MUDSIG_R_EXPIRED);
	assert_non_null(strstr(res.msg, "certificate has expired"));
	assert_non_null(strstr(res.msg, "valid 2020-01-01T00:00:00Z .. 2021-01-01T00:00:00Z"));

	/* signed 2020-06-01, inside the signer's validity */
	p.expired_signer = MUDSIG_TIME_AT_SIGNING_TIME;
	assert_int_equal(pki_verify(f, f->pki, &p, "expired-then-valid.p7s", &res), 0);
	assert_int_equal(res.reason, MUDSIG_R_OK);
	assert_true(res.warning);
	assert_int_equal(res.signing_time, T_2020_06_01);

	/* signed 2022-06-01, after the signer expired */
	assert_int_equal(pki_verify(f, f->pki, &p, "expired-after.p7s", &res), -EKEYEXPIRED);
	assert_int_equal(res.reason, MUDSIG_R_EXPIRED);
	assert_non_null(strstr(res.msg, "signingTime 2022-06-01T00:00:00Z lies outside"));

	/* a signingTime later than the verification time is refused */
	p.now = T_2022_01_01;
	assert_int_equal(pki_verify(f, f->pki, &p, "expired-after.p7s", &res), -EKEYREJECTED);
	assert_int_equal(res.reason, MUDSIG_R_BAD_SIGNING_TIME);

	p.expired_signer = MUDSIG_TIME_IGNORE;
	p.now = T_2025_06_01;
	assert_int_equal(pki_verify(f, f->pki, &p, "expired-after.p7s", &res), 0);
	assert_int_equal(res.reason, MUDSIG_R_OK);

	/* REJECT at a time the signer was valid */
	policy_at(&p, MUDSIG_TIME_REJECT, T_2020_06_01);
	assert_int_equal(pki_verify(f, f->pki, &p, "expired-then-valid.p7s", &res), 0);
}

static void
test_not_yet_valid(void **state)
{
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	assert_int_equal(pki_verify(f, f->pki, &p, "notyet.p7s", &res), -EKEYREJECTED);
	assert_int_equal(res.reason, MUDSIG_R_NOT_YET_VALID);
	/* AT_SIGNING_TIME only rescues expired chains */
	p.expired_signer = MUDSIG_TIME_AT_SIGNING_TIME;
	assert_int_equal(pki_verify(f, f->pki, &p, "notyet.p7s", &res), -EKEYREJECTED);
	assert_int_equal(res.reason, MUDSIG_R_NOT_YET_VALID);
}

static void
test_authority(void **state)
{
	static const struct mudsig_authority map[] = {
		{"mud.example.com", OTHER_SUBJECT},
	};
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	/* without the check any trusted signer is accepted */
	assert_int_equal(pki_verify(f, f->pki, &p, "other.p7s", &res), 0);

	p.check_authority = true;
	assert_int_equal(pki_verify(f, f->pki, &p, "other.p7s", &res), -EACCES);
	assert_int_equal(res.reason, MUDSIG_R_SIGNER_NOT_AUTHORISED);
	assert_string_equal(res.msg, "signer '" OTHER_SUBJECT "' (DNS:mud.other.example) may not "
				     "sign for host 'mud.example.com'");

	/* the operator maps the host to that signer */
	p.authorities = map;
	p.n_authorities = 1;
	assert_int_equal(pki_verify(f, f->pki, &p, "other.p7s", &res), 0);

	/* a certificate without SAN is matched on its CN */
	p.n_authorities = 0;
	assert_int_equal(pki_verify(f, f->pki, &p, "cn-only.p7s", &res), 0);
	{
		struct blob sig = load("pki/cn-only.p7s");

		assert_int_equal(mudsig_verify(f->pki, &p, "https://MUD.Example.COM:443/x.json",
					       f->mud.data, f->mud.size, sig.data, sig.size, &res),
				 0);
		assert_int_equal(mudsig_verify(f->pki, &p, "https://mud.example.org/x.json",
					       f->mud.data, f->mud.size, sig.data, sig.size, &res),
				 -EACCES);
		assert_int_equal(mudsig_verify(f->pki, &p, "http://mud.example.com/x.json",
					       f->mud.data, f->mud.size, sig.data, sig.size, &res),
				 -EINVAL);
		assert_int_equal(res.reason, MUDSIG_R_BAD_URL);
		assert_int_equal(mudsig_verify(f->pki, &p, "https://user@mud.example.com/x",
					       f->mud.data, f->mud.size, sig.data, sig.size, &res),
				 -EINVAL);
		free(sig.data);
	}
}

static void
test_malformed(void **state)
{
	static const uint8_t junk[] = {0x30, 0x82, 0x10, 0x00, 0x06, 0x09};
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;
	struct blob sig = load("pki/good.p7s");
	uint8_t *longer = malloc(sig.size + 1);

	policy_at(&p, MUDSIG_TIME_REJECT, T_2025_06_01);
	assert_int_equal(pki_verify(f, f->pki, &p, "nocerts.p7s", &res), -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_NO_SIGNER);
	assert_int_equal(pki_verify(f, f->pki, &p, "attached.p7s", &res), -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_NOT_DETACHED);
	assert_int_equal(pki_verify(f, f->pki, &p, "sha1.p7s", &res), -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_WEAK_DIGEST);
	assert_string_equal(res.msg, "signature by '" SIGNER_SUBJECT "': digest algorithm SHA1 is "
				     "not accepted");

	assert_int_equal(mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, junk,
				       sizeof(junk), &res),
			 -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_BAD_DER);
	/* the MUD file itself is not a signature */
	assert_int_equal(mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, f->mud.data,
				       f->mud.size, &res),
			 -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_BAD_DER);
	memcpy(longer, sig.data, sig.size);
	longer[sig.size] = 0;
	assert_int_equal(mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, longer,
				       sig.size + 1, &res),
			 -EBADMSG);
	assert_int_equal(res.reason, MUDSIG_R_BAD_DER);
	assert_non_null(strstr(res.msg, "1 bytes of trailing data"));
	/* every truncation of a good signature is refused, none crashes */
	for (size_t n = 1; n < sig.size; n++) {
		uint8_t *cut = malloc(n);

		memcpy(cut, sig.data, n);
		assert_true(mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, cut, n,
					  &res) < 0);
		free(cut);
	}
	free(longer);
	free(sig.data);
}

static void
test_unsigned(void **state)
{
	struct fixture *f = *state;
	struct mudsig_result res;
	struct mudsig_policy p;

	mudsig_policy_init(&p);
	assert_int_equal(
		mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, NULL, 0, &res),
		-ENOKEY);
	assert_int_equal(res.reason, MUDSIG_R_UNSIGNED);
	p.allow_unsigned_with_warning = true;
	assert_int_equal(
		mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, NULL, 0, &res), 0);
	assert_int_equal(res.reason, MUDSIG_R_UNSIGNED);
	assert_true(res.warning);
	mudsig_policy_init(&p);
	p.require_signature = false;
	assert_int_equal(
		mudsig_verify(f->pki, &p, MUD_URL, f->mud.data, f->mud.size, NULL, 0, &res), 0);
	assert_false(res.warning);
	/* a present but bad signature is refused even when signatures are optional */
	assert_int_equal(pki_verify(f, f->pki, &p, "rogue.p7s", &res), -EKEYREJECTED);
}

static void
test_store_errors(void **state)
{
	char *json = path_of("pki/thermostat.json");
	char *two = path_of("pki/ca.pem");
	const char *missing[1] = {"/nonexistent/ca.pem"};
	const char *nocert[1] = {json};
	const char *both[2] = {two, two};
	struct mudsig_store *s;
	char *msg = NULL;

	s = mudsig_store_create(missing, 1, &msg);
	assert_null(s);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(msg, "/nonexistent/ca.pem: cannot open: No such file or directory");
	free(msg);
	s = mudsig_store_create(nocert, 1, &msg);
	assert_null(s);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(msg, "no PEM certificate"));
	free(msg);
	s = mudsig_store_create(both, 2, &msg);
	assert_non_null(s);
	assert_int_equal(mudsig_store_n_anchors(s), 2);
	mudsig_store_destroy(s);
	mudsig_store_destroy(NULL);
	free(json);
	free(two);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),         cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corpus_authority), cmocka_unit_test(test_good),
		cmocka_unit_test(test_tampered),         cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_expired),          cmocka_unit_test(test_not_yet_valid),
		cmocka_unit_test(test_authority),        cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unsigned),         cmocka_unit_test(test_store_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
