/* SPDX-License-Identifier: BSD-3-Clause */
/* Diagnostics of MUD and site files: "FILE: PATH: message". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mudf.h"

int
mudf_diags_init(struct mudf_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = strdup(file ? file : "-");
	return d->file ? 0 : -ENOMEM;
}

void
mudf_diags_fini(struct mudf_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

/* Collapse runs of white space (libyang messages carry the YANG file's line breaks). */
static void
squeeze_space(char *s)
{
	char *w = s;
	bool space = false;

	for (char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\n' || *r == '\t' || *r == '\r') {
			space = true;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

int
mudf_diag_vadd(struct mudf_diags *d, enum mudf_severity sev, const char *path, const char *fmt,
	       va_list ap)
{
	struct mudf_diag *x;
	char *msg = NULL;
	int ret = -ENOMEM;

	if (sev == MUDF_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct mudf_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			goto out;
		d->v = v;
		d->cap = cap;
	}
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
		goto out;
	}
	squeeze_space(msg);
	x = &d->v[d->n];
	x->severity = sev;
	x->msg = msg;
	x->path = strdup(path && *path ? path : "/");
	if (!x->path)
		goto out;
	msg = NULL;
	d->n++;
	ret = 0;
out:
	free(msg);
	return ret;
}

int
mudf_diag_add(struct mudf_diags *d, enum mudf_severity sev, const char *path, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = mudf_diag_vadd(d, sev, path, fmt, ap);
	va_end(ap);
	return ret;
}

void
mudf_diags_print(const struct mudf_diags *d, FILE *f, bool errors_only)
{
	for (size_t i = 0; i < d->n; i++) {
		if (errors_only && d->v[i].severity != MUDF_ERROR)
			continue;
		fprintf(f, "%s: %s: %s\n", d->file ? d->file : "-", d->v[i].path, d->v[i].msg);
	}
}

long
mudf_diags_first_error(const struct mudf_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == MUDF_ERROR)
			return (long)i;
	return -1;
}
