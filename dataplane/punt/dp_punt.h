/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt path. Workers recognise DHCPv4, DHCPv6, LLDP and DNS answers and queue them to the
 * control thread on their own SP/SC ring, taking one token of a per-worker token bucket per
 * frame: a full ring or an empty bucket only increments a counter, never waits. Copies share
 * the mbuf (reference count) with the forwarded frame. DNS answers to a device whose policy has
 * dnsname ACEs are not forwarded but held: the control thread sends them to the client, which
 * releases them (forward or drop) once it made their addresses enforceable; a hold timeout
 * forwards them anyway. Released frames go back to the worker through its inject ring, so
 * every tx queue keeps a single owner.
 */
#ifndef DP_PUNT_H
#define DP_PUNT_H

#include <stdint.h>

#include "classify/dp_parse.h"
#include "mg_classify.h"
#include "mg_ctrl.h"

/* What to punt for a parsed frame: 0 or enum mg_ctrl_punt_kind. */
static inline uint8_t
dp_punt_kind(const struct dp_pkt *x)
{
	if (x->malformed)
		return 0;
	if (x->family == MGI_FAMILY_ETH)
		return x->ethertype == 0x88cc ? MG_PUNT_LLDP : 0;
	if (!(x->key.k4.meta & DP_META_L4) || x->key.k4.proto != 17)
		return 0;
	uint16_t sport = dp_pkt_sport(x), dport = dp_pkt_dport(x);
	if (x->family == MGI_FAMILY_IPV4 && (sport == 67 || sport == 68) &&
	    (dport == 67 || dport == 68))
		return MG_PUNT_DHCP4;
	if (x->family == MGI_FAMILY_IPV6 && (sport == 546 || sport == 547) &&
	    (dport == 546 || dport == 547))
		return MG_PUNT_DHCP6;
	if (sport == 53)
		return MG_PUNT_DNS;
	return 0;
}

struct dp_holds;

/* Control thread only. */
struct dp_holds *dp_holds_create(uint32_t max);
void dp_holds_destroy(struct dp_holds *h);

#endif /* DP_PUNT_H */
