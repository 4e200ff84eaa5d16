/*
 * BOOTP/DHCP messages (RFC 951, 2131, 2132), as much as naming a machine
 * needs: who asked (chaddr, the client identifier, the host name it gave)
 * and what it was given (yiaddr, by which server).
 *
 * A UDP payload to or from port 67 or 68 goes in, as captured; every read is
 * bounds-checked (bytes.h). The fixed 236-byte header must be whole and the
 * magic cookie present (a plain BOOTP message names nothing we use and is
 * counted apart). Options are read up to END or the end of the capture:
 * an option whose length runs past the captured bytes, a fixed-size option
 * of the wrong size, or a second copy of an option we use (RFC 3396 would
 * concatenate them, but none of ours is long enough to need it, so a second
 * copy is a contradiction) rejects the whole message, counted by reason.
 * A host name that is not plain printable ASCII, or longer than
 * WW_DHCP_HOSTNAME_MAX, is dropped (not escaped) and counted: it would end
 * up in alerts, and a name that needs escaping is not worth showing.
 * Option overload (52: more options in sname/file) is noted and not
 * followed: clients put the options we use in the options field.
 */
#ifndef WW_DHCP_H
#define WW_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_DHCP_SERVER_PORT 67
#define WW_DHCP_CLIENT_PORT 68
#define WW_DHCP_FIXED_LEN 236   /* op .. file, before the magic cookie */
#define WW_DHCP_COOKIE 0x63825363u
#define WW_DHCP_HOSTNAME_MAX 63 /* bytes of option 12 kept (a DNS label's limit) */
#define WW_DHCP_CLIENT_ID_MAX 32 /* bytes of option 61 kept; longer ones are cut */

/* Option 53's values (RFC 2132 9.6; 9..18 are later RFCs', kept as numbers). */
enum ww_dhcp_type {
    WW_DHCP_NO_TYPE = 0, /* option 53 absent */
    WW_DHCP_DISCOVER = 1,
    WW_DHCP_OFFER = 2,
    WW_DHCP_REQUEST = 3,
    WW_DHCP_DECLINE = 4,
    WW_DHCP_ACK = 5,
    WW_DHCP_NAK = 6,
    WW_DHCP_RELEASE = 7,
    WW_DHCP_INFORM = 8,
    WW_DHCP_TYPE_MAX = 18
};

/* Why a message was not used. Keep ww_dhcp_malformed_name() in step. */
enum ww_dhcp_malformed {
    WW_DHCP_OK,
    WW_DHCP_TRUNCATED_HEADER,   /* fewer than 236 bytes */
    WW_DHCP_BAD_OP,             /* op neither 1 (request) nor 2 (reply) */
    WW_DHCP_BAD_HLEN,           /* hardware address longer than chaddr's 16 bytes */
    WW_DHCP_NO_COOKIE,          /* no magic cookie: plain BOOTP, or not BOOTP at all */
    WW_DHCP_TRUNCATED_OPTION,   /* an option's length byte or value runs past the capture */
    WW_DHCP_BAD_OPTION_LENGTH,  /* 53/52 not 1 byte, 50/54 not 4, 61 under 2, 12 empty */
    WW_DHCP_BAD_MESSAGE_TYPE,   /* option 53 is 0 or above WW_DHCP_TYPE_MAX */
    WW_DHCP_DUPLICATE_OPTION,   /* 53, 50, 54, 61, 12 or 52 twice */
    WW_DHCP_MALFORMED__COUNT
};

struct ww_dhcp_message {
    uint8_t op;         /* 1 BOOTREQUEST (client), 2 BOOTREPLY (server) */
    uint8_t htype;      /* hardware type, 1 = Ethernet */
    uint8_t hlen;       /* hardware address bytes */
    uint32_t xid;       /* transaction ID the client chose */
    uint32_t ciaddr;    /* client's address when it already has one (host order) */
    uint32_t yiaddr;    /* address the server gives (host order), 0 in requests */
    bool has_mac;       /* htype 1 and hlen 6: mac is chaddr */
    uint8_t mac[6];     /* the client's Ethernet address */
    uint8_t type;       /* option 53 (enum ww_dhcp_type), WW_DHCP_NO_TYPE if absent */
    bool has_requested_ip;
    uint32_t requested_ip; /* option 50 (host order) */
    bool has_server_id;
    uint32_t server_id;    /* option 54 (host order) */
    uint8_t client_id_len; /* bytes in client_id (at most WW_DHCP_CLIENT_ID_MAX) */
    uint8_t client_id[WW_DHCP_CLIENT_ID_MAX]; /* option 61: type byte, then the ID */
    char hostname[WW_DHCP_HOSTNAME_MAX + 1]; /* option 12, printable ASCII; "" if none */
    uint8_t hostname_len;  /* strlen(hostname) */
    bool overload;         /* option 52 seen: options in sname/file were not read */
    bool ended;            /* END seen (false: the options ran to the end of the capture) */
};

struct ww_dhcp_stats {
    uint64_t messages;          /* payloads given */
    uint64_t parsed;            /* returned WW_DHCP_OK */
    uint64_t by_type[WW_DHCP_TYPE_MAX + 1]; /* parsed, by option 53 ([0]: none) */
    uint64_t hostname_rejected; /* option 12 not printable or too long: dropped */
    uint64_t overload_ignored;  /* option 52 seen, sname/file not read */
    uint64_t no_end;            /* options ran to the end of the capture without END */
    uint64_t malformed[WW_DHCP_MALFORMED__COUNT]; /* by reason ([0] stays 0) */
};

const char *ww_dhcp_malformed_name(enum ww_dhcp_malformed reason);
/* "discover", "offer", ... "inform", "none", or "other". */
const char *ww_dhcp_type_name(uint8_t type);

/* Parses a payload into *msg and counts it; msg is complete on WW_DHCP_OK. */
enum ww_dhcp_malformed ww_dhcp_parse(struct ww_dhcp_stats *stats, const uint8_t *payload,
                                     size_t len, struct ww_dhcp_message *msg);

#endif
