/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsp: parser for the DNS answers a device receives (punted by the fast path), used to learn
 * the addresses behind the names its MUD file allows (dnsname ACEs).
 *
 * Input is one DNS message (the UDP payload; see disc_udp_locate() to find it in a frame). The
 * parser checks the header and question, walks every answer RR with bounds, and follows the
 * CNAME chain that starts at the question name, so the caller gets, for the name the device
 * asked for, every A/AAAA address the answer gives for it (directly or through CNAMEs) with an
 * effective TTL: the smallest TTL along the chain and of the address record itself.
 * Records not on the chain (unrelated owners, other classes, other types) are counted and
 * ignored. Authority and additional sections are not read.
 *
 * Bounds: names at most 255 bytes in wire form, labels at most 63, compression pointers must
 * point strictly backwards (earlier than the label they replace, which also rules out loops),
 * at most 127 pointers followed per name, at most DNSP_MAX_ANSWERS answers, at most
 * DNSP_MAX_CNAME_HOPS CNAMEs in a chain, at most DNSP_MAX_ADDRS addresses kept.
 *
 * dnsp_parse() returns 0 or a negative errno with *err naming what, where (byte offset in the
 * DNS message) and why. It keeps no state and never allocates; callers may use it from any
 * thread on their own structures.
 */
#ifndef MG_DNSP_H
#define MG_DNSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSP_REASONS(X)                                                         \
	X(OK, 0, "accepted")                                                    \
	X(TRUNCATED, EBADMSG, "message truncated")                              \
	X(NOT_RESPONSE, EBADMSG, "not a standard query response")               \
	X(QDCOUNT, EBADMSG, "question count is not 1")                          \
	X(TOO_MANY_ANSWERS, EBADMSG, "too many answers")                        \
	X(LABEL_TYPE, EBADMSG, "reserved label type")                           \
	X(NAME_TOO_LONG, EBADMSG, "name longer than 255 bytes")                 \
	X(PTR_FORWARD, EBADMSG, "compression pointer does not point backwards") \
	X(PTR_DEPTH, EBADMSG, "too many compression pointers")                  \
	X(RR_TRUNCATED, EBADMSG, "resource record runs past end of message")    \
	X(RDATA_LEN, EBADMSG, "rdata length invalid for its type")              \
	X(CNAME_LOOP, ELOOP, "CNAME chain too long or looping")                 \
	X(CNAME_AMBIGUOUS, EBADMSG, "two CNAMEs for one name")                  \
	X(TOO_MANY_ADDRS, E2BIG, "too many addresses")

/* clang-format off */
enum dnsp_reason {
#define DNSP_X_ENUM(name, err, text) DNSP_R_##name,
	DNSP_REASONS(DNSP_X_ENUM)
#undef DNSP_X_ENUM
	DNSP_R_MAX
};
/* clang-format on */

const char *dnsp_reason_str(enum dnsp_reason r);
const char *dnsp_reason_name(enum dnsp_reason r);

struct dnsp_error {
	enum dnsp_reason reason;
	size_t offset; /* byte offset in the DNS message */
	char msg[192];
};

struct dnsp_counters {
	uint64_t n[DNSP_R_MAX];
};

#define DNSP_MAX_ANSWERS    512
#define DNSP_MAX_ADDRS      512
#define DNSP_MAX_CNAME_HOPS 16
/* Presentation form: lowercase, no trailing dot, "\DDD" for bytes outside [a-z0-9-_], "\." for
 * a dot inside a label; "." is the root. 255 wire bytes escape to at most 4 * 254 + 1. */
#define DNSP_NAME_TEXT_SIZE 1024

struct dnsp_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl; /* effective: min over the chain and the record */
};

struct dnsp_result {
	uint16_t id;
	uint8_t rcode;
	bool truncated; /* TC bit: the answer may be incomplete */
	uint16_t qtype;
	uint16_t qclass;
	char qname[DNSP_NAME_TEXT_SIZE];     /* the name the device asked for */
	char canonical[DNSP_NAME_TEXT_SIZE]; /* end of the CNAME chain (== qname without one) */
	size_t n_cnames;                     /* CNAME hops followed */
	uint32_t chain_ttl;                  /* min TTL of those CNAMEs, UINT32_MAX if none */
	size_t n_answers;                    /* ANCOUNT */
	size_t n_ignored;                    /* answers not on the chain or not A/AAAA/CNAME IN */
	size_t n_addrs;
	struct dnsp_addr addrs[DNSP_MAX_ADDRS];
};

/*
 * Parse the DNS response msg[0, size). Requires QR=1, opcode 0 (QUERY), QDCOUNT 1 and
 * ANCOUNT <= DNSP_MAX_ANSWERS. A response with a non-zero RCODE parses (n_addrs 0).
 * TTLs with the top bit set are treated as 0 (RFC 2181 §8). cnt may be NULL.
 *
 * Returns 0, -EBADMSG (malformed), -ELOOP (CNAME chain), -E2BIG (too many addresses).
 */
int dnsp_parse(const void *msg, size_t size, struct dnsp_result *out, struct dnsp_error *err,
	       struct dnsp_counters *cnt);

#endif
