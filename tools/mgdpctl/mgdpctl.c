/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgdpctl: a small client of the mudgate-dp control socket (docs/ctrl-protocol.md).
 *
 *   mgdpctl [-s SOCKET] load IMAGE [--keep-bindings] [--generation N]
 *   mgdpctl [-s SOCKET] bind MAC POLICY|- STATE
 *   mgdpctl [-s SOCKET] unbind MAC
 *   mgdpctl [-s SOCKET] set-state MAC STATE
 *   mgdpctl [-s SOCKET] counters [--json]
 *   mgdpctl [-s SOCKET] state
 *   mgdpctl [-s SOCKET] bindings
 *
 * Exit status: 0 success, 1 the data plane rejected the request (its reason is printed) or the
 * socket failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "mg_ctrl.h"
#include "mg_image.h"

#define DEFAULT_SOCKET "/run/mudgate/dp.sock"

static uint32_t seq;

static void
usage(FILE *f)
{
	fprintf(f, "usage: mgdpctl [-s SOCKET] COMMAND\n"
		   "  load IMAGE [--keep-bindings] [--generation N]\n"
		   "  bind MAC POLICY|- STATE\n"
		   "  unbind MAC\n"
		   "  set-state MAC STATE\n"
		   "  counters [--json]\n"
		   "  state\n"
		   "  bindings\n"
		   "STATE: unknown pending enforced quarantined updating decommissioned\n"
		   "SOCKET defaults to " DEFAULT_SOCKET ".\n");
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mgdpctl: socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "mgdpctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends a request and reads its answer; REPLY statuses are printed on error. Returns 0 and the
 * answer (payload malloc'd) or -1. */
static int
request(int fd, uint16_t type, const void *a, uint32_t a_len, const void *b, uint32_t b_len,
	struct mg_ctrl_hdr *h, uint8_t **payload)
{
	char err[256];
	int rc = mg_ctrl_send(fd, type, ++seq, a, a_len, b, b_len);

	if (rc < 0) {
		fprintf(stderr, "mgdpctl: send %s: %s\n", mg_ctrl_type_str(type), strerror(-rc));
		return -1;
	}
	for (;;) {
		rc = mg_ctrl_recv(fd, h, payload, MG_CTRL_MAX_PAYLOAD);
		if (rc < 0) {
			fprintf(stderr, "mgdpctl: receive: %s\n", strerror(-rc));
			return -1;
		}
		if (h->type == MG_CTRL_PUNT) { /* not ours */
			free(*payload);
			continue;
		}
		if (mg_ctrl_payload_check(h->type, *payload, h->len, err, sizeof(err)) < 0) {
			fprintf(stderr, "mgdpctl: malformed answer: %s\n", err);
			free(*payload);
			return -1;
		}
		break;
	}
	if (h->type == MG_CTRL_REPLY) {
		struct mg_ctrl_reply r;
		memcpy(&r, *payload, sizeof(r));
		if (r.status < 0) {
			fprintf(stderr, "mgdpctl: %s rejected (%s): %.*s\n", mg_ctrl_type_str(type),
				strerror(-r.status), (int)r.reason_len,
				(const char *)*payload + sizeof(r));
			free(*payload);
			return -1;
		}
	}
	return 0;
}

static int
simple(int fd, uint16_t type, const void *a, uint32_t a_len, const void *b, uint32_t b_len)
{
	bool quiet = type == MG_CTRL_HELLO;
	struct mg_ctrl_hdr h;
	uint8_t *p;
	if (request(fd, type, a, a_len, b, b_len, &h, &p) < 0)
		return 1;
	if (h.type == MG_CTRL_REPLY && !quiet) {
		struct mg_ctrl_reply r;
		memcpy(&r, p, sizeof(r));
		printf("%.*s (generation %" PRIu64 ")\n", (int)r.reason_len,
		       (const char *)p + sizeof(r), r.generation);
	}
	free(p);
	return 0;
}

static void
print_flat(const char *prefix, json_t *v)
{
	char key[512];
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
			print_flat(key, x);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			json_t *id = json_object_get(x, "mac");
			if (!id)
				id = json_object_get(x, "ace");
			if (json_is_string(id))
				snprintf(key, sizeof(key), "%s[%s]", prefix, json_string_value(id));
			else if (json_is_integer(id))
				snprintf(key, sizeof(key), "%s[%" JSON_INTEGER_FORMAT "]", prefix,
					 json_integer_value(id));
			else
				snprintf(key, sizeof(key), "%s[%zu]", prefix, i);
			print_flat(key, x);
		}
	} else if (json_is_integer(v)) {
		printf("%s %" JSON_INTEGER_FORMAT "\n", prefix, json_integer_value(v));
	} else if (json_is_string(v)) {
		printf("%s %s\n", prefix, json_string_value(v));
	}
}

static int
cmd_state_or_bindings(int fd, bool bindings)
{
	struct mg_ctrl_hdr h;
	uint8_t *p;
	if (request(fd, bindings ? MG_CTRL_GET_BINDINGS : MG_CTRL_GET_STATE, NULL, 0, NULL, 0, &h,
		    &p) < 0)
		return 1;
	if (!bindings) {
		struct mg_ctrl_state_info s;
		memcpy(&s, p, sizeof(s));
		printf("generation %" PRIu64 "\nimage_crc 0x%08x\nbindings %u\nbindings_crc "
		       "0x%08x\nworkers %u\n",
		       s.generation, s.image_crc, s.n_bindings, s.bindings_crc, s.n_workers);
	} else {
		for (uint32_t off = 0; off < h.len;) {
			struct mg_ctrl_bind b;
			char mac[18];
			memcpy(&b, p + off, sizeof(b));
			mg_mac_format(b.mac, mac);
			printf("%s %s %.*s\n", mac, mg_state_str(b.state), (int)b.name_len,
			       b.name_len ? (const char *)p + off + sizeof(b) : "-");
			off += (uint32_t)sizeof(b) + b.name_len;
		}
	}
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *sock = DEFAULT_SOCKET;
	int i = 1, fd, rc = 2;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		sock = argv[2];
		i = 3;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		usage(stdout);
		return 0;
	}
	const char *cmd = argv[i++];
	int n = argc - i;
	char **a = argv + i;
	uint8_t mac[6];
	int state = 0;

	/* validate the command line before connecting */
	if (!strcmp(cmd, "load") && n >= 1) {
	} else if (!strcmp(cmd, "bind") && n == 3) {
		if (mg_mac_parse(a[0], mac) < 0 || (state = mg_state_parse(a[2])) < 0 ||
		    strlen(a[1]) > MG_CTRL_NAME_MAX) {
			fprintf(stderr, "mgdpctl: bind: bad MAC, state or policy name\n");
			return 2;
		}
	} else if (!strcmp(cmd, "unbind") && n == 1) {
		if (mg_mac_parse(a[0], mac) < 0) {
			fprintf(stderr, "mgdpctl: unbind: bad MAC '%s'\n", a[0]);
			return 2;
		}
	} else if (!strcmp(cmd, "set-state") && n == 2) {
		if (mg_mac_parse(a[0], mac) < 0 || (state = mg_state_parse(a[1])) < 0) {
			fprintf(stderr, "mgdpctl: set-state: bad MAC or state\n");
			return 2;
		}
	} else if (!strcmp(cmd, "counters") && (n == 0 || (n == 1 && !strcmp(a[0], "--json")))) {
	} else if ((!strcmp(cmd, "state") || !strcmp(cmd, "bindings")) && n == 0) {
	} else {
		usage(stderr);
		return 2;
	}

	fd = connect_to(sock);
	if (fd < 0)
		return 1;
	struct mg_ctrl_hello hello = {.version = MG_CTRL_VERSION, .flags = 0};
	if (simple(fd, MG_CTRL_HELLO, &hello, sizeof(hello), NULL, 0) != 0) {
		close(fd);
		return 1;
	}
	if (!strcmp(cmd, "load")) {
		struct mg_ctrl_load l = {0};
		for (int k = 1; k < n; k++) {
			if (!strcmp(a[k], "--keep-bindings")) {
				l.flags |= MG_CTRL_LOAD_KEEP_BINDINGS;
			} else if (!strcmp(a[k], "--generation") && k + 1 < n) {
				l.generation = strtoull(a[++k], NULL, 0);
			} else {
				usage(stderr);
				close(fd);
				return 2;
			}
		}
		size_t size;
		void *blob = mg_read_file(a[0], MGI_MAX_SIZE, &size);
		if (!blob) {
			fprintf(stderr, "mgdpctl: %s: %s\n", a[0], strerror(errno));
			rc = 1;
		} else {
			rc = simple(fd, MG_CTRL_LOAD_IMAGE, &l, sizeof(l), blob, (uint32_t)size);
			free(blob);
		}
	} else if (!strcmp(cmd, "bind")) {
		const char *name = strcmp(a[1], "-") ? a[1] : "";
		struct mg_ctrl_bind b = {.state = (uint8_t)state,
					 .name_len = (uint16_t)strlen(name)};
		memcpy(b.mac, mac, 6);
		rc = simple(fd, MG_CTRL_BIND, &b, sizeof(b), name, b.name_len);
	} else if (!strcmp(cmd, "unbind")) {
		struct mg_ctrl_mac m = {0};
		memcpy(m.mac, mac, 6);
		rc = simple(fd, MG_CTRL_UNBIND, &m, sizeof(m), NULL, 0);
	} else if (!strcmp(cmd, "set-state")) {
		struct mg_ctrl_state s = {.state = (uint8_t)state};
		memcpy(s.mac, mac, 6);
		rc = simple(fd, MG_CTRL_SET_STATE, &s, sizeof(s), NULL, 0);
	} else if (!strcmp(cmd, "counters")) {
		struct mg_ctrl_hdr h;
		uint8_t *p;
		rc = 1;
		if (request(fd, MG_CTRL_GET_COUNTERS, NULL, 0, NULL, 0, &h, &p) == 0) {
			if (n == 1) {
				printf("%.*s\n", (int)h.len, (const char *)p);
				rc = 0;
			} else {
				json_error_t je;
				json_t *j = json_loadb((const char *)p, h.len, 0, &je);
				if (j) {
					print_flat("", j);
					json_decref(j);
					rc = 0;
				} else {
					fprintf(stderr, "mgdpctl: counters: invalid JSON: %s\n",
						je.text);
				}
			}
			free(p);
		}
	} else {
		rc = cmd_state_or_bindings(fd, !strcmp(cmd, "bindings"));
	}
	close(fd);
	return rc;
}
