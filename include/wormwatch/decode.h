/*
 * Decode: captured bytes in, one flat ww_packet out.
 *
 * The decoder knows link layers, IPv4/IPv6, TCP, UDP, ICMP errors and the
 * NetBIOS name-service header; it knows nothing about scanning. Every read is
 * bounds-checked (bytes.h). A frame that lies about its lengths is counted
 * under the reason it failed and skipped: nothing downstream sees it.
 */
#ifndef WW_DECODE_H
#define WW_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Link types we decode (libpcap DLT_ values as pcap_datalink() reports them). */
enum ww_link {
    WW_LINK_ETHERNET,
    WW_LINK_SLL,
    WW_LINK_SLL2,
    WW_LINK_RAW,
    WW_LINK_NULL,
    WW_LINK_LOOP,
    WW_LINK_UNSUPPORTED,
    WW_LINK__COUNT
};

/* Why a frame was skipped. Keep ww_invalid_reason_name() in step. */
enum ww_invalid {
    WW_INVALID_NONE,
    WW_INVALID_EMPTY,          /* zero captured bytes */
    WW_INVALID_LINK_TRUNCATED, /* link header cut short */
    WW_INVALID_VLAN_TOO_DEEP,  /* more VLAN tags than WW_MAX_VLAN_TAGS */
    WW_INVALID_LINK_UNSUPPORTED,
    WW_INVALID_IPV4_TRUNCATED,
    WW_INVALID_IPV4_VERSION, /* version nibble says not 4 */
    WW_INVALID_IPV4_HLEN,    /* IHL below 5 */
    WW_INVALID_IPV4_TOTLEN,  /* total length below the header length */
    WW_INVALID_IPV6_TRUNCATED,
    WW_INVALID_TCP_TRUNCATED,
    WW_INVALID_TCP_HLEN, /* data offset below 5 or past the segment */
    WW_INVALID_UDP_TRUNCATED,
    WW_INVALID_UDP_LEN, /* UDP length below 8 */
    WW_INVALID_ICMP_TRUNCATED,
    WW_INVALID_NBNS_MALFORMED, /* UDP/137 payload that is not a sane NBNS header */
    WW_INVALID_ARP_TRUNCATED,
    WW_INVALID__COUNT
};

#define WW_MAX_VLAN_TAGS 8

/*
 * What a short snap length cut off a frame (ww_packet.cut, a bit each). A
 * field is only ever filled from bytes that were captured whole; a frame
 * cut inside a header it needs is skipped and counted here, not as invalid.
 */
enum ww_cut {
    WW_CUT_HEADERS,       /* inside a link, IP, UDP, ICMP or ARP header: nothing of it used */
    WW_CUT_TCP_WINDOW,    /* TCP header after the flags: ports, seq and flags only */
    WW_CUT_TCP_OPTIONS,   /* TCP options: no SYN shape ("unknown") */
    WW_CUT_NBNS_QUESTION, /* NBNS name or type: a query of unknown type */
    WW_CUT__COUNT
};
#define WW_CUT_BIT(what) (1u << (what))

/* Ethertypes the decoder (and triage) know. */
#define WW_ETHERTYPE_IPV4 0x0800
#define WW_ETHERTYPE_IPV6 0x86DD
#define WW_ETHERTYPE_ARP 0x0806
#define WW_ETHERTYPE_VLAN 0x8100
#define WW_ETHERTYPE_QINQ 0x88A8
#define WW_ETHERTYPE_QINQ_OLD 0x9100

/* An 802.1Q or 802.1ad tag: another ethertype follows it. */
static inline bool ww_is_vlan_ethertype(uint16_t type)
{
    return type == WW_ETHERTYPE_VLAN || type == WW_ETHERTYPE_QINQ || type == WW_ETHERTYPE_QINQ_OLD;
}

/* TCP flag bits (RFC 793 order). */
#define WW_TCP_FIN 0x01
#define WW_TCP_SYN 0x02
#define WW_TCP_RST 0x04
#define WW_TCP_PSH 0x08
#define WW_TCP_ACK 0x10

#define WW_IPPROTO_ICMP 1
#define WW_IPPROTO_TCP 6
#define WW_IPPROTO_UDP 17

#define WW_NBNS_PORT 137
#define WW_NBNS_QTYPE_NB 0x20     /* name query */
#define WW_NBNS_QTYPE_NBSTAT 0x21 /* node status query */

/* What an ICMP destination-unreachable says about the packet it quotes. */
struct ww_icmp_quote {
    uint8_t type, code;     /* of the ICMP error */
    uint32_t src, dst;      /* quoted packet's addresses (host order) */
    uint8_t proto;          /* quoted packet's protocol */
    uint16_t sport, dport;  /* quoted ports */
};

/* The NetBIOS name-service header fields the probe stage needs. */
struct ww_nbns {
    uint16_t trn_id;
    bool response;   /* R bit */
    uint8_t opcode;  /* 0 = query, 5 = registration, ... */
    bool broadcast;  /* B bit: sent as a broadcast */
    uint16_t qdcount;
    uint16_t qtype;  /* type of the first question, 0 if none or cut off */
};

#define WW_ARP_REQUEST 1
#define WW_ARP_REPLY 2

/* An ARP packet for IPv4 over a 6-byte hardware address. */
struct ww_arp {
    uint16_t op;        /* WW_ARP_REQUEST, WW_ARP_REPLY, ... */
    const uint8_t *sender_mac; /* 6 bytes in the frame: the sender's hardware address */
    uint32_t sender;    /* sender protocol address, host order (0 for a probe) */
    uint32_t target;    /* target protocol address, host order */
};

/* One decoded frame. Pointers point into the caller's frame buffer. */
struct ww_packet {
    uint64_t ts_ns;       /* packet time, ns since the epoch */
    uint32_t cap_len;     /* bytes captured */
    uint32_t wire_len;    /* bytes on the wire */
    enum ww_link link;
    uint8_t vlan_depth;   /* tags seen */
    uint16_t vlan_outer;  /* outermost VLAN id, 0 if none */
    bool l2_group;        /* link destination is broadcast or multicast */
    const uint8_t *eth_src; /* Ethernet: the 6-byte source address in the frame; else NULL */

    uint8_t ip_version;   /* 4, 6, or 0 for not IP */
    uint32_t src, dst;    /* IPv4 addresses, host byte order */
    uint8_t ttl;
    bool df;              /* don't fragment */
    uint16_t ip_id;
    bool later_fragment;  /* fragment offset > 0: no transport header here */

    uint8_t proto;        /* IP protocol; transport fields valid when has_l4 */
    bool has_l4;
    uint16_t sport, dport;
    uint8_t tcp_flags;
    uint16_t tcp_window;
    uint32_t tcp_seq;
    const uint8_t *tcp_options; /* raw option bytes */
    uint8_t tcp_options_len;
    uint8_t cut;          /* WW_CUT_BIT()s: what the snap length cut off */
    const uint8_t *payload;    /* TCP or UDP payload (NULL if its header was cut) */
    uint32_t payload_len;      /* bytes of it captured */
    uint32_t payload_wire_len; /* bytes of it on the wire, as the IP or UDP length says */

    bool has_icmp_quote;
    struct ww_icmp_quote icmp_quote;

    bool has_nbns;
    struct ww_nbns nbns;

    bool has_arp;         /* an IPv4-over-Ethernet ARP packet (ip_version 0) */
    struct ww_arp arp;
};

/* Counters the decoder keeps; one per decoder, so several can run. */
struct ww_decode_stats {
    uint64_t packets;
    uint64_t bytes;
    uint64_t link[WW_LINK__COUNT];
    uint64_t vlan_tagged;
    uint64_t ipv4;
    uint64_t ipv6;
    uint64_t arp;          /* ARP for IPv4 */
    uint64_t other_l3;     /* anything else that is not IP */
    uint64_t fragments;    /* IPv4 fragments, first or later */
    uint64_t tcp, udp, icmp;
    uint64_t invalid[WW_INVALID__COUNT];
    uint64_t cut;          /* frames captured shorter than they were on the wire */
    uint64_t cut_lost[WW_CUT__COUNT]; /* of which something we decode was cut off */
    /* Ethernet IPv4 TCP frames triage dropped inline (triage.h), not yet in
       packets, link, ipv4 and tcp: one counter in the hot loop, not four. */
    uint64_t dropped_tcp;
};

/* Moves dropped_tcp into the counters it stands for; call before reading them. */
void ww_decode_stats_fold(struct ww_decode_stats *stats);

enum ww_decode_result {
    WW_DECODED_IPV4,  /* usable: src/dst and, if has_l4, transport fields */
    WW_DECODED_ARP,   /* usable: the arp fields */
    WW_DECODED_OTHER, /* well formed but of no use to us (IPv6, other ARP, ...) */
    WW_DECODED_INVALID
};

/* Maps a libpcap DLT_ value to the link decoder; WW_LINK_UNSUPPORTED if none. */
enum ww_link ww_link_from_dlt(int dlt);
const char *ww_link_name(enum ww_link link);
const char *ww_invalid_reason_name(enum ww_invalid reason);
const char *ww_cut_name(enum ww_cut what);

/*
 * Decodes one frame into *pkt and counts it in *stats. The frame's bytes must
 * stay valid while *pkt is used.
 */
enum ww_decode_result ww_decode(struct ww_decode_stats *stats, enum ww_link link, uint64_t ts_ns,
                                const uint8_t *frame, uint32_t cap_len, uint32_t wire_len,
                                struct ww_packet *pkt);

#endif
