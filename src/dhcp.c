/*
 * BOOTP/DHCP parser. See dhcp.h for what is read and what rejects a
 * message. One pass over the options, no allocation: the message struct
 * holds bounded copies of the few options we keep.
 */
#include "wormwatch/dhcp.h"

#include <string.h>

#include "wormwatch/bytes.h"

enum {
    OPT_PAD = 0,
    OPT_HOSTNAME = 12,
    OPT_REQUESTED_IP = 50,
    OPT_OVERLOAD = 52,
    OPT_MESSAGE_TYPE = 53,
    OPT_SERVER_ID = 54,
    OPT_CLIENT_ID = 61,
    OPT_END = 255
};

/* Bits of the options we keep, to catch a second copy. */
enum {
    SEEN_HOSTNAME = 1u << 0,
    SEEN_REQUESTED_IP = 1u << 1,
    SEEN_OVERLOAD = 1u << 2,
    SEEN_MESSAGE_TYPE = 1u << 3,
    SEEN_SERVER_ID = 1u << 4,
    SEEN_CLIENT_ID = 1u << 5
};

const char *ww_dhcp_malformed_name(enum ww_dhcp_malformed reason)
{
    static const char *const names[WW_DHCP_MALFORMED__COUNT] = {
        "ok",           "truncated_header", "bad_op",           "bad_hlen",
        "no_cookie",    "truncated_option", "bad_option_length", "bad_message_type",
        "duplicate_option"};
    return (unsigned)reason < WW_DHCP_MALFORMED__COUNT ? names[reason] : "unknown";
}

const char *ww_dhcp_type_name(uint8_t type)
{
    static const char *const names[] = {"none", "discover", "offer", "request", "decline",
                                        "ack",  "nak",      "release", "inform"};
    return type < sizeof names / sizeof names[0] ? names[type] : "other";
}

/* Copies option 12 if it is plain printable ASCII; false (nothing kept) if not. */
static bool take_hostname(struct ww_cursor *value, struct ww_dhcp_message *msg)
{
    size_t n = ww_remaining(value);
    /* Some clients count a NUL terminator in the length (RFC 2132 says not to). */
    uint8_t last;
    while (n > 0 && ww_peek_u8(value, n - 1, &last) && last == 0)
        n--;
    if (n == 0 || n > WW_DHCP_HOSTNAME_MAX)
        return false;
    const uint8_t *p = ww_take_bytes(value, n);
    if (!p)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return false;
    memcpy(msg->hostname, p, n);
    msg->hostname[n] = '\0';
    msg->hostname_len = (uint8_t)n;
    return true;
}

/* One option's value (already split off); WW_DHCP_OK or why not. */
static enum ww_dhcp_malformed take_option(struct ww_dhcp_stats *stats, uint8_t code,
                                          struct ww_cursor *value, unsigned *seen,
                                          struct ww_dhcp_message *msg)
{
    unsigned bit;
    switch (code) {
    case OPT_HOSTNAME: bit = SEEN_HOSTNAME; break;
    case OPT_REQUESTED_IP: bit = SEEN_REQUESTED_IP; break;
    case OPT_OVERLOAD: bit = SEEN_OVERLOAD; break;
    case OPT_MESSAGE_TYPE: bit = SEEN_MESSAGE_TYPE; break;
    case OPT_SERVER_ID: bit = SEEN_SERVER_ID; break;
    case OPT_CLIENT_ID: bit = SEEN_CLIENT_ID; break;
    default: return WW_DHCP_OK; /* not ours: its length was checked, that is all */
    }
    if (*seen & bit)
        return WW_DHCP_DUPLICATE_OPTION;
    *seen |= bit;
    size_t len = ww_remaining(value);
    switch (code) {
    case OPT_MESSAGE_TYPE:
        if (len != 1 || !ww_get_u8(value, &msg->type))
            return WW_DHCP_BAD_OPTION_LENGTH;
        if (msg->type == WW_DHCP_NO_TYPE || msg->type > WW_DHCP_TYPE_MAX)
            return WW_DHCP_BAD_MESSAGE_TYPE;
        return WW_DHCP_OK;
    case OPT_REQUESTED_IP:
        if (len != 4 || !ww_get_be32(value, &msg->requested_ip))
            return WW_DHCP_BAD_OPTION_LENGTH;
        msg->has_requested_ip = true;
        return WW_DHCP_OK;
    case OPT_SERVER_ID:
        if (len != 4 || !ww_get_be32(value, &msg->server_id))
            return WW_DHCP_BAD_OPTION_LENGTH;
        msg->has_server_id = true;
        return WW_DHCP_OK;
    case OPT_OVERLOAD:
        if (len != 1)
            return WW_DHCP_BAD_OPTION_LENGTH;
        msg->overload = true;
        stats->overload_ignored++;
        return WW_DHCP_OK;
    case OPT_CLIENT_ID: {
        if (len < 2)
            return WW_DHCP_BAD_OPTION_LENGTH;
        size_t keep = len < WW_DHCP_CLIENT_ID_MAX ? len : WW_DHCP_CLIENT_ID_MAX;
        const uint8_t *p = ww_take_bytes(value, keep);
        if (!p)
            return WW_DHCP_BAD_OPTION_LENGTH;
        memcpy(msg->client_id, p, keep);
        msg->client_id_len = (uint8_t)keep;
        return WW_DHCP_OK;
    }
    default: /* OPT_HOSTNAME */
        if (len == 0)
            return WW_DHCP_BAD_OPTION_LENGTH;
        if (!take_hostname(value, msg))
            stats->hostname_rejected++;
        return WW_DHCP_OK;
    }
}

static enum ww_dhcp_malformed parse(struct ww_dhcp_stats *stats, const uint8_t *payload,
                                    size_t len, struct ww_dhcp_message *msg)
{
    struct ww_cursor c = ww_cursor_make(payload, len);
    const uint8_t *h = ww_take_bytes(&c, WW_DHCP_FIXED_LEN);
    if (!h)
        return WW_DHCP_TRUNCATED_HEADER;
    /* op htype hlen hops | xid | secs flags | ciaddr | yiaddr | siaddr | giaddr | chaddr[16] */
    msg->op = h[0];
    msg->htype = h[1];
    msg->hlen = h[2];
    if (msg->op != 1 && msg->op != 2)
        return WW_DHCP_BAD_OP;
    if (msg->hlen > 16)
        return WW_DHCP_BAD_HLEN;
    msg->xid = ww_load_be32(h + 4);
    msg->ciaddr = ww_load_be32(h + 12);
    msg->yiaddr = ww_load_be32(h + 16);
    if (msg->htype == 1 && msg->hlen == 6) {
        msg->has_mac = true;
        memcpy(msg->mac, h + 28, 6);
    }
    uint32_t cookie;
    if (!ww_get_be32(&c, &cookie) || cookie != WW_DHCP_COOKIE)
        return WW_DHCP_NO_COOKIE;

    unsigned seen = 0;
    uint8_t code;
    while (ww_get_u8(&c, &code)) {
        if (code == OPT_PAD)
            continue;
        if (code == OPT_END) {
            msg->ended = true;
            break;
        }
        uint8_t olen;
        struct ww_cursor value;
        if (!ww_get_u8(&c, &olen) || !ww_take(&c, olen, &value))
            return WW_DHCP_TRUNCATED_OPTION;
        enum ww_dhcp_malformed why = take_option(stats, code, &value, &seen, msg);
        if (why != WW_DHCP_OK)
            return why;
    }
    if (!msg->ended)
        stats->no_end++;
    return WW_DHCP_OK;
}

enum ww_dhcp_malformed ww_dhcp_parse(struct ww_dhcp_stats *stats, const uint8_t *payload,
                                     size_t len, struct ww_dhcp_message *msg)
{
    memset(msg, 0, sizeof *msg);
    stats->messages++;
    /* Counters bumped inside parse() for a message later rejected are undone. */
    uint64_t hostname_rejected = stats->hostname_rejected, overload = stats->overload_ignored;
    enum ww_dhcp_malformed why = parse(stats, payload, len, msg);
    if (why != WW_DHCP_OK) {
        stats->hostname_rejected = hostname_rejected;
        stats->overload_ignored = overload;
        stats->malformed[why]++;
        memset(msg, 0, sizeof *msg);
        return why;
    }
    stats->parsed++;
    stats->by_type[msg->type]++;
    return WW_DHCP_OK;
}
