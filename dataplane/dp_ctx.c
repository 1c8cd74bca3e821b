/* SPDX-License-Identifier: BSD-3-Clause */
/* The process-wide context (dp_ctx.h). */
#include "dp_ctx.h"

struct dp_ctx dp;
