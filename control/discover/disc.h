/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * disc: device discovery from punted frames (DHCPv4, DHCPv6, LLDP).
 *
 * The fast path punts DHCP and LLDP frames to mudgated; these parsers turn one raw Ethernet
 * frame (optionally with up to two VLAN tags) into what the control plane learns from it: the
 * device's MAC, its MUD URL (RFC 8520 §4.2 DHCPv4 option 161, §4.3 DHCPv6 option 112, §4.4 LLDP
 * organisationally specific TLV) and the addresses a server assigns to it.
 *
 * Every frame is hostile. Each parser reads only inside [frame, frame + size), never allocates,
 * and either fills its output and returns 0, or returns a negative errno and fills a
 * struct disc_error with a reason code and a message naming what, where (the byte offset from
 * the start of the frame) and why, e.g.
 *   "dhcp4: option 161 at offset 304: length 300 runs past end of packet (len 350)".
 *
 * A frame that parses but carries an unusable MUD URL (http://, not printable, too long...) is
 * NOT rejected: the rest of the frame is still good for address learning. The parser returns 0,
 * sets mud_url_status to the reason, leaves mud_url empty, puts a sanitised copy of the refused
 * URL in mud_url_refused and fills *err with the explanation.
 * mud_url_status is DISC_R_OK when a valid URL is present and DISC_R_NO_MUD_URL when none is.
 *
 * Counters: the caller owns a struct disc_counters and passes it (or NULL) to every call; each
 * call adds one to the counter of its outcome (DISC_R_OK for an accepted frame) and, when a MUD
 * URL was refused, one to that reason too. The functions keep no state: any thread may call them
 * on its own output, error and counter structs.
 */
#ifndef MG_DISC_H
#define MG_DISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * X(name, errno, short text). The errno is what the parser returns (negated) for that reason;
 * MUD URL reasons carry the errno they would have if the caller chose to reject the frame.
 */
#define DISC_REASONS(X)                                                          \
	X(OK, 0, "accepted")                                                     \
	X(TRUNCATED, EBADMSG, "truncated header")                                \
	X(NOT_FOR_US, ENOMSG, "not the protocol this parser handles")            \
	X(VLAN_DEPTH, EBADMSG, "more than two VLAN tags")                        \
	X(BAD_IP, EBADMSG, "malformed IP header")                                \
	X(IP_FRAGMENT, EBADMSG, "IP fragment")                                   \
	X(BAD_UDP, EBADMSG, "malformed UDP header")                              \
	X(BAD_BOOTP, EBADMSG, "malformed BOOTP header")                          \
	X(BAD_COOKIE, EBADMSG, "missing DHCP magic cookie")                      \
	X(OPT_TRUNCATED, EBADMSG, "option runs past end of packet")              \
	X(OPT_BAD_LEN, EBADMSG, "option has an invalid length")                  \
	X(OPT_DUPLICATE, EBADMSG, "option appears twice")                        \
	X(OPT_NO_END, EBADMSG, "options not terminated by end option")           \
	X(OPT_OVERLOAD, EBADMSG, "invalid option overload")                      \
	X(NO_MSG_TYPE, EBADMSG, "no DHCP message type")                          \
	X(BAD_MSG_TYPE, EBADMSG, "DHCP message type invalid for this direction") \
	X(DHCP6_RELAY, EOPNOTSUPP, "DHCPv6 relay message")                       \
	X(TOO_MANY_ADDRS, EBADMSG, "too many addresses")                         \
	X(LLDP_ORDER, EBADMSG, "mandatory LLDP TLV missing or out of order")     \
	X(LLDP_TLV_TRUNCATED, EBADMSG, "LLDP TLV runs past end of frame")        \
	X(LLDP_TLV_BAD_LEN, EBADMSG, "LLDP TLV has an invalid length")           \
	X(LLDP_NO_END, EBADMSG, "no LLDP end TLV")                               \
	X(LLDP_DUPLICATE, EBADMSG, "LLDP TLV appears twice")                     \
	X(NO_MUD_URL, ENOENT, "no MUD URL")                                      \
	X(URL_EMPTY, EINVAL, "MUD URL is empty")                                 \
	X(URL_TOO_LONG, EINVAL, "MUD URL longer than 255 bytes")                 \
	X(URL_NOT_PRINTABLE, EINVAL, "MUD URL has a non-printable byte")         \
	X(URL_HTTP, EINVAL, "MUD URL uses http, not https")                      \
	X(URL_SCHEME, EINVAL, "MUD URL scheme is not https")                     \
	X(URL_NO_HOST, EINVAL, "MUD URL has no host")

/* clang-format off */
enum disc_reason {
#define DISC_X_ENUM(name, err, text) DISC_R_##name,
	DISC_REASONS(DISC_X_ENUM)
#undef DISC_X_ENUM
	DISC_R_MAX
};
/* clang-format on */

/* Short text of a reason ("option runs past end of packet"); never NULL. */
const char *disc_reason_str(enum disc_reason r);
/* Stable identifier of a reason ("OPT_TRUNCATED") for counters and logs; never NULL. */
const char *disc_reason_name(enum disc_reason r);

#define DISC_ERRMSG_SIZE 192

struct disc_error {
	enum disc_reason reason;
	size_t offset; /* byte offset from the start of the frame */
	char msg[DISC_ERRMSG_SIZE];
};

/* Outcome counters, one per reason, summed by whoever reads them. */
struct disc_counters {
	uint64_t n[DISC_R_MAX];
};

#define DISC_MUD_URL_MAX 255
#define DISC_MAX_VLANS   2

/* What every parser learns from the link layer. */
struct disc_l2 {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t n_vlans;
	uint16_t vlan_ids[DISC_MAX_VLANS]; /* outermost first, 12-bit ids */
};

/*
 * MUD URL check shared by all parsers (RFC 8520 §2.2: https only). Accepts 1..255 bytes of
 * printable ASCII (0x21..0x7e) starting with "https://" (scheme case-insensitive) followed by a
 * non-empty host. Returns DISC_R_OK or the URL_* reason.
 */
enum disc_reason disc_mud_url_check(const uint8_t *url, size_t len);

/* ---- DHCPv4 (RFC 2131/2132, RFC 8520 §4.2) ---- */

enum disc_dhcp4_type {
	DISC_DHCP4_DISCOVER = 1,
	DISC_DHCP4_OFFER = 2,
	DISC_DHCP4_REQUEST = 3,
	DISC_DHCP4_DECLINE = 4,
	DISC_DHCP4_ACK = 5,
	DISC_DHCP4_NAK = 6,
	DISC_DHCP4_RELEASE = 7,
	DISC_DHCP4_INFORM = 8,
};

struct disc_dhcp4 {
	struct disc_l2 l2;
	bool from_server;      /* UDP 67 -> 68, BOOTREPLY */
	uint8_t msg_type;      /* option 53, enum disc_dhcp4_type */
	uint32_t xid;          /* host order */
	uint8_t chaddr[6];     /* client MAC */
	uint8_t ciaddr[4];     /* network order bytes */
	uint8_t yiaddr[4];     /* address assigned (OFFER/ACK) */
	bool has_requested_ip; /* option 50 */
	uint8_t requested_ip[4];
	bool has_server_id; /* option 54 */
	uint8_t server_id[4];
	uint8_t overload; /* option 52 value that was honoured, 0 if none */

	uint8_t client_id_len; /* option 61, raw */
	uint8_t client_id[255];
	uint8_t hostname_len; /* option 12, raw bytes, NUL terminated for convenience */
	char hostname[256];
	uint8_t vendor_class_len; /* option 60, raw bytes, NUL terminated */
	char vendor_class[256];

	enum disc_reason mud_url_status; /* OK, NO_MUD_URL or URL_* */
	uint16_t mud_url_len;
	char mud_url[DISC_MUD_URL_MAX + 1]; /* option 161, only when mud_url_status == OK */
	/* a refused URL (mud_url_status URL_*), sanitised: at most 255 bytes, bytes outside
	 * 0x21..0x7e as '?', a longer one cut with "..."; "" otherwise */
	char mud_url_refused[DISC_MUD_URL_MAX + 1];
};

/*
 * Parse a DHCPv4 frame: client to server (UDP 68 -> 67, BOOTREQUEST, types DISCOVER, REQUEST,
 * DECLINE, RELEASE, INFORM) or server to client (UDP 67 -> 68, BOOTREPLY, OFFER, ACK, NAK).
 * htype must be Ethernet (1, hlen 6). Option overload (option 52) is honoured: options continue
 * in 'file' (1), 'sname' (2) or both (3), in that order, each area ending with an end option.
 * Options 53, 50, 54, 61, 12, 60, 161 and 52 may appear only once (RFC 3396 splitting is refused).
 *
 * Returns 0, -EBADMSG (malformed), -ENOMSG (not DHCPv4), with *err filled when not 0.
 */
int disc_dhcp4_parse(const void *frame, size_t size, struct disc_dhcp4 *out, struct disc_error *err,
		     struct disc_counters *cnt);

/* ---- DHCPv6 (RFC 8415, RFC 8520 §4.3) ---- */

#define DISC_DHCP6_DUID_MAX  130
#define DISC_DHCP6_MAX_ADDRS 8

struct disc_dhcp6_addr {
	uint8_t addr[16];
	uint32_t preferred_lifetime;
	uint32_t valid_lifetime;
	uint32_t iaid;
};

struct disc_dhcp6 {
	struct disc_l2 l2;
	uint8_t src_ip[16];
	bool from_server;  /* UDP 547 -> 546 */
	uint8_t msg_type;  /* RFC 8415 §7.3 */
	uint32_t xid;      /* 24 bits */
	uint16_t duid_len; /* option 1 CLIENTID, 0 if absent */
	uint8_t duid[DISC_DHCP6_DUID_MAX];
	size_t n_addrs; /* IA_NA/IAADDR in ADVERTISE and REPLY */
	struct disc_dhcp6_addr addrs[DISC_DHCP6_MAX_ADDRS];

	enum disc_reason mud_url_status;
	uint16_t mud_url_len;
	char mud_url[DISC_MUD_URL_MAX + 1]; /* option 112 */
	/* a refused URL (mud_url_status URL_*), sanitised: at most 255 bytes, bytes outside
	 * 0x21..0x7e as '?', a longer one cut with "..."; "" otherwise */
	char mud_url_refused[DISC_MUD_URL_MAX + 1];
};

/*
 * Parse a DHCPv6 frame, client to server (UDP 546 -> 547) or server to client (547 -> 546).
 * IPv6 extension headers other than fragments are skipped (at most 8). Relay messages
 * (RELAY-FORW, RELAY-REPL) are declined with -EOPNOTSUPP: the enforcement point sits next to the
 * device, it never sees relayed traffic from its own devices. More than DISC_DHCP6_MAX_ADDRS
 * IAADDR options are refused.
 */
int disc_dhcp6_parse(const void *frame, size_t size, struct disc_dhcp6 *out, struct disc_error *err,
		     struct disc_counters *cnt);

/* ---- LLDP (IEEE 802.1AB, RFC 8520 §4.4) ---- */

struct disc_lldp {
	struct disc_l2 l2;
	uint8_t chassis_id_subtype;
	uint8_t chassis_id_len;
	uint8_t chassis_id[255];
	uint8_t port_id_subtype;
	uint8_t port_id_len;
	uint8_t port_id[255];
	uint16_t ttl;

	enum disc_reason mud_url_status;
	uint16_t mud_url_len;
	char mud_url[DISC_MUD_URL_MAX + 1]; /* TLV 127, OUI 00-00-5E, subtype 1 */
	/* a refused URL (mud_url_status URL_*), sanitised: at most 255 bytes, bytes outside
	 * 0x21..0x7e as '?', a longer one cut with "..."; "" otherwise */
	char mud_url_refused[DISC_MUD_URL_MAX + 1];
};

/*
 * Parse an LLDPDU (ethertype 0x88cc): chassis ID, port ID and TTL TLVs first and in that order,
 * an end TLV (type 0, length 0) required, each TLV inside the frame, chassis/port ID 2..256
 * bytes. At most one MUD URL TLV.
 */
int disc_lldp_parse(const void *frame, size_t size, struct disc_lldp *out, struct disc_error *err,
		    struct disc_counters *cnt);

/* ---- Shared L2-L4 helper (also for punted DNS answers) ---- */

struct disc_udp {
	struct disc_l2 l2;
	uint8_t ip_version; /* 4 or 6 */
	uint8_t src_ip[16]; /* IPv4 in the first 4 bytes */
	uint8_t dst_ip[16];
	uint16_t src_port;
	uint16_t dst_port;
	size_t payload_offset; /* from the start of the frame */
	size_t payload_size;
};

/*
 * Locate the UDP payload of an Ethernet/[VLAN]/IPv4|IPv6/UDP frame. Fragments are refused,
 * the UDP length must fit the IP payload. Does not touch counters. Returns 0, -EBADMSG or
 * -ENOMSG (not UDP).
 */
int disc_udp_locate(const void *frame, size_t size, struct disc_udp *out, struct disc_error *err);

#endif
