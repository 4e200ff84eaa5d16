/*
 * Frame decoder: link layer, VLAN stack, IPv4 (options, fragments), IPv6
 * (counted only), TCP, UDP, ICMP errors, NBNS header.
 *
 * Structure follows the protocol stack: each layer takes a cursor over the
 * bytes it owns and either fills its part of ww_packet or returns the reason
 * it gave up. Counting happens once, in ww_decode().
 *
 * A frame captured shorter than it was on the wire (tcpdump's old 68-byte
 * default, -s 54) is not a lie: what it holds whole is used, what was cut
 * is marked in pkt->cut and never guessed. The fixed TCP header gives ports,
 * flags and window without its options; a cut inside a header we need skips
 * the frame, counted as cut rather than invalid.
 */
#include "wormwatch/decode.h"

#include <string.h>

#include "wormwatch/bytes.h"

/* libpcap DLT_ numbers (stable across platforms except RAW, which is 12 or 14). */
#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_BSD 12
#define DLT_RAW_OPENBSD 14
#define LINKTYPE_RAW_ 101
#define DLT_LOOP_ 108
#define DLT_LINUX_SLL_ 113
#define DLT_IPV4_ 228
#define DLT_LINUX_SLL2_ 276

#define SLL_HEADER_LEN 16
#define SLL2_HEADER_LEN 20

enum ww_link ww_link_from_dlt(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB_: return WW_LINK_ETHERNET;
    case DLT_LINUX_SLL_: return WW_LINK_SLL;
    case DLT_LINUX_SLL2_: return WW_LINK_SLL2;
    case DLT_RAW_BSD:
    case DLT_RAW_OPENBSD:
    case LINKTYPE_RAW_:
    case DLT_IPV4_: return WW_LINK_RAW;
    case DLT_NULL_: return WW_LINK_NULL;
    case DLT_LOOP_: return WW_LINK_LOOP;
    default: return WW_LINK_UNSUPPORTED;
    }
}

const char *ww_link_name(enum ww_link link)
{
    static const char *const names[WW_LINK__COUNT] = {
        "ethernet", "sll", "sll2", "raw", "null", "loop", "unsupported"};
    return (unsigned)link < WW_LINK__COUNT ? names[link] : "unsupported";
}

const char *ww_cut_name(enum ww_cut what)
{
    static const char *const names[WW_CUT__COUNT] = {"headers", "tcp_window", "tcp_options",
                                                     "nbns_question"};
    return (unsigned)what < WW_CUT__COUNT ? names[what] : "unknown";
}

/* Whether the snap length cut this frame (a short read is then no lie). */
static bool snapped(const struct ww_packet *pkt)
{
    return pkt->cap_len < pkt->wire_len;
}

const char *ww_invalid_reason_name(enum ww_invalid reason)
{
    static const char *const names[WW_INVALID__COUNT] = {
        "none",           "empty",          "link_truncated",  "vlan_too_deep",
        "link_unsupported", "ipv4_truncated", "ipv4_version",  "ipv4_header_length",
        "ipv4_total_length", "ipv6_truncated", "tcp_truncated", "tcp_header_length",
        "udp_truncated",  "udp_length",     "icmp_truncated",  "nbns_malformed",
        "arp_truncated"};
    return (unsigned)reason < WW_INVALID__COUNT ? names[reason] : "unknown";
}

/* --- transport ------------------------------------------------------------ */

/* segment_len: TCP bytes the IP header promises (more than captured, maybe). */
#define TCP_THROUGH_FLAGS 14 /* bytes of the TCP header up to and including the flags */

static enum ww_invalid decode_tcp(struct ww_cursor *c, size_t segment_len, struct ww_packet *pkt)
{
    const uint8_t *h = ww_take_bytes(c, 20);
    if (!h) {
        h = ww_take_bytes(c, TCP_THROUGH_FLAGS);
        if (!h || !snapped(pkt))
            return WW_INVALID_TCP_TRUNCATED;
        pkt->cut |= WW_CUT_BIT(WW_CUT_TCP_WINDOW) | WW_CUT_BIT(WW_CUT_TCP_OPTIONS);
    }
    size_t header_len = (size_t)(h[12] >> 4) * 4;
    if (header_len < 20 || header_len > segment_len)
        return WW_INVALID_TCP_HLEN;
    pkt->sport = ww_load_be16(h);
    pkt->dport = ww_load_be16(h + 2);
    pkt->tcp_seq = ww_load_be32(h + 4);
    pkt->tcp_flags = h[13];
    pkt->has_l4 = true;
    if (pkt->cut)
        return WW_INVALID_NONE;
    pkt->tcp_window = ww_load_be16(h + 14);
    const uint8_t *options = ww_take_bytes(c, header_len - 20);
    if (!options) {
        if (!snapped(pkt))
            return WW_INVALID_TCP_TRUNCATED;
        pkt->cut |= WW_CUT_BIT(WW_CUT_TCP_OPTIONS);
        return WW_INVALID_NONE;
    }
    pkt->tcp_options = options;
    pkt->tcp_options_len = (uint8_t)(header_len - 20);
    pkt->payload = c->data + c->pos;
    pkt->payload_len = (uint32_t)ww_remaining(c);
    pkt->payload_wire_len = (uint32_t)(segment_len - header_len);
    return WW_INVALID_NONE;
}

/* Skips one encoded NetBIOS name (length-prefixed labels, maybe a pointer). */
static bool skip_nbns_name(struct ww_cursor *c)
{
    for (int labels = 0; labels < 64; labels++) {
        uint8_t len;
        if (!ww_get_u8(c, &len))
            return false;
        if (len == 0)
            return true;
        if ((len & 0xC0) == 0xC0) /* compression pointer ends the name */
            return ww_skip(c, 1);
        if (len > 63 || !ww_skip(c, len))
            return false;
    }
    return false;
}

/* `cut_short`: the datagram was captured short, so running out is no malformation. */
static enum ww_invalid decode_nbns(struct ww_cursor *c, struct ww_nbns *nb, bool cut_short,
                                   uint8_t *cut)
{
    uint16_t flags, ancount, nscount, arcount;
    if (!ww_get_be16(c, &nb->trn_id) || !ww_get_be16(c, &flags) || !ww_get_be16(c, &nb->qdcount) ||
        !ww_get_be16(c, &ancount) || !ww_get_be16(c, &nscount) || !ww_get_be16(c, &arcount)) {
        if (!cut_short)
            return WW_INVALID_NBNS_MALFORMED;
        *cut |= WW_CUT_BIT(WW_CUT_HEADERS);
        return WW_INVALID_NONE;
    }
    nb->response = (flags & 0x8000) != 0;
    nb->opcode = (uint8_t)((flags >> 11) & 0x0F);
    nb->broadcast = (flags & 0x0010) != 0;
    nb->qtype = 0;
    if (nb->qdcount > 0) {
        struct ww_cursor question = *c;
        if (!skip_nbns_name(&question) || !ww_get_be16(&question, &nb->qtype)) {
            /* A name that runs past what was captured was cut; past the datagram, a lie. */
            nb->qtype = 0;
            if (!cut_short)
                return WW_INVALID_NBNS_MALFORMED;
            *cut |= WW_CUT_BIT(WW_CUT_NBNS_QUESTION);
        }
    }
    return WW_INVALID_NONE;
}

static enum ww_invalid decode_udp(struct ww_cursor *c, struct ww_packet *pkt)
{
    const uint8_t *h = ww_take_bytes(c, 8);
    if (!h)
        return WW_INVALID_UDP_TRUNCATED;
    pkt->sport = ww_load_be16(h);
    pkt->dport = ww_load_be16(h + 2);
    uint16_t length = ww_load_be16(h + 4);
    if (length < 8)
        return WW_INVALID_UDP_LEN;
    pkt->has_l4 = true;
    /* The payload is what the UDP length says, if that much was captured. */
    pkt->payload = c->data + c->pos;
    pkt->payload_wire_len = (uint32_t)length - 8;
    pkt->payload_len = (uint32_t)(ww_remaining(c) < pkt->payload_wire_len ? ww_remaining(c)
                                                                           : pkt->payload_wire_len);
    if (pkt->sport != WW_NBNS_PORT && pkt->dport != WW_NBNS_PORT)
        return WW_INVALID_NONE;
    struct ww_cursor payload = *c;
    bool cut_short = ww_remaining(&payload) < (size_t)length - 8 && snapped(pkt);
    if (ww_remaining(&payload) > (size_t)length - 8)
        payload.len = payload.pos + (size_t)length - 8;
    enum ww_invalid why = decode_nbns(&payload, &pkt->nbns, cut_short, &pkt->cut);
    if (why == WW_INVALID_NONE && !(pkt->cut & WW_CUT_BIT(WW_CUT_HEADERS)))
        pkt->has_nbns = true;
    return why;
}

/* ICMP destination unreachable: remember which probe it refuses. */
static enum ww_invalid decode_icmp(struct ww_cursor *c, struct ww_packet *pkt)
{
    uint8_t type, code, vhl, proto;
    if (!ww_get_u8(c, &type) || !ww_get_u8(c, &code) || !ww_skip(c, 6))
        return WW_INVALID_ICMP_TRUNCATED;
    pkt->has_l4 = true;
    if (type != 3)
        return WW_INVALID_NONE;
    struct ww_icmp_quote *q = &pkt->icmp_quote;
    /* A quote too short to name the probe is legal ICMP, just useless to us. */
    if (!ww_peek_u8(c, 0, &vhl) || (vhl >> 4) != 4 || (vhl & 0x0F) < 5)
        return WW_INVALID_NONE;
    size_t ihl = (size_t)(vhl & 0x0F) * 4;
    struct ww_cursor quoted = *c;
    if (!ww_skip(&quoted, 9) || !ww_get_u8(&quoted, &proto) || !ww_skip(&quoted, 2) ||
        !ww_get_be32(&quoted, &q->src) || !ww_get_be32(&quoted, &q->dst) ||
        !ww_skip(&quoted, ihl - 20) || !ww_get_be16(&quoted, &q->sport) ||
        !ww_get_be16(&quoted, &q->dport))
        return WW_INVALID_NONE;
    q->type = type;
    q->code = code;
    q->proto = proto;
    pkt->has_icmp_quote = true;
    return WW_INVALID_NONE;
}

/* --- network -------------------------------------------------------------- */

static enum ww_invalid decode_ipv4(struct ww_decode_stats *st, struct ww_cursor *c,
                                   struct ww_packet *pkt)
{
    uint8_t vhl;
    size_t start = c->pos;
    if (!ww_peek_u8(c, 0, &vhl))
        return WW_INVALID_IPV4_TRUNCATED;
    if ((vhl >> 4) != 4)
        return WW_INVALID_IPV4_VERSION;
    size_t header_len = (size_t)(vhl & 0x0F) * 4;
    if (header_len < 20)
        return WW_INVALID_IPV4_HLEN;
    const uint8_t *h = ww_take_bytes(c, header_len);
    if (!h)
        return WW_INVALID_IPV4_TRUNCATED;
    uint16_t total_len = ww_load_be16(h + 2), frag = ww_load_be16(h + 6);
    uint8_t ttl = h[8], proto = h[9];
    if (total_len < header_len)
        return WW_INVALID_IPV4_TOTLEN;
    pkt->ip_id = ww_load_be16(h + 4);
    pkt->src = ww_load_be32(h + 12);
    pkt->dst = ww_load_be32(h + 16);
    /* Trim link padding; a snap length shorter than the packet is not an error. */
    if (c->len - start > total_len)
        c->len = start + total_len;

    pkt->ip_version = 4;
    pkt->ttl = ttl;
    pkt->df = (frag & 0x4000) != 0;
    pkt->proto = proto;
    st->ipv4++;
    bool more_fragments = (frag & 0x2000) != 0;
    uint16_t offset = frag & 0x1FFF;
    if (more_fragments || offset) {
        st->fragments++;
        if (offset) { /* only the first fragment carries the transport header */
            pkt->later_fragment = true;
            return WW_INVALID_NONE;
        }
    }
    switch (proto) {
    case WW_IPPROTO_TCP: st->tcp++; return decode_tcp(c, (size_t)total_len - header_len, pkt);
    case WW_IPPROTO_UDP: st->udp++; return decode_udp(c, pkt);
    case WW_IPPROTO_ICMP: st->icmp++; return decode_icmp(c, pkt);
    default: return WW_INVALID_NONE;
    }
}

/* IPv6 is counted; detection is IPv4-only for now (README says so). */
static enum ww_invalid decode_ipv6(struct ww_decode_stats *st, struct ww_cursor *c,
                                   struct ww_packet *pkt)
{
    if (!ww_skip(c, 40))
        return WW_INVALID_IPV6_TRUNCATED;
    pkt->ip_version = 6;
    st->ipv6++;
    return WW_INVALID_NONE;
}

static enum ww_invalid decode_by_ip_version(struct ww_decode_stats *st, struct ww_cursor *c,
                                            struct ww_packet *pkt)
{
    uint8_t vhl;
    if (!ww_peek_u8(c, 0, &vhl))
        return WW_INVALID_IPV4_TRUNCATED;
    if ((vhl >> 4) == 6)
        return decode_ipv6(st, c, pkt);
    return decode_ipv4(st, c, pkt);
}

/* ARP for IPv4 over a 6-byte hardware address; other ARP is just counted. */
static enum ww_invalid decode_arp(struct ww_decode_stats *st, struct ww_cursor *c,
                                  struct ww_packet *pkt)
{
    uint16_t htype, ptype;
    uint8_t hlen, plen;
    struct ww_arp *a = &pkt->arp;
    if (!ww_get_be16(c, &htype) || !ww_get_be16(c, &ptype) || !ww_get_u8(c, &hlen) ||
        !ww_get_u8(c, &plen) || !ww_get_be16(c, &a->op))
        return WW_INVALID_ARP_TRUNCATED;
    if (ptype != WW_ETHERTYPE_IPV4 || hlen != 6 || plen != 4) {
        st->other_l3++;
        return WW_INVALID_NONE;
    }
    a->sender_mac = ww_take_bytes(c, 6);
    if (!a->sender_mac || !ww_get_be32(c, &a->sender) || !ww_skip(c, 6) ||
        !ww_get_be32(c, &a->target))
        return WW_INVALID_ARP_TRUNCATED;
    st->arp++;
    pkt->has_arp = true;
    return WW_INVALID_NONE;
}

/* --- link ----------------------------------------------------------------- */

/* Walks any stack of 802.1Q/802.1ad tags, then dispatches on the inner type. */
static enum ww_invalid decode_ethertype(struct ww_decode_stats *st, struct ww_cursor *c,
                                        uint16_t type, struct ww_packet *pkt)
{
    while (ww_is_vlan_ethertype(type)) {
        if (pkt->vlan_depth == WW_MAX_VLAN_TAGS)
            return WW_INVALID_VLAN_TOO_DEEP;
        const uint8_t *tag = ww_take_bytes(c, 4);
        if (!tag)
            return WW_INVALID_LINK_TRUNCATED;
        uint16_t tci = ww_load_be16(tag);
        type = ww_load_be16(tag + 2);
        if (pkt->vlan_depth++ == 0) {
            pkt->vlan_outer = tci & 0x0FFF;
            st->vlan_tagged++;
        }
    }
    switch (type) {
    case WW_ETHERTYPE_IPV4: return decode_ipv4(st, c, pkt);
    case WW_ETHERTYPE_IPV6: return decode_ipv6(st, c, pkt);
    case WW_ETHERTYPE_ARP: return decode_arp(st, c, pkt);
    default: st->other_l3++; return WW_INVALID_NONE;
    }
}

static enum ww_invalid decode_ethernet(struct ww_decode_stats *st, struct ww_cursor *c,
                                       struct ww_packet *pkt)
{
    const uint8_t *h = ww_take_bytes(c, 14);
    if (!h)
        return WW_INVALID_LINK_TRUNCATED;
    pkt->l2_group = (h[0] & 0x01) != 0; /* I/G bit: broadcast or multicast */
    pkt->eth_src = h + 6;
    return decode_ethertype(st, c, ww_load_be16(h + 12), pkt);
}

static enum ww_invalid decode_sll(struct ww_decode_stats *st, struct ww_cursor *c,
                                  struct ww_packet *pkt)
{
    uint16_t packet_type, type;
    if (!ww_get_be16(c, &packet_type) || !ww_skip(c, 12) || !ww_get_be16(c, &type))
        return WW_INVALID_LINK_TRUNCATED;
    pkt->l2_group = packet_type == 1 || packet_type == 2; /* broadcast, multicast */
    return decode_ethertype(st, c, type, pkt);
}

static enum ww_invalid decode_sll2(struct ww_decode_stats *st, struct ww_cursor *c,
                                   struct ww_packet *pkt)
{
    uint16_t type;
    uint8_t packet_type;
    if (!ww_get_be16(c, &type) || !ww_skip(c, 8) || !ww_get_u8(c, &packet_type) ||
        !ww_skip(c, 9))
        return WW_INVALID_LINK_TRUNCATED;
    pkt->l2_group = packet_type == 1 || packet_type == 2;
    return decode_ethertype(st, c, type, pkt);
}

/* BSD loopback: a 4-byte address family, host order (NULL) or network order (LOOP). */
static enum ww_invalid decode_null(struct ww_decode_stats *st, struct ww_cursor *c,
                                   struct ww_packet *pkt, bool network_order)
{
    uint32_t family;
    bool ok = network_order ? ww_get_be32(c, &family) : ww_get_le32(c, &family);
    if (!ok)
        return WW_INVALID_LINK_TRUNCATED;
    /* The capturing host's byte order is unknown: accept either order. */
    if (!network_order && (family & 0xFFFF) == 0)
        family = ((family >> 24) & 0xFF) | ((family >> 8) & 0xFF00);
    switch (family) {
    case 2: return decode_ipv4(st, c, pkt);                         /* AF_INET everywhere */
    case 10: case 24: case 28: case 30: return decode_ipv6(st, c, pkt); /* AF_INET6 by OS */
    default: st->other_l3++; return WW_INVALID_NONE;
    }
}

static enum ww_invalid decode_link(struct ww_decode_stats *st, enum ww_link link,
                                   struct ww_cursor *c, struct ww_packet *pkt)
{
    switch (link) {
    case WW_LINK_ETHERNET: return decode_ethernet(st, c, pkt);
    case WW_LINK_SLL: return decode_sll(st, c, pkt);
    case WW_LINK_SLL2: return decode_sll2(st, c, pkt);
    case WW_LINK_RAW: return decode_by_ip_version(st, c, pkt);
    case WW_LINK_NULL: return decode_null(st, c, pkt, false);
    case WW_LINK_LOOP: return decode_null(st, c, pkt, true);
    default: return WW_INVALID_LINK_UNSUPPORTED;
    }
}

/* The reasons that only say the bytes ran out: a cut, when the frame was captured short. */
static bool cut_short_reason(enum ww_invalid why)
{
    switch (why) {
    case WW_INVALID_LINK_TRUNCATED:
    case WW_INVALID_IPV4_TRUNCATED:
    case WW_INVALID_IPV6_TRUNCATED:
    case WW_INVALID_TCP_TRUNCATED:
    case WW_INVALID_UDP_TRUNCATED:
    case WW_INVALID_ICMP_TRUNCATED:
    case WW_INVALID_ARP_TRUNCATED: return true;
    default: return false;
    }
}

void ww_decode_stats_fold(struct ww_decode_stats *stats)
{
    uint64_t n = stats->dropped_tcp;
    stats->packets += n;
    stats->link[WW_LINK_ETHERNET] += n;
    stats->ipv4 += n;
    stats->tcp += n;
    stats->dropped_tcp = 0;
}

enum ww_decode_result ww_decode(struct ww_decode_stats *stats, enum ww_link link, uint64_t ts_ns,
                                const uint8_t *frame, uint32_t cap_len, uint32_t wire_len,
                                struct ww_packet *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->ts_ns = ts_ns;
    pkt->cap_len = cap_len;
    pkt->wire_len = wire_len;
    pkt->link = link;
    stats->packets++;
    stats->bytes += wire_len;
    stats->link[(unsigned)link < WW_LINK__COUNT ? link : WW_LINK_UNSUPPORTED]++;

    enum ww_invalid why = WW_INVALID_EMPTY;
    if (cap_len > 0 && frame) {
        struct ww_cursor c = ww_cursor_make(frame, cap_len);
        why = decode_link(stats, link, &c, pkt);
    }
    if (cap_len < wire_len) { /* rare but for short snap lengths: kept off the common path */
        stats->cut++;
        if (why != WW_INVALID_NONE && cut_short_reason(why)) {
            /* Cut inside a header: whatever the layers above it filled is kept. */
            pkt->cut |= WW_CUT_BIT(WW_CUT_HEADERS);
            why = WW_INVALID_NONE;
        }
        for (int what = 0; what < WW_CUT__COUNT && why == WW_INVALID_NONE; what++)
            stats->cut_lost[what] += (pkt->cut >> what) & 1;
    }
    if (why != WW_INVALID_NONE) {
        stats->invalid[why]++;
        return WW_DECODED_INVALID;
    }
    if (pkt->ip_version == 4)
        return WW_DECODED_IPV4;
    return pkt->has_arp ? WW_DECODED_ARP : WW_DECODED_OTHER;
}
