/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket under hostile and out-of-order input: the control thread of mudgate-dp
 * (dp_ctrl_poll on the main lcore) serves a client thread that sends a table of malformed,
 * out-of-order and valid messages. Each must get the exact status and a reason naming the
 * problem; the server must survive, count every rejection and keep its last good state.
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
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctrl/dp_ctrl.h"
#include "dp_ctx.h"
#include "dp_testgen.h"
#include "mg_ctrl.h"

static char sock_path[108];
static volatile bool client_done;
static int failures, checks;
static void *img_blob;
static size_t img_size;

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

static int
conn(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends raw bytes (header built by the caller) and expects a REPLY with status and a reason
 * containing `want`; then, when closed is true, EOF. */
static void
expect_reply(int fd, const char *what, int status, const char *want, bool closed)
{
	struct mg_ctrl_hdr h;
	uint8_t *p = NULL;
	int rc = mg_ctrl_recv(fd, &h, &p, MG_CTRL_MAX_PAYLOAD);
	CHECK(rc == 0 && h.type == MG_CTRL_REPLY, "%s: no REPLY (rc %d type %u)", what, rc,
	      rc == 0 ? h.type : 0);
	if (rc == 0 && h.type == MG_CTRL_REPLY && h.len >= sizeof(struct mg_ctrl_reply)) {
		struct mg_ctrl_reply r;
		memcpy(&r, p, sizeof(r));
		const char *reason = (const char *)p + sizeof(r);
		CHECK(r.status == status, "%s: status %d, want %d (%.*s)", what, r.status, status,
		      (int)r.reason_len, reason);
		CHECK(strstr(reason, want) != NULL, "%s: reason '%.*s' lacks '%s'", what,
		      (int)r.reason_len, reason, want);
	}
	free(p);
	if (closed) {
		char c;
		CHECK(read(fd, &c, 1) <= 0, "%s: connection not closed", what); /* EOF or reset */
	}
}

static void
send_raw(int fd, uint32_t magic, uint16_t version, uint16_t type, uint32_t len, uint32_t seq,
	 const void *payload, size_t n)
{
	uint8_t h[16];
	memcpy(h, &magic, 4);
	memcpy(h + 4, &version, 2);
	memcpy(h + 6, &type, 2);
	memcpy(h + 8, &len, 4);
	memcpy(h + 12, &seq, 4);
	CHECK(write(fd, h, 16) == 16, "header write failed");
	/* the server may already have closed a connection whose header it rejected */
	if (n && write(fd, payload, n) != (ssize_t)n)
		return;
}

static void
hello(int fd, uint32_t seq)
{
	struct mg_ctrl_hello m = {.version = 1};
	mg_ctrl_send(fd, MG_CTRL_HELLO, seq, &m, sizeof(m), NULL, 0);
	expect_reply(fd, "HELLO", 0, "hello", false);
}

static void *
client(void *arg)
{
	int fd;
	(void)arg;

	/* framing errors close the connection */
	fd = conn();
	send_raw(fd, 0x12345678, 1, MG_CTRL_HELLO, 8, 1, "\1\0\0\0\0\0\0\0", 8);
	expect_reply(fd, "bad magic", -EPROTO, "bad magic", true);
	close(fd);
	fd = conn();
	send_raw(fd, MG_CTRL_MAGIC, 2, MG_CTRL_HELLO, 8, 1, "\1\0\0\0\0\0\0\0", 8);
	expect_reply(fd, "version 2", -EPROTONOSUPPORT, "unsupported version 2", true);
	close(fd);
	fd = conn();
	send_raw(fd, MG_CTRL_MAGIC, 1, MG_CTRL_LOAD_IMAGE, 0xffffffffu, 1, NULL, 0);
	expect_reply(fd, "huge length", -EMSGSIZE, "exceeds", true);
	close(fd);

	/* one session with every semantic error; the connection survives them */
	fd = conn();
	struct mg_ctrl_mac um = {.mac = {2, 0, 0, 0, 0, 1}};
	mg_ctrl_send(fd, MG_CTRL_UNBIND, 1, &um, sizeof(um), NULL, 0);
	expect_reply(fd, "UNBIND before HELLO", -EPROTO, "before HELLO", false);
	send_raw(fd, MG_CTRL_MAGIC, 1, 99, 3, 2, "abc", 3);
	expect_reply(fd, "type 99", -EBADMSG, "unknown message type 99", false);
	struct mg_ctrl_hello bad = {.version = 1, .flags = 0x80};
	mg_ctrl_send(fd, MG_CTRL_HELLO, 3, &bad, sizeof(bad), NULL, 0);
	expect_reply(fd, "HELLO flags", -EBADMSG, "unknown flags 0x80", false);
	hello(fd, 4);
	struct mg_ctrl_hello again = {.version = 1};
	mg_ctrl_send(fd, MG_CTRL_HELLO, 5, &again, sizeof(again), NULL, 0);
	expect_reply(fd, "second HELLO", -EPROTO, "already", false);
	mg_ctrl_send(fd, MG_CTRL_GET_STATE, 5, NULL, 0, NULL, 0);
	expect_reply(fd, "seq replay", -EPROTO, "seq 5 not above the previous 5", false);
	mg_ctrl_send(fd, MG_CTRL_UNBIND, 6, &um, 7, NULL, 0);
	expect_reply(fd, "short UNBIND", -EBADMSG, "payload of 7 bytes, want 8", false);
	struct mg_ctrl_state st = {.mac = {2, 0, 0, 0, 0, 1}, .state = 9};
	mg_ctrl_send(fd, MG_CTRL_SET_STATE, 7, &st, sizeof(st), NULL, 0);
	expect_reply(fd, "state 9", -EBADMSG, "state 9 out of range", false);
	struct mg_ctrl_bind b = {.mac = {2, 0, 0, 0, 0, 1}, .state = 2, .name_len = 40};
	mg_ctrl_send(fd, MG_CTRL_BIND, 8, &b, sizeof(b), "short", 5);
	expect_reply(fd, "truncated name", -EBADMSG, "truncated", false);
	b.name_len = 3;
	mg_ctrl_send(fd, MG_CTRL_BIND, 9, &b, sizeof(b), "a\0b", 3);
	expect_reply(fd, "NUL in name", -EBADMSG, "NUL byte", false);
	b.name_len = 1;
	mg_ctrl_send(fd, MG_CTRL_BIND, 10, &b, sizeof(b), "x", 1);
	expect_reply(fd, "BIND before any image", -ENOENT, "no image loaded", false);
	struct mg_ctrl_load ld = {0};
	mg_ctrl_send(fd, MG_CTRL_LOAD_IMAGE, 11, &ld, sizeof(ld), "garbage-garbage-garbage", 23);
	expect_reply(fd, "garbage image", -EINVAL, "", false);
	mg_ctrl_send(fd, MG_CTRL_LOAD_IMAGE, 12, &ld, sizeof(ld), img_blob, (uint32_t)img_size);
	expect_reply(fd, "good image", 0, "generation 1 loaded", false);
	ld.generation = 1;
	mg_ctrl_send(fd, MG_CTRL_LOAD_IMAGE, 13, &ld, sizeof(ld), img_blob, (uint32_t)img_size);
	expect_reply(fd, "stale image", -ESTALE, "not newer than 1", false);
	mg_ctrl_send(fd, MG_CTRL_BIND, 14, &b, sizeof(b), "x", 1);
	expect_reply(fd, "unknown policy", -ENOENT, "policy 'x' not in generation 1", false);
	const char *pol = "https://example.com/policy0.json";
	b.name_len = (uint16_t)strlen(pol);
	b.mac[5] = 0x77;
	mg_ctrl_send(fd, MG_CTRL_BIND, 15, &b, sizeof(b), pol, b.name_len);
	expect_reply(fd, "good BIND", 0, "bound", false);
	st = (struct mg_ctrl_state){.mac = {2, 0, 0, 0, 0, 0x77}, .state = MG_STATE_QUARANTINED};
	mg_ctrl_send(fd, MG_CTRL_SET_STATE, 16, &st, sizeof(st), NULL, 0);
	expect_reply(fd, "good SET_STATE", 0, "ok", false);
	struct mg_ctrl_mac nm = {.mac = {2, 0, 0, 0, 0x99, 0x99}};
	mg_ctrl_send(fd, MG_CTRL_UNBIND, 17, &nm, sizeof(nm), NULL, 0);
	expect_reply(fd, "UNBIND unknown", -ENOENT, "02:00:00:00:99:99 is not bound", false);
	struct mg_ctrl_release rel = {.hold_id = 42};
	mg_ctrl_send(fd, MG_CTRL_RELEASE, 18, &rel, sizeof(rel), NULL, 0);
	expect_reply(fd, "RELEASE unknown", -ENOENT, "hold 42 unknown", false);
	struct mg_ctrl_reply client_reply = {0}; /* a server-only message type */
	mg_ctrl_send(fd, MG_CTRL_REPLY, 19, &client_reply, sizeof(client_reply), NULL, 0);
	expect_reply(fd, "REPLY from a client", -EBADMSG, "is not a request", false);

	/* the state survived every rejection */
	struct mg_ctrl_hdr h;
	uint8_t *p;
	mg_ctrl_send(fd, MG_CTRL_GET_BINDINGS, 20, NULL, 0, NULL, 0);
	CHECK(mg_ctrl_recv(fd, &h, &p, MG_CTRL_MAX_PAYLOAD) == 0 && h.type == MG_CTRL_BINDINGS,
	      "GET_BINDINGS");
	bool found = false;
	for (uint32_t off = 0; off + sizeof(struct mg_ctrl_bind) <= h.len;) {
		struct mg_ctrl_bind x;
		memcpy(&x, p + off, sizeof(x));
		if (x.mac[5] == 0x77 && x.state == MG_STATE_QUARANTINED &&
		    x.name_len == strlen(pol) && !memcmp(p + off + sizeof(x), pol, x.name_len))
			found = true;
		off += (uint32_t)sizeof(x) + x.name_len;
	}
	CHECK(found, "binding 02:00:00:00:00:77 quarantined to %s missing", pol);
	free(p);
	mg_ctrl_send(fd, MG_CTRL_GET_COUNTERS, 21, NULL, 0, NULL, 0);
	CHECK(mg_ctrl_recv(fd, &h, &p, MG_CTRL_MAX_PAYLOAD) == 0 && h.type == MG_CTRL_COUNTERS,
	      "GET_COUNTERS");
	/* malformed: 3 framing + type 99 + HELLO flags + short UNBIND + state 9 + truncated +
	 * NUL + REPLY = 10; out of order: before HELLO + second HELLO + seq replay = 3 */
	CHECK(strstr((char *)p, "\"malformed\":10,") != NULL, "malformed count: %s", p);
	CHECK(strstr((char *)p, "\"out_of_order\":3,") != NULL, "out_of_order count: %s", p);
	free(p);
	close(fd);
	client_done = true;
	return NULL;
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-shconf",
		       "--no-pci",
		       "-l",
		       "0",
		       "-m",
		       "256",
		       "--log-level=lib.eal:error",
		       "--log-level=user1:error",
		       "--no-telemetry",
		       NULL};
	pthread_t th;
	struct tg *t = malloc(sizeof(*t));

	if (rte_eal_init(11, eal) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN); /* the server closes connections it cannot trust */
	snprintf(sock_path, sizeof(sock_path), "/tmp/mg_ctrl_test.%d.sock", getpid());
	dp.n_workers = 1;
	dp.rcu = rte_zmalloc("rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.rcu, 1);
	dp.pids = dp_pids_create(1024);
	dp.workers[0].punt =
		rte_ring_create("p0", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	dp.workers[0].inject =
		rte_ring_create("i0", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tg_init(t, 5);
	if (tg_image(t, &img_blob, &img_size, 2, 4) < 0 || dp_ctrl_init(sock_path, NULL, 256) < 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	pthread_create(&th, NULL, client, NULL);
	for (int i = 0; i < 2000 && !client_done; i++)
		dp_ctrl_poll(5);
	pthread_join(th, NULL);
	dp_ctrl_fini();
	printf("dp_ctrl_test: %d checks, %d failures\n", checks, failures);
	struct dp_gen *g = dp.gen;
	if (g) {
		struct dp_devs *d = g->devs;
		g->devs = NULL;
		dp_gen_destroy(g);
		dp_devs_destroy(d);
	}
	dp_pids_destroy(dp.pids);
	rte_ring_free(dp.workers[0].punt);
	rte_ring_free(dp.workers[0].inject);
	rte_free(dp.rcu);
	free(img_blob);
	free(t);
	rte_eal_cleanup();
	return failures ? 1 : 0;
}
