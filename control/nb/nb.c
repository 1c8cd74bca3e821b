/* SPDX-License-Identifier: BSD-3-Clause */
/* nb: the NETCONF server of mudgated, sessions and dispatch (nb.h). */
#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libssh/libssh.h>

#include "nb/nb_int.h"

#define LOG(...) nb_log(__VA_ARGS__)

/* libnetconf2 keeps global state, so does its callback context. */
static struct nb *nb_self;

static void
nb_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "mudgated[netconf] ");

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	line[len] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len + 1);
	(void)w;
}

void
nb_error_add(struct nb_errors *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (e->n >= NB_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	e->v[e->n].path = path ? strdup(path) : NULL;
	e->v[e->n].msg = msg;
	e->n++;
}

void
nb_errors_fini(struct nb_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].msg);
	}
	e->n = 0;
}

/* ---- modules ---------------------------------------------------------------------------- */

static int
load_modules(struct ly_ctx *ctx, char **errmsg)
{
	static const char *nc_features[] = {"writable-running",
					    "candidate",
					    "rollback-on-error",
					    "validate",
					    "startup",
					    "xpath",
					    NULL};
	static const char *all[] = {"*", NULL};
	static const struct {
		const char *name;
		const char **features;
	} mods[] = {
		{"ietf-netconf", nc_features},    {"ietf-netconf-with-defaults", all},
		{"ietf-netconf-monitoring", all}, {"ietf-netconf-notifications", all},
		{"notifications", all},           {"nc-notifications", all},
		{"ietf-yang-library", all},       {"mudgate", all},
	};

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		if (!ly_ctx_load_module(ctx, mods[i].name, NULL, mods[i].features)) {
			if (asprintf(errmsg, "YANG module %s: %s", mods[i].name,
				     ly_errmsg(ctx) ? ly_errmsg(ctx) : "not found") < 0)
				*errmsg = NULL;
			return -ENOENT;
		}
	return 0;
}

/* ---- SSH: host key and authentication --------------------------------------------------- */

static int
hostkey_cb(const char *name, void *user_data, char **privkey_path, char **privkey_data,
	   NC_SSH_KEY_TYPE *privkey_type)
{
	struct nb *nb = user_data;

	if (asprintf(privkey_path, "%s/ssh_host_ed25519_key", nb->nc_dir) < 0)
		return 1;
	*privkey_data = NULL;
	return 0;
}

static int
make_hostkey(struct nb *nb, char **errmsg)
{
	char path[4200], pub[4300];
	ssh_key key = NULL;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/ssh_host_ed25519_key", nb->nc_dir);
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(pub, sizeof(pub), "%s.pub", path);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) != SSH_OK) {
		rc = -EIO;
		if (asprintf(errmsg, "%s: cannot create the SSH host key", path) < 0)
			*errmsg = NULL;
		goto out;
	}
	chmod(path, 0600);
	ssh_pki_export_pubkey_file(key, pub);
	LOG("created the SSH host key %s", path);
out:
	ssh_key_free(key);
	return rc;
}

static int
passwd_cb(const struct nc_session *session, const char *password, void *user_data)
{
	struct nb *nb = user_data;
	struct crypt_data cd;
	const char *h;

	if (!nb->password_hash || strcmp(nc_session_get_username(session), nb->user)) {
		LOG("password authentication of '%s' from %s refused",
		    nc_session_get_username(session), nc_session_get_host(session));
		return 1;
	}
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(password, nb->password_hash, &cd);
	if (!h || h[0] == '*' || strcmp(h, nb->password_hash)) {
		LOG("wrong password for '%s' from %s", nb->user, nc_session_get_host(session));
		return 1;
	}
	return 0;
}

static int
pubkey_cb(const struct nc_session *session, ssh_key key, void *user_data)
{
	struct nb *nb = user_data;

	if (strcmp(nc_session_get_username(session), nb->user))
		return 1;
	for (size_t i = 0; i < nb->n_keys; i++)
		if (!ssh_key_cmp(key, nb->keys[i], SSH_KEY_CMP_PUBLIC))
			return 0;
	LOG("public key of '%s' from %s not authorised", nb->user, nc_session_get_host(session));
	return 1;
}

/* authorized_keys: "[options] type base64 [comment]"; lines that do not parse are skipped. */
static int
load_keys(struct nb *nb, const char *path, char **errmsg)
{
	char line[16384];
	FILE *f = fopen(path, "r");
	unsigned lineno = 0;

	if (!f) {
		int rc = -errno;
		if (asprintf(errmsg, "%s: %s", path, strerror(errno)) < 0)
			*errmsg = NULL;
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok[3];
		int n = 0;
		lineno++;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 3;
		     t = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = t;
		if (n < 2 || tok[0][0] == '#')
			continue;
		for (int start = 0; start + 1 < n; start++) {
			enum ssh_keytypes_e type = ssh_key_type_from_name(tok[start]);
			ssh_key k = NULL;
			if (type == SSH_KEYTYPE_UNKNOWN)
				continue;
			if (ssh_pki_import_pubkey_base64(tok[start + 1], type, &k) != SSH_OK) {
				LOG("%s:%u: key does not parse, skipped", path, lineno);
				break;
			}
			ssh_key *v = realloc(nb->keys, (nb->n_keys + 1) * sizeof(*v));
			if (!v) {
				ssh_key_free(k);
				fclose(f);
				return -ENOMEM;
			}
			nb->keys = v;
			nb->keys[nb->n_keys++] = k;
			break;
		}
	}
	fclose(f);
	return 0;
}

/* ---- get-schema (libnetconf2's own handler double-frees with libyang 2.1) --------------- */

static struct nc_server_reply *
get_schema_cb(struct lyd_node *rpc, struct nc_session *session)
{
	struct nb *nb = nb_self;
	const char *id = NULL, *rev = NULL, *fmt = NULL;
	const struct lys_module *m = NULL;
	const struct lysp_submodule *sm = NULL;
	struct lyd_node *c, *out = NULL;
	LYS_OUTFORMAT of = LYS_OUT_YANG;
	char *text = NULL;

	LY_LIST_FOR (lyd_child(rpc), c) {
		if (!strcmp(LYD_NAME(c), "identifier"))
			id = lyd_get_value(c);
		else if (!strcmp(LYD_NAME(c), "version"))
			rev = lyd_get_value(c);
		else if (!strcmp(LYD_NAME(c), "format"))
			fmt = lyd_get_value(c);
	}
	if (rev && !rev[0])
		rev = NULL;
	if (fmt && !strcmp(fmt, "ietf-netconf-monitoring:yin"))
		of = LYS_OUT_YIN;
	else if (fmt && strcmp(fmt, "ietf-netconf-monitoring:yang"))
		return nb_reply_msg(nb, NC_ERR_INVALID_VALUE, NULL, "format %s not supported", fmt);
	if (id) {
		m = rev ? ly_ctx_get_module(nb->ctx, id, rev)
			: ly_ctx_get_module_implemented(nb->ctx, id);
		if (!m && !rev)
			m = ly_ctx_get_module_latest(nb->ctx, id);
		if (!m)
			sm = rev ? ly_ctx_get_submodule(nb->ctx, id, rev)
				 : ly_ctx_get_submodule_latest(nb->ctx, id);
	}
	if (!m && !sm)
		return nb_reply_msg(nb, NC_ERR_INVALID_VALUE, NULL, "schema %s%s%s not found",
				    id ? id : "", rev ? "@" : "", rev ? rev : "");
	if (m)
		lys_print_mem(&text, m, of, 0);
	else
		lys_print_submodule(NULL, sm, of, 0, 0);
	if (!text)
		return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "cannot print the schema");
	if (lyd_new_inner(NULL, ly_ctx_get_module_implemented(nb->ctx, "ietf-netconf-monitoring"),
			  "get-schema", 0, &out) ||
	    lyd_new_any(out, NULL, "data", text, 1, LYD_ANYDATA_STRING, 1, NULL)) {
		free(text);
		lyd_free_tree(out);
		return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* ---- sessions --------------------------------------------------------------------------- */

static struct nb_sess *
sess_of(struct nb *nb, const struct nc_session *s)
{
	for (size_t i = 0; i < NB_MAX_SESSIONS; i++)
		if (nb->sess[i].s == s)
			return &nb->sess[i];
	return NULL;
}

static void
sess_drop(struct nb *nb, struct nb_sess *ss)
{
	uint32_t id = nc_session_get_id(ss->s);

	LOG("session %u of '%s' ended (%d)", id, nc_session_get_username(ss->s),
	    (int)nc_session_get_term_reason(ss->s));
	nb_ds_release(nb, id);
	if (ss->ev)
		event_free(ss->ev);
	nc_ps_del_session(nb->ps, ss->s);
	nc_session_free(ss->s, NULL);
	lyd_free_all(ss->notif_filter);
	free(ss->notif_xpath);
	memset(ss, 0, sizeof(*ss));
}

/* Every RPC and session end pending on any session, until there is nothing left to do. */
static void
poll_all(struct nb *nb)
{
	for (int guard = 0; guard < 256; guard++) {
		struct nc_session *s = NULL;
		int r = nc_ps_poll(nb->ps, 0, &s);
		if (r & (NC_PSPOLL_NOSESSIONS | NC_PSPOLL_TIMEOUT))
			return;
		if (r & NC_PSPOLL_ERROR) {
			/* a session in error stays in the set; it is found dead on the next poll */
			if (!s)
				return;
		}
		if (s && (r & NC_PSPOLL_SESSION_TERM)) {
			struct nb_sess *ss = sess_of(nb, s);
			if (ss)
				sess_drop(nb, ss);
		}
		/* sessions killed by kill-session are marked invalid: drop them now */
		for (size_t i = 0; i < NB_MAX_SESSIONS; i++)
			if (nb->sess[i].s &&
			    nc_session_get_status(nb->sess[i].s) != NC_STATUS_RUNNING)
				sess_drop(nb, &nb->sess[i]);
	}
}

/* Stop (!on) or resume watching the sessions' sockets. */
static void
watch_sessions(struct nb *nb, bool on)
{
	for (size_t i = 0; i < NB_MAX_SESSIONS; i++)
		if (nb->sess[i].s && nb->sess[i].ev) {
			if (on)
				event_add(nb->sess[i].ev, NULL);
			else
				event_del(nb->sess[i].ev);
		}
}

static void
refreshed(void *arg)
{
	struct nb *nb = arg;

	event_active(nb->resume_ev, EV_TIMEOUT, 0);
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct nb *nb = arg;

	if (!nb->waiting)
		return;
	nb->waiting = false;
	watch_sessions(nb, true);
	poll_all(nb);
}

/* A session has input: refresh the operational state first when the daemon asks for it. */
static void
on_session(evutil_socket_t fd, short what, void *arg)
{
	struct nb *nb = arg;

	if (!nb->waiting && nb->ops.refresh && nb->ops.refresh(refreshed, nb, nb->ops.arg) > 0)
		nb->waiting = true;
	if (nb->waiting) {
		watch_sessions(nb, false);
		return;
	}
	poll_all(nb);
}

static void
on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
	struct nb *nb = arg;

	if (!nb->waiting)
		poll_all(nb);
}

/* The socket of a new session: the one connected to its peer's address and port. libnetconf2
 * 2.0 has no getter for it. */
static int
session_fd(const struct nc_session *s)
{
	const char *host = nc_session_get_host(s);
	uint16_t port = nc_session_get_port(s);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	if (!d || !host)
		goto out;
	while ((e = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char buf[INET6_ADDRSTRLEN];
		int fd = atoi(e->d_name);
		uint16_t p;
		if (e->d_name[0] == '.' || getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
			continue;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
			p = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
			p = ntohs(a->sin6_port);
		} else {
			continue;
		}
		const char *h = host;
		const char *b = buf;
		if (!strncmp(b, "::ffff:", 7) && strncmp(h, "::ffff:", 7))
			b += 7;
		if (!strncmp(h, "::ffff:", 7) && strncmp(b, "::ffff:", 7))
			h += 7;
		if (p == port && !strcmp(h, b)) {
			found = fd;
			break;
		}
	}
out:
	if (d)
		closedir(d);
	return found;
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct nb *nb = arg;
	struct nc_session *s = NULL;
	struct nb_sess *ss = NULL;
	NC_MSG_TYPE r;

	r = nc_accept(0, &s);
	if (r != NC_MSG_HELLO) {
		if (r == NC_MSG_ERROR || r == NC_MSG_BAD_HELLO)
			LOG("connection refused during SSH or hello (%s)",
			    r == NC_MSG_ERROR ? "error" : "bad hello");
		return;
	}
	for (size_t i = 0; i < NB_MAX_SESSIONS; i++)
		if (!nb->sess[i].s) {
			ss = &nb->sess[i];
			break;
		}
	if (!ss) {
		LOG("session of '%s' from %s refused: %d sessions open", nc_session_get_username(s),
		    nc_session_get_host(s), NB_MAX_SESSIONS);
		nc_session_free(s, NULL);
		return;
	}
	ss->s = s;
	ss->fd = session_fd(s);
	if (nc_ps_add_session(nb->ps, s)) {
		nc_session_free(s, NULL);
		memset(ss, 0, sizeof(*ss));
		return;
	}
	if (ss->fd >= 0) {
		ss->ev = event_new(nb->base, ss->fd, EV_READ | EV_PERSIST, on_session, nb);
		if (ss->ev && !nb->waiting)
			event_add(ss->ev, NULL);
	}
	LOG("session %u of '%s' from %s:%u", nc_session_get_id(s), nc_session_get_username(s),
	    nc_session_get_host(s), nc_session_get_port(s));
	if (!nb->waiting)
		poll_all(nb);
}

/* The listening socket of the endpoint, found the same way as session_fd(). */
static int
listen_fd(uint16_t port)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = atoi(e->d_name), acc = 0;
		socklen_t al = sizeof(acc);
		if (e->d_name[0] == '.' || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 || !acc)
			continue;
		if ((ss.ss_family == AF_INET &&
		     ntohs(((struct sockaddr_in *)&ss)->sin_port) == port) ||
		    (ss.ss_family == AF_INET6 &&
		     ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == port)) {
			found = fd;
			break;
		}
	}
	closedir(d);
	return found;
}

/* ---- dispatch --------------------------------------------------------------------------- */

static struct nc_server_reply *
rpc_kill(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *c = NULL;
	uint32_t id;

	lyd_find_path(rpc, "session-id", 0, &c);
	id = c ? (uint32_t)strtoul(lyd_get_value(c), NULL, 10) : 0;
	if (id == nc_session_get_id(s))
		return nb_reply_msg(nb, NC_ERR_INVALID_VALUE,
				    "/ietf-netconf:kill-session/session-id",
				    "a session cannot kill itself; use close-session");
	for (size_t i = 0; i < NB_MAX_SESSIONS; i++) {
		struct nc_session *k = nb->sess[i].s;
		if (!k || nc_session_get_id(k) != id)
			continue;
		nc_session_set_term_reason(k, NC_SESSION_TERM_KILLED);
		nc_session_set_killed_by(k, nc_session_get_id(s));
		nc_session_set_status(k, NC_STATUS_INVALID);
		nb_ds_release(nb, id);
		LOG("session %u killed by session %u", id, nc_session_get_id(s));
		return nc_server_reply_ok();
	}
	return nb_reply_msg(nb, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id",
			    "no session %u", id);
}

static struct nc_server_reply *
rpc_subscribe(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	struct nb_sess *ss = sess_of(nb, s);
	struct lyd_node *c;

	if (!ss)
		return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "unknown session");
	if (ss->subscribed)
		return nb_reply_msg(nb, NC_ERR_IN_USE, NULL,
				    "this session already has a subscription");
	LY_LIST_FOR (lyd_child(rpc), c) {
		if (!strcmp(LYD_NAME(c), "stream") && strcmp(lyd_get_value(c), "NETCONF"))
			return nb_reply_msg(nb, NC_ERR_INVALID_VALUE,
					    "/notifications:create-subscription/stream",
					    "no stream %s; the one stream is NETCONF",
					    lyd_get_value(c));
		if (!strcmp(LYD_NAME(c), "startTime") && !(c->flags & LYD_DEFAULT))
			return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED,
					    "/notifications:create-subscription/startTime",
					    "replay is not supported");
		if (!strcmp(LYD_NAME(c), "filter")) {
			const char *type = nb_meta_value(c, "type");
			if (type && !strcmp(type, "xpath")) {
				const char *sel = nb_meta_value(c, "select");
				if (!sel)
					return nb_reply_msg(nb, NC_ERR_MISSING_ATTR, NULL,
							    "xpath filter without select");
				ss->notif_xpath = strdup(sel);
			} else {
				lyd_dup_single(c, NULL, LYD_DUP_RECURSIVE, &ss->notif_filter);
			}
		}
	}
	ss->subscribed = true;
	nc_session_inc_notif_status(s);
	return nc_server_reply_ok();
}

static struct nc_server_reply *
rpc_own(struct nb *nb, struct lyd_node *rpc)
{
	struct nb_errors e = {0};
	struct nc_server_reply *r;
	int rc;

	if (!nb->ops.rpc)
		return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED, NULL, "%s is not available",
				    LYD_NAME(rpc));
	rc = nb->ops.rpc(rpc, &e, nb->ops.arg);
	if (rc == 0) {
		nb_errors_fini(&e);
		return nc_server_reply_ok();
	}
	if (!e.n)
		nb_error_add(&e, NULL, "%s: %s", LYD_NAME(rpc), strerror(-rc));
	r = nb_reply_errors(nb,
			    rc == -ENOENT   ? NC_ERR_DATA_MISSING
			    : rc == -EINVAL ? NC_ERR_INVALID_VALUE
					    : NC_ERR_OP_FAILED,
			    &e);
	nb_errors_fini(&e);
	return r;
}

static struct nc_server_reply *
rpc_cb(struct lyd_node *rpc, struct nc_session *s)
{
	struct nb *nb = nb_self;
	const char *name = LYD_NAME(rpc);
	const char *mod = rpc->schema->module->name;

	if (!strcmp(mod, "ietf-netconf")) {
		if (!strcmp(name, "get"))
			return nb_rpc_get(nb, rpc, s, false);
		if (!strcmp(name, "get-config"))
			return nb_rpc_get(nb, rpc, s, true);
		if (!strcmp(name, "edit-config"))
			return nb_rpc_edit(nb, rpc, s);
		if (!strcmp(name, "copy-config"))
			return nb_rpc_copy(nb, rpc, s);
		if (!strcmp(name, "delete-config"))
			return nb_rpc_delete(nb, rpc, s);
		if (!strcmp(name, "validate"))
			return nb_rpc_validate(nb, rpc, s);
		if (!strcmp(name, "commit"))
			return nb_rpc_commit(nb, rpc, s);
		if (!strcmp(name, "discard-changes"))
			return nb_rpc_discard(nb, rpc, s);
		if (!strcmp(name, "lock"))
			return nb_rpc_lock(nb, rpc, s, true);
		if (!strcmp(name, "unlock"))
			return nb_rpc_lock(nb, rpc, s, false);
		if (!strcmp(name, "kill-session"))
			return rpc_kill(nb, rpc, s);
	} else if (!strcmp(mod, "notifications") && !strcmp(name, "create-subscription")) {
		return rpc_subscribe(nb, rpc, s);
	} else if (!strcmp(mod, "mudgate")) {
		return rpc_own(nb, rpc);
	}
	return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED, NULL, "%s:%s is not supported", mod, name);
}

/* ---- notifications ---------------------------------------------------------------------- */

int
nb_notify(struct nb *nb, const struct lyd_node *notif)
{
	char *t = NULL;
	int n = 0;

	if (!nb || !notif)
		return -EINVAL;
	if (ly_time_time2str(time(NULL), NULL, &t))
		return -ENOMEM;
	for (size_t i = 0; i < NB_MAX_SESSIONS; i++) {
		struct nb_sess *ss = &nb->sess[i];
		struct lyd_node *sel = NULL, *dup = NULL;
		struct nc_server_notif *nf;
		if (!ss->s || !ss->subscribed || nc_session_get_status(ss->s) != NC_STATUS_RUNNING)
			continue;
		if (ss->notif_filter || ss->notif_xpath) {
			if (nb_filter(nb, notif, ss->notif_filter, ss->notif_xpath, &sel) < 0 ||
			    !sel)
				continue;
			lyd_free_all(sel);
		}
		if (lyd_dup_single(notif, NULL, LYD_DUP_RECURSIVE, &dup))
			continue;
		nf = nc_server_notif_new(dup, t, NC_PARAMTYPE_DUP_AND_FREE);
		if (!nf) {
			lyd_free_tree(dup);
			continue;
		}
		if (nc_server_notif_send(ss->s, nf, 1000) == NC_MSG_NOTIF)
			n++;
		nc_server_notif_free(nf);
		lyd_free_tree(dup);
	}
	free(t);
	return n;
}

/* ---- life cycle ------------------------------------------------------------------------- */

static char *
content_id_cb(void *user_data)
{
	struct nb *nb = user_data;
	char *s = NULL;

	if (asprintf(&s, "%u", ly_ctx_get_change_count(nb->ctx)) < 0)
		return NULL;
	return s;
}

const struct lyd_node *
nb_running(const struct nb *nb)
{
	return nb->running;
}

struct nb *
nb_init(struct event_base *base, struct ly_ctx *ctx, const struct nb_opts *o,
	const struct nb_ops *ops, char **errmsg)
{
	struct nb *nb;
	struct lysc_node *sn;
	int rc;

	*errmsg = NULL;
	if (nb_self || !o->user || !o->state_dir || !o->startup_path ||
	    (!o->password_hash && !o->authorized_keys)) {
		if (asprintf(errmsg, "%s",
			     nb_self ? "NETCONF server already running"
				     : "NETCONF needs a user, a password hash or "
				       "authorized keys, a state directory and a "
				       "startup file") < 0)
			*errmsg = NULL;
		errno = EINVAL;
		return NULL;
	}
	nb = calloc(1, sizeof(*nb));
	if (!nb) {
		errno = ENOMEM;
		return NULL;
	}
	nb->base = base;
	nb->ctx = ctx;
	nb->ops = *ops;
	nb->port = o->port ? o->port : NC_PORT_SSH;
	nb->listen_fd = -1;
	nb->address = strdup(o->address ? o->address : "::");
	nb->state_dir = strdup(o->state_dir);
	nb->startup_path = strdup(o->startup_path);
	nb->user = strdup(o->user);
	nb->password_hash = o->password_hash ? strdup(o->password_hash) : NULL;
	if (!nb->address || !nb->state_dir || !nb->startup_path || !nb->user ||
	    (o->password_hash && !nb->password_hash) ||
	    asprintf(&nb->nc_dir, "%s/netconf", o->state_dir) < 0) {
		nb->nc_dir = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	if (mkdir(nb->nc_dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		if (asprintf(errmsg, "%s: %s", nb->nc_dir, strerror(errno)) < 0)
			*errmsg = NULL;
		goto fail;
	}
	rc = load_modules(ctx, errmsg);
	if (rc < 0)
		goto fail;
	nb->mod = ly_ctx_get_module_implemented(ctx, "mudgate");
	if (o->authorized_keys) {
		rc = load_keys(nb, o->authorized_keys, errmsg);
		if (rc < 0)
			goto fail;
	}
	rc = make_hostkey(nb, errmsg);
	if (rc < 0)
		goto fail;
	rc = nb_ds_load(nb, errmsg);
	if (rc < 0)
		goto fail;

	nb_self = nb;
	/* before nc_server_init(), which installs its own get-schema handler otherwise */
	sn = (struct lysc_node *)lys_find_path(ctx, NULL, "/ietf-netconf-monitoring:get-schema", 0);
	if (sn)
		sn->priv = get_schema_cb;
	nc_verbosity(NC_VERB_ERROR);
	if (nc_server_init(ctx)) {
		rc = -EIO;
		if (asprintf(errmsg, "libnetconf2 initialisation failed") < 0)
			*errmsg = NULL;
		nb_self = NULL;
		goto fail;
	}
	nc_set_global_rpc_clb(rpc_cb);
	nc_server_set_capab_withdefaults(NC_WD_EXPLICIT, NC_WD_ALL | NC_WD_ALL_TAG | NC_WD_TRIM);
	nc_server_set_capability("urn:ietf:params:netconf:capability:notification:1.0");
	nc_server_set_capability("urn:ietf:params:netconf:capability:interleave:1.0");
	nc_server_set_content_id_clb(content_id_cb, nb, NULL);
	nc_server_set_hello_timeout(NB_HELLO_TIMEOUT);
	nc_server_set_idle_timeout(0);
	nc_server_ssh_set_hostkey_clb(hostkey_cb, nb, NULL);
	nc_server_ssh_set_passwd_auth_clb(passwd_cb, nb, NULL);
	nc_server_ssh_set_pubkey_auth_clb(pubkey_cb, nb, NULL);
	if (nc_server_add_endpt("main", NC_TI_LIBSSH) ||
	    nc_server_ssh_endpt_add_hostkey("main", "host", -1) ||
	    nc_server_ssh_endpt_set_auth_methods(
		    "main", (nb->password_hash ? NC_SSH_AUTH_PASSWORD : 0) |
				    (o->authorized_keys ? NC_SSH_AUTH_PUBLICKEY : 0)) ||
	    nc_server_ssh_endpt_set_auth_attempts("main", 3) ||
	    nc_server_ssh_endpt_set_auth_timeout("main", NB_AUTH_TIMEOUT) ||
	    nc_server_endpt_set_address("main", nb->address) ||
	    nc_server_endpt_set_port("main", nb->port)) {
		rc = -EADDRINUSE;
		if (asprintf(errmsg, "cannot listen on [%s]:%u", nb->address, nb->port) < 0)
			*errmsg = NULL;
		goto fail_server;
	}
	nb->listen_fd = listen_fd(nb->port);
	nb->ps = nc_ps_new();
	if (nb->listen_fd < 0 || !nb->ps) {
		rc = -EADDRINUSE;
		if (asprintf(errmsg, "cannot listen on [%s]:%u", nb->address, nb->port) < 0)
			*errmsg = NULL;
		goto fail_server;
	}
	nb->listen_ev = event_new(base, nb->listen_fd, EV_READ | EV_PERSIST, on_accept, nb);
	nb->poll_ev = event_new(base, -1, EV_PERSIST, on_poll_timer, nb);
	nb->resume_ev = event_new(base, -1, 0, on_resume, nb);
	if (!nb->listen_ev || !nb->poll_ev || !nb->resume_ev) {
		rc = -ENOMEM;
		goto fail_server;
	}
	struct timeval tv = {0, 200000};
	event_add(nb->listen_ev, NULL);
	event_add(nb->poll_ev, &tv);
	LOG("listening on [%s]:%u, user '%s' (%s%s%s)", nb->address, nb->port, nb->user,
	    nb->password_hash ? "password" : "", nb->password_hash && nb->n_keys ? ", " : "",
	    nb->n_keys ? "public key" : "");
	return nb;

fail_server:
	nb_destroy(nb);
	errno = -rc;
	return NULL;
fail:
	nb_destroy(nb);
	errno = -rc;
	return NULL;
}

void
nb_destroy(struct nb *nb)
{
	if (!nb)
		return;
	for (size_t i = 0; i < NB_MAX_SESSIONS; i++)
		if (nb->sess[i].s)
			sess_drop(nb, &nb->sess[i]);
	if (nb->listen_ev)
		event_free(nb->listen_ev);
	if (nb->poll_ev)
		event_free(nb->poll_ev);
	if (nb->resume_ev)
		event_free(nb->resume_ev);
	if (nb->ps)
		nc_ps_free(nb->ps);
	if (nb_self == nb) {
		nc_server_destroy();
		nb_self = NULL;
	}
	lyd_free_all(nb->running);
	lyd_free_all(nb->candidate);
	for (size_t i = 0; i < nb->n_keys; i++)
		ssh_key_free(nb->keys[i]);
	free(nb->keys);
	free(nb->address);
	free(nb->state_dir);
	free(nb->nc_dir);
	free(nb->startup_path);
	free(nb->user);
	free(nb->password_hash);
	free(nb);
}
