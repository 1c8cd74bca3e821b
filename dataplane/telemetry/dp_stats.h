/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters of mudgate-dp. Every worker writes only its own struct dp_wstats (cache aligned,
 * plain stores); readers (control thread, telemetry thread) sum over workers. Per-device
 * counters are indexed by the device table position; per-rule hits live in the generation.
 * docs/dataplane.md "Counters" describes each one.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "mg_classify.h"

/* Every reason a frame is dropped. The policy reasons mirror enum mg_reason's deny reasons. */
/* clang-format off */
#define DP_DROPS(X) \
	X(ACE_DROP, "ace-drop")                   /* a drop/reject ACE matched */ \
	X(DEFAULT_DENY, "default-deny")           /* no ACE of the policy matched */ \
	X(MALFORMED, "malformed")                 /* truncated or inconsistent headers */ \
	X(PROFILE_DENY_ALL, "profile-deny-all")   /* the state's profile denies all */ \
	X(PROFILE_NO_POLICY, "profile-no-policy") /* allowances only, or no policy bound */ \
	X(SAME_PORT, "same-port")                 /* destination learned on the rx port */ \
	X(TX_FULL, "tx-full")                     /* the tx queue refused the frame */ \
	X(NO_MBUF, "no-mbuf")                     /* no mbuf to copy a flooded/punted frame */ \
	X(HOLD_DROPPED, "hold-dropped")           /* a held DNS answer released as drop */ \
	X(HOLD_FULL, "hold-full")                 /* no room to hold a DNS answer */ \
	X(NO_UPLINK, "no-uplink")                 /* nowhere to send the frame */
/* clang-format on */

enum dp_drop {
#define DP_DROP_ENUM(id, str) DP_DROP_##id,
	DP_DROPS(DP_DROP_ENUM)
#undef DP_DROP_ENUM
		DP_DROP_COUNT_
};

const char *dp_drop_str(enum dp_drop d);

/* Punt path counters (per worker). */
/* clang-format off */
#define DP_PUNTS(X) \
	X(DHCP4, "dhcp4") \
	X(DHCP6, "dhcp6") \
	X(LLDP, "lldp") \
	X(DNS, "dns") \
	X(HELD, "held")                 /* DNS answers held for the control side */ \
	X(RATE_LIMITED, "rate-limited") /* copies not sent: over the punt rate */ \
	X(QUEUE_FULL, "queue-full")     /* copies not sent: the punt ring was full */ \
	X(NO_LISTENER, "no-listener")   /* no control client: not copied, not held */
/* clang-format on */

enum dp_punt_ctr {
#define DP_PUNT_ENUM(id, str) DP_PUNT_##id,
	DP_PUNTS(DP_PUNT_ENUM)
#undef DP_PUNT_ENUM
		DP_PUNT_COUNT_
};

const char *dp_punt_str(enum dp_punt_ctr c);

struct __rte_cache_aligned dp_wstats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, flooded, allowed, denied;
	uint64_t reasons[MG_R_COUNT_]; /* deciding reason of every classified frame */
	uint64_t drops[DP_DROP_COUNT_];
	uint64_t punts[DP_PUNT_COUNT_];
	uint64_t flow_added, flow_expired, flow_overflow, flow_hits;
	uint64_t injected; /* released held frames transmitted */
	uint64_t loops, idle_loops;
	uint64_t busy_cycles; /* TSC cycles of the loops that received frames */
};

#endif /* DP_STATS_H */
