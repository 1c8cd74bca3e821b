/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MUD files (RFC 8520): reading, lenient repair, YANG validation with libyang against
 * ietf-mud and ietf-access-control-list (RFC 8519), and the checks YANG cannot express.
 *
 * A MUD file goes through three stages:
 *   1. JSON (jansson): a size cap (mudf_opts.max_size, default MUDF_MAX_SIZE), duplicate
 *      members rejected, nesting capped at MUDF_MAX_DEPTH.
 *   2. Structure (our own walk of the JSON, which knows the JSON path of every node): the
 *      checks beyond YANG (https MUD URL, cache-validity 1..168, every ACL a policy names
 *      exists, no duplicate ACL, ACE or policy entry names), the handling of extension nodes
 *      (RFC 8520 section 3.9: nodes of modules we do not know inside ietf-mud:mud are ignored,
 *      with a warning, when the file declares extensions), and with MUDF_LENIENT the rewrites of
 *      the real-world deviations (pre-RFC 8519 container and node names, ethernet-acl-type,
 *      ...), each with a warning naming the path and the deviation. A match inside an ACE is
 *      never dropped, in either mode: dropping it would widen the rule.
 *   3. YANG (libyang, strict: unknown nodes are errors) of the repaired JSON.
 *
 * Every finding is a struct mudf_diag (path + message) collected in a struct mudf_diags;
 * printed as "FILE: PATH: message". Paths use the libyang form, e.g.
 * /ietf-access-control-list:acls/acl[name='x']/aces/ace[name='y']/matches/tcp/source-port.
 *
 * Thread safety: a struct mudf_ctx (one libyang context) may be used by one thread at a time.
 * A struct mudf_file is read-only after mudf_parse() and may be read concurrently.
 */
#ifndef MUDF_H
#define MUDF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ly_ctx;
struct lyd_node;

#define MUDF_MAX_SIZE  (1u << 20) /* default size cap of a MUD file */
#define MUDF_MAX_DEPTH 64         /* deepest JSON nesting accepted; real MUD files stay under 15 */

/* ---- diagnostics ----------------------------------------------------------------------- */

enum mudf_severity {
	MUDF_ERROR = 0,
	MUDF_WARNING = 1,
};

struct mudf_diag {
	enum mudf_severity severity;
	char *path; /* JSON path, "/" for the whole file */
	char *msg;  /* warnings start with "lenient: ", "ignored: " or "warning: " */
};

struct mudf_diags {
	char *file; /* name printed before each diagnostic */
	struct mudf_diag *v;
	size_t n;
	size_t cap;
	size_t n_errors;
	size_t n_warnings;
};

/* Start an empty list for file (copied; NULL prints "-"). Returns 0 or -ENOMEM. */
int mudf_diags_init(struct mudf_diags *d, const char *file);
/* Free all diagnostics and the file name. Accepts a zeroed struct. */
void mudf_diags_fini(struct mudf_diags *d);
/* Append a diagnostic; msg is printf-formatted. Returns 0 or -ENOMEM (the diagnostic is then
 * lost but n_errors still counts an error). */
int mudf_diag_add(struct mudf_diags *d, enum mudf_severity sev, const char *path, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
int mudf_diag_vadd(struct mudf_diags *d, enum mudf_severity sev, const char *path, const char *fmt,
		   va_list ap);
/* Print every diagnostic as "FILE: PATH: MSG\n"; with errors_only, only errors. */
void mudf_diags_print(const struct mudf_diags *d, FILE *f, bool errors_only);
/* Index of the first error, or -1. */
long mudf_diags_first_error(const struct mudf_diags *d);

/* ---- context --------------------------------------------------------------------------- */

struct mudf_ctx;

/*
 * Create a libyang context with ietf-mud, ietf-access-control-list (all features),
 * ietf-acldns, ietf-packet-fields and ietf-ethertypes loaded from yang_dir, or when NULL from
 * mudf_yang_dir(). Returns NULL with errno set (ENOENT: a module was not found); a reason is
 * written to errbuf when errbuf_size > 0.
 */
struct mudf_ctx *mudf_ctx_create(const char *yang_dir, char *errbuf, size_t errbuf_size);
void mudf_ctx_destroy(struct mudf_ctx *c);
/* The libyang context (borrowed). */
struct ly_ctx *mudf_ctx_get0_ly(struct mudf_ctx *c);
/* The YANG directory: $MUDGATE_YANG_DIR, else MG_YANG_INSTALL_DIR when it holds ietf-mud,
 * else MG_YANG_SOURCE_DIR. */
const char *mudf_yang_dir(void);

/*
 * libyang adapter, for the other users of the context (the site file): load module name
 * (latest revision) with all its features; parse JSON text strictly and validate the modules
 * present. Errors become diagnostics. Return 0 or a negative errno (-ENOENT, -EINVAL).
 */
int mudf_ly_load_module(struct mudf_ctx *c, const char *name, char *errbuf, size_t errbuf_size);
int mudf_ly_parse_json(struct mudf_ctx *c, const char *text, struct lyd_node **tree,
		       struct mudf_diags *d);

/* ---- MUD files ------------------------------------------------------------------------- */

#define MUDF_LENIENT (1u << 0) /* repair known real-world deviations, with warnings */

struct mudf_opts {
	unsigned flags;  /* MUDF_* */
	size_t max_size; /* 0: MUDF_MAX_SIZE */
};

/* A validated MUD file. Strings are owned; optional ones are NULL when absent. */
struct mudf_file {
	struct lyd_node *tree; /* the validated libyang tree (ietf-mud:mud and the ACLs) */
	char *mud_url;
	char *authority; /* host[:port] of the MUD URL, lower case */
	char *mud_signature;
	char *last_update;
	uint8_t cache_validity; /* hours, 1..168 (48 when absent) */
	bool is_supported;
	char *systeminfo;
	char *mfg_name;
	char *model_name;
	char *documentation;
	char **from_acls; /* from-device-policy ACL names, in order */
	size_t n_from;
	char **to_acls;
	size_t n_to;
};

/*
 * Parse and validate buf[0..size) (need not be NUL-terminated). On success *out is a new
 * file (mudf_file_destroy) and 0 is returned; warnings may have been added to d. On failure
 * returns -EINVAL (invalid: errors in d), -EFBIG (larger than the cap: error in d), -ENOMEM.
 */
int mudf_parse(struct mudf_ctx *c, const void *buf, size_t size, const struct mudf_opts *opts,
	       struct mudf_file **out, struct mudf_diags *d);
/* Read path (at most the size cap) and mudf_parse() it. I/O errors are diagnostics too and
 * return a negative errno (-ENOENT, -EISDIR, ...). */
int mudf_load(struct mudf_ctx *c, const char *path, const struct mudf_opts *opts,
	      struct mudf_file **out, struct mudf_diags *d);
void mudf_file_destroy(struct mudf_file *f);

/* The authority (host[:port], lower case) of an https URL into buf; -EINVAL when url is not
 * https://authority[/...] or the authority does not fit. */
int mudf_url_authority(const char *url, char *buf, size_t size);

#endif /* MUDF_H */
