/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nb datastores: running, candidate and startup as libyang trees of module mudgate, the edit
 * engine of <edit-config> (RFC 6241 section 7.2), filters (section 6, subtree and XPath), and
 * the conversion of libyang errors into <rpc-error>s.
 *
 * An edit is applied to a copy of the target; the copy replaces the target only when every
 * step succeeded (running: libyang validation, then the daemon's prepare and apply). So
 * stop-on-error and rollback-on-error leave the target untouched on any error;
 * continue-on-error keeps the operations that succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nb/nb_int.h"
#include "mg_file.h"

enum edit_op {
	OP_MERGE,
	OP_REPLACE,
	OP_CREATE,
	OP_DELETE,
	OP_REMOVE,
	OP_NONE,
};

/* One rpc-error being collected. */
struct rerr {
	NC_ERR tag;
	char *path;
	char *msg;
	char *apptag;
	char *bad_elem;
};

struct rerrs {
	struct rerr v[NB_MAX_ERRORS];
	size_t n;
};

static void rerr_add(struct rerrs *r, NC_ERR tag, const char *path, const char *apptag,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
rerr_add(struct rerrs *r, NC_ERR tag, const char *path, const char *apptag, const char *fmt, ...)
{
	va_list ap;
	struct rerr *e;

	if (r->n >= NB_MAX_ERRORS)
		return;
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->tag = tag;
	e->path = path ? strdup(path) : NULL;
	e->apptag = apptag ? strdup(apptag) : NULL;
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	va_end(ap);
}

static void
rerrs_fini(struct rerrs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].msg);
		free(r->v[i].apptag);
		free(r->v[i].bad_elem);
	}
	r->n = 0;
}

/* The rpc-error of tag; elem is the element (and attribute) it is about, for the tags whose
 * error-info names them. */
static struct lyd_node *
mk_err(struct nb *nb, NC_ERR tag, const char *path)
{
	char elem[256] = "";
	const char *slash = path ? strrchr(path, '/') : NULL;

	snprintf(elem, sizeof(elem), "%s", slash ? slash + 1 : path ? path : "config");
	char *br = strchr(elem, '[');
	if (br)
		*br = 0;
	switch (tag) {
	case NC_ERR_LOCK_DENIED:
		return nc_err(nb->ctx, tag, 0);
	case NC_ERR_DATA_EXISTS:
	case NC_ERR_DATA_MISSING:
	case NC_ERR_MALFORMED_MSG:
		return nc_err(nb->ctx, tag);
	case NC_ERR_MISSING_ATTR:
	case NC_ERR_BAD_ATTR:
	case NC_ERR_UNKNOWN_ATTR:
		return nc_err(nb->ctx, tag, NC_ERR_TYPE_APP, "operation", elem);
	case NC_ERR_MISSING_ELEM:
	case NC_ERR_BAD_ELEM:
	case NC_ERR_UNKNOWN_ELEM:
		return nc_err(nb->ctx, tag, NC_ERR_TYPE_APP, elem);
	case NC_ERR_UNKNOWN_NS:
		return nc_err(nb->ctx, tag, NC_ERR_TYPE_APP, elem, "");
	default:
		return nc_err(nb->ctx, tag, NC_ERR_TYPE_APP);
	}
}

static struct nc_server_reply *
reply_rerrs(struct nb *nb, struct rerrs *r)
{
	struct nc_server_reply *reply = NULL;

	for (size_t i = 0; i < r->n; i++) {
		struct lyd_node *e = mk_err(nb, r->v[i].tag, r->v[i].path);
		if (!e)
			continue;
		if (r->v[i].path)
			nc_err_set_path(e, r->v[i].path);
		if (r->v[i].apptag)
			nc_err_set_app_tag(e, r->v[i].apptag);
		if (r->v[i].msg)
			nc_err_set_msg(e, r->v[i].msg, "en");
		if (!reply)
			reply = nc_server_reply_err(e);
		else
			nc_server_reply_add_err(reply, e);
	}
	rerrs_fini(r);
	if (!reply)
		reply = nc_server_reply_err(mk_err(nb, NC_ERR_OP_FAILED, NULL));
	return reply;
}

struct nc_server_reply *
nb_reply_errors(struct nb *nb, NC_ERR tag, const struct nb_errors *e)
{
	struct rerrs r = {0};

	for (size_t i = 0; i < e->n; i++)
		rerr_add(&r, tag, e->v[i].path, NULL, "%s", e->v[i].msg ? e->v[i].msg : "error");
	return reply_rerrs(nb, &r);
}

struct nc_server_reply *
nb_reply_msg(struct nb *nb, NC_ERR tag, const char *path, const char *fmt, ...)
{
	struct rerrs r = {0};
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	rerr_add(&r, tag, path, NULL, "%s", msg ? msg : "error");
	free(msg);
	return reply_rerrs(nb, &r);
}

/* libyang's errors since the last ly_err_clean(), as rpc-errors (RFC 7950 section 15). */
static void
ly_errors(struct nb *nb, struct rerrs *r, NC_ERR dflt)
{
	const struct ly_err_item *i = ly_err_first(nb->ctx);
	size_t before = r->n;

	for (; i; i = i->next) {
		NC_ERR tag = dflt;
		const char *apptag = i->apptag;
		const char *m = i->msg ? i->msg : "invalid";
		if (i->level != LY_LLERR)
			continue;
		if (strstr(m, "not found as a child") || strstr(m, "Unknown element") ||
		    (strstr(m, "Node \"") && strstr(m, "\" not found")))
			tag = NC_ERR_UNKNOWN_ELEM;
		else if (strstr(m, "No module with namespace") || strstr(m, "Unknown XML prefix") ||
			 strstr(m, "No module named"))
			tag = NC_ERR_UNKNOWN_NS;
		else if (apptag && !strcmp(apptag, "instance-required"))
			tag = NC_ERR_DATA_MISSING;
		else if (strstr(m, "Mandatory node") || strstr(m, "Mandatory choice"))
			tag = NC_ERR_DATA_MISSING;
		else if (apptag &&
			 (!strcmp(apptag, "must-violation") || !strcmp(apptag, "data-not-unique") ||
			  !strcmp(apptag, "too-many-elements") ||
			  !strcmp(apptag, "too-few-elements")))
			tag = NC_ERR_OP_FAILED;
		else if (strstr(m, "Duplicate instance"))
			tag = NC_ERR_OP_FAILED;
		else if (i->vecode == LYVE_DATA || i->vecode == LYVE_SYNTAX_XML ||
			 strstr(m, "Invalid") || strstr(m, "invalid") || strstr(m, "out of"))
			tag = NC_ERR_INVALID_VALUE;
		/* "Data location \"/mudgate:mudgate/...\", line number 4." -> the path itself */
		char path[1024] = "";
		const char *q = i->path ? strchr(i->path, '"') : NULL;
		if (q) {
			const char *end = strchr(q + 1, '"');
			if (end && (size_t)(end - q - 1) < sizeof(path))
				snprintf(path, sizeof(path), "%.*s", (int)(end - q - 1), q + 1);
		}
		rerr_add(r, tag, path[0] ? path : i->path, apptag, "%s", m);
	}
	if (r->n == before)
		rerr_add(r, dflt, NULL, NULL, "%s",
			 ly_errmsg(nb->ctx) ? ly_errmsg(nb->ctx) : "invalid data");
	ly_err_clean(nb->ctx, NULL);
}

const char *
nb_meta_value(const struct lyd_node *n, const char *name)
{
	if (!n->schema) {
		const struct lyd_attr *a;
		for (a = ((const struct lyd_node_opaq *)n)->attr; a; a = a->next)
			if (!strcmp(a->name.name, name))
				return a->value;
		return NULL;
	}
	for (const struct lyd_meta *m = n->meta; m; m = m->next)
		if (!strcmp(m->name, name))
			return lyd_get_meta_value(m);
	return NULL;
}

/* ---- persistence ------------------------------------------------------------------------ */

static int
write_tree(const char *path, const struct lyd_node *tree)
{
	char *text = NULL;
	int rc;

	if (tree && lyd_print_mem(&text, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS))
		return -ENOMEM;
	const char *t = text ? text : "{}\n";
	rc = mg_write_file_atomic(path, t, strlen(t), 0600);
	free(text);
	return rc;
}

static void
save(struct nb *nb, enum nb_ds ds)
{
	char path[4400];
	int rc;

	if (ds == NB_DS_STARTUP)
		return;
	snprintf(path, sizeof(path), "%s/%s.json", nb->nc_dir,
		 ds == NB_DS_RUNNING ? "running" : "candidate");
	rc = write_tree(path, ds == NB_DS_RUNNING ? nb->running : nb->candidate);
	if (rc < 0)
		fprintf(stderr, "mudgated[netconf] %s: %s\n", path, strerror(-rc));
}

static int
parse_file(struct nb *nb, const char *path, bool validate, struct lyd_node **out, struct rerrs *r)
{
	struct lyd_node *t = NULL;

	*out = NULL;
	if (access(path, F_OK) < 0)
		return -ENOENT;
	ly_err_clean(nb->ctx, NULL);
	if (lyd_parse_data_path(nb->ctx, path, LYD_JSON,
				LYD_PARSE_STRICT | LYD_PARSE_NO_STATE |
					(validate ? 0 : LYD_PARSE_ONLY),
				validate ? LYD_VALIDATE_NO_STATE | LYD_VALIDATE_PRESENT : 0, &t)) {
		ly_errors(nb, r, NC_ERR_OP_FAILED);
		lyd_free_all(t);
		return -EINVAL;
	}
	*out = t;
	return 0;
}

static int
validate_tree(struct nb *nb, struct lyd_node **tree, struct rerrs *r)
{
	ly_err_clean(nb->ctx, NULL);
	if (lyd_validate_module(tree, nb->mod, LYD_VALIDATE_NO_STATE, NULL)) {
		ly_errors(nb, r, NC_ERR_OP_FAILED);
		return -EINVAL;
	}
	return 0;
}

int
nb_ds_load(struct nb *nb, char **errmsg)
{
	struct rerrs r = {0};
	char path[4400];
	int rc;

	rc = parse_file(nb, nb->startup_path, true, &nb->running, &r);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (rc < 0) {
		if (asprintf(errmsg, "%s: %s", nb->startup_path,
			     r.n && r.v[0].msg ? r.v[0].msg : "invalid") < 0)
			*errmsg = NULL;
		rerrs_fini(&r);
		return rc;
	}
	if (validate_tree(nb, &nb->running, &r) < 0) {
		if (asprintf(errmsg, "%s: %s", nb->startup_path,
			     r.n && r.v[0].msg ? r.v[0].msg : "invalid") < 0)
			*errmsg = NULL;
		rerrs_fini(&r);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/candidate.json", nb->nc_dir);
	if (parse_file(nb, path, false, &nb->candidate, &r) == 0) {
		nb->candidate_dirty = true;
	} else {
		rerrs_fini(&r);
		if (nb->running &&
		    lyd_dup_siblings(nb->running, NULL, LYD_DUP_RECURSIVE, &nb->candidate))
			return -ENOMEM;
		unlink(path);
	}
	save(nb, NB_DS_RUNNING);
	return 0;
}

/* The daemon reloaded its startup file (SIGHUP): running is that file again; an unmodified
 * candidate follows it. */
int
nb_running_reload(struct nb *nb, char **errmsg)
{
	struct lyd_node *t = NULL;
	struct rerrs r = {0};
	int rc;

	*errmsg = NULL;
	rc = parse_file(nb, nb->startup_path, true, &t, &r);
	if (rc == 0 || rc == -ENOENT)
		rc = validate_tree(nb, &t, &r);
	if (rc < 0) {
		if (asprintf(errmsg, "%s: %s", nb->startup_path,
			     r.n && r.v[0].msg ? r.v[0].msg : "invalid") < 0)
			*errmsg = NULL;
		rerrs_fini(&r);
		lyd_free_all(t);
		return rc;
	}
	lyd_free_all(nb->running);
	nb->running = t;
	save(nb, NB_DS_RUNNING);
	if (!nb->candidate_dirty) {
		lyd_free_all(nb->candidate);
		nb->candidate = NULL;
		if (t && lyd_dup_siblings(t, NULL, LYD_DUP_RECURSIVE, &nb->candidate))
			return -ENOMEM;
	}
	return 0;
}

/* ---- datastore arguments ---------------------------------------------------------------- */

/* The datastore named under rpc/<which> (target or source); *config receives the <config>
 * node of a source. Returns the datastore, NB_DS_COUNT for <config>, -1 when absent or
 * unsupported (url). */
static int
ds_arg(const struct lyd_node *rpc, const char *which, const struct lyd_node **config)
{
	struct lyd_node *w = NULL, *c;

	if (config)
		*config = NULL;
	if (lyd_find_path(rpc, which, 0, &w) || !w)
		return -1;
	LY_LIST_FOR (lyd_child(w), c) {
		const char *n = LYD_NAME(c);
		if (!strcmp(n, "running"))
			return NB_DS_RUNNING;
		if (!strcmp(n, "candidate"))
			return NB_DS_CANDIDATE;
		if (!strcmp(n, "startup"))
			return NB_DS_STARTUP;
		if (!strcmp(n, "config") && config) {
			*config = c;
			return NB_DS_COUNT;
		}
	}
	return -1;
}

static const char *ds_names[] = {"running", "candidate", "startup"};

/* A copy of a datastore's content (NULL for an empty one). */
static int
ds_copy(struct nb *nb, enum nb_ds ds, struct lyd_node **out, struct rerrs *r)
{
	*out = NULL;
	if (ds == NB_DS_STARTUP) {
		int rc = parse_file(nb, nb->startup_path, false, out, r);
		return rc == -ENOENT ? 0 : rc;
	}
	const struct lyd_node *t = ds == NB_DS_RUNNING ? nb->running : nb->candidate;
	if (t && lyd_dup_siblings(t, NULL, LYD_DUP_RECURSIVE, out))
		return -ENOMEM;
	return 0;
}

/* Parse the content of a <config> anyxml node strictly, keeping edit-config operations. */
static int
parse_config(struct nb *nb, const struct lyd_node *config, bool edit, struct lyd_node **out,
	     struct rerrs *r)
{
	const struct lyd_node_any *any = (const struct lyd_node_any *)config;
	char *xml = NULL;
	int rc = 0;

	*out = NULL;
	if (!any->value.str && any->value_type != LYD_ANYDATA_DATATREE)
		return 0;
	if (any->value_type == LYD_ANYDATA_DATATREE && !any->value.tree)
		return 0;
	if (lyd_any_value_str(config, &xml) || !xml) {
		rerr_add(r, NC_ERR_OP_FAILED, "/ietf-netconf:config", NULL,
			 "cannot read the configuration");
		return -EINVAL;
	}
	ly_err_clean(nb->ctx, NULL);
	if (lyd_parse_data_mem(nb->ctx, xml, LYD_XML,
			       LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, out)) {
		ly_errors(nb, r, NC_ERR_INVALID_VALUE);
		lyd_free_all(*out);
		*out = NULL;
		rc = -EINVAL;
		goto out;
	}
	for (struct lyd_node *n = *out; n; n = n->next)
		if (n->schema && n->schema->module != nb->mod) {
			char *p = lyd_path(n, LYD_PATH_STD, NULL, 0);
			rerr_add(r, NC_ERR_OP_NOT_SUPPORTED, p, NULL,
				 "only the configuration of module mudgate is stored here");
			free(p);
			rc = -EINVAL;
		}
	(void)edit;
out:
	free(xml);
	return rc;
}

/* ---- edit engine ------------------------------------------------------------------------ */

static int
op_of(const struct lyd_node *e, enum edit_op dflt, enum edit_op *op)
{
	const char *v = nb_meta_value(e, "operation");

	*op = dflt;
	if (!v)
		return 0;
	if (!strcmp(v, "merge"))
		*op = OP_MERGE;
	else if (!strcmp(v, "replace"))
		*op = OP_REPLACE;
	else if (!strcmp(v, "create"))
		*op = OP_CREATE;
	else if (!strcmp(v, "delete"))
		*op = OP_DELETE;
	else if (!strcmp(v, "remove"))
		*op = OP_REMOVE;
	else if (!strcmp(v, "none"))
		*op = OP_NONE;
	else
		return -EINVAL;
	return 0;
}

static int
insert_dup(const struct lyd_node *e, struct lyd_node *parent, struct lyd_node **first,
	   uint32_t flags)
{
	struct lyd_node *dup = NULL;

	if (lyd_dup_single(e, NULL, flags | LYD_DUP_NO_META, &dup))
		return -ENOMEM;
	if (parent) {
		if (lyd_insert_child(parent, dup)) {
			lyd_free_tree(dup);
			return -ENOMEM;
		}
	} else if (lyd_insert_sibling(*first, dup, first)) {
		lyd_free_tree(dup);
		return -ENOMEM;
	}
	return 0;
}

static bool
has_content(const struct lyd_node *n)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(n), c)
		if (!lysc_is_key(c->schema))
			return true;
	return false;
}

static void
free_node(struct lyd_node *m, struct lyd_node **first)
{
	if (first && m == *first)
		*first = (*first)->next;
	lyd_free_tree(m);
}

/* Apply the edit node e under parent (NULL: top level, list *first). Errors go to r; returns
 * 0, or -EINVAL when an operation failed. */
static int
edit_node(struct nb *nb, struct lyd_node *parent, struct lyd_node **first, const struct lyd_node *e,
	  enum edit_op dflt, struct rerrs *r)
{
	struct lyd_node *m = NULL, *sib = parent ? lyd_child(parent) : *first;
	enum edit_op op;
	bool exists, created = false;
	int rc = 0;

	if (lysc_is_key(e->schema))
		return 0;
	if (op_of(e, dflt, &op) < 0) {
		char *p = lyd_path(e, LYD_PATH_STD, NULL, 0);
		rerr_add(r, NC_ERR_BAD_ATTR, p, NULL, "unknown operation '%s'",
			 nb_meta_value(e, "operation"));
		free(p);
		return -EINVAL;
	}
	/* a leaf is the same node whatever its value; lyd_find_sibling_first() compares values */
	if (sib && e->schema->nodetype == LYS_LEAF)
		lyd_find_sibling_val(sib, e->schema, NULL, 0, &m);
	else if (sib)
		lyd_find_sibling_first(sib, e, &m);
	exists = m && !(m->flags & LYD_DEFAULT);
	switch (op) {
	case OP_CREATE:
		if (exists) {
			char *p = lyd_path(m, LYD_PATH_STD, NULL, 0);
			rerr_add(r, NC_ERR_DATA_EXISTS, p, NULL, "%s already exists", p);
			free(p);
			return -EINVAL;
		}
		if (m)
			free_node(m, first);
		return insert_dup(e, parent, first, LYD_DUP_RECURSIVE);
	case OP_DELETE:
	case OP_REMOVE:
		if (!exists) {
			if (op == OP_REMOVE)
				return 0;
			char *p = lyd_path(e, LYD_PATH_STD, NULL, 0);
			rerr_add(r, NC_ERR_DATA_MISSING, p, NULL, "%s does not exist", p);
			free(p);
			return -EINVAL;
		}
		free_node(m, first);
		return 0;
	case OP_REPLACE:
		if (m)
			free_node(m, first);
		return insert_dup(e, parent, first, LYD_DUP_RECURSIVE);
	case OP_MERGE:
	case OP_NONE:
		break;
	}
	if (e->schema->nodetype & LYD_NODE_TERM) {
		if (op == OP_NONE)
			return 0;
		if (!m)
			return insert_dup(e, parent, first, 0);
		if (e->schema->nodetype == LYS_LEAF) {
			LY_ERR lr = lyd_change_term(m, lyd_get_value(e));
			if (lr != LY_SUCCESS && lr != LY_EEXIST && lr != LY_ENOT)
				return -ENOMEM;
			m->flags &= ~LYD_DEFAULT;
		}
		return 0;
	}
	if (e->schema->nodetype & (LYS_ANYDATA | LYS_ANYXML)) {
		if (op == OP_NONE)
			return 0;
		if (m)
			free_node(m, first);
		return insert_dup(e, parent, first, LYD_DUP_RECURSIVE);
	}
	if (!m) {
		struct lyd_node *dup = NULL;
		if (lyd_dup_single(e, NULL, LYD_DUP_NO_META, &dup))
			return -ENOMEM;
		if (parent ? lyd_insert_child(parent, dup)
			   : lyd_insert_sibling(*first, dup, first)) {
			lyd_free_tree(dup);
			return -ENOMEM;
		}
		m = dup;
		created = true;
	}
	m->flags &= ~LYD_DEFAULT;
	const struct lyd_node *c;
	LY_LIST_FOR (lyd_child(e), c) {
		if (edit_node(nb, m, NULL, c, op, r) < 0)
			rc = -EINVAL;
	}
	if (created && op == OP_NONE && !has_content(m))
		free_node(m, first);
	return rc;
}

static int
edit_apply(struct nb *nb, struct lyd_node **tree, const struct lyd_node *edit, enum edit_op dflt,
	   bool continue_on_error, struct rerrs *r)
{
	int rc = 0;

	for (const struct lyd_node *e = edit; e; e = e->next) {
		if (edit_node(nb, NULL, tree, e, dflt, r) < 0) {
			rc = -EINVAL;
			if (!continue_on_error)
				break;
		}
	}
	return rc;
}

/* ---- transactions ----------------------------------------------------------------------- */

/* Validate tree with libyang and run the daemon's prepare; apply (or abort when test). */
static int
transaction(struct nb *nb, struct lyd_node **tree, bool test, struct rerrs *r)
{
	struct nb_errors e = {0};
	void *txn = NULL;
	int rc;

	rc = validate_tree(nb, tree, r);
	if (rc < 0)
		return rc;
	if (!nb->ops.prepare)
		return 0;
	rc = nb->ops.prepare(*tree, &txn, &e, nb->ops.arg);
	if (rc < 0) {
		for (size_t i = 0; i < e.n; i++)
			rerr_add(r, NC_ERR_OP_FAILED, e.v[i].path, NULL, "%s",
				 e.v[i].msg ? e.v[i].msg : "refused");
		if (!e.n)
			rerr_add(r, NC_ERR_OP_FAILED, NULL, NULL, "configuration refused: %s",
				 strerror(-rc));
		nb_errors_fini(&e);
		return rc;
	}
	nb_errors_fini(&e);
	if (test) {
		if (nb->ops.abort)
			nb->ops.abort(txn, nb->ops.arg);
	} else {
		nb->ops.apply(txn, nb->ops.arg);
	}
	return 0;
}

/* Make tree the new running configuration (the daemon has it already). */
static void
set_running(struct nb *nb, struct lyd_node *tree)
{
	lyd_free_all(nb->running);
	nb->running = tree;
	nb->n_commits++;
	save(nb, NB_DS_RUNNING);
	if (!nb->candidate_dirty) {
		lyd_free_all(nb->candidate);
		nb->candidate = NULL;
		if (tree)
			lyd_dup_siblings(tree, NULL, LYD_DUP_RECURSIVE, &nb->candidate);
	}
}

static void
set_candidate(struct nb *nb, struct lyd_node *tree)
{
	lyd_free_all(nb->candidate);
	nb->candidate = tree;
	nb->candidate_dirty = true;
	save(nb, NB_DS_CANDIDATE);
}

static bool
locked_by_other(struct nb *nb, enum nb_ds ds, struct nc_session *s)
{
	return nb->lock[ds] && nb->lock[ds] != nc_session_get_id(s);
}

static struct nc_server_reply *
in_use(struct nb *nb, enum nb_ds ds)
{
	return nb_reply_msg(nb, NC_ERR_IN_USE, NULL, "%s is locked by session %u", ds_names[ds],
			    nb->lock[ds]);
}

/* ---- operations ------------------------------------------------------------------------- */

struct nc_server_reply *
nb_rpc_edit(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	const struct lyd_node *c, *config = NULL;
	struct lyd_node *edit = NULL, *tree = NULL;
	enum edit_op dflt = OP_MERGE;
	bool test_only = false, cont = false, replace_all = false;
	struct rerrs r = {0};
	int ds = ds_arg(rpc, "target", NULL);

	if (ds != NB_DS_RUNNING && ds != NB_DS_CANDIDATE)
		return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED, "/ietf-netconf:edit-config/target",
				    "edit-config targets running or candidate");
	if (locked_by_other(nb, ds, s))
		return in_use(nb, ds);
	LY_LIST_FOR (lyd_child(rpc), c) {
		const char *n = LYD_NAME(c), *v = lyd_get_value(c);
		if (!strcmp(n, "default-operation")) {
			if (!strcmp(v, "replace"))
				replace_all = true;
			else if (!strcmp(v, "none"))
				dflt = OP_NONE;
		} else if (!strcmp(n, "test-option")) {
			test_only = !strcmp(v, "test-only");
		} else if (!strcmp(n, "error-option")) {
			cont = !strcmp(v, "continue-on-error");
		} else if (!strcmp(n, "config")) {
			config = c;
		} else if (!strcmp(n, "url")) {
			return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED,
					    "/ietf-netconf:edit-config/url",
					    ":url is not supported");
		}
	}
	if (!config)
		return nb_reply_msg(nb, NC_ERR_MISSING_ELEM, "/ietf-netconf:edit-config",
				    "no <config>");
	if (parse_config(nb, config, true, &edit, &r) < 0)
		goto fail;
	if (!replace_all && ds_copy(nb, ds, &tree, &r) < 0)
		goto fail;
	if (edit_apply(nb, &tree, edit, OP_MERGE == dflt ? OP_MERGE : dflt, cont, &r) < 0 && !cont)
		goto fail;
	if (ds == NB_DS_RUNNING) {
		struct rerrs tr = {0};
		if (transaction(nb, &tree, test_only, &tr) < 0) {
			for (size_t i = 0; i < tr.n && r.n < NB_MAX_ERRORS; i++)
				r.v[r.n++] = tr.v[i];
			goto fail;
		}
		if (!test_only) {
			set_running(nb, tree);
			tree = NULL;
		}
	} else {
		struct rerrs vr = {0};
		struct lyd_node *v = NULL;
		/* keep the validated form (defaults, the other case removed) when it is valid */
		if (tree && lyd_dup_siblings(tree, NULL, LYD_DUP_RECURSIVE, &v) == LY_SUCCESS &&
		    validate_tree(nb, &v, &vr) == 0) {
			lyd_free_all(tree);
			tree = v;
			v = NULL;
		} else if (test_only) {
			lyd_free_all(v);
			for (size_t i = 0; i < vr.n && r.n < NB_MAX_ERRORS; i++)
				r.v[r.n++] = vr.v[i];
			goto fail;
		}
		lyd_free_all(v);
		rerrs_fini(&vr);
		if (!test_only) {
			set_candidate(nb, tree);
			tree = NULL;
		}
	}
	lyd_free_all(edit);
	lyd_free_all(tree);
	if (r.n)
		return reply_rerrs(nb, &r);
	return nc_server_reply_ok();
fail:
	lyd_free_all(edit);
	lyd_free_all(tree);
	return reply_rerrs(nb, &r);
}

static struct nc_server_reply *
source_tree(struct nb *nb, struct lyd_node *rpc, struct lyd_node **tree, int *src)
{
	const struct lyd_node *config;
	struct rerrs r = {0};

	*tree = NULL;
	*src = ds_arg(rpc, "source", &config);
	if (*src < 0)
		return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED, NULL,
				    "the source is running, candidate, startup or <config>");
	if (*src == NB_DS_COUNT) {
		if (parse_config(nb, config, false, tree, &r) < 0)
			return reply_rerrs(nb, &r);
		for (struct lyd_node *n = *tree, *c; n; n = n->next)
			LYD_TREE_DFS_BEGIN (n, c) {
				if (nb_meta_value(c, "operation")) {
					char *p = lyd_path(c, LYD_PATH_STD, NULL, 0);
					rerr_add(&r, NC_ERR_BAD_ATTR, p, NULL,
						 "operation attribute outside edit-config");
					free(p);
				}
				LYD_TREE_DFS_END(n, c);
			}
		if (r.n) {
			lyd_free_all(*tree);
			*tree = NULL;
			return reply_rerrs(nb, &r);
		}
		return NULL;
	}
	if (ds_copy(nb, *src, tree, &r) < 0)
		return reply_rerrs(nb, &r);
	return NULL;
}

struct nc_server_reply *
nb_rpc_copy(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	struct nc_server_reply *rep;
	struct lyd_node *tree;
	struct rerrs r = {0};
	int src, ds = ds_arg(rpc, "target", NULL);

	if (ds < 0 || ds >= NB_DS_COUNT)
		return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED, "/ietf-netconf:copy-config/target",
				    "copy-config targets running, candidate or startup");
	if (locked_by_other(nb, ds, s))
		return in_use(nb, ds);
	rep = source_tree(nb, rpc, &tree, &src);
	if (rep)
		return rep;
	if (src == ds) {
		lyd_free_all(tree);
		return nb_reply_msg(nb, NC_ERR_INVALID_VALUE, NULL,
				    "source and target are the same datastore");
	}
	switch (ds) {
	case NB_DS_RUNNING:
		if (transaction(nb, &tree, false, &r) < 0)
			goto fail;
		set_running(nb, tree);
		break;
	case NB_DS_CANDIDATE:
		set_candidate(nb, tree);
		break;
	case NB_DS_STARTUP: {
		int rc;
		if (validate_tree(nb, &tree, &r) < 0)
			goto fail;
		rc = write_tree(nb->startup_path, tree);
		lyd_free_all(tree);
		if (rc < 0)
			return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "%s: %s", nb->startup_path,
					    strerror(-rc));
		break;
	}
	}
	return nc_server_reply_ok();
fail:
	lyd_free_all(tree);
	return reply_rerrs(nb, &r);
}

struct nc_server_reply *
nb_rpc_delete(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	int rc, ds = ds_arg(rpc, "target", NULL);

	if (ds != NB_DS_STARTUP)
		return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED,
				    "/ietf-netconf:delete-config/target",
				    "delete-config deletes startup only");
	if (locked_by_other(nb, ds, s))
		return in_use(nb, ds);
	rc = write_tree(nb->startup_path, NULL);
	if (rc < 0)
		return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "%s: %s", nb->startup_path,
				    strerror(-rc));
	return nc_server_reply_ok();
}

struct nc_server_reply *
nb_rpc_validate(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	struct nc_server_reply *rep;
	struct lyd_node *tree;
	struct rerrs r = {0};
	int src;

	rep = source_tree(nb, rpc, &tree, &src);
	if (rep)
		return rep;
	if (transaction(nb, &tree, true, &r) < 0) {
		lyd_free_all(tree);
		return reply_rerrs(nb, &r);
	}
	lyd_free_all(tree);
	return nc_server_reply_ok();
}

struct nc_server_reply *
nb_rpc_commit(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *tree = NULL;
	struct rerrs r = {0};
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(rpc), c)
		if (!strcmp(LYD_NAME(c), "confirmed"))
			return nb_reply_msg(nb, NC_ERR_OP_NOT_SUPPORTED, NULL,
					    "confirmed commit is not supported");
	if (locked_by_other(nb, NB_DS_RUNNING, s))
		return in_use(nb, NB_DS_RUNNING);
	if (nb->candidate && lyd_dup_siblings(nb->candidate, NULL, LYD_DUP_RECURSIVE, &tree))
		return nb_reply_msg(nb, NC_ERR_RES_DENIED, NULL, "out of memory");
	if (transaction(nb, &tree, false, &r) < 0) {
		lyd_free_all(tree);
		return reply_rerrs(nb, &r);
	}
	nb->candidate_dirty = false;
	set_running(nb, tree);
	save(nb, NB_DS_CANDIDATE);
	return nc_server_reply_ok();
}

static void
discard(struct nb *nb)
{
	char path[4400];

	lyd_free_all(nb->candidate);
	nb->candidate = NULL;
	if (nb->running)
		lyd_dup_siblings(nb->running, NULL, LYD_DUP_RECURSIVE, &nb->candidate);
	nb->candidate_dirty = false;
	snprintf(path, sizeof(path), "%s/candidate.json", nb->nc_dir);
	unlink(path);
}

struct nc_server_reply *
nb_rpc_discard(struct nb *nb, struct lyd_node *rpc, struct nc_session *s)
{
	if (locked_by_other(nb, NB_DS_CANDIDATE, s))
		return in_use(nb, NB_DS_CANDIDATE);
	discard(nb);
	return nc_server_reply_ok();
}

struct nc_server_reply *
nb_rpc_lock(struct nb *nb, struct lyd_node *rpc, struct nc_session *s, bool lock)
{
	int ds = ds_arg(rpc, "target", NULL);
	uint32_t sid = nc_session_get_id(s);

	if (ds < 0 || ds >= NB_DS_COUNT)
		return nb_reply_msg(nb, NC_ERR_INVALID_VALUE, NULL, "no such datastore");
	if (lock) {
		if (nb->lock[ds]) {
			struct lyd_node *e = nc_err(nb->ctx, NC_ERR_LOCK_DENIED, nb->lock[ds]);
			char msg[128];
			snprintf(msg, sizeof(msg), "%s is locked by session %u", ds_names[ds],
				 nb->lock[ds]);
			nc_err_set_msg(e, msg, "en");
			return nc_server_reply_err(e);
		}
		if (ds == NB_DS_CANDIDATE && nb->candidate_dirty) {
			struct lyd_node *e = nc_err(nb->ctx, NC_ERR_LOCK_DENIED, 0);
			nc_err_set_msg(e,
				       "candidate has uncommitted changes; commit or discard them",
				       "en");
			return nc_server_reply_err(e);
		}
		nb->lock[ds] = sid;
		return nc_server_reply_ok();
	}
	if (nb->lock[ds] != sid)
		return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "%s is not locked by this session",
				    ds_names[ds]);
	nb->lock[ds] = 0;
	return nc_server_reply_ok();
}

void
nb_ds_release(struct nb *nb, uint32_t sid)
{
	for (int i = 0; i < NB_DS_COUNT; i++)
		if (nb->lock[i] == sid) {
			nb->lock[i] = 0;
			if (i == NB_DS_CANDIDATE)
				discard(nb);
		}
}

/* ---- filters ---------------------------------------------------------------------------- */

static const char *
node_module(struct nb *nb, const struct lyd_node *n)
{
	if (n->schema)
		return n->schema->module->name;
	const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)n;
	if (o->format == LY_VALUE_XML && o->name.module_ns) {
		const struct lys_module *m =
			ly_ctx_get_module_implemented_ns(nb->ctx, o->name.module_ns);
		return m ? m->name : NULL;
	}
	return o->name.module_name;
}

static bool
blank(const char *v)
{
	if (!v)
		return true;
	for (; *v; v++)
		if (!strchr(" \t\r\n", *v))
			return false;
	return true;
}

struct paths {
	char **v;
	size_t n;
};

static int
paths_add(struct paths *p, const char *s)
{
	char **v = realloc(p->v, (p->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->v = v;
	if (!(p->v[p->n] = strdup(s)))
		return -ENOMEM;
	p->n++;
	return 0;
}

static char *
quote(const char *v)
{
	char *s = NULL;

	if (asprintf(&s, strchr(v, '\'') ? "\"%s\"" : "'%s'", v) < 0)
		return NULL;
	return s;
}

/* RFC 6241 section 6: a subtree filter as XPath expressions, one per selected subtree. */
static int
subtree_paths(struct nb *nb, const struct lyd_node *f, const char *prefix, struct paths *p)
{
	const char *mod = node_module(nb, f);
	const struct lyd_node *c;
	char *base = NULL, *preds = strdup(""), *tmp;
	bool more = false;
	int rc = 0;

	if (!mod || !preds) {
		free(preds);
		return 0; /* unknown namespace: selects nothing */
	}
	LY_LIST_FOR (lyd_child(f), c) {
		const char *cm = node_module(nb, c);
		if (lyd_child(c) || blank(lyd_get_value(c))) {
			more = true;
			continue;
		}
		char *q = quote(lyd_get_value(c));
		if (!cm || !q || asprintf(&tmp, "%s[%s:%s=%s]", preds, cm, LYD_NAME(c), q) < 0) {
			free(q);
			free(preds);
			return cm ? -ENOMEM : 0;
		}
		free(q);
		free(preds);
		preds = tmp;
	}
	if (asprintf(&base, "%s/%s:%s%s", prefix, mod, LYD_NAME(f), preds) < 0) {
		free(preds);
		return -ENOMEM;
	}
	free(preds);
	if (!more) {
		rc = paths_add(p, base);
		free(base);
		return rc;
	}
	LY_LIST_FOR (lyd_child(f), c) {
		const char *cm = node_module(nb, c);
		if (!cm)
			continue;
		if (lyd_child(c)) {
			rc = subtree_paths(nb, c, base, p);
		} else {
			if (asprintf(&tmp, "%s/%s:%s", base, cm, LYD_NAME(c)) < 0) {
				rc = -ENOMEM;
			} else {
				rc = paths_add(p, tmp);
				free(tmp);
			}
		}
		if (rc < 0)
			break;
	}
	free(base);
	return rc;
}

static int
select_xpath(struct nb *nb, const struct lyd_node *data, const char *xpath, struct lyd_node **out)
{
	struct ly_set *set = NULL;
	int rc = 0;

	if (!data)
		return 0;
	if (lyd_find_xpath(data, xpath, &set)) {
		ly_err_clean(nb->ctx, NULL);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < set->count; i++) {
		struct lyd_node *dup = NULL, *top;
		if (lyd_dup_single(set->dnodes[i], NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS,
				   &dup)) {
			rc = -ENOMEM;
			break;
		}
		for (top = dup; lyd_parent(top); top = lyd_parent(top))
			;
		if (lyd_merge_siblings(out, top, LYD_MERGE_DESTRUCT)) {
			rc = -ENOMEM;
			break;
		}
	}
	ly_set_free(set, NULL);
	return rc;
}

int
nb_filter(struct nb *nb, const struct lyd_node *data, const struct lyd_node *filter,
	  const char *xpath, struct lyd_node **out)
{
	struct paths p = {0};
	int rc = 0;

	*out = NULL;
	if (xpath)
		return select_xpath(nb, data, xpath, out);
	if (!filter)
		return 0;
	const struct lyd_node_any *any = (const struct lyd_node_any *)filter;
	if (filter->schema && (filter->schema->nodetype & LYD_NODE_ANY)) {
		if (any->value_type != LYD_ANYDATA_DATATREE)
			return 0;
		for (const struct lyd_node *f = any->value.tree; f && rc == 0; f = f->next)
			rc = subtree_paths(nb, f, "", &p);
	}
	for (size_t i = 0; i < p.n && rc >= 0; i++) {
		int r = select_xpath(nb, data, p.v[i], out);
		if (r == -ENOMEM)
			rc = r;
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
	return rc;
}

/* ---- get, get-config -------------------------------------------------------------------- */

static void
add_state(struct nb *nb, struct lyd_node **data)
{
	struct lyd_node *yl = NULL, *nm = NULL;
	char buf[64];

	if (nb->ops.get_state)
		nb->ops.get_state(nb->ctx, data, nb->ops.arg);
	if (ly_ctx_get_yanglib_data(nb->ctx, &yl, "%u", ly_ctx_get_change_count(nb->ctx)) ==
	    LY_SUCCESS)
		lyd_insert_sibling(*data, yl, data);
	/* ietf-netconf-monitoring: what get-schema serves */
	const struct lys_module *mon =
		ly_ctx_get_module_implemented(nb->ctx, "ietf-netconf-monitoring");
	if (mon && lyd_new_inner(NULL, mon, "netconf-state", 0, &nm) == LY_SUCCESS) {
		uint32_t idx = 0;
		const struct lys_module *m;
		while ((m = ly_ctx_get_module_iter(nb->ctx, &idx))) {
			char path[512];
			snprintf(path, sizeof(path),
				 "/ietf-netconf-monitoring:netconf-state/schemas/"
				 "schema[identifier='%s'][version='%s'][format='yang']/namespace",
				 m->name, m->revision ? m->revision : "");
			lyd_new_path(nm, NULL, path, m->ns, 0, NULL);
			snprintf(path, sizeof(path),
				 "/ietf-netconf-monitoring:netconf-state/schemas/"
				 "schema[identifier='%s'][version='%s'][format='yang']/location",
				 m->name, m->revision ? m->revision : "");
			lyd_new_path(nm, NULL, path, "NETCONF", 0, NULL);
		}
		for (int i = 0; i < NB_DS_COUNT; i++) {
			char path[256];
			snprintf(path, sizeof(path),
				 "/ietf-netconf-monitoring:netconf-state/datastores/"
				 "datastore[name='%s']",
				 ds_names[i]);
			lyd_new_path(nm, NULL, path, NULL, 0, NULL);
		}
		lyd_insert_sibling(*data, nm, data);
	}
	/* RFC 5277 streams */
	snprintf(buf, sizeof(buf), "false");
	struct lyd_node *st = NULL;
	if (lyd_new_path(NULL, nb->ctx,
			 "/nc-notifications:netconf/streams/stream[name='NETCONF']/description",
			 "mudgated events: device state changes, MUD fetch and verification "
			 "failures",
			 0, &st) == LY_SUCCESS) {
		lyd_new_path(
			st, NULL,
			"/nc-notifications:netconf/streams/stream[name='NETCONF']/replaySupport",
			buf, 0, NULL);
		lyd_insert_sibling(*data, st, data);
	}
}

struct nc_server_reply *
nb_rpc_get(struct nb *nb, struct lyd_node *rpc, struct nc_session *s, bool config_only)
{
	struct lyd_node *data = NULL, *sel = NULL, *out = NULL, *c;
	const struct lyd_node *filter = NULL;
	const char *xpath = NULL;
	struct rerrs r = {0};
	NC_WD_MODE wd = NC_WD_EXPLICIT;
	int ds = NB_DS_RUNNING;

	if (config_only) {
		ds = ds_arg(rpc, "source", NULL);
		if (ds < 0 || ds >= NB_DS_COUNT)
			return nb_reply_msg(nb, NC_ERR_INVALID_VALUE,
					    "/ietf-netconf:get-config/source", "no such datastore");
	}
	LY_LIST_FOR (lyd_child(rpc), c) {
		if (!strcmp(LYD_NAME(c), "filter")) {
			const char *type = nb_meta_value(c, "type");
			if (type && !strcmp(type, "xpath")) {
				xpath = nb_meta_value(c, "select");
				if (!xpath)
					return nb_reply_msg(nb, NC_ERR_MISSING_ATTR, NULL,
							    "xpath filter without select");
			} else {
				filter = c;
			}
		} else if (!strcmp(LYD_NAME(c), "with-defaults")) {
			const char *v = lyd_get_value(c);
			wd = !strcmp(v, "report-all")          ? NC_WD_ALL
			     : !strcmp(v, "report-all-tagged") ? NC_WD_ALL_TAG
			     : !strcmp(v, "trim")              ? NC_WD_TRIM
							       : NC_WD_EXPLICIT;
		}
	}
	if (ds_copy(nb, ds, &data, &r) < 0)
		return reply_rerrs(nb, &r);
	if (ds == NB_DS_STARTUP && data)
		validate_tree(nb, &data, &r), rerrs_fini(&r);
	if (!config_only)
		add_state(nb, &data);
	if (filter || xpath) {
		int rc = nb_filter(nb, data, filter, xpath, &sel);
		lyd_free_all(data);
		if (rc == -EINVAL)
			return nb_reply_msg(nb, NC_ERR_INVALID_VALUE, NULL,
					    "XPath filter '%s' does not compile (prefixes are "
					    "module names, e.g. /mudgate:mudgate-state)",
					    xpath ? xpath : "");
		if (rc < 0)
			return nb_reply_msg(nb, NC_ERR_RES_DENIED, NULL, "out of memory");
		data = sel;
	}
	if (lyd_new_inner(NULL, ly_ctx_get_module_implemented(nb->ctx, "ietf-netconf"),
			  LYD_NAME(rpc), 0, &out) ||
	    lyd_new_any(out, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1, NULL)) {
		lyd_free_all(data);
		lyd_free_tree(out);
		return nb_reply_msg(nb, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
	}
	(void)s;
	return nc_server_reply_data(out, wd, NC_PARAMTYPE_FREE);
}
