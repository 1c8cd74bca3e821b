/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudbench --port memif: the real mudgate-dp binary driven over net_memif between processes
 * (docs/performance.md "mudbench over net_memif").
 *
 * mudbench is the memif client: a generator lcore (pinned with the main lcore to CPU 0) sends
 * the scenario's pre-built mbuf sequences into two memif ports (access, uplink) and receives
 * what comes back. The device under test is a child process, the memif server: mudgate-dp with
 * one worker lcore pinned to CPU 1 (its control lcore on CPU 0), its own --file-prefix, its
 * memif sockets and control socket in a private temporary directory. The control protocol has
 * no request that drops back to "no generation", so every phase starts a child of its own:
 *
 *   baseline  mudgate-dp started without an image (enforcement off: frames pass unclassified)
 *   enforced  mudgate-dp started without an image, then the scenario's image sent with
 *             LOAD_IMAGE over the control socket (S3: the TCP handshakes first)
 *   io        (S1 only) plain io forwarding between the same two memif server ports on CPU 1:
 *             this program re-executed as "mudbench --memif-io-child", counters in a shared
 *             file
 *
 * alternating in one run, on the same worker CPU. Frame rates and verdicts come from the
 * child's own counters (GET_COUNTERS): Mpps = rx_packets over the phase / its duration; after
 * the generator stops and everything sent came back or was denied, the frames the child denied
 * must equal the reference classifier's count for the frames the generator sent.
 *
 * Flow control: the generator keeps, per direction, fewer frames that the reference allows in
 * flight (sent, not yet back) than the return ring holds, so the child's transmit never finds
 * the ring full because the generator was descheduled (tx-full stays a real fault). net_memif
 * copies every frame (client and server side): the copies are part of both modes' cost.
 *
 * S5 (update latency) needs in-process hooks (the probe device's counter read by the generator
 * and the timing of dp_ctrl_load()); it is refused over memif.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <dirent.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "bridge/dp_bridge.h"
#include "classify/dp_classify.h"
#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "mg_ctrl.h"
#include "mudbench.h"

#define MM_RSIZE_LOG2 11 /* memif ring: 2,048 slots per direction and port */
#define MM_WINDOW     ((1u << MM_RSIZE_LOG2) - 256)
#define MM_SEQ_LEN    32768
#define MM_MAX_DEVS   131072
#define MM_MAX_ROUNDS 64
#define MM_REFCNT     60000
#define MM_REFILL     4096
#define MM_BURST      32
#define MM_RAMP_US    50000
#define MM_GEN_LCORE  1

enum mm_mode { MM_BASE, MM_ENF, MM_IO };

/* ---- the counters of the child ------------------------------------------------------------ */

struct mm_ctr {
	uint64_t rx, tx, allowed, denied, flows_added;
	uint64_t loops, idle_loops, busy_cycles; /* the child's workers, summed */
	struct dp_vcache_stats vc;               /* their verdict caches */
	uint64_t drops[DP_DROP_COUNT_];
	uint64_t reasons[MG_R_COUNT_];
};

/* The io child's counters, in a file both processes map. */
struct mm_io_shared {
	volatile uint64_t ready, rx, tx, dropped;
};

/* ---- the generator (lcore 1, CPU 0) ------------------------------------------------------- */

static struct {
	struct rte_mbuf **m[2];
	uint32_t *cum_deny[2];
	uint32_t n[2], cur[2], passes[2];
	uint16_t port[2];
	volatile bool run, stop, all_allowed;
	/* written by the generator, read by the main lcore */
	volatile uint64_t sent[2], exp_deny[2], rx[2], written_off[2];
	volatile uint64_t tx_calls, tx_short, window_waits, stalls;
	volatile uint64_t blocked_cycles; /* loops in which the child held a port back */
	volatile int tid;
} G;

static int
gen_main(void *arg)
{
	(void)arg;
	struct rte_mbuf *buf[64];
	uint64_t hz = rte_get_tsc_hz(), last_rx = rte_rdtsc();

	G.tid = rte_sys_gettid();
	while (!G.stop) {
		uint64_t now = rte_rdtsc();
		for (int p = 0; p < 2; p++) {
			uint16_t n = rte_eth_rx_burst(G.port[p], 0, buf, RTE_DIM(buf));
			if (n) {
				rte_pktmbuf_free_bulk(buf, n);
				G.rx[p] += n;
				last_rx = now;
			}
		}
		if (!G.run)
			continue;
		bool blocked = false;
		for (int p = 0; p < 2; p++) {
			/* frames sent into p that the reference allows come back on 1 - p */
			uint64_t allowed = G.sent[p] - (G.all_allowed ? 0 : G.exp_deny[p]);
			uint64_t back = G.rx[1 - p] + G.written_off[p];
			uint64_t inflight = allowed > back ? allowed - back : 0;
			if (inflight + MM_BURST > MM_WINDOW) {
				G.window_waits++;
				blocked = true;
				if (now - last_rx >
				    hz / 20) { /* 50 ms without a frame back: lost */
					G.written_off[p] += inflight;
					G.stalls++;
					last_rx = now;
				}
				continue;
			}
			uint32_t c = G.cur[p], k = MM_BURST;
			if (k > G.n[p] - c)
				k = G.n[p] - c;
			uint16_t s = rte_eth_tx_burst(G.port[p], 0, &G.m[p][c], (uint16_t)k);
			G.tx_calls++;
			if (s < k) {
				G.tx_short++;
				blocked = true;
			}
			G.sent[p] += s;
			G.exp_deny[p] += G.cum_deny[p][c + s] - G.cum_deny[p][c];
			G.cur[p] = c + s;
			if (G.cur[p] == G.n[p]) {
				G.cur[p] = 0;
				if (++G.passes[p] % MM_REFILL == 0)
					for (uint32_t i = 0; i < G.n[p]; i++)
						rte_mbuf_refcnt_set(G.m[p][i], MM_REFCNT);
			}
		}
		if (blocked)
			G.blocked_cycles += rte_rdtsc() - now;
	}
	return 0;
}

/* ---- the child ---------------------------------------------------------------------------- */

struct mm_child {
	pid_t pid;
	bool io;
	int ctrl_fd;
	uint32_t seq;
	struct mm_io_shared *io_ctr;
	bool ports_up;
};

static struct {
	char dir[64];
	char dp_path[PATH_MAX];
	char self[PATH_MAX];
	bool huge;
	struct rte_mempool *rx_pool;
	unsigned int n_children;
	char files[5][128], dirs[3][200];
	int n_files;
} M;

/* Async-signal-safe: unlink and rmdir only. */
static void
remove_files(void)
{
	for (int i = 0; i < M.n_files; i++)
		unlink(M.files[i]);
	for (int i = 0; i < 3; i++)
		if (M.dirs[i][0])
			rmdir(M.dirs[i]);
}

/* Killed (a test timeout): the children follow (PR_SET_PDEATHSIG), the files go. */
static void
on_signal(int sig)
{
	remove_files();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
log_tail(void)
{
	char path[200], buf[2049];
	snprintf(path, sizeof(path), "%s/child.log", M.dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	/* its last 2 kB */
	if (fseek(f, -2048, SEEK_END) != 0)
		rewind(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "mudbench: --- the end of the child's output ---\n%s", buf);
}

static int
ctrl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* One request, its answer (payload malloc'd). 0 or a negative errno; a REPLY with a negative
 * status is returned as that status with its reason in err. */
static int
ctrl_request(struct mm_child *c, uint16_t type, const void *a, uint32_t a_len, const void *b,
	     uint32_t b_len, struct mg_ctrl_hdr *h, uint8_t **payload, char *err, size_t err_size)
{
	int rc = mg_ctrl_send(c->ctrl_fd, type, ++c->seq, a, a_len, b, b_len);
	if (rc < 0) {
		snprintf(err, err_size, "control socket: send %s: %s", mg_ctrl_type_str(type),
			 strerror(-rc));
		return rc;
	}
	for (;;) {
		rc = mg_ctrl_recv(c->ctrl_fd, h, payload, MG_CTRL_MAX_PAYLOAD);
		if (rc < 0) {
			snprintf(err, err_size, "control socket: receive: %s", strerror(-rc));
			return rc;
		}
		if (h->type != MG_CTRL_PUNT)
			break;
		free(*payload);
	}
	if (h->type == MG_CTRL_REPLY) {
		struct mg_ctrl_reply r;
		if (h->len < sizeof(r)) {
			free(*payload);
			snprintf(err, err_size, "control socket: short REPLY");
			return -EBADMSG;
		}
		memcpy(&r, *payload, sizeof(r));
		if (r.status < 0) {
			snprintf(err, err_size, "%s rejected: %.*s", mg_ctrl_type_str(type),
				 (int)RTE_MIN(r.reason_len, h->len - (uint32_t)sizeof(r)),
				 (const char *)*payload + sizeof(r));
			free(*payload);
			return r.status;
		}
	}
	return 0;
}

static uint64_t
jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* The child's counters now. */
static int
child_counters(struct mm_child *c, struct mm_ctr *out)
{
	memset(out, 0, sizeof(*out));
	if (c->io) {
		out->rx = c->io_ctr->rx;
		out->tx = c->io_ctr->tx;
		out->allowed = out->tx;
		out->drops[DP_DROP_TX_FULL] = c->io_ctr->dropped;
		return 0;
	}
	struct mg_ctrl_hdr h;
	uint8_t *p;
	char err[256];
	int rc = ctrl_request(c, MG_CTRL_GET_COUNTERS, NULL, 0, NULL, 0, &h, &p, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "mudbench: counters: %s\n", err);
		return rc;
	}
	json_error_t jerr;
	json_t *j =
		h.type == MG_CTRL_COUNTERS ? json_loadb((const char *)p, h.len, 0, &jerr) : NULL;
	free(p);
	if (!j) {
		fprintf(stderr, "mudbench: counters: not a COUNTERS JSON document\n");
		return -EBADMSG;
	}
	out->rx = jnum(j, "rx_packets");
	out->tx = jnum(j, "tx_packets");
	out->allowed = jnum(j, "allowed");
	out->denied = jnum(j, "denied");
	out->flows_added = jnum(json_object_get(j, "flows"), "added");
	size_t wi;
	json_t *wk;
	json_array_foreach(json_object_get(j, "per_worker"), wi, wk)
	{
		out->loops += jnum(wk, "loops");
		out->idle_loops += jnum(wk, "idle_loops");
		out->busy_cycles += jnum(wk, "busy_cycles");
		json_t *vc = json_object_get(wk, "verdict_cache");
		out->vc.hits += jnum(vc, "hits");
		out->vc.misses += jnum(vc, "misses");
		out->vc.inserts += jnum(vc, "inserts");
		out->vc.uncacheable += jnum(vc, "uncacheable");
		out->vc.flushes += jnum(vc, "flushes");
		out->vc.flow_changed += jnum(vc, "flow_changed");
		out->vc.moves += jnum(vc, "moves");
		out->vc.evictions += jnum(vc, "evictions");
	}
	json_t *d = json_object_get(j, "drops"), *r = json_object_get(j, "reasons");
	for (int i = 0; i < DP_DROP_COUNT_; i++)
		out->drops[i] = jnum(d, dp_drop_str(i));
	for (int i = 0; i < MG_R_COUNT_; i++)
		out->reasons[i] = jnum(r, mg_reason_str(i));
	json_decref(j);
	return 0;
}

static void
sock_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%.63s/%.32s", M.dir, name);
}

static void
memif_args(char *buf, size_t size, int i, const char *role)
{
	snprintf(buf, size, "role=%s,socket=%.63s/m%d.sock,socket-abstract=no,id=%d,rsize=%d", role,
		 M.dir, i, i, MM_RSIZE_LOG2);
}

/* The EAL arguments of a child (mudgate-dp or the io forwarder): worker lcore 1 on CPU 1, the
 * main (control) lcore on CPU 0, the two memif server ports. */
static int
child_argv(char **av, int max, bool io, char store[][256])
{
	int n = 0, k = 0;
	(void)max;
	av[n++] = io ? M.self : M.dp_path;
	if (io)
		av[n++] = "--memif-io-child";
	/* one at a time: the same prefix for all of this run's children */
	snprintf(store[k], 256, "--file-prefix=mbdp%d", (int)getpid());
	av[n++] = store[k++];
	n = mb_eal_args(av, n, M.huge, io ? "512" : "2048", "0@0,1@1");
	for (int i = 0; i < 2; i++) {
		char a[200];
		memif_args(a, sizeof(a), i, "server");
		snprintf(store[k], 256, "--vdev=net_memif%d,%s", i, a);
		av[n++] = store[k++];
	}
	av[n++] = "--";
	if (io) {
		sock_path(store[k], 256, "io.ctr");
		av[n++] = store[k++];
	} else {
		av[n++] = "--access";
		av[n++] = "net_memif0";
		av[n++] = "--uplink";
		av[n++] = "net_memif1";
		av[n++] = "--workers";
		av[n++] = "1";
		av[n++] = "--max-devices";
		av[n++] = "131072";
		av[n++] = "--ctrl";
		sock_path(store[k], 256, "ctrl.sock");
		av[n++] = store[k++];
	}
	av[n] = NULL;
	return n;
}

static void
ports_down(struct mm_child *c)
{
	if (!c->ports_up)
		return;
	for (int i = 0; i < 2; i++) {
		char name[32];
		snprintf(name, sizeof(name), "net_memif%d", i);
		rte_eth_dev_stop(G.port[i]);
		rte_eth_dev_close(G.port[i]);
		rte_eal_hotplug_remove("vdev", name);
	}
	c->ports_up = false;
}

static void
child_stop(struct mm_child *c)
{
	ports_down(c);
	if (c->ctrl_fd >= 0)
		close(c->ctrl_fd);
	c->ctrl_fd = -1;
	if (c->io_ctr)
		munmap((void *)c->io_ctr, 4096);
	c->io_ctr = NULL;
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		int st;
		for (int i = 0; i < 500; i++) { /* 5 s, then SIGKILL */
			if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
				c->pid = 0;
				break;
			}
			usleep(10000);
		}
		if (c->pid > 0) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			c->pid = 0;
		}
	}
}

static bool
child_alive(struct mm_child *c)
{
	int st;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->pid = 0;
		return false;
	}
	return true;
}

/* Starts a child, waits for its sockets, attaches the two memif client ports, waits for both
 * links. 0 or a negative errno (the child's output is printed). */
static int
child_start(struct mm_child *c, bool io)
{
	char store[8][256], path[128];
	char *av[48];
	int rc;

	memset(c, 0, sizeof(*c));
	c->ctrl_fd = -1;
	c->io = io;
	M.n_children++;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/m%d.sock", M.dir, i);
		unlink(path);
	}
	sock_path(path, sizeof(path), "ctrl.sock");
	unlink(path);
	if (io) {
		sock_path(path, sizeof(path), "io.ctr");
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, 4096) < 0) {
			rc = -errno;
			fprintf(stderr, "mudbench: %s: %s\n", path, strerror(-rc));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			return -errno;
		c->io_ctr = m;
	}
	child_argv(av, RTE_DIM(av), io, store);
	sock_path(path, sizeof(path), "child.log");
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		/* a mudbench that is killed (a test timeout) takes its child along: an orphaned
		 * worker would poll CPU 1 for ever */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(av[0], av);
		fprintf(stderr, "mudbench: exec %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	/* ready: the control socket accepts (mudgate-dp) or the io child says so */
	uint64_t t_end = mb_now_ns() + 30000000000ull;
	for (;;) {
		if (!child_alive(c)) {
			fprintf(stderr, "mudbench: the child (%s) exited during startup\n",
				io ? "io forwarder" : M.dp_path);
			log_tail();
			return -ECHILD;
		}
		if (io ? c->io_ctr->ready != 0 : (c->ctrl_fd = ctrl_connect(path)) >= 0)
			break;
		if (mb_now_ns() > t_end) {
			fprintf(stderr, "mudbench: the child is not ready after 30 s\n");
			log_tail();
			child_stop(c);
			return -ETIMEDOUT;
		}
		usleep(5000);
		if (!io)
			sock_path(path, sizeof(path), "ctrl.sock");
	}
	if (!io) {
		struct mg_ctrl_hello hello = {.version = MG_CTRL_VERSION, .flags = 0};
		struct mg_ctrl_hdr h;
		uint8_t *p;
		char err[256];
		rc = ctrl_request(c, MG_CTRL_HELLO, &hello, sizeof(hello), NULL, 0, &h, &p, err,
				  sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "mudbench: %s\n", err);
			child_stop(c);
			return rc;
		}
		free(p);
	}
	/* the memif client ports */
	for (int i = 0; i < 2; i++) {
		char name[32], args[256];
		struct rte_eth_conf conf;
		snprintf(name, sizeof(name), "net_memif%d", i);
		memif_args(args, sizeof(args), i, "client");
		memset(&conf, 0, sizeof(conf));
		rc = rte_eal_hotplug_add("vdev", name, args);
		if (rc == 0)
			rc = rte_eth_dev_get_port_by_name(name, &G.port[i]);
		if (rc == 0)
			rc = rte_eth_dev_configure(G.port[i], 1, 1, &conf);
		if (rc == 0)
			rc = rte_eth_rx_queue_setup(G.port[i], 0, 1024, SOCKET_ID_ANY, NULL,
						    M.rx_pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(G.port[i], 0, 1024, SOCKET_ID_ANY, NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(G.port[i]);
		if (rc < 0) {
			fprintf(stderr, "mudbench: memif client port %s (%s): %s\n", name, args,
				strerror(-rc));
			c->ports_up = i > 0;
			child_stop(c);
			return rc;
		}
	}
	c->ports_up = true;
	t_end = mb_now_ns() + 10000000000ull;
	for (;;) {
		struct rte_eth_link l0, l1;
		rte_eth_link_get_nowait(G.port[0], &l0);
		rte_eth_link_get_nowait(G.port[1], &l1);
		if (l0.link_status && l1.link_status)
			break;
		if (mb_now_ns() > t_end || !child_alive(c)) {
			fprintf(stderr, "mudbench: memif links not up after 10 s\n");
			log_tail();
			child_stop(c);
			return -ETIMEDOUT;
		}
		usleep(2000);
	}
	return 0;
}

/* sum += b - a, counter by counter */
static void
vc_sum(struct dp_vcache_stats *sum, const struct dp_vcache_stats *a,
       const struct dp_vcache_stats *b)
{
	sum->hits += b->hits - a->hits;
	sum->misses += b->misses - a->misses;
	sum->inserts += b->inserts - a->inserts;
	sum->uncacheable += b->uncacheable - a->uncacheable;
	sum->flushes += b->flushes - a->flushes;
	sum->flow_changed += b->flow_changed - a->flow_changed;
	sum->moves += b->moves - a->moves;
	sum->evictions += b->evictions - a->evictions;
}

/* ---- phases ------------------------------------------------------------------------------- */

struct mm_phase {
	double mpps, tx_short_pct, blocked_pct, gen_rx_mpps, load_ms;
	double worker_cpu_pct, gen_cpu_pct; /* on-CPU time of the threads / phase time */
	/* the child's worker loop (not for the io child): TSC cycles of its loops that received
	 * frames per frame, those cycles / phase time, loops that received nothing */
	double busy_cpp, busy_pct, idle_loop_pct;
	struct dp_vcache_stats vc0, vc1; /* the child's at the start and the end of the phase */
	uint64_t rx, tx, denied, exp_deny, sent, back, flows_added, stalls;
	uint64_t drops[DP_DROP_COUNT_];
	uint64_t reasons[MG_R_COUNT_];
};

/* Frames sent so far in this child (handshakes and phase) vs what its counters show. */
static int
wait_drained(struct mm_child *c, uint64_t sent, uint64_t *back_extra, struct mm_ctr *out)
{
	uint64_t t_end = mb_now_ns() + 3000000000ull;
	int rc;
	for (;;) {
		usleep(c->io ? 2000 : 10000);
		if ((rc = child_counters(c, out)) < 0)
			return rc;
		uint64_t back = G.rx[0] + G.rx[1] + (back_extra ? *back_extra : 0);
		if (out->rx >= sent && back >= out->tx)
			return 0;
		if (mb_now_ns() > t_end) {
			fprintf(stderr,
				"mudbench: not drained after 3 s: sent %" PRIu64
				", child received %" PRIu64 ", transmitted %" PRIu64
				", back %" PRIu64 "\n",
				sent, out->rx, out->tx, back);
			return 0;
		}
	}
}

/* The TCP handshakes (S3) through the child, one step at a time: SYN (access), SYN-ACK
 * (uplink), ACK (access). The main lcore sends and drains (the generator is not running). */
static int
handshakes(struct mm_child *c, const struct mb_workload *w, struct rte_mempool *mp, uint64_t *sent,
	   uint64_t *back)
{
	const int port_of[3] = {0, 1, 0};
	struct rte_mbuf *buf[64];
	struct mm_ctr ct;
	for (int k = 0; k < 3; k++) {
		for (uint32_t f = 0; f < w->n_flows;) {
			struct rte_mbuf *m[MM_BURST];
			uint32_t n = RTE_MIN(w->n_flows - f, (uint32_t)MM_BURST);
			if (mb_fill_mbufs(mp, &w->hs[k][f], n, m) < 0)
				return -ENOMEM;
			uint16_t s = 0;
			uint64_t t_end = mb_now_ns() + 3000000000ull;
			while (s < n) {
				if (mb_now_ns() > t_end) {
					rte_pktmbuf_free_bulk(m + s, n - s);
					fprintf(stderr, "mudbench: handshakes: the child takes no "
							"frames for 3 s\n");
					return -ETIMEDOUT;
				}
				s += rte_eth_tx_burst(G.port[port_of[k]], 0, m + s,
						      (uint16_t)(n - s));
				for (int p = 0; p < 2; p++) {
					uint16_t r = rte_eth_rx_burst(G.port[p], 0, buf, 64);
					rte_pktmbuf_free_bulk(buf, r);
					*back += r;
				}
			}
			*sent += n;
			f += n;
		}
		uint64_t t_end = mb_now_ns() + 3000000000ull;
		for (;;) {
			for (int i = 0; i < 100; i++)
				for (int p = 0; p < 2; p++) {
					uint16_t r = rte_eth_rx_burst(G.port[p], 0, buf, 64);
					rte_pktmbuf_free_bulk(buf, r);
					*back += r;
				}
			int rc = child_counters(c, &ct);
			if (rc < 0)
				return rc;
			if ((ct.rx >= *sent && *back >= ct.tx) || mb_now_ns() > t_end)
				break;
			usleep(1000);
		}
	}
	return 0;
}

/* Nanoseconds thread tid of process pid spent on a CPU (schedstat), 0 if unknown. Whatever
 * else runs on the shared CPUs shows as less than the phase time. */
static uint64_t
cpu_ns(int pid, int tid)
{
	char path[96];
	unsigned long long run = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return run;
}

/* The child's worker thread (EAL names it rte-worker-1), 0 if not found. */
static int
worker_tid(int pid)
{
	char path[320], comm[32];
	int tid = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	for (struct dirent *e; !tid && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, e->d_name);
		FILE *f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strncmp(comm, "rte-worker-1\n", 13))
			tid = atoi(e->d_name);
		if (f)
			fclose(f);
	}
	closedir(d);
	return tid;
}

static double
now_s(void)
{
	return (double)mb_now_ns() / 1e9;
}

/* One phase with a child of its own. */
static int
run_phase(enum mm_mode mode, const struct mb_workload *w, struct rte_mempool *mp, double secs,
	  struct mm_phase *r)
{
	struct mm_child c;
	struct mm_ctr s0, a, b, s1;
	uint64_t hs_sent = 0, hs_back = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = child_start(&c, mode == MM_IO);
	if (rc < 0)
		return rc;
	if (mode == MM_ENF) {
		struct mg_ctrl_load lm = {.flags = 0, .generation = 0};
		struct mg_ctrl_hdr h;
		uint8_t *p;
		char err[256];
		uint64_t t0 = mb_now_ns();
		rc = ctrl_request(&c, MG_CTRL_LOAD_IMAGE, &lm, sizeof(lm), w->blob,
				  (uint32_t)w->size, &h, &p, err, sizeof(err));
		r->load_ms = (double)(mb_now_ns() - t0) / 1e6;
		if (rc < 0) {
			fprintf(stderr, "mudbench: LOAD_IMAGE: %s\n", err);
			goto out;
		}
		free(p);
		if (w->n_flows && (rc = handshakes(&c, w, mp, &hs_sent, &hs_back)) < 0)
			goto out;
	}
	if ((rc = child_counters(&c, &s0)) < 0)
		goto out;
	r->flows_added = s0.flows_added;

	/* the generator, its counters from zero */
	for (int p = 0; p < 2; p++)
		G.sent[p] = G.exp_deny[p] = G.rx[p] = G.written_off[p] = 0;
	G.tx_calls = G.tx_short = G.window_waits = G.stalls = G.blocked_cycles = 0;
	G.all_allowed = mode != MM_ENF;
	G.run = false;
	G.stop = false;
	rte_eal_remote_launch(gen_main, NULL, MM_GEN_LCORE);
	G.run = true;
	usleep(MM_RAMP_US);
	/* the child sums its counters as soon as the request arrives (before it formats the
	 * per-device and per-rule lists): the phase runs from request to request */
	double t0 = now_s();
	uint64_t rx0 = G.rx[0] + G.rx[1], calls0 = G.tx_calls, short0 = G.tx_short;
	uint64_t bl0 = G.blocked_cycles;
	int wtid = worker_tid(c.pid);
	uint64_t wc0 = cpu_ns(c.pid, wtid), gc0 = cpu_ns(getpid(), G.tid);
	if ((rc = child_counters(&c, &a)) < 0)
		goto out_gen;
	usleep((useconds_t)(secs * 1e6));
	double t1 = now_s();
	uint64_t rx1 = G.rx[0] + G.rx[1], calls1 = G.tx_calls, short1 = G.tx_short;
	uint64_t bl1 = G.blocked_cycles;
	uint64_t wc1 = cpu_ns(c.pid, wtid), gc1 = cpu_ns(getpid(), G.tid);
	if ((rc = child_counters(&c, &b)) < 0)
		goto out_gen;
	G.run = false;
	rc = wait_drained(&c, hs_sent + G.sent[0] + G.sent[1], &hs_back, &s1);
out_gen:
	G.stop = true;
	rte_eal_wait_lcore(MM_GEN_LCORE);
	if (rc < 0)
		goto out;
	r->mpps = (double)(b.rx - a.rx) / (t1 - t0) / 1e6;
	r->gen_rx_mpps = (double)(rx1 - rx0) / (t1 - t0) / 1e6;
	r->blocked_pct = 100.0 * (double)(bl1 - bl0) / ((t1 - t0) * (double)rte_get_tsc_hz());
	r->worker_cpu_pct = wtid ? (double)(wc1 - wc0) / (t1 - t0) / 1e7 : 0;
	r->gen_cpu_pct = G.tid ? (double)(gc1 - gc0) / (t1 - t0) / 1e7 : 0;
	r->vc0 = s0.vc;
	r->vc1 = s1.vc;
	r->busy_cpp =
		b.rx > a.rx ? (double)(b.busy_cycles - a.busy_cycles) / (double)(b.rx - a.rx) : 0;
	r->busy_pct = 100.0 * (double)(b.busy_cycles - a.busy_cycles) /
		      ((t1 - t0) * (double)rte_get_tsc_hz());
	r->idle_loop_pct = b.loops > a.loops ? 100.0 * (double)(b.idle_loops - a.idle_loops) /
						       (double)(b.loops - a.loops)
					     : 0;
	r->tx_short_pct =
		calls1 > calls0 ? 100.0 * (double)(short1 - short0) / (calls1 - calls0) : 0;
	r->rx = s1.rx - s0.rx;
	r->tx = s1.tx - s0.tx;
	r->denied = s1.denied - s0.denied;
	r->sent = G.sent[0] + G.sent[1];
	r->exp_deny = G.exp_deny[0] + G.exp_deny[1];
	r->back = G.rx[0] + G.rx[1];
	r->stalls = G.stalls;
	for (int i = 0; i < DP_DROP_COUNT_; i++)
		r->drops[i] = s1.drops[i] - s0.drops[i];
	for (int i = 0; i < MG_R_COUNT_; i++)
		r->reasons[i] = s1.reasons[i] - s0.reasons[i];
out:
	child_stop(&c);
	return rc;
}

/* ---- one scenario ------------------------------------------------------------------------- */

static json_t *
stats3(const double *v, int n)
{
	double s[MM_MAX_ROUNDS];
	memcpy(s, v, sizeof(double) * (size_t)n);
	return mb_stats_of(s, (uint32_t)n);
}

static int
run_scenario(const struct mb_scenario *s, double duration, int rounds, json_t *out)
{
	struct mb_workload w;
	char err[512];
	int rc;

	printf("mudbench: %s: %s (net_memif, mudgate-dp in a child process)\n", s->name, s->what);
	fflush(stdout);
	rc = mb_workload_build(
		s, getenv("MUDGATE_SOURCE_DIR") ? getenv("MUDGATE_SOURCE_DIR") : MB_SOURCE_DIR,
		MM_SEQ_LEN, &w);
	if (rc < 0)
		return rc;
	mb_export_pcaps(s, &w);

	/* in this process, as in ring mode: memory of a full generation, the stage cycles */
	size_t h0 = mb_heap_used();
	struct dp_gen *mg = dp_gen_build(w.blob, w.size, 1u << 30, dp.pids, 1, err, sizeof(err));
	size_t h1 = mb_heap_used();
	double gen_build_ms = mg ? mg->build_ms : 0;
	dp_gen_destroy(mg);
	struct dp_overlay_limits lim = dp_overlay_limits;
	dp_overlay_limits.sync_rules = 0;
	rc = dp_ctrl_load(w.blob, w.size, 0, false, false, err, sizeof(err));
	dp_overlay_limits = lim;
	if (rc < 0) {
		fprintf(stderr, "mudbench: %s: load: %s\n", s->name, err);
		mb_workload_free(&w);
		return rc;
	}
	uint32_t n_rules = dp.gen->n_rules[0] + dp.gen->n_rules[1];
	double stage_parse = 0, stage_classify = 0;
	mb_stage_cycles(&w, dp.gen, &stage_parse, &stage_classify);
	double stage_cached = mb_stage_cycles_cached(&w, dp.gen);

	/* the sequences as mbufs, as in ring mode */
	uint32_t *cum[2] = {NULL, NULL};
	struct rte_mbuf **mb[2] = {NULL, NULL};
	struct rte_mempool *mp = mb_seq_pool(s, 2 * MM_SEQ_LEN + 4096);
	for (int d = 0; d < 2; d++) {
		mb[d] = calloc(w.n_seq[d], sizeof(*mb[d]));
		cum[d] = calloc(w.n_seq[d] + 1, sizeof(uint32_t));
		if (!mp || !mb[d] || !cum[d] ||
		    mb_fill_mbufs(mp, w.seq[d], w.n_seq[d], mb[d]) < 0) {
			fprintf(stderr, "mudbench: %s: mbufs: %s\n", s->name,
				rte_strerror(rte_errno));
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < w.n_seq[d]; i++) {
			cum[d][i + 1] = cum[d][i] + w.seq[d][i].deny;
			rte_mbuf_refcnt_set(mb[d][i], MM_REFCNT);
		}
		G.m[d] = mb[d];
		G.cum_deny[d] = cum[d];
		G.n[d] = w.n_seq[d];
		G.cur[d] = G.passes[d] = 0;
	}

	double phase = duration / (2.0 * rounds);
	if (phase < 0.1)
		phase = 0.1;
	double mp_base[MM_MAX_ROUNDS], mp_main[MM_MAX_ROUNDS], ratio[MM_MAX_ROUNDS];
	double short_base[MM_MAX_ROUNDS], short_main[MM_MAX_ROUNDS];
	double blk_base[MM_MAX_ROUNDS], blk_main[MM_MAX_ROUNDS];
	double wcpu_base[MM_MAX_ROUNDS], wcpu_main[MM_MAX_ROUNDS];
	double gcpu_base[MM_MAX_ROUNDS], gcpu_main[MM_MAX_ROUNDS];
	double cpp_base[MM_MAX_ROUNDS], cpp_main[MM_MAX_ROUNDS];
	double bpct_base[MM_MAX_ROUNDS], bpct_main[MM_MAX_ROUNDS];
	double idle_base[MM_MAX_ROUNDS], idle_main[MM_MAX_ROUNDS];
	double grx_base[MM_MAX_ROUNDS], grx_main[MM_MAX_ROUNDS], load_ms[MM_MAX_ROUNDS];
	struct mm_phase tot = {0}, r;
	uint64_t mismatch = 0, lost = 0, not_back = 0, stalls = 0, flows_added = UINT64_MAX;
	uint64_t base_non_policy = 0;
	int n_load = 0;
	for (int k = 0; k < rounds; k++) {
		/* S1: mudgate-dp without an image vs io forwarding; else without vs with */
		enum mm_mode first = MM_BASE, second = s->baseline_only ? MM_IO : MM_ENF;
		if ((rc = run_phase(first, &w, mp, phase, &r)) < 0)
			goto out;
		double m_first = r.mpps;
		short_base[k] = r.tx_short_pct;
		blk_base[k] = r.blocked_pct;
		wcpu_base[k] = r.worker_cpu_pct;
		gcpu_base[k] = r.gen_cpu_pct;
		grx_base[k] = r.gen_rx_mpps;
		cpp_base[k] = r.busy_cpp;
		bpct_base[k] = r.busy_pct;
		idle_base[k] = r.idle_loop_pct;
		lost += r.sent - r.rx;
		not_back += r.tx - r.back;
		stalls += r.stalls;
		if (s->baseline_only) {
			mp_main[k] = m_first;
			for (int i = 0; i < DP_DROP_COUNT_; i++)
				tot.drops[i] += r.drops[i];
		} else {
			mp_base[k] = m_first;
			for (int i = 0; i < DP_DROP_COUNT_; i++)
				base_non_policy += r.drops[i];
		}
		if ((rc = run_phase(second, &w, mp, phase, &r)) < 0)
			goto out;
		if (s->baseline_only) {
			mp_base[k] = r.mpps;
			short_main[k] = short_base[k];
			short_base[k] = r.tx_short_pct;
			blk_main[k] = blk_base[k];
			blk_base[k] = r.blocked_pct;
			wcpu_main[k] = wcpu_base[k];
			wcpu_base[k] = r.worker_cpu_pct;
			gcpu_main[k] = gcpu_base[k];
			gcpu_base[k] = r.gen_cpu_pct;
			grx_main[k] = grx_base[k];
			grx_base[k] = r.gen_rx_mpps;
			cpp_main[k] = cpp_base[k]; /* the io child has no worker loop counters */
			bpct_main[k] = bpct_base[k];
			idle_main[k] = idle_base[k];
			ratio[k] = mp_main[k] / mp_base[k];
			tot.drops[DP_DROP_TX_FULL] += r.drops[DP_DROP_TX_FULL];
			lost += r.sent - r.rx;
			not_back += r.tx - r.back;
			stalls += r.stalls;
			continue;
		}
		mp_main[k] = r.mpps;
		short_main[k] = r.tx_short_pct;
		blk_main[k] = r.blocked_pct;
		wcpu_main[k] = r.worker_cpu_pct;
		gcpu_main[k] = r.gen_cpu_pct;
		grx_main[k] = r.gen_rx_mpps;
		cpp_main[k] = r.busy_cpp;
		bpct_main[k] = r.busy_pct;
		idle_main[k] = r.idle_loop_pct;
		ratio[k] = r.mpps / mp_base[k];
		load_ms[n_load++] = r.load_ms;
		/* every frame the generator sent went through the loaded generation: the
		 * child's denials must equal the reference's count */
		mismatch += r.denied > r.exp_deny ? r.denied - r.exp_deny : r.exp_deny - r.denied;
		lost += r.sent - r.rx;
		not_back += r.tx - r.back;
		stalls += r.stalls;
		flows_added = RTE_MIN(flows_added, r.flows_added);
		tot.rx += r.rx;
		tot.tx += r.tx;
		tot.sent += r.sent;
		tot.back += r.back;
		tot.denied += r.denied;
		tot.exp_deny += r.exp_deny;
		vc_sum(&tot.vc1, &r.vc0, &r.vc1);
		for (int i = 0; i < DP_DROP_COUNT_; i++)
			tot.drops[i] += r.drops[i];
		for (int i = 0; i < MG_R_COUNT_; i++)
			tot.reasons[i] += r.reasons[i];
	}

	/* results: the ring mode's fields, from the child's counters */
	json_t *drops = json_object(), *reasons = json_object();
	for (int i = 0; i < DP_DROP_COUNT_; i++)
		json_object_set_new(drops, dp_drop_str(i), json_integer((json_int_t)tot.drops[i]));
	for (int i = 0; i < MG_R_COUNT_; i++)
		if (tot.reasons[i])
			json_object_set_new(reasons, mg_reason_str(i),
					    json_integer((json_int_t)tot.reasons[i]));
	json_t *j_main = stats3(mp_main, rounds), *j_base = stats3(mp_base, rounds);
	json_t *j_ratio = stats3(ratio, rounds);
	double mpps = json_real_value(json_object_get(j_main, "median"));
	double bmpps = json_real_value(json_object_get(j_base, "median"));
	double hz = (double)rte_get_tsc_hz();
	size_t frame_bytes = 0;
	uint64_t exp_allowed = 0;
	for (uint32_t i = 0; i < w.n_seq[0]; i++)
		frame_bytes += w.seq[0][i].len;
	for (int d = 0; d < 2; d++)
		for (uint32_t i = 0; i < w.n_seq[d]; i++)
			exp_allowed += !w.seq[d][i].deny;
	json_t *sc = json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:o,s:o,s:o,s:o,s:o}", "name", s->name,
			       "what", s->what, "mpps", mpps, "baseline_mpps", bmpps, "ratio",
			       bmpps > 0 ? mpps / bmpps : 0, "cycles_per_packet",
			       mpps > 0 ? hz / (mpps * 1e6) : 0, "baseline_cycles_per_packet",
			       bmpps > 0 ? hz / (bmpps * 1e6) : 0, "mpps_stats", j_main,
			       "baseline_mpps_stats", j_base, "ratio_stats", j_ratio, "drops",
			       drops, "reasons", reasons);
	json_object_set_new(
		sc, "baseline",
		json_string(s->baseline_only ? "plain io forwarding (rx burst -> tx burst) "
					       "between the two memif server ports, on CPU 1"
					     : "mudgate-dp started without an image (enforcement "
					       "off, no generation)"));
	json_object_set_new(sc, "port", json_string("net_memif (between processes)"));
	/* the child's verdict cache over the enforced phases (each child starts it empty) */
	if (!s->baseline_only)
		json_object_set_new(sc, "verdict_cache", mb_vcache_json(&tot.vc0, &tot.vc1));
	json_object_set_new(sc, "rounds", json_integer(rounds));
	json_object_set_new(sc, "phase_s", json_real(phase));
	/* the child's worker loop counters (COUNTERS per_worker); S1's io child has none: only
	 * the enforcement-off mode is given */
	json_object_set_new(sc, "max_idle_loop_pct", json_null());
	json_object_set_new(sc, "rx_per_busy_loop", json_null());
	if (s->baseline_only) {
		json_object_set_new(
			sc, "idle_loop_pct",
			json_pack("{s:o}", "enforcement_off", stats3(idle_main, rounds)));
		json_object_set_new(
			sc, "worker_busy_cycles_per_packet",
			json_pack("{s:o}", "enforcement_off", stats3(cpp_main, rounds)));
		json_object_set_new(
			sc, "worker_busy_pct",
			json_pack("{s:o}", "enforcement_off", stats3(bpct_main, rounds)));
	} else {
		json_object_set_new(sc, "idle_loop_pct",
				    json_pack("{s:o,s:o}", "baseline", stats3(idle_base, rounds),
					      "enforced", stats3(idle_main, rounds)));
		json_object_set_new(sc, "worker_busy_cycles_per_packet",
				    json_pack("{s:o,s:o}", "baseline", stats3(cpp_base, rounds),
					      "enforced", stats3(cpp_main, rounds)));
		json_object_set_new(sc, "worker_busy_pct",
				    json_pack("{s:o,s:o}", "baseline", stats3(bpct_base, rounds),
					      "enforced", stats3(bpct_main, rounds)));
	}
	/* the generator's side. blocked_pct: the share of the phase spent in loops in which the
	 * child held a port back (its receive ring full, or the window of frames not yet back
	 * reached): near 100 % the child sets the rate, near 0 % the generator does (the figure
	 * is then a lower bound of what the child can do). tx_ring_full_pct: the transmits that
	 * found the child's receive ring full. */
	const char *mk = s->baseline_only ? "enforcement_off" : "enforced";
	const char *bk = s->baseline_only ? "io" : "baseline";
	json_object_set_new(
		sc, "generator",
		json_pack("{s:o,s:o,s:o,s:I,s:s}", "blocked_pct",
			  json_pack("{s:o,s:o}", bk, stats3(blk_base, rounds), mk,
				    stats3(blk_main, rounds)),
			  "tx_ring_full_pct",
			  json_pack("{s:o,s:o}", bk, stats3(short_base, rounds), mk,
				    stats3(short_main, rounds)),
			  "rx_back_mpps",
			  json_pack("{s:o,s:o}", bk, stats3(grx_base, rounds), mk,
				    stats3(grx_main, rounds)),
			  "window_stalls", (json_int_t)stalls, "lcores",
			  "main 0@cpu0, generator 1@cpu0; child: control 0@cpu0, worker 1@cpu1"));
	/* the share of each phase the child's worker thread and the generator thread were on a
	 * CPU (schedstat): both poll, so anything below 100 % is time other programs took from
	 * them on the shared CPUs, and that phase's rate is low by about as much */
	json_object_set_new(sc, "cpu_pct",
			    json_pack("{s:o,s:o}", "child_worker",
				      json_pack("{s:o,s:o}", bk, stats3(wcpu_base, rounds), mk,
						stats3(wcpu_main, rounds)),
				      "generator",
				      json_pack("{s:o,s:o}", bk, stats3(gcpu_base, rounds), mk,
						stats3(gcpu_main, rounds))));
	json_object_set_new(
		sc, "workload",
		json_pack("{s:i,s:i,s:i,s:i,s:f,s:i,s:s,s:i,s:i,s:f,s:b,s:f}", "devices",
			  (json_int_t)s->n_devices, "policies", (json_int_t)w.n_policies, "aces",
			  (json_int_t)w.n_aces, "rules", (json_int_t)n_rules, "aces_per_policy",
			  (double)w.n_aces / w.n_policies, "bases", (json_int_t)w.n_bases, "corpus",
			  w.corpus_note, "tcp_flows", (json_int_t)w.n_flows, "sequence_frames",
			  (json_int_t)(w.n_seq[0] + w.n_seq[1]), "allowed_share_expected",
			  (double)exp_allowed / (w.n_seq[0] + w.n_seq[1]), "imix", s->imix,
			  "mean_frame_bytes", (double)frame_bytes / w.n_seq[0]));
	json_object_set_new(sc, "verdicts",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "frames",
				      (json_int_t)tot.rx, "denied", (json_int_t)tot.denied,
				      "reference_denied", (json_int_t)tot.exp_deny, "mismatch",
				      (json_int_t)mismatch, "sent_by_generator",
				      (json_int_t)tot.sent, "transmitted_by_dp", (json_int_t)tot.tx,
				      "received_back", (json_int_t)tot.back, "lost_to_dp",
				      (json_int_t)lost, "lost_from_dp", (json_int_t)not_back));
	if (!s->baseline_only)
		json_object_set_new(sc, "baseline_non_policy_drops",
				    json_integer((json_int_t)base_non_policy));
	json_t *jl = n_load ? stats3(load_ms, n_load) : json_null();
	json_object_set_new(sc, "image",
			    json_pack("{s:f,s:f,s:f,s:f,s:f,s:I,s:o}", "parse_validate_ms",
				      w.parse_ms, "compile_ms", w.compile_ms, "expand_finish_ms",
				      w.expand_ms, "generation_build_ms", gen_build_ms,
				      "load_total_ms",
				      n_load ? json_real_value(json_object_get(jl, "median")) : 0.0,
				      "size_bytes", (json_int_t)w.size, "load_image_ms", jl));
	json_object_set_new(sc, "memory",
			    json_pack("{s:I,s:f}", "generation_bytes",
				      (json_int_t)(h1 > h0 ? h1 - h0 : 0), "per_rule_bytes",
				      n_rules ? (double)(h1 > h0 ? h1 - h0 : 0) / n_rules : 0));
	json_object_set_new(sc, "stage_cycles_per_packet",
			    json_pack("{s:f,s:f,s:f}", "parse", stage_parse, "classify_burst",
				      stage_classify, "classify_burst_cached", stage_cached));
	if (w.n_flows)
		json_object_set_new(
			sc, "handshakes",
			json_pack("{s:I,s:I}", "flows", (json_int_t)w.n_flows, "flows_added",
				  (json_int_t)(flows_added == UINT64_MAX ? 0 : flows_added)));
	json_object_set_new(
		sc, "counters_from",
		json_string(s->baseline_only ? "mudgate-dp: its control socket (GET_COUNTERS); io: "
					       "the forwarder's shared counters"
					     : "mudgate-dp: its control socket (GET_COUNTERS)"));
	json_array_append_new(out, sc);
	printf("mudbench: %s: %.2f Mpps, baseline %.2f Mpps, ratio %.3f (net_memif); verdict "
	       "mismatch %" PRIu64 ", lost %" PRIu64 "\n",
	       s->name, mpps, bmpps, bmpps > 0 ? mpps / bmpps : 0, mismatch, lost + not_back);
	fflush(stdout);
	rc = 0;
out:
	G.m[0] = G.m[1] = NULL;
	for (int d = 0; d < 2; d++) {
		free(mb[d]);
		free(cum[d]);
	}
	rte_mempool_free(mp);
	mb_workload_free(&w);
	return rc;
}

/* ---- entry points ------------------------------------------------------------------------- */

static bool
free_hugepages(long want)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long n = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n >= want;
}

static int
find_dp(const char *opt)
{
	ssize_t n = readlink("/proc/self/exe", M.self, sizeof(M.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "mudbench: /proc/self/exe: %s\n", strerror(errno));
		return -ENOENT;
	}
	M.self[n] = 0;
	if (opt) {
		snprintf(M.dp_path, sizeof(M.dp_path), "%s", opt);
	} else {
		char *slash = strrchr(M.self, '/');
		snprintf(M.dp_path, sizeof(M.dp_path), "%.*s/mudgate-dp",
			 (int)(slash ? slash - M.self : 1), slash ? M.self : ".");
	}
	if (access(M.dp_path, X_OK) != 0) {
		fprintf(stderr,
			"mudbench: --port memif: mudgate-dp not found or not executable at %s "
			"(give --dp PATH)\n",
			M.dp_path);
		return -ENOENT;
	}
	return 0;
}

int
mb_memif_run(const struct mb_scenario *const *sel, size_t n_sel, double duration, int rounds,
	     const char *json_path, const char *dp_path)
{
	int status = 1;

	for (size_t i = 0; i < n_sel; i++)
		if (sel[i]->updates) {
			fprintf(stderr,
				"mudbench: %s is not available over net_memif: its update latency "
				"needs in-process hooks (the probe device's counter read by the "
				"generator, the timing of dp_ctrl_load()); use --port ring\n",
				sel[i]->name);
			return 2;
		}
	if (rounds > MM_MAX_ROUNDS)
		return 2;
	if (find_dp(dp_path) < 0)
		return 2;
	snprintf(M.dir, sizeof(M.dir), "/tmp/mudbench-memif.XXXXXX");
	if (!mkdtemp(M.dir)) {
		fprintf(stderr, "mudbench: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* both processes on hugepages when there are enough for both, else both --no-huge
	 * (net_memif's shared regions are memfd-backed and need no hugepages) */
	M.huge = free_hugepages(1024);

	char fp[64], *eal[20];
	int ne = 0;
	snprintf(fp, sizeof(fp), "--file-prefix=mbgen%d", (int)getpid());
	eal[ne++] = M.self;
	eal[ne++] = fp;
	ne = mb_eal_args(eal, ne, M.huge, "3072", "0@0,1@0");
	eal[ne++] = "--log-level=user1:error";
	/* without shared config (--no-shconf, --in-memory) memif says at every probe that it
	 * cannot register its multi-process action, which it does not need here */
	eal[ne++] = "--log-level=pmd.net.memif:critical";
	eal[ne] = NULL;
	if (rte_eal_init(ne, eal) < 0) {
		fprintf(stderr, "mudbench: EAL: %s\n", rte_strerror(rte_errno));
		rmdir(M.dir);
		return 1;
	}
	/* what to remove at the end, or when killed: the private directory and the (empty)
	 * runtime directories of this process and its children */
	for (const char *n = "m0.sock\0m1.sock\0ctrl.sock\0io.ctr\0child.log\0"; *n;
	     n += strlen(n) + 1) {
		char f[sizeof(M.files[0])];
		sock_path(f, sizeof(f), n);
		memcpy(M.files[M.n_files++], f, sizeof(f));
	}
	snprintf(M.dirs[0], sizeof(M.dirs[0]), "%s", M.dir);
	snprintf(M.dirs[1], sizeof(M.dirs[1]), "%.150s", rte_eal_get_runtime_dir());
	char *slash = strrchr(M.dirs[1], '/');
	if (slash)
		snprintf(M.dirs[2], sizeof(M.dirs[2]), "%.*s/mbdp%d", (int)(slash - M.dirs[1]),
			 M.dirs[1], (int)getpid());
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	M.rx_pool = rte_pktmbuf_pool_create("mm_rx", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    SOCKET_ID_ANY);
	/* the fast path's tables in this process: only for the in-process figures (memory of
	 * a generation, stage cycles); no worker runs here */
	dp.n_workers = 1;
	dp.rcu = rte_zmalloc("mb_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (dp.rcu)
		rte_rcu_qsbr_init(dp.rcu, 1);
	dp.pids = dp_pids_create(1u << 20);
	if (!M.rx_pool || !dp.rcu || !dp.pids || dp_ctrl_init(NULL, NULL, MM_MAX_DEVS) < 0) {
		fprintf(stderr, "mudbench: setup failed: %s\n", rte_strerror(rte_errno));
		goto out;
	}

	json_t *doc = json_object(), *arr = json_array();
	json_t *mach = mb_machine();
	json_object_set_new(mach, "device_table_bytes_per_device", json_real(mb_mem_per_device()));
	json_object_set_new(mach, "lcores",
			    json_string("mudbench: main 0@cpu0, generator 1@cpu0; mudgate-dp "
					"child: control 0@cpu0, worker 1@cpu1"));
	json_object_set_new(mach, "memory", json_string(M.huge ? "hugepages" : "--no-huge"));
	json_object_set_new(mach, "dp", json_string(M.dp_path));
	json_object_set_new(doc, "machine", mach);
	json_object_set_new(doc, "scenarios", arr);
	status = 0;
	for (size_t i = 0; i < n_sel; i++)
		if (run_scenario(sel[i], duration, rounds, arr) < 0)
			status = 1;
	if (json_dump_file(doc, json_path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		fprintf(stderr, "mudbench: cannot write %s\n", json_path);
		status = 1;
	}
	json_decref(doc);
	dp_ctrl_fini();
out:
	rte_eal_cleanup();
	remove_files();
	return status;
}

/* ---- the io forwarder child ---------------------------------------------------------------- */

static volatile bool io_quit;

static void
io_signal(int sig)
{
	(void)sig;
	io_quit = true;
}

static int
io_loop(void *arg)
{
	struct mm_io_shared *sh = arg;
	struct rte_mbuf *m[MM_BURST];
	uint64_t rx = 0, tx = 0;
	while (!io_quit) {
		for (uint16_t p = 0; p < 2; p++) {
			uint16_t n = rte_eth_rx_burst(p, 0, m, MM_BURST);
			if (!n)
				continue;
			uint16_t s = rte_eth_tx_burst((uint16_t)(1 - p), 0, m, n);
			if (s < n) {
				rte_pktmbuf_free_bulk(m + s, n - s);
				sh->dropped += n - s;
			}
			rx += n;
			tx += s;
			sh->rx = rx;
			sh->tx = tx;
		}
	}
	return 0;
}

int
mb_memif_io_child(int argc, char **argv)
{
	int rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "mudbench io: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (argc != 2 || rte_eth_dev_count_avail() != 2) {
		fprintf(stderr, "mudbench io: want -- COUNTERS_FILE and two ports\n");
		rte_eal_cleanup();
		return 2;
	}
	int fd = open(argv[1], O_RDWR | O_CLOEXEC);
	struct mm_io_shared *sh =
		fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd >= 0)
		close(fd);
	struct rte_mempool *pool = rte_pktmbuf_pool_create(
		"io_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	unsigned int lc = rte_get_next_lcore(-1, 1, 0);
	int status = 1;
	if (sh == MAP_FAILED || !pool || lc >= RTE_MAX_LCORE) {
		fprintf(stderr, "mudbench io: setup: %s\n", strerror(errno));
		goto out;
	}
	for (uint16_t p = 0; p < 2; p++) {
		struct rte_eth_conf conf;
		memset(&conf, 0, sizeof(conf));
		rc = rte_eth_dev_configure(p, 1, 1, &conf);
		if (!rc)
			rc = rte_eth_rx_queue_setup(p, 0, 1024, SOCKET_ID_ANY, NULL, pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(p, 0, 1024, SOCKET_ID_ANY, NULL);
		if (!rc)
			rc = rte_eth_dev_start(p);
		if (rc < 0) {
			fprintf(stderr, "mudbench io: port %u: %s\n", p, strerror(-rc));
			goto out;
		}
	}
	signal(SIGTERM, io_signal);
	signal(SIGINT, io_signal);
	rte_eal_remote_launch(io_loop, sh, lc);
	sh->ready = 1;
	while (!io_quit)
		usleep(10000);
	rte_eal_mp_wait_lcore();
	printf("mudbench io: rx %" PRIu64 " tx %" PRIu64 " dropped %" PRIu64 "\n", sh->rx, sh->tx,
	       sh->dropped);
	status = 0;
out:
	for (uint16_t p = 0; p < 2; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return status;
}
