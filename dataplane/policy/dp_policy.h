/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy generations and the device table of mudgate-dp.
 *
 * A generation (struct dp_gen) is an immutable compiled form of one policy image: one rte_acl
 * context per family (IPv4, IPv6) holding the ACEs of ALL policies, keyed by (policy, direction)
 * as an exact-match field, plus small side tables (per-ACE action and flags, per-policy
 * Ethernet ACE lists, the stable policy id map). It is built on the control thread, published
 * by one atomic pointer store and freed after an rte_rcu_qsbr grace period (docs/dataplane.md
 * "Update protocol"). Workers only read it.
 *
 * The device table (struct dp_devs) maps a MAC to a slot {stable policy id, state}. It is an
 * rte_hash with lock-free concurrent readers, written only by the control thread; a slot is
 * one 64-bit word updated with an atomic store, so a state or policy change is visible to the
 * next burst without touching any ACL. Policies are referenced by a stable policy id (pid)
 * interned by name for the life of the process; each generation maps pids to its own policy
 * indexes, so bindings survive image swaps and never point into a freed generation.
 */
#ifndef DP_POLICY_H
#define DP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_acl.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "mg_image.h"

/* ---- ACL keys (network byte order, as rte_acl reads them) ------------------------------ */

#define DP_META_L4    0x01 /* L4 header present (not a non-first fragment, not truncated) */
#define DP_META_PORTS 0x02 /* TCP, UDP, SCTP or DCCP with L4: ports are valid */
#define DP_META_TCP   0x04 /* TCP with L4: flags are valid */
#define DP_META_ICMP  0x08 /* ICMP (v4) / ICMPv6 (v6) with L4: type and code are valid */

struct dp_acl4_key {
	uint8_t proto; /* field 0: rte_acl requires a 1-byte first field */
	uint8_t pad0[3];
	uint8_t meta; /* DP_META_* */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint32_t pdir; /* policy index * 2 + direction, big endian */
	uint32_t src;
	uint32_t dst;
	uint16_t sport, dport;
};

struct dp_acl6_key {
	uint8_t proto;
	uint8_t pad0[3];
	uint8_t meta;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint32_t pdir;
	uint32_t src[4];
	uint32_t dst[4];
	uint16_t sport, dport;
};

/* rte_acl categories: 0 = every ACE except reverse direction-initiated ones, 1 = those. */
#define DP_CAT_MAIN    0
#define DP_CAT_REVERSE 1

/* Per-ACE facts the workers need after rte_acl returned its index. */
#define DP_ACE_ACCEPT   0x01
#define DP_ACE_DIR_INIT 0x02 /* MGI_M_DIR_INIT */
#define DP_ACE_REVERSE  0x04 /* DIR_INIT and dir_init != the ACE's list direction */
struct dp_ace_info {
	uint8_t flags; /* DP_ACE_* */
	uint8_t dir;   /* the direction list the ACE is in */
	uint8_t dir_init;
	uint8_t family;
	uint16_t ethertype; /* family ETH with MGI_M_ETHERTYPE */
	uint16_t match_lo;  /* low 16 bits of mgi_ace.match */
};

struct dp_policy_info {
	uint32_t eth_first[2]; /* per direction: index into dp_gen.eth_aces */
	uint32_t eth_n[2];
	bool dnsname; /* some ACE refers to a dnsname set: DNS answers are held */
};

#define DP_NO_PID UINT32_MAX

struct dp_gen {
	uint64_t generation;
	void *blob; /* owned copy of the image */
	size_t size;
	struct mgi_image img;
	struct rte_acl_ctx *acl[2]; /* [0] IPv4, [1] IPv6; NULL when the family has no rule */
	uint32_t n_rules[2];
	uint32_t categories[2];     /* 1, or RTE_ACL_RESULTS_MULTIPLIER with reverse rules */
	struct dp_ace_info *ace;    /* img.n_aces */
	struct dp_policy_info *pol; /* img.n_policies */
	uint32_t *eth_aces; /* global ACE indexes of family-ETH ACEs, grouped per policy/dir */
	uint32_t *pid_map;  /* pid -> policy index or MGI_NO_POLICY; n_pid_map entries */
	uint32_t n_pid_map;
	uint32_t *policy_pid;               /* policy index -> pid */
	const struct mgi_prefix *resolvers; /* allowances resolver set members */
	uint32_t n_resolvers;
	uint64_t *rule_hits;  /* [n_workers][img.n_aces], written by worker w only */
	struct dp_devs *devs; /* the bindings in force with this generation (set by the owner) */
	uint32_t n_workers;
	double build_ms;
};

/* Interned policy names -> stable ids (control thread only). */
struct dp_pids;
struct dp_pids *dp_pids_create(uint32_t max);
void dp_pids_destroy(struct dp_pids *p);
/* Returns the pid of name, interning it when absent; DP_NO_PID when the table is full. */
uint32_t dp_pids_intern(struct dp_pids *p, const char *name);
/* Returns the pid of name or DP_NO_PID. */
uint32_t dp_pids_find(const struct dp_pids *p, const char *name);
const char *dp_pids_name(const struct dp_pids *p, uint32_t pid);

/*
 * Builds a generation from an image blob (copied). Validates the image with mgi_open(), interns
 * every policy name in pids, builds the rte_acl contexts (unique names from `generation`).
 * Control thread only (rte_acl build is not MT-safe). Returns NULL with a reason in errbuf and
 * errno set (EINVAL bad image, ENOMEM, E2BIG too many rules).
 */
struct dp_gen *dp_gen_build(const void *blob, size_t size, uint64_t generation,
			    struct dp_pids *pids, uint32_t n_workers, char *errbuf,
			    size_t errbuf_size);
/* Frees a generation no worker can still see (after the grace period). Accepts NULL. */
void dp_gen_destroy(struct dp_gen *g);

/* ---- device table ----------------------------------------------------------------------- */

/* Slot word: bit 63 valid, bits 32..39 state, bits 0..31 pid (DP_NO_PID: no policy). */
#define DP_SLOT_VALID (1ull << 63)
static inline uint64_t
dp_slot_make(uint32_t pid, uint8_t state)
{
	return DP_SLOT_VALID | (uint64_t)state << 32 | pid;
}
static inline uint32_t
dp_slot_pid(uint64_t s)
{
	return (uint32_t)s;
}
static inline uint8_t
dp_slot_state(uint64_t s)
{
	return (uint8_t)(s >> 32);
}

struct dp_dev_ctr {
	uint64_t allow_pkts, allow_bytes, deny_pkts, deny_bytes;
};

/* One position of the device table: the slot word and the MAC holding the position (as an
 * 8-byte key: 6 bytes, then 2 zero bytes), side by side so that a worker validating a cached
 * position reads one cache line. */
struct dp_dev_slot {
	uint64_t word; /* atomic: dp_slot_make(), or 0 once the MAC is deleted */
	uint64_t mac;  /* atomic: written before word when a MAC takes the position */
};

struct dp_devs {
	struct rte_hash *h;       /* MAC (6 bytes) -> position */
	struct dp_dev_slot *slot; /* [cap] */
	struct dp_dev_ctr *ctr;   /* [n_workers][cap]: row w written by worker w only */
	uint32_t cap;
	uint32_t n;
	uint32_t n_workers;
	uint32_t refs; /* generations referring to this table (control thread) */
	bool rcu;      /* deleted positions are reclaimed after a grace period */
	/* bumped (atomic, release) after every MAC added or deleted; unique across tables: the
	 * workers' lookup caches are valid for one value */
	uint64_t epoch;
};

/* Creates the table; rcu: the workers' QSBR variable (deleted keys are reclaimed after a grace
 * period). NULL with errno on failure. */
struct dp_devs *dp_devs_create(const char *name, uint32_t cap, uint32_t n_workers,
			       struct rte_rcu_qsbr *rcu);
void dp_devs_destroy(struct dp_devs *d);
/* Control thread only. 0, -ENOSPC (table full), -EINVAL. */
int dp_devs_set(struct dp_devs *d, const uint8_t mac[6], uint32_t pid, uint8_t state);
/* -ENOENT when not bound. */
int dp_devs_set_state(struct dp_devs *d, const uint8_t mac[6], uint8_t state);
int dp_devs_del(struct dp_devs *d, const uint8_t mac[6]);
/* Removes every binding. */
void dp_devs_clear(struct dp_devs *d);
/* Iterates: *next starts at 0; returns 0 and fills mac/slot/pos, or -ENOENT at the end. */
int dp_devs_iterate(const struct dp_devs *d, uint32_t *next, uint8_t mac[6], uint64_t *slot,
		    uint32_t *pos);
/* Position of mac or a negative errno (any thread). */
int32_t dp_devs_lookup(const struct dp_devs *d, const uint8_t mac[6]);

#endif /* DP_POLICY_H */
