/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of control/mud shared between its files. */
#ifndef MUDF_INT_H
#define MUDF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "mudf.h"

/* True when module name[0..len) is implemented in the context. */
bool mudf_ly_has_module(struct mudf_ctx *c, const char *name, size_t len);
/* lyd_path() of a node, malloc'd, NULL on allocation failure. */
char *mudf_ly_path(const struct lyd_node *node);

/*
 * The structural pass over the JSON document (see mudf.h, stage 2): checks, extension nodes,
 * and the rewrites of known deviations (errors without lenient, warnings with it). Adds
 * diagnostics to d; returns 0 when it found nothing wrong, 1 when it found only deviations in
 * strict mode (the repaired document is worth validating, to report its other problems),
 * -EINVAL on other errors, -ENOMEM.
 */
int mudf_json_check(struct mudf_ctx *c, json_t *root, bool lenient, struct mudf_diags *d);

#endif /* MUDF_INT_H */
