/* SPDX-License-Identifier: BSD-3-Clause */
/* mudc show IMAGE: a readable listing of a policy image, after full validation. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_image.h"
#include "mudc.h"

static void
fmt_addr(char *buf, size_t size, unsigned int family, const uint8_t addr[16], unsigned int plen)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family == MGI_FAMILY_IPV4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, plen);
}

static void
fmt_peer(const struct mgi_image *img, char *buf, size_t size, unsigned int family, uint8_t kind,
	 uint32_t set, const uint8_t addr[16], uint8_t plen)
{
	switch (kind) {
	case MGI_PEER_PREFIX:
		fmt_addr(buf, size, family, addr, plen);
		break;
	case MGI_PEER_SET:
		snprintf(buf, size, "set:%u(%s:%s)", set, mgi_set_kind_str(img->sets[set].kind),
			 mgi_str(img, img->sets[set].name));
		break;
	default:
		snprintf(buf, size, "any");
		break;
	}
}

static void
print_ports(const char *name, uint32_t match, uint32_t bit, uint32_t neq, uint16_t lo, uint16_t hi)
{
	if (!(match & bit))
		return;
	printf(" %s%s", name, (match & neq) ? "!=" : "=");
	if (lo == hi)
		printf("%u", lo);
	else
		printf("%u-%u", lo, hi);
}

static void
print_ace(const struct mgi_image *img, uint32_t i)
{
	const struct mgi_ace *a = &img->aces[i];
	char src[128], dst[128];

	printf("      %-4u %s/%s %s", i, mgi_str(img, a->acl_name), mgi_str(img, a->ace_name),
	       mg_action_str(a->action));
	if (a->family == MGI_FAMILY_ETH) {
		printf(" eth");
		if (a->match & MGI_M_ETHERTYPE)
			printf(" ethertype=0x%04x", a->ethertype);
		printf("\n");
		return;
	}
	printf(" %s", a->family == MGI_FAMILY_IPV4 ? "ipv4" : "ipv6");
	if (a->match & MGI_M_PROTO)
		printf(" proto=%u", a->proto);
	fmt_peer(img, src, sizeof(src), a->family, a->src_kind, a->src_set, a->src_addr,
		 a->src_plen);
	fmt_peer(img, dst, sizeof(dst), a->family, a->dst_kind, a->dst_set, a->dst_addr,
		 a->dst_plen);
	printf(" src=%s dst=%s", src, dst);
	print_ports("sport", a->match, MGI_M_SPORT, MGI_M_SPORT_NEQ, a->sport_lo, a->sport_hi);
	print_ports("dport", a->match, MGI_M_DPORT, MGI_M_DPORT_NEQ, a->dport_lo, a->dport_hi);
	if (a->match & MGI_M_TCP_FLAGS)
		printf(" tcp-flags=0x%02x/0x%02x", a->tcp_flags_value, a->tcp_flags_mask);
	if (a->match & MGI_M_ICMP_TYPE)
		printf(" icmp-type=%u", a->icmp_type);
	if (a->match & MGI_M_ICMP_CODE)
		printf(" icmp-code=%u", a->icmp_code);
	if (a->match & MGI_M_DIR_INIT)
		printf(" initiated=%s",
		       a->dir_init == MG_DIR_FROM_DEVICE ? "from-device" : "to-device");
	printf("\n");
}

static void
print_image(const char *path, const struct mgi_image *img)
{
	const struct mgi_header *h = (const void *)img->base;
	const struct mgi_allowances *al = img->allowances;
	char mac[18], pfx[64];

	printf("image %s\n", path);
	printf("  version %u, generation %llu, size %zu bytes, checksum 0x%08x\n", h->version,
	       (unsigned long long)img->generation, img->size, h->checksum);
	printf("  %u policies, %u ACEs, %u sets, %u prefixes, %u devices, strtab %u bytes\n",
	       img->n_policies, img->n_aces, img->n_sets, img->n_prefixes, img->n_devices,
	       img->strtab_size);

	printf("profiles:\n");
	for (unsigned int s = 0; s < MG_STATE_COUNT; s++) {
		const struct mgi_profile *p = &img->profiles[s];

		printf("  %-15s %s", mg_state_str(s), mgi_profile_mode_str(p->mode));
		if (p->mode == MGI_PROFILE_POLICY)
			printf(" %u (%s)", p->policy, mgi_str(img, img->policies[p->policy].name));
		printf("\n");
	}

	printf("allowances:");
	if (!al->flags)
		printf(" none");
	if (al->flags & MGI_ALLOW_ARP)
		printf(" arp");
	if (al->flags & MGI_ALLOW_ND)
		printf(" nd");
	if (al->flags & MGI_ALLOW_DHCP)
		printf(" dhcp");
	if (al->flags & MGI_ALLOW_DNS)
		printf(" dns");
	if (al->resolver_set == MGI_NO_POLICY)
		printf("; resolvers: none\n");
	else
		printf("; resolvers: set %u (%s:%s)\n", al->resolver_set,
		       mgi_set_kind_str(img->sets[al->resolver_set].kind),
		       mgi_str(img, img->sets[al->resolver_set].name));

	printf("sets:\n");
	for (uint32_t i = 0; i < img->n_sets; i++) {
		const struct mgi_set *s = &img->sets[i];

		printf("  %-4u %s:%s (%u)", i, mgi_set_kind_str(s->kind), mgi_str(img, s->name),
		       s->n);
		for (uint32_t j = s->first; j < s->first + s->n; j++) {
			const struct mgi_prefix *p = &img->prefixes[j];

			fmt_addr(pfx, sizeof(pfx), p->family, p->addr, p->plen);
			printf(" %s", pfx);
		}
		printf("\n");
	}

	printf("policies:\n");
	for (uint32_t i = 0; i < img->n_policies; i++) {
		const struct mgi_policy *p = &img->policies[i];

		printf("  %-4u %s", i, mgi_str(img, p->name));
		if (*mgi_str(img, p->mud_url))
			printf(" (%s)", mgi_str(img, p->mud_url));
		printf("\n    from-device: %u ACEs\n", p->n_from);
		for (uint32_t j = 0; j < p->n_from; j++)
			print_ace(img, p->first_ace + j);
		printf("    to-device: %u ACEs\n", p->n_to);
		for (uint32_t j = 0; j < p->n_to; j++)
			print_ace(img, p->first_ace + p->n_from + j);
	}

	printf("devices:\n");
	for (uint32_t i = 0; i < img->n_devices; i++) {
		const struct mgi_device *d = &img->devices[i];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1],
			 d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
		printf("  %s %-15s %s\n", mac, mg_state_str(d->state),
		       d->policy == MGI_NO_POLICY ? "(no policy)"
						  : mgi_str(img, img->policies[d->policy].name));
	}
}

int
mudc_show(int argc, char **argv)
{
	struct mgi_image img;
	char why[256];
	size_t size;
	void *blob;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: mudc show IMAGE\n"
		       "Validates a policy image and lists its header, profiles, allowances, "
		       "sets,\npolicies (one line per ACE) and devices. Exit 1 with the reason "
		       "when the\nimage is invalid.\n");
		return MUDC_OK;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: mudc show IMAGE\n");
		return MUDC_USAGE;
	}
	blob = mg_read_file(argv[1], MGI_MAX_SIZE, &size);
	if (!blob) {
		fprintf(stderr, "mudc show: %s: %s\n", argv[1], strerror(errno));
		return MUDC_INVALID;
	}
	rc = mgi_open(&img, blob, size, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "mudc show: %s: invalid image: %s\n", argv[1], why);
		free(blob);
		return MUDC_INVALID;
	}
	print_image(argv[1], &img);
	free(blob);
	return MUDC_OK;
}
