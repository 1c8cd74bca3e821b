/* SPDX-License-Identifier: BSD-3-Clause */
/* The MUD compiler; cmp.h describes the semantics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "compile/cmp.h"

struct cmp {
	struct mgi_builder *b;
	const struct site *site;
	char **policy_names;
	size_t n_policies;
	uint8_t *filled; /* per builder set index: already filled from the site */
	size_t n_filled;
};

/* The peer constraint of one side of an ACE. */
struct peer {
	enum mgi_peer_kind kind;
	struct site_prefix pfx;     /* MGI_PEER_PREFIX */
	enum mgi_set_kind set_kind; /* MGI_PEER_SET */
	const char *set_name;
	const char *what; /* the match that set it, for messages */
};

struct port_match {
	bool set;
	bool neq;
	uint16_t lo, hi;
};

/* Everything one ACE matches, before family expansion. */
struct ace_match {
	bool has_eth_type;
	uint16_t ethertype;
	int l3;         /* 0, 4 or 6: the ipv4 / ipv6 container */
	int proto;      /* -1: none */
	const char *l4; /* "tcp", "udp", "icmp" or NULL */
	struct peer src, dst;
	struct port_match sport, dport;
	bool has_flags;
	uint8_t flags;
	bool has_icmp_type, has_icmp_code;
	uint8_t icmp_type, icmp_code;
	bool has_dir;
	enum mg_dir dir_init;
	bool ip_fields; /* anything only an IP packet can match */
};

struct ace_ctx {
	struct cmp *c;
	const struct mudf_file *f;
	struct mudf_diags *d;
	char *path;      /* of the ACE */
	enum mg_dir dir; /* the policy direction */
	bool failed;
};

struct cmp *
cmp_create(struct mgi_builder *b, const struct site *site)
{
	struct cmp *c = calloc(1, sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->b = b;
	c->site = site;
	return c;
}

void
cmp_destroy(struct cmp *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_policies; i++)
		free(c->policy_names[i]);
	free(c->policy_names);
	free(c->filled);
	free(c);
}

int64_t
cmp_find_policy(const struct cmp *c, const char *name)
{
	for (size_t i = 0; i < c->n_policies; i++)
		if (c->policy_names[i] && !strcmp(c->policy_names[i], name))
			return (int64_t)i;
	return -ENOENT;
}

static void ace_err(struct ace_ctx *a, const struct lyd_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
ace_err(struct ace_ctx *a, const struct lyd_node *at, const char *fmt, ...)
{
	char *path = at ? lyd_path(at, LYD_PATH_STD, NULL, 0) : NULL;
	va_list ap;

	va_start(ap, fmt);
	mudf_diag_vadd(a->d, MUDF_ERROR, path ? path : a->path, fmt, ap);
	va_end(ap);
	free(path);
	a->failed = true;
}

/* ---- sets ------------------------------------------------------------------------------ */

static int
set_add_addrs(struct cmp *c, uint32_t set, const struct site_addrs *a, size_t *n)
{
	for (size_t i = 0; i < a->n; i++) {
		struct mgi_prefix p = {.family = a->v[i].family, .plen = a->v[i].plen};
		int ret;

		memcpy(p.addr, a->v[i].addr, 16);
		ret = mgi_builder_set_add(c->b, set, &p);
		if (ret < 0)
			return ret;
		(*n)++;
	}
	return 0;
}

/* Fill set (kind, name) from the site on first use; *n_out: its number of prefixes. */
static int
fill_set(struct cmp *c, uint32_t set, enum mgi_set_kind kind, const char *name, size_t *n_out)
{
	const struct site *s = c->site;
	const struct site_named *nm;
	size_t n = 0;
	int ret = 0;

	if (set >= c->n_filled) {
		size_t cap = set + 16;
		uint8_t *v = realloc(c->filled, cap);

		if (!v)
			return -ENOMEM;
		memset(v + c->n_filled, 0, cap - c->n_filled);
		c->filled = v;
		c->n_filled = cap;
	}
	if (c->filled[set] & 1) {
		*n_out = c->filled[set] >> 1 ? 1 : 0;
		return 0;
	}
	switch (kind) {
	case MGI_SET_LOCAL_NETWORKS:
		ret = set_add_addrs(c, set, &s->local_networks, &n);
		break;
	case MGI_SET_CONTROLLER:
		nm = site_controller(s, name);
		if (nm)
			ret = set_add_addrs(c, set, &nm->addrs, &n);
		if (!ret && !strcmp(name, CMP_DNS_CLASS))
			ret = set_add_addrs(c, set, &s->resolvers, &n);
		break;
	case MGI_SET_MY_CONTROLLER:
		nm = site_my_controller(s, name);
		if (nm)
			ret = set_add_addrs(c, set, &nm->addrs, &n);
		break;
	case MGI_SET_MANUFACTURER:
	case MGI_SET_SAME_MANUFACTURER:
		for (size_t i = 0; i < s->n_devices && !ret; i++)
			if (!strcmp(s->devices[i].authority, name))
				ret = set_add_addrs(c, set, &s->devices[i].addrs, &n);
		break;
	case MGI_SET_MODEL:
		for (size_t i = 0; i < s->n_devices && !ret; i++)
			if (!strcmp(s->devices[i].mud_url, name))
				ret = set_add_addrs(c, set, &s->devices[i].addrs, &n);
		break;
	case MGI_SET_DNSNAME:
		break; /* filled by the control plane from DNS */
	}
	if (ret < 0)
		return ret;
	c->filled[set] = (uint8_t)(1 | (n ? 2 : 0));
	*n_out = n;
	return 0;
}

static const char *
set_kind_name(enum mgi_set_kind k)
{
	switch (k) {
	case MGI_SET_LOCAL_NETWORKS:
		return "local-networks";
	case MGI_SET_CONTROLLER:
		return "controller";
	case MGI_SET_MY_CONTROLLER:
		return "my-controller";
	case MGI_SET_MANUFACTURER:
		return "manufacturer";
	case MGI_SET_SAME_MANUFACTURER:
		return "same-manufacturer";
	case MGI_SET_MODEL:
		return "model";
	case MGI_SET_DNSNAME:
		return "dnsname";
	}
	return "?";
}

/* ---- matches --------------------------------------------------------------------------- */

static void
set_peer(struct ace_ctx *a, const struct lyd_node *at, struct peer *p, const char *side,
	 const struct peer *v)
{
	if (p->kind != MGI_PEER_ANY) {
		ace_err(a, at,
			"%s and %s both constrain the %s address; the policy image has one address "
			"match per side",
			p->what, v->what, side);
		return;
	}
	*p = *v;
}

static void
port_match(struct ace_ctx *a, const struct lyd_node *n, struct port_match *pm)
{
	const struct lyd_node *c;
	const char *op = "eq";
	long lo = -1, hi = -1, port = -1;

	LY_LIST_FOR (lyd_child(n), c) {
		const char *nm = LYD_NAME(c);

		if (c->flags & LYD_DEFAULT)
			continue;
		if (!strcmp(nm, "lower-port"))
			lo = atol(lyd_get_value(c));
		else if (!strcmp(nm, "upper-port"))
			hi = atol(lyd_get_value(c));
		else if (!strcmp(nm, "port"))
			port = atol(lyd_get_value(c));
		else if (!strcmp(nm, "operator"))
			op = lyd_get_value(c);
	}
	pm->set = true;
	if (lo >= 0 && hi >= 0) {
		if (lo > hi) {
			ace_err(a, n, "port range %ld..%ld is inverted", lo, hi);
			return;
		}
		pm->lo = (uint16_t)lo;
		pm->hi = (uint16_t)hi;
	} else if (port >= 0) {
		if (!strcmp(op, "eq")) {
			pm->lo = pm->hi = (uint16_t)port;
		} else if (!strcmp(op, "neq")) {
			pm->lo = pm->hi = (uint16_t)port;
			pm->neq = true;
		} else if (!strcmp(op, "lte")) {
			pm->lo = 0;
			pm->hi = (uint16_t)port;
		} else if (!strcmp(op, "gte")) {
			pm->lo = (uint16_t)port;
			pm->hi = 65535;
		} else {
			ace_err(a, n, "unknown port operator '%s'", op);
		}
	} else {
		pm->set = false; /* an implicit container of libyang, no match */
	}
}

static uint8_t
tcp_flag_bits(const char *v)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} bits[] = {
		{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08},
		{"ack", 0x10}, {"urg", 0x20}, {"ece", 0x40}, {"cwr", 0x80},
	};
	uint8_t r = 0;

	while (*v) {
		size_t len = strcspn(v, " ");

		for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
			if (strlen(bits[i].name) == len && !strncmp(v, bits[i].name, len))
				r |= bits[i].bit;
		v += len;
		v += strspn(v, " ");
	}
	return r;
}

static void
unsupported(struct ace_ctx *a, const struct lyd_node *n, const char *where)
{
	ace_err(a, n, "%s '%s' cannot be enforced: the policy image has no such match", where,
		LYD_NAME(n));
}

static void
l3_match(struct ace_ctx *a, const struct lyd_node *l3, int fam, struct ace_match *m)
{
	const struct lyd_node *c;

	m->l3 = fam;
	m->ip_fields = true;
	LY_LIST_FOR (lyd_child(l3), c) {
		const char *nm = LYD_NAME(c), *mod = c->schema->module->name;
		struct peer p = {.kind = MGI_PEER_PREFIX};
		bool src;

		if (c->flags & LYD_DEFAULT)
			continue;
		if (!strcmp(nm, "protocol")) {
			m->proto = atoi(lyd_get_value(c));
			continue;
		}
		if (!strcmp(mod, "ietf-acldns") &&
		    (!strcmp(nm, "src-dnsname") || !strcmp(nm, "dst-dnsname"))) {
			src = nm[0] == 's';
			p.kind = MGI_PEER_SET;
			p.set_kind = MGI_SET_DNSNAME;
			p.set_name = lyd_get_value(c);
			p.what = src ? "ietf-acldns:src-dnsname" : "ietf-acldns:dst-dnsname";
			set_peer(a, c, src ? &m->src : &m->dst, src ? "source" : "destination", &p);
			continue;
		}
		if (!strcmp(nm, "source-ipv4-network") || !strcmp(nm, "destination-ipv4-network") ||
		    !strcmp(nm, "source-ipv6-network") || !strcmp(nm, "destination-ipv6-network")) {
			src = nm[0] == 's';
			if (site_parse_prefix(lyd_get_value(c), &p.pfx) < 0 ||
			    p.pfx.family != (fam == 4 ? MGI_FAMILY_IPV4 : MGI_FAMILY_IPV6)) {
				ace_err(a, c, "'%s' is not an IPv%d prefix", lyd_get_value(c), fam);
				continue;
			}
			p.what = nm;
			set_peer(a, c, src ? &m->src : &m->dst, src ? "source" : "destination", &p);
			continue;
		}
		unsupported(a, c, fam == 4 ? "ipv4 field" : "ipv6 field");
	}
}

static void
l4_match(struct ace_ctx *a, const struct lyd_node *l4, struct ace_match *m)
{
	const char *name = LYD_NAME(l4);
	const struct lyd_node *c;

	if (m->l4) {
		ace_err(a, l4, "both %s and %s matches", m->l4, name);
		return;
	}
	m->ip_fields = true;
	m->l4 = !strcmp(name, "tcp") ? "tcp" : !strcmp(name, "udp") ? "udp" : "icmp";
	LY_LIST_FOR (lyd_child(l4), c) {
		const char *nm = LYD_NAME(c);

		if (c->flags & LYD_DEFAULT)
			continue;
		if (m->l4[0] != 'i' && !strcmp(nm, "source-port")) {
			port_match(a, c, &m->sport);
		} else if (m->l4[0] != 'i' && !strcmp(nm, "destination-port")) {
			port_match(a, c, &m->dport);
		} else if (m->l4[0] == 't' && !strcmp(nm, "flags")) {
			m->has_flags = true;
			m->flags = tcp_flag_bits(lyd_get_value(c));
		} else if (m->l4[0] == 't' && !strcmp(nm, "direction-initiated")) {
			m->has_dir = true;
			m->dir_init = !strcmp(lyd_get_value(c), "from-device") ? MG_DIR_FROM_DEVICE
									       : MG_DIR_TO_DEVICE;
		} else if (m->l4[0] == 'i' && !strcmp(nm, "type")) {
			m->has_icmp_type = true;
			m->icmp_type = (uint8_t)atoi(lyd_get_value(c));
		} else if (m->l4[0] == 'i' && !strcmp(nm, "code")) {
			m->has_icmp_code = true;
			m->icmp_code = (uint8_t)atoi(lyd_get_value(c));
		} else {
			char where[16];

			snprintf(where, sizeof(where), "%s field", m->l4);
			unsupported(a, c, where);
		}
	}
}

static void
mud_match(struct ace_ctx *a, const struct lyd_node *mud, struct ace_match *m)
{
	const struct lyd_node *c;
	bool src = a->dir == MG_DIR_TO_DEVICE;

	m->ip_fields = true;
	LY_LIST_FOR (lyd_child(mud), c) {
		const char *nm = LYD_NAME(c);
		struct peer p = {.kind = MGI_PEER_SET};

		if (c->flags & LYD_DEFAULT)
			continue;
		if (!strcmp(nm, "manufacturer")) {
			p.set_kind = MGI_SET_MANUFACTURER;
			p.set_name = lyd_get_value(c);
			p.what = "ietf-mud:mud/manufacturer";
		} else if (!strcmp(nm, "same-manufacturer")) {
			p.set_kind = MGI_SET_SAME_MANUFACTURER;
			p.set_name = a->f->authority;
			p.what = "ietf-mud:mud/same-manufacturer";
		} else if (!strcmp(nm, "model")) {
			p.set_kind = MGI_SET_MODEL;
			p.set_name = lyd_get_value(c);
			p.what = "ietf-mud:mud/model";
		} else if (!strcmp(nm, "local-networks")) {
			p.set_kind = MGI_SET_LOCAL_NETWORKS;
			p.set_name = "local-networks";
			p.what = "ietf-mud:mud/local-networks";
		} else if (!strcmp(nm, "controller")) {
			p.set_kind = MGI_SET_CONTROLLER;
			p.set_name = lyd_get_value(c);
			p.what = "ietf-mud:mud/controller";
		} else if (!strcmp(nm, "my-controller")) {
			p.set_kind = MGI_SET_MY_CONTROLLER;
			p.set_name = a->f->mud_url;
			p.what = "ietf-mud:mud/my-controller";
		} else {
			unsupported(a, c, "ietf-mud:mud field");
			continue;
		}
		set_peer(a, c, src ? &m->src : &m->dst, src ? "source" : "destination", &p);
	}
}

static void
eth_match(struct ace_ctx *a, const struct lyd_node *eth, struct ace_match *m)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(eth), c) {
		const struct lyd_node_term *t = (const struct lyd_node_term *)c;
		const struct lyd_value *v;

		if (c->flags & LYD_DEFAULT)
			continue;
		if (strcmp(LYD_NAME(c), "ethertype")) {
			unsupported(a, c, "eth field");
			continue;
		}
		v = &t->value;
		if (v->realtype->basetype == LY_TYPE_UNION)
			v = &v->subvalue->value;
		m->has_eth_type = true;
		if (v->realtype->basetype == LY_TYPE_ENUM)
			m->ethertype = (uint16_t)v->enum_item->value;
		else
			m->ethertype = (uint16_t)atoi(lyd_get_value(c));
	}
}

/* ---- emitting -------------------------------------------------------------------------- */

static int
peer_to_ace(struct ace_ctx *a, const struct peer *p, uint8_t *kind, uint32_t *set, uint8_t *plen,
	    uint8_t addr[16], const struct lyd_node *ace)
{
	int64_t idx;
	size_t n = 0;
	int ret;

	*kind = (uint8_t)p->kind;
	if (p->kind == MGI_PEER_PREFIX) {
		*plen = p->pfx.plen;
		memcpy(addr, p->pfx.addr, 16);
	} else if (p->kind == MGI_PEER_SET) {
		idx = mgi_builder_set(a->c->b, p->set_kind, p->set_name);
		if (idx < 0) {
			ace_err(a, ace, "%s '%s': %s", p->what, p->set_name,
				mgi_builder_error(a->c->b));
			return (int)idx;
		}
		*set = (uint32_t)idx;
		ret = fill_set(a->c, (uint32_t)idx, p->set_kind, p->set_name, &n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Warn once per ACE about site sets without any prefix. */
static void
warn_empty(struct ace_ctx *a, const struct peer *p)
{
	const struct site *s = a->c->site;
	size_t n = 0;

	if (p->kind != MGI_PEER_SET || p->set_kind == MGI_SET_DNSNAME)
		return;
	switch (p->set_kind) {
	case MGI_SET_LOCAL_NETWORKS:
		n = s->local_networks.n;
		break;
	case MGI_SET_CONTROLLER: {
		const struct site_named *nm = site_controller(s, p->set_name);

		n = (nm ? nm->addrs.n : 0) +
		    (!strcmp(p->set_name, CMP_DNS_CLASS) ? s->resolvers.n : 0);
		break;
	}
	case MGI_SET_MY_CONTROLLER: {
		const struct site_named *nm = site_my_controller(s, p->set_name);

		n = nm ? nm->addrs.n : 0;
		break;
	}
	case MGI_SET_MANUFACTURER:
	case MGI_SET_SAME_MANUFACTURER:
		for (size_t i = 0; i < s->n_devices; i++)
			if (!strcmp(s->devices[i].authority, p->set_name))
				n += s->devices[i].addrs.n;
		break;
	case MGI_SET_MODEL:
		for (size_t i = 0; i < s->n_devices; i++)
			if (!strcmp(s->devices[i].mud_url, p->set_name))
				n += s->devices[i].addrs.n;
		break;
	default:
		break;
	}
	if (!n)
		mudf_diag_add(
			a->d, MUDF_WARNING, a->path,
			"warning: %s '%s' resolves to no address in the site context: the ACE "
			"matches nothing",
			set_kind_name(p->set_kind), p->set_name);
}

static int
emit(struct ace_ctx *a, uint32_t policy, const struct lyd_node *ace, const struct ace_match *m,
     uint8_t family, uint8_t action, uint32_t acl_str, uint32_t ace_str)
{
	struct mgi_ace x = {0};
	int ret;

	x.acl_name = acl_str;
	x.ace_name = ace_str;
	x.family = family;
	x.action = action;
	if (family == MGI_FAMILY_ETH) {
		if (m->has_eth_type) {
			x.match |= MGI_M_ETHERTYPE;
			x.ethertype = m->ethertype;
		}
		return mgi_builder_add_ace(a->c->b, policy, a->dir, &x);
	}
	ret = peer_to_ace(a, &m->src, &x.src_kind, &x.src_set, &x.src_plen, x.src_addr, ace);
	if (ret < 0)
		return ret;
	ret = peer_to_ace(a, &m->dst, &x.dst_kind, &x.dst_set, &x.dst_plen, x.dst_addr, ace);
	if (ret < 0)
		return ret;
	if (m->l4) {
		x.match |= MGI_M_PROTO;
		x.proto = m->l4[0] == 't' ? 6 : m->l4[0] == 'u' ? 17 : family == 4 ? 1 : 58;
	} else if (m->proto >= 0) {
		x.match |= MGI_M_PROTO;
		x.proto = (uint8_t)m->proto;
	}
	if (m->sport.set) {
		x.match |= MGI_M_SPORT | (m->sport.neq ? MGI_M_SPORT_NEQ : 0);
		x.sport_lo = m->sport.lo;
		x.sport_hi = m->sport.hi;
	}
	if (m->dport.set) {
		x.match |= MGI_M_DPORT | (m->dport.neq ? MGI_M_DPORT_NEQ : 0);
		x.dport_lo = m->dport.lo;
		x.dport_hi = m->dport.hi;
	}
	if (m->has_flags) {
		x.match |= MGI_M_TCP_FLAGS;
		x.tcp_flags_mask = 0xff;
		x.tcp_flags_value = m->flags;
	}
	if (m->has_icmp_type) {
		x.match |= MGI_M_ICMP_TYPE;
		x.icmp_type = m->icmp_type;
	}
	if (m->has_icmp_code) {
		x.match |= MGI_M_ICMP_CODE;
		x.icmp_code = m->icmp_code;
	}
	if (m->has_dir) {
		x.match |= MGI_M_DIR_INIT;
		x.dir_init = (uint8_t)m->dir_init;
	}
	return mgi_builder_add_ace(a->c->b, policy, a->dir, &x);
}

/* The families the ACL type allows: bit 0 ETH, bit 1 IPv4, bit 2 IPv6. */
static unsigned
type_families(const char *type)
{
	const char *t = type ? strchr(type, ':') : NULL;

	t = t ? t + 1 : type;
	if (!t)
		return 7;
	if (!strcmp(t, "ipv4-acl-type"))
		return 2;
	if (!strcmp(t, "ipv6-acl-type"))
		return 4;
	if (!strcmp(t, "eth-acl-type"))
		return 1;
	if (!strcmp(t, "mixed-eth-ipv4-acl-type"))
		return 3;
	if (!strcmp(t, "mixed-eth-ipv6-acl-type"))
		return 5;
	return 7;
}

static int
compile_ace(struct ace_ctx *a, uint32_t policy, const struct lyd_node *ace, const char *acl_name,
	    const char *acl_type)
{
	struct ace_match m = {.proto = -1};
	const struct lyd_node *c, *matches = NULL, *actions = NULL;
	const char *ace_name = NULL, *fwd = NULL;
	unsigned allowed = type_families(acl_type), fams;
	int64_t acl_str, ace_str;
	uint8_t action;
	int ret = 0;

	LY_LIST_FOR (lyd_child(ace), c) {
		if (!strcmp(LYD_NAME(c), "name"))
			ace_name = lyd_get_value(c);
		else if (!strcmp(LYD_NAME(c), "matches"))
			matches = c;
		else if (!strcmp(LYD_NAME(c), "actions"))
			actions = c;
		else if (strcmp(LYD_NAME(c), "statistics") && !(c->flags & LYD_DEFAULT))
			unsupported(a, c, "ace node");
	}
	LY_LIST_FOR (actions ? lyd_child(actions) : NULL, c) {
		const char *v = lyd_get_value(c), *s = v ? strchr(v, ':') : NULL;

		s = s ? s + 1 : v;
		if (!strcmp(LYD_NAME(c), "forwarding"))
			fwd = s;
		else if (!strcmp(LYD_NAME(c), "logging") && s && strcmp(s, "log-none"))
			ace_err(a, c, "logging action '%s' cannot be enforced", s);
	}
	if (!fwd || !strcmp(fwd, "accept"))
		action = MG_ACT_ACCEPT;
	else if (!strcmp(fwd, "drop"))
		action = MG_ACT_DROP;
	else if (!strcmp(fwd, "reject"))
		action = MG_ACT_REJECT;
	else {
		ace_err(a, actions, "forwarding action '%s' unknown", fwd);
		return 0;
	}

	LY_LIST_FOR (matches ? lyd_child(matches) : NULL, c) {
		const char *nm = LYD_NAME(c), *mod = c->schema->module->name;

		if (c->flags & LYD_DEFAULT)
			continue;
		if (!strcmp(mod, "ietf-mud") && !strcmp(nm, "mud"))
			mud_match(a, c, &m);
		else if (!strcmp(nm, "eth"))
			eth_match(a, c, &m);
		else if (!strcmp(nm, "ipv4"))
			l3_match(a, c, 4, &m);
		else if (!strcmp(nm, "ipv6"))
			l3_match(a, c, 6, &m);
		else if (!strcmp(nm, "tcp") || !strcmp(nm, "udp") || !strcmp(nm, "icmp"))
			l4_match(a, c, &m);
		else
			unsupported(a, c, "match");
	}
	if (a->failed)
		return 0;

	/* protocol consistency */
	if (m.l4 && m.proto >= 0) {
		int want = m.l4[0] == 't' ? 6 : m.l4[0] == 'u' ? 17 : m.l3 == 6 ? 58 : 1;

		if (m.l4[0] == 'i' && !m.l3 && (m.proto == 1 || m.proto == 58))
			want = m.proto;
		if (m.proto != want) {
			ace_err(a, matches, "protocol %d contradicts the %s match", m.proto, m.l4);
			return 0;
		}
	}

	/* families */
	if (m.l3) {
		fams = m.l3 == 4 ? 2 : 4;
		if (m.has_eth_type && m.ethertype != (m.l3 == 4 ? 0x0800 : 0x86dd)) {
			ace_err(a, matches, "ethertype 0x%04x contradicts the ipv%d match",
				m.ethertype, m.l3);
			return 0;
		}
	} else if (m.has_eth_type) {
		fams = m.ethertype == 0x0800 ? 2 : m.ethertype == 0x86dd ? 4 : 1;
	} else {
		fams = allowed;
	}
	if (m.ip_fields)
		fams &= ~1u;
	if (fams == 1 && m.ip_fields) {
		ace_err(a, matches,
			"IP matches in an ACE of non-IP frames (ethertype 0x%04x): the "
			"policy image matches no IP fields in non-IP frames",
			m.ethertype);
		return 0;
	}
	if (m.has_eth_type && fams == 0) {
		ace_err(a, matches,
			"IP matches in an ACE of non-IP frames (ethertype 0x%04x): the "
			"policy image matches no IP fields in non-IP frames",
			m.ethertype);
		return 0;
	}
	if (!(fams & allowed)) {
		ace_err(a, matches, "the matches of this ACE contradict the ACL type '%s'",
			acl_type ? acl_type : "(none)");
		return 0;
	}
	fams &= allowed;

	acl_str = mgi_builder_str(a->c->b, acl_name);
	ace_str = mgi_builder_str(a->c->b, ace_name ? ace_name : "");
	if (acl_str < 0 || ace_str < 0) {
		ace_err(a, NULL, "%s", mgi_builder_error(a->c->b));
		return acl_str < 0 ? (int)acl_str : (int)ace_str;
	}
	warn_empty(a, &m.src);
	warn_empty(a, &m.dst);
	for (unsigned bit = 0; bit < 3 && ret >= 0; bit++) {
		static const uint8_t fam_of[3] = {MGI_FAMILY_ETH, MGI_FAMILY_IPV4, MGI_FAMILY_IPV6};

		if (fams & (1u << bit))
			ret = emit(a, policy, ace, &m, fam_of[bit], action, (uint32_t)acl_str,
				   (uint32_t)ace_str);
	}
	if (ret < 0 && !a->failed)
		ace_err(a, NULL, "%s", mgi_builder_error(a->c->b));
	return ret;
}

static const struct lyd_node *
find_acl(const struct lyd_node *tree, const char *name, const char **type)
{
	const struct lyd_node *top, *acl, *c;

	LY_LIST_FOR (tree, top) {
		if (strcmp(LYD_NAME(top), "acls"))
			continue;
		LY_LIST_FOR (lyd_child(top), acl) {
			const char *n = NULL;

			*type = NULL;
			LY_LIST_FOR (lyd_child(acl), c) {
				if (!strcmp(LYD_NAME(c), "name"))
					n = lyd_get_value(c);
				else if (!strcmp(LYD_NAME(c), "type"))
					*type = lyd_get_value(c);
			}
			if (n && !strcmp(n, name))
				return acl;
		}
	}
	return NULL;
}

static int
compile_acls(struct cmp *c, const struct mudf_file *f, uint32_t policy, enum mg_dir dir,
	     char **names, size_t n, struct mudf_diags *d, bool *failed)
{
	for (size_t i = 0; i < n; i++) {
		const char *type = NULL;
		const struct lyd_node *acl = find_acl(f->tree, names[i], &type), *aces, *ace;

		if (!acl) {
			mudf_diag_add(d, MUDF_ERROR, "/", "ACL '%s' not found", names[i]);
			*failed = true;
			continue;
		}
		aces = NULL;
		LY_LIST_FOR (lyd_child(acl), ace)
			if (!strcmp(LYD_NAME(ace), "aces"))
				aces = ace;
		LY_LIST_FOR (aces ? lyd_child(aces) : NULL, ace) {
			struct ace_ctx a = {.c = c, .f = f, .d = d, .dir = dir};
			int ret;

			a.path = lyd_path(ace, LYD_PATH_STD, NULL, 0);
			if (!a.path)
				return -ENOMEM;
			ret = compile_ace(&a, policy, ace, names[i], type);
			free(a.path);
			if (a.failed)
				*failed = true;
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

int
cmp_add_policy(struct cmp *c, const struct mudf_file *f, const char *name, uint32_t *policy,
	       struct mudf_diags *d)
{
	bool failed = false;
	char **names;
	int64_t idx;
	int ret;

	if (!name)
		name = f->mud_url;
	if (cmp_find_policy(c, name) >= 0) {
		mudf_diag_add(d, MUDF_ERROR, "/", "policy '%s' compiled twice", name);
		return -EEXIST;
	}
	names = realloc(c->policy_names, (c->n_policies + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	c->policy_names = names;
	idx = mgi_builder_add_policy(c->b, name, f->mud_url);
	if (idx < 0) {
		mudf_diag_add(d, MUDF_ERROR, "/ietf-mud:mud/mud-url", "%s",
			      mgi_builder_error(c->b));
		return (int)idx;
	}
	c->policy_names[c->n_policies] = strdup(name);
	if (!c->policy_names[c->n_policies])
		return -ENOMEM;
	c->n_policies++;
	*policy = (uint32_t)idx;
	ret = compile_acls(c, f, (uint32_t)idx, MG_DIR_FROM_DEVICE, f->from_acls, f->n_from, d,
			   &failed);
	if (ret < 0)
		return ret;
	ret = compile_acls(c, f, (uint32_t)idx, MG_DIR_TO_DEVICE, f->to_acls, f->n_to, d, &failed);
	if (ret < 0)
		return ret;
	return failed ? -EINVAL : 0;
}

int
cmp_finish(struct cmp *c, struct mudf_diags *d)
{
	static const char *const states[MG_STATE_COUNT] = {
		"unknown", "pending", "enforced", "quarantined", "updating", "decommissioned",
	};
	const struct site *s = c->site;
	uint32_t resolver_set = MGI_NO_POLICY;
	bool failed = false;
	int ret;

	for (int st = 0; st < MG_STATE_COUNT; st++) {
		uint32_t pol = MGI_NO_POLICY;

		if (s->profiles[st].mode == MGI_PROFILE_POLICY) {
			int64_t p = s->profiles[st].policy
					    ? cmp_find_policy(c, s->profiles[st].policy)
					    : -ENOENT;

			if (p < 0) {
				char path[128];

				snprintf(path, sizeof(path),
					 "/mudgate:mudgate/site/profile[state='%s']/policy",
					 states[st]);
				mudf_diag_add(d, MUDF_ERROR, path,
					      "profile names policy '%s', which was not compiled",
					      s->profiles[st].policy ? s->profiles[st].policy : "");
				failed = true;
				continue;
			}
			pol = (uint32_t)p;
		}
		ret = mgi_builder_set_profile(c->b, (enum mg_state)st, s->profiles[st].mode, pol);
		if (ret < 0) {
			mudf_diag_add(d, MUDF_ERROR, "/", "%s", mgi_builder_error(c->b));
			return ret;
		}
	}
	if (failed)
		return -EINVAL;
	if (s->allow_flags & MGI_ALLOW_DNS) {
		int64_t idx = mgi_builder_set(c->b, MGI_SET_CONTROLLER, CMP_DNS_CLASS);
		size_t n = 0;

		if (idx < 0)
			return (int)idx;
		ret = fill_set(c, (uint32_t)idx, MGI_SET_CONTROLLER, CMP_DNS_CLASS, &n);
		if (ret < 0)
			return ret;
		resolver_set = (uint32_t)idx;
		if (!n)
			mudf_diag_add(
				d, MUDF_WARNING, "/mudgate:mudgate/site/allowances",
				"warning: the DNS allowance has no resolver: DNS is allowed to "
				"no one");
	}
	ret = mgi_builder_set_allowances(c->b, s->allow_flags, resolver_set);
	if (ret < 0)
		mudf_diag_add(d, MUDF_ERROR, "/", "%s", mgi_builder_error(c->b));
	return ret;
}
