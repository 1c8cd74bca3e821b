/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the MUD parser: JSON, the structural pass (lenient and strict) and
 * libyang validation, then the compiler on whatever validates. Seeds: a few corpus files.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compile/cmp.h"
#include "compile/site.h"
#include "mg_image.h"
#include "mud/mudf.h"

static struct mudf_ctx *ctx;
static struct site *site;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	if (!ctx) {
		ctx = mudf_ctx_create(NULL, err, sizeof(err));
		site = site_create_default();
		if (!ctx || !site) {
			fprintf(stderr, "fuzz_mud: %s\n", err);
			abort();
		}
	}
	for (int lenient = 0; lenient < 2; lenient++) {
		struct mudf_opts opts = {.flags = lenient ? MUDF_LENIENT : 0};
		struct mudf_file *f = NULL;
		struct mudf_diags d;

		if (mudf_diags_init(&d, "fuzz") < 0)
			return 0;
		if (!mudf_parse(ctx, data, size, &opts, &f, &d)) {
			struct mgi_builder *b = mgi_builder_create();
			struct cmp *c = b ? cmp_create(b, site) : NULL;
			uint32_t pol;
			void *blob = NULL;
			size_t n = 0;

			if (c && !cmp_add_policy(c, f, NULL, &pol, &d) && !cmp_finish(c, &d) &&
			    !mgi_builder_finish(b, &blob, &n)) {
				struct mgi_image img;

				if (mgi_open(&img, blob, n, err, sizeof(err)) < 0) {
					fprintf(stderr, "fuzz_mud: compiled image invalid: %s\n",
						err);
					abort();
				}
			}
			free(blob);
			cmp_destroy(c);
			mgi_builder_destroy(b);
		}
		mudf_file_destroy(f);
		mudf_diags_fini(&d);
	}
	return 0;
}
