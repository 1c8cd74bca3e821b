/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter names (dp_stats.h). */
#include "dp_stats.h"

const char *
dp_drop_str(enum dp_drop d)
{
	static const char *const names[] = {
#define DP_DROP_STR(id, str) str,
		DP_DROPS(DP_DROP_STR)
#undef DP_DROP_STR
	};
	return (unsigned int)d < DP_DROP_COUNT_ ? names[d] : "?";
}

const char *
dp_punt_str(enum dp_punt_ctr c)
{
	static const char *const names[] = {
#define DP_PUNT_STR(id, str) str,
		DP_PUNTS(DP_PUNT_STR)
#undef DP_PUNT_STR
	};
	return (unsigned int)c < DP_PUNT_COUNT_ ? names[c] : "?";
}
