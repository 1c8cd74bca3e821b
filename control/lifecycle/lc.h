/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lc: the device table of mudgated and the reasons behind every lifecycle state.
 *
 * One entry per MAC the control plane has heard of (punted DHCP/LLDP, static bindings, the
 * state directory after a restart): its MUD URL and where it came from, the addresses DHCP
 * snooping learnt, its lifecycle state (ARCHITECTURE.md "Device lifecycle"), the reason for
 * that state (LC_REASONS, the ids the log, devices.json and NETCONF show) and the policy it is
 * bound to. The table is a plain array searched linearly: an enforcement point serves hundreds,
 * not millions, of devices.
 *
 * Nothing here logs or does I/O except lc_write_json()/lc_read_json(). Single-threaded: the
 * event loop owns the table.
 */
#ifndef LC_H
#define LC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mg_image.h"

/* X(name, id, text). The id is stable: logs, devices.json, docs/control.md. */
#define LC_REASONS(X)                                                                   \
	X(NONE, "none", "no reason recorded")                                           \
	X(OK, "ok", "verified MUD file applied")                                        \
	X(NO_MUD_URL, "no-mud-url", "no MUD URL known")                                 \
	X(FETCHING, "fetching", "MUD file being fetched")                               \
	X(REFRESH_FAILED, "refresh-failed", "refresh failed, last good file in grace")  \
	X(FETCH_FAILED, "fetch-failed", "MUD file could not be fetched")                \
	X(TIMEOUT, "timeout", "MUD server did not answer in time")                      \
	X(TLS, "tls", "TLS connection or certificate verification failed")              \
	X(NOT_HTTPS, "not-https", "URL or redirect is not https")                       \
	X(HTTP_STATUS, "http-status", "MUD server answered with an error status")       \
	X(TOO_LARGE, "too-large", "MUD file or signature larger than the size cap")     \
	X(SIG_FETCH_FAILED, "signature-fetch-failed", "signature could not be fetched") \
	X(UNSIGNED, "unsigned", "MUD file has no signature")                            \
	X(SIGNATURE, "signature", "signature verification failed")                      \
	X(INVALID, "invalid", "MUD file is not valid")                                  \
	X(URL_MISMATCH, "url-mismatch", "MUD file names another MUD URL")               \
	X(COMPILE, "compile", "MUD file cannot be compiled exactly")                    \
	X(PUBLISH, "publish", "fast path refused the policy")                           \
	X(BAD_URL, "bad-url", "announced MUD URL is not a valid https URL")

/* clang-format off */
enum lc_reason {
#define LC_X_ENUM(name, id, text) LC_R_##name,
	LC_REASONS(LC_X_ENUM)
#undef LC_X_ENUM
	LC_R_MAX
};
/* clang-format on */

const char *lc_reason_id(enum lc_reason r);   /* "tls"; never NULL */
const char *lc_reason_text(enum lc_reason r); /* "TLS connection ..."; never NULL */
/* The reason of an id, or -EINVAL. */
int lc_reason_parse(const char *id);

enum lc_source {
	LC_SRC_NONE = 0,
	LC_SRC_STATIC = 1,
	LC_SRC_DHCP4 = 2,
	LC_SRC_DHCP6 = 3,
	LC_SRC_LLDP = 4,
};
const char *lc_source_str(enum lc_source s);
int lc_source_parse(const char *s);

#define LC_URL_MAX   255
#define LC_MSG_SIZE  320
#define LC_MAX_ADDRS 8 /* per family; the newest replace the oldest */

struct lc_device {
	uint8_t mac[6];
	uint8_t state;                /* enum mg_state */
	uint8_t reason;               /* enum lc_reason */
	uint8_t source;               /* enum lc_source of mud_url */
	char mud_url[LC_URL_MAX + 1]; /* "" when none */
	char policy[LC_URL_MAX + 1];  /* policy it should be bound to, "" for none */
	char msg[LC_MSG_SIZE];        /* the detail of reason */
	/* A MUD URL the device announced and discovery refused (not https, not printable, too
	 * long...), sanitised by disc, "" when none; refused_reason is NOT_HTTPS or BAD_URL. */
	char refused_url[LC_URL_MAX + 1];
	uint8_t refused_reason;
	/* What the device itself announced last (a static binding may have won), and its source;
	 * discovered: heard of from a punted frame, not only from the configuration. */
	char announced_url[LC_URL_MAX + 1];
	uint8_t announced_source;
	bool discovered;
	/* The fast path refused the device's binding (reason publish, message in msg). */
	bool bind_refused;
	size_t n_v4, n_v6;
	uint8_t v4[LC_MAX_ADDRS][4];
	uint8_t v6[LC_MAX_ADDRS][16];
	time_t since; /* wall clock of the last state change */
};

struct lc_table {
	struct lc_device *v;
	size_t n;
	size_t cap;
	uint64_t n_transitions[LC_R_MAX]; /* transitions into a failure state, per reason */
};

void lc_table_init(struct lc_table *t);
void lc_table_fini(struct lc_table *t);
/* NULL when absent. The pointer is valid until the next lc_get_or_add(). */
struct lc_device *lc_find(struct lc_table *t, const uint8_t mac[6]);
/* The device, added in state unknown / no-mud-url when absent (*added set). NULL: ENOMEM. */
struct lc_device *lc_get_or_add(struct lc_table *t, const uint8_t mac[6], bool *added);

/* Remove the device of mac (a forgotten static binding). Pointers into the table become
 * invalid. Returns true when it was there. */
bool lc_remove(struct lc_table *t, const uint8_t mac[6]);

/*
 * Move d to state with reason and msg (NULL: the reason's text). Returns true when state or
 * reason changed (the caller logs it once), false when nothing but msg changed.
 */
bool lc_set(struct lc_table *t, struct lc_device *d, enum mg_state state, enum lc_reason reason,
	    const char *msg);

/* Add an address learnt by DHCP (family MGI_FAMILY_IPV4 / IPV6, network order). Returns true
 * when it is new. */
bool lc_add_addr(struct lc_device *d, uint8_t family, const uint8_t *addr);

/*
 * devices.json: {"devices": [{"mac", "state", "reason", "message", "mud-url", "source",
 * "policy", "addresses": [...], "since"}]}, plus "refused-url" and "refused-reason" when the
 * device announced a URL that discovery refused, "announced-url" and "announced-source" when
 * it announced one itself, "discovered" when it was heard of on the network, written atomically
 * (temporary file + rename). Returns 0 or a negative errno.
 */
int lc_write_json(const struct lc_table *t, const char *path);
/*
 * Read what lc_write_json() wrote into an empty table. Entries that do not parse are skipped;
 * returns the number of devices read, -ENOENT when the file is absent, -EINVAL when it is not
 * such a document (reason in errbuf).
 */
int lc_read_json(struct lc_table *t, const char *path, char *errbuf, size_t errbuf_size);

#endif /* LC_H */
