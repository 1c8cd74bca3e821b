/* SPDX-License-Identifier: BSD-3-Clause */
/* MUD files: read (bounded), JSON, structural pass, libyang, and the parsed summary. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libyang/libyang.h>

#include "mudf.h"
#include "mudf_int.h"

int
mudf_url_authority(const char *url, char *buf, size_t size)
{
	const char *a, *e;
	size_t n;

	if (strncasecmp(url, "https://", 8))
		return -EINVAL;
	a = url + 8;
	e = a + strcspn(a, "/?#");
	n = (size_t)(e - a);
	if (!n || n >= size || memchr(a, '@', n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)a[i];

		if (ch <= ' ' || ch >= 0x7f)
			return -EINVAL;
		buf[i] = (char)tolower(ch);
	}
	buf[n] = '\0';
	if (buf[0] == ':')
		return -EINVAL;
	return 0;
}

void
mudf_file_destroy(struct mudf_file *f)
{
	if (!f)
		return;
	lyd_free_all(f->tree);
	free(f->mud_url);
	free(f->authority);
	free(f->mud_signature);
	free(f->last_update);
	free(f->systeminfo);
	free(f->mfg_name);
	free(f->model_name);
	free(f->documentation);
	for (size_t i = 0; i < f->n_from; i++)
		free(f->from_acls[i]);
	free(f->from_acls);
	for (size_t i = 0; i < f->n_to; i++)
		free(f->to_acls[i]);
	free(f->to_acls);
	free(f);
}

/* Value of the leaf at xpath (absolute), NULL when absent. */
static const char *
leaf_value(const struct lyd_node *tree, const char *xpath)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(tree, xpath, 0, &n) != LY_SUCCESS || !n)
		return NULL;
	return lyd_get_value(n);
}

static int
dup_leaf(const struct lyd_node *tree, const char *xpath, char **out)
{
	const char *v = leaf_value(tree, xpath);

	*out = NULL;
	if (!v)
		return 0;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

static int
policy_names(const struct lyd_node *tree, const char *policy, char ***names, size_t *n)
{
	char xpath[128];
	struct ly_set *set = NULL;
	int ret = 0;

	*names = NULL;
	*n = 0;
	snprintf(xpath, sizeof(xpath), "/ietf-mud:mud/%s/access-lists/access-list/name", policy);
	if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return -ENOMEM;
	if (!set->count)
		goto out;
	*names = calloc(set->count, sizeof(**names));
	if (!*names) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < set->count; i++) {
		(*names)[i] = strdup(lyd_get_value(set->dnodes[i]));
		if (!(*names)[i]) {
			ret = -ENOMEM;
			goto out;
		}
		(*n)++;
	}
out:
	ly_set_free(set, NULL);
	return ret;
}

static int
summarise(struct mudf_file *f)
{
	char auth[256];
	const char *v;
	int ret;

	if ((ret = dup_leaf(f->tree, "/ietf-mud:mud/mud-url", &f->mud_url)) ||
	    (ret = dup_leaf(f->tree, "/ietf-mud:mud/mud-signature", &f->mud_signature)) ||
	    (ret = dup_leaf(f->tree, "/ietf-mud:mud/last-update", &f->last_update)) ||
	    (ret = dup_leaf(f->tree, "/ietf-mud:mud/systeminfo", &f->systeminfo)) ||
	    (ret = dup_leaf(f->tree, "/ietf-mud:mud/mfg-name", &f->mfg_name)) ||
	    (ret = dup_leaf(f->tree, "/ietf-mud:mud/model-name", &f->model_name)) ||
	    (ret = dup_leaf(f->tree, "/ietf-mud:mud/documentation", &f->documentation)))
		return ret;
	if (!f->mud_url || mudf_url_authority(f->mud_url, auth, sizeof(auth)) < 0)
		return -EINVAL; /* the structural pass and YANG guarantee both */
	f->authority = strdup(auth);
	if (!f->authority)
		return -ENOMEM;
	v = leaf_value(f->tree, "/ietf-mud:mud/cache-validity");
	f->cache_validity = v ? (uint8_t)atoi(v) : 48;
	v = leaf_value(f->tree, "/ietf-mud:mud/is-supported");
	f->is_supported = v && !strcmp(v, "true");
	if ((ret = policy_names(f->tree, "from-device-policy", &f->from_acls, &f->n_from)) ||
	    (ret = policy_names(f->tree, "to-device-policy", &f->to_acls, &f->n_to)))
		return ret;
	return 0;
}

int
mudf_parse(struct mudf_ctx *c, const void *buf, size_t size, const struct mudf_opts *opts,
	   struct mudf_file **out, struct mudf_diags *d)
{
	size_t max = opts && opts->max_size ? opts->max_size : MUDF_MAX_SIZE;
	bool lenient = opts && (opts->flags & MUDF_LENIENT);
	struct mudf_file *f = NULL;
	json_t *root = NULL;
	char *text = NULL;
	bool strict_deviations;
	json_error_t jerr;
	int ret;

	*out = NULL;
	if (size > max) {
		mudf_diag_add(d, MUDF_ERROR, "/",
			      "file is %zu bytes, larger than the %zu-byte limit", size, max);
		return -EFBIG;
	}
	root = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_stack_overflow)
			mudf_diag_add(d, MUDF_ERROR, "/", "JSON nesting deeper than %d levels",
				      MUDF_MAX_DEPTH);
		else if (json_error_code(&jerr) == json_error_out_of_memory)
			return -ENOMEM;
		else
			mudf_diag_add(d, MUDF_ERROR, "/", "invalid JSON at line %d, column %d: %s",
				      jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	ret = mudf_json_check(c, root, lenient, d);
	if (ret < 0)
		goto out;
	strict_deviations = ret > 0;
	text = json_dumps(root, JSON_COMPACT);
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mudf_ly_parse_json(c, text, &f->tree, d);
	if (ret < 0)
		goto out;
	if (strict_deviations) {
		ret = -EINVAL;
		goto out;
	}
	ret = summarise(f);
	if (ret < 0) {
		if (ret == -EINVAL)
			mudf_diag_add(d, MUDF_ERROR, "/ietf-mud:mud/mud-url", "no usable MUD URL");
		goto out;
	}
	*out = f;
	f = NULL;
out:
	mudf_file_destroy(f);
	free(text);
	json_decref(root);
	return ret;
}

int
mudf_load(struct mudf_ctx *c, const char *path, const struct mudf_opts *opts,
	  struct mudf_file **out, struct mudf_diags *d)
{
	size_t max = opts && opts->max_size ? opts->max_size : MUDF_MAX_SIZE;
	size_t len = 0, cap = max + 1;
	char *buf = NULL;
	struct stat st = {0};
	int fd, ret;

	*out = NULL;
	errno = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		mudf_diag_add(d, MUDF_ERROR, "/", "cannot open: %s", strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		ret = errno && !S_ISDIR(st.st_mode) ? -errno : -EISDIR;
		mudf_diag_add(d, MUDF_ERROR, "/", "cannot read: %s", strerror(-ret));
		goto out;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		mudf_diag_add(d, MUDF_ERROR, "/",
			      "file is %zu bytes, larger than the %zu-byte limit",
			      (size_t)st.st_size, max);
		ret = -EFBIG;
		goto out;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			mudf_diag_add(d, MUDF_ERROR, "/", "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			mudf_diag_add(d, MUDF_ERROR, "/", "file is larger than the %zu-byte limit",
				      max);
			ret = -EFBIG;
			goto out;
		}
	}
	ret = mudf_parse(c, buf, len, opts, out, d);
out:
	free(buf);
	close(fd);
	return ret;
}
