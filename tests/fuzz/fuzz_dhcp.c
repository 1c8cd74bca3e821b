/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: DHCPv4 and DHCPv6 frame parsers (control/discover). Besides memory safety
 * (ASan/UBSan), checks the output contract: an accepted MUD URL passes the URL check and has
 * the length it claims; a refusal always carries a reason and a message.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "discover/disc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disc_dhcp4 d4;
	static struct disc_dhcp6 d6;
	struct disc_counters cnt = {0};
	struct disc_error err;
	struct disc_udp u;
	int rc;

	rc = disc_dhcp4_parse(data, size, &d4, &err, &cnt);
	assert(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	if (rc < 0) {
		assert(err.reason != DISC_R_OK && err.msg[0] != '\0');
		assert(d4.mud_url_status == DISC_R_NO_MUD_URL);
	} else if (d4.mud_url_status == DISC_R_OK) {
		assert(strlen(d4.mud_url) == d4.mud_url_len);
		assert(disc_mud_url_check((const uint8_t *)d4.mud_url, d4.mud_url_len) ==
		       DISC_R_OK);
	}
	assert(cnt.n[rc < 0 ? err.reason : DISC_R_OK] == 1);

	rc = disc_dhcp6_parse(data, size, &d6, &err, NULL);
	if (rc < 0) {
		assert(err.reason != DISC_R_OK && err.msg[0] != '\0');
	} else {
		assert(d6.n_addrs <= DISC_DHCP6_MAX_ADDRS);
		assert(d6.duid_len <= DISC_DHCP6_DUID_MAX);
		if (d6.mud_url_status == DISC_R_OK)
			assert(strlen(d6.mud_url) == d6.mud_url_len);
	}

	if (disc_udp_locate(data, size, &u, &err) == 0)
		assert(u.payload_offset + u.payload_size <= size);
	return 0;
}
