/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Update under traffic, black box: mudgate-dp runs as its own process with two net_memif ports
 * (access, uplink); this program is a second DPDK process on the client side of both memif
 * sockets and a control client (common/mg_ctrl.h). While UDP frames from three devices flow
 * access -> uplink at a bounded rate, it performs thousands of image swaps (A <-> B, keeping
 * the bindings), lifecycle state changes and bind/unbind operations.
 *
 * Generations: policy "p" accepts UDP from-device to 10.0.0.0/8 with destination port
 * 1000-1999 in image A and 1500-2499 in image B. Devices: D1 always bound and enforced; D2
 * toggled enforced <-> quarantined (allowances only); D3 toggled bound <-> unbound (an unbound
 * MAC is not a device: allowed). Frames carry a sequence number; destination ports 1200 (A
 * only), 1700 (A and B), 2200 (B only), 3000 (neither). Every frame's possible verdicts:
 *
 *   device  1200        1700        2200        3000
 *   D1      A:allow     allow       B:allow     deny
 *   D2      A&enf       enf         B&enf       deny
 *   D3      A|unbound   allow       B|unbound   unbound
 *
 * Asserted: mudgate-dp survives (exit status 0 after SIGINT); no frame comes out that no
 * generation/binding in force allows, none twice, and every frame that all of them allow comes
 * out; the "either" classes come out sometimes and sometimes not (the swaps happened under
 * traffic); counters: rx = frames sent, tx = frames observed, rx = tx + denied (no punts).
 *
 * usage: dp_swap_test [SWAPS]   (default 2000 image swaps and as many binding changes)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "mg_ctrl.h"
#include "mg_image.h"

#define MAX_FRAMES (1u << 20)
#define BURST      32
#define IN_FLIGHT  128 /* frames sent per control operation, at most, before its reply */

static const uint8_t dev_macs[3][6] = {
	{0x02, 0, 0, 0, 0x01, 0x01}, {0x02, 0, 0, 0, 0x01, 0x02}, {0x02, 0, 0, 0, 0x01, 0x03}};
static const uint8_t gw_mac[6] = {0x02, 0xfe, 0, 0, 0, 0x01};
static const uint16_t class_port[4] = {1200, 1700, 2200, 3000};

enum { MUST = 1, MAY = 2, NEVER = 3 };
/* [device][class] */
static const uint8_t expect[3][4] = {
	{MAY, MUST, MAY, NEVER},
	{MAY, MAY, MAY, NEVER},
	{MAY, MUST, MAY, MAY},
};

static uint8_t seen[MAX_FRAMES];
static uint32_t n_sent, n_recv, n_dup, n_bad;
static int ctrl_fd = -1;
static uint32_t ctrl_seq;
static pid_t dp_pid;
static char tmp[64];

static int
build_image(uint16_t lo, uint16_t hi, void **blob, size_t *size)
{
	struct mgi_builder *b = mgi_builder_create();
	struct mgi_ace a;
	int rc = -1;

	if (!b)
		return -1;
	int64_t p = mgi_builder_add_policy(b, "p", "https://swap.example/p.json");
	memset(&a, 0, sizeof(a));
	a.acl_name = (uint32_t)mgi_builder_str(b, "acl");
	a.ace_name = (uint32_t)mgi_builder_str(b, "udp");
	a.family = MGI_FAMILY_IPV4;
	a.action = MG_ACT_ACCEPT;
	a.match = MGI_M_PROTO | MGI_M_DPORT;
	a.proto = 17;
	a.dport_lo = lo;
	a.dport_hi = hi;
	a.dst_kind = MGI_PEER_PREFIX;
	a.dst_plen = 8;
	a.dst_addr[0] = 10;
	if (p < 0 || mgi_builder_add_ace(b, (uint32_t)p, MG_DIR_FROM_DEVICE, &a) < 0)
		goto out;
	for (int d = 0; d < 3; d++)
		if (mgi_builder_add_device(b, dev_macs[d], (uint32_t)p, MG_STATE_ENFORCED) < 0)
			goto out;
	rc = mgi_builder_finish(b, blob, size);
out:
	if (rc < 0)
		fprintf(stderr, "dp_swap_test: image: %s\n", mgi_builder_error(b));
	mgi_builder_destroy(b);
	return rc;
}

static struct rte_mbuf *
make_frame(struct rte_mempool *pool, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (!m)
		return NULL;
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, 64);
	if (!f) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	unsigned int d = seq % 3, c = (seq / 3) % 4;
	memset(f, 0, 64);
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, dev_macs[d], 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 8;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){192, 168, 0, (uint8_t)(10 + d)}, 4);
	memcpy(ip + 16, (uint8_t[]){10, 1, 2, 3}, 4);
	udp[0] = 0x9c;
	udp[1] = 0x40;
	udp[2] = (uint8_t)(class_port[c] >> 8);
	udp[3] = (uint8_t)class_port[c];
	udp[5] = 16;
	memcpy(udp + 8, &seq, 4);
	return m;
}

static void
poll_rx(uint16_t port)
{
	struct rte_mbuf *m[BURST];
	uint16_t n = rte_eth_rx_burst(port, 0, m, BURST);
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);
		uint32_t seq;
		if (rte_pktmbuf_pkt_len(m[i]) < 64 || f[12] != 0x08) {
			n_bad++;
		} else {
			memcpy(&seq, f + 14 + 20 + 8, 4);
			if (seq >= n_sent)
				n_bad++;
			else if (seen[seq]++)
				n_dup++;
			else
				n_recv++;
		}
		rte_pktmbuf_free(m[i]);
	}
}

static void
send_burst(uint16_t port, struct rte_mempool *pool)
{
	struct rte_mbuf *m[BURST];
	uint16_t n = 0;
	while (n < BURST && n_sent + n < MAX_FRAMES) {
		m[n] = make_frame(pool, n_sent + n);
		if (!m[n])
			break;
		n++;
	}
	uint16_t sent = rte_eth_tx_burst(port, 0, m, n);
	for (uint16_t i = sent; i < n; i++)
		rte_pktmbuf_free(m[i]);
	n_sent += sent;
}

/* Sends a request; while waiting for its reply keeps traffic flowing (bounded). */
static int
request(uint16_t type, const void *a, uint32_t a_len, const void *b, uint32_t b_len, uint16_t acc,
	uint16_t up, struct rte_mempool *pool, uint8_t **answer)
{
	struct mg_ctrl_hdr h;
	uint8_t *payload = NULL;
	uint32_t sent_here = 0;

	if (mg_ctrl_send(ctrl_fd, type, ++ctrl_seq, a, a_len, b, b_len) < 0)
		return -EIO;
	for (;;) {
		struct pollfd pfd = {.fd = ctrl_fd, .events = POLLIN};
		if (pool && sent_here < IN_FLIGHT) {
			uint32_t before = n_sent;
			send_burst(acc, pool);
			sent_here += n_sent - before;
		}
		poll_rx(up);
		if (poll(&pfd, 1, pool ? 0 : 100) > 0)
			break;
	}
	int rc = mg_ctrl_recv(ctrl_fd, &h, &payload, MG_CTRL_MAX_PAYLOAD);
	if (rc < 0)
		return rc;
	if (h.type == MG_CTRL_REPLY) {
		struct mg_ctrl_reply r;
		memcpy(&r, payload, sizeof(r));
		if (r.status < 0) {
			fprintf(stderr, "dp_swap_test: %s refused: %.*s\n", mg_ctrl_type_str(type),
				(int)r.reason_len, (const char *)payload + sizeof(r));
			free(payload);
			return r.status;
		}
	}
	if (answer)
		*answer = payload;
	else
		free(payload);
	return (int)h.len;
}

static void
stop_dp(int *status)
{
	*status = -1;
	if (dp_pid <= 0)
		return;
	kill(dp_pid, SIGINT);
	for (int i = 0; i < 100; i++) {
		if (waitpid(dp_pid, status, WNOHANG) == dp_pid) {
			dp_pid = 0;
			return;
		}
		usleep(100000);
	}
	kill(dp_pid, SIGKILL);
	waitpid(dp_pid, status, 0);
	dp_pid = 0;
	*status = -1;
}

static uint64_t
jnum(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

int
main(int argc, char **argv)
{
	unsigned int swaps = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 2000;
	const char *bdir = getenv("MUDGATE_BUILD_DIR");
	char path[512], img_a[128], sock[128], ms0[128], ms1[128], v0[256], v1[256];
	void *blob[2];
	size_t size[2];
	int status, fail = 0;

	if (!bdir)
		bdir = ".";
	snprintf(path, sizeof(path), "%s/mudgate-dp", bdir);
	if (access(path, X_OK) != 0) {
		printf("dp_swap_test: %s not built, skipped\n", path);
		return 77;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/mgswapXXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	if (build_image(1000, 1999, &blob[0], &size[0]) < 0 ||
	    build_image(1500, 2499, &blob[1], &size[1]) < 0)
		return 1;
	snprintf(img_a, sizeof(img_a), "%s/a.mgi", tmp);
	FILE *f = fopen(img_a, "wb");
	if (!f || fwrite(blob[0], 1, size[0], f) != size[0] || fclose(f) != 0)
		return 1;
	snprintf(sock, sizeof(sock), "%s/dp.sock", tmp);
	snprintf(ms0, sizeof(ms0), "%s/memif0.sock", tmp);
	snprintf(ms1, sizeof(ms1), "%s/memif1.sock", tmp);

	char prefix[32], logf[160];
	snprintf(prefix, sizeof(prefix), "--file-prefix=mgswapdp%d", (int)getpid());
	snprintf(v0, sizeof(v0), "net_memif0,role=server,socket=%s,id=0", ms0);
	snprintf(v1, sizeof(v1), "net_memif1,role=server,socket=%s,id=0", ms1);
	snprintf(logf, sizeof(logf), "%s/dp.log", tmp);
	dp_pid = fork();
	if (dp_pid == 0) {
		int fd = creat(logf, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(path, path, "--no-huge", "--no-pci", "-l", "0,1", "-m", "256", prefix,
		      "--log-level=lib.eal:error", "--no-telemetry", "--vdev", v0, "--vdev", v1,
		      "--", "--access", "net_memif0", "--uplink", "net_memif1", "--image", img_a,
		      "--ctrl", sock, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		struct stat st;
		if (stat(sock, &st) == 0)
			break;
		usleep(100000);
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	ctrl_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ctrl_fd < 0 || connect(ctrl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dp_swap_test: mudgate-dp did not start (log %s)\n", logf);
		stop_dp(&status);
		return 1;
	}

	/* the traffic side: client ends of both memif sockets */
	char cprefix[32], c0[256], c1[256];
	snprintf(cprefix, sizeof(cprefix), "--file-prefix=mgswap%d", (int)getpid());
	snprintf(c0, sizeof(c0), "net_memif0,role=client,socket=%s,id=0", ms0);
	snprintf(c1, sizeof(c1), "net_memif1,role=client,socket=%s,id=0", ms1);
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-pci",
		       "-l",
		       "0",
		       "-m",
		       "256",
		       cprefix,
		       "--log-level=lib.eal:error",
		       "--no-telemetry",
		       "--vdev",
		       c0,
		       "--vdev",
		       c1,
		       NULL};
	if (rte_eal_init(14, eal) < 0) {
		fprintf(stderr, "dp_swap_test: rte_eal_init failed\n");
		stop_dp(&status);
		return 1;
	}
	struct rte_mempool *pool =
		rte_pktmbuf_pool_create("swap_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	uint16_t acc, up;
	if (!pool || rte_eth_dev_get_port_by_name("net_memif0", &acc) ||
	    rte_eth_dev_get_port_by_name("net_memif1", &up)) {
		fprintf(stderr, "dp_swap_test: memif ports: %s\n", rte_strerror(rte_errno));
		stop_dp(&status);
		return 1;
	}
	struct rte_eth_conf conf = {0};
	uint16_t ports[2] = {acc, up};
	for (int i = 0; i < 2; i++) {
		if (rte_eth_dev_configure(ports[i], 1, 1, &conf) < 0 ||
		    rte_eth_rx_queue_setup(ports[i], 0, 1024, 0, NULL, pool) < 0 ||
		    rte_eth_tx_queue_setup(ports[i], 0, 1024, 0, NULL) < 0 ||
		    rte_eth_dev_start(ports[i]) < 0) {
			fprintf(stderr, "dp_swap_test: port %u setup failed\n", ports[i]);
			stop_dp(&status);
			return 1;
		}
	}
	for (int i = 0; i < 100; i++) {
		struct rte_eth_link l0, l1;
		rte_eth_link_get_nowait(acc, &l0);
		rte_eth_link_get_nowait(up, &l1);
		if (l0.link_status && l1.link_status)
			break;
		usleep(50000);
	}

	struct mg_ctrl_hello hello = {MG_CTRL_VERSION, 0};
	if (request(MG_CTRL_HELLO, &hello, sizeof(hello), NULL, 0, acc, up, NULL, NULL) < 0)
		fail = 1;
	uint64_t t0 = rte_rdtsc();
	bool d2_quarantined = false, d3_unbound = false;
	unsigned int n_loads = 0, n_binding_ops = 0;
	for (unsigned int op = 0; !fail && op < 2 * swaps && n_sent < MAX_FRAMES - 4096; op++) {
		int rc;
		if (op % 2 == 0) {
			struct mg_ctrl_load l = {MG_CTRL_LOAD_KEEP_BINDINGS, 0, 0};
			unsigned int which = ++n_loads % 2; /* B, A, B, ... */
			rc = request(MG_CTRL_LOAD_IMAGE, &l, sizeof(l), blob[which],
				     (uint32_t)size[which], acc, up, pool, NULL);
		} else if (op % 4 == 1) {
			struct mg_ctrl_state s = {{0}, 0, 0};
			memcpy(s.mac, dev_macs[1], 6);
			d2_quarantined = !d2_quarantined;
			s.state = d2_quarantined ? MG_STATE_QUARANTINED : MG_STATE_ENFORCED;
			rc = request(MG_CTRL_SET_STATE, &s, sizeof(s), NULL, 0, acc, up, pool,
				     NULL);
			n_binding_ops++;
		} else {
			d3_unbound = !d3_unbound;
			if (d3_unbound) {
				struct mg_ctrl_mac m = {{0}, {0}};
				memcpy(m.mac, dev_macs[2], 6);
				rc = request(MG_CTRL_UNBIND, &m, sizeof(m), NULL, 0, acc, up, pool,
					     NULL);
			} else {
				struct mg_ctrl_bind bd = {{0}, MG_STATE_ENFORCED, 0, 1, 0};
				memcpy(bd.mac, dev_macs[2], 6);
				rc = request(MG_CTRL_BIND, &bd, sizeof(bd), "p", 1, acc, up, pool,
					     NULL);
			}
			n_binding_ops++;
		}
		if (rc < 0) {
			fprintf(stderr, "dp_swap_test: operation %u failed: %s\n", op,
				strerror(-rc));
			fail = 1;
		}
	}
	/* drain: everything sent has been classified once the output is quiet */
	uint64_t hz = rte_get_tsc_hz(), last = rte_rdtsc();
	uint32_t before = n_recv;
	while (rte_rdtsc() - last < hz / 2) {
		poll_rx(up);
		if (n_recv != before) {
			before = n_recv;
			last = rte_rdtsc();
		}
	}
	double secs = (double)(rte_rdtsc() - t0) / (double)hz;

	/* per-frame verdicts */
	uint32_t cls[3][4][2] = {{{0}}}; /* [device][class][observed] */
	uint32_t never_seen = 0, must_missing = 0;
	for (uint32_t s = 0; s < n_sent; s++) {
		unsigned int d = s % 3, c = (s / 3) % 4;
		cls[d][c][seen[s] ? 1 : 0]++;
		if (seen[s] && expect[d][c] == NEVER)
			never_seen++;
		if (!seen[s] && expect[d][c] == MUST)
			must_missing++;
	}
	printf("dp_swap_test: %u image loads, %u binding/state changes, %u frames sent, %u "
	       "received in %.1f s\n",
	       n_loads, n_binding_ops, n_sent, n_recv, secs);
	for (unsigned int d = 0; d < 3; d++)
		printf("  D%u  1200 %u/%u  1700 %u/%u  2200 %u/%u  3000 %u/%u (passed/sent)\n",
		       d + 1, cls[d][0][1], cls[d][0][0] + cls[d][0][1], cls[d][1][1],
		       cls[d][1][0] + cls[d][1][1], cls[d][2][1], cls[d][2][0] + cls[d][2][1],
		       cls[d][3][1], cls[d][3][0] + cls[d][3][1]);
	if (never_seen || must_missing || n_dup || n_bad) {
		fprintf(stderr,
			"FAIL: %u frames passed that no generation allows, %u that every one "
			"allows are missing, %u duplicates, %u foreign frames\n",
			never_seen, must_missing, n_dup, n_bad);
		fail = 1;
	}
	/* the differences between the generations and bindings must show */
	const unsigned int mixed[][2] = {{0, 0}, {0, 2}, {1, 1}, {2, 3}};
	for (unsigned int i = 0; i < RTE_DIM(mixed); i++) {
		const uint32_t *v = cls[mixed[i][0]][mixed[i][1]];
		if (!v[0] || !v[1]) {
			fprintf(stderr,
				"FAIL: D%u port %u never %s: the swaps did not happen under "
				"traffic\n",
				mixed[i][0] + 1, class_port[mixed[i][1]],
				v[1] ? "denied" : "passed");
			fail = 1;
		}
	}

	/* counters */
	uint8_t *ans = NULL;
	int len = request(MG_CTRL_GET_COUNTERS, NULL, 0, NULL, 0, acc, up, NULL, &ans);
	json_t *j = len > 0 ? json_loadb((const char *)ans, (size_t)len, 0, NULL) : NULL;
	free(ans);
	if (!j) {
		fprintf(stderr, "FAIL: no counters\n");
		fail = 1;
	} else {
		uint64_t rx = jnum(j, "rx_packets"), tx = jnum(j, "tx_packets");
		uint64_t den = jnum(j, "denied"), allowed = jnum(j, "allowed");
		uint64_t loads = jnum(json_object_get(j, "ctrl"), "loads");
		uint64_t tx_full = jnum(json_object_get(j, "drops"), "tx-full");
		printf("  counters: rx %" PRIu64 " tx %" PRIu64 " allowed %" PRIu64
		       " denied %" PRIu64 " tx-full %" PRIu64 " loads %" PRIu64
		       " generation %" PRIu64 "\n",
		       rx, tx, allowed, den, tx_full, loads, jnum(j, "generation"));
		if (rx != n_sent || tx != n_recv || rx != tx + den || allowed != tx || tx_full) {
			fprintf(stderr,
				"FAIL: counters disagree with the traffic (sent %u, observed "
				"%u): rx = tx + denied must hold and equal them\n",
				n_sent, n_recv);
			fail = 1;
		}
		if (loads < n_loads) {
			fprintf(stderr, "FAIL: %" PRIu64 " loads counted, %u made\n", loads,
				n_loads);
			fail = 1;
		}
		json_decref(j);
	}
	close(ctrl_fd);
	for (int i = 0; i < 2; i++) {
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	stop_dp(&status);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: mudgate-dp ended with status 0x%x (log %s)\n", status, logf);
		fail = 1;
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	free(blob[0]);
	free(blob[1]);
	if (!fail) {
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "dp_swap_test: could not remove %s\n", tmp);
	} else {
		fprintf(stderr, "dp_swap_test: kept %s\n", tmp);
	}
	printf("dp_swap_test: %s\n", fail ? "FAILED" : "passed");
	return fail;
}
