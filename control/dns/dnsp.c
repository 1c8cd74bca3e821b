/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS response parser (RFC 1035 §4, compression §4.1.4). See dnsp.h for the contract.
 */
#include "dnsp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_HDR_SIZE  12
#define NAME_WIRE_MAX 255
#define MAX_PTRS      127

#define TYPE_A     1
#define TYPE_CNAME 5
#define TYPE_AAAA  28
#define CLASS_IN   1

static const char *const reason_text[DNSP_R_MAX] = {
#define DNSP_X_TEXT(name, err, text) [DNSP_R_##name] = text,
	DNSP_REASONS(DNSP_X_TEXT)
#undef DNSP_X_TEXT
};

static const char *const reason_name[DNSP_R_MAX] = {
#define DNSP_X_NAME(name, err, text) [DNSP_R_##name] = #name,
	DNSP_REASONS(DNSP_X_NAME)
#undef DNSP_X_NAME
};

static const int reason_errno[DNSP_R_MAX] = {
#define DNSP_X_ERRNO(name, err, text) [DNSP_R_##name] = err,
	DNSP_REASONS(DNSP_X_ERRNO)
#undef DNSP_X_ERRNO
};

const char *
dnsp_reason_str(enum dnsp_reason r)
{
	if ((unsigned)r >= DNSP_R_MAX)
		return "unknown reason";
	return reason_text[r];
}

const char *
dnsp_reason_name(enum dnsp_reason r)
{
	if ((unsigned)r >= DNSP_R_MAX)
		return "UNKNOWN";
	return reason_name[r];
}

__attribute__((format(printf, 4, 5))) static int
fail(struct dnsp_error *err, enum dnsp_reason r, size_t off, const char *fmt, ...)
{
	va_list ap;

	err->reason = r;
	err->offset = off;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -reason_errno[r];
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

struct name {
	uint8_t wire[NAME_WIRE_MAX]; /* uncompressed, lowercased, with the root label */
	size_t len;
};

/*
 * Read the (possibly compressed) name at m[off]. *next is the offset just after the name as it
 * is written at off. Each pointer must target an offset before the start of the labels being
 * read (the name's start, then each previous target): targets strictly decrease, so no loop.
 */
static int
name_read(const uint8_t *m, size_t size, size_t off, const char *what, struct name *n, size_t *next,
	  struct dnsp_error *err)
{
	size_t pos = off, seg_start = off;
	unsigned n_ptrs = 0;
	bool jumped = false;

	n->len = 0;
	for (;;) {
		uint8_t b;

		if (pos >= size)
			return fail(err, DNSP_R_TRUNCATED, pos,
				    "dns: %s at offset %zu: label at offset %zu runs past end of "
				    "message (len %zu)",
				    what, off, pos, size);
		b = m[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t target;

			if (size - pos < 2)
				return fail(
					err, DNSP_R_TRUNCATED, pos,
					"dns: %s at offset %zu: compression pointer at offset %zu "
					"runs past end of message (len %zu)",
					what, off, pos, size);
			target = ((size_t)(b & 0x3f) << 8) | m[pos + 1];
			if (target >= seg_start)
				return fail(
					err, DNSP_R_PTR_FORWARD, pos,
					"dns: %s at offset %zu: compression pointer at offset %zu "
					"targets offset %zu, not before %zu",
					what, off, pos, target, seg_start);
			if (++n_ptrs > MAX_PTRS)
				return fail(
					err, DNSP_R_PTR_DEPTH, pos,
					"dns: %s at offset %zu: more than %d compression pointers",
					what, off, MAX_PTRS);
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			pos = seg_start = target;
			continue;
		}
		if (b & 0xc0)
			return fail(err, DNSP_R_LABEL_TYPE, pos,
				    "dns: %s at offset %zu: label type 0x%02x at offset %zu is "
				    "reserved",
				    what, off, b & 0xc0, pos);
		if (b == 0) {
			if (n->len + 1 > NAME_WIRE_MAX)
				return fail(err, DNSP_R_NAME_TOO_LONG, pos,
					    "dns: %s at offset %zu: longer than %d bytes", what,
					    off, NAME_WIRE_MAX);
			n->wire[n->len++] = 0;
			if (!jumped)
				*next = pos + 1;
			return 0;
		}
		if (size - pos - 1 < b)
			return fail(
				err, DNSP_R_TRUNCATED, pos,
				"dns: %s at offset %zu: label of %u bytes at offset %zu runs past "
				"end of message (len %zu)",
				what, off, b, pos, size);
		/* label + the root label that must still follow */
		if (n->len + 1 + b + 1 > NAME_WIRE_MAX)
			return fail(
				err, DNSP_R_NAME_TOO_LONG, pos,
				"dns: %s at offset %zu: longer than %d bytes at label offset %zu",
				what, off, NAME_WIRE_MAX, pos);
		n->wire[n->len++] = b;
		for (size_t i = 0; i < b; i++) {
			uint8_t c = m[pos + 1 + i];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			n->wire[n->len++] = c;
		}
		pos += 1 + (size_t)b;
	}
}

static bool
name_eq(const struct name *a, const struct name *b)
{
	return a->len == b->len && memcmp(a->wire, b->wire, a->len) == 0;
}

static uint32_t
name_hash(const struct name *n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n->len; i++)
		h = (h ^ n->wire[i]) * 16777619u;
	return h;
}

static void
name_text(const struct name *n, char *dst, size_t dst_size)
{
	size_t i = 0, o = 0;

	if (n->len <= 1) {
		snprintf(dst, dst_size, ".");
		return;
	}
	while (i < n->len && n->wire[i] != 0) {
		uint8_t l = n->wire[i++];

		if (o != 0 && o + 1 < dst_size)
			dst[o++] = '.';
		for (uint8_t k = 0; k < l; k++, i++) {
			uint8_t c = n->wire[i];
			int w;

			if (c == '.' || c == '\\')
				w = snprintf(dst + o, dst_size - o, "\\%c", c);
			else if (c >= 0x21 && c <= 0x7e)
				w = snprintf(dst + o, dst_size - o, "%c", c);
			else
				w = snprintf(dst + o, dst_size - o, "\\%03u", c);
			if (w < 0 || (size_t)w >= dst_size - o) {
				dst[o] = '\0';
				return;
			}
			o += (size_t)w;
		}
	}
	dst[o < dst_size ? o : dst_size - 1] = '\0';
}

struct rr {
	size_t owner_off;
	uint32_t owner_hash;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rdata_off;
	uint16_t rdlen;
	bool used;
};

static int
parse(const uint8_t *m, size_t size, struct dnsp_result *o, struct dnsp_error *err)
{
	struct rr rrs[DNSP_MAX_ANSWERS];
	struct name qn, target, tmp;
	size_t off, next = 0, n_used = 0;
	uint16_t flags, qdcount, ancount;
	int rc;

	if (size < DNS_HDR_SIZE)
		return fail(err, DNSP_R_TRUNCATED, 0,
			    "dns: header at offset 0: message of %zu bytes is shorter than 12",
			    size);
	o->id = rd16(m);
	flags = rd16(m + 2);
	qdcount = rd16(m + 4);
	ancount = rd16(m + 6);
	if (!(flags & 0x8000) || ((flags >> 11) & 0xf) != 0)
		return fail(
			err, DNSP_R_NOT_RESPONSE, 2,
			"dns: flags at offset 2: 0x%04x is not a standard query response (QR %u, "
			"opcode %u)",
			flags, flags >> 15, (flags >> 11) & 0xf);
	o->truncated = (flags & 0x0200) != 0;
	o->rcode = flags & 0xf;
	if (qdcount != 1)
		return fail(err, DNSP_R_QDCOUNT, 4, "dns: QDCOUNT at offset 4: %u, expected 1",
			    qdcount);
	if (ancount > DNSP_MAX_ANSWERS)
		return fail(err, DNSP_R_TOO_MANY_ANSWERS, 6,
			    "dns: ANCOUNT at offset 6: %u, at most %d accepted", ancount,
			    DNSP_MAX_ANSWERS);
	o->n_answers = ancount;

	rc = name_read(m, size, DNS_HDR_SIZE, "question name", &qn, &next, err);
	if (rc < 0)
		return rc;
	if (size - next < 4)
		return fail(err, DNSP_R_TRUNCATED, next,
			    "dns: question type/class at offset %zu runs past end of message "
			    "(len %zu)",
			    next, size);
	o->qtype = rd16(m + next);
	o->qclass = rd16(m + next + 2);
	name_text(&qn, o->qname, sizeof(o->qname));
	off = next + 4;

	for (size_t i = 0; i < ancount; i++) {
		struct rr *r = &rrs[i];

		rc = name_read(m, size, off, "answer owner name", &tmp, &next, err);
		if (rc < 0)
			return rc;
		if (size - next < 10)
			return fail(err, DNSP_R_RR_TRUNCATED, next,
				    "dns: answer %zu at offset %zu: fixed fields run past end of "
				    "message (len %zu)",
				    i + 1, off, size);
		r->owner_off = off;
		r->owner_hash = name_hash(&tmp);
		r->type = rd16(m + next);
		r->rclass = rd16(m + next + 2);
		r->ttl = rd32(m + next + 4);
		if (r->ttl & 0x80000000u)
			r->ttl = 0;
		r->rdlen = rd16(m + next + 8);
		r->rdata_off = next + 10;
		r->used = false;
		if (r->rdlen > size - r->rdata_off)
			return fail(
				err, DNSP_R_RR_TRUNCATED, next + 8,
				"dns: answer %zu at offset %zu: rdata length %u runs past end of "
				"message (len %zu)",
				i + 1, off, r->rdlen, size);
		if (r->rclass == CLASS_IN) {
			size_t want = r->type == TYPE_A ? 4 : r->type == TYPE_AAAA ? 16 : 0;

			if (want != 0 && r->rdlen != want)
				return fail(err, DNSP_R_RDATA_LEN, next + 8,
					    "dns: answer %zu at offset %zu: %s rdata length %u, "
					    "expected %zu",
					    i + 1, off, r->type == TYPE_A ? "A" : "AAAA", r->rdlen,
					    want);
			if (r->type == TYPE_CNAME) {
				size_t end = 0;

				rc = name_read(m, size, r->rdata_off, "CNAME target", &tmp, &end,
					       err);
				if (rc < 0)
					return rc;
				if (end != r->rdata_off + r->rdlen)
					return fail(err, DNSP_R_RDATA_LEN, next + 8,
						    "dns: answer %zu at offset %zu: CNAME rdata "
						    "length %u, the name takes %zu",
						    i + 1, off, r->rdlen, end - r->rdata_off);
			}
		}
		off = r->rdata_off + r->rdlen;
	}

	/* Follow the chain from the question name. */
	target = qn;
	o->chain_ttl = UINT32_MAX;
	for (;;) {
		uint32_t h = name_hash(&target);
		struct rr *found = NULL;

		for (size_t i = 0; i < ancount; i++) {
			struct rr *r = &rrs[i];

			if (r->type != TYPE_CNAME || r->rclass != CLASS_IN || r->owner_hash != h)
				continue;
			name_read(m, size, r->owner_off, "owner", &tmp, &next, err);
			if (!name_eq(&tmp, &target))
				continue;
			if (found != NULL)
				return fail(err, DNSP_R_CNAME_AMBIGUOUS, r->owner_off,
					    "dns: answer at offset %zu: second CNAME for a name "
					    "(first at offset %zu)",
					    r->owner_off, found->owner_off);
			found = r;
		}
		if (found == NULL)
			break;
		if (found->used || o->n_cnames == DNSP_MAX_CNAME_HOPS)
			return fail(err, DNSP_R_CNAME_LOOP, found->owner_off,
				    "dns: CNAME at offset %zu: chain %s after %zu hops",
				    found->owner_off, found->used ? "loops" : "too long",
				    o->n_cnames);
		found->used = true;
		n_used++;
		o->n_cnames++;
		if (found->ttl < o->chain_ttl)
			o->chain_ttl = found->ttl;
		name_read(m, size, found->rdata_off, "CNAME target", &target, &next, err);
	}
	name_text(&target, o->canonical, sizeof(o->canonical));

	{
		uint32_t h = name_hash(&target);

		for (size_t i = 0; i < ancount; i++) {
			struct rr *r = &rrs[i];
			struct dnsp_addr *a;

			if ((r->type != TYPE_A && r->type != TYPE_AAAA) || r->rclass != CLASS_IN ||
			    r->owner_hash != h)
				continue;
			name_read(m, size, r->owner_off, "owner", &tmp, &next, err);
			if (!name_eq(&tmp, &target))
				continue;
			if (o->n_addrs == DNSP_MAX_ADDRS)
				return fail(err, DNSP_R_TOO_MANY_ADDRS, r->owner_off,
					    "dns: answer at offset %zu: more than %d addresses",
					    r->owner_off, DNSP_MAX_ADDRS);
			a = &o->addrs[o->n_addrs++];
			a->family = r->type == TYPE_A ? AF_INET : AF_INET6;
			memcpy(a->addr, m + r->rdata_off, r->rdlen);
			a->ttl = r->ttl < o->chain_ttl ? r->ttl : o->chain_ttl;
			r->used = true;
			n_used++;
		}
	}
	o->n_ignored = ancount - n_used;
	return 0;
}

int
dnsp_parse(const void *msg, size_t size, struct dnsp_result *out, struct dnsp_error *err,
	   struct dnsp_counters *cnt)
{
	struct dnsp_error local;
	int rc;

	if (err == NULL)
		err = &local;
	err->reason = DNSP_R_OK;
	err->offset = 0;
	err->msg[0] = '\0';
	memset(out, 0, offsetof(struct dnsp_result, addrs));
	if (msg == NULL)
		size = 0;
	rc = parse(msg, size, out, err);
	if (rc < 0)
		out->n_addrs = 0;
	if (cnt != NULL)
		cnt->n[rc < 0 ? err->reason : DNSP_R_OK]++;
	return rc;
}
