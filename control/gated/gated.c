/* SPDX-License-Identifier: BSD-3-Clause */
/* mudgated's event loop and pipeline (gated.h, docs/control.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "cache/cache.h"
#include "compile/cmp.h"
#include "config/cfg.h"
#include "discover/disc.h"
#include "dns/dnsp.h"
#include "dnsname/dnsn.h"
#include "dnsname/dnsr.h"
#include "fetch/fetch.h"
#include "gated/gated.h"
#include "lifecycle/lc.h"
#include "mg_ctrl.h"
#include "mg_image.h"
#include "mud/mudf.h"
#include "publish/pub.h"
#include "verify/mudsig.h"

#define TICK_SECONDS 2
/* Changes arriving within this window go out as one image generation (and one devices.json). */
#define BATCH_USEC 50000
/* The shortest life of a dnsname address: long enough for the re-resolution sent one tick
 * before it expires to renew it (a TTL of 0 or 1 would make it leave and come back at every
 * tick, each time a new image generation). */
#define DNS_MIN_LIFE (2 * TICK_SECONDS + 1)

static enum gated_log_level log_level = GATED_LOG_INFO;

int
gated_log_level_parse(const char *s)
{
	static const char *const names[] = {"err", "warning", "notice", "info", "debug"};

	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

void
gated_log(enum gated_log_level level, const char *module, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "mudgated[%s] ", module);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line, so lines of concurrent writers do not interleave */
	size_t len = strlen(line);
	line[len < sizeof(line) - 1 ? len : sizeof(line) - 2] = '\n';
	ssize_t w =
		write(STDERR_FILENO, line, (len < sizeof(line) - 1 ? len : sizeof(line) - 2) + 1);
	(void)w;
}

#define LOG(level, mod, ...) gated_log(GATED_LOG_##level, mod, __VA_ARGS__)

/* ---- state ------------------------------------------------------------------------------ */

/* One MUD URL, shared by every device that announces it. */
struct entry {
	char url[LC_URL_MAX + 1];
	struct mudf_file *good; /* last good file, NULL when none */
	time_t expires;         /* refresh due (wall clock) */
	time_t grace_until;     /* past this, a failing refresh drops good */
	bool fetching;
	bool failing;
	bool no_cond; /* next fetch without If-None-Match (cache lost) */
	enum lc_reason fail_reason;
	char fail_msg[LC_MSG_SIZE];
	char logged[LC_MSG_SIZE]; /* last failure logged for the entry */
	struct event *timer;
	uint8_t *body; /* in flight: the MUD file waiting for its signature */
	size_t size;
	char etag[256], last_modified[256];
	char sig_url[LC_URL_MAX + 1];
	uint64_t n_fetches, n_failures;
	uint64_t body_hash; /* of the good file and its signature */
	uint64_t first_tag; /* the image build that first carried this good file, 0: none yet */
	bool pub_refused;   /* mudgate-dp refused an image with it: left out until it changes */
	uint64_t pub_refused_hash;
	char pub_msg[LC_MSG_SIZE];
};

static struct {
	struct gated_opts o;
	struct event_base *base;
	struct mudf_ctx *mudf;
	struct cfg *cfg;
	struct fetch_ctx *fetch;
	struct pub *pub;
	struct dnsr *dns;
	struct lc_table lc;
	struct dnsn_table dnsn;
	struct entry **entries;
	size_t n_entries, cap_entries;
	char cache_dir[4200];
	char devices_json[4200];
	char dnsnames_json[4200];
	struct event *changed_ev;
	struct event *tick;
	bool image_dirty;
	uint64_t n_dhcp4, n_dhcp6, n_lldp, n_dns, n_bad_frames, n_dns_learnt;
	struct disc_counters disc_cnt;
	struct dnsp_counters dnsp_cnt;
	time_t bad_frame_log; /* rate limit of malformed-frame logs */
	size_t image_size;
	uint32_t n_policies;
	uint64_t build_tag;      /* of the last image built (pub_set_desired tag) */
	uint64_t n_refused_urls; /* announced MUD URLs refused by discovery */
} G;

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void schedule_changed(bool image);
static void entry_fetch(struct entry *e);
static void entry_eval_devices(struct entry *e);

/* ---- effective site: configuration + what DHCP snooping learnt ------------------------- */

static int
addrs_copy(struct site_addrs *dst, const struct site_addrs *src, size_t extra)
{
	dst->v = calloc(src->n + extra + 1, sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = src->n;
	return 0;
}

static int
named_copy(struct site_named **dst, size_t *n_dst, const struct site_named *src, size_t n)
{
	*dst = calloc(n + 1, sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i].key = strdup(src[i].key);
		(*n_dst)++;
		if (!(*dst)[i].key || addrs_copy(&(*dst)[i].addrs, &src[i].addrs, 0) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void
add_host_prefix(struct site_addrs *a, uint8_t family, const uint8_t *addr)
{
	struct site_prefix p = {.family = family, .plen = family == MGI_FAMILY_IPV4 ? 32 : 128};

	memcpy(p.addr, addr, family == MGI_FAMILY_IPV4 ? 4 : 16);
	for (size_t i = 0; i < a->n; i++)
		if (!memcmp(&a->v[i], &p, sizeof(p)))
			return;
	a->v[a->n++] = p;
}

/* A deep copy of the configured site with every device DHCP taught us added (or its
 * addresses merged), for the manufacturer, same-manufacturer and model abstractions. */
static struct site *
effective_site(void)
{
	const struct site *b = G.cfg->site;
	struct site *s = calloc(1, sizeof(*s));
	size_t n_dev = b->n_devices + G.lc.n;

	if (!s)
		return NULL;
	memcpy(s->profiles, b->profiles, sizeof(s->profiles));
	for (int i = 0; i < MG_STATE_COUNT; i++)
		s->profiles[i].policy = NULL;
	s->allow_flags = b->allow_flags;
	if (addrs_copy(&s->local_networks, &b->local_networks, 0) < 0 ||
	    addrs_copy(&s->resolvers, &b->resolvers, 0) < 0 ||
	    named_copy(&s->controllers, &s->n_controllers, b->controllers, b->n_controllers) < 0 ||
	    named_copy(&s->my_controllers, &s->n_my_controllers, b->my_controllers,
		       b->n_my_controllers) < 0)
		goto out_destroy;
	for (int i = 0; i < MG_STATE_COUNT; i++)
		if (b->profiles[i].policy &&
		    !(s->profiles[i].policy = strdup(b->profiles[i].policy)))
			goto out_destroy;
	s->trust_anchors = calloc(b->n_trust_anchors + 1, sizeof(char *));
	if (!s->trust_anchors)
		goto out_destroy;
	for (size_t i = 0; i < b->n_trust_anchors; i++)
		if (!(s->trust_anchors[s->n_trust_anchors++] = strdup(b->trust_anchors[i])))
			goto out_destroy;
	s->devices = calloc(n_dev + 1, sizeof(*s->devices));
	if (!s->devices)
		goto out_destroy;
	for (size_t i = 0; i < b->n_devices; i++) {
		struct site_device *d = &s->devices[s->n_devices++];
		memcpy(d->mac, b->devices[i].mac, 6);
		d->mud_url = strdup(b->devices[i].mud_url);
		d->authority = b->devices[i].authority ? strdup(b->devices[i].authority) : NULL;
		const struct lc_device *l = lc_find(&G.lc, d->mac);
		if (!d->mud_url ||
		    addrs_copy(&d->addrs, &b->devices[i].addrs, l ? l->n_v4 + l->n_v6 : 0) < 0)
			goto out_destroy;
		for (size_t k = 0; l && k < l->n_v4; k++)
			add_host_prefix(&d->addrs, MGI_FAMILY_IPV4, l->v4[k]);
		for (size_t k = 0; l && k < l->n_v6; k++)
			add_host_prefix(&d->addrs, MGI_FAMILY_IPV6, l->v6[k]);
	}
	for (size_t i = 0; i < G.lc.n; i++) {
		const struct lc_device *l = &G.lc.v[i];
		bool known = false;
		char auth[300];
		for (size_t k = 0; k < b->n_devices; k++)
			known |= !memcmp(b->devices[k].mac, l->mac, 6);
		if (known || !l->mud_url[0] || (!l->n_v4 && !l->n_v6) ||
		    mudf_url_authority(l->mud_url, auth, sizeof(auth)) < 0)
			continue;
		struct site_device *d = &s->devices[s->n_devices++];
		memcpy(d->mac, l->mac, 6);
		d->mud_url = strdup(l->mud_url);
		d->authority = strdup(auth);
		d->addrs.v = calloc(l->n_v4 + l->n_v6, sizeof(*d->addrs.v));
		if (!d->mud_url || !d->authority || !d->addrs.v)
			goto out_destroy;
		for (size_t k = 0; k < l->n_v4; k++)
			add_host_prefix(&d->addrs, MGI_FAMILY_IPV4, l->v4[k]);
		for (size_t k = 0; k < l->n_v6; k++)
			add_host_prefix(&d->addrs, MGI_FAMILY_IPV6, l->v6[k]);
	}
	return s;
out_destroy:
	site_destroy(s);
	return NULL;
}

/* ---- entries ---------------------------------------------------------------------------- */

static struct entry *
entry_find(const char *url)
{
	for (size_t i = 0; i < G.n_entries; i++)
		if (!strcmp(G.entries[i]->url, url))
			return G.entries[i];
	return NULL;
}

static const char *
reason_module(enum lc_reason r)
{
	switch (r) {
	case LC_R_UNSIGNED:
	case LC_R_SIGNATURE:
		return "verify";
	case LC_R_INVALID:
	case LC_R_URL_MISMATCH:
		return "mud";
	case LC_R_COMPILE:
		return "compile";
	case LC_R_PUBLISH:
		return "publish";
	case LC_R_NO_MUD_URL:
	case LC_R_OK:
	case LC_R_NONE:
		return "lifecycle";
	default:
		return "fetch";
	}
}

/* Moves d to state/reason and logs the transition once. */
#ifdef MG_NETCONF
static void nbg_device_changed(const struct lc_device *d, unsigned old);
static void nbg_mud_failure(const char *url, enum lc_reason reason, const char *msg);
static void nbg_reloaded(void);
#endif

static void
dev_set(struct lc_device *d, enum mg_state state, enum lc_reason reason, const char *msg,
	const char *policy)
{
	char mac[18];
	bool pol_changed = strcmp(d->policy, policy);
	unsigned old = d->state;

	snprintf(d->policy, sizeof(d->policy), "%s", policy);
	if (!lc_set(&G.lc, d, state, reason, msg)) {
		if (pol_changed)
			schedule_changed(false);
		return;
	}
	mg_mac_format(d->mac, mac);
	if (d->mud_url[0])
		LOG(NOTICE, reason_module(reason), "%s: %s: %s -> %s", mac, d->mud_url, d->msg,
		    mg_state_str(state));
	else
		LOG(NOTICE, reason_module(reason), "%s: %s -> %s", mac, d->msg,
		    mg_state_str(state));
#ifdef MG_NETCONF
	nbg_device_changed(d, old);
#endif
	(void)old;
	schedule_changed(false);
}

/* The state a device should be in, from its MUD URL's entry. */
static void
dev_eval(struct lc_device *d)
{
	struct entry *e = d->mud_url[0] ? entry_find(d->mud_url) : NULL;

	if (d->state == MG_STATE_DECOMMISSIONED)
		return; /* operator decision, kept */
	if (!e && d->refused_url[0]) {
		char msg[LC_MSG_SIZE];
		snprintf(msg, sizeof(msg), "announced MUD URL %.255s (%s) refused: %s",
			 d->refused_url, lc_source_str(d->source),
			 d->refused_reason == LC_R_NOT_HTTPS ? "not https"
							     : "not a valid https URL");
		dev_set(d, G.cfg->failure_state, d->refused_reason, msg, "");
		return;
	}
	if (!e) {
		dev_set(d, MG_STATE_UNKNOWN, LC_R_NO_MUD_URL, NULL, "");
		return;
	}
	if (e->good && e->pub_refused) {
		dev_set(d, G.cfg->failure_state, LC_R_PUBLISH, e->pub_msg, "");
	} else if (e->good && d->bind_refused) {
		char msg[LC_MSG_SIZE];
		snprintf(msg, sizeof(msg), "%s", d->msg);
		dev_set(d, G.cfg->failure_state, LC_R_PUBLISH, msg, "");
	} else if (e->good) {
		char msg[LC_MSG_SIZE];
		if (e->failing) {
			snprintf(msg, sizeof(msg), "%.290s (last good file kept)", e->fail_msg);
			dev_set(d, MG_STATE_ENFORCED, LC_R_REFRESH_FAILED, msg, e->url);
		} else {
			dev_set(d, MG_STATE_ENFORCED, LC_R_OK, NULL, e->url);
		}
	} else if (e->failing) {
		dev_set(d, G.cfg->failure_state, e->fail_reason, e->fail_msg, "");
	} else if (d->state == MG_STATE_UNKNOWN || d->state == MG_STATE_PENDING ||
		   d->state == MG_STATE_ENFORCED) {
		/* a device in the failure state stays there until a fetch succeeds */
		dev_set(d, MG_STATE_PENDING, LC_R_FETCHING, NULL, "");
	}
}

static void
entry_eval_devices(struct entry *e)
{
	for (size_t i = 0; i < G.lc.n; i++)
		if (!strcmp(G.lc.v[i].mud_url, e->url))
			dev_eval(&G.lc.v[i]);
}

static void
entry_schedule(struct entry *e, time_t at)
{
	time_t now = time(NULL);
	struct timeval tv = {.tv_sec = at > now ? at - now : 0};

	evtimer_add(e->timer, &tv);
}

/* The signature URL the MUD file names, "" when none; -EINVAL when the file is not JSON. */
static int
signature_url(const uint8_t *body, size_t size, char *out, size_t out_size)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)body, size, JSON_REJECT_DUPLICATES, &jerr);
	const char *s = NULL;

	out[0] = 0;
	if (!j)
		return -EINVAL;
	json_unpack(json_object_get(j, "ietf-mud:mud"), "{s?s}", "mud-signature", &s);
	if (s && strlen(s) < out_size)
		strcpy(out, s);
	json_decref(j);
	return s && !out[0] ? -E2BIG : 0;
}

/*
 * Verify, validate and test-compile a MUD file with its signature. Returns 0 with *out the
 * parsed file, or the failure reason (> 0, enum lc_reason) with msg filled.
 */
static int
check_file(struct entry *e, const uint8_t *body, size_t size, const uint8_t *sig, size_t sig_size,
	   struct mudf_file **out, char *msg, size_t msg_size)
{
	struct mudsig_result res;
	struct mudf_opts mo = {.flags = G.cfg->lenient ? MUDF_LENIENT : 0,
			       .max_size = G.cfg->max_size};
	struct mudf_diags d;
	struct mudf_file *f = NULL;
	int reason = 0;

	*out = NULL;
	memset(&res, 0, sizeof(res));
	if (sig && sig_size && !G.cfg->store) {
		snprintf(msg, msg_size, "signature: no trust anchors configured");
		return LC_R_SIGNATURE;
	}
	if (mudsig_verify(G.cfg->store, &G.cfg->sig, e->url, body, size, sig, sig_size, &res) < 0) {
		if (res.reason == MUDSIG_R_UNSIGNED) {
			snprintf(msg, msg_size,
				 "unsigned: no mud-signature, and signatures are "
				 "required");
			return LC_R_UNSIGNED;
		}
		snprintf(msg, msg_size, "signature %s: %.280s", mudsig_reason_id(res.reason),
			 res.msg);
		return LC_R_SIGNATURE;
	}
	if (res.warning && strcmp(e->logged, res.msg)) {
		LOG(WARNING, "verify", "%s: accepted with a warning: %s", e->url, res.msg);
		snprintf(e->logged, sizeof(e->logged), "%.300s", res.msg);
	}
	if (mudf_diags_init(&d, e->url) < 0)
		return LC_R_INVALID;
	int rc = mudf_parse(G.mudf, body, size, &mo, &f, &d);
	if (rc < 0) {
		long k = mudf_diags_first_error(&d);
		if (rc == -EFBIG) {
			snprintf(msg, msg_size, "larger than the %zu-byte cap", G.cfg->max_size);
			reason = LC_R_TOO_LARGE;
		} else {
			snprintf(msg, msg_size, "invalid: %s: %s", k >= 0 ? d.v[k].path : "/",
				 k >= 0 ? d.v[k].msg : strerror(-rc));
			reason = LC_R_INVALID;
		}
		goto out_fini;
	}
	if (strcasecmp(f->mud_url, e->url)) {
		snprintf(msg, msg_size, "file names MUD URL %.200s", f->mud_url);
		reason = LC_R_URL_MISMATCH;
		goto out_fini;
	}
	{
		struct mgi_builder *b = mgi_builder_create();
		struct site *s = effective_site();
		struct cmp *c = b && s ? cmp_create(b, s) : NULL;
		uint32_t idx;
		if (!c) {
			snprintf(msg, msg_size, "compile: out of memory");
			reason = LC_R_COMPILE;
		} else if ((rc = cmp_add_policy(c, f, e->url, &idx, &d)) < 0) {
			long k = mudf_diags_first_error(&d);
			snprintf(msg, msg_size, "compile: %s: %s", k >= 0 ? d.v[k].path : "/",
				 k >= 0 ? d.v[k].msg : strerror(-rc));
			reason = LC_R_COMPILE;
		}
		cmp_destroy(c);
		site_destroy(s);
		mgi_builder_destroy(b);
	}
out_fini:
	mudf_diags_fini(&d);
	if (reason) {
		mudf_file_destroy(f);
		return reason;
	}
	*out = f;
	return 0;
}

static time_t
validity_of(const struct mudf_file *f)
{
	time_t v = (time_t)f->cache_validity * 3600;

	if (G.cfg->max_validity && v > (time_t)G.cfg->max_validity)
		v = G.cfg->max_validity;
	return v;
}

/* FNV-1a over a file and its signature: tells a changed MUD file from a refreshed one. */
static uint64_t
files_hash(const uint8_t *body, size_t size, const uint8_t *sig, size_t sig_size)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ body[i]) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull;
	for (size_t i = 0; i < sig_size; i++)
		h = (h ^ sig[i]) * 0x100000001b3ull;
	return h;
}

static void
entry_good(struct entry *e, struct mudf_file *f, time_t expires, uint64_t hash)
{
	if (!e->good || hash != e->body_hash) {
		e->first_tag = 0; /* a new file: not in any image yet */
		for (size_t i = 0; i < G.lc.n; i++)
			if (!strcmp(G.lc.v[i].mud_url, e->url))
				G.lc.v[i].bind_refused = false;
	}
	if (e->pub_refused && hash != e->pub_refused_hash)
		e->pub_refused = false; /* changed since the fast path refused it: try again */
	e->body_hash = hash;
	mudf_file_destroy(e->good);
	e->good = f;
	e->expires = expires;
	e->grace_until = expires + G.cfg->grace;
	if (e->failing || !e->n_fetches)
		e->logged[0] = 0;
	e->failing = false;
	e->fail_reason = LC_R_OK;
	e->fail_msg[0] = 0;
	entry_schedule(e, expires);
	entry_eval_devices(e);
	schedule_changed(true);
}

static void
entry_fail(struct entry *e, enum lc_reason reason, const char *msg)
{
	time_t now = time(NULL);

	e->fetching = false;
	e->failing = true;
	e->n_failures++;
	e->fail_reason = reason;
	snprintf(e->fail_msg, sizeof(e->fail_msg), "%s", msg);
	free(e->body);
	e->body = NULL;
#ifdef MG_NETCONF
	nbg_mud_failure(e->url, reason, msg);
#endif
	if (e->good && now < e->grace_until) {
		if (strcmp(e->logged, msg)) {
			char until[32];
			struct tm tm;
			gmtime_r(&e->grace_until, &tm);
			strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
			LOG(WARNING, reason_module(reason),
			    "%s: refresh failed: %s; last good file kept until %s", e->url, msg,
			    until);
			snprintf(e->logged, sizeof(e->logged), "%s", msg);
		}
		time_t at = now + G.cfg->retry_interval;
		entry_schedule(e, at < e->grace_until ? at : e->grace_until);
		entry_eval_devices(e);
		return;
	}
	if (e->good) {
		LOG(WARNING, reason_module(reason), "%s: grace ended, last good file dropped",
		    e->url);
		mudf_file_destroy(e->good);
		e->good = NULL;
		schedule_changed(true);
	}
	if (strcmp(e->logged, msg)) {
		LOG(INFO, reason_module(reason), "%s: %s (%s)", e->url, msg, lc_reason_id(reason));
		snprintf(e->logged, sizeof(e->logged), "%s", msg);
	}
	entry_schedule(e, now + G.cfg->retry_interval);
	entry_eval_devices(e);
}

static enum lc_reason
fetch_reason(enum fetch_error fe, bool sig)
{
	switch (fe) {
	case FETCH_E_TLS:
		return LC_R_TLS;
	case FETCH_E_TIMEOUT:
		return LC_R_TIMEOUT;
	case FETCH_E_NOT_HTTPS:
		return LC_R_NOT_HTTPS;
	case FETCH_E_TOO_LARGE:
		return LC_R_TOO_LARGE;
	case FETCH_E_HTTP_STATUS:
		return sig ? LC_R_SIG_FETCH_FAILED : LC_R_HTTP_STATUS;
	default:
		return sig ? LC_R_SIG_FETCH_FAILED : LC_R_FETCH_FAILED;
	}
}

/* Both files in hand: check, then store as the last good version. */
static void
entry_complete(struct entry *e, const uint8_t *sig, size_t sig_size, const char *sig_etag,
	       const char *sig_lm)
{
	char msg[LC_MSG_SIZE];
	struct mudf_file *f;
	int reason;

	e->fetching = false;
	reason = check_file(e, e->body, e->size, sig, sig_size, &f, msg, sizeof(msg));
	if (reason) {
		entry_fail(e, (enum lc_reason)reason, msg);
		return;
	}
	time_t now = time(NULL), expires = now + validity_of(f);
	struct cache_entry ce = {.url = e->url,
				 .body = e->body,
				 .size = e->size,
				 .fetched = now,
				 .expires = expires};
	snprintf(ce.etag, sizeof(ce.etag), "%s", e->etag);
	snprintf(ce.last_modified, sizeof(ce.last_modified), "%s", e->last_modified);
	int rc = cache_put(G.cache_dir, &ce);
	if (rc == 0 && e->sig_url[0]) {
		struct cache_entry cs = {.url = e->sig_url,
					 .body = (uint8_t *)sig,
					 .size = sig_size,
					 .fetched = now,
					 .expires = expires};
		snprintf(cs.etag, sizeof(cs.etag), "%s", sig_etag ? sig_etag : "");
		snprintf(cs.last_modified, sizeof(cs.last_modified), "%s", sig_lm ? sig_lm : "");
		rc = cache_put(G.cache_dir, &cs);
	}
	if (rc < 0)
		LOG(WARNING, "fetch", "%s: cannot cache: %s", e->url, strerror(-rc));
	if (!e->good || e->failing)
		LOG(INFO, "fetch", "%s: verified (%zu bytes%s), valid %ld s", e->url, e->size,
		    e->sig_url[0] ? ", signed" : ", unsigned", (long)(expires - now));
	uint64_t hash = files_hash(e->body, e->size, sig, sig_size);
	free(e->body);
	e->body = NULL;
	entry_good(e, f, expires, hash);
}

static void
on_sig(struct fetch_result *r, void *arg)
{
	struct entry *e = arg;
	struct cache_entry c = {0};

	if (r->error != FETCH_E_OK) {
		char msg[LC_MSG_SIZE];
		snprintf(msg, sizeof(msg), "signature %.120s: %.180s", e->sig_url, r->msg);
		entry_fail(e, fetch_reason(r->error, true), msg);
		return;
	}
	if (r->not_modified) {
		if (cache_get(G.cache_dir, e->sig_url, G.cfg->max_size, &c) < 0) {
			e->no_cond = true;
			entry_fail(e, LC_R_SIG_FETCH_FAILED,
				   "signature: 304 without a cached copy");
			return;
		}
		entry_complete(e, c.body, c.size, c.etag, c.last_modified);
		cache_entry_fini(&c);
		return;
	}
	entry_complete(e, r->body, r->size, r->etag, r->last_modified);
}

static void
on_mud(struct fetch_result *r, void *arg)
{
	struct entry *e = arg;
	struct cache_entry c = {0};
	char msg[LC_MSG_SIZE];

	if (r->error != FETCH_E_OK) {
		entry_fail(e, fetch_reason(r->error, false), r->msg);
		return;
	}
	free(e->body);
	e->body = NULL;
	if (r->not_modified) {
		if (cache_get(G.cache_dir, e->url, G.cfg->max_size, &c) < 0) {
			e->no_cond = true;
			entry_fail(e, LC_R_FETCH_FAILED, "304 without a cached copy");
			return;
		}
		/* unchanged and still good: only the validity moves */
		if (e->good && !e->failing) {
			time_t now = time(NULL), expires = now + validity_of(e->good);
			cache_touch(G.cache_dir, e->url, now, expires);
			cache_entry_fini(&c);
			e->fetching = false;
			LOG(DEBUG, "fetch", "%s: not modified, valid %ld s", e->url,
			    (long)(expires - now));
			e->expires = expires;
			e->grace_until = expires + G.cfg->grace;
			entry_schedule(e, expires);
			return;
		}
		e->body = c.body;
		e->size = c.size;
		c.body = NULL;
		snprintf(e->etag, sizeof(e->etag), "%s", c.etag);
		snprintf(e->last_modified, sizeof(e->last_modified), "%s", c.last_modified);
		cache_entry_fini(&c);
	} else {
		e->body = r->body;
		e->size = r->size;
		r->body = NULL;
		snprintf(e->etag, sizeof(e->etag), "%s", r->etag);
		snprintf(e->last_modified, sizeof(e->last_modified), "%s", r->last_modified);
	}
	int rc = signature_url(e->body, e->size, e->sig_url, sizeof(e->sig_url));
	if (rc < 0) {
		entry_fail(e, LC_R_INVALID,
			   rc == -E2BIG ? "invalid: mud-signature URL too long"
					: "invalid: not JSON");
		return;
	}
	if (!e->sig_url[0]) {
		entry_complete(e, NULL, 0, NULL, NULL);
		return;
	}
	if (cache_get(G.cache_dir, e->sig_url, G.cfg->max_size, &c) < 0)
		memset(&c, 0, sizeof(c));
	rc = fetch_start(G.fetch, e->sig_url, "application/pkcs7-signature",
			 r->not_modified || c.url ? c.etag : NULL, c.url ? c.last_modified : NULL,
			 on_sig, e);
	cache_entry_fini(&c);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "signature URL %.200s is not https", e->sig_url);
		entry_fail(e, rc == -EINVAL ? LC_R_NOT_HTTPS : LC_R_SIG_FETCH_FAILED, msg);
	}
}

static void
entry_fetch(struct entry *e)
{
	struct cache_entry c = {0};
	int rc;

	if (e->fetching)
		return;
	if (e->no_cond || cache_get(G.cache_dir, e->url, G.cfg->max_size, &c) < 0)
		memset(&c, 0, sizeof(c));
	e->no_cond = false;
	e->n_fetches++;
	e->fetching = true;
	LOG(DEBUG, "fetch", "%s: fetching%s", e->url, c.url ? " (conditional)" : "");
	rc = fetch_start(G.fetch, e->url, "application/mud+json", c.url ? c.etag : NULL,
			 c.url ? c.last_modified : NULL, on_mud, e);
	cache_entry_fini(&c);
	if (rc < 0) {
		e->fetching = false;
		entry_fail(e, rc == -EINVAL ? LC_R_NOT_HTTPS : LC_R_FETCH_FAILED,
			   rc == -EINVAL ? "MUD URL is not https" : "cannot start the transfer");
	}
}

static void
on_entry_timer(evutil_socket_t fd, short what, void *arg)
{
	entry_fetch(arg);
}

/* The last good files from the cache, checked again as if fetched. */
static void
entry_restore(struct entry *e)
{
	struct cache_entry c = {0}, s = {0};
	char msg[LC_MSG_SIZE];
	struct mudf_file *f;
	int reason;

	if (cache_get(G.cache_dir, e->url, G.cfg->max_size, &c) < 0)
		return;
	if (signature_url(c.body, c.size, e->sig_url, sizeof(e->sig_url)) < 0 ||
	    (e->sig_url[0] && cache_get(G.cache_dir, e->sig_url, G.cfg->max_size, &s) < 0))
		goto out_fini;
	e->body = c.body;
	e->size = c.size;
	reason = check_file(e, c.body, c.size, s.body, s.size, &f, msg, sizeof(msg));
	e->body = NULL;
	if (reason) {
		LOG(WARNING, "fetch", "%s: cached file no longer accepted: %s", e->url, msg);
		goto out_fini;
	}
	time_t now = time(NULL);
	if (now >= c.expires + (time_t)G.cfg->grace) {
		mudf_file_destroy(f);
		goto out_fini;
	}
	LOG(INFO, "fetch", "%s: restored from the cache, %s", e->url,
	    c.expires > now ? "valid" : "refresh due (in grace)");
	e->n_fetches = 0;
	entry_good(e, f, c.expires, files_hash(c.body, c.size, s.body, s.size));
	if (c.expires <= now)
		entry_schedule(e, now);
out_fini:
	cache_entry_fini(&c);
	cache_entry_fini(&s);
}

static struct entry *
entry_get(const char *url)
{
	struct entry *e = entry_find(url);

	if (e)
		return e;
	if (G.n_entries == G.cap_entries) {
		size_t cap = G.cap_entries ? G.cap_entries * 2 : 16;
		struct entry **v = realloc(G.entries, cap * sizeof(*v));
		if (!v)
			return NULL;
		G.entries = v;
		G.cap_entries = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->url, sizeof(e->url), "%s", url);
	e->timer = evtimer_new(G.base, on_entry_timer, e);
	if (!e->timer) {
		free(e);
		return NULL;
	}
	G.entries[G.n_entries++] = e;
	entry_restore(e);
	if (!e->good)
		entry_schedule(e, 0);
	return e;
}

/* ---- discovery -------------------------------------------------------------------------- */

static void
learn_url(const uint8_t mac[6], const char *url, enum lc_source src)
{
	struct lc_device *d = lc_get_or_add(&G.lc, mac, NULL);
	const char *st = cfg_static_url(G.cfg, mac);
	char m[18];

	if (!d)
		return;
	mg_mac_format(mac, m);
	if (src != LC_SRC_STATIC) { /* the device's own word, kept even when a static one wins */
		d->discovered = true;
		d->refused_url[0] = 0;
		snprintf(d->announced_url, sizeof(d->announced_url), "%s", url);
		d->announced_source = (uint8_t)src;
	}
	if (st) {
		if (strcmp(url, st))
			LOG(DEBUG, "discover", "%s: announces %s, static binding %s wins", m, url,
			    st);
		url = st;
		src = LC_SRC_STATIC;
	}
	if (strcmp(d->mud_url, url)) {
		if (d->mud_url[0])
			LOG(NOTICE, "discover", "%s: MUD URL changed from %s to %s (%s)", m,
			    d->mud_url, url, lc_source_str(src));
		else
			LOG(INFO, "discover", "%s: MUD URL %s (%s)", m, url, lc_source_str(src));
		snprintf(d->mud_url, sizeof(d->mud_url), "%s", url);
		d->source = (uint8_t)src;
		d->bind_refused = false; /* another policy: worth a try */
		schedule_changed(true);
	}
	if (!entry_get(url))
		return;
	d = lc_find(&G.lc, mac);
	dev_eval(d);
}

static void
seen(const uint8_t mac[6])
{
	bool added;
	struct lc_device *d = lc_get_or_add(&G.lc, mac, &added);
	char m[18];

	if (d)
		d->discovered = true;
	if (!d || !added)
		return;
	mg_mac_format(mac, m);
	const char *st = cfg_static_url(G.cfg, mac);
	if (st) {
		learn_url(mac, st, LC_SRC_STATIC);
		return;
	}
	LOG(NOTICE, "lifecycle", "%s: %s -> %s", m, d->msg, mg_state_str(d->state));
	schedule_changed(false);
}

static void
learn_addr(const uint8_t mac[6], uint8_t family, const uint8_t *addr)
{
	static const uint8_t zero[16];
	char m[18], a[INET6_ADDRSTRLEN];
	struct lc_device *d;

	if (!memcmp(addr, zero, family == MGI_FAMILY_IPV4 ? 4 : 16))
		return;
	seen(mac);
	d = lc_find(&G.lc, mac);
	if (d && lc_add_addr(d, family, addr)) {
		mg_mac_format(mac, m);
		inet_ntop(family == MGI_FAMILY_IPV4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
		LOG(INFO, "discover", "%s: address %s", m, a);
		schedule_changed(true); /* manufacturer / model sets may change */
	}
}

static void
bad_frame(const char *what, const char *msg)
{
	time_t now = mono_now();

	G.n_bad_frames++;
	if (now != G.bad_frame_log) { /* at most one a second: the network can trigger it */
		G.bad_frame_log = now;
		LOG(INFO, "discover", "%s frame refused: %s", what, msg);
	}
}

static void
url_refused(const uint8_t mac[6], enum disc_reason r, const char *msg)
{
	char m[18];

	if (r == DISC_R_OK || r == DISC_R_NO_MUD_URL)
		return;
	G.n_refused_urls++;
	mg_mac_format(mac, m);
	LOG(DEBUG, "discover", "%s: %s", m, msg); /* the device's transition is the notice */
}

/*
 * A device announced a MUD URL that discovery refused (http://, not printable, no host...):
 * RFC 8520 allows https only, so the device goes to the failure state with not-https or
 * bad-url, the URL (sanitised by disc) kept for the log and devices.json. A static binding
 * for the MAC wins, as it does over a valid URL.
 */
static void
learn_refused_url(const uint8_t mac[6], enum disc_reason r, const char *url, enum lc_source src)
{
	struct lc_device *d = lc_get_or_add(&G.lc, mac, NULL);
	const char *st = cfg_static_url(G.cfg, mac);
	char m[18];

	if (!d)
		return;
	d->discovered = true;
	mg_mac_format(mac, m);
	if (st) {
		LOG(DEBUG, "discover", "%s: announces %s (refused), static binding %s wins", m, url,
		    st);
		if (strcmp(d->mud_url, st))
			learn_url(mac, st, LC_SRC_STATIC);
		return;
	}
	if (d->mud_url[0]) {
		LOG(NOTICE, "discover", "%s: MUD URL changed from %s to %s, which is refused (%s)",
		    m, d->mud_url, url, lc_source_str(src));
		d->mud_url[0] = 0;
		d->announced_url[0] = 0;
		schedule_changed(true);
	}
	snprintf(d->refused_url, sizeof(d->refused_url), "%s", url);
	d->refused_reason = r == DISC_R_URL_HTTP ? LC_R_NOT_HTTPS : LC_R_BAD_URL;
	d->source = (uint8_t)src;
	dev_eval(d);
}

static void
punt_dhcp4(const uint8_t *frame, size_t size)
{
	struct disc_dhcp4 p;
	struct disc_error err;

	G.n_dhcp4++;
	if (disc_dhcp4_parse(frame, size, &p, &err, &G.disc_cnt) < 0) {
		bad_frame("DHCPv4", err.msg);
		return;
	}
	if (p.from_server) {
		if (p.msg_type == DISC_DHCP4_ACK)
			learn_addr(p.chaddr, MGI_FAMILY_IPV4, p.yiaddr);
		return;
	}
	url_refused(p.chaddr, p.mud_url_status, err.msg);
	if (p.mud_url_status == DISC_R_OK && G.cfg->disc_dhcp4)
		learn_url(p.chaddr, p.mud_url, LC_SRC_DHCP4);
	else if (p.mud_url_status != DISC_R_NO_MUD_URL && G.cfg->disc_dhcp4)
		learn_refused_url(p.chaddr, p.mud_url_status, p.mud_url_refused, LC_SRC_DHCP4);
	else
		seen(p.chaddr);
}

static void
punt_dhcp6(const uint8_t *frame, size_t size)
{
	struct disc_dhcp6 p;
	struct disc_error err;

	G.n_dhcp6++;
	if (disc_dhcp6_parse(frame, size, &p, &err, &G.disc_cnt) < 0) {
		bad_frame("DHCPv6", err.msg);
		return;
	}
	if (p.from_server) {
		if (p.msg_type == 7) /* REPLY */
			for (size_t i = 0; i < p.n_addrs; i++)
				learn_addr(p.l2.dst, MGI_FAMILY_IPV6, p.addrs[i].addr);
		return;
	}
	url_refused(p.l2.src, p.mud_url_status, err.msg);
	if (p.mud_url_status == DISC_R_OK && G.cfg->disc_dhcp6)
		learn_url(p.l2.src, p.mud_url, LC_SRC_DHCP6);
	else if (p.mud_url_status != DISC_R_NO_MUD_URL && G.cfg->disc_dhcp6)
		learn_refused_url(p.l2.src, p.mud_url_status, p.mud_url_refused, LC_SRC_DHCP6);
	else
		seen(p.l2.src);
}

static void
punt_lldp(const uint8_t *frame, size_t size)
{
	struct disc_lldp p;
	struct disc_error err;

	G.n_lldp++;
	if (disc_lldp_parse(frame, size, &p, &err, &G.disc_cnt) < 0) {
		bad_frame("LLDP", err.msg);
		return;
	}
	url_refused(p.l2.src, p.mud_url_status, err.msg);
	if (p.mud_url_status == DISC_R_OK && G.cfg->disc_lldp)
		learn_url(p.l2.src, p.mud_url, LC_SRC_LLDP);
	else if (p.mud_url_status != DISC_R_NO_MUD_URL && G.cfg->disc_lldp)
		learn_refused_url(p.l2.src, p.mud_url_status, p.mud_url_refused, LC_SRC_LLDP);
}

/* ---- dnsname ---------------------------------------------------------------------------- */

static void publish_now(void);

static bool
prefix_match(const struct site_addrs *a, uint8_t family, const uint8_t *addr)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct site_prefix *p = &a->v[i];
		unsigned bits = p->plen, k;
		if (p->family != family)
			continue;
		for (k = 0; k < bits / 8; k++)
			if (p->addr[k] != addr[k])
				break;
		if (k < bits / 8)
			continue;
		if (bits % 8 && ((p->addr[k] ^ addr[k]) & (0xff << (8 - bits % 8)) & 0xff))
			continue;
		return true;
	}
	return false;
}

/* Answers are believed only from the resolvers devices may use (the DNS allowance). */
static bool
from_resolver(const struct disc_udp *u)
{
	uint8_t fam = u->ip_version == 4 ? MGI_FAMILY_IPV4 : MGI_FAMILY_IPV6;
	const struct site_named *c = site_controller(G.cfg->site, CMP_DNS_CLASS);

	return prefix_match(&G.cfg->site->resolvers, fam, u->src_ip) ||
	       (c && prefix_match(&c->addrs, fam, u->src_ip));
}

/* A DNS answer on its way to a device: learn what it says about tracked names, make it
 * enforceable, then let it go. Returns true when the image must change before release. */
static bool
punt_dns(const uint8_t *frame, size_t size)
{
	static struct dnsp_result r; /* 8 KiB+: not on the stack */
	struct disc_udp u;
	struct disc_error de;
	struct dnsp_error err;
	struct lc_device *d;
	size_t n_new = 0;

	G.n_dns++;
	if (disc_udp_locate(frame, size, &u, &de) < 0) {
		bad_frame("DNS", de.msg);
		return false;
	}
	if (dnsp_parse(frame + u.payload_offset, u.payload_size, &r, &err, &G.dnsp_cnt) < 0) {
		bad_frame("DNS", err.msg);
		return false;
	}
	d = lc_find(&G.lc, u.l2.dst);
	if (!d || d->state != MG_STATE_ENFORCED || r.rcode || !r.n_addrs)
		return false;
	if (!from_resolver(&u)) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(u.ip_version == 4 ? AF_INET : AF_INET6, u.src_ip, a, sizeof(a));
		bad_frame("DNS", "answer not from a configured resolver");
		LOG(DEBUG, "dnsname", "answer for %s from %s ignored: not a resolver", r.qname, a);
		return false;
	}
	const char *names[2] = {r.qname, r.canonical};
	time_t now = mono_now();
	for (int k = 0; k < (strcmp(r.qname, r.canonical) ? 2 : 1); k++) {
		if (!dnsn_find(&G.dnsn, names[k]))
			continue;
		for (size_t i = 0; i < r.n_addrs; i++) {
			uint8_t fam =
				r.addrs[i].family == AF_INET ? MGI_FAMILY_IPV4 : MGI_FAMILY_IPV6;
			if (dnsn_learn(&G.dnsn, names[k], fam, r.addrs[i].addr, r.addrs[i].ttl,
				       now) == 1)
				n_new++;
		}
	}
	if (n_new) {
		char m[18];
		mg_mac_format(u.l2.dst, m);
		G.n_dns_learnt += n_new;
		LOG(INFO, "dnsname", "%s: answer for %s: %zu new address(es) of %zu", m, r.qname,
		    n_new, r.n_addrs);
	}
	return n_new > 0;
}

static void
on_resolved(const char *name, uint16_t qtype, int rc, const struct dnsp_result *r, const char *msg,
	    void *arg)
{
	struct dnsn_name *n = dnsn_find(&G.dnsn, name);
	time_t now = mono_now();
	size_t n_new = 0;

	if (!n)
		return; /* no policy mentions it any more */
	if (rc < 0) {
		LOG(DEBUG, "dnsname", "%s: %s query: %s", name, qtype == 1 ? "A" : "AAAA", msg);
		return;
	}
	uint32_t min_ttl = UINT32_MAX;
	for (size_t i = 0; i < r->n_addrs; i++) {
		uint8_t fam = r->addrs[i].family == AF_INET ? MGI_FAMILY_IPV4 : MGI_FAMILY_IPV6;
		if (dnsn_learn(&G.dnsn, name, fam, r->addrs[i].addr, r->addrs[i].ttl, now) == 1)
			n_new++;
		if (r->addrs[i].ttl < min_ttl)
			min_ttl = r->addrs[i].ttl;
	}
	/* ask again when the first address would expire (clamped like the addresses) */
	uint32_t t = min_ttl == UINT32_MAX ? G.dnsn.max_ttl : min_ttl;
	if (t < G.dnsn.min_ttl)
		t = G.dnsn.min_ttl;
	if (t > G.dnsn.max_ttl)
		t = G.dnsn.max_ttl;
	if (r->n_addrs && n->next_resolve > now + (time_t)t)
		n->next_resolve = now + (time_t)t;
	if (n_new) {
		G.n_dns_learnt += n_new;
		LOG(INFO, "dnsname", "%s: resolved (%s%s), %zu new address(es) of %zu", name,
		    qtype == 1 ? "A" : "AAAA", r->truncated ? ", truncated" : "", n_new,
		    r->n_addrs);
		schedule_changed(true);
	}
}

static void
resolve_due(void)
{
	time_t now = mono_now();

	if (!G.dns || !G.cfg->dns_resolve)
		return;
	for (size_t i = 0; i < G.dnsn.n_names; i++) {
		struct dnsn_name *n = &G.dnsn.names[i];
		char name[DNSP_NAME_TEXT_SIZE];
		/* one tick ahead: the answer renews the addresses before they expire */
		if (!n->tracked || (n->next_resolve && n->next_resolve > now + TICK_SECONDS))
			continue;
		/* until an answer says otherwise: again after the retry interval */
		n->next_resolve = now + G.cfg->retry_interval;
		snprintf(name, sizeof(name), "%s", n->name);
		/* the callbacks may run now and touch the table: index, not pointer */
		dnsr_resolve(G.dns, name, 1, on_resolved, NULL);
		dnsr_resolve(G.dns, name, 28, on_resolved, NULL);
	}
}

/* ---- publication ------------------------------------------------------------------------ */

static int
prefix_cmp(const void *a, const void *b)
{
	const struct mgi_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* Build the image of every good policy with the dnsname sets filled. NULL on failure. */
static void *
build_image(size_t *size)
{
	struct mgi_builder *b = NULL;
	struct site *s = NULL;
	struct cmp *c = NULL;
	struct mudf_diags d;
	void *blob = NULL;
	bool *skip = calloc(G.n_entries + 1, sizeof(bool));

	if (!skip || mudf_diags_init(&d, "image") < 0) {
		free(skip);
		return NULL;
	}
	s = effective_site();
	if (!s)
		goto out;
	for (int attempt = 0; attempt < 4; attempt++) {
		bool again = false;
		mgi_builder_destroy(b);
		cmp_destroy(c);
		b = mgi_builder_create();
		c = b ? cmp_create(b, s) : NULL;
		if (!c)
			goto out;
		G.n_policies = 0;
		for (size_t i = 0; i < G.n_entries && !again; i++) {
			struct entry *e = G.entries[i];
			uint32_t idx;
			if (!e->good || skip[i] || e->pub_refused)
				continue;
			int rc = cmp_add_policy(c, e->good, e->url, &idx, &d);
			if (rc < 0) {
				long k = mudf_diags_first_error(&d);
				char msg[LC_MSG_SIZE];
				snprintf(msg, sizeof(msg), "compile: %s: %s",
					 k >= 0 ? d.v[k].path : "/",
					 k >= 0 ? d.v[k].msg : strerror(-rc));
				skip[i] = true;
				mudf_file_destroy(e->good);
				e->good = NULL;
				entry_fail(e, LC_R_COMPILE, msg);
				again = true;
			} else {
				G.n_policies++;
			}
		}
		if (!again)
			break;
	}
	for (size_t i = 0; i < G.n_entries; i++)
		if (G.entries[i]->good && !G.entries[i]->pub_refused && !G.entries[i]->first_tag)
			G.entries[i]->first_tag = G.build_tag;
	for (size_t i = 0; i < G.dnsn.n_names; i++) {
		struct dnsn_name *n = &G.dnsn.names[i];
		if (!n->n)
			continue;
		/* sorted: the image bytes depend on the set's content only, not on the order
		 * addresses were learnt, expired and learnt again */
		struct mgi_prefix *v = calloc(n->n, sizeof(*v));
		if (!v)
			goto out;
		for (size_t k = 0; k < n->n; k++) {
			v[k].family = n->v[k].family;
			v[k].plen = n->v[k].family == MGI_FAMILY_IPV4 ? 32 : 128;
			memcpy(v[k].addr, n->v[k].addr, 16);
		}
		qsort(v, n->n, sizeof(*v), prefix_cmp);
		int64_t set = mgi_builder_set(b, MGI_SET_DNSNAME, n->name);
		for (size_t k = 0; set >= 0 && k < n->n; k++)
			mgi_builder_set_add(b, (uint32_t)set, &v[k]);
		free(v);
	}
	if (cmp_finish(c, &d) < 0) {
		long k = mudf_diags_first_error(&d);
		LOG(ERR, "compile", "image: %s: %s", k >= 0 ? d.v[k].path : "/",
		    k >= 0 ? d.v[k].msg : "cannot finish");
		goto out;
	}
	if (mgi_builder_finish(b, &blob, size) < 0) {
		LOG(ERR, "compile", "image: %s", mgi_builder_error(b));
		blob = NULL;
	}
out:
	cmp_destroy(c);
	mgi_builder_destroy(b);
	site_destroy(s);
	mudf_diags_fini(&d);
	free(skip);
	return blob;
}

/* Track the dnsname sets the image names. */
static void
track_names(const void *blob, size_t size)
{
	struct mgi_image img;
	char err[256];

	if (mgi_open(&img, blob, size, err, sizeof(err)) < 0)
		return;
	dnsn_untrack_all(&G.dnsn);
	for (uint32_t i = 0; i < img.n_sets; i++)
		if (img.sets[i].kind == MGI_SET_DNSNAME)
			dnsn_track(&G.dnsn, mgi_str(&img, img.sets[i].name));
	dnsn_sweep(&G.dnsn);
}

static void
publish_now(void)
{
	struct pub_binding *b = calloc(G.lc.n + 1, sizeof(*b));
	void *blob = NULL;
	size_t size = 0, n = 0;
	int rc;

	if (!b)
		return;
	if (G.image_dirty) {
		G.image_dirty = false;
		G.build_tag++;
		uint64_t v = G.dnsn.version;
		blob = build_image(&size);
		if (blob) {
			track_names(blob, size);
			if (G.dnsn.version != v) { /* a dropped name had addresses */
				free(blob);
				blob = build_image(&size);
			}
		}
		if (blob)
			G.image_size = size;
		rc = dnsn_write_json(&G.dnsn, G.dnsnames_json, mono_now(), time(NULL));
		if (rc < 0)
			LOG(ERR, "dnsname", "%s: %s", G.dnsnames_json, strerror(-rc));
	}
	for (size_t i = 0; i < G.lc.n; i++) {
		const struct lc_device *d = &G.lc.v[i];
		memcpy(b[n].mac, d->mac, 6);
		b[n].state = d->state;
		snprintf(b[n].policy, sizeof(b[n].policy), "%s", d->policy);
		n++;
	}
	pub_set_desired(G.pub, blob, size, G.build_tag, b, n);
	free(b);
	rc = lc_write_json(&G.lc, G.devices_json);
	if (rc < 0)
		LOG(ERR, "lifecycle", "%s: %s", G.devices_json, strerror(-rc));
}

static void
on_changed(evutil_socket_t fd, short what, void *arg)
{
	publish_now();
}

/* Publish soon: what changes within BATCH_USEC of the first change goes out together; the
 * image is rebuilt when image is set, and sent only when its bytes differ (pub). */
static void
schedule_changed(bool image)
{
	static const struct timeval batch = {0, BATCH_USEC};

	if (image)
		G.image_dirty = true;
	if (G.changed_ev && !evtimer_pending(G.changed_ev, NULL))
		evtimer_add(G.changed_ev, &batch);
}

static void
on_punt(const struct mg_ctrl_punt *m, const uint8_t *frame, void *arg)
{
	bool hold_change = false;

	switch (m->kind) {
	case MG_PUNT_DHCP4:
		punt_dhcp4(frame, m->frame_len);
		break;
	case MG_PUNT_DHCP6:
		punt_dhcp6(frame, m->frame_len);
		break;
	case MG_PUNT_LLDP:
		punt_lldp(frame, m->frame_len);
		break;
	case MG_PUNT_DNS:
		hold_change = punt_dns(frame, m->frame_len);
		break;
	default:
		break;
	}
	if (!m->hold_id)
		return;
	if (hold_change) {
		/* the new addresses go out in an image before the answer reaches the device */
		G.image_dirty = true;
		publish_now();
		pub_release_after_sync(G.pub, m->hold_id, MG_RELEASE_FORWARD);
	} else {
		pub_release(G.pub, m->hold_id, MG_RELEASE_FORWARD);
	}
}

static void
on_link(bool up, const char *reason, void *arg)
{
	if (up)
		LOG(NOTICE, "publish", "connected to mudgate-dp (%s), generation %" PRIu64, reason,
		    pub_get_stats(G.pub)->generation);
	else
		LOG(WARNING, "publish", "mudgate-dp connection lost: %s; retrying every second",
		    reason);
}

static void
on_refused(const char *what, const uint8_t *mac, int status, const char *reason, void *arg)
{
	struct lc_device *d = mac ? lc_find(&G.lc, mac) : NULL;
	char msg[LC_MSG_SIZE];

	LOG(ERR, "publish", "%s refused by mudgate-dp: %s (%s)", what, reason, strerror(-status));
	/* a refused binding: the device goes to the failure state, unless it is there for a
	 * refused image already (its BIND to the policy that image brings fails too) */
	if (!d || d->reason == LC_R_PUBLISH || d->state == MG_STATE_DECOMMISSIONED)
		return;
	snprintf(msg, sizeof(msg), "mudgate-dp refused the binding: %.250s", reason);
	d->bind_refused = true;
	dev_set(d, G.cfg->failure_state, LC_R_PUBLISH, msg, "");
}

/*
 * mudgate-dp refused the image of tag and keeps running the one it has. The policies that image
 * brought (good files first carried after the image in force was built) are blamed: left out
 * of the next images until their file changes or the configuration is reloaded, and their
 * devices go to the failure state with reason publish and mudgate-dp's reason.
 */
static void
on_image_refused(uint64_t tag, int status, const char *reason, void *arg)
{
	uint64_t in_force = pub_loaded_tag(G.pub);
	size_t n = 0;

	for (size_t i = 0; i < G.n_entries; i++) {
		struct entry *e = G.entries[i];
		if (!e->good || e->pub_refused || !e->first_tag || e->first_tag <= in_force ||
		    e->first_tag > tag)
			continue;
		e->pub_refused = true;
		e->pub_refused_hash = e->body_hash;
		e->first_tag = 0;
		snprintf(e->pub_msg, sizeof(e->pub_msg), "mudgate-dp refused the image: %.250s",
			 reason);
		LOG(ERR, "publish", "%s: policy left out: %s", e->url, e->pub_msg);
		entry_eval_devices(e);
		n++;
	}
	if (n)
		schedule_changed(true);
	else
		LOG(ERR, "publish", "image refused (%s), no new policy in it: image in force kept",
		    reason);
}

static void
on_loaded(uint64_t generation, size_t size, uint64_t tag, void *arg)
{
	LOG(INFO, "publish", "generation %" PRIu64 " loaded (%zu bytes, %u policies)", generation,
	    size, G.n_policies);
}

/* ---- status ----------------------------------------------------------------------------- */

static void
status_summary(void)
{
	size_t per_state[MG_STATE_COUNT] = {0}, good = 0, failing = 0, addrs = 0;
	const struct pub_stats *ps = pub_get_stats(G.pub);

	for (size_t i = 0; i < G.lc.n; i++)
		per_state[G.lc.v[i].state < MG_STATE_COUNT ? G.lc.v[i].state : 0]++;
	for (size_t i = 0; i < G.n_entries; i++) {
		good += G.entries[i]->good != NULL;
		failing += G.entries[i]->failing;
	}
	for (size_t i = 0; i < G.dnsn.n_names; i++)
		addrs += G.dnsn.names[i].n;
	LOG(NOTICE, "main",
	    "status: %zu devices (unknown %zu, pending %zu, enforced %zu, quarantined %zu, "
	    "updating %zu, decommissioned %zu); %zu MUD URLs (%zu good, %zu failing); "
	    "generation %" PRIu64 ", %s, %s; loads %" PRIu64 " binds %" PRIu64
	    " set-states %" PRIu64 " unbinds %" PRIu64 " releases %" PRIu64 " refused %" PRIu64
	    "; punts dhcpv4 %" PRIu64 " dhcpv6 %" PRIu64 " lldp %" PRIu64 " dns %" PRIu64
	    " malformed %" PRIu64 " refused-urls %" PRIu64 "; dnsnames %zu with %zu addresses",
	    G.lc.n, per_state[0], per_state[1], per_state[2], per_state[3], per_state[4],
	    per_state[5], G.n_entries, good, failing, ps->generation,
	    pub_connected(G.pub) ? "connected" : "disconnected",
	    pub_in_sync(G.pub) ? "in sync" : "syncing", ps->loads, ps->binds, ps->set_states,
	    ps->unbinds, ps->releases, ps->refused, G.n_dhcp4, G.n_dhcp6, G.n_lldp, G.n_dns,
	    G.n_bad_frames, G.n_refused_urls, G.dnsn.n_names, addrs);
	for (int r = LC_R_FETCH_FAILED; r < LC_R_MAX; r++)
		if (G.lc.n_transitions[r])
			LOG(NOTICE, "main", "status: failures %s: %" PRIu64, lc_reason_id(r),
			    G.lc.n_transitions[r]);
	for (size_t i = 0; i < G.lc.n; i++) {
		char m[18];
		mg_mac_format(G.lc.v[i].mac, m);
		LOG(NOTICE, "main", "status: %s %s %s (%s) %s", m, mg_state_str(G.lc.v[i].state),
		    lc_reason_id(G.lc.v[i].reason), G.lc.v[i].msg,
		    G.lc.v[i].mud_url[0] ? G.lc.v[i].mud_url : "-");
	}
}

/* ---- configuration ---------------------------------------------------------------------- */

static int
apply_statics(void)
{
	for (size_t i = 0; i < G.cfg->n_statics; i++)
		learn_url(G.cfg->statics[i].mac, G.cfg->statics[i].mud_url, LC_SRC_STATIC);
	return 0;
}

static struct fetch_ctx *
make_fetch(const struct cfg *c)
{
	char **ct = calloc(c->n_connect_to + 1, sizeof(char *));
	struct fetch_ctx *f;

	if (!ct)
		return NULL;
	for (size_t i = 0; i < c->n_connect_to; i++) {
		const struct cfg_connect_to *t = &c->connect_to[i];
		bool v6 = strchr(t->address, ':') != NULL;
		if (asprintf(&ct[i], "%s:443:%s%s%s:%u", t->host, v6 ? "[" : "", t->address,
			     v6 ? "]" : "", t->port) < 0)
			ct[i] = NULL;
	}
	struct fetch_opts fo = {.ca_file = c->ca_file,
				.max_size = c->max_size,
				.connect_timeout = c->connect_timeout,
				.total_timeout = c->total_timeout,
				.max_redirects = c->max_redirects,
				.connect_to = (const char *const *)ct,
				.n_connect_to = c->n_connect_to};
	f = fetch_create(G.base, &fo);
	for (size_t i = 0; i < c->n_connect_to; i++)
		free(ct[i]);
	free(ct);
	return f;
}

static struct dnsr *
make_dns(const struct cfg *c)
{
	if (!c->dns_resolve)
		return NULL;
	return dnsr_create(G.base, (const char *const *)c->resolvers, c->n_resolvers, 3);
}

static void
print_diags(const char *what, const struct mudf_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		LOG(ERR, "config", "%s: %s: %s", what, d->v[i].path, d->v[i].msg);
}

/*
 * A static binding the configuration no longer has: the device follows the MUD URL it
 * announced itself, or stays known without one if it was discovered on the network; a device
 * only the configuration knew is forgotten and unbound in mudgate-dp. Returns true when d was
 * removed from the table.
 */
static bool
static_removed(struct lc_device *d)
{
	uint8_t mac[6];
	char m[18];

	memcpy(mac, d->mac, 6);
	mg_mac_format(mac, m);
	if (d->announced_url[0]) {
		char url[LC_URL_MAX + 1];
		snprintf(url, sizeof(url), "%s", d->announced_url);
		LOG(NOTICE, "config", "%s: static binding removed; following its announced MUD URL",
		    m);
		learn_url(mac, url, (enum lc_source)d->announced_source);
		return false;
	}
	if (d->discovered || d->refused_url[0]) {
		LOG(NOTICE, "config",
		    "%s: static binding removed; discovered, kept without a MUD URL", m);
		d->mud_url[0] = 0;
		d->source = LC_SRC_NONE;
		schedule_changed(true);
		dev_eval(d);
		return false;
	}
	LOG(NOTICE, "config", "%s: static binding removed: device forgotten and unbound", m);
	lc_remove(&G.lc, mac);
	if (G.pub)
		pub_forget(G.pub, mac);
	schedule_changed(true); /* model / manufacturer sets may lose its addresses */
	return true;
}

/* The apply step of a configuration transaction (SIGHUP, NETCONF): nothing here fails. */
static void
config_install(struct cfg *next, struct fetch_ctx *f, struct dnsr *dns, const char *what)
{
	for (size_t i = 0; i < G.n_entries; i++) {
		fetch_cancel(G.fetch, G.entries[i]);
		G.entries[i]->fetching = false;
	}
	fetch_destroy(G.fetch);
	G.fetch = f;
	dnsr_destroy(G.dns);
	G.dns = dns;
	cfg_apply(&G.cfg, next);
	G.dnsn.min_ttl = G.cfg->dns_min_ttl > DNS_MIN_LIFE ? G.cfg->dns_min_ttl : DNS_MIN_LIFE;
	G.dnsn.max_ttl = G.cfg->dns_max_ttl > G.dnsn.min_ttl ? G.cfg->dns_max_ttl : G.dnsn.min_ttl;
	G.dnsn.max_addrs = G.cfg->dns_max_addrs;
	LOG(NOTICE, "config", "%s: configuration applied; MUD files are fetched and checked again",
	    what);
	/* publish refusals are judged again under the new configuration */
	for (size_t i = 0; i < G.n_entries; i++)
		G.entries[i]->pub_refused = false; /* first_tag is 0 already: a new policy again */
	for (size_t i = 0; i < G.lc.n;) {
		struct lc_device *d = &G.lc.v[i];
		d->bind_refused = false;
		if (d->source == LC_SRC_STATIC && !cfg_static_url(G.cfg, d->mac) &&
		    static_removed(d))
			continue;
		i++;
	}
	apply_statics();
	for (size_t i = 0; i < G.lc.n; i++)
		dev_eval(&G.lc.v[i]);
	for (size_t i = 0; i < G.n_entries; i++)
		entry_schedule(G.entries[i], 0);
	schedule_changed(true);
}

/* SIGHUP: the same transaction as the startup file; a failure keeps the running config. */
static void
reload(void)
{
	struct mudf_diags d;
	struct cfg *next;
	struct fetch_ctx *f;
	struct dnsr *dns = NULL;

	if (mudf_diags_init(&d, G.o.config) < 0)
		return;
	if (cfg_load(G.mudf, G.o.config, G.o.state_dir, &next, &d) < 0) {
		print_diags(G.o.config, &d);
		LOG(ERR, "config", "%s: reload refused, running configuration kept", G.o.config);
		mudf_diags_fini(&d);
		return;
	}
	mudf_diags_fini(&d);
	f = make_fetch(next);
	if (!f || (next->dns_resolve && !(dns = make_dns(next)))) {
		LOG(ERR, "config", "%s: reload refused: cannot set up fetching or resolution",
		    G.o.config);
		fetch_destroy(f);
		cfg_destroy(next);
		return;
	}
	config_install(next, f, dns, G.o.config);
#ifdef MG_NETCONF
	nbg_reloaded();
#endif
}

#ifdef MG_NETCONF
#include "nb/nb_gated.inc" /* the NETCONF server's callbacks (control/nb) */
#endif

/* ---- loop ------------------------------------------------------------------------------- */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGUSR1:
		status_summary();
		break;
	case SIGHUP:
		reload();
		break;
	default:
		LOG(NOTICE, "main", "signal %d: exiting; mudgate-dp keeps enforcing", (int)sig);
		event_base_loopexit(G.base, NULL);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	/* queries first: an address expiring now and renewed by the answer within the batch
	 * window leaves the set, hence the image, unchanged */
	resolve_due();
	if (dnsn_expire(&G.dnsn, mono_now()))
		schedule_changed(true);
}

static int
make_dirs(const char *state)
{
	if (mkdir(state, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(G.cache_dir, sizeof(G.cache_dir), "%s/cache", state);
	snprintf(G.devices_json, sizeof(G.devices_json), "%s/devices.json", state);
	snprintf(G.dnsnames_json, sizeof(G.dnsnames_json), "%s/dnsnames.json", state);
	return cache_init(G.cache_dir);
}

static void
restore_devices(void)
{
	char err[512];
	int n = lc_read_json(&G.lc, G.devices_json, err, sizeof(err));

	if (n == -ENOENT)
		return;
	if (n < 0) {
		LOG(WARNING, "lifecycle", "%s", err);
		return;
	}
	LOG(INFO, "lifecycle", "%d devices restored from %s", n, G.devices_json);
	/* their MUD files: from the cache first, so enforcement continues unchanged */
	for (size_t i = 0; i < G.lc.n; i++)
		if (G.lc.v[i].mud_url[0])
			entry_get(G.lc.v[i].mud_url);
	for (size_t i = 0; i < G.lc.n; i++)
		dev_eval(&G.lc.v[i]);
}

int
gated_run(const struct gated_opts *o)
{
	struct event *sigs[4] = {0};
	static const int signums[4] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	struct mudf_diags d = {0};
	char err[512];
	int status = 1;

	G.o = *o;
	log_level = o->log_level;
	signal(SIGPIPE, SIG_IGN);
	G.base = event_base_new();
	if (!G.base) {
		LOG(ERR, "main", "cannot create the event loop");
		return 1;
	}
	int rc = make_dirs(o->state_dir);
	if (rc < 0) {
		LOG(ERR, "main", "state directory %s: %s", o->state_dir, strerror(-rc));
		goto out;
	}
	G.mudf = mudf_ctx_create(NULL, err, sizeof(err));
	if (!G.mudf) {
		LOG(ERR, "main", "YANG context: %s", err);
		goto out;
	}
#ifdef MG_NETCONF
	if (o->netconf && nbg_start() < 0) /* first: it loads modules into the context */
		goto out;
#else
	if (o->netconf) {
		LOG(ERR, "main", "--netconf: mudgated was built without libnetconf2");
		goto out;
	}
#endif
	if (mudf_diags_init(&d, o->config) < 0)
		goto out;
	if (cfg_load(G.mudf, o->config, o->state_dir, &G.cfg, &d) < 0) {
		print_diags(o->config, &d);
		LOG(ERR, "config", "%s: not loaded", o->config);
		goto out;
	}
	LOG(INFO, "config", "%s: %zu static bindings, %zu trust anchors, failure state %s",
	    o->config, G.cfg->n_statics,
	    G.cfg->store ? mudsig_store_n_anchors(G.cfg->store) : (size_t)0,
	    mg_state_str(G.cfg->failure_state));
	G.fetch = make_fetch(G.cfg);
	if (!G.fetch) {
		LOG(ERR, "fetch", "cannot initialise libcurl");
		goto out;
	}
	G.dns = make_dns(G.cfg);
	if (G.cfg->dns_resolve && !G.dns)
		LOG(WARNING, "dnsname", "no resolver: dnsname sets learn from device answers only");
	lc_table_init(&G.lc);
	dnsn_init(&G.dnsn, G.cfg->dns_min_ttl > DNS_MIN_LIFE ? G.cfg->dns_min_ttl : DNS_MIN_LIFE,
		  G.cfg->dns_max_ttl, G.cfg->dns_max_addrs);
	G.changed_ev = evtimer_new(G.base, on_changed, NULL);
	G.tick = event_new(G.base, -1, EV_PERSIST, on_tick, NULL);
	if (!G.changed_ev || !G.tick)
		goto out;
	struct timeval tick = {TICK_SECONDS, 0};
	event_add(G.tick, &tick);
	for (int i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(G.base, signums[i], on_signal, NULL);
		if (!sigs[i] || evsignal_add(sigs[i], NULL) < 0)
			goto out;
	}

	/* what was in force before a restart, then the configuration, then the fast path */
	/* addresses that expired while mudgated was down stay until the first resolution */
	rc = dnsn_read_json(&G.dnsn, G.dnsnames_json, mono_now(), time(NULL), 2 * TICK_SECONDS + 1,
			    err, sizeof(err));
	if (rc > 0)
		LOG(INFO, "dnsname", "%d addresses restored from %s", rc, G.dnsnames_json);
	else if (rc < 0 && rc != -ENOENT)
		LOG(WARNING, "dnsname", "%s", err);
	restore_devices();
	apply_statics();
	struct pub_events pe = {.punt = on_punt,
				.link = on_link,
				.refused = on_refused,
				.loaded = on_loaded,
				.image_refused = on_image_refused};
	G.pub = pub_create(G.base, o->ctrl, o->state_dir, &pe);
	if (!G.pub) {
		LOG(ERR, "publish", "cannot create the control socket client");
		goto out;
	}
	G.image_dirty = true;
	publish_now();
	resolve_due(); /* the names the image tracks, now rather than at the first tick */
	LOG(NOTICE, "main", "mudgated " MG_VERSION " running: config %s, state %s, ctrl %s",
	    o->config, o->state_dir, o->ctrl);
	event_base_dispatch(G.base);
	status = 0;
out:
	mudf_diags_fini(&d);
	for (int i = 0; i < 4; i++)
		if (sigs[i])
			event_free(sigs[i]);
	pub_destroy(G.pub);
	for (size_t i = 0; i < G.n_entries; i++) {
		struct entry *e = G.entries[i];
		event_free(e->timer);
		mudf_file_destroy(e->good);
		free(e->body);
		free(e);
	}
	free(G.entries);
	fetch_destroy(G.fetch);
	dnsr_destroy(G.dns);
	if (G.changed_ev)
		event_free(G.changed_ev);
	if (G.tick)
		event_free(G.tick);
	dnsn_fini(&G.dnsn);
	lc_table_fini(&G.lc);
#ifdef MG_NETCONF
	nbg_stop();
#endif
	cfg_destroy(G.cfg);
	mudf_ctx_destroy(G.mudf);
	if (G.base)
		event_base_free(G.base);
	return status;
}
