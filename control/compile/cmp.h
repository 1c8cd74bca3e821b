/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MUD compiler: a validated MUD file (control/mud) + the site context -> one policy of a
 * policy image (common/mg_image.h), through struct mgi_builder.
 *
 * Semantics kept exactly; nothing is dropped or widened:
 *   - the from-device ACLs, then the to-device ACLs, in policy order, each ACE in ACL order
 *     (first match wins), become the policy's from-device / to-device ACE lists;
 *   - the address family of an ACE comes from its ipv4 / ipv6 match, else from an eth
 *     ethertype (0x0800, 0x86dd, or a non-IP family-0 ACE), else from the ACL type: an ACE that
 *     names no family becomes one ACE per family its ACL type allows (in the order ETH, IPv4,
 *     IPv6), ETH dropped from that list when the ACE matches IP fields (a non-IP frame cannot
 *     match them);
 *   - ports: eq P -> [P, P]; lte P -> [0, P]; gte P -> [P, 65535]; neq P -> NOT [P, P];
 *     range -> [lower, upper];
 *   - TCP flags: the listed flags exactly (mask 0xff): a flags match never widens;
 *   - the MUD abstractions become address sets filled from the site (from-device ACEs
 *     constrain the destination, to-device ACEs the source); dnsnames become MGI_SET_DNSNAME
 *     sets, empty at compile time (filled by the control plane). An empty site set is legal
 *     (the ACE matches nothing) and warned about;
 *   - anything the image cannot express exactly is rejected with the JSON path and the field:
 *     MAC address matches, IP header fields other than protocol and addresses (dscp, ecn,
 *     length, ttl, ihl, flags, offset, identification, flow-label), TCP fields other than ports
 *     and flags, UDP length, ICMP rest-of-header, interfaces, logging actions, two address
 *     constraints on one side of an ACE, IP matches in an ACE of a non-IP ethertype,
 *     contradictory protocols.
 *
 * One struct cmp per image being built; single-threaded.
 */
#ifndef CMP_H
#define CMP_H

#include <stdint.h>

#include "compile/site.h"
#include "mg_image.h"
#include "mud/mudf.h"

struct cmp;

/* The site is borrowed and must outlive the compiler. NULL with errno ENOMEM. */
struct cmp *cmp_create(struct mgi_builder *b, const struct site *site);
void cmp_destroy(struct cmp *c);

/*
 * Compile f as a new policy named name (NULL: its MUD URL); *policy receives its index.
 * Returns 0 (warnings may have been added to d), -EINVAL when an ACE cannot be compiled
 * exactly (errors in d; the builder then holds a partial policy and must be discarded),
 * -EEXIST for a duplicate policy name, -ENOMEM, or the builder's error.
 */
int cmp_add_policy(struct cmp *c, const struct mudf_file *f, const char *name, uint32_t *policy,
		   struct mudf_diags *d);

/* Index of the compiled policy named name, or -ENOENT. */
int64_t cmp_find_policy(const struct cmp *c, const char *name);

/* Write the site's profiles and allowances (the resolvers are the controller class
 * urn:ietf:params:mud:dns). A profile naming a policy that was not compiled is an error
 * (-EINVAL, in d). */
int cmp_finish(struct cmp *c, struct mudf_diags *d);

#define CMP_DNS_CLASS "urn:ietf:params:mud:dns"

#endif /* CMP_H */
