/* SPDX-License-Identifier: BSD-3-Clause */
/* nb internals: the datastores and the edit engine (nb_ds.c), shared with nb.c. */
#ifndef NB_INT_H
#define NB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libyang/libyang.h>
#include <nc_server.h>

#include "nb/nb.h"

enum nb_ds {
	NB_DS_RUNNING = 0,
	NB_DS_CANDIDATE = 1,
	NB_DS_STARTUP = 2,
	NB_DS_COUNT = 3,
};

struct nb_sess {
	struct nc_session *s;
	int fd;
	struct event *ev;
	bool subscribed;
	struct lyd_node *notif_filter; /* the <filter> of create-subscription (dup), NULL: all */
	char *notif_xpath;             /* or its select, NULL: all */
};

struct nb {
	struct event_base *base;
	struct ly_ctx *ctx;
	const struct lys_module *mod; /* mudgate */
	struct nb_ops ops;
	char *address, *state_dir, *nc_dir, *startup_path, *user, *password_hash;
	ssh_key *keys;
	size_t n_keys;
	uint16_t port;
	struct nc_pollsession *ps;
	int listen_fd;
	struct event *listen_ev;
	struct event *poll_ev; /* safety net: data buffered in libssh without fd activity */
	/* ops.refresh in progress (waiting): no session is served until resume_ev */
	struct event *resume_ev;
	bool waiting;
	struct nb_sess sess[NB_MAX_SESSIONS];
	struct lyd_node *running, *candidate;
	bool candidate_dirty;
	uint32_t lock[NB_DS_COUNT]; /* session id holding the lock, 0: none */
	uint64_t n_commits;
};

/* nb_ds.c */
struct nc_server_reply *nb_rpc_get(struct nb *nb, struct lyd_node *rpc, struct nc_session *s,
				   bool config_only);
struct nc_server_reply *nb_rpc_edit(struct nb *nb, struct lyd_node *rpc, struct nc_session *s);
struct nc_server_reply *nb_rpc_copy(struct nb *nb, struct lyd_node *rpc, struct nc_session *s);
struct nc_server_reply *nb_rpc_delete(struct nb *nb, struct lyd_node *rpc, struct nc_session *s);
struct nc_server_reply *nb_rpc_validate(struct nb *nb, struct lyd_node *rpc, struct nc_session *s);
struct nc_server_reply *nb_rpc_commit(struct nb *nb, struct lyd_node *rpc, struct nc_session *s);
struct nc_server_reply *nb_rpc_discard(struct nb *nb, struct lyd_node *rpc, struct nc_session *s);
struct nc_server_reply *nb_rpc_lock(struct nb *nb, struct lyd_node *rpc, struct nc_session *s,
				    bool lock);
int nb_ds_load(struct nb *nb, char **errmsg);
void nb_ds_release(struct nb *nb, uint32_t sid);
/* Select from data (siblings) what filter (the <filter> anyxml node, or an xpath) keeps: a new
 * tree in *out (NULL when nothing). Returns 0 or a negative errno. */
int nb_filter(struct nb *nb, const struct lyd_node *data, const struct lyd_node *filter,
	      const char *xpath, struct lyd_node **out);
struct nc_server_reply *nb_reply_errors(struct nb *nb, NC_ERR tag, const struct nb_errors *e);
struct nc_server_reply *nb_reply_msg(struct nb *nb, NC_ERR tag, const char *path, const char *fmt,
				     ...) __attribute__((format(printf, 4, 5)));
void nb_errors_fini(struct nb_errors *e);
/* XML-prefixed xpath of a filter into module-name form when the prefixes are namespaces the
 * client declared; returns a malloc'd copy. */
const char *nb_meta_value(const struct lyd_node *n, const char *name);

#endif /* NB_INT_H */
