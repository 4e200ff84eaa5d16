/*
 * NetBIOS name service (RFC 1001/1002, UDP/137): the first name of a message
 * and, when the message says so, the IPv4 address that holds it.
 *
 * A Windows machine announces its own name: it registers it by broadcast
 * when it boots (opcode 5), refreshes it to a WINS server (8, or 9 as
 * Windows sends it), and answers queries for it (a positive name query
 * response). Those three carry an NB address record (NB_FLAGS then the
 * address); its group bit says whether the name is one machine's or a
 * group's (WORKGROUP<00>, the domain's <1C>). Only a unique name with
 * suffix 0x00 (workstation) or 0x20 (server) names a machine:
 * ww_nbns_names_machine(). Every other message still gives its first name
 * (a query's question), with no address.
 *
 * The name is read from its first-level encoding: a 32-byte label of
 * 'A'..'P' letters, two per byte (high nibble first), giving 16 bytes: 15
 * of name, space-padded, then the suffix byte. The scope ID after it is
 * skipped (bounded; no compression pointer in the first name). The record
 * that carries the address must be about that name: a pointer to it (as
 * everyone sends) or the same name again. A message breaking a rule is
 * counted under the rule and not used.
 */
#ifndef WW_NBNAME_H
#define WW_NBNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_NBNS_PORT 137
#define WW_NBNS_HEADER_LEN 12
#define WW_NBNAME_LEN 15 /* name bytes before the suffix */

#define WW_NBNS_OPCODE_QUERY 0
#define WW_NBNS_OPCODE_REGISTRATION 5
#define WW_NBNS_OPCODE_RELEASE 6
#define WW_NBNS_OPCODE_REFRESH 8
#define WW_NBNS_OPCODE_REFRESH_ALT 9 /* what Windows sends for a refresh */

#define WW_NBNS_TYPE_NB 0x0020     /* general name service record: NB_FLAGS + address */
#define WW_NBNS_TYPE_NBSTAT 0x0021 /* node status: the machine's name table */

#define WW_NB_FLAG_GROUP 0x8000u   /* G bit of NB_FLAGS */

#define WW_NBNAME_SUFFIX_WORKSTATION 0x00
#define WW_NBNAME_SUFFIX_SERVER 0x20
#define WW_NBNAME_SUFFIX_MASTER_BROWSER 0x1D
#define WW_NBNAME_SUFFIX_DOMAIN_MASTER 0x1B
#define WW_NBNAME_SUFFIX_DOMAIN_CONTROLLERS 0x1C
#define WW_NBNAME_SUFFIX_BROWSER_ELECTION 0x1E

/* Why a message was not used. Keep ww_nbns_malformed_name() in step. */
enum ww_nbns_malformed {
    WW_NBNS_OK,
    WW_NBNS_TRUNCATED_HEADER,     /* fewer than 12 bytes */
    WW_NBNS_NO_NAME,              /* no question, and no answer to read a name from */
    WW_NBNS_TRUNCATED_NAME,       /* the name runs past the capture */
    WW_NBNS_BAD_NAME_LENGTH,      /* first label not 32 bytes (or a pointer) */
    WW_NBNS_BAD_ENCODING,         /* a byte of the label outside 'A'..'P' */
    WW_NBNS_BAD_SCOPE,            /* a scope label with top bits set, or a name over 255 bytes */
    WW_NBNS_TRUNCATED_RECORD,     /* question or resource record cut short */
    WW_NBNS_RECORD_NAME_MISMATCH, /* the address record is about another name */
    WW_NBNS_BAD_RDATA_LENGTH,     /* an NB record whose RDATA is not a whole number of 6 bytes */
    WW_NBNS_MALFORMED__COUNT
};

/* One decoded NetBIOS name. */
struct ww_nbname {
    char name[WW_NBNAME_LEN + 1]; /* the 15 bytes, trailing spaces trimmed, NUL after */
    uint8_t len;                  /* bytes in name (it may hold a NUL, as "*\0\0...") */
    uint8_t suffix;               /* 16th byte: the service (WW_NBNAME_SUFFIX_*) */
    bool printable;               /* len > 0, every byte 0x20..0x7e, not starting with space */
};

struct ww_nbns_message {
    uint16_t id;
    bool response;     /* R bit */
    uint8_t opcode;    /* WW_NBNS_OPCODE_* */
    uint8_t nm_flags;  /* AA TC RD RA 0 0 B, as 7 bits */
    uint8_t rcode;     /* 0 = positive */
    uint16_t qdcount, ancount, nscount, arcount;
    bool name_from_answer; /* the name is the first answer's (no question) */
    struct ww_nbname name; /* the first name */
    uint16_t rr_type;      /* the question's or answer's type (WW_NBNS_TYPE_*) */
    bool has_address;      /* a registration, refresh or positive query response gave: */
    uint16_t nb_flags;     /*   NB_FLAGS of the (first) address entry */
    bool group;            /*   its group bit */
    uint32_t address;      /*   the IPv4 address holding the name (host order) */
    uint32_t ttl;          /*   the record's time to live (s) */
};

struct ww_nbns_stats {
    uint64_t messages;  /* payloads given */
    uint64_t parsed;    /* returned WW_NBNS_OK */
    uint64_t addressed; /* ... with an address (has_address) */
    uint64_t machines;  /* ... naming a machine (ww_nbns_names_machine) */
    uint64_t malformed[WW_NBNS_MALFORMED__COUNT]; /* by reason ([0] stays 0) */
};

const char *ww_nbns_malformed_name(enum ww_nbns_malformed reason);

/* Parses one UDP/137 payload into *msg and counts it; msg is complete on WW_NBNS_OK. */
enum ww_nbns_malformed ww_nbns_parse(struct ww_nbns_stats *stats, const uint8_t *payload,
                                     size_t len, struct ww_nbns_message *msg);

/*
 * Whether msg says which machine msg->address is: an address record for a
 * unique, printable name with suffix 0x00 or 0x20. The caller may also want
 * the address to be the packet's source (a registration broadcast for
 * another address is a WINS proxy's, or a lie).
 */
bool ww_nbns_names_machine(const struct ww_nbns_message *msg);

/*
 * Decodes a 32-byte first-level encoded label into *out; false if a byte is
 * outside 'A'..'P'. Public for the tests.
 */
bool ww_nbname_decode(const uint8_t encoded[32], struct ww_nbname *out);

#endif
