/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libyang adapter: every libyang call of control/mud and control/compile goes through
 * here, LY_ERR codes become negative errnos and libyang's error records become diagnostics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "mudf.h"
#include "mudf_int.h"

#ifndef MG_YANG_INSTALL_DIR
#define MG_YANG_INSTALL_DIR "/usr/share/mudgate/yang"
#endif
#ifndef MG_YANG_SOURCE_DIR
#define MG_YANG_SOURCE_DIR "yang"
#endif

struct mudf_ctx {
	struct ly_ctx *ly;
};

/* libyang logs to stderr by default; while we call it, errors are only stored. */
static __thread uint32_t quiet_opts = LY_LOSTORE;

static void
quiet_begin(struct ly_ctx *ly)
{
	ly_temp_log_options(&quiet_opts);
	if (ly)
		ly_err_clean(ly, NULL);
}

static void
quiet_end(void)
{
	ly_temp_log_options(NULL);
}

static int
ly_errno(LY_ERR e)
{
	switch (e) {
	case LY_SUCCESS:
		return 0;
	case LY_EMEM:
		return -ENOMEM;
	case LY_ENOTFOUND:
		return -ENOENT;
	case LY_EEXIST:
		return -EEXIST;
	case LY_ESYS:
		return -EIO;
	default:
		return -EINVAL;
	}
}

const char *
mudf_yang_dir(void)
{
	const char *env = getenv("MUDGATE_YANG_DIR");

	if (env && *env)
		return env;
	if (!access(MG_YANG_INSTALL_DIR "/ietf-mud@2019-01-28.yang", R_OK))
		return MG_YANG_INSTALL_DIR;
	return MG_YANG_SOURCE_DIR;
}

static void
first_ly_error(struct ly_ctx *ly, const char *what, char *errbuf, size_t errbuf_size)
{
	struct ly_err_item *e = ly ? ly_err_first(ly) : NULL;

	if (!errbuf_size)
		return;
	if (e && e->msg)
		snprintf(errbuf, errbuf_size, "%s: %s", what, e->msg);
	else
		snprintf(errbuf, errbuf_size, "%s", what);
}

int
mudf_ly_load_module(struct mudf_ctx *c, const char *name, char *errbuf, size_t errbuf_size)
{
	static const char *all[] = {"*", NULL};
	char what[128];
	int ret = 0;

	quiet_begin(c->ly);
	if (!ly_ctx_load_module(c->ly, name, NULL, all)) {
		snprintf(what, sizeof(what), "cannot load YANG module %s from %s", name,
			 ly_ctx_get_searchdirs(c->ly) && ly_ctx_get_searchdirs(c->ly)[0]
				 ? ly_ctx_get_searchdirs(c->ly)[0]
				 : "?");
		first_ly_error(c->ly, what, errbuf, errbuf_size);
		ret = -ENOENT;
	}
	quiet_end();
	return ret;
}

struct mudf_ctx *
mudf_ctx_create(const char *yang_dir, char *errbuf, size_t errbuf_size)
{
	static const char *modules[] = {"ietf-access-control-list", "ietf-mud", "ietf-acldns",
					"ietf-packet-fields", "ietf-ethertypes"};
	struct mudf_ctx *c = calloc(1, sizeof(*c));
	LY_ERR e;
	int ret;

	if (!c) {
		snprintf(errbuf, errbuf_size, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (!yang_dir)
		yang_dir = mudf_yang_dir();
	/* some libyang paths reset the thread's temporary options: store, never print */
	ly_log_options(LY_LOSTORE);
	quiet_begin(NULL);
	e = ly_ctx_new(yang_dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &c->ly);
	quiet_end();
	if (e != LY_SUCCESS) {
		snprintf(errbuf, errbuf_size, "cannot create a libyang context for %s", yang_dir);
		ret = ly_errno(e);
		goto out_free;
	}
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		ret = mudf_ly_load_module(c, modules[i], errbuf, errbuf_size);
		if (ret < 0)
			goto out_ctx;
	}
	return c;

out_ctx:
	ly_ctx_destroy(c->ly);
out_free:
	free(c);
	errno = -ret;
	return NULL;
}

void
mudf_ctx_destroy(struct mudf_ctx *c)
{
	if (!c)
		return;
	ly_ctx_destroy(c->ly);
	free(c);
}

struct ly_ctx *
mudf_ctx_get0_ly(struct mudf_ctx *c)
{
	return c->ly;
}

bool
mudf_ly_has_module(struct mudf_ctx *c, const char *name, size_t len)
{
	char buf[128];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return ly_ctx_get_module_implemented(c->ly, buf) != NULL;
}

/*
 * libyang's error path is a data path, or text like 'Schema location "/m:a/b".' or
 * 'Schema location "/m:a", data location "/m:a[k='x']".'; keep the most precise path.
 */
static void
clean_path(const char *raw, char *buf, size_t size)
{
	const char *p, *q;

	snprintf(buf, size, "/");
	if (!raw || !*raw)
		return;
	if (raw[0] == '/') {
		snprintf(buf, size, "%s", raw);
		return;
	}
	p = strstr(raw, "ata location \"");
	if (!p)
		p = strstr(raw, "chema location \"");
	if (!p)
		return;
	p = strchr(p, '"') + 1;
	q = strchr(p, '"');
	if (!q)
		return;
	snprintf(buf, size, "%.*s", (int)(q - p), p);
}

int
mudf_ly_parse_json(struct mudf_ctx *c, const char *text, struct lyd_node **tree,
		   struct mudf_diags *d)
{
	struct ly_err_item *e;
	LY_ERR r;
	int ret;

	*tree = NULL;
	quiet_begin(c->ly);
	r = lyd_parse_data_mem(c->ly, text, LYD_JSON, LYD_PARSE_STRICT, LYD_VALIDATE_PRESENT, tree);
	ret = ly_errno(r);
	if (r != LY_SUCCESS) {
		size_t n = 0;

		for (e = ly_err_first(c->ly); e; e = e->next) {
			char path[1024];

			if (e->level != LY_LLERR)
				continue;
			clean_path(e->path, path, sizeof(path));
			mudf_diag_add(d, MUDF_ERROR, path, "%s", e->msg ? e->msg : "invalid");
			n++;
		}
		if (!n)
			mudf_diag_add(d, MUDF_ERROR, "/", "YANG validation failed");
		lyd_free_all(*tree);
		*tree = NULL;
	}
	ly_err_clean(c->ly, NULL);
	quiet_end();
	return ret;
}

char *
mudf_ly_path(const struct lyd_node *node)
{
	return lyd_path(node, LYD_PATH_STD, NULL, 0);
}
