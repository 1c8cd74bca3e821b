/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy generations and the device table of mudgate-dp.
 *
 * A generation (struct dp_gen) is an immutable compiled form of one policy image. Its ACEs are
 * held by two sets of rte_acl contexts, one context per family (IPv4, IPv6) in each set, keyed
 * by (policy, direction) as an exact-match field:
 *
 *   - the base (struct dp_base): large contexts built from some earlier image, shared by every
 *     generation derived from it (reference counted by the control thread);
 *   - the overlay (struct dp_acl in the generation): small contexts holding only the policies
 *     whose ACEs (or the address sets they reference) differ from the base's, or that the base
 *     does not have. Built with the generation: its cost is that of the changed policies.
 *
 * A per-policy table (dp_policy_info.overlay, .acl_pol) says where each policy of the image
 * lives and under which index its key is built. Policies of the base that the image no longer
 * has are unreachable: no pid maps to them. rte_acl returns base ACE indexes for base policies;
 * base_ace[] maps them to this image's ACE indexes (the policy's ACEs are equal, in order).
 * A burst makes one rte_acl_classify() call per family on the base and a second one only for
 * the families of its frames whose policy is in the overlay.
 *
 * Generations are built on the control thread, published by one atomic pointer store and freed
 * after an rte_rcu_qsbr grace period (docs/dataplane.md "Update protocol"); a base may also be
 * built on any other non-worker thread (dp_base_build). Workers only read.
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

/*
 * 1 + 4 x 4 bytes searched for IPv4 (1 + 4 x 10 for IPv6): rte_acl reads the first field as one
 * byte, then one 32-bit word per input. TCP flags and the ICMP type share a byte (the meta bits
 * say which one a packet has, and a rule requires the one it compares); the ICMP code travels
 * in the source port field (ICMP has no ports; a rule on ports requires DP_META_PORTS); the
 * policy/direction field is 16 bits, so a generation holds at most DP_MAX_POLICIES policies.
 */
struct dp_acl4_key {
	uint8_t proto; /* field 0: rte_acl requires a 1-byte first field */
	uint8_t pad0[3];
	uint8_t meta;     /* DP_META_* */
	uint8_t tcp_icmp; /* TCP flags with DP_META_TCP, ICMP type with DP_META_ICMP, else 0 */
	uint16_t pdir;    /* policy index * 2 + direction, big endian */
	uint32_t src;
	uint32_t dst;
	uint16_t sport, dport; /* big endian; with DP_META_ICMP: sport = ICMP code, dport 0 */
};

struct dp_acl6_key {
	uint8_t proto;
	uint8_t pad0[3];
	uint8_t meta;
	uint8_t tcp_icmp;
	uint16_t pdir;
	uint32_t src[4];
	uint32_t dst[4];
	uint16_t sport, dport;
};

#define DP_MAX_POLICIES 32768 /* the 16-bit policy/direction key field */

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
	uint32_t acl_pol; /* the policy index of its rte_acl keys (base or overlay numbering) */
	uint8_t overlay;  /* 1: its rules are in the overlay contexts, 0: in the base's */
	bool dnsname;     /* some ACE refers to a dnsname set: DNS answers are held */
};

#define DP_NO_PID UINT32_MAX

/* The rte_acl contexts of a set of policies: [0] IPv4, [1] IPv6; NULL when no rule. */
struct dp_acl {
	struct rte_acl_ctx *ctx[2];
	uint32_t n_rules[2];
	uint32_t categories[2]; /* 1, or RTE_ACL_RESULTS_MULTIPLIER with reverse rules */
};

/* Large contexts built from one image, shared by the generations derived from it. */
struct dp_base {
	struct dp_acl acl;
	void *blob; /* owned copy of the image it was built from (exact policy comparison) */
	struct mgi_image img;
	uint32_t *pid_pol; /* pid -> base policy index or MGI_NO_POLICY; n_pids entries */
	uint32_t n_pids;
	uint64_t *pol_hash; /* [img.n_policies] dp_policy_hash() */
	uint32_t refs;      /* generations using it (control thread) */
	double build_ms;
};

struct dp_gen {
	uint64_t generation;
	uint64_t uid; /* unique per dp_gen_update() call, never reused (the generation number is:
		       * a rebuilt base republishes the same one) */
	void *blob;   /* owned copy of the image */
	size_t size;
	struct mgi_image img;
	/* [0] base IPv4, [1] base IPv6, [2] overlay IPv4, [3] overlay IPv6 (NULL: no rule) */
	struct rte_acl_ctx *acl[4];
	uint32_t categories[4];
	uint32_t n_rules[2];        /* rules in force per family: base + overlay */
	struct dp_base *base;       /* shared, one reference held */
	struct dp_acl ov;           /* the overlay, owned */
	uint32_t *base_ace;         /* base ACE index -> ACE index of this image or MGI_NO_POLICY */
	uint32_t n_overlay;         /* policies in the overlay */
	uint32_t n_overlay_rules;   /* rules in the overlay */
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
	double build_ms;     /* this generation: diff + overlay (+ base when it built one) */
	double open_ms;      /* of build_ms: copy and mgi_open() of the image */
	double diff_ms;      /* of build_ms: side tables, pids, diff against the base */
	double acl_ms;       /* of build_ms: rte_acl builds (overlay, or a new base) */
	double build_cpu_ms; /* the building thread's CPU time (build_ms is wall time) */
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
 * Builds the base contexts of an image (blob copied; it must pass mgi_open()). policy_pid[p]:
 * the pid of policy p (interned beforehand by the control thread). Any non-worker thread: it
 * touches no shared state but the rte_acl context list (rte_acl_create/free lock it). refs 0.
 * NULL with a reason in errbuf and errno set (EINVAL, ENOMEM, E2BIG).
 */
struct dp_base *dp_base_build(const void *blob, size_t size, const uint32_t *policy_pid,
			      char *errbuf, size_t errbuf_size);
/* Frees a base whose refs dropped to 0 (or that was never used). Accepts NULL. */
void dp_base_destroy(struct dp_base *b);

/* A 64-bit hash of what policy p's rules depend on: its ACEs (not their names) and the members
 * of the address sets they reference. Equal policies hash equal. */
uint64_t dp_policy_hash(const struct mgi_image *img, uint32_t p);

/*
 * Builds a generation from an image blob (copied). Validates the image with mgi_open(), interns
 * every policy name in pids. With base NULL, builds a new base from the image (every policy in
 * it, empty overlay). With a base, policies equal to the base's policy of the same name keep
 * their base rules, the others are built into the overlay; when the overlay would exceed
 * max_overlay_rules rules, a new base is built instead. Control thread only. Returns NULL with
 * a reason in errbuf and errno set (EINVAL bad image, ENOMEM, E2BIG too many rules).
 */
struct dp_gen *dp_gen_update(const void *blob, size_t size, uint64_t generation,
			     struct dp_pids *pids, uint32_t n_workers, struct dp_base *base,
			     uint32_t max_overlay_rules, char *errbuf, size_t errbuf_size);
/* dp_gen_update() without a base: every policy in a new base. */
struct dp_gen *dp_gen_build(const void *blob, size_t size, uint64_t generation,
			    struct dp_pids *pids, uint32_t n_workers, char *errbuf,
			    size_t errbuf_size);
/* Frees a generation no worker can still see (after the grace period) and drops its base
 * reference (control thread). Accepts NULL. */
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
	/* bumped (atomic, release) after every change: a MAC added or deleted, a slot word
	 * rewritten; unique across tables: the workers' lookup and verdict caches are valid for
	 * one value */
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
