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
