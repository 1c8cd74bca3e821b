/* SPDX-License-Identifier: BSD-3-Clause */
/* Port setup for mudgate-dp (main thread, before the workers start). */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "dp_ctx.h"

/* A port id ("0") or a device name ("net_pcap0"). 0 or -ENODEV. */
int dp_port_resolve(const char *spec, uint16_t *port_id);
/* Configures and starts p->id with a queue pair per worker. 0 or a negative errno + reason. */
int dp_port_setup(struct dp_port *p, uint32_t n_workers, struct rte_mempool *pool, char *errbuf,
		  size_t errbuf_size);
void dp_port_close(struct dp_port *p);

#endif /* DP_PORT_H */
