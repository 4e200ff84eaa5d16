/*
 * pcap_tcp: see pcap_tcp.h. Every read is bounds-checked with the project's
 * cursor helpers, as in the decoder proper.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD u_int types */
#include "pcap_tcp.h"

#include <pcap/pcap.h>
#include <stdio.h>

#include "wormwatch/bytes.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88A8
#define LINKTYPE_RAW_IPV4 228

/* Moves the cursor to the IPv4 header; false if the frame carries none. */
static bool find_ipv4(int dlt, struct ww_cursor *c)
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
    case LINKTYPE_RAW_IPV4:
        return true;
    default:
        return false;
    }
}

static bool decode(int dlt, const uint8_t *frame, size_t len, struct pcap_tcp_segment *seg)
{
    struct ww_cursor c = ww_cursor_make(frame, len);
    if (!find_ipv4(dlt, &c))
        return false;
    const uint8_t *ip = ww_take_bytes(&c, 20);
    if (!ip || ip[0] >> 4 != 4 || ip[9] != 6 || (ww_load_be16(ip + 6) & 0x1FFF) != 0)
        return false;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4, total = ww_load_be16(ip + 2);
    if (ihl < 20 || total < ihl || !ww_skip(&c, ihl - 20))
        return false;
    struct ww_cursor l4;
    size_t avail = ww_remaining(&c) < total - ihl ? ww_remaining(&c) : total - ihl;
    ww_take(&c, avail, &l4);
    const uint8_t *tcp = ww_take_bytes(&l4, 20);
    if (!tcp)
        return false;
    size_t off = (size_t)(tcp[12] >> 4) * 4;
    if (off < 20 || !ww_skip(&l4, off - 20))
        return false;
    seg->src = ww_load_be32(ip + 12);
    seg->dst = ww_load_be32(ip + 16);
    seg->sport = ww_load_be16(tcp);
    seg->dport = ww_load_be16(tcp + 2);
    seg->seq = ww_load_be32(tcp + 4);
    seg->flags = tcp[13];
    seg->len = ww_remaining(&l4);
    seg->payload = ww_take_bytes(&l4, seg->len);
    seg->wire_len = total - ihl >= off ? total - ihl - off : 0;
    if (seg->wire_len < seg->len) /* Ethernet padding after a short IP packet */
        seg->len = seg->wire_len;
    return true;
}

bool pcap_tcp_read(const char *path, pcap_tcp_fn fn, void *ctx)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        fprintf(stderr, "pcap_tcp: %s: %s\n", path, err);
        return false;
    }
    int dlt = pcap_datalink(p);
    struct pcap_pkthdr *hdr;
    const u_char *frame;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &frame)) == 1) {
        struct pcap_tcp_segment seg;
        if (!decode(dlt, frame, hdr->caplen, &seg))
            continue;
        seg.ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
        fn(ctx, &seg);
    }
    bool ok = rc == PCAP_ERROR_BREAK; /* the end of a file */
    if (!ok)
        fprintf(stderr, "pcap_tcp: %s: %s\n", path, pcap_geterr(p));
    pcap_close(p);
    return ok;
}
