/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: LLDP frame parser (control/discover). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "discover/disc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disc_lldp l;
	struct disc_error err;
	int rc;

	rc = disc_lldp_parse(data, size, &l, &err, NULL);
	if (rc < 0) {
		assert(err.reason != DISC_R_OK && err.msg[0] != '\0');
		assert(err.offset <= size);
	} else {
		assert(l.chassis_id_len >= 1 && l.port_id_len >= 1);
		if (l.mud_url_status == DISC_R_OK) {
			assert(strlen(l.mud_url) == l.mud_url_len);
			assert(disc_mud_url_check((const uint8_t *)l.mud_url, l.mud_url_len) ==
			       DISC_R_OK);
		}
	}
	return 0;
}
