/*
 * Triage: the frames no detector wants, told apart before a decode.
 *
 * Most of a link is of no use to any stage: web and file-transfer segments,
 * the servers' side of SMB sessions, DNS answers to high ports when nobody
 * looks up the worm's names, IPv6. ww_triage() reads the few header bytes that
 * say what a frame is (ports, flags, whether it carries data), and when no
 * stage wants it, counts it in the decoder's counters exactly as ww_decode()
 * would and drops it: no packet record is filled, no table, clock or
 * allocator is touched. Everything else, and every frame it cannot judge in
 * a few tests (fragments, IP options cut short, deep VLAN stacks, BSD
 * loopback, anything malformed, NBNS), goes to ww_decode(), which counts it.
 * So the counters are the same with or without triage, and a frame is only
 * ever dropped when ww_decode() would have accepted it.
 *
 * What is wanted is said in packet terms (struct ww_interest), by the
 * pipeline from the stages' configuration, plus two things that change as
 * traffic goes by and are read on every frame that needs them: how many SMB
 * flows await a server's answer (then the servers' data is wanted too), and
 * the addresses the P2P stage keeps records of (then their TCP data is).
 */
#ifndef WW_TRIAGE_H
#define WW_TRIAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/bytes.h"
#include "wormwatch/decode.h"
#include "wormwatch/p2p.h"

#define WW_PORT_BITMAP_BYTES (65536 / 8)

/*
 * A set of addresses as a bitmap of a cheap unkeyed hash: a member always
 * tests true, others mostly false. It only ever decides whether a frame is
 * looked at: an address aimed at a member's bit costs its sender a decode,
 * never a decision, so no key is needed.
 */
#define WW_ADDR_FILTER_BITS 16
struct ww_addr_filter {
    uint64_t bits[(1u << WW_ADDR_FILTER_BITS) / 64];
    uint32_t members; /* addresses added since the last clear (0: test nothing) */
};

static inline uint32_t ww_addr_filter_slot(uint32_t addr)
{
    return (addr * 0x9E3779B1u) >> (32 - WW_ADDR_FILTER_BITS);
}

static inline void ww_addr_filter_add(struct ww_addr_filter *f, uint32_t addr)
{
    uint32_t s = ww_addr_filter_slot(addr);
    f->bits[s >> 6] |= 1ULL << (s & 63);
    f->members++;
}

static inline bool ww_addr_filter_test(const struct ww_addr_filter *f, uint32_t addr)
{
    uint32_t s = ww_addr_filter_slot(addr);
    return (f->bits[s >> 6] >> (s & 63)) & 1;
}

/*
 * Client bytes of SMB flows that nobody needs to see: the stream store notes
 * here, per flow, the sequence number below which the consumer said it has
 * no use for the client's bytes (the rest of a file write's body), and
 * triage drops the segments that lie wholly below it. A direct-mapped table
 * keyed by a cheap hash, an entry matched on the whole 4-tuple: a collision
 * only costs the segment its decode.
 */
#define WW_FLOW_SKIP_BITS 10
struct ww_flow_skip {
    uint32_t client, server;           /* host order */
    uint16_t client_port, server_port;
    uint32_t until;                    /* client bytes before this sequence number are done */
    bool valid;
};
struct ww_flow_skips {
    struct ww_flow_skip slot[1u << WW_FLOW_SKIP_BITS];
    uint32_t valid;                    /* slots in use (0: look nothing up) */
};

static inline uint32_t ww_flow_skip_slot(uint32_t client, uint32_t server, uint16_t client_port,
                                         uint16_t server_port)
{
    uint32_t h = client * 0x9E3779B1u ^ server * 0x85EBCA77u ^
                 ((uint32_t)client_port << 16 | server_port) * 0xC2B2AE3Du;
    return h >> (32 - WW_FLOW_SKIP_BITS);
}

/* Whether the entry is that flow's. */
static inline bool ww_flow_skip_is(const struct ww_flow_skip *e, uint32_t client, uint32_t server,
                                   uint16_t client_port, uint16_t server_port)
{
    return e->valid && e->client == client && e->server == server &&
           e->client_port == client_port && e->server_port == server_port;
}

/* Whether a client segment [seq, seq + len) of that flow lies wholly in bytes already done. */
static inline bool ww_flow_skips_covers(const struct ww_flow_skips *sk, uint32_t client,
                                        uint32_t server, uint16_t client_port,
                                        uint16_t server_port, uint32_t seq, uint32_t len)
{
    const struct ww_flow_skip *e =
        &sk->slot[ww_flow_skip_slot(client, server, client_port, server_port)];
    return ww_flow_skip_is(e, client, server, client_port, server_port) &&
           (int32_t)(seq + len - e->until) <= 0;
}

struct ww_interest {
    uint8_t probe_ports[WW_PORT_BITMAP_BYTES]; /* TCP: SYNs to them, SYN-ACKs and RSTs from them */
    uint8_t udp_ports[WW_PORT_BITMAP_BYTES];   /* UDP datagrams from or to them */
    bool smb;        /* TCP/445 and /139: the clients' data, FIN and RST */
    bool p2p;        /* SYNs and datagrams that may hit Conficker.C's computed ports */
    const uint32_t *smb_answers_due;       /* while nonzero, the servers' data too; may be NULL */
    const struct ww_flow_skips *smb_skips; /* clients' bytes already done; may be NULL */
    bool dns_shape;  /* UDP/53 only when its first name has the A/B lists' shape (dga.h) */
    uint64_t *dns_dropped; /* ... and the others counted here; may be NULL */
    const struct ww_addr_filter *p2p_talkers; /* TCP data from or to them; may be NULL */
};

enum ww_triage_result {
    WW_TRIAGE_DECODE, /* hand it to ww_decode(); nothing was counted */
    WW_TRIAGE_DROP    /* counted in the decoder's stats; nobody wants it */
};

static inline bool ww_port_bit(const uint8_t *bitmap, uint16_t port)
{
    return (bitmap[port >> 3] >> (port & 7)) & 1;
}

static inline void ww_port_bit_set(uint8_t *bitmap, uint16_t port)
{
    bitmap[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static inline bool ww_triage_smb_port(uint16_t port)
{
    return port == 445 || port == 139;
}

/* Every frame the inline test below does not settle. */
/*
 * Whether a TCP segment is wanted, from its first 20 header bytes `h`
 * (`data`: it carries payload); `src`, `dst` host order. SYNs to a probed
 * port (or one Conficker.C may compute), answers from one, SMB's clients'
 * data and its flows' ends, servers' data while answers are due, and data
 * from or to a P2P talker.
 */
static inline bool ww_triage_tcp_wanted(const struct ww_interest *w, uint32_t src, uint32_t dst,
                                        const uint8_t *h, bool data)
{
    uint16_t sport = ww_load_be16(h), dport = ww_load_be16(h + 2);
    uint8_t flags = h[13];
    if (flags & (WW_TCP_SYN | WW_TCP_RST)) {
        if ((flags & (WW_TCP_SYN | WW_TCP_ACK | WW_TCP_RST)) == WW_TCP_SYN) {
            if (ww_port_bit(w->probe_ports, dport) || (w->p2p && !ww_p2p_port_excluded(dport)))
                return true;
        } else if (ww_port_bit(w->probe_ports, sport)) {
            return true; /* an answer or a refusal */
        }
    }
    if (ww_triage_smb_port(dport) || ww_triage_smb_port(sport)) {
        if (!w->smb)
            return false;
        if (flags & (WW_TCP_FIN | WW_TCP_RST))
            return true; /* a flow ends */
        return data && (ww_triage_smb_port(dport) || (w->smb_answers_due && *w->smb_answers_due));
    }
    const struct ww_addr_filter *talkers = w->p2p_talkers;
    return data && w->p2p && talkers && talkers->members &&
           (ww_addr_filter_test(talkers, src) || ww_addr_filter_test(talkers, dst));
}

enum ww_triage_result ww_triage_layers(struct ww_decode_stats *stats,
                                       const struct ww_interest *want, enum ww_link link,
                                       const uint8_t *frame, uint32_t cap_len, uint32_t wire_len);

/*
 * The common frame is settled inline, in the read loop: Ethernet, IPv4
 * without options, a TCP segment with no SYN, FIN or RST, all its headers in
 * one checked window. It is dropped unless it is an SMB client's data (or a
 * server's, while an answer is owed) or the data of an address P2P follows.
 */
static inline enum ww_triage_result ww_triage(struct ww_decode_stats *stats,
                                              const struct ww_interest *want, enum ww_link link,
                                              const uint8_t *frame, uint32_t cap_len,
                                              uint32_t wire_len)
{
    struct ww_cursor c = ww_cursor_make(frame, cap_len);
    const uint8_t *f;
    /* Ethertype IPv4 and version 4 with a 20-byte header in one word; TCP;
       not a fragment (the MF bit and the offset). */
    if (link != WW_LINK_ETHERNET || !frame || !(f = ww_take_bytes(&c, 14 + 20 + 20)) ||
        (ww_load_be32(f + 12) & 0xFFFFFF00u) != 0x08004500u || f[23] != WW_IPPROTO_TCP ||
        (ww_load_be16(f + 20) & 0x3FFF))
        return ww_triage_layers(stats, want, link, frame, cap_len, wire_len);
    uint32_t total_len = ww_load_be16(f + 16), header_len = (uint32_t)(f[46] >> 4) * 4;
    if (header_len < 20 || total_len < 20 + header_len || ww_remaining(&c) < header_len - 20)
        return ww_triage_layers(stats, want, link, frame, cap_len, wire_len);
    if (f[47] & (WW_TCP_SYN | WW_TCP_FIN | WW_TCP_RST)) { /* opens or ends a flow */
        if (ww_triage_tcp_wanted(want, ww_load_be32(f + 26), ww_load_be32(f + 30), f + 34,
                                 total_len > 20 + header_len))
            return WW_TRIAGE_DECODE;
    } else if (total_len > 20 + header_len) { /* it carries data */
        uint16_t sport = ww_load_be16(f + 34), dport = ww_load_be16(f + 36);
        const struct ww_addr_filter *talkers = want->p2p_talkers;
        if (ww_triage_smb_port(dport)) {
            const struct ww_flow_skips *sk = want->smb_skips;
            if (want->smb &&
                !(sk && sk->valid &&
                  ww_flow_skips_covers(sk, ww_load_be32(f + 26), ww_load_be32(f + 30), sport,
                                       dport, ww_load_be32(f + 38),
                                       total_len - 20 - header_len)))
                return WW_TRIAGE_DECODE;
        } else if (ww_triage_smb_port(sport)) {
            if (want->smb && want->smb_answers_due && *want->smb_answers_due)
                return WW_TRIAGE_DECODE;
        } else if (want->p2p && talkers && talkers->members &&
                   (ww_addr_filter_test(talkers, ww_load_be32(f + 26)) ||
                    ww_addr_filter_test(talkers, ww_load_be32(f + 30)))) {
            return WW_TRIAGE_DECODE;
        }
    }
    /* packets, link, ipv4 and tcp at once: ww_decode_stats_fold() adds them in */
    stats->dropped_tcp++;
    stats->bytes += wire_len;
    stats->cut += cap_len < wire_len;
    return WW_TRIAGE_DROP;
}

#endif
