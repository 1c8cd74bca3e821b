/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MUD signature verification with OpenSSL CMS. See mudsig.h for the contract. OpenSSL error
 * codes are turned into a mudsig_reason and a message here and nowhere else.
 */
#include "mudsig.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct mudsig_store {
	X509_STORE *store;
	size_t n_anchors;
};

static const char *const reason_id[MUDSIG_R_MAX] = {
#define MUDSIG_X_ID(name, err, id, text) [MUDSIG_R_##name] = id,
	MUDSIG_REASONS(MUDSIG_X_ID)
#undef MUDSIG_X_ID
};

static const char *const reason_text[MUDSIG_R_MAX] = {
#define MUDSIG_X_TEXT(name, err, id, text) [MUDSIG_R_##name] = text,
	MUDSIG_REASONS(MUDSIG_X_TEXT)
#undef MUDSIG_X_TEXT
};

static const int reason_errno[MUDSIG_R_MAX] = {
#define MUDSIG_X_ERRNO(name, err, id, text) [MUDSIG_R_##name] = err,
	MUDSIG_REASONS(MUDSIG_X_ERRNO)
#undef MUDSIG_X_ERRNO
};

const char *
mudsig_reason_id(enum mudsig_reason r)
{
	if ((unsigned)r >= MUDSIG_R_MAX)
		return "unknown";
	return reason_id[r];
}

const char *
mudsig_reason_str(enum mudsig_reason r)
{
	if ((unsigned)r >= MUDSIG_R_MAX)
		return "unknown reason";
	return reason_text[r];
}

void
mudsig_policy_init(struct mudsig_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->require_signature = true;
	p->allow_unsigned_with_warning = false;
	p->expired_signer = MUDSIG_TIME_REJECT;
}

/* Append OpenSSL's queued errors ("; reason; reason") to buf, and clear the queue. */
static void
ossl_errors(char *buf, size_t size)
{
	unsigned long e;
	size_t len = strlen(buf);

	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		int w;

		if (len + 1 >= size)
			continue;
		w = snprintf(buf + len, size - len, "; %s", r != NULL ? r : "unknown error");
		if (w > 0)
			len += (size_t)w < size - len ? (size_t)w : size - len - 1;
	}
}

__attribute__((format(printf, 3, 4))) static int
result(struct mudsig_result *res, enum mudsig_reason r, const char *fmt, ...)
{
	va_list ap;

	res->reason = r;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	return -reason_errno[r];
}

static void
fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "(time %lld)", (long long)t);
}

static void
name_rfc2253(const X509_NAME *name, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(b, buf, (int)size - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

/* ---- trust store ---- */

static int
store_load_file(struct mudsig_store *s, const char *path, char **errmsg)
{
	BIO *bio;
	X509 *x;
	size_t n = 0;
	unsigned long e;
	int rc = 0;

	ERR_clear_error();
	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		rc = errno != 0 ? -errno : -ENOENT;
		if (errmsg != NULL &&
		    asprintf(errmsg, "%s: cannot open: %s", path, strerror(-rc)) < 0)
			*errmsg = NULL;
		ERR_clear_error();
		return rc;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(s->store, x) != 1) {
			X509_free(x);
			rc = -ENOMEM;
			goto out_free_bio;
		}
		X509_free(x);
		n++;
	}
	e = ERR_peek_last_error();
	if (n == 0 || (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
				   ERR_GET_REASON(e) == PEM_R_NO_START_LINE))) {
		rc = -EBADMSG;
		if (errmsg != NULL &&
		    asprintf(errmsg, "%s: %s (after %zu certificates)", path,
			     n == 0 && e != 0 && ERR_GET_REASON(e) == PEM_R_NO_START_LINE
				     ? "no PEM certificate"
				     : "malformed PEM certificate",
			     n) < 0)
			*errmsg = NULL;
		goto out_free_bio;
	}
	s->n_anchors += n;
out_free_bio:
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

struct mudsig_store *
mudsig_store_create(const char *const *pem_files, size_t n_files, char **errmsg)
{
	struct mudsig_store *s;
	int rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->store = X509_STORE_new();
	if (s->store == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < n_files; i++) {
		rc = store_load_file(s, pem_files[i], errmsg);
		if (rc < 0)
			goto out_free;
	}
	return s;
out_free:
	mudsig_store_destroy(s);
	errno = -rc;
	return NULL;
}

void
mudsig_store_destroy(struct mudsig_store *s)
{
	if (s == NULL)
		return;
	X509_STORE_free(s->store);
	free(s);
}

size_t
mudsig_store_n_anchors(const struct mudsig_store *s)
{
	return s != NULL ? s->n_anchors : 0;
}

/* ---- helpers for verification ---- */

static bool
signing_time(CMS_SignerInfo *si, time_t *out)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	struct tm tm;

	if (idx < 0)
		return false;
	attr = CMS_signed_get_attr(si, idx);
	if (attr == NULL || X509_ATTRIBUTE_count(attr) != 1)
		return false;
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	if (t == NULL || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return false;
	if (ASN1_TIME_to_tm(t->value.utctime, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return true;
}

/*
 * Extract the lowercased host of an https URL into host[size]: "https://" then up to the first
 * '/', '?', '#' or ':' (port); userinfo and empty hosts are refused.
 */
static bool
url_host(const char *url, char *host, size_t size)
{
	size_t i, n;

	if (url == NULL || strncasecmp(url, "https://", 8) != 0)
		return false;
	url += 8;
	if (url[0] == '[') { /* IPv6 literal: keep the brackets */
		const char *end = strchr(url, ']');

		if (end == NULL)
			return false;
		n = (size_t)(end - url) + 1;
	} else {
		n = strcspn(url, "/?#:");
	}
	if (n == 0 || n >= size || memchr(url, '@', n) != NULL)
		return false;
	for (i = 0; i < n; i++)
		host[i] = (char)((url[i] >= 'A' && url[i] <= 'Z') ? url[i] - 'A' + 'a' : url[i]);
	host[n] = '\0';
	return true;
}

static bool
str_eq_host(const unsigned char *s, int len, const char *host)
{
	return len > 0 && (size_t)len == strlen(host) && memchr(s, '\0', (size_t)len) == NULL &&
	       strncasecmp((const char *)s, host, (size_t)len) == 0;
}

/* Does the signer's SAN dNSName (or, without one, its CN) equal host? names lists them. */
static bool
signer_names_host(X509 *signer, const char *host, char *names, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(signer, NID_subject_alt_name, NULL, NULL);
	bool any_dns = false, match = false;
	size_t len = 0;

	names[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int dl;

		if (g->type != GEN_DNS)
			continue;
		any_dns = true;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		dl = ASN1_STRING_length(g->d.dNSName);
		if (str_eq_host(d, dl, host))
			match = true;
		if (len < size)
			len += (size_t)snprintf(names + len, size - len, "%sDNS:%.*s",
						len ? ", " : "", dl, (const char *)d);
	}
	GENERAL_NAMES_free(gens);
	if (!any_dns) {
		const X509_NAME *subj = X509_get_subject_name(signer);
		int idx = -1;

		while ((idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0) {
			ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
			const unsigned char *d = ASN1_STRING_get0_data(cn);
			int dl = ASN1_STRING_length(cn);

			if (str_eq_host(d, dl, host))
				match = true;
			if (len < size)
				len += (size_t)snprintf(names + len, size - len, "%sCN:%.*s",
							len ? ", " : "", dl, (const char *)d);
		}
	}
	return match;
}

/* Run chain verification; on failure describe the failing certificate into why[size]. */
static int
chain_verify(X509_STORE *store, X509 *signer, STACK_OF(X509) * certs, int flags, time_t at,
	     int *verr, char *why, size_t size)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int rc = -ENOMEM;

	why[0] = '\0';
	*verr = X509_V_OK;
	if (ctx == NULL)
		return rc;
	if (X509_STORE_CTX_init(ctx, store, signer, certs) != 1)
		goto out_free_ctx;
	vp = X509_STORE_CTX_get0_param(ctx);
	/* X509_V_FLAG_USE_CHECK_TIME (set by set_time) would override NO_CHECK_TIME */
	if (flags != 0)
		X509_VERIFY_PARAM_set_flags(vp, (unsigned long)flags);
	else if (at != 0)
		X509_VERIFY_PARAM_set_time(vp, at);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
	} else {
		X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
		char subj[256] = "";
		char nb[32] = "?", na[32] = "?";

		*verr = X509_STORE_CTX_get_error(ctx);
		if (cur != NULL) {
			struct tm tm;

			name_rfc2253(X509_get_subject_name(cur), subj, sizeof(subj));
			if (ASN1_TIME_to_tm(X509_get0_notBefore(cur), &tm) == 1)
				fmt_time(timegm(&tm), nb, sizeof(nb));
			if (ASN1_TIME_to_tm(X509_get0_notAfter(cur), &tm) == 1)
				fmt_time(timegm(&tm), na, sizeof(na));
		}
		snprintf(why, size, "%s: certificate '%s' at depth %d (valid %s .. %s)",
			 X509_verify_cert_error_string(*verr), subj,
			 X509_STORE_CTX_get_error_depth(ctx), nb, na);
		rc = -EKEYREJECTED;
	}
out_free_ctx:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static int
verify_signed(const struct mudsig_store *store, const struct mudsig_policy *pol,
	      const char *mud_url, const uint8_t *mud, size_t mud_size, const uint8_t *sig,
	      size_t sig_size, struct mudsig_result *res)
{
	static const uint8_t empty[1];
	CMS_ContentInfo *cms;
	STACK_OF(CMS_SignerInfo) * sis;
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING **content;
	const unsigned char *p = sig;
	BIO *data = NULL;
	X509 *signer = NULL;
	char why[384], tbuf[32], now_buf[32];
	time_t now = pol->now != 0 ? pol->now : time(NULL);
	int rc, verr;

	if (sig_size > LONG_MAX || mud_size > INT_MAX)
		return result(res, MUDSIG_R_BAD_DER, "signature or MUD file too large");
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_size);
	if (cms == NULL) {
		rc = result(res, MUDSIG_R_BAD_DER, "signature (%zu bytes): not a DER CMS structure",
			    sig_size);
		ossl_errors(res->msg, sizeof(res->msg));
		return rc;
	}
	if ((size_t)(p - sig) != sig_size) {
		rc = result(res, MUDSIG_R_BAD_DER,
			    "signature: %zu bytes of trailing data after the CMS structure at "
			    "offset %zu",
			    sig_size - (size_t)(p - sig), (size_t)(p - sig));
		goto out_free_cms;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rc = result(res, MUDSIG_R_BAD_DER,
			    "signature: content type %s, expected signedData",
			    OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms))));
		goto out_free_cms;
	}
	content = CMS_get0_content(cms);
	if (content != NULL && *content != NULL) {
		rc = result(res, MUDSIG_R_NOT_DETACHED,
			    "signature: embeds %d bytes of content; RFC 8520 §13.2 requires a "
			    "detached signature",
			    ASN1_STRING_length(*content));
		goto out_free_cms;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) == 0) {
		rc = result(res, MUDSIG_R_NO_SIGNER, "signature: no SignerInfo");
		goto out_free_cms;
	}
	if (sk_CMS_SignerInfo_num(sis) > 1) {
		rc = result(res, MUDSIG_R_TOO_MANY_SIGNERS, "signature: %d SignerInfos, expected 1",
			    sk_CMS_SignerInfo_num(sis));
		goto out_free_cms;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	certs = CMS_get1_certs(cms);
	CMS_set1_signers_certs(cms, NULL, 0);
	ERR_clear_error();
	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	if (signer == NULL) {
		rc = result(res, MUDSIG_R_NO_SIGNER,
			    "signature: the signer's certificate is not among the %d certificates "
			    "in the CMS",
			    certs != NULL ? sk_X509_num(certs) : 0);
		goto out_free_certs;
	}
	name_rfc2253(X509_get_subject_name(signer), res->signer_subject,
		     sizeof(res->signer_subject));
	{
		X509_ALGOR *dig = NULL;
		const ASN1_OBJECT *obj = NULL;
		int nid;

		CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
		if (dig != NULL)
			X509_ALGOR_get0(&obj, NULL, NULL, dig);
		nid = obj != NULL ? OBJ_obj2nid(obj) : NID_undef;
		if (nid == NID_md5 || nid == NID_sha1 || nid == NID_md4 || nid == NID_undef) {
			rc = result(res, MUDSIG_R_WEAK_DIGEST,
				    "signature by '%s': digest algorithm %s is not accepted",
				    res->signer_subject,
				    nid == NID_undef ? "(unknown)" : OBJ_nid2sn(nid));
			goto out_free_certs;
		}
	}
	res->has_signing_time = signing_time(si, &res->signing_time);

	data = BIO_new_mem_buf(mud != NULL ? mud : empty, (int)mud_size);
	if (data == NULL) {
		rc = result(res, MUDSIG_R_INTERNAL, "out of memory");
		goto out_free_certs;
	}
	if (CMS_verify(cms, NULL, NULL, data, NULL,
		       CMS_DETACHED | CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = result(res, MUDSIG_R_DIGEST_MISMATCH,
			    "signature by '%s' does not match the %zu bytes of the MUD file",
			    res->signer_subject, mud_size);
		ossl_errors(res->msg, sizeof(res->msg));
		goto out_free_data;
	}

	fmt_time(now, now_buf, sizeof(now_buf));
	rc = chain_verify(store->store, signer, certs,
			  pol->expired_signer == MUDSIG_TIME_IGNORE ? X509_V_FLAG_NO_CHECK_TIME : 0,
			  now, &verr, why, sizeof(why));
	if (rc == -ENOMEM) {
		rc = result(res, MUDSIG_R_INTERNAL, "out of memory");
		goto out_free_data;
	}
	if (rc < 0 && verr == X509_V_ERR_CERT_HAS_EXPIRED &&
	    pol->expired_signer == MUDSIG_TIME_AT_SIGNING_TIME) {
		char why_now[384];

		memcpy(why_now, why, sizeof(why_now));
		if (!res->has_signing_time) {
			rc = result(res, MUDSIG_R_EXPIRED,
				    "signer chain at %s: %s; no signingTime attribute to verify at",
				    now_buf, why_now);
			goto out_free_data;
		}
		fmt_time(res->signing_time, tbuf, sizeof(tbuf));
		if (res->signing_time > now) {
			rc = result(res, MUDSIG_R_BAD_SIGNING_TIME,
				    "signingTime %s is after the verification time %s", tbuf,
				    now_buf);
			goto out_free_data;
		}
		rc = chain_verify(store->store, signer, certs, 0, res->signing_time, &verr, why,
				  sizeof(why));
		if (rc == 0) {
			res->warning = true;
			snprintf(res->msg, sizeof(res->msg),
				 "signer chain expired (%s) but was valid at signingTime %s",
				 why_now, tbuf);
		} else if (verr == X509_V_ERR_CERT_HAS_EXPIRED ||
			   verr == X509_V_ERR_CERT_NOT_YET_VALID) {
			rc = result(res, MUDSIG_R_EXPIRED,
				    "signer chain expired, and signingTime %s lies outside its "
				    "validity: %s",
				    tbuf, why);
			goto out_free_data;
		}
	}
	if (rc < 0) {
		enum mudsig_reason r = verr == X509_V_ERR_CERT_HAS_EXPIRED ? MUDSIG_R_EXPIRED
				       : verr == X509_V_ERR_CERT_NOT_YET_VALID
					       ? MUDSIG_R_NOT_YET_VALID
					       : MUDSIG_R_UNTRUSTED_CHAIN;

		rc = result(res, r, "signer '%s' at %s: %s", res->signer_subject, now_buf, why);
		goto out_free_data;
	}

	if (pol->check_authority) {
		char host[256], names[256];
		bool ok;

		if (!url_host(mud_url, host, sizeof(host))) {
			rc = result(res, MUDSIG_R_BAD_URL, "MUD URL '%.200s' has no https host",
				    mud_url != NULL ? mud_url : "(none)");
			goto out_free_data;
		}
		ok = signer_names_host(signer, host, names, sizeof(names));
		for (size_t i = 0; !ok && i < pol->n_authorities; i++) {
			const struct mudsig_authority *a = &pol->authorities[i];

			ok = a->host != NULL && a->signer_subject != NULL &&
			     strcasecmp(a->host, host) == 0 &&
			     strcmp(a->signer_subject, res->signer_subject) == 0;
		}
		if (!ok) {
			rc = result(res, MUDSIG_R_SIGNER_NOT_AUTHORISED,
				    "signer '%s' (%s) may not sign for host '%s'",
				    res->signer_subject, names[0] ? names : "no names", host);
			goto out_free_data;
		}
	}
	if (res->reason == MUDSIG_R_OK && !res->warning)
		snprintf(res->msg, sizeof(res->msg), "signature by '%s' verified",
			 res->signer_subject);
	rc = 0;
out_free_data:
	BIO_free(data);
out_free_certs:
	sk_X509_pop_free(certs, X509_free);
out_free_cms:
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

int
mudsig_verify(const struct mudsig_store *store, const struct mudsig_policy *policy,
	      const char *mud_url, const uint8_t *mud, size_t mud_size, const uint8_t *sig,
	      size_t sig_size, struct mudsig_result *res)
{
	struct mudsig_policy defaults;

	memset(res, 0, sizeof(*res));
	if (policy == NULL) {
		mudsig_policy_init(&defaults);
		policy = &defaults;
	}
	if (sig == NULL || sig_size == 0) {
		if (!policy->require_signature) {
			res->reason = MUDSIG_R_UNSIGNED;
			snprintf(res->msg, sizeof(res->msg),
				 "unsigned MUD file accepted: signatures are not required");
			return 0;
		}
		if (policy->allow_unsigned_with_warning) {
			res->reason = MUDSIG_R_UNSIGNED;
			res->warning = true;
			snprintf(res->msg, sizeof(res->msg),
				 "unsigned MUD file accepted with a warning");
			return 0;
		}
		return result(res, MUDSIG_R_UNSIGNED,
			      "MUD file has no signature and signatures are required");
	}
	if (store == NULL)
		return result(res, MUDSIG_R_UNTRUSTED_CHAIN, "no trust anchors configured");
	ERR_clear_error();
	return verify_signed(store, policy, mud_url, mud, mud_size, sig, sig_size, res);
}
