/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudc compile [--lenient] [--site SITE.json] --device MAC=MUDFILE ... -o IMAGE
 *
 * Every distinct MUD file becomes one policy (named by its MUD URL); devices sharing a file
 * share the policy. Devices are bound in state enforced. Profiles and allowances come from
 * the site (defaults without one). Diagnostics: "FILE: JSON-PATH: reason" on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile/cmp.h"
#include "compile/site.h"
#include "mg_image.h"
#include "mud/mudf.h"
#include "mudc.h"
#include "mg_file.h"

struct device_arg {
	uint8_t mac[6];
	const char *file;
	size_t unit; /* index into the MUD file list */
};

struct mud_unit {
	const char *file;
	struct mudf_file *f;
	uint32_t policy;
};

static int
usage(void)
{
	fprintf(stderr, "usage: mudc compile [--lenient] [--site SITE.json] --device MAC=MUDFILE "
			"... -o IMAGE\n");
	return MUDC_USAGE;
}

static int
parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	unsigned int b[6];
	char buf[18];
	int n = 0;

	if (len != 17)
		return -EINVAL;
	memcpy(buf, s, 17);
	buf[17] = '\0';
	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &n) != 6 ||
	    n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int
mudc_compile(int argc, char **argv)
{
	struct device_arg *devs = NULL;
	struct mud_unit *units = NULL;
	size_t n_devs = 0, n_units = 0;
	const char *site_path = NULL, *out = NULL;
	struct mudf_opts opts = {0};
	struct mudf_ctx *ctx = NULL;
	struct mgi_builder *b = NULL;
	struct site *site = NULL;
	struct cmp *cmp = NULL;
	void *blob = NULL;
	size_t size = 0;
	char err[512] = "";
	int ret = MUDC_INVALID, r;

	devs = calloc((size_t)argc, sizeof(*devs));
	units = calloc((size_t)argc, sizeof(*units));
	if (!devs || !units) {
		fprintf(stderr, "mudc compile: out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--lenient")) {
			opts.flags |= MUDF_LENIENT;
		} else if (!strcmp(a, "--site") && i + 1 < argc) {
			site_path = argv[++i];
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(a, "--device") && i + 1 < argc) {
			const char *v = argv[++i], *eq = strchr(v, '=');
			size_t u;

			if (!eq || !eq[1] || parse_mac(v, (size_t)(eq - v), devs[n_devs].mac) < 0) {
				fprintf(stderr,
					"mudc compile: --device wants MAC=MUDFILE with MAC as "
					"aa:bb:cc:dd:ee:ff, not '%s'\n",
					v);
				ret = usage();
				goto out;
			}
			for (size_t k = 0; k < n_devs; k++)
				if (!memcmp(devs[k].mac, devs[n_devs].mac, 6)) {
					fprintf(stderr, "mudc compile: device %.*s given twice\n",
						(int)(eq - v), v);
					ret = usage();
					goto out;
				}
			devs[n_devs].file = eq + 1;
			for (u = 0; u < n_units; u++)
				if (!strcmp(units[u].file, eq + 1))
					break;
			if (u == n_units)
				units[n_units++].file = eq + 1;
			devs[n_devs++].unit = u;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			ret = MUDC_OK;
			goto out;
		} else {
			fprintf(stderr, "mudc compile: unexpected argument '%s'\n", a);
			ret = usage();
			goto out;
		}
	}
	if (!out || !n_devs) {
		fprintf(stderr, "mudc compile: %s\n",
			!out ? "-o IMAGE is required" : "at least one --device is required");
		ret = usage();
		goto out;
	}

	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "mudc compile: %s\n", err);
		goto out;
	}
	if (site_path) {
		struct mudf_diags d;

		if (mudf_diags_init(&d, site_path) < 0)
			goto out;
		r = site_load(ctx, site_path, &site, &d);
		mudf_diags_print(&d, stderr, false);
		mudf_diags_fini(&d);
		if (r < 0)
			goto out;
	} else {
		site = site_create_default();
		if (!site)
			goto out;
	}
	b = mgi_builder_create();
	cmp = b ? cmp_create(b, site) : NULL;
	if (!cmp) {
		fprintf(stderr, "mudc compile: out of memory\n");
		goto out;
	}

	r = 0;
	for (size_t u = 0; u < n_units; u++) {
		struct mudf_diags d;
		int rr;

		if (mudf_diags_init(&d, units[u].file) < 0)
			goto out;
		rr = mudf_load(ctx, units[u].file, &opts, &units[u].f, &d);
		if (!rr) {
			rr = cmp_add_policy(cmp, units[u].f, NULL, &units[u].policy, &d);
			if (rr == -EEXIST)
				mudf_diag_add(&d, MUDF_ERROR, "/ietf-mud:mud/mud-url",
					      "another MUD file given has the same MUD URL '%s'",
					      units[u].f->mud_url);
		}
		mudf_diags_print(&d, stderr, false);
		if (rr < 0 && !d.n)
			fprintf(stderr, "%s: /: %s\n", units[u].file, strerror(-rr));
		mudf_diags_fini(&d);
		if (rr < 0)
			r = rr;
		if (rr < 0 && rr != -EINVAL && rr != -EEXIST && rr != -EFBIG && rr != -ENOENT)
			break; /* the builder is unusable */
	}
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_devs; i++) {
		if (mgi_builder_add_device(b, devs[i].mac, units[devs[i].unit].policy,
					   MG_STATE_ENFORCED) < 0) {
			fprintf(stderr, "mudc compile: %s\n", mgi_builder_error(b));
			goto out;
		}
	}
	{
		struct mudf_diags d;

		if (mudf_diags_init(&d, site_path ? site_path : "(default site)") < 0)
			goto out;
		r = cmp_finish(cmp, &d);
		mudf_diags_print(&d, stderr, false);
		mudf_diags_fini(&d);
		if (r < 0)
			goto out;
	}
	r = mgi_builder_finish(b, &blob, &size);
	if (r < 0) {
		fprintf(stderr, "mudc compile: cannot build the image: %s\n", mgi_builder_error(b));
		goto out;
	}
	r = mg_write_file_atomic(out, blob, size, 0644);
	if (r < 0) {
		fprintf(stderr, "mudc compile: cannot write %s: %s\n", out, strerror(-r));
		goto out;
	}
	ret = MUDC_OK;
out:
	free(blob);
	cmp_destroy(cmp);
	mgi_builder_destroy(b);
	site_destroy(site);
	for (size_t u = 0; u < n_units; u++)
		mudf_file_destroy(units[u].f);
	mudf_ctx_destroy(ctx);
	free(units);
	free(devs);
	return ret;
}
