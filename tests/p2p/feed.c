/*
 * Capture reader for the P2P tests (see feed.h). Kept apart from the
 * sensor's decoder, which does not hand out payloads: the tests need the
 * UDP payload and the TCP data to check the messages nmap sent.
 */
/* libpcap headers use the BSD u_int/u_char types. */
#define _DEFAULT_SOURCE
#include "feed.h"

#include <pcap/pcap.h>
#include <stdio.h>

#include "wormwatch/bytes.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

/* Moves c to the IPv4 header; false if the link layer is not carrying IPv4. */
static bool skip_link(int dlt, struct ww_cursor *c)
{
    uint16_t type;
    switch (dlt) {
    case DLT_EN10MB:
        if (!ww_skip(c, 12) || !ww_get_be16(c, &type))
            return false;
        while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ)
            if (!ww_skip(c, 2) || !ww_get_be16(c, &type))
                return false;
        return type == ETHERTYPE_IPV4;
    case DLT_LINUX_SLL:
        return ww_skip(c, 14) && ww_get_be16(c, &type) && type == ETHERTYPE_IPV4;
    case DLT_RAW:
    case 101: /* LINKTYPE_RAW where DLT_RAW is 12 or 14 */
        return true;
    default:
        return false;
    }
}

bool p2p_parse_frame(int dlt, uint64_t ts_ns, const uint8_t *frame, size_t cap_len,
                     struct ww_p2p_packet *out)
{
    struct ww_cursor c = ww_cursor_make(frame, cap_len);
    if (!skip_link(dlt, &c))
        return false;
    const uint8_t *ip = ww_take_bytes(&c, 20);
    if (!ip || ip[0] >> 4 != 4)
        return false;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    uint16_t total = ww_load_be16(ip + 2);
    uint16_t frag = ww_load_be16(ip + 6);
    if (ihl < 20 || total < ihl || (frag & 0x1fff) || !ww_skip(&c, ihl - 20))
        return false;
    *out = (struct ww_p2p_packet){.ts_ns = ts_ns,
                                  .src = ww_load_be32(ip + 12),
                                  .dst = ww_load_be32(ip + 16)};
    size_t l4_wire = total - ihl;
    if (ip[9] == 17) {
        const uint8_t *udp = ww_take_bytes(&c, 8);
        if (!udp || ww_load_be16(udp + 4) < 8)
            return false;
        out->sport = ww_load_be16(udp);
        out->dport = ww_load_be16(udp + 2);
        out->payload_wire_len = (size_t)ww_load_be16(udp + 4) - 8;
    } else if (ip[9] == 6) {
        const uint8_t *tcp = ww_take_bytes(&c, 20);
        if (!tcp)
            return false;
        size_t doff = (size_t)(tcp[12] >> 4) * 4;
        if (doff < 20 || doff > l4_wire || !ww_skip(&c, doff - 20))
            return false;
        out->tcp = true;
        out->sport = ww_load_be16(tcp);
        out->dport = ww_load_be16(tcp + 2);
        out->syn = (tcp[13] & 0x12) == 0x02;
        out->payload_wire_len = l4_wire - doff;
    } else {
        return false;
    }
    size_t here = ww_remaining(&c);
    out->payload_len = here < out->payload_wire_len ? here : out->payload_wire_len;
    out->payload = ww_take_bytes(&c, out->payload_len);
    return true;
}

long p2p_feed_pcap(const char *path, p2p_feed_fn fn, void *ctx, char *err, size_t err_len)
{
    char pcap_err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
    if (!p) {
        snprintf(err, err_len, "%s: %s", path, pcap_err);
        return -1;
    }
    int dlt = pcap_datalink(p);
    long fed = 0;
    struct pcap_pkthdr *h;
    const u_char *frame;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &frame)) == 1) {
        struct ww_p2p_packet pkt;
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
        if (p2p_parse_frame(dlt, ts, frame, h->caplen, &pkt)) {
            fn(ctx, &pkt);
            fed++;
        }
    }
    if (rc == -1) {
        snprintf(err, err_len, "%s: %s", path, pcap_geterr(p));
        fed = -1;
    }
    pcap_close(p);
    return fed;
}
