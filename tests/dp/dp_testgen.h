/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random policy images and random/boundary frames for the dataplane tests. Deterministic for
 * a seed. Images obey every mgi_open() constraint; frames cover prefix edges, port 0 and 65535,
 * every port operator, IPv4/IPv6, extension headers, fragments, VLAN tags and truncation.
 */
#ifndef DP_TESTGEN_H
#define DP_TESTGEN_H

#include <stddef.h>
#include <stdint.h>

#include "mg_image.h"

struct tg {
	uint64_t s;          /* PRNG state */
	uint8_t macs[16][6]; /* MAC pool: devices first */
	uint32_t n_macs;
	/* prefix pool (both families) used by images and frames */
	struct mgi_prefix pool[24];
	uint32_t n_pool;
	uint16_t ports[32]; /* boundary ports seen in the current image */
	uint32_t n_ports;
	/* recent TCP frames, to emit their replies */
	uint8_t hist[64][256];
	size_t hist_len[64];
	uint32_t n_hist;
};

void tg_init(struct tg *t, uint64_t seed);
uint64_t tg_rand(struct tg *t);

/* A random image with devices bound from the MAC pool. blob: malloc'd, free(). */
int tg_image(struct tg *t, void **blob, size_t *size, unsigned int max_policies,
	     unsigned int max_aces);

/*
 * A random successor of image in (a policy update): most policies unchanged, some with an ACE
 * replaced, removed or added, some removed, new ones added, the order sometimes shuffled
 * (policy indexes renumbered), sometimes one address set's members replaced; devices and
 * profiles follow their policies. blob: malloc'd, free().
 */
int tg_image_mutate(struct tg *t, const struct mgi_image *in, void **blob, size_t *size);

/* A random frame into buf (256 bytes); returns its length. */
size_t tg_frame(struct tg *t, uint8_t *buf);

/* A frame crafted to match (or just miss) global ACE `ace` of img, for the device dev_mac in
 * direction dir with peer_mac on the other side. */
size_t tg_frame_for_ace(struct tg *t, const struct mgi_image *img, uint32_t ace,
			const uint8_t *dev_mac, unsigned int dir, const uint8_t *peer_mac,
			uint8_t *buf);

/* A frame for img: mostly crafted from its devices' ACEs, then replies, then random frames. */
size_t tg_frame_image(struct tg *t, const struct mgi_image *img, uint8_t *buf);

/*
 * Boundary and malformed frames, deterministic: runts, every truncation of IPv4/IPv6 templates
 * (VLAN, QinQ, three tags, options, extension header chains of 8 and 9, fragments first and
 * non-first, TCP/UDP/ICMP/SCTP/DCCP), every IHL and TCP data offset, inconsistent IPv4 total
 * and IPv6 payload lengths, UDP lengths, extension header lengths. Returns the count (<= max).
 * The MACs are 02:00:00:00:00:01 and :02; callers rewrite them.
 */
size_t tg_boundary_frames(uint8_t (*out)[256], size_t *lens, size_t max);

#endif /* DP_TESTGEN_H */
