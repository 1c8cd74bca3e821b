/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mudgate policy image: the one contract between the compiler (mudc, mudgated) and the
 * enforcers (mudgate-dp, mudgate.ko, mudc replay).
 *
 * An image is one contiguous little-endian blob: a fixed header, a section table, then the
 * sections. Every field is fixed width, there are no pointers: references are u32 indexes into
 * another section or u32 byte offsets into the string table. docs/policy-image.md is the
 * normative specification; this header mirrors it.
 *
 * Writer: struct mgi_builder collects strings, policies, ACEs, address sets and devices and
 * serialises them (mgi_builder_*). Reader: mgi_open() validates a blob completely (sizes,
 * checksum, version, every index and offset, overlapping sections) and returns a read-only view
 * whose accessors need no further checks. Both are single-threaded per object; a validated
 * struct mgi_image may be read from any number of threads.
 */
#ifndef MG_IMAGE_H
#define MG_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGI_MAGIC    "MUDGIMG" /* 8 bytes with the NUL */
#define MGI_VERSION  1u
#define MGI_MAX_SIZE (256u << 20) /* the reader refuses larger images */
#define MGI_NAME_MAX 255u         /* longest string in the string table, without NUL */

/* Section types. Every section is present exactly once (possibly with count 0). */
enum mgi_section_type {
	MGI_SEC_STRTAB = 1,     /* entry_size 1: NUL-terminated strings; offset 0 is "" */
	MGI_SEC_POLICIES = 2,   /* struct mgi_policy */
	MGI_SEC_ACES = 3,       /* struct mgi_ace */
	MGI_SEC_SETS = 4,       /* struct mgi_set */
	MGI_SEC_PREFIXES = 5,   /* struct mgi_prefix: members of sets */
	MGI_SEC_DEVICES = 6,    /* struct mgi_device, sorted by MAC, unique */
	MGI_SEC_PROFILES = 7,   /* struct mgi_profile, exactly MG_STATE_COUNT entries */
	MGI_SEC_ALLOWANCES = 8, /* struct mgi_allowances, exactly 1 entry */
	MGI_SEC_COUNT_ = 8,
};

/* Device lifecycle states (ARCHITECTURE.md "Device lifecycle"). */
enum mg_state {
	MG_STATE_UNKNOWN = 0,
	MG_STATE_PENDING = 1,
	MG_STATE_ENFORCED = 2,
	MG_STATE_QUARANTINED = 3,
	MG_STATE_UPDATING = 4,
	MG_STATE_DECOMMISSIONED = 5,
	MG_STATE_COUNT = 6,
};

enum mg_dir {
	MG_DIR_FROM_DEVICE = 0,
	MG_DIR_TO_DEVICE = 1,
};

enum mg_action {
	MG_ACT_ACCEPT = 0,
	MG_ACT_DROP = 1,
	MG_ACT_REJECT = 2, /* enforced as a drop; kept distinct for the listing and counters */
};

/* Peer match kinds for the source and destination address of an ACE. */
enum mgi_peer_kind {
	MGI_PEER_ANY = 0,
	MGI_PEER_PREFIX = 1, /* addr/plen of the ACE's family */
	MGI_PEER_SET = 2,    /* any prefix of set index `set` whose family equals the ACE's */
};

/* struct mgi_ace.match bits: a field is compared only when its bit is set. */
#define MGI_M_PROTO     (1u << 0)
#define MGI_M_SPORT     (1u << 1) /* sport in [sport_lo, sport_hi] */
#define MGI_M_SPORT_NEQ (1u << 2) /* with MGI_M_SPORT: sport NOT in [sport_lo, sport_hi] */
#define MGI_M_DPORT     (1u << 3)
#define MGI_M_DPORT_NEQ (1u << 4)
#define MGI_M_TCP_FLAGS (1u << 5) /* (tcp_flags & tcp_flags_mask) == tcp_flags_value */
#define MGI_M_ICMP_TYPE (1u << 6)
#define MGI_M_ICMP_CODE (1u << 7)
#define MGI_M_ETHERTYPE (1u << 8) /* family 0 ACEs: frame ethertype == ethertype */
#define MGI_M_DIR_INIT  (1u << 9) /* TCP flow must have been initiated in direction dir_init */
#define MGI_M_ALL_      0x3ffu

/* Address families of an ACE: an ACE matches only frames of its family. */
#define MGI_FAMILY_ETH  0 /* matches on the Ethernet header only (MGI_M_ETHERTYPE) */
#define MGI_FAMILY_IPV4 4
#define MGI_FAMILY_IPV6 6

/* One ACE, 76 bytes. Addresses are in network byte order, IPv4 in the first 4 bytes of addr[],
 * the rest zero; the bits of addr past plen are zero (the reader checks). Ports and ethertype
 * are host values stored little-endian like every integer of the image. */
struct mgi_ace {
	uint32_t acl_name; /* strtab offset: name of the ACL this ACE came from */
	uint32_t ace_name; /* strtab offset: name of the ACE */
	uint32_t match;    /* MGI_M_* */
	uint32_t src_set;  /* set index when src_kind == MGI_PEER_SET, else 0 */
	uint32_t dst_set;
	uint8_t family;   /* MGI_FAMILY_* */
	uint8_t action;   /* enum mg_action */
	uint8_t src_kind; /* enum mgi_peer_kind */
	uint8_t dst_kind;
	uint8_t src_plen;
	uint8_t dst_plen;
	uint8_t proto;
	uint8_t tcp_flags_mask;
	uint8_t tcp_flags_value;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t dir_init; /* enum mg_dir, with MGI_M_DIR_INIT */
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
	uint16_t ethertype;
	uint8_t pad[2]; /* zero */
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
};

/* A policy: one MUD file compiled. ACEs [first_ace, first_ace + n_from) are the from-device
 * ACEs, then n_to to-device ACEs, each list in evaluation order (first match wins). Policies'
 * ACE ranges are disjoint and in policy order. */
struct mgi_policy {
	uint32_t name;    /* strtab: unique policy name (by default the MUD URL) */
	uint32_t mud_url; /* strtab */
	uint32_t first_ace;
	uint32_t n_from;
	uint32_t n_to;
	uint32_t flags; /* zero */
};

enum mgi_set_kind {
	MGI_SET_LOCAL_NETWORKS = 1,
	MGI_SET_CONTROLLER = 2,        /* name: the controller class URI */
	MGI_SET_MY_CONTROLLER = 3,     /* name: the MUD URL whose my-controller this is */
	MGI_SET_MANUFACTURER = 4,      /* name: the manufacturer authority */
	MGI_SET_SAME_MANUFACTURER = 5, /* name: the authority of the policy's MUD URL */
	MGI_SET_MODEL = 6,             /* name: the model's MUD URL */
	MGI_SET_DNSNAME = 7,           /* name: the DNS name */
};

/* A named address set: prefixes [first, first + n) of the prefix section. Sets' ranges are
 * disjoint and in set order. (kind, name) is unique. */
struct mgi_set {
	uint32_t name; /* strtab */
	uint32_t kind; /* enum mgi_set_kind */
	uint32_t first;
	uint32_t n;
};

struct mgi_prefix {
	uint8_t family; /* MGI_FAMILY_IPV4 or MGI_FAMILY_IPV6 */
	uint8_t plen;   /* <= 32 or <= 128 */
	uint8_t pad[2];
	uint8_t addr[16]; /* network byte order, host bits zero */
};

/* A device binding. The policy applies when the device's state profile says MGI_PROFILE_OWN. */
#define MGI_NO_POLICY 0xffffffffu
struct mgi_device {
	uint8_t mac[6];
	uint8_t state; /* enum mg_state */
	uint8_t pad;
	uint32_t policy; /* policy index or MGI_NO_POLICY */
};

enum mgi_profile_mode {
	MGI_PROFILE_OWN = 0,    /* the device's own policy; default deny without one */
	MGI_PROFILE_POLICY = 1, /* policy index `policy` for every device in this state */
	MGI_PROFILE_ALLOW_ALL = 2,
	MGI_PROFILE_DENY_ALL = 3,        /* not even the allowances */
	MGI_PROFILE_ALLOWANCES_ONLY = 4, /* the allowances, then deny */
};

struct mgi_profile {
	uint32_t mode;   /* enum mgi_profile_mode */
	uint32_t policy; /* with MGI_PROFILE_POLICY, else MGI_NO_POLICY */
};

/* Explicit allowances evaluated before a device's policy (not for ALLOW_ALL / DENY_ALL). */
#define MGI_ALLOW_ARP  (1u << 0) /* ethertype 0x0806 both ways */
#define MGI_ALLOW_ND   (1u << 1) /* ICMPv6 133..137 both ways */
#define MGI_ALLOW_DHCP (1u << 2) /* UDP 68->67, 67->68 (v4) and 546<->547 (v6) */
#define MGI_ALLOW_DNS  (1u << 3) /* UDP/TCP to port 53 of the resolver set and replies */
struct mgi_allowances {
	uint32_t flags;        /* MGI_ALLOW_* */
	uint32_t resolver_set; /* set index of the resolvers, or MGI_NO_POLICY for none */
};

struct mgi_section {
	uint32_t type;       /* enum mgi_section_type */
	uint32_t entry_size; /* sizeof the entry struct; the reader requires the exact value */
	uint32_t offset;     /* from the start of the image, 8-byte aligned */
	uint32_t count;
};

/* 64 bytes, followed by MGI_SEC_COUNT_ struct mgi_section. */
struct mgi_header {
	char magic[8];        /* MGI_MAGIC */
	uint32_t version;     /* MGI_VERSION */
	uint32_t header_size; /* sizeof(struct mgi_header) */
	uint32_t image_size;  /* the whole blob */
	uint32_t n_sections;  /* MGI_SEC_COUNT_ */
	uint64_t generation;  /* set by the publisher; 0 from mudc */
	uint32_t checksum;    /* CRC-32C of the whole blob with this field taken as 0 */
	uint32_t flags;       /* zero */
	uint8_t reserved[24]; /* zero */
};

/* ---- reader ---------------------------------------------------------------------------- */

/* A validated, read-only view of an image. The blob is borrowed (not copied) and must outlive
 * the view. */
struct mgi_image {
	const uint8_t *base;
	size_t size;
	uint64_t generation;
	const char *strtab;
	uint32_t strtab_size;
	const struct mgi_policy *policies;
	uint32_t n_policies;
	const struct mgi_ace *aces;
	uint32_t n_aces;
	const struct mgi_set *sets;
	uint32_t n_sets;
	const struct mgi_prefix *prefixes;
	uint32_t n_prefixes;
	const struct mgi_device *devices;
	uint32_t n_devices;
	const struct mgi_profile *profiles; /* MG_STATE_COUNT */
	const struct mgi_allowances *allowances;
};

/*
 * Validate blob[0..size) and fill *img. Returns 0, or -EINVAL / -EPROTO / -E2BIG with a
 * human-readable reason written to errbuf (never NULL on error when errbuf_size > 0): the
 * reason names the field and the offending value, e.g. "ace 12: src_set 40 out of range (9 sets)".
 * The blob must be 8-byte aligned. Never reads outside [blob, blob + size).
 */
int mgi_open(struct mgi_image *img, const void *blob, size_t size, char *errbuf,
	     size_t errbuf_size);

/* A string from the table; the offset was validated by mgi_open(). */
static inline const char *
mgi_str(const struct mgi_image *img, uint32_t off)
{
	return img->strtab + off;
}

/* Binary search of the device table, NULL when absent. */
const struct mgi_device *mgi_find_device(const struct mgi_image *img, const uint8_t mac[6]);

/* CRC-32C (Castagnoli), the image checksum. */
uint32_t mg_crc32c(uint32_t crc, const void *data, size_t len);

/* The checksum an image must carry: CRC-32C of blob[0..size) with the header's checksum field
 * taken as 0. size must be >= sizeof(struct mgi_header). A publisher that rewrites a field
 * (generation) stores mgi_checksum() of the result in header.checksum. */
uint32_t mgi_checksum(const void *blob, size_t size);

/* Names for listings and logs ("enforced", "allowances-only", "accept", "dnsname"); "?" for
 * values out of range. */
const char *mg_state_str(unsigned int state);
const char *mg_action_str(unsigned int action);
const char *mgi_profile_mode_str(unsigned int mode);
const char *mgi_set_kind_str(unsigned int kind);

/* Read a whole file into an 8-byte aligned buffer; free() it. NULL with errno set. */
void *mg_read_file(const char *path, size_t max_size, size_t *size_out);

/* ---- writer ---------------------------------------------------------------------------- */

struct mgi_builder;

struct mgi_builder *mgi_builder_create(void);
void mgi_builder_destroy(struct mgi_builder *b);

/* Interns a string (dedup'd); returns its offset, or a negative errno (-E2BIG past
 * MGI_NAME_MAX). */
int64_t mgi_builder_str(struct mgi_builder *b, const char *s);

/* Adds a policy and returns its index (>= 0) or a negative errno. */
int64_t mgi_builder_add_policy(struct mgi_builder *b, const char *name, const char *mud_url);

/* Appends an ACE to the policy in direction dir. ACEs of one policy may be added in any order
 * of direction; each direction keeps its own order. ace->acl_name and ace->ace_name must
 * already be builder string offsets. Returns 0 or a negative errno. */
int mgi_builder_add_ace(struct mgi_builder *b, uint32_t policy, enum mg_dir dir,
			const struct mgi_ace *ace);

/* Returns the index of set (kind, name), creating it empty when absent. */
int64_t mgi_builder_set(struct mgi_builder *b, enum mgi_set_kind kind, const char *name);
int mgi_builder_set_add(struct mgi_builder *b, uint32_t set, const struct mgi_prefix *p);

/* Binds a device; a second binding of the same MAC replaces the first. */
int mgi_builder_add_device(struct mgi_builder *b, const uint8_t mac[6], uint32_t policy,
			   enum mg_state state);

int mgi_builder_set_profile(struct mgi_builder *b, enum mg_state state, enum mgi_profile_mode mode,
			    uint32_t policy);
int mgi_builder_set_allowances(struct mgi_builder *b, uint32_t flags, uint32_t resolver_set);
void mgi_builder_set_generation(struct mgi_builder *b, uint64_t generation);

/* Serialises into a new malloc'd, 8-byte aligned blob. Returns 0 or a negative errno. The
 * result passes mgi_open(): finish runs it and fails with -EINVAL (reason in
 * mgi_builder_error()) when an ACE, set or profile added is invalid. */
int mgi_builder_finish(struct mgi_builder *b, void **blob, size_t *size);

/* Why the last failing builder call failed ("" when none); valid until the next call. */
const char *mgi_builder_error(const struct mgi_builder *b);

/* Default profiles written by a fresh builder: unknown -> allowances only, pending ->
 * allowances only, enforced -> own policy, quarantined -> allowances only, updating -> own
 * policy, decommissioned -> deny all. Default allowances: ARP, ND, DHCP, DNS (no resolver set:
 * DNS then allowed to no one). */

#endif /* MG_IMAGE_H */
