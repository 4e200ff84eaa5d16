/*
 * Triage (see triage.h), past its inline first test: the layers one by
 * one, in the order of the bytes, each giving up to the decoder at the
 * first thing it does not expect: triage is allowed to be incomplete, never
 * to differ.
 */
#include "wormwatch/triage.h"

#include "wormwatch/bytes.h"
#include "wormwatch/dga.h"
#include "wormwatch/dns.h"

#define TRIAGE_MAX_TAGS 2 /* deeper stacks are the decoder's (it counts the limit) */

/* What a dropped frame adds to the counters, on top of packets, bytes and link. */
enum dropped_as { AS_TCP, AS_UDP, AS_OTHER_IPV4, AS_IPV6, AS_OTHER_L3 };

static inline bool udp_wanted(const struct ww_interest *w, const uint8_t *h)
{
    uint16_t sport = ww_load_be16(h), dport = ww_load_be16(h + 2);
    if (ww_port_bit(w->udp_ports, sport) || ww_port_bit(w->udp_ports, dport))
        return true;
    return w->p2p && (!ww_p2p_port_excluded(dport) || !ww_p2p_port_excluded(sport));
}

/*
 * The IPv4 packet at the cursor: true with *as set when it may be dropped.
 * NBNS always goes to the decoder: only it can tell a malformed one.
 */
static inline bool ipv4_droppable(const struct ww_interest *w, struct ww_cursor *c,
                                  enum dropped_as *as)
{
    const uint8_t *ip = ww_take_bytes(c, 20);
    if (!ip || ip[0] != 0x45) /* options, or not IPv4: rare, the decoder's */
        return false;
    uint32_t total_len = ww_load_be16(ip + 2);
    if (total_len < 20 || (ip[6] & 0x3F) || ip[7]) /* a lie, or a fragment */
        return false;
    uint32_t segment = total_len - 20;
    if (ip[9] == WW_IPPROTO_TCP) {
        const uint8_t *h = ww_take_bytes(c, 20);
        if (!h)
            return false;
        uint32_t header_len = (uint32_t)(h[12] >> 4) * 4;
        /* A bad data offset, or options the snap length cut, are the decoder's to count. */
        if (header_len < 20 || header_len > segment || !ww_skip(c, header_len - 20))
            return false;
        *as = AS_TCP;
        return !ww_triage_tcp_wanted(w, ww_load_be32(ip + 12), ww_load_be32(ip + 16), h,
                                     segment > header_len);
    }
    if (ip[9] == WW_IPPROTO_UDP) {
        const uint8_t *h = ww_take_bytes(c, 8);
        if (!h || segment < 8 || ww_load_be16(h + 4) < 8 || ww_load_be16(h) == WW_NBNS_PORT ||
            ww_load_be16(h + 2) == WW_NBNS_PORT)
            return false;
        *as = AS_UDP;
        uint16_t sport = ww_load_be16(h), dport = ww_load_be16(h + 2);
        if (w->dns_shape && (sport == WW_DNS_PORT || dport == WW_DNS_PORT)) {
            /* The message as the decoder bounds it: by the IP and the UDP lengths. */
            size_t n = ww_remaining(c), udp_len = (size_t)ww_load_be16(h + 4) - 8;
            if (n > segment - 8)
                n = segment - 8;
            if (n > udp_len)
                n = udp_len;
            const uint8_t *message = ww_take_bytes(c, n);
            if (message && ww_dga_wire_candidate(message, n))
                return false;
            if (w->dns_dropped)
                (*w->dns_dropped)++;
            return true;
        }
        return !udp_wanted(w, h);
    }
    if (ip[9] == WW_IPPROTO_ICMP) /* unreachables answer probes */
        return false;
    *as = AS_OTHER_IPV4;
    return true;
}

/* The network layer by its ethertype. */
static inline bool l3_droppable(const struct ww_interest *w, struct ww_cursor *c, uint16_t type,
                                enum dropped_as *as)
{
    if (type == WW_ETHERTYPE_IPV4)
        return ipv4_droppable(w, c, as);
    if (type == WW_ETHERTYPE_IPV6) {
        *as = AS_IPV6;
        return ww_skip(c, 40);
    }
    if (type == WW_ETHERTYPE_ARP || ww_is_vlan_ethertype(type)) /* a tag here is past TRIAGE_MAX_TAGS */
        return false;
    *as = AS_OTHER_L3;
    return true;
}

/* The link header: false when the decoder must judge the frame. */
static inline bool link_type(enum ww_link link, struct ww_cursor *c, uint16_t *type, bool *tagged)
{
    const uint8_t *h;
    switch (link) {
    case WW_LINK_ETHERNET:
        if (!(h = ww_take_bytes(c, 14)))
            return false;
        *type = ww_load_be16(h + 12);
        if (*type == WW_ETHERTYPE_IPV4)
            return true;
        for (int tags = 0; tags < TRIAGE_MAX_TAGS && ww_is_vlan_ethertype(*type); tags++) {
            if (!(h = ww_take_bytes(c, 4)))
                return false;
            *type = ww_load_be16(h + 2);
            *tagged = true;
        }
        return true;
    case WW_LINK_SLL:
        if (!(h = ww_take_bytes(c, 16)))
            return false;
        *type = ww_load_be16(h + 14);
        return !ww_is_vlan_ethertype(*type);
    case WW_LINK_SLL2:
        if (!(h = ww_take_bytes(c, 20)))
            return false;
        *type = ww_load_be16(h);
        return !ww_is_vlan_ethertype(*type);
    case WW_LINK_RAW: {
        uint8_t vhl;
        if (!ww_peek_u8(c, 0, &vhl))
            return false;
        *type = (vhl >> 4) == 6 ? WW_ETHERTYPE_IPV6 : WW_ETHERTYPE_IPV4;
        return true;
    }
    default: return false; /* BSD loopback and the rest: rare */
    }
}

enum ww_triage_result ww_triage_layers(struct ww_decode_stats *stats,
                                       const struct ww_interest *want, enum ww_link link,
                                       const uint8_t *frame, uint32_t cap_len, uint32_t wire_len)
{
    if (!frame)
        return WW_TRIAGE_DECODE;
    struct ww_cursor c = ww_cursor_make(frame, cap_len);
    enum dropped_as as = AS_OTHER_L3;
    uint16_t type = 0;
    bool tagged = false;
    if (!link_type(link, &c, &type, &tagged) || !l3_droppable(want, &c, type, &as))
        return WW_TRIAGE_DECODE;
    /* Counted as ww_decode() counts a well-formed frame of the same kind. */
    stats->packets++;
    stats->bytes += wire_len;
    stats->link[link]++;
    if (tagged)
        stats->vlan_tagged++;
    if (cap_len < wire_len)
        stats->cut++;
    if (as == AS_TCP) {
        stats->ipv4++;
        stats->tcp++;
    } else if (as == AS_UDP) {
        stats->ipv4++;
        stats->udp++;
    } else if (as == AS_OTHER_IPV4) {
        stats->ipv4++;
    } else if (as == AS_IPV6) {
        stats->ipv6++;
    } else {
        stats->other_l3++;
    }
    return WW_TRIAGE_DROP;
}
