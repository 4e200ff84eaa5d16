/*
 * DNS messages (RFC 1035), as much as the DGA detector needs: the header and
 * the first question.
 *
 * A UDP payload to or from port 53 goes in, bytes and length as captured;
 * every read is bounds-checked (bytes.h). Names are followed through
 * compression pointers, but only backwards: each pointer must land before
 * the stretch of name it was read from, so no pointer can revisit a byte and
 * no chain can loop, and at most WW_DNS_MAX_POINTERS are followed as well.
 * Labels are at most 63 bytes, names at most 255 on the wire. A message that
 * breaks a rule is counted under the rule and not used.
 */
#ifndef WW_DNS_H
#define WW_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_DNS_PORT 53
#define WW_DNS_HEADER_LEN 12
#define WW_DNS_LABEL_MAX 63     /* bytes in a label */
#define WW_DNS_NAME_WIRE_MAX 255 /* bytes of a name on the wire, length bytes included */
#define WW_DNS_MAX_POINTERS 32  /* compression pointers followed in one name */
/*
 * The text of the longest name: every label byte escaped as \DDD, dots
 * between labels, NUL. Ordinary names are just lower-case letters, digits,
 * hyphens and dots.
 */
#define WW_DNS_NAME_TEXT_MAX 1024

#define WW_DNS_RCODE_NOERROR 0
#define WW_DNS_RCODE_NXDOMAIN 3

/* Why a message was not used. Keep ww_dns_malformed_name() in step. */
enum ww_dns_malformed {
    WW_DNS_OK,
    WW_DNS_TRUNCATED_HEADER,   /* fewer than 12 bytes */
    WW_DNS_TRUNCATED_NAME,     /* the name runs past the captured bytes */
    WW_DNS_BAD_LABEL_TYPE,     /* a length byte with top bits 01 or 10 (RFC 6891's dead ones) */
    WW_DNS_NAME_TOO_LONG,      /* more than 255 bytes on the wire */
    WW_DNS_BAD_POINTER,        /* a pointer forward, or into the name it is part of */
    WW_DNS_TOO_MANY_POINTERS,  /* more than WW_DNS_MAX_POINTERS in one name */
    WW_DNS_TRUNCATED_QUESTION, /* no room for the question's type and class */
    WW_DNS_MALFORMED__COUNT
};

/* The header and first question of one message. */
struct ww_dns_message {
    uint16_t id;
    bool response;       /* QR bit */
    uint8_t opcode;      /* 0 = query */
    bool authoritative;  /* AA */
    bool truncated;      /* TC: the answer did not fit */
    bool recursion_desired;
    uint8_t rcode;       /* low 4 bits of the response code (no EDNS extension) */
    uint16_t qdcount, ancount, nscount, arcount;
    bool has_question;   /* qdcount > 0 and the first question was read */
    char qname[WW_DNS_NAME_TEXT_MAX]; /* lower case, dotted, no final dot; "" = the root */
    size_t qname_len;    /* strlen(qname) */
    uint16_t qtype, qclass;
};

struct ww_dns_stats {
    uint64_t messages;     /* payloads given */
    uint64_t queries;      /* well formed, QR 0 */
    uint64_t responses;    /* well formed, QR 1 */
    uint64_t no_question;  /* well formed with qdcount 0 */
    uint64_t malformed[WW_DNS_MALFORMED__COUNT]; /* by reason ([0] stays 0) */
};

const char *ww_dns_malformed_name(enum ww_dns_malformed reason);

/*
 * Parses a payload into *msg and counts it. WW_DNS_OK if the header (and the
 * first question, if any) are well formed; msg is then complete.
 */
enum ww_dns_malformed ww_dns_parse(struct ww_dns_stats *stats, const uint8_t *payload, size_t len,
                                   struct ww_dns_message *msg);

/*
 * Reads the name at byte `offset` of a message of `len` bytes into `text`
 * (WW_DNS_NAME_TEXT_MAX bytes), its length into *text_len, and into *end the
 * offset just past the name where it started (past its first pointer, if it
 * has one). ww_dns_parse's name reader, public for the tests and for answers.
 */
enum ww_dns_malformed ww_dns_read_name(const uint8_t *msg, size_t len, size_t offset, char *text,
                                       size_t *text_len, size_t *end);

#endif
