/*
 * NetBIOS name service parser. See nbname.h for which messages give an
 * address. One forward pass: header, the first name, and (only when the
 * message may carry an address) the one record after it.
 */
#include "wormwatch/nbname.h"

#include <string.h>

#include "wormwatch/bytes.h"

#define NAME_WIRE_MAX 255 /* bytes of a name on the wire, length bytes included */
#define NB_ENTRY_LEN 6    /* NB_FLAGS (2) + address (4) */

const char *ww_nbns_malformed_name(enum ww_nbns_malformed reason)
{
    static const char *const names[WW_NBNS_MALFORMED__COUNT] = {
        "ok",          "truncated_header",    "no_name",          "truncated_name",
        "bad_name_length", "bad_encoding",    "bad_scope",        "truncated_record",
        "record_name_mismatch", "bad_rdata_length"};
    return (unsigned)reason < WW_NBNS_MALFORMED__COUNT ? names[reason] : "unknown";
}

bool ww_nbname_decode(const uint8_t encoded[32], struct ww_nbname *out)
{
    uint8_t raw[16];
    for (size_t i = 0; i < 16; i++) {
        uint8_t hi = encoded[2 * i], lo = encoded[2 * i + 1];
        if (hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P')
            return false;
        raw[i] = (uint8_t)((hi - 'A') << 4 | (lo - 'A'));
    }
    size_t len = WW_NBNAME_LEN;
    while (len > 0 && raw[len - 1] == ' ')
        len--;
    memset(out, 0, sizeof *out);
    memcpy(out->name, raw, len);
    out->len = (uint8_t)len;
    out->suffix = raw[15];
    out->printable = len > 0 && raw[0] != ' ';
    for (size_t i = 0; i < len; i++)
        if (raw[i] < 0x20 || raw[i] > 0x7e)
            out->printable = false;
    return true;
}

/*
 * Reads an encoded name (the 32-byte label, then the scope's labels up to
 * the root) at the cursor into *out.
 */
static enum ww_nbns_malformed read_name(struct ww_cursor *c, struct ww_nbname *out)
{
    uint8_t label;
    if (!ww_get_u8(c, &label))
        return WW_NBNS_TRUNCATED_NAME;
    if (label != 32)
        return WW_NBNS_BAD_NAME_LENGTH;
    const uint8_t *encoded = ww_take_bytes(c, 32);
    if (!encoded)
        return WW_NBNS_TRUNCATED_NAME;
    if (!ww_nbname_decode(encoded, out))
        return WW_NBNS_BAD_ENCODING;
    size_t wire = 33;
    for (;;) {
        if (!ww_get_u8(c, &label))
            return WW_NBNS_TRUNCATED_NAME;
        wire++;
        if (label == 0)
            return WW_NBNS_OK;
        if (label & 0xC0)
            return WW_NBNS_BAD_SCOPE;
        wire += label;
        if (wire > NAME_WIRE_MAX)
            return WW_NBNS_BAD_SCOPE;
        if (!ww_skip(c, label))
            return WW_NBNS_TRUNCATED_NAME;
    }
}

/* A record's owner name, which must be `expected` (a pointer to it or a copy). */
static enum ww_nbns_malformed read_owner(struct ww_cursor *c, size_t expected_offset,
                                         const struct ww_nbname *expected)
{
    uint8_t first;
    if (!ww_peek_u8(c, 0, &first))
        return WW_NBNS_TRUNCATED_RECORD;
    if ((first & 0xC0) == 0xC0) {
        uint16_t pointer;
        if (!ww_get_be16(c, &pointer))
            return WW_NBNS_TRUNCATED_RECORD;
        return (size_t)(pointer & 0x3FFF) == expected_offset ? WW_NBNS_OK
                                                              : WW_NBNS_RECORD_NAME_MISMATCH;
    }
    struct ww_nbname owner;
    enum ww_nbns_malformed why = read_name(c, &owner);
    if (why != WW_NBNS_OK)
        return why;
    if (owner.len != expected->len || owner.suffix != expected->suffix ||
        memcmp(owner.name, expected->name, owner.len) != 0)
        return WW_NBNS_RECORD_NAME_MISMATCH;
    return WW_NBNS_OK;
}

/* The rest of a resource record after its owner: type, class, TTL, RDATA. */
static enum ww_nbns_malformed read_record_body(struct ww_cursor *c, bool want_address,
                                               struct ww_nbns_message *msg)
{
    const uint8_t *fixed = ww_take_bytes(c, 10);
    if (!fixed)
        return WW_NBNS_TRUNCATED_RECORD;
    msg->rr_type = ww_load_be16(fixed);
    uint32_t ttl = ww_load_be32(fixed + 4);
    uint16_t rdlength = ww_load_be16(fixed + 8);
    struct ww_cursor rdata;
    if (!ww_take(c, rdlength, &rdata))
        return WW_NBNS_TRUNCATED_RECORD;
    if (msg->rr_type != WW_NBNS_TYPE_NB)
        return WW_NBNS_OK; /* NBSTAT and others: a name, no address */
    if (!want_address)
        return WW_NBNS_OK; /* a negative answer has no RDATA at all */
    if (rdlength == 0 || rdlength % NB_ENTRY_LEN != 0)
        return WW_NBNS_BAD_RDATA_LENGTH;
    /* Several entries are a group's members or a multi-homed host: the first names it. */
    if (!ww_get_be16(&rdata, &msg->nb_flags) || !ww_get_be32(&rdata, &msg->address))
        return WW_NBNS_BAD_RDATA_LENGTH;
    msg->group = (msg->nb_flags & WW_NB_FLAG_GROUP) != 0;
    msg->ttl = ttl;
    msg->has_address = true;
    return WW_NBNS_OK;
}

static bool registers_itself(const struct ww_nbns_message *msg)
{
    return !msg->response &&
           (msg->opcode == WW_NBNS_OPCODE_REGISTRATION || msg->opcode == WW_NBNS_OPCODE_REFRESH ||
            msg->opcode == WW_NBNS_OPCODE_REFRESH_ALT);
}

static enum ww_nbns_malformed parse(const uint8_t *payload, size_t len,
                                    struct ww_nbns_message *msg)
{
    struct ww_cursor c = ww_cursor_make(payload, len);
    const uint8_t *h = ww_take_bytes(&c, WW_NBNS_HEADER_LEN);
    if (!h)
        return WW_NBNS_TRUNCATED_HEADER;
    msg->id = ww_load_be16(h);
    uint16_t flags = ww_load_be16(h + 2);
    msg->response = (flags & 0x8000) != 0;
    msg->opcode = (uint8_t)(flags >> 11 & 0xF);
    msg->nm_flags = (uint8_t)(flags >> 4 & 0x7F);
    msg->rcode = (uint8_t)(flags & 0xF);
    msg->qdcount = ww_load_be16(h + 4);
    msg->ancount = ww_load_be16(h + 6);
    msg->nscount = ww_load_be16(h + 8);
    msg->arcount = ww_load_be16(h + 10);

    size_t name_offset = c.pos;
    if (msg->qdcount > 0) {
        enum ww_nbns_malformed why = read_name(&c, &msg->name);
        if (why != WW_NBNS_OK)
            return why;
        uint16_t qtype, qclass;
        if (!ww_get_be16(&c, &qtype) || !ww_get_be16(&c, &qclass))
            return WW_NBNS_TRUNCATED_RECORD;
        msg->rr_type = qtype;
        /* A registration or refresh: its one additional record is the claim. */
        if (!registers_itself(msg) || msg->qdcount != 1 || msg->ancount != 0 ||
            msg->nscount != 0 || msg->arcount == 0)
            return WW_NBNS_OK;
        why = read_owner(&c, name_offset, &msg->name);
        if (why != WW_NBNS_OK)
            return why;
        return read_record_body(&c, true, msg);
    }
    if (msg->ancount == 0)
        return WW_NBNS_NO_NAME;
    msg->name_from_answer = true;
    enum ww_nbns_malformed why = read_name(&c, &msg->name);
    if (why != WW_NBNS_OK)
        return why;
    bool positive_answer = msg->response && msg->opcode == WW_NBNS_OPCODE_QUERY && msg->rcode == 0;
    return read_record_body(&c, positive_answer, msg);
}

enum ww_nbns_malformed ww_nbns_parse(struct ww_nbns_stats *stats, const uint8_t *payload,
                                     size_t len, struct ww_nbns_message *msg)
{
    memset(msg, 0, sizeof *msg);
    stats->messages++;
    enum ww_nbns_malformed why = parse(payload, len, msg);
    if (why != WW_NBNS_OK) {
        stats->malformed[why]++;
        memset(msg, 0, sizeof *msg);
        return why;
    }
    stats->parsed++;
    if (msg->has_address)
        stats->addressed++;
    if (ww_nbns_names_machine(msg))
        stats->machines++;
    return WW_NBNS_OK;
}

bool ww_nbns_names_machine(const struct ww_nbns_message *msg)
{
    return msg->has_address && !msg->group && msg->name.printable &&
           (msg->name.suffix == WW_NBNAME_SUFFIX_WORKSTATION ||
            msg->name.suffix == WW_NBNAME_SUFFIX_SERVER);
}
