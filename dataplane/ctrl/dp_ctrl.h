/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread of mudgate-dp (main lcore): serves the control socket
 * (docs/ctrl-protocol.md), builds and publishes generations, applies bindings, drains the punt
 * rings, holds and releases DNS answers, persists the last good image and bindings in the state
 * directory (write to a temporary file, fsync, rename). Nothing here runs on a worker.
 */
#ifndef DP_CTRL_H
#define DP_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_ctrl_stats {
	uint64_t clients, disconnects, msgs, replies, malformed, out_of_order, rejected;
	uint64_t loads, load_failures, binds, unbinds, set_states;
	uint64_t punts_sent, punts_dropped; /* dropped: no room in a client's output buffer */
	uint64_t holds, hold_released, hold_dropped, hold_timeouts;
	uint64_t persist_errors;
};

extern struct dp_ctrl_stats dp_ctrl_stats;

/* Opens the listening socket (replacing a stale one) and the state directory. */
int dp_ctrl_init(const char *sock_path, const char *state_dir, uint32_t max_devices);
void dp_ctrl_fini(void);

/* Startup: the persisted image and bindings of the state directory; 0, -ENOENT (none) or
 * another negative errno with a reason. */
int dp_ctrl_restore(char *errbuf, size_t errbuf_size);

/*
 * Builds a generation from blob and publishes it (RCU grace, then frees the old one).
 * generation 0 means "current + 1"; otherwise it must exceed the current one (-ESTALE).
 * keep_bindings: keep the current binding table, else the image's device table replaces it.
 * persist: write it to the state directory.
 */
int dp_ctrl_load(const void *blob, size_t size, uint64_t generation, bool keep_bindings,
		 bool persist, char *errbuf, size_t errbuf_size);

/*
 * Incremental generations (docs/dataplane.md "Update protocol"): a loaded image is diffed
 * against the base of the generation in force; changed and new policies go to the overlay,
 * built synchronously, unless it would exceed sync_rules rules (then the load builds a new
 * base). Once the overlay holds more than max_policies policies or max_rules rules, or no image
 * arrived for stable_ms, a new base is built on a separate thread ("mg-acl-build") and the
 * image in force is republished over it (same generation number, rule counters kept).
 */
struct dp_overlay_limits {
	uint32_t max_policies; /* 32 */
	uint32_t max_rules;    /* 2000 */
	uint32_t sync_rules;   /* 8000 */
	uint32_t stable_ms;    /* 2000 */
};

/* Control thread (tests lower them to force rebuilds). */
extern struct dp_overlay_limits dp_overlay_limits;

struct dp_ctrl_gen_stats {
	uint64_t base_builds_sync;      /* loads that built a new base on the control thread */
	uint64_t base_rebuilds_started; /* on the rebuild thread */
	uint64_t base_rebuilds, base_rebuild_failures;
	double last_base_build_ms;
};

extern struct dp_ctrl_gen_stats dp_ctrl_gen_stats;

/* Starts a base rebuild when due, publishes a finished one. Control thread; dp_ctrl_poll() and
 * dp_ctrl_load() call it. */
void dp_ctrl_maintain(void);

/* One iteration of the control loop: at most timeout_ms waiting for the socket. */
void dp_ctrl_poll(int timeout_ms);

/* Lock held by readers that are not RCU readers (telemetry) while they use dp.gen. */
void dp_ctrl_lock(void);
void dp_ctrl_unlock(void);

/* Counters as a JSON document (malloc'd, free()); NULL on allocation failure. */
char *dp_counters_json(size_t *len);

/* Registers the /mudgate/... telemetry commands. */
int dp_telemetry_init(void);

#endif /* DP_CTRL_H */
