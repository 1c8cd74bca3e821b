/* SPDX-License-Identifier: BSD-3-Clause */
/* The mudgate-dp control socket protocol: framing and payload validation (mg_ctrl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mg_ctrl.h"
#include "mg_image.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void
mg_ctrl_hdr_encode(uint8_t out[MG_CTRL_HDR_SIZE], uint16_t type, uint32_t len, uint32_t seq)
{
	put32(out, MG_CTRL_MAGIC);
	put16(out + 4, MG_CTRL_VERSION);
	put16(out + 6, type);
	put32(out + 8, len);
	put32(out + 12, seq);
}

int
mg_ctrl_hdr_decode(struct mg_ctrl_hdr *h, const uint8_t in[MG_CTRL_HDR_SIZE], uint32_t max_len,
		   char *errbuf, size_t errbuf_size)
{
	h->magic = get32(in);
	h->version = get16(in + 4);
	h->type = get16(in + 6);
	h->len = get32(in + 8);
	h->seq = get32(in + 12);
	if (h->magic != MG_CTRL_MAGIC) {
		snprintf(errbuf, errbuf_size, "header: bad magic 0x%08x (want 0x%08x)", h->magic,
			 MG_CTRL_MAGIC);
		return -EPROTO;
	}
	if (h->version != MG_CTRL_VERSION) {
		snprintf(errbuf, errbuf_size, "header: unsupported version %u (speak %u)",
			 h->version, MG_CTRL_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (h->type < 1 || h->type > MG_CTRL_TYPE_MAX_) {
		snprintf(errbuf, errbuf_size, "header: unknown message type %u", h->type);
		return -EBADMSG;
	}
	if (h->len > max_len) {
		snprintf(errbuf, errbuf_size, "header: %s payload of %u bytes exceeds %u",
			 mg_ctrl_type_str(h->type), h->len, max_len);
		return -EMSGSIZE;
	}
	return 0;
}

const char *
mg_ctrl_type_str(uint16_t type)
{
	static const char *const names[] = {
		[MG_CTRL_HELLO] = "HELLO",
		[MG_CTRL_REPLY] = "REPLY",
		[MG_CTRL_LOAD_IMAGE] = "LOAD_IMAGE",
		[MG_CTRL_BIND] = "BIND",
		[MG_CTRL_UNBIND] = "UNBIND",
		[MG_CTRL_SET_STATE] = "SET_STATE",
		[MG_CTRL_GET_COUNTERS] = "GET_COUNTERS",
		[MG_CTRL_COUNTERS] = "COUNTERS",
		[MG_CTRL_PUNT] = "PUNT",
		[MG_CTRL_RELEASE] = "RELEASE",
		[MG_CTRL_GET_STATE] = "GET_STATE",
		[MG_CTRL_STATE] = "STATE",
		[MG_CTRL_GET_BINDINGS] = "GET_BINDINGS",
		[MG_CTRL_BINDINGS] = "BINDINGS",
	};
	if (type >= 1 && type <= MG_CTRL_TYPE_MAX_)
		return names[type];
	return "unknown";
}

static int
zero_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Validates one struct mg_ctrl_bind + name at p[0..len); *used receives its size. */
static int
check_bind(const uint8_t *p, uint32_t len, uint32_t *used, char *errbuf, size_t errbuf_size)
{
	if (len < sizeof(struct mg_ctrl_bind)) {
		snprintf(errbuf, errbuf_size, "bind: %u bytes, need at least %zu", len,
			 sizeof(struct mg_ctrl_bind));
		return -EBADMSG;
	}
	uint16_t name_len = get16(p + 8);
	if (p[6] >= MG_STATE_COUNT) {
		snprintf(errbuf, errbuf_size, "bind: state %u out of range (0..%u)", p[6],
			 MG_STATE_COUNT - 1);
		return -EBADMSG;
	}
	if (p[7] || get16(p + 10)) {
		snprintf(errbuf, errbuf_size, "bind: non-zero padding");
		return -EBADMSG;
	}
	if (name_len > MG_CTRL_NAME_MAX) {
		snprintf(errbuf, errbuf_size, "bind: policy name of %u bytes exceeds %u", name_len,
			 MG_CTRL_NAME_MAX);
		return -EBADMSG;
	}
	if (len - sizeof(struct mg_ctrl_bind) < name_len) {
		snprintf(errbuf, errbuf_size, "bind: policy name of %u bytes truncated to %zu",
			 name_len, len - sizeof(struct mg_ctrl_bind));
		return -EBADMSG;
	}
	if (memchr(p + sizeof(struct mg_ctrl_bind), 0, name_len)) {
		snprintf(errbuf, errbuf_size, "bind: NUL byte in policy name");
		return -EBADMSG;
	}
	*used = sizeof(struct mg_ctrl_bind) + name_len;
	return 0;
}

int
mg_ctrl_payload_check(uint16_t type, const uint8_t *p, uint32_t len, char *errbuf,
		      size_t errbuf_size)
{
	size_t fixed = 0;
	bool exact = true;
	uint32_t used;
	int rc;

	switch (type) {
	case MG_CTRL_HELLO:
		fixed = sizeof(struct mg_ctrl_hello);
		break;
	case MG_CTRL_REPLY:
		fixed = sizeof(struct mg_ctrl_reply);
		exact = false;
		break;
	case MG_CTRL_LOAD_IMAGE:
		fixed = sizeof(struct mg_ctrl_load);
		exact = false;
		break;
	case MG_CTRL_BIND:
		rc = check_bind(p, len, &used, errbuf, errbuf_size);
		if (rc == 0 && used != len) {
			snprintf(errbuf, errbuf_size, "bind: %u trailing bytes", len - used);
			rc = -EBADMSG;
		}
		return rc;
	case MG_CTRL_UNBIND:
		fixed = sizeof(struct mg_ctrl_mac);
		break;
	case MG_CTRL_SET_STATE:
		fixed = sizeof(struct mg_ctrl_state);
		break;
	case MG_CTRL_GET_COUNTERS:
	case MG_CTRL_GET_STATE:
	case MG_CTRL_GET_BINDINGS:
		fixed = 0;
		break;
	case MG_CTRL_COUNTERS:
		fixed = 0;
		exact = false;
		break;
	case MG_CTRL_PUNT:
		fixed = sizeof(struct mg_ctrl_punt);
		exact = false;
		break;
	case MG_CTRL_RELEASE:
		fixed = sizeof(struct mg_ctrl_release);
		break;
	case MG_CTRL_STATE:
		fixed = sizeof(struct mg_ctrl_state_info);
		break;
	case MG_CTRL_BINDINGS:
		for (uint32_t off = 0; off < len; off += used) {
			rc = check_bind(p + off, len - off, &used, errbuf, errbuf_size);
			if (rc < 0)
				return rc;
		}
		return 0;
	default:
		snprintf(errbuf, errbuf_size, "unknown message type %u", type);
		return -EBADMSG;
	}
	if (len < fixed || (exact && len != fixed)) {
		snprintf(errbuf, errbuf_size, "%s: payload of %u bytes, want %s%zu",
			 mg_ctrl_type_str(type), len, exact ? "" : "at least ", fixed);
		return -EBADMSG;
	}
	switch (type) {
	case MG_CTRL_REPLY:
		if (get32(p + 4) != len - fixed || get32(p + 4) > MG_CTRL_REASON_MAX) {
			snprintf(errbuf, errbuf_size, "REPLY: reason_len %u, %zu bytes follow",
				 get32(p + 4), len - fixed);
			return -EBADMSG;
		}
		break;
	case MG_CTRL_LOAD_IMAGE:
		if (get32(p) & ~MG_CTRL_LOAD_KEEP_BINDINGS || get32(p + 4)) {
			snprintf(errbuf, errbuf_size, "LOAD_IMAGE: unknown flags 0x%x or reserved",
				 get32(p));
			return -EBADMSG;
		}
		if (len - fixed > MG_CTRL_IMAGE_MAX) {
			snprintf(errbuf, errbuf_size, "LOAD_IMAGE: image of %zu bytes too large",
				 len - fixed);
			return -EBADMSG;
		}
		break;
	case MG_CTRL_UNBIND:
		if (!zero_bytes(p + 6, 2)) {
			snprintf(errbuf, errbuf_size, "UNBIND: non-zero padding");
			return -EBADMSG;
		}
		break;
	case MG_CTRL_SET_STATE:
		if (p[6] >= MG_STATE_COUNT || p[7]) {
			snprintf(errbuf, errbuf_size, "SET_STATE: state %u out of range (0..%u)",
				 p[6], MG_STATE_COUNT - 1);
			return -EBADMSG;
		}
		break;
	case MG_CTRL_PUNT:
		if (get32(p + 12) != len - fixed) {
			snprintf(errbuf, errbuf_size, "PUNT: frame_len %u, %zu bytes follow",
				 get32(p + 12), len - fixed);
			return -EBADMSG;
		}
		break;
	case MG_CTRL_RELEASE:
		if (get32(p + 8) > MG_RELEASE_DROP || get32(p + 12)) {
			snprintf(errbuf, errbuf_size, "RELEASE: action %u out of range",
				 get32(p + 8));
			return -EBADMSG;
		}
		break;
	case MG_CTRL_HELLO:
		if (get32(p + 4) & ~MG_CTRL_HELLO_PUNT) {
			snprintf(errbuf, errbuf_size, "HELLO: unknown flags 0x%x", get32(p + 4));
			return -EBADMSG;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mg_mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	return *s ? -EINVAL : 0;
}

void
mg_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int
mg_state_parse(const char *s)
{
	for (int i = 0; i < MG_STATE_COUNT; i++)
		if (!strcmp(s, mg_state_str((unsigned int)i)))
			return i;
	return -EINVAL;
}

static int
write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
mg_ctrl_send(int fd, uint16_t type, uint32_t seq, const void *a, uint32_t a_len, const void *b,
	     uint32_t b_len)
{
	uint8_t hdr[MG_CTRL_HDR_SIZE];
	int rc;

	mg_ctrl_hdr_encode(hdr, type, a_len + b_len, seq);
	rc = write_all(fd, hdr, sizeof(hdr));
	if (rc == 0 && a_len)
		rc = write_all(fd, a, a_len);
	if (rc == 0 && b_len)
		rc = write_all(fd, b, b_len);
	return rc;
}

int
mg_ctrl_recv(int fd, struct mg_ctrl_hdr *h, uint8_t **payload, uint32_t max_len)
{
	uint8_t hdr[MG_CTRL_HDR_SIZE];
	char err[128];
	uint8_t *p;
	int rc;

	*payload = NULL;
	rc = read_all(fd, hdr, sizeof(hdr));
	if (rc < 0)
		return rc;
	rc = mg_ctrl_hdr_decode(h, hdr, max_len, err, sizeof(err));
	if (rc < 0)
		return rc;
	p = malloc((size_t)h->len + 1);
	if (!p)
		return -ENOMEM;
	rc = read_all(fd, p, h->len);
	if (rc < 0) {
		free(p);
		return rc;
	}
	p[h->len] = 0;
	*payload = p;
	return 0;
}
