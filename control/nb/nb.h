/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nb: the NETCONF server of mudgated (RFC 6241 over SSH, RFC 6242), built on libnetconf2, on
 * the daemon's libevent loop. docs/netconf.md is the operator's view.
 *
 * Datastores are libyang trees of the module 'mudgate' (container mudgate):
 *   startup    the daemon's startup file (JSON, RFC 7951); copy-config to startup rewrites it;
 *   running    what the daemon runs; at start the startup file, saved to
 *              STATE/netconf/running.json after every change;
 *   candidate  a scratch copy of running, saved to STATE/netconf/candidate.json, committed
 *              with <commit>, reset with <discard-changes>.
 * Every change of running (edit-config on running, commit, copy-config to running) goes
 * through the daemon's one transaction path: nb validates the new tree with libyang, then
 * ops->prepare (everything that can fail; nothing is in use yet), then ops->apply (cannot
 * fail). A failure anywhere returns an <rpc-error> with the path and the reason and leaves
 * running as it was.
 *
 * Operations: get, get-config (subtree and XPath filters, with-defaults), edit-config (merge,
 * replace, create, delete, remove, none; test-option, error-option), copy-config, delete-config
 * (startup), validate, commit, discard-changes, lock, unlock, close-session, kill-session,
 * get-schema, create-subscription (RFC 5277, stream NETCONF) and the RPCs of mudgate.yang
 * (handed to ops->rpc).
 *
 * Threads: everything runs on the loop thread that owns base. libnetconf2 keeps global state:
 * one nb per process.
 *
 * Limits: the SSH handshake and authentication of a new client run in the loop callback of
 * the listening socket and are bounded by NB_AUTH_TIMEOUT seconds; hello by
 * NB_HELLO_TIMEOUT. At most NB_MAX_SESSIONS sessions.
 */
#ifndef NB_H
#define NB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct ly_ctx;
struct lyd_node;
struct nb;

#define NB_AUTH_TIMEOUT  10
#define NB_HELLO_TIMEOUT 10
#define NB_MAX_SESSIONS  16
#define NB_MAX_ERRORS    64 /* rpc-errors in one reply */

/* One finding of a transaction: the schema or data path it is about, and why. */
struct nb_error {
	char *path; /* e.g. /mudgate:mudgate/daemon/fetch/ca-file; NULL for the whole tree */
	char *msg;
};

struct nb_errors {
	struct nb_error v[NB_MAX_ERRORS];
	size_t n;
};

/* Add an error (path may be NULL; msg is printf-formatted). Silently drops beyond the cap. */
void nb_error_add(struct nb_errors *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Callbacks into the daemon. All run on the loop thread. */
struct nb_ops {
	/*
	 * Prepare a configuration: config is the whole datastore (siblings, possibly NULL for an
	 * empty configuration), already valid for libyang. Do everything that can fail and
	 * return 0 with *txn set to what apply needs, or a negative errno with at least one
	 * error in err. Nothing in use may change.
	 */
	int (*prepare)(const struct lyd_node *config, void **txn, struct nb_errors *err, void *arg);
	/* Install a prepared configuration. Cannot fail. */
	void (*apply)(void *txn, void *arg);
	/* Free a prepared configuration that will not be applied (validate, test-only). */
	void (*abort)(void *txn, void *arg);
	/*
	 * Operational state: add the nodes of mudgate:mudgate-state to *tree (a sibling list,
	 * created in ctx; *tree may be NULL on entry). Returns 0 or a negative errno.
	 */
	int (*get_state)(struct ly_ctx *ctx, struct lyd_node **tree, void *arg);
	/*
	 * An RPC of mudgate.yang: input is the RPC node (its name is LYD_NAME(input)). Returns 0
	 * (reply <ok/>), or a negative errno with a reason in err: -ENOENT (no such device,
	 * error-tag data-missing), -EINVAL (invalid-value), other (operation-failed).
	 */
	int (*rpc)(const struct lyd_node *input, struct nb_errors *err, void *arg);
	/*
	 * Optional. Called when a session has input, before its requests are served: return 0 to
	 * serve them now, or 1 when the state get_state reads is being refreshed (without waiting
	 * on the loop); then nb serves no session until done(done_arg) is called, once, on the
	 * loop. The callee bounds that wait.
	 */
	int (*refresh)(void (*done)(void *done_arg), void *done_arg, void *arg);
	void *arg;
};

struct nb_opts {
	const char *address;         /* listening address, e.g. "127.0.0.1" or "::" */
	uint16_t port;               /* 830 by default */
	const char *state_dir;       /* STATE: host key and datastores under STATE/netconf */
	const char *startup_path;    /* the startup datastore (the daemon's startup file) */
	const char *user;            /* the one NETCONF user */
	const char *password_hash;   /* crypt(3) hash of its password, NULL: no password auth */
	const char *authorized_keys; /* OpenSSH authorized_keys file, NULL: no public-key auth */
};

/*
 * Start the server: load the NETCONF modules into ctx (ietf-netconf with the features
 * writable-running, candidate, rollback-on-error, validate, startup, xpath;
 * ietf-netconf-with-defaults, ietf-netconf-monitoring, ietf-netconf-notifications,
 * notifications, nc-notifications), read the startup file into running, create the host key
 * STATE/netconf/ssh_host_ed25519_key on first start, listen, and register the listening socket
 * and every session on base.
 *
 * Call it before any data tree of ctx exists (loading modules may recompile the context).
 * Returns NULL with errno set and a reason in *errmsg (malloc'd).
 */
struct nb *nb_init(struct event_base *base, struct ly_ctx *ctx, const struct nb_opts *o,
		   const struct nb_ops *ops, char **errmsg);

/* Close every session and stop listening. Accepts NULL. */
void nb_destroy(struct nb *nb);

/*
 * Send a notification of mudgate.yang to every subscribed session whose filter selects it.
 * notif is the notification node (lyd_new_path(NULL, ctx, "/mudgate:device-state-changed"
 * ...)); it is borrowed. Returns the number of sessions it was sent to, or a negative errno.
 */
int nb_notify(struct nb *nb, const struct lyd_node *notif);

/*
 * The daemon applied its startup file again outside NETCONF (SIGHUP): read it into running
 * (and into the candidate when it has no uncommitted changes). Returns 0 or a negative errno
 * with a reason in *errmsg (malloc'd); running is then unchanged.
 */
int nb_running_reload(struct nb *nb, char **errmsg);

/* The running datastore (borrowed, valid until the next change). */
const struct lyd_node *nb_running(const struct nb *nb);

#endif /* NB_H */
