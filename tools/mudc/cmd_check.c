/* SPDX-License-Identifier: BSD-3-Clause */
/* mudc check [--lenient] FILE...: validate MUD files, errors as "FILE: JSON-PATH: reason". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mud/mudf.h"
#include "mudc.h"

static int
usage(void)
{
	fprintf(stderr, "usage: mudc check [--lenient] FILE...\n");
	return MUDC_USAGE;
}

int
mudc_check(int argc, char **argv)
{
	struct mudf_opts opts = {0};
	struct mudf_ctx *ctx;
	int first = 1, ret = MUDC_OK;
	char err[512] = "";

	for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
		if (!strcmp(argv[first], "--lenient"))
			opts.flags |= MUDF_LENIENT;
		else if (!strcmp(argv[first], "--")) {
			first++;
			break;
		} else if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
			fprintf(stdout, "usage: mudc check [--lenient] FILE...\n");
			return MUDC_OK;
		} else {
			fprintf(stderr, "mudc check: unknown option '%s'\n", argv[first]);
			return usage();
		}
	}
	if (first >= argc)
		return usage();
	ctx = mudf_ctx_create(NULL, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "mudc check: %s\n", err);
		return MUDC_INVALID;
	}
	for (int i = first; i < argc; i++) {
		struct mudf_file *f = NULL;
		struct mudf_diags d;
		int r;

		if (mudf_diags_init(&d, argv[i]) < 0) {
			fprintf(stderr, "mudc check: out of memory\n");
			ret = MUDC_INVALID;
			break;
		}
		r = mudf_load(ctx, argv[i], &opts, &f, &d);
		mudf_diags_print(&d, stderr, false);
		if (r < 0) {
			if (!d.n)
				fprintf(stderr, "%s: /: %s\n", argv[i], strerror(-r));
			ret = MUDC_INVALID;
		}
		mudf_file_destroy(f);
		mudf_diags_fini(&d);
	}
	mudf_ctx_destroy(ctx);
	return ret;
}
