/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded parsers for punted DHCPv4, DHCPv6 and LLDP frames. See disc.h for the contract.
 * Every read is preceded by a check against the end of the area it belongs to (frame, IP
 * payload, UDP payload, option, sub-option); offsets in messages are from the frame start.
 */
#include "disc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const reason_text[DISC_R_MAX] = {
#define DISC_X_TEXT(name, err, text) [DISC_R_##name] = text,
	DISC_REASONS(DISC_X_TEXT)
#undef DISC_X_TEXT
};

static const char *const reason_name[DISC_R_MAX] = {
#define DISC_X_NAME(name, err, text) [DISC_R_##name] = #name,
	DISC_REASONS(DISC_X_NAME)
#undef DISC_X_NAME
};

static const int reason_errno[DISC_R_MAX] = {
#define DISC_X_ERRNO(name, err, text) [DISC_R_##name] = err,
	DISC_REASONS(DISC_X_ERRNO)
#undef DISC_X_ERRNO
};

const char *
disc_reason_str(enum disc_reason r)
{
	if ((unsigned)r >= DISC_R_MAX)
		return "unknown reason";
	return reason_text[r];
}

const char *
disc_reason_name(enum disc_reason r)
{
	if ((unsigned)r >= DISC_R_MAX)
		return "UNKNOWN";
	return reason_name[r];
}

static void
set_error(struct disc_error *err, enum disc_reason r, size_t off, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	err->reason = r;
	err->offset = off;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

/* Fill *err and return the negative errno of reason r. */
__attribute__((format(printf, 4, 5))) static int
fail(struct disc_error *err, enum disc_reason r, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(err, r, off, fmt, ap);
	va_end(ap);
	return -reason_errno[r];
}

/* Record a refused MUD URL: the frame is still accepted. */
__attribute__((format(printf, 5, 6))) static void
soft_fail(struct disc_error *err, enum disc_reason *status, enum disc_reason r, size_t off,
	  const char *fmt, ...)
{
	va_list ap;

	*status = r;
	va_start(ap, fmt);
	set_error(err, r, off, fmt, ap);
	va_end(ap);
}

static void
clear_error(struct disc_error *err)
{
	if (err == NULL)
		return;
	err->reason = DISC_R_OK;
	err->offset = 0;
	err->msg[0] = '\0';
}

static void
count(struct disc_counters *cnt, enum disc_reason r)
{
	if (cnt != NULL && (unsigned)r < DISC_R_MAX)
		cnt->n[r]++;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

enum disc_reason
disc_mud_url_check(const uint8_t *url, size_t len)
{
	static const char https[] = "https://";
	static const char http[] = "http://";
	size_t i;

	if (len == 0)
		return DISC_R_URL_EMPTY;
	if (len > DISC_MUD_URL_MAX)
		return DISC_R_URL_TOO_LONG;
	for (i = 0; i < len; i++) {
		if (url[i] < 0x21 || url[i] > 0x7e)
			return DISC_R_URL_NOT_PRINTABLE;
	}
	if (len >= sizeof(http) - 1 && strncasecmp((const char *)url, http, sizeof(http) - 1) == 0)
		return DISC_R_URL_HTTP;
	if (len < sizeof(https) - 1 ||
	    strncasecmp((const char *)url, https, sizeof(https) - 1) != 0)
		return DISC_R_URL_SCHEME;
	/* The authority part must start with a host, not a path, query, fragment or port. */
	if (len == sizeof(https) - 1 || strchr("/?#:@", url[sizeof(https) - 1]) != NULL)
		return DISC_R_URL_NO_HOST;
	return DISC_R_OK;
}

/* What a refused URL said, for logs and state files: at most DISC_MUD_URL_MAX bytes, bytes
 * outside 0x21..0x7e as '?', a longer URL cut with "..." at the end. */
static void
refused_copy(char *dst, const uint8_t *val, size_t len)
{
	size_t n = len > DISC_MUD_URL_MAX ? DISC_MUD_URL_MAX - 3 : len;

	for (size_t i = 0; i < n; i++)
		dst[i] = val[i] >= 0x21 && val[i] <= 0x7e ? (char)val[i] : '?';
	if (n < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* Check a MUD URL found at frame offset off; copy it or record why not (and what it was). */
static void
take_mud_url(const char *proto, const char *what, size_t off, const uint8_t *val, size_t len,
	     char *dst, uint16_t *dst_len, enum disc_reason *status, char *refused,
	     struct disc_error *err)
{
	enum disc_reason r = disc_mud_url_check(val, len);

	if (r != DISC_R_OK) {
		soft_fail(err, status, r, off, "%s: %s at offset %zu: %s (length %zu)", proto, what,
			  off, disc_reason_str(r), len);
		refused_copy(refused, val, len);
		return;
	}
	refused[0] = '\0';
	memcpy(dst, val, len);
	dst[len] = '\0';
	*dst_len = (uint16_t)len;
	*status = DISC_R_OK;
}

/* ---- Ethernet / VLAN ---- */

static int
parse_l2(const char *proto, const uint8_t *p, size_t size, struct disc_l2 *l2, uint16_t *ethertype,
	 size_t *l3_off, struct disc_error *err)
{
	size_t off = 12;
	uint16_t et;

	if (size < 14)
		return fail(
			err, DISC_R_TRUNCATED, 0,
			"%s: Ethernet header at offset 0: frame of %zu bytes is shorter than 14",
			proto, size);
	memcpy(l2->dst, p, 6);
	memcpy(l2->src, p + 6, 6);
	l2->n_vlans = 0;
	et = rd16(p + off);
	while (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
		if (l2->n_vlans == DISC_MAX_VLANS)
			return fail(err, DISC_R_VLAN_DEPTH, off,
				    "%s: VLAN tag at offset %zu: more than %d VLAN tags", proto,
				    off, DISC_MAX_VLANS);
		if (off + 6 > size)
			return fail(err, DISC_R_TRUNCATED, off,
				    "%s: VLAN tag at offset %zu: runs past end of frame (len %zu)",
				    proto, off, size);
		l2->vlan_ids[l2->n_vlans++] = rd16(p + off + 2) & 0x0fff;
		off += 4;
		et = rd16(p + off);
	}
	*ethertype = et;
	*l3_off = off + 2;
	return 0;
}

/* ---- IPv4 / IPv6 / UDP ---- */

static int
locate_udp(const char *proto, const uint8_t *p, size_t size, struct disc_udp *u,
	   struct disc_error *err)
{
	size_t off, ip_end, hlen;
	uint16_t et, ulen;
	int rc;

	memset(u, 0, sizeof(*u));
	rc = parse_l2(proto, p, size, &u->l2, &et, &off, err);
	if (rc < 0)
		return rc;

	if (et == 0x0800) {
		uint16_t total, frag;

		if (size - off < 20)
			return fail(err, DISC_R_TRUNCATED, off,
				    "%s: IPv4 header at offset %zu: %zu bytes left, need 20", proto,
				    off, size - off);
		if (p[off] >> 4 != 4)
			return fail(err, DISC_R_BAD_IP, off,
				    "%s: IPv4 header at offset %zu: version %u", proto, off,
				    p[off] >> 4);
		hlen = (size_t)(p[off] & 0x0f) * 4;
		total = rd16(p + off + 2);
		if (hlen < 20 || hlen > size - off)
			return fail(err, DISC_R_BAD_IP, off,
				    "%s: IPv4 header at offset %zu: header length %zu invalid "
				    "(%zu bytes left)",
				    proto, off, hlen, size - off);
		if (total < hlen || total > size - off)
			return fail(err, DISC_R_BAD_IP, off + 2,
				    "%s: IPv4 total length at offset %zu: %u does not fit "
				    "header %zu and frame (%zu bytes left)",
				    proto, off + 2, total, hlen, size - off);
		frag = rd16(p + off + 6);
		if ((frag & 0x2000) || (frag & 0x1fff))
			return fail(err, DISC_R_IP_FRAGMENT, off + 6,
				    "%s: IPv4 header at offset %zu: fragment (flags/offset 0x%04x)",
				    proto, off, frag);
		if (p[off + 9] != 17)
			return fail(err, DISC_R_NOT_FOR_US, off + 9,
				    "%s: IPv4 protocol at offset %zu: %u is not UDP", proto,
				    off + 9, p[off + 9]);
		u->ip_version = 4;
		memcpy(u->src_ip, p + off + 12, 4);
		memcpy(u->dst_ip, p + off + 16, 4);
		ip_end = off + total;
		off += hlen;
	} else if (et == 0x86dd) {
		uint8_t nh;
		unsigned n_ext = 0;

		if (size - off < 40)
			return fail(err, DISC_R_TRUNCATED, off,
				    "%s: IPv6 header at offset %zu: %zu bytes left, need 40", proto,
				    off, size - off);
		if (p[off] >> 4 != 6)
			return fail(err, DISC_R_BAD_IP, off,
				    "%s: IPv6 header at offset %zu: version %u", proto, off,
				    p[off] >> 4);
		if (rd16(p + off + 4) > size - off - 40)
			return fail(err, DISC_R_BAD_IP, off + 4,
				    "%s: IPv6 payload length at offset %zu: %u runs past end of "
				    "frame (%zu bytes left)",
				    proto, off + 4, rd16(p + off + 4), size - off - 40);
		u->ip_version = 6;
		memcpy(u->src_ip, p + off + 8, 16);
		memcpy(u->dst_ip, p + off + 24, 16);
		ip_end = off + 40 + rd16(p + off + 4);
		nh = p[off + 6];
		off += 40;
		while (nh != 17) {
			if (nh == 44)
				return fail(err, DISC_R_IP_FRAGMENT, off,
					    "%s: IPv6 fragment header at offset %zu", proto, off);
			if (nh != 0 && nh != 43 && nh != 60)
				return fail(err, DISC_R_NOT_FOR_US, off,
					    "%s: IPv6 next header %u at offset %zu is not UDP",
					    proto, nh, off);
			if (++n_ext > 8)
				return fail(err, DISC_R_BAD_IP, off,
					    "%s: IPv6 extension header at offset %zu: more than 8",
					    proto, off);
			if (ip_end - off < 2)
				return fail(
					err, DISC_R_BAD_IP, off,
					"%s: IPv6 extension header at offset %zu runs past end of "
					"IP payload (len %zu)",
					proto, off, ip_end);
			hlen = ((size_t)p[off + 1] + 1) * 8;
			if (hlen > ip_end - off)
				return fail(
					err, DISC_R_BAD_IP, off,
					"%s: IPv6 extension header at offset %zu: length %zu runs "
					"past end of IP payload (len %zu)",
					proto, off, hlen, ip_end);
			nh = p[off];
			off += hlen;
		}
	} else {
		return fail(err, DISC_R_NOT_FOR_US, off - 2,
			    "%s: ethertype 0x%04x at offset %zu is not IPv4 or IPv6", proto, et,
			    off - 2);
	}

	if (ip_end - off < 8)
		return fail(err, DISC_R_TRUNCATED, off,
			    "%s: UDP header at offset %zu: %zu bytes left in IP payload, need 8",
			    proto, off, ip_end - off);
	ulen = rd16(p + off + 4);
	if (ulen < 8 || ulen > ip_end - off)
		return fail(err, DISC_R_BAD_UDP, off + 4,
			    "%s: UDP length at offset %zu: %u does not fit the IP payload "
			    "(%zu bytes)",
			    proto, off + 4, ulen, ip_end - off);
	u->src_port = rd16(p + off);
	u->dst_port = rd16(p + off + 2);
	u->payload_offset = off + 8;
	u->payload_size = ulen - 8u;
	return 0;
}

int
disc_udp_locate(const void *frame, size_t size, struct disc_udp *out, struct disc_error *err)
{
	clear_error(err);
	if (frame == NULL)
		size = 0;
	return locate_udp("udp", frame, size, out, err);
}

/* ---- DHCPv4 ---- */

#define BOOTP_HDR_SIZE 236
#define DHCP4_OPTS_OFF 240

struct dhcp4_ctx {
	const uint8_t *b; /* UDP payload */
	size_t base;      /* frame offset of b */
	size_t n;         /* UDP payload size */
	struct disc_dhcp4 *out;
	struct disc_error *err;
	uint8_t seen[32]; /* bitmap of option codes seen */
	size_t type_off;
};

static int
dhcp4_option(struct dhcp4_ctx *c, uint8_t code, const uint8_t *val, uint8_t len, size_t off,
	     bool main_area)
{
	struct disc_dhcp4 *o = c->out;
	bool once;

	if (code == 52 && !main_area)
		return fail(c->err, DISC_R_OPT_OVERLOAD, off,
			    "dhcp4: option 52 at offset %zu: overload option inside an "
			    "overloaded field",
			    off);
	once = code == 53 || code == 50 || code == 54 || code == 61 || code == 12 || code == 60 ||
	       code == 161 || code == 52;
	if (once) {
		if (c->seen[code / 8] & (1u << (code % 8)))
			return fail(c->err, DISC_R_OPT_DUPLICATE, off,
				    "dhcp4: option %u at offset %zu: appears twice", code, off);
		c->seen[code / 8] |= (uint8_t)(1u << (code % 8));
	}

	switch (code) {
	case 53:
		if (len != 1)
			return fail(c->err, DISC_R_OPT_BAD_LEN, off,
				    "dhcp4: option 53 at offset %zu: length %u, expected 1", off,
				    len);
		o->msg_type = val[0];
		c->type_off = off;
		break;
	case 50:
	case 54:
		if (len != 4)
			return fail(c->err, DISC_R_OPT_BAD_LEN, off,
				    "dhcp4: option %u at offset %zu: length %u, expected 4", code,
				    off, len);
		if (code == 50) {
			memcpy(o->requested_ip, val, 4);
			o->has_requested_ip = true;
		} else {
			memcpy(o->server_id, val, 4);
			o->has_server_id = true;
		}
		break;
	case 61:
		if (len < 2)
			return fail(c->err, DISC_R_OPT_BAD_LEN, off,
				    "dhcp4: option 61 at offset %zu: length %u, minimum is 2", off,
				    len);
		memcpy(o->client_id, val, len);
		o->client_id_len = len;
		break;
	case 12:
	case 60:
		if (len < 1)
			return fail(c->err, DISC_R_OPT_BAD_LEN, off,
				    "dhcp4: option %u at offset %zu: length 0, minimum is 1", code,
				    off);
		if (code == 12) {
			memcpy(o->hostname, val, len);
			o->hostname[len] = '\0';
			o->hostname_len = len;
		} else {
			memcpy(o->vendor_class, val, len);
			o->vendor_class[len] = '\0';
			o->vendor_class_len = len;
		}
		break;
	case 52:
		if (len != 1)
			return fail(c->err, DISC_R_OPT_BAD_LEN, off,
				    "dhcp4: option 52 at offset %zu: length %u, expected 1", off,
				    len);
		if (val[0] < 1 || val[0] > 3)
			return fail(c->err, DISC_R_OPT_OVERLOAD, off,
				    "dhcp4: option 52 at offset %zu: value %u, expected 1, 2 or 3",
				    off, val[0]);
		o->overload = val[0];
		break;
	case 161:
		take_mud_url("dhcp4", "option 161", off, val, len, o->mud_url, &o->mud_url_len,
			     &o->mud_url_status, o->mud_url_refused, c->err);
		break;
	default:
		break;
	}
	return 0;
}

/* Walk the options in b[start, end) (UDP payload coordinates); 'area' names it in messages. */
static int
dhcp4_walk(struct dhcp4_ctx *c, size_t start, size_t end, const char *area, bool main_area)
{
	size_t i = start;
	int rc;

	while (i < end) {
		uint8_t code = c->b[i];
		uint8_t len;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255)
			return 0;
		if (end - i < 2)
			return fail(c->err, DISC_R_OPT_TRUNCATED, c->base + i,
				    "dhcp4: option %u at offset %zu: length byte runs past end of "
				    "%s (len %zu)",
				    code, c->base + i, area, c->base + end);
		len = c->b[i + 1];
		if (len > end - i - 2)
			return fail(c->err, DISC_R_OPT_TRUNCATED, c->base + i,
				    "dhcp4: option %u at offset %zu: length %u runs past end of "
				    "%s (len %zu)",
				    code, c->base + i, len, area, c->base + end);
		rc = dhcp4_option(c, code, c->b + i + 2, len, c->base + i, main_area);
		if (rc < 0)
			return rc;
		i += 2 + (size_t)len;
	}
	return fail(c->err, DISC_R_OPT_NO_END, c->base + end,
		    "dhcp4: options in %s from offset %zu reach offset %zu without an end option",
		    area, c->base + start, c->base + end);
}

static int
dhcp4_parse(const uint8_t *p, size_t size, struct disc_dhcp4 *o, struct disc_error *err)
{
	static const uint8_t cookie[4] = {99, 130, 83, 99};
	struct dhcp4_ctx c = {.out = o, .err = err};
	struct disc_udp u;
	bool client_type;
	int rc;

	rc = locate_udp("dhcp4", p, size, &u, err);
	if (rc < 0)
		return rc;
	o->l2 = u.l2;
	if (u.ip_version != 4)
		return fail(err, DISC_R_NOT_FOR_US, 12, "dhcp4: IPv6 frame");
	if (u.src_port == 68 && u.dst_port == 67)
		o->from_server = false;
	else if (u.src_port == 67 && u.dst_port == 68)
		o->from_server = true;
	else
		return fail(err, DISC_R_NOT_FOR_US, u.payload_offset - 8,
			    "dhcp4: UDP ports %u -> %u at offset %zu are not 68 -> 67 or 67 -> 68",
			    u.src_port, u.dst_port, u.payload_offset - 8);

	c.b = p + u.payload_offset;
	c.base = u.payload_offset;
	c.n = u.payload_size;
	if (c.n < BOOTP_HDR_SIZE)
		return fail(err, DISC_R_TRUNCATED, c.base,
			    "dhcp4: BOOTP header at offset %zu: %zu bytes, need %d", c.base, c.n,
			    BOOTP_HDR_SIZE);
	if (c.b[0] != (o->from_server ? 2 : 1))
		return fail(err, DISC_R_BAD_BOOTP, c.base,
			    "dhcp4: BOOTP op at offset %zu: %u, expected %u for UDP %u -> %u",
			    c.base, c.b[0], o->from_server ? 2 : 1, u.src_port, u.dst_port);
	if (c.b[1] != 1 || c.b[2] != 6)
		return fail(err, DISC_R_BAD_BOOTP, c.base + 1,
			    "dhcp4: BOOTP htype/hlen at offset %zu: %u/%u, expected Ethernet 1/6",
			    c.base + 1, c.b[1], c.b[2]);
	if (c.n < DHCP4_OPTS_OFF || memcmp(c.b + BOOTP_HDR_SIZE, cookie, 4) != 0)
		return fail(err, DISC_R_BAD_COOKIE, c.base + BOOTP_HDR_SIZE,
			    "dhcp4: magic cookie at offset %zu: missing or not 99.130.83.99",
			    c.base + BOOTP_HDR_SIZE);
	o->xid = rd32(c.b + 4);
	memcpy(o->ciaddr, c.b + 12, 4);
	memcpy(o->yiaddr, c.b + 16, 4);
	memcpy(o->chaddr, c.b + 28, 6);

	rc = dhcp4_walk(&c, DHCP4_OPTS_OFF, c.n, "packet", true);
	if (rc < 0)
		return rc;
	/* RFC 2131 §4.1: options continue in 'file', then in 'sname'. */
	if (o->overload & 1) {
		rc = dhcp4_walk(&c, 108, 236, "file field", false);
		if (rc < 0)
			return rc;
	}
	if (o->overload & 2) {
		rc = dhcp4_walk(&c, 44, 108, "sname field", false);
		if (rc < 0)
			return rc;
	}

	if (!(c.seen[53 / 8] & (1u << (53 % 8))))
		return fail(err, DISC_R_NO_MSG_TYPE, c.base + DHCP4_OPTS_OFF,
			    "dhcp4: options at offset %zu: no message type (option 53)",
			    c.base + DHCP4_OPTS_OFF);
	client_type = o->msg_type == 1 || o->msg_type == 3 || o->msg_type == 4 ||
		      o->msg_type == 7 || o->msg_type == 8;
	if (o->from_server ? (o->msg_type != 2 && o->msg_type != 5 && o->msg_type != 6)
			   : !client_type)
		return fail(err, DISC_R_BAD_MSG_TYPE, c.type_off,
			    "dhcp4: option 53 at offset %zu: message type %u is not valid from a "
			    "%s",
			    c.type_off, o->msg_type, o->from_server ? "server" : "client");
	return 0;
}

/* The shared start of the public parsers: an error record to fill, cleared. */
static struct disc_error *
parse_begin(struct disc_error *err, struct disc_error *local)
{
	if (err == NULL)
		err = local;
	clear_error(err);
	return err;
}

/* The shared end of the public parsers: no MUD URL survives a rejected frame; counters. */
static int
parse_done(int rc, enum disc_reason *status, uint16_t *len, char *url, char *refused,
	   const struct disc_error *err, struct disc_counters *cnt)
{
	if (rc < 0) {
		*status = DISC_R_NO_MUD_URL;
		*len = 0;
		url[0] = '\0';
		refused[0] = '\0';
		count(cnt, err->reason);
		return rc;
	}
	count(cnt, DISC_R_OK);
	if (*status != DISC_R_OK && *status != DISC_R_NO_MUD_URL)
		count(cnt, *status);
	return 0;
}

int
disc_dhcp4_parse(const void *frame, size_t size, struct disc_dhcp4 *out, struct disc_error *err,
		 struct disc_counters *cnt)
{
	struct disc_error local;
	int rc;

	err = parse_begin(err, &local);
	memset(out, 0, sizeof(*out));
	out->mud_url_status = DISC_R_NO_MUD_URL;
	rc = dhcp4_parse(frame, frame ? size : 0, out, err);
	return parse_done(rc, &out->mud_url_status, &out->mud_url_len, out->mud_url,
			  out->mud_url_refused, err, cnt);
}

/* ---- DHCPv6 ---- */

static int
dhcp6_ia_na(const uint8_t *b, size_t base, size_t off, size_t len, struct disc_dhcp6 *o,
	    struct disc_error *err)
{
	size_t i = off + 16; /* option header 4 + IAID 4 + T1 4 + T2 4 */
	size_t end = off + 4 + len;
	uint32_t iaid;

	if (len < 12)
		return fail(err, DISC_R_OPT_BAD_LEN, base + off,
			    "dhcp6: option 3 (IA_NA) at offset %zu: length %zu, minimum is 12",
			    base + off, len);
	iaid = rd32(b + off + 4);
	while (i < end) {
		uint16_t code, slen;

		if (end - i < 4)
			return fail(err, DISC_R_OPT_TRUNCATED, base + i,
				    "dhcp6: IA_NA sub-option at offset %zu: header runs past end "
				    "of IA_NA (len %zu)",
				    base + i, base + end);
		code = rd16(b + i);
		slen = rd16(b + i + 2);
		if (slen > end - i - 4)
			return fail(err, DISC_R_OPT_TRUNCATED, base + i,
				    "dhcp6: IA_NA sub-option %u at offset %zu: length %u runs past "
				    "end of IA_NA (len %zu)",
				    code, base + i, slen, base + end);
		if (code == 5) {
			struct disc_dhcp6_addr *a;

			if (slen < 24)
				return fail(err, DISC_R_OPT_BAD_LEN, base + i,
					    "dhcp6: option 5 (IAADDR) at offset %zu: length %u, "
					    "minimum is 24",
					    base + i, slen);
			if (o->from_server) {
				if (o->n_addrs == DISC_DHCP6_MAX_ADDRS)
					return fail(err, DISC_R_TOO_MANY_ADDRS, base + i,
						    "dhcp6: option 5 (IAADDR) at offset %zu: more "
						    "than %d addresses",
						    base + i, DISC_DHCP6_MAX_ADDRS);
				a = &o->addrs[o->n_addrs++];
				memcpy(a->addr, b + i + 4, 16);
				a->preferred_lifetime = rd32(b + i + 20);
				a->valid_lifetime = rd32(b + i + 24);
				a->iaid = iaid;
			}
		}
		i += 4 + (size_t)slen;
	}
	return 0;
}

static int
dhcp6_parse(const uint8_t *p, size_t size, struct disc_dhcp6 *o, struct disc_error *err)
{
	struct disc_udp u;
	const uint8_t *b;
	size_t base, n, i;
	bool client_type, server_type, seen_url = false;
	uint8_t t;
	int rc;

	rc = locate_udp("dhcp6", p, size, &u, err);
	if (rc < 0)
		return rc;
	o->l2 = u.l2;
	if (u.ip_version != 6)
		return fail(err, DISC_R_NOT_FOR_US, 12, "dhcp6: IPv4 frame");
	memcpy(o->src_ip, u.src_ip, 16);
	if (u.src_port == 546 && u.dst_port == 547)
		o->from_server = false;
	else if (u.src_port == 547 && u.dst_port == 546)
		o->from_server = true;
	else
		return fail(err, DISC_R_NOT_FOR_US, u.payload_offset - 8,
			    "dhcp6: UDP ports %u -> %u at offset %zu are not 546 -> 547 or "
			    "547 -> 546",
			    u.src_port, u.dst_port, u.payload_offset - 8);
	b = p + u.payload_offset;
	base = u.payload_offset;
	n = u.payload_size;
	if (n < 4)
		return fail(err, DISC_R_TRUNCATED, base,
			    "dhcp6: message header at offset %zu: %zu bytes, need 4", base, n);
	t = b[0];
	o->msg_type = t;
	o->xid = rd32(b) & 0xffffff;
	if (t == 12 || t == 13)
		return fail(err, DISC_R_DHCP6_RELAY, base,
			    "dhcp6: message type %u at offset %zu: relay messages are not "
			    "accepted",
			    t, base);
	client_type = t == 1 || t == 3 || t == 4 || t == 5 || t == 6 || t == 8 || t == 9 || t == 11;
	server_type = t == 2 || t == 7 || t == 10;
	if (o->from_server ? !server_type : !client_type)
		return fail(err, DISC_R_BAD_MSG_TYPE, base,
			    "dhcp6: message type %u at offset %zu is not valid from a %s", t, base,
			    o->from_server ? "server" : "client");

	i = 4;
	while (i < n) {
		uint16_t code, len;

		if (n - i < 4)
			return fail(err, DISC_R_OPT_TRUNCATED, base + i,
				    "dhcp6: option header at offset %zu runs past end of packet "
				    "(len %zu)",
				    base + i, base + n);
		code = rd16(b + i);
		len = rd16(b + i + 2);
		if (len > n - i - 4)
			return fail(err, DISC_R_OPT_TRUNCATED, base + i,
				    "dhcp6: option %u at offset %zu: length %u runs past end of "
				    "packet (len %zu)",
				    code, base + i, len, base + n);
		switch (code) {
		case 1:
			if (o->duid_len != 0)
				return fail(
					err, DISC_R_OPT_DUPLICATE, base + i,
					"dhcp6: option 1 (CLIENTID) at offset %zu: appears twice",
					base + i);
			if (len < 2 || len > DISC_DHCP6_DUID_MAX)
				return fail(err, DISC_R_OPT_BAD_LEN, base + i,
					    "dhcp6: option 1 (CLIENTID) at offset %zu: length %u, "
					    "expected 2..%d",
					    base + i, len, DISC_DHCP6_DUID_MAX);
			memcpy(o->duid, b + i + 4, len);
			o->duid_len = len;
			break;
		case 3:
			rc = dhcp6_ia_na(b, base, i, len, o, err);
			if (rc < 0)
				return rc;
			break;
		case 112:
			if (seen_url)
				return fail(err, DISC_R_OPT_DUPLICATE, base + i,
					    "dhcp6: option 112 at offset %zu: appears twice",
					    base + i);
			seen_url = true;
			take_mud_url("dhcp6", "option 112", base + i, b + i + 4, len, o->mud_url,
				     &o->mud_url_len, &o->mud_url_status, o->mud_url_refused, err);
			break;
		default:
			break;
		}
		i += 4 + (size_t)len;
	}
	return 0;
}

int
disc_dhcp6_parse(const void *frame, size_t size, struct disc_dhcp6 *out, struct disc_error *err,
		 struct disc_counters *cnt)
{
	struct disc_error local;
	int rc;

	err = parse_begin(err, &local);
	memset(out, 0, sizeof(*out));
	out->mud_url_status = DISC_R_NO_MUD_URL;
	rc = dhcp6_parse(frame, frame ? size : 0, out, err);
	return parse_done(rc, &out->mud_url_status, &out->mud_url_len, out->mud_url,
			  out->mud_url_refused, err, cnt);
}

/* ---- LLDP ---- */

static int
lldp_id_tlv(const char *what, unsigned type, const uint8_t *v, size_t len, size_t off,
	    uint8_t *subtype, uint8_t *dst, uint8_t *dst_len, struct disc_error *err)
{
	if (len < 2 || len > 256)
		return fail(err, DISC_R_LLDP_TLV_BAD_LEN, off,
			    "lldp: %s TLV (type %u) at offset %zu: length %zu, expected 2..256",
			    what, type, off, len);
	*subtype = v[0];
	memcpy(dst, v + 1, len - 1);
	*dst_len = (uint8_t)(len - 1);
	return 0;
}

static int
lldp_parse(const uint8_t *p, size_t size, struct disc_lldp *o, struct disc_error *err)
{
	static const uint8_t iana_oui[3] = {0x00, 0x00, 0x5e};
	size_t off;
	unsigned idx = 0;
	bool seen_url = false;
	uint16_t et;
	int rc;

	rc = parse_l2("lldp", p, size, &o->l2, &et, &off, err);
	if (rc < 0)
		return rc;
	if (et != 0x88cc)
		return fail(err, DISC_R_NOT_FOR_US, off - 2,
			    "lldp: ethertype 0x%04x at offset %zu is not LLDP (0x88cc)", et,
			    off - 2);

	for (;; idx++) {
		unsigned type;
		size_t len;
		const uint8_t *v;

		if (size == off)
			return fail(err, DISC_R_LLDP_NO_END, off,
				    "lldp: frame ends at offset %zu without an end TLV", off);
		if (size - off < 2)
			return fail(
				err, DISC_R_LLDP_TLV_TRUNCATED, off,
				"lldp: TLV header at offset %zu runs past end of frame (len %zu)",
				off, size);
		type = p[off] >> 1;
		len = ((size_t)(p[off] & 1) << 8) | p[off + 1];
		if (len > size - off - 2)
			return fail(err, DISC_R_LLDP_TLV_TRUNCATED, off,
				    "lldp: TLV type %u at offset %zu: length %zu runs past end of "
				    "frame (len %zu)",
				    type, off, len, size);
		v = p + off + 2;
		if (idx < 3 && type != idx + 1)
			return fail(err, DISC_R_LLDP_ORDER, off,
				    "lldp: TLV %u at offset %zu: type %u, expected %s", idx + 1,
				    off, type,
				    idx == 0   ? "chassis ID (1)"
				    : idx == 1 ? "port ID (2)"
					       : "TTL (3)");
		switch (type) {
		case 0:
			if (len != 0)
				return fail(err, DISC_R_LLDP_TLV_BAD_LEN, off,
					    "lldp: end TLV at offset %zu: length %zu, expected 0",
					    off, len);
			return 0;
		case 1:
		case 2:
		case 3:
			if (idx >= 3)
				return fail(err, DISC_R_LLDP_DUPLICATE, off,
					    "lldp: TLV type %u at offset %zu: appears twice", type,
					    off);
			if (type == 1)
				rc = lldp_id_tlv("chassis ID", type, v, len, off,
						 &o->chassis_id_subtype, o->chassis_id,
						 &o->chassis_id_len, err);
			else if (type == 2)
				rc = lldp_id_tlv("port ID", type, v, len, off, &o->port_id_subtype,
						 o->port_id, &o->port_id_len, err);
			else if (len != 2)
				rc = fail(err, DISC_R_LLDP_TLV_BAD_LEN, off,
					  "lldp: TTL TLV at offset %zu: length %zu, expected 2",
					  off, len);
			else
				o->ttl = rd16(v);
			if (rc < 0)
				return rc;
			break;
		case 127:
			if (len < 4)
				return fail(err, DISC_R_LLDP_TLV_BAD_LEN, off,
					    "lldp: organizationally specific TLV at offset %zu: "
					    "length %zu, minimum is 4",
					    off, len);
			if (memcmp(v, iana_oui, 3) != 0 || v[3] != 1)
				break;
			if (seen_url)
				return fail(err, DISC_R_LLDP_DUPLICATE, off,
					    "lldp: MUD URL TLV at offset %zu: appears twice", off);
			seen_url = true;
			take_mud_url("lldp", "MUD URL TLV", off, v + 4, len - 4, o->mud_url,
				     &o->mud_url_len, &o->mud_url_status, o->mud_url_refused, err);
			break;
		default:
			break;
		}
		off += 2 + len;
	}
}

int
disc_lldp_parse(const void *frame, size_t size, struct disc_lldp *out, struct disc_error *err,
		struct disc_counters *cnt)
{
	struct disc_error local;
	int rc;

	err = parse_begin(err, &local);
	memset(out, 0, sizeof(*out));
	out->mud_url_status = DISC_R_NO_MUD_URL;
	rc = lldp_parse(frame, frame ? size : 0, out, err);
	return parse_done(rc, &out->mud_url_status, &out->mud_url_len, out->mud_url,
			  out->mud_url_refused, err, cnt);
}
