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

#include "wormwatch/decode.h"

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

struct ww_interest {
    uint8_t probe_ports[WW_PORT_BITMAP_BYTES]; /* TCP: SYNs to them, SYN-ACKs and RSTs from them */
    uint8_t udp_ports[WW_PORT_BITMAP_BYTES];   /* UDP datagrams from or to them */
    bool smb;        /* TCP/445 and /139: the clients' data, FIN and RST */
    bool p2p;        /* SYNs and datagrams that may hit Conficker.C's computed ports */
    uint32_t p2p_excluded[64]; /* ports P2P never uses, a bit per 32 (p2p.c's list) */
    const uint32_t *smb_answers_due;       /* while nonzero, the servers' data too; may be NULL */
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

enum ww_triage_result ww_triage(struct ww_decode_stats *stats, const struct ww_interest *want,
                                enum ww_link link, const uint8_t *frame, uint32_t cap_len,
                                uint32_t wire_len);

#endif
