/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the policy image reader: any blob that mgi_open() accepts must be
 * safe to walk completely and to classify frames with.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t frames[][64] = {
	/* IPv4 UDP 192.168.1.10:40000 -> 10.1.2.3:5683, from 02:00:00:00:00:01 */
	{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	 0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192,  168,
	 1,    10,   10,   1,    2,    3,    0x9c, 0x40, 0x16, 0x33, 0x00, 0x0c, 0x00, 0x00},
	/* IPv4 TCP SYN 192.168.1.10:40000 -> 198.51.100.7:443, to 02:00:00:00:00:01 */
	{0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00,
	 0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 198,  51,
	 100,  7,    192,  168,  1,    10,   0x01, 0xbb, 0x9c, 0x40, 0,    0,    0,    0,
	 0,    0,    0,    0,    0x50, 0x02, 0x20, 0x00, 0,    0,    0,    0},
	/* IPv6 ICMPv6 135 from 02:00:00:00:00:02 (only the first 62 bytes: truncated) */
	{0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff, 0xfe, 0x80},
	/* ARP from 02:00:00:00:00:03 */
	{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x06},
};

static volatile size_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgi_image img;
	struct mg_flows *flows;
	char why[256], rule[1024];
	uint64_t *buf;

	/* mgi_open() needs an 8-byte aligned blob. */
	buf = malloc(size + 8);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* A fuzzer cannot guess CRCs: store the right one so the input reaches every rule
	 * after the checksum (the checksum rule itself is covered by image_test). */
	if (size >= sizeof(struct mgi_header)) {
		uint32_t sum = mgi_checksum(buf, size);

		memcpy((uint8_t *)buf + offsetof(struct mgi_header, checksum), &sum, sizeof(sum));
	}
	if (mgi_open(&img, buf, size, why, sizeof(why))) {
		if (!why[0])
			abort(); /* every rejection has a reason */
		free(buf);
		return 0;
	}
	for (uint32_t i = 0; i < img.n_policies; i++) {
		const struct mgi_policy *p = &img.policies[i];

		sink += strlen(mgi_str(&img, p->name)) + strlen(mgi_str(&img, p->mud_url));
		for (uint32_t j = p->first_ace; j < p->first_ace + p->n_from + p->n_to; j++)
			sink += strlen(mgi_str(&img, img.aces[j].acl_name)) +
				strlen(mgi_str(&img, img.aces[j].ace_name)) + img.aces[j].match;
	}
	for (uint32_t i = 0; i < img.n_sets; i++) {
		const struct mgi_set *s = &img.sets[i];

		sink += strlen(mgi_str(&img, s->name));
		for (uint32_t j = s->first; j < s->first + s->n; j++)
			sink += img.prefixes[j].plen;
	}
	for (uint32_t i = 0; i < img.n_devices; i++) {
		const struct mgi_device *d = &img.devices[i];

		if (mgi_find_device(&img, d->mac) != d)
			abort();
		if (d->policy != MGI_NO_POLICY)
			sink += img.policies[d->policy].n_from;
	}
	for (int s = 0; s < MG_STATE_COUNT; s++)
		sink += img.profiles[s].mode;
	sink += img.allowances->flags;

	flows = mg_flows_create();
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
			size_t len = i == 2 ? 62 : sizeof(frames[i]);
			struct mg_result res;
			struct mg_pkt p;

			mg_pkt_parse(&p, frames[i], len);
			mg_classify_frame(&img, &p, flows, &res);
			mg_result_rule(&img, &res, rule, sizeof(rule));
			for (uint32_t d = 0; d < img.n_devices && d < 4; d++) {
				mg_classify(&img, &img.devices[d], MG_DIR_FROM_DEVICE, &p, flows,
					    &res);
				mg_classify(&img, &img.devices[d], MG_DIR_TO_DEVICE, &p, flows,
					    &res);
				mg_result_rule(&img, &res, rule, sizeof(rule));
			}
		}
	}
	mg_flows_destroy(flows);
	free(buf);
	return 0;
}
