/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt path end to end inside one process: two ring ports (rte_eth_from_rings), the real
 * worker loop (dp_worker_main) on lcore 1, the control thread (dp_ctrl_poll) on the main lcore
 * and a control client. Frames from tests/data/frames enter on the uplink; the test checks:
 *   - DHCPv4 and LLDP frames are copied to the client (hold id 0) and forwarded at once;
 *   - a DNS answer to a device whose policy has dnsname ACEs is held: not forwarded until the
 *     client releases it; RELEASE forward transmits it, RELEASE drop drops it, and a hold the
 *     client ignores is forwarded after the hold timeout;
 *   - with no punt client, nothing is held and nothing is copied.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "bridge/dp_bridge.h"
#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "mg_ctrl.h"
#include "mg_image.h"
#include "port/dp_port.h"

static struct rte_ring *acc_rx, *acc_tx, *up_rx, *up_tx;
static char sock_path[108];
static volatile bool test_done;
static int failures, checks;
static uint8_t dns[512], lldp[512], dhcp[1024];
static size_t dns_len, lldp_len, dhcp_len;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		checks++;                                                    \
		if (!(cond)) {                                               \
			failures++;                                          \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, "\n");                               \
		}                                                            \
	} while (0)

static size_t
load_frame(const char *name, uint8_t *buf, size_t cap)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/frames/%s",
		 getenv("MUDGATE_SOURCE_DIR") ? getenv("MUDGATE_SOURCE_DIR") : "..", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
inject(const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	CHECK(m != NULL, "mbuf alloc");
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	CHECK(rte_ring_enqueue(up_rx, m) == 0, "enqueue");
}

/* Frames transmitted on the access port within ms; counts those equal to frame. */
static int
collect(const uint8_t *frame, size_t len, int ms, int *n_total)
{
	int match = 0;
	*n_total = 0;
	for (int i = 0; i < ms; i++) {
		struct rte_mbuf *m;
		while (rte_ring_dequeue(acc_tx, (void **)&m) == 0) {
			(*n_total)++;
			if (rte_pktmbuf_pkt_len(m) == len &&
			    !memcmp(rte_pktmbuf_mtod(m, void *), frame, len))
				match++;
			rte_pktmbuf_free(m);
		}
		usleep(1000);
	}
	return match;
}

static int
conn(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	struct timeval tv = {.tv_sec = 3};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static uint32_t seq;

/* Reads messages until one of type `want`; PUNTs met on the way are returned one at a time
 * through *punt when want is MG_CTRL_PUNT. */
static int
recv_type(int fd, uint16_t want, struct mg_ctrl_hdr *h, uint8_t **p)
{
	for (;;) {
		if (mg_ctrl_recv(fd, h, p, MG_CTRL_MAX_PAYLOAD) < 0)
			return -1;
		if (h->type == want)
			return 0;
		free(*p);
	}
}

static void
request_ok(int fd, uint16_t type, const void *a, uint32_t n, const char *what)
{
	struct mg_ctrl_hdr h;
	uint8_t *p;
	mg_ctrl_send(fd, type, ++seq, a, n, NULL, 0);
	CHECK(recv_type(fd, MG_CTRL_REPLY, &h, &p) == 0, "%s: no reply", what);
	struct mg_ctrl_reply r;
	memcpy(&r, p, sizeof(r));
	CHECK(r.status == 0, "%s: status %d %.*s", what, r.status, (int)r.reason_len,
	      (char *)p + sizeof(r));
	free(p);
}

static void
expect_punt(int fd, uint8_t kind, bool held, uint64_t *hold_id, const uint8_t *frame, size_t len)
{
	struct mg_ctrl_hdr h;
	uint8_t *p;
	CHECK(recv_type(fd, MG_CTRL_PUNT, &h, &p) == 0, "no PUNT of kind %u", kind);
	if (h.type != MG_CTRL_PUNT)
		return;
	struct mg_ctrl_punt pm;
	memcpy(&pm, p, sizeof(pm));
	CHECK(pm.kind == kind, "PUNT kind %u, want %u", pm.kind, kind);
	CHECK((pm.hold_id != 0) == held, "PUNT kind %u: hold_id %" PRIu64, kind, pm.hold_id);
	CHECK(pm.frame_len == len && !memcmp(p + sizeof(pm), frame, len), "PUNT frame bytes");
	*hold_id = pm.hold_id;
	free(p);
}

static void *
driver(void *arg)
{
	uint64_t hold, dummy;
	int n, fd;
	(void)arg;

	fd = conn();
	CHECK(fd >= 0, "connect");
	struct mg_ctrl_hello hello = {.version = 1, .flags = MG_CTRL_HELLO_PUNT};
	request_ok(fd, MG_CTRL_HELLO, &hello, sizeof(hello), "HELLO");

	/* copies: DHCPv4 (allowed by the DHCP allowance) is forwarded at once; LLDP from the
	 * device is copied whatever its verdict, and denied here (its policy has no Ethernet
	 * ACE: default deny) */
	inject(dhcp, dhcp_len);
	expect_punt(fd, MG_PUNT_DHCP4, false, &dummy, dhcp, dhcp_len);
	CHECK(collect(dhcp, dhcp_len, 100, &n) == 1, "DHCPv4 frame not forwarded once");
	inject(lldp, lldp_len);
	expect_punt(fd, MG_PUNT_LLDP, false, &dummy, lldp, lldp_len);
	CHECK(collect(lldp, lldp_len, 100, &n) == 0, "denied LLDP frame forwarded (%d frames)", n);

	/* held, released forward */
	inject(dns, dns_len);
	expect_punt(fd, MG_PUNT_DNS, true, &hold, dns, dns_len);
	CHECK(collect(dns, dns_len, 100, &n) == 0, "held DNS answer forwarded before release");
	struct mg_ctrl_release rel = {.hold_id = hold, .action = MG_RELEASE_FORWARD};
	request_ok(fd, MG_CTRL_RELEASE, &rel, sizeof(rel), "RELEASE forward");
	CHECK(collect(dns, dns_len, 100, &n) == 1, "released DNS answer not forwarded");

	/* held, released drop */
	inject(dns, dns_len);
	expect_punt(fd, MG_PUNT_DNS, true, &hold, dns, dns_len);
	rel = (struct mg_ctrl_release){.hold_id = hold, .action = MG_RELEASE_DROP};
	request_ok(fd, MG_CTRL_RELEASE, &rel, sizeof(rel), "RELEASE drop");
	CHECK(collect(dns, dns_len, 200, &n) == 0, "dropped DNS answer forwarded");

	/* held, ignored: the hold timeout (300 ms) forwards it */
	inject(dns, dns_len);
	expect_punt(fd, MG_PUNT_DNS, true, &hold, dns, dns_len);
	CHECK(collect(dns, dns_len, 150, &n) == 0, "DNS answer forwarded before the timeout");
	CHECK(collect(dns, dns_len, 600, &n) == 1, "DNS answer not forwarded after the timeout");

	/* no punt client: nothing held, nothing copied */
	close(fd);
	usleep(100 * 1000);
	inject(dns, dns_len);
	CHECK(collect(dns, dns_len, 100, &n) == 1, "DNS answer held without a client");
	CHECK(dp.workers[0].st.punts[DP_PUNT_NO_LISTENER] == 1, "no-listener count %" PRIu64,
	      dp.workers[0].st.punts[DP_PUNT_NO_LISTENER]);
	CHECK(dp.workers[0].st.punts[DP_PUNT_HELD] == 3, "held count %" PRIu64,
	      dp.workers[0].st.punts[DP_PUNT_HELD]);
	CHECK(dp_ctrl_stats.hold_timeouts == 1, "hold timeouts %" PRIu64,
	      dp_ctrl_stats.hold_timeouts);
	CHECK(dp_ctrl_stats.hold_dropped == 1, "hold dropped %" PRIu64, dp_ctrl_stats.hold_dropped);
	test_done = true;
	return NULL;
}

/* An image: device 02:00:5e:10:00:01 (the DNS answer's destination) bound to a policy with a
 * dnsname ACE; resolver 2001:db8::53 (the answer's source) in the DNS allowance. */
static int
make_image(void **blob, size_t *size)
{
	struct mgi_builder *b = mgi_builder_create();
	uint8_t dev[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
	int64_t pol =
		mgi_builder_add_policy(b, "https://example.com/cam", "https://example.com/cam");
	int64_t dn = mgi_builder_set(b, MGI_SET_DNSNAME, "cdn.example.net");
	int64_t rs = mgi_builder_set(b, MGI_SET_CONTROLLER, "urn:ietf:params:mud:dns");
	struct mgi_prefix px = {
		.family = 6, .plen = 128, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x53}};
	struct mgi_ace a = {.acl_name = (uint32_t)mgi_builder_str(b, "acl"),
			    .ace_name = (uint32_t)mgi_builder_str(b, "cdn"),
			    .family = MGI_FAMILY_IPV6,
			    .action = MG_ACT_ACCEPT,
			    .dst_kind = MGI_PEER_SET,
			    .dst_set = (uint32_t)dn};
	int rc = pol < 0 || dn < 0 || rs < 0 ? -EINVAL : 0;
	if (!rc)
		rc = mgi_builder_set_add(b, (uint32_t)rs, &px);
	if (!rc)
		rc = mgi_builder_add_ace(b, (uint32_t)pol, MG_DIR_FROM_DEVICE, &a);
	if (!rc)
		rc = mgi_builder_add_device(b, dev, (uint32_t)pol, MG_STATE_ENFORCED);
	if (!rc)
		rc = mgi_builder_set_allowances(
			b, MGI_ALLOW_ARP | MGI_ALLOW_ND | MGI_ALLOW_DHCP | MGI_ALLOW_DNS,
			(uint32_t)rs);
	if (!rc)
		rc = mgi_builder_finish(b, blob, size);
	mgi_builder_destroy(b);
	return rc;
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0,1",
		       "-m",
		       "256",
		       "--log-level=lib.eal:error",
		       "--log-level=user1:error",
		       "--no-telemetry",
		       NULL};
	char err[256];
	void *blob;
	size_t size;
	pthread_t th;

	signal(SIGPIPE, SIG_IGN);
	if (rte_eal_init(11, eal) < 0)
		return 1;
	dns_len = load_frame("dns-aaaa.bin", dns, sizeof(dns));
	lldp_len = load_frame("lldp-mud.bin", lldp, sizeof(lldp));
	dhcp_len = load_frame("dhcp4-discover-mud.bin", dhcp, sizeof(dhcp));

	dp.pool =
		rte_pktmbuf_pool_create("pool", 4095, 0, RTE_ALIGN(sizeof(struct dp_punt_meta), 8),
					RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	acc_rx = rte_ring_create("acc_rx", 256, SOCKET_ID_ANY, 0);
	acc_tx = rte_ring_create("acc_tx", 256, SOCKET_ID_ANY, 0);
	up_rx = rte_ring_create("up_rx", 256, SOCKET_ID_ANY, 0);
	up_tx = rte_ring_create("up_tx", 256, SOCKET_ID_ANY, 0);
	int acc = rte_eth_from_rings("acc", &acc_rx, 1, &acc_tx, 1, SOCKET_ID_ANY);
	int up = rte_eth_from_rings("up", &up_rx, 1, &up_tx, 1, SOCKET_ID_ANY);
	if (!dp.pool || acc < 0 || up < 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	dp.n_workers = 1;
	dp.workers[0].lcore = rte_get_next_lcore(-1, 1, 0);
	dp.ports[0] = (struct dp_port){.id = (uint16_t)acc, .role = DP_PORT_ACCESS};
	dp.ports[1] = (struct dp_port){.id = (uint16_t)up, .role = DP_PORT_UPLINK};
	dp.port_idx[acc] = 0;
	dp.port_idx[up] = 1;
	dp.n_ports = 2;
	dp.uplink = 1;
	for (int i = 0; i < 2; i++)
		if (dp_port_setup(&dp.ports[i], 1, dp.pool, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	dp.rcu = rte_zmalloc("rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.rcu, 1);
	dp.pids = dp_pids_create(64);
	dp.punt_rate = 1000;
	dp.hold_timeout_ms = 300;
	dp.workers[0].flows = dp_flow_create("flows", 1024, NULL, SOCKET_ID_ANY);
	dp.workers[0].punt =
		rte_ring_create("punt", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	dp.workers[0].inject =
		rte_ring_create("inject", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(sock_path, sizeof(sock_path), "/tmp/mg_punt_test.%d.sock", getpid());
	if (make_image(&blob, &size) < 0 || dp_ctrl_init(sock_path, NULL, 64) < 0 ||
	    dp_ctrl_load(blob, size, 0, false, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "image: %s\n", err);
		return 1;
	}
	rte_eal_remote_launch(dp_worker_main, &dp.workers[0], dp.workers[0].lcore);
	pthread_create(&th, NULL, driver, NULL);
	for (int i = 0; i < 3000 && !test_done; i++)
		dp_ctrl_poll(2);
	pthread_join(th, NULL);
	dp.quit = true;
	rte_eal_mp_wait_lcore();
	dp_ctrl_fini();
	for (int i = 0; i < DP_PUNT_COUNT_; i++)
		printf("  punts.%s %" PRIu64 "\n", dp_punt_str(i), dp.workers[0].st.punts[i]);
	for (int i = 0; i < MG_R_COUNT_; i++)
		printf("  reasons.%s %" PRIu64 "\n", mg_reason_str(i), dp.workers[0].st.reasons[i]);
	printf("dp_punt_test: %d checks, %d failures (punts: dhcp4 %" PRIu64 " lldp %" PRIu64
	       " dns %" PRIu64 " held %" PRIu64 ")\n",
	       checks, failures, dp.workers[0].st.punts[DP_PUNT_DHCP4],
	       dp.workers[0].st.punts[DP_PUNT_LLDP], dp.workers[0].st.punts[DP_PUNT_DNS],
	       dp.workers[0].st.punts[DP_PUNT_HELD]);

	struct rte_mbuf *m = NULL;
	while (rte_ring_dequeue(acc_tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(up_tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	struct dp_gen *g = dp.gen;
	struct dp_devs *d = g->devs;
	g->devs = NULL;
	dp_gen_destroy(g);
	dp_devs_destroy(d);
	for (int i = 0; i < 2; i++)
		dp_port_close(&dp.ports[i]);
	dp_flow_destroy(dp.workers[0].flows);
	rte_ring_free(dp.workers[0].punt);
	rte_ring_free(dp.workers[0].inject);
	dp_pids_destroy(dp.pids);
	rte_free(dp.rcu);
	free(blob);
	rte_eal_cleanup();
	return failures ? 1 : 0;
}
