/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: DNS response parser (control/dns). Checks the output contract besides
 * memory safety: bounded counts, effective TTLs never above the chain's, reasons on refusal.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dnsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsp_result r;
	struct dnsp_error err;
	int rc;

	rc = dnsp_parse(data, size, &r, &err, NULL);
	if (rc < 0) {
		assert(err.reason != DNSP_R_OK && err.msg[0] != '\0');
		assert(r.n_addrs == 0);
		return 0;
	}
	assert(r.n_addrs <= DNSP_MAX_ADDRS && r.n_addrs <= r.n_answers);
	assert(r.n_cnames <= DNSP_MAX_CNAME_HOPS);
	assert(r.n_cnames + r.n_addrs + r.n_ignored == r.n_answers);
	assert(memchr(r.qname, '\0', sizeof(r.qname)) != NULL && r.qname[0] != '\0');
	for (size_t i = 0; i < r.n_addrs; i++)
		assert(r.addrs[i].ttl <= r.chain_ttl);
	return 0;
}
