/*
 * DNS header and first question, every byte through a bytes.h cursor.
 *
 * The name reader keeps two things that make hostile names cheap: where the
 * current stretch of labels began (a pointer must land strictly before it,
 * so the positions visited only ever decrease and nothing is read twice),
 * and the name's wire length so far (255 at most, counted as RFC 1035
 * counts it). The text is built as the labels go, lower-cased, with any
 * byte that is not a plain printable character, and the dot and backslash,
 * escaped as in zone files (\. \\ \DDD): a label holding a dot must not
 * read as two labels, or "fvqcih.net" in one label would pass for the
 * Conficker name it is not.
 */
#include "wormwatch/dns.h"

#include <stdio.h>
#include <string.h>

#include "wormwatch/bytes.h"

const char *ww_dns_malformed_name(enum ww_dns_malformed reason)
{
    static const char *const names[WW_DNS_MALFORMED__COUNT] = {
        [WW_DNS_OK] = "ok",
        [WW_DNS_TRUNCATED_HEADER] = "truncated_header",
        [WW_DNS_TRUNCATED_NAME] = "truncated_name",
        [WW_DNS_BAD_LABEL_TYPE] = "bad_label_type",
        [WW_DNS_NAME_TOO_LONG] = "name_too_long",
        [WW_DNS_BAD_POINTER] = "bad_pointer",
        [WW_DNS_TOO_MANY_POINTERS] = "too_many_pointers",
        [WW_DNS_TRUNCATED_QUESTION] = "truncated_question",
    };
    return (unsigned)reason < WW_DNS_MALFORMED__COUNT ? names[reason] : "unknown";
}

/* Appends one label byte as text; the buffer always has room (see dns.h). */
static size_t put_label_byte(char *text, size_t n, uint8_t b)
{
    if (b >= 'A' && b <= 'Z')
        b = (uint8_t)(b - 'A' + 'a');
    if (b == '.' || b == '\\') {
        text[n++] = '\\';
        text[n++] = (char)b;
    } else if (b < 0x21 || b > 0x7e) {
        n += (size_t)snprintf(text + n, 5, "\\%03u", b);
    } else {
        text[n++] = (char)b;
    }
    return n;
}

enum ww_dns_malformed ww_dns_read_name(const uint8_t *msg, size_t len, size_t offset, char *text,
                                       size_t *text_len, size_t *end)
{
    struct ww_cursor c = ww_cursor_make(msg, len);
    if (!ww_skip(&c, offset))
        return WW_DNS_TRUNCATED_NAME;
    size_t stretch_start = offset; /* a pointer must land before this */
    size_t wire = 0, n = 0, resume = 0;
    unsigned pointers = 0;
    for (;;) {
        uint8_t b;
        if (!ww_get_u8(&c, &b))
            return WW_DNS_TRUNCATED_NAME;
        if ((b & 0xC0) == 0xC0) {
            uint8_t low;
            if (!ww_get_u8(&c, &low))
                return WW_DNS_TRUNCATED_NAME;
            size_t target = ((size_t)(b & 0x3F) << 8) | low;
            if (pointers == 0)
                resume = c.pos;
            if (++pointers > WW_DNS_MAX_POINTERS)
                return WW_DNS_TOO_MANY_POINTERS;
            if (target >= stretch_start)
                return WW_DNS_BAD_POINTER;
            stretch_start = target;
            c.pos = target; /* below an offset already read: inside the message */
            continue;
        }
        if (b & 0xC0)
            return WW_DNS_BAD_LABEL_TYPE;
        wire += 1 + (size_t)b;
        if (wire > WW_DNS_NAME_WIRE_MAX || (b > 0 && wire == WW_DNS_NAME_WIRE_MAX))
            return WW_DNS_NAME_TOO_LONG; /* a label that leaves no byte for the root */
        if (b == 0)
            break;
        const uint8_t *label = ww_take_bytes(&c, b);
        if (!label)
            return WW_DNS_TRUNCATED_NAME;
        if (n)
            text[n++] = '.';
        for (uint8_t i = 0; i < b; i++)
            n = put_label_byte(text, n, label[i]);
    }
    text[n] = '\0';
    *text_len = n;
    *end = pointers ? resume : c.pos;
    return WW_DNS_OK;
}

static enum ww_dns_malformed parse(const uint8_t *payload, size_t len, struct ww_dns_message *msg)
{
    struct ww_cursor c = ww_cursor_make(payload, len);
    const uint8_t *h = ww_take_bytes(&c, WW_DNS_HEADER_LEN);
    if (!h)
        return WW_DNS_TRUNCATED_HEADER;
    uint16_t flags = ww_load_be16(h + 2);
    msg->id = ww_load_be16(h);
    msg->response = flags & 0x8000;
    msg->opcode = (uint8_t)((flags >> 11) & 0xF);
    msg->authoritative = flags & 0x0400;
    msg->truncated = flags & 0x0200;
    msg->recursion_desired = flags & 0x0100;
    msg->rcode = (uint8_t)(flags & 0xF);
    msg->qdcount = ww_load_be16(h + 4);
    msg->ancount = ww_load_be16(h + 6);
    msg->nscount = ww_load_be16(h + 8);
    msg->arcount = ww_load_be16(h + 10);
    msg->has_question = false;
    msg->qname[0] = '\0';
    msg->qname_len = 0;
    msg->qtype = msg->qclass = 0;
    if (msg->qdcount == 0)
        return WW_DNS_OK;
    size_t end;
    enum ww_dns_malformed r =
        ww_dns_read_name(payload, len, c.pos, msg->qname, &msg->qname_len, &end);
    if (r != WW_DNS_OK)
        return r;
    c.pos = end;
    const uint8_t *q = ww_take_bytes(&c, 4);
    if (!q)
        return WW_DNS_TRUNCATED_QUESTION;
    msg->qtype = ww_load_be16(q);
    msg->qclass = ww_load_be16(q + 2);
    msg->has_question = true;
    return WW_DNS_OK;
}

enum ww_dns_malformed ww_dns_parse(struct ww_dns_stats *stats, const uint8_t *payload, size_t len,
                                   struct ww_dns_message *msg)
{
    stats->messages++;
    enum ww_dns_malformed r = parse(payload, len, msg);
    if (r != WW_DNS_OK) {
        stats->malformed[r]++;
        return r;
    }
    if (msg->response)
        stats->responses++;
    else
        stats->queries++;
    if (msg->qdcount == 0)
        stats->no_question++;
    return WW_DNS_OK;
}
