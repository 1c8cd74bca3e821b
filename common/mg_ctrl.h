/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mudgate-dp control socket protocol, shared by mudgate-dp (server), mudgated and mgdpctl
 * (clients). docs/ctrl-protocol.md is the normative specification; this header mirrors it.
 *
 * Transport: a unix SOCK_STREAM socket. Every message is a 16-byte header followed by `len`
 * payload bytes. All integers are little-endian, fixed width, no pointers, no implicit padding.
 *
 * Session: the client sends HELLO first (anything else is rejected and the connection closed);
 * every client message carries a sequence number strictly greater than the previous one of
 * the connection (else it is rejected as out of order). The server answers every request with
 * exactly one REPLY (status 0 or a negative errno, plus a reason) or, for GET_COUNTERS and
 * GET_BINDINGS, with the data message. PUNT messages are sent unsolicited to clients that asked
 * for them in HELLO.
 *
 * The helpers here are pure functions on buffers: thread-safe, no allocation except where the
 * name says so, bounded by their length arguments.
 */
#ifndef MG_CTRL_H
#define MG_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_CTRL_MAGIC       0x3143474du /* "MGC1" little-endian */
#define MG_CTRL_VERSION     1u
#define MG_CTRL_HDR_SIZE    16u
#define MG_CTRL_IMAGE_MAX   (256u << 20)              /* as MGI_MAX_SIZE */
#define MG_CTRL_MAX_PAYLOAD (MG_CTRL_IMAGE_MAX + 64u) /* LOAD_IMAGE is the largest */
#define MG_CTRL_REASON_MAX  200u /* longest reason string in a REPLY, without NUL */
#define MG_CTRL_NAME_MAX    255u /* longest policy name in BIND */

enum mg_ctrl_type {
	MG_CTRL_HELLO = 1,         /* c->s: struct mg_ctrl_hello */
	MG_CTRL_REPLY = 2,         /* s->c: struct mg_ctrl_reply + reason bytes */
	MG_CTRL_LOAD_IMAGE = 3,    /* c->s: struct mg_ctrl_load + image blob */
	MG_CTRL_BIND = 4,          /* c->s: struct mg_ctrl_bind + policy name bytes */
	MG_CTRL_UNBIND = 5,        /* c->s: struct mg_ctrl_mac */
	MG_CTRL_SET_STATE = 6,     /* c->s: struct mg_ctrl_state */
	MG_CTRL_GET_COUNTERS = 7,  /* c->s: empty; answered by COUNTERS */
	MG_CTRL_COUNTERS = 8,      /* s->c: UTF-8 JSON document (docs/ctrl-protocol.md) */
	MG_CTRL_PUNT = 9,          /* s->c: struct mg_ctrl_punt + frame bytes */
	MG_CTRL_RELEASE = 10,      /* c->s: struct mg_ctrl_release */
	MG_CTRL_GET_STATE = 11,    /* c->s: empty; answered by STATE */
	MG_CTRL_STATE = 12,        /* s->c: struct mg_ctrl_state_info */
	MG_CTRL_GET_BINDINGS = 13, /* c->s: empty; answered by BINDINGS */
	MG_CTRL_BINDINGS = 14,     /* s->c: n x (struct mg_ctrl_bind + name) */
	MG_CTRL_TYPE_MAX_ = 14,
};

struct mg_ctrl_hdr {
	uint32_t magic;   /* MG_CTRL_MAGIC */
	uint16_t version; /* MG_CTRL_VERSION */
	uint16_t type;    /* enum mg_ctrl_type */
	uint32_t len;     /* payload bytes following the header */
	uint32_t seq;     /* client: strictly increasing; server: the request's seq, 0 for PUNT */
};

#define MG_CTRL_HELLO_PUNT (1u << 0) /* send me PUNT messages (holds are released by me) */
struct mg_ctrl_hello {
	uint32_t version; /* highest protocol version the client speaks */
	uint32_t flags;   /* MG_CTRL_HELLO_* */
};

struct mg_ctrl_reply {
	int32_t status;      /* 0 or a negative errno */
	uint32_t reason_len; /* followed by reason_len bytes, no NUL */
	uint64_t generation; /* the generation in force after the request */
};

#define MG_CTRL_LOAD_KEEP_BINDINGS (1u << 0) /* else the image's device table replaces them */
struct mg_ctrl_load {
	uint32_t flags;      /* MG_CTRL_LOAD_* */
	uint32_t reserved;   /* zero */
	uint64_t generation; /* 0: the next generation number; else must exceed the current */
};

struct mg_ctrl_mac {
	uint8_t mac[6];
	uint8_t pad[2]; /* zero */
};

struct mg_ctrl_state {
	uint8_t mac[6];
	uint8_t state; /* enum mg_state */
	uint8_t pad;   /* zero */
};

struct mg_ctrl_bind {
	uint8_t mac[6];
	uint8_t state;     /* enum mg_state */
	uint8_t pad;       /* zero */
	uint16_t name_len; /* policy name bytes that follow; 0 = no policy */
	uint16_t pad2;     /* zero */
};

enum mg_ctrl_punt_kind {
	MG_PUNT_DHCP4 = 1,
	MG_PUNT_DHCP6 = 2,
	MG_PUNT_LLDP = 3,
	MG_PUNT_DNS = 4,
};

struct mg_ctrl_punt {
	uint64_t hold_id; /* non-zero: the frame is held until RELEASE or the hold timeout */
	uint16_t port;    /* DPDK port id it arrived on */
	uint8_t kind;     /* enum mg_ctrl_punt_kind */
	uint8_t pad;
	uint32_t frame_len; /* frame bytes that follow */
};

enum mg_ctrl_release_action {
	MG_RELEASE_FORWARD = 0,
	MG_RELEASE_DROP = 1,
};

struct mg_ctrl_release {
	uint64_t hold_id;
	uint32_t action; /* enum mg_ctrl_release_action */
	uint32_t pad;    /* zero */
};

struct mg_ctrl_state_info {
	uint64_t generation; /* 0: no image */
	uint32_t image_crc;  /* the image's checksum field */
	uint32_t n_bindings;
	uint32_t bindings_crc; /* CRC-32C over the BINDINGS payload: equal means in sync */
	uint32_t n_workers;
};

/* ---- helpers --------------------------------------------------------------------------- */

/* Writes a header into out[0..16). */
void mg_ctrl_hdr_encode(uint8_t out[MG_CTRL_HDR_SIZE], uint16_t type, uint32_t len, uint32_t seq);

/*
 * Decodes and validates a header from in[0..16). Returns 0, or -EPROTO (bad magic),
 * -EPROTONOSUPPORT (version), -EBADMSG (unknown type), -EMSGSIZE (len above max_len), with
 * a reason in errbuf.
 */
int mg_ctrl_hdr_decode(struct mg_ctrl_hdr *h, const uint8_t in[MG_CTRL_HDR_SIZE], uint32_t max_len,
		       char *errbuf, size_t errbuf_size);

/* Name of a message type, "unknown" for others. */
const char *mg_ctrl_type_str(uint16_t type);

/*
 * Checks that a payload of `len` bytes is well formed for `type` (fixed part size, variable
 * part lengths, zero pads, ranges). Returns 0 or -EBADMSG with a reason in errbuf. On success
 * the fixed part may be memcpy'd out of the payload.
 */
int mg_ctrl_payload_check(uint16_t type, const uint8_t *p, uint32_t len, char *errbuf,
			  size_t errbuf_size);

/* Parses "aa:bb:cc:dd:ee:ff" (also '-' separated). Returns 0 or -EINVAL. */
int mg_mac_parse(const char *s, uint8_t mac[6]);
/* Formats into buf (at least 18 bytes). */
void mg_mac_format(const uint8_t mac[6], char *buf);

/* Parses a lifecycle state name as mg_state_str() (mg_image.h) prints it; -EINVAL when
 * unknown. */
int mg_state_parse(const char *s);

/*
 * Blocking helpers for clients and tests: write a whole message (header + payload parts) and
 * read one (payload malloc'd into *payload, NUL-terminated for convenience, free()). Both
 * return 0 or a negative errno (-ECONNRESET on EOF).
 */
int mg_ctrl_send(int fd, uint16_t type, uint32_t seq, const void *a, uint32_t a_len, const void *b,
		 uint32_t b_len);
int mg_ctrl_recv(int fd, struct mg_ctrl_hdr *h, uint8_t **payload, uint32_t max_len);

#endif /* MG_CTRL_H */
