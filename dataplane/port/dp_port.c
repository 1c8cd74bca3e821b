/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup: one rx and one tx queue per worker where the PMD has them, RSS with a symmetric
 * key (0x6d5a repeated) so both directions of a flow reach the same worker and its flow table,
 * promiscuous mode (a bump in the wire forwards every MAC).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "port/dp_port.h"

static uint8_t sym_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

int
dp_port_resolve(const char *spec, uint16_t *port_id)
{
	char *end;
	unsigned long v = strtoul(spec, &end, 10);
	if (*spec && !*end) {
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v))
			return -ENODEV;
		*port_id = (uint16_t)v;
		return 0;
	}
	return rte_eth_dev_get_port_by_name(spec, port_id) == 0 ? 0 : -ENODEV;
}

int
dp_port_setup(struct dp_port *p, uint32_t n_workers, struct rte_mempool *pool, char *errbuf,
	      size_t errbuf_size)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc;

	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc < 0) {
		snprintf(errbuf, errbuf_size, "port %u: dev_info: %s", p->id, strerror(-rc));
		return rc;
	}
	rte_eth_dev_get_name_by_port(p->id, p->name);
	p->n_rxq = (uint16_t)RTE_MIN(n_workers, info.max_rx_queues);
	p->n_txq = (uint16_t)RTE_MIN(n_workers, info.max_tx_queues);
	if (p->n_txq < n_workers) {
		/* each worker needs its own tx queue: no locks on the fast path */
		snprintf(errbuf, errbuf_size,
			 "port %u (%s): %u tx queues for %u workers; use fewer workers", p->id,
			 p->name, info.max_tx_queues, n_workers);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (p->n_rxq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
		if (info.hash_key_size == sizeof(sym_key)) {
			conf.rx_adv_conf.rss_conf.rss_key = sym_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_key);
		}
	}
	rc = rte_eth_dev_configure(p->id, p->n_rxq, p->n_txq, &conf);
	if (rc < 0) {
		snprintf(errbuf, errbuf_size, "port %u (%s): configure: %s", p->id, p->name,
			 strerror(-rc));
		return rc;
	}
	uint16_t nb_rxd = 1024, nb_txd = 1024;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->id, q, nb_rxd, rte_eth_dev_socket_id(p->id), NULL,
					    pool);
		if (rc < 0) {
			snprintf(errbuf, errbuf_size, "port %u: rx queue %u: %s", p->id, q,
				 strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->id, q, nb_txd, rte_eth_dev_socket_id(p->id), NULL);
		if (rc < 0) {
			snprintf(errbuf, errbuf_size, "port %u: tx queue %u: %s", p->id, q,
				 strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(p->id);
	if (rc < 0) {
		snprintf(errbuf, errbuf_size, "port %u (%s): start: %s", p->id, p->name,
			 strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_enable(p->id);
	return 0;
}

void
dp_port_close(struct dp_port *p)
{
	rte_eth_dev_stop(p->id);
	rte_eth_dev_close(p->id);
}
