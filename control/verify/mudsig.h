/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudsig: MUD file signature verification (RFC 8520 §13).
 *
 * A MUD file is signed with a detached CMS SignedData (DER) over the exact bytes of the file.
 * mudsig_verify() checks, in this order, and stops at the first failure:
 *   1. the signature is DER CMS SignedData, detached, with exactly one SignerInfo (bad-der,
 *      not-detached, too-many-signers);
 *   2. the signer certificate is in the CMS (no-signer); the digest is not MD5 or SHA-1
 *      (weak-digest);
 *   3. the signature and message digest match the MUD bytes (digest-mismatch);
 *   4. the signer chains to a trust anchor of the store at the time the policy says
 *      (untrusted-chain, expired, not-yet-valid; under AT_SIGNING_TIME an expired chain is
 *      checked again at the signed signingTime, refused if that is later than now:
 *      bad-signing-time);
 *   5. optionally, the signer may speak for the MUD URL's host (signer-not-authorised).
 * No extended key usage is required of the signer (RFC 8520 sets none).
 *
 * Threads: a store is immutable after mudsig_store_create() and may be shared by threads that
 * call mudsig_verify() concurrently; policies and results belong to the caller.
 */
#ifndef MG_MUDSIG_H
#define MG_MUDSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* X(name, errno, id used in logs and NETCONF, text) */
#define MUDSIG_REASONS(X)                                                                         \
	X(OK, 0, "ok", "signature verified")                                                      \
	X(UNSIGNED, ENOKEY, "unsigned", "no signature")                                           \
	X(BAD_DER, EBADMSG, "bad-der", "signature is not a DER CMS SignedData")                   \
	X(NOT_DETACHED, EBADMSG, "not-detached", "signature embeds its content")                  \
	X(TOO_MANY_SIGNERS, EBADMSG, "too-many-signers", "more than one signer")                  \
	X(NO_SIGNER, EBADMSG, "no-signer", "signer certificate missing")                          \
	X(WEAK_DIGEST, EBADMSG, "weak-digest", "digest algorithm is MD5 or SHA-1")                \
	X(DIGEST_MISMATCH, EBADMSG, "digest-mismatch", "content or signature does not match")     \
	X(UNTRUSTED_CHAIN, EKEYREJECTED, "untrusted-chain",                                       \
	  "signer does not chain to a trust anchor")                                              \
	X(EXPIRED, EKEYEXPIRED, "expired", "signer certificate chain expired")                    \
	X(NOT_YET_VALID, EKEYREJECTED, "not-yet-valid", "signer certificate chain not yet valid") \
	X(BAD_SIGNING_TIME, EKEYREJECTED, "bad-signing-time",                                     \
	  "signingTime after the verification time")                                              \
	X(SIGNER_NOT_AUTHORISED, EACCES, "signer-not-authorised",                                 \
	  "signer may not sign for this MUD URL")                                                 \
	X(BAD_URL, EINVAL, "bad-url", "MUD URL has no https host")                                \
	X(INTERNAL, ENOMEM, "internal", "internal error")

/* clang-format off */
enum mudsig_reason {
#define MUDSIG_X_ENUM(name, err, id, text) MUDSIG_R_##name,
	MUDSIG_REASONS(MUDSIG_X_ENUM)
#undef MUDSIG_X_ENUM
	MUDSIG_R_MAX
};
/* clang-format on */

/* "digest-mismatch"; never NULL. */
const char *mudsig_reason_id(enum mudsig_reason r);
/* "content or signature does not match"; never NULL. */
const char *mudsig_reason_str(enum mudsig_reason r);

enum mudsig_time_policy {
	MUDSIG_TIME_REJECT = 0,      /* the chain must be valid now (default) */
	MUDSIG_TIME_AT_SIGNING_TIME, /* else valid at the signed signingTime, which is not in
					the future */
	MUDSIG_TIME_IGNORE,          /* validity periods are not checked */
};

/* Operator-configured exception: signers with this subject may sign for this host. */
struct mudsig_authority {
	const char *host;           /* MUD URL host, compared case-insensitively */
	const char *signer_subject; /* RFC 2253 form, e.g. "CN=Vendor MUD signer,O=Vendor" */
};

struct mudsig_policy {
	bool require_signature;           /* default true */
	bool allow_unsigned_with_warning; /* accept unsigned files anyway, flagged; default false */
	enum mudsig_time_policy expired_signer;
	/*
	 * Authority authorisation: the signer's subjectAltName dNSNames (or, without any, its
	 * subject CN) must equal the MUD URL host, or the host has an entry in authorities whose
	 * signer_subject equals the signer's subject. Default false.
	 */
	bool check_authority;
	const struct mudsig_authority *authorities; /* borrowed */
	size_t n_authorities;
	time_t now; /* 0: the current time; otherwise the time to verify at (tests, replay) */
};

/* Fill *p with the defaults above. */
void mudsig_policy_init(struct mudsig_policy *p);

#define MUDSIG_MSG_SIZE 512

struct mudsig_result {
	enum mudsig_reason reason;
	bool warning; /* accepted but the operator must be told (unsigned, signing time) */
	char msg[MUDSIG_MSG_SIZE];
	char signer_subject[256]; /* RFC 2253, when a signer was found */
	bool has_signing_time;
	time_t signing_time;
};

struct mudsig_store;

/*
 * Build a trust-anchor store from PEM files (each holding one or more certificates). Returns
 * NULL with errno set (ENOENT, EBADMSG: no certificate or a bad PEM block, ENOMEM) and, if
 * errmsg is not NULL, a malloc'd message naming the file (caller frees).
 */
struct mudsig_store *mudsig_store_create(const char *const *pem_files, size_t n_files,
					 char **errmsg);
/* Accepts NULL. */
void mudsig_store_destroy(struct mudsig_store *store);
/* Number of trust anchors loaded. */
size_t mudsig_store_n_anchors(const struct mudsig_store *store);

/*
 * Verify the signature sig[0, sig_size) over mud[0, mud_size) for the MUD file fetched from
 * mud_url (used only when policy->check_authority). sig NULL or sig_size 0 means unsigned:
 * accepted (reason UNSIGNED) if !require_signature, accepted with warning if
 * allow_unsigned_with_warning, refused otherwise. A signature that is present is always
 * checked, whatever require_signature says.
 *
 * Returns 0 when the file may be used (res->reason OK or UNSIGNED), otherwise the negative errno
 * of res->reason (-EBADMSG, -EKEYREJECTED, -EKEYEXPIRED, -EACCES, -ENOKEY, -EINVAL, -ENOMEM).
 * res->msg always says what happened, including OpenSSL's own words where it has them.
 */
int mudsig_verify(const struct mudsig_store *store, const struct mudsig_policy *policy,
		  const char *mud_url, const uint8_t *mud, size_t mud_size, const uint8_t *sig,
		  size_t sig_size, struct mudsig_result *res);

#endif
