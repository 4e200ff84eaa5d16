/*
 * Unit tests for the frame decoder (decode.h).
 *
 * Frames are built by hand, layer by layer, with the small writers below, so
 * each test states the one thing it varies (a VLAN tag, an IHL, a length
 * field) and checks every ww_packet field and counter the decoder sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/decode.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define ETH_IPV6 0x86DD
#define ETH_8021Q 0x8100
#define ETH_8021AD 0x88A8
#define ETH_QINQ_OLD 0x9100

#define ETH_LEN 14
#define IPV4_LEN 20
#define TCP_LEN 20
#define UDP_LEN 8
#define NBNS_HEADER_LEN 12

#define TS 1238414407123456789ULL
#define SCANNER IP4(10, 0, 0, 5)
#define TARGET IP4(10, 0, 1, 9)

static const uint8_t MAC_UNICAST[6] = {0x00, 0x0c, 0x29, 0x11, 0x22, 0x33};
static const uint8_t MAC_PEER[6] = {0x00, 0x50, 0x56, 0xaa, 0xbb, 0xcc};
static const uint8_t MAC_BROADCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Windows XP's SYN options: MSS 1460, NOP, NOP, SACK permitted. */
static const uint8_t XP_SYN_OPTIONS[8] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};

/* --- frame writers ------------------------------------------------------------ */

#define FRAME_MAX 600

struct frame {
    uint8_t b[FRAME_MAX];
    size_t len;
};

static void put_u8(struct frame *f, uint8_t v)
{
    assert_true(f->len < FRAME_MAX);
    f->b[f->len++] = v;
}

static void put_be16(struct frame *f, uint16_t v)
{
    put_u8(f, (uint8_t)(v >> 8));
    put_u8(f, (uint8_t)v);
}

static void put_be32(struct frame *f, uint32_t v)
{
    put_be16(f, (uint16_t)(v >> 16));
    put_be16(f, (uint16_t)v);
}

static void put_bytes(struct frame *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_u8(f, p[i]);
}

static void put_fill(struct frame *f, uint8_t byte, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_u8(f, byte);
}

static void set_be16(struct frame *f, size_t at, uint16_t v)
{
    assert_true(at + 2 <= f->len);
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

static void put_ethernet(struct frame *f, const uint8_t dst[6], uint16_t type)
{
    put_bytes(f, dst, 6);
    put_bytes(f, MAC_PEER, 6);
    put_be16(f, type);
}

/* One 802.1Q/802.1ad tag: its TCI, then the type of what follows it. */
static void put_vlan_tag(struct frame *f, uint16_t tci, uint16_t next_type)
{
    put_be16(f, tci);
    put_be16(f, next_type);
}

/* Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
static void put_sll(struct frame *f, uint16_t packet_type, uint16_t protocol)
{
    put_be16(f, packet_type);
    put_be16(f, 1); /* ARPHRD_ETHER */
    put_be16(f, 6);
    put_bytes(f, MAC_PEER, 6);
    put_be16(f, 0);
    put_be16(f, protocol);
}

/* Linux cooked v2: protocol first, then reserved, ifindex, ARPHRD, packet type, address. */
static void put_sll2(struct frame *f, uint8_t packet_type, uint16_t protocol)
{
    put_be16(f, protocol);
    put_be16(f, 0);
    put_be32(f, 3);
    put_be16(f, 1);
    put_u8(f, packet_type);
    put_u8(f, 6);
    put_bytes(f, MAC_PEER, 6);
    put_be16(f, 0x0800); /* address padding that looks like IPv4: must not be read as the type */
}

struct ipv4_spec {
    uint32_t src, dst;
    uint8_t proto, ttl;
    uint16_t id;
    uint16_t frag; /* flags and fragment offset */
    const uint8_t *options;
    uint8_t options_len; /* a multiple of 4 */
};

static struct ipv4_spec ipv4_spec(uint8_t proto)
{
    return (struct ipv4_spec){
        .src = SCANNER, .dst = TARGET, .proto = proto, .ttl = 128, .id = 0x1234, .frag = 0x4000};
}

/* Writes an IPv4 header whose total length end_ipv4() fills in later. */
static size_t begin_ipv4(struct frame *f, const struct ipv4_spec *ip)
{
    size_t start = f->len;
    put_u8(f, (uint8_t)(0x40 | (5 + ip->options_len / 4)));
    put_u8(f, 0);
    put_be16(f, 0); /* total length, patched */
    put_be16(f, ip->id);
    put_be16(f, ip->frag);
    put_u8(f, ip->ttl);
    put_u8(f, ip->proto);
    put_be16(f, 0);
    put_be32(f, ip->src);
    put_be32(f, ip->dst);
    put_bytes(f, ip->options, ip->options_len);
    return start;
}

static void end_ipv4(struct frame *f, size_t start)
{
    set_be16(f, start + 2, (uint16_t)(f->len - start));
}

struct tcp_spec {
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags;
    uint16_t window;
    const uint8_t *options;
    uint8_t options_len; /* a multiple of 4 */
    uint8_t data_offset; /* 0: from the options */
};

static struct tcp_spec syn_spec(void)
{
    return (struct tcp_spec){.sport = 1025, .dport = 445, .seq = 0x01020304, .flags = 0x02,
                             .window = 64240, .options = XP_SYN_OPTIONS,
                             .options_len = sizeof XP_SYN_OPTIONS};
}

static void put_tcp(struct frame *f, const struct tcp_spec *t)
{
    uint8_t offset = t->data_offset ? t->data_offset : (uint8_t)(5 + t->options_len / 4);
    put_be16(f, t->sport);
    put_be16(f, t->dport);
    put_be32(f, t->seq);
    put_be32(f, 0); /* ack */
    put_u8(f, (uint8_t)(offset << 4));
    put_u8(f, t->flags);
    put_be16(f, t->window);
    put_be32(f, 0); /* checksum, urgent pointer */
    put_bytes(f, t->options, t->options_len);
}

static void put_ipv4_tcp(struct frame *f, const struct ipv4_spec *ip, const struct tcp_spec *tcp)
{
    size_t ip_start = begin_ipv4(f, ip);
    put_tcp(f, tcp);
    end_ipv4(f, ip_start);
}

/* The default SYN: SCANNER:1025 -> TARGET:445, DF, TTL 128, XP options. */
static void put_default_syn(struct frame *f)
{
    struct ipv4_spec ip = ipv4_spec(6);
    struct tcp_spec tcp = syn_spec();
    put_ipv4_tcp(f, &ip, &tcp);
}

/* A UDP header whose length end_udp() fills in later. */
static size_t begin_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
    size_t start = f->len;
    put_be16(f, sport);
    put_be16(f, dport);
    put_be16(f, 0);
    put_be16(f, 0);
    return start;
}

static void end_udp(struct frame *f, size_t start)
{
    set_be16(f, start + 4, (uint16_t)(f->len - start));
}

static void put_nbns_header(struct frame *f, uint16_t trn_id, uint16_t flags, uint16_t qdcount,
                            uint16_t ancount)
{
    put_be16(f, trn_id);
    put_be16(f, flags);
    put_be16(f, qdcount);
    put_be16(f, ancount);
    put_be16(f, 0);
    put_be16(f, 0);
}

/* A question for a 16-byte NetBIOS name, first-level encoded (RFC 1002 4.1). */
static void put_nbns_question(struct frame *f, const char name[16], uint16_t qtype)
{
    put_u8(f, 32);
    for (int i = 0; i < 16; i++) {
        put_u8(f, (uint8_t)('A' + ((uint8_t)name[i] >> 4)));
        put_u8(f, (uint8_t)('A' + ((uint8_t)name[i] & 0x0F)));
    }
    put_u8(f, 0);
    put_be16(f, qtype);
    put_be16(f, 1); /* class IN */
}

static const char NAME_STAR[16] = "*";                   /* NBSTAT wildcard, NUL padded */
static const char NAME_FILESRV[16] = "FILESRV        \x20"; /* file server service (0x20) */

#define NBNS_FLAG_RESPONSE 0x8000
#define NBNS_OPCODE_REGISTRATION (5 << 11)
#define NBNS_FLAG_AA 0x0400
#define NBNS_FLAG_RD 0x0100
#define NBNS_FLAG_BROADCAST 0x0010

/* Ethernet + IPv4 + UDP 137->137 carrying one NBNS message with `qdcount` questions. */
static void build_nbns(struct frame *f, const uint8_t mac[6], uint32_t dst, uint16_t flags,
                       uint16_t qdcount, const char name[16], uint16_t qtype)
{
    struct ipv4_spec ip = ipv4_spec(17);
    ip.dst = dst;
    put_ethernet(f, mac, ETH_IPV4);
    size_t ip_start = begin_ipv4(f, &ip);
    size_t udp_start = begin_udp(f, 137, 137);
    put_nbns_header(f, 0x8001, flags, qdcount, qdcount ? 0 : 1);
    if (qdcount)
        put_nbns_question(f, name, qtype);
    else
        put_fill(f, 0xC0, 12); /* an answer record: not decoded */
    end_udp(f, udp_start);
    end_ipv4(f, ip_start);
}

/* --- decoding and checking ------------------------------------------------------- */

static struct ww_decode_stats stats;
static struct ww_packet pkt;

static int reset(void **state)
{
    (void)state;
    memset(&stats, 0, sizeof stats);
    memset(&pkt, 0xA5, sizeof pkt); /* the decoder must set every field */
    return 0;
}

static enum ww_decode_result decode_cut(enum ww_link link, const struct frame *f, size_t cap_len)
{
    return ww_decode(&stats, link, TS, f->b, (uint32_t)cap_len, (uint32_t)f->len, &pkt);
}

static enum ww_decode_result decode(enum ww_link link, const struct frame *f)
{
    return decode_cut(link, f, f->len);
}

/* Exactly one frame was decoded, of `wire_len` bytes, on `link`. */
static void assert_one_frame_counted(enum ww_link link, size_t wire_len)
{
    assert_int_equal(stats.packets, 1);
    assert_int_equal(stats.bytes, wire_len);
    for (int l = 0; l < WW_LINK__COUNT; l++)
        assert_int_equal(stats.link[l], l == (int)link ? 1 : 0);
}

/* `reason` counted once and nothing else (WW_INVALID_NONE: nothing at all). */
static void assert_only_invalid(enum ww_invalid reason)
{
    for (int r = 0; r < WW_INVALID__COUNT; r++)
        if (stats.invalid[r] != (r == (int)reason && reason != WW_INVALID_NONE ? 1u : 0u))
            fail_msg("invalid[%s] = %llu, expected %s counted",
                     ww_invalid_reason_name((enum ww_invalid)r),
                     (unsigned long long)stats.invalid[r], ww_invalid_reason_name(reason));
}

/* The first cap_len bytes of f, as a frame that says it is whole: the bytes lie. */
static enum ww_decode_result decode_short(enum ww_link link, const struct frame *f, size_t cap_len)
{
    return ww_decode(&stats, link, TS, f->b, (uint32_t)cap_len, (uint32_t)cap_len, &pkt);
}

/* A frame ending at cap_len that claims to be that long is invalid for `reason`. */
static void assert_invalid_cut(enum ww_link link, const struct frame *f, size_t cap_len,
                               enum ww_invalid reason)
{
    reset(NULL);
    assert_int_equal(decode_short(link, f, cap_len), WW_DECODED_INVALID);
    assert_one_frame_counted(link, cap_len);
    assert_only_invalid(reason);
    assert_int_equal(stats.cut, 0);
}

static void assert_invalid(enum ww_link link, const struct frame *f, enum ww_invalid reason)
{
    assert_invalid_cut(link, f, f->len, reason);
}

/* The default SYN's IPv4 and TCP fields, its IPv4 header starting at `l3`. */
static void assert_default_syn(const struct frame *f, size_t l3)
{
    assert_int_equal(pkt.ip_version, 4);
    assert_int_equal(pkt.src, SCANNER);
    assert_int_equal(pkt.dst, TARGET);
    assert_int_equal(pkt.ttl, 128);
    assert_true(pkt.df);
    assert_int_equal(pkt.ip_id, 0x1234);
    assert_false(pkt.later_fragment);
    assert_int_equal(pkt.proto, 6);
    assert_true(pkt.has_l4);
    assert_int_equal(pkt.sport, 1025);
    assert_int_equal(pkt.dport, 445);
    assert_int_equal(pkt.tcp_flags, 0x02);
    assert_int_equal(pkt.tcp_window, 64240);
    assert_int_equal(pkt.tcp_seq, 0x01020304);
    assert_ptr_equal(pkt.tcp_options, f->b + l3 + IPV4_LEN + TCP_LEN);
    assert_int_equal(pkt.tcp_options_len, sizeof XP_SYN_OPTIONS);
    assert_memory_equal(pkt.tcp_options, XP_SYN_OPTIONS, sizeof XP_SYN_OPTIONS);
    assert_false(pkt.has_icmp_quote);
    assert_false(pkt.has_nbns);
}

/* Decodes `f` on `link` and checks it is the default SYN behind `l3` bytes of link header. */
static void assert_decodes_default_syn(enum ww_link link, const struct frame *f, size_t l3)
{
    reset(NULL);
    assert_int_equal(decode(link, f), WW_DECODED_IPV4);
    assert_int_equal(pkt.link, link);
    assert_int_equal(pkt.ts_ns, TS);
    assert_int_equal(pkt.cap_len, f->len);
    assert_int_equal(pkt.wire_len, f->len);
    assert_default_syn(f, l3);
    assert_one_frame_counted(link, f->len);
    assert_only_invalid(WW_INVALID_NONE);
    assert_int_equal(stats.ipv4, 1);
    assert_int_equal(stats.tcp, 1);
    assert_int_equal(stats.udp + stats.icmp + stats.ipv6 + stats.other_l3 + stats.fragments, 0);
}

static void assert_no_vlan(void)
{
    assert_int_equal(pkt.vlan_depth, 0);
    assert_int_equal(pkt.vlan_outer, 0);
    assert_int_equal(stats.vlan_tagged, 0);
}

/* --- link layers ---------------------------------------------------------------- */

static void test_link_from_dlt(void **state)
{
    (void)state;
    assert_int_equal(ww_link_from_dlt(1), WW_LINK_ETHERNET);
    assert_int_equal(ww_link_from_dlt(113), WW_LINK_SLL);
    assert_int_equal(ww_link_from_dlt(276), WW_LINK_SLL2);
    assert_int_equal(ww_link_from_dlt(12), WW_LINK_RAW);
    assert_int_equal(ww_link_from_dlt(14), WW_LINK_RAW);
    assert_int_equal(ww_link_from_dlt(101), WW_LINK_RAW);
    assert_int_equal(ww_link_from_dlt(228), WW_LINK_RAW);
    assert_int_equal(ww_link_from_dlt(0), WW_LINK_NULL);
    assert_int_equal(ww_link_from_dlt(108), WW_LINK_LOOP);
    assert_int_equal(ww_link_from_dlt(105), WW_LINK_UNSUPPORTED); /* 802.11 */
    assert_int_equal(ww_link_from_dlt(-1), WW_LINK_UNSUPPORTED);
    assert_string_equal(ww_link_name(WW_LINK_SLL2), "sll2");
    assert_string_equal(ww_invalid_reason_name(WW_INVALID_TCP_HLEN), "tcp_header_length");
    assert_string_equal(ww_invalid_reason_name(WW_INVALID_NBNS_MALFORMED), "nbns_malformed");
}

static void test_ethernet_syn_every_field(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    assert_int_equal(f.len, ETH_LEN + IPV4_LEN + TCP_LEN + 8);

    /* A snap length shorter than the wire length is fine once the headers are in. */
    assert_int_equal(ww_decode(&stats, WW_LINK_ETHERNET, TS, f.b, (uint32_t)f.len, 1514, &pkt),
                     WW_DECODED_IPV4);
    assert_memory_equal(pkt.eth_src, MAC_PEER, 6);
    assert_int_equal(pkt.ts_ns, TS);
    assert_int_equal(pkt.cap_len, f.len);
    assert_int_equal(pkt.wire_len, 1514);
    assert_int_equal(pkt.link, WW_LINK_ETHERNET);
    assert_false(pkt.l2_group);
    assert_no_vlan();
    assert_default_syn(&f, ETH_LEN);
    assert_one_frame_counted(WW_LINK_ETHERNET, 1514);
    assert_only_invalid(WW_INVALID_NONE);
}

static void test_ethernet_group_destination(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfc};
    put_ethernet(&f, multicast, ETH_IPV4);
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_ETHERNET, &f, ETH_LEN);
    assert_true(pkt.l2_group);
}

static void test_single_8021q_tag(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_8021Q);
    put_vlan_tag(&f, 0xA00A, ETH_IPV4); /* PCP 5, VID 10: the priority is not part of the id */
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_ETHERNET, &f, ETH_LEN + 4);
    assert_int_equal(pkt.vlan_depth, 1);
    assert_int_equal(pkt.vlan_outer, 10);
    assert_int_equal(stats.vlan_tagged, 1);
    assert_false(pkt.l2_group);
}

static void test_qinq_88a8_then_8100(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_8021AD);
    put_vlan_tag(&f, 100, ETH_8021Q);
    put_vlan_tag(&f, 200, ETH_IPV4);
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_ETHERNET, &f, ETH_LEN + 8);
    assert_int_equal(pkt.vlan_depth, 2);
    assert_int_equal(pkt.vlan_outer, 100);
    assert_int_equal(stats.vlan_tagged, 1); /* frames, not tags */
}

static void test_qinq_9100(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_QINQ_OLD);
    put_vlan_tag(&f, 0x0FFE, ETH_IPV4);
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_ETHERNET, &f, ETH_LEN + 4);
    assert_int_equal(pkt.vlan_depth, 1);
    assert_int_equal(pkt.vlan_outer, 4094);
}

/* Ethernet with `tags` VLAN tags (outer VID 1, then 2, ...) around the default SYN. */
static void build_vlan_stack(struct frame *f, int tags)
{
    put_ethernet(f, MAC_UNICAST, ETH_8021Q);
    for (int i = 1; i <= tags; i++)
        put_vlan_tag(f, (uint16_t)i, i < tags ? ETH_8021Q : ETH_IPV4);
    put_default_syn(f);
}

static void test_vlan_stack_at_limit(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_vlan_stack(&f, WW_MAX_VLAN_TAGS);
    assert_decodes_default_syn(WW_LINK_ETHERNET, &f, ETH_LEN + 4 * WW_MAX_VLAN_TAGS);
    assert_int_equal(pkt.vlan_depth, WW_MAX_VLAN_TAGS);
    assert_int_equal(pkt.vlan_outer, 1);
}

static void test_vlan_stack_too_deep(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_vlan_stack(&f, WW_MAX_VLAN_TAGS + 1);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_VLAN_TOO_DEEP);
    assert_int_equal(stats.ipv4, 0);
}

static void test_linux_sll(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_sll(&f, 0, ETH_IPV4); /* to us */
    assert_int_equal(f.len, 16);
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_SLL, &f, 16);
    assert_false(pkt.l2_group);
    assert_no_vlan();

    f.b[1] = 1; /* packet type: broadcast */
    assert_decodes_default_syn(WW_LINK_SLL, &f, 16);
    assert_true(pkt.l2_group);
}

static void test_linux_sll_with_vlan(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_sll(&f, 3, ETH_8021Q);
    put_vlan_tag(&f, 42, ETH_IPV4);
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_SLL, &f, 20);
    assert_int_equal(pkt.vlan_outer, 42);
}

static void test_linux_sll2(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_sll2(&f, 4, ETH_IPV4); /* outgoing */
    assert_int_equal(f.len, 20);
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_SLL2, &f, 20);
    assert_false(pkt.l2_group);

    f.b[10] = 2; /* packet type: multicast */
    assert_decodes_default_syn(WW_LINK_SLL2, &f, 20);
    assert_true(pkt.l2_group);

    /* The protocol is the first field: change it and the frame is not IP. */
    set_be16(&f, 0, ETH_ARP);
    reset(NULL);
    assert_int_equal(decode(WW_LINK_SLL2, &f), WW_DECODED_OTHER);
    assert_int_equal(stats.other_l3, 1);
}

static void test_raw_ipv4(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_default_syn(&f);
    assert_decodes_default_syn(WW_LINK_RAW, &f, 0);
    assert_false(pkt.l2_group);
    assert_no_vlan();
}

/* A 4-byte BSD loopback header, its family in the given byte order, before the SYN. */
static void build_null(struct frame *f, uint32_t family, bool big_endian)
{
    for (int i = 0; i < 4; i++) {
        int shift = big_endian ? 24 - 8 * i : 8 * i;
        put_u8(f, (uint8_t)(family >> shift));
    }
    put_default_syn(f);
}

static void test_null_little_endian(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_null(&f, 2, false);
    assert_decodes_default_syn(WW_LINK_NULL, &f, 4);
}

static void test_null_big_endian(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_null(&f, 2, true); /* captured on a big-endian host */
    assert_decodes_default_syn(WW_LINK_NULL, &f, 4);
}

static void test_loop(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_null(&f, 2, true);
    assert_decodes_default_syn(WW_LINK_LOOP, &f, 4);
}

static void test_null_other_families(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_null(&f, 30, true); /* AF_INET6 on macOS; the IPv4 bytes after it are not looked at */
    assert_int_equal(decode(WW_LINK_NULL, &f), WW_DECODED_OTHER);
    assert_int_equal(pkt.ip_version, 6);
    assert_int_equal(stats.ipv6, 1);
    assert_int_equal(stats.ipv4, 0);

    reset(NULL);
    f.len = 0;
    build_null(&f, 7, false); /* not an IP family */
    assert_int_equal(decode(WW_LINK_NULL, &f), WW_DECODED_OTHER);
    assert_int_equal(pkt.ip_version, 0);
    assert_int_equal(stats.other_l3, 1);
    assert_only_invalid(WW_INVALID_NONE);
}

/* --- network layer ----------------------------------------------------------------- */

static void test_ipv4_options(void **state)
{
    (void)state;
    const uint8_t router_alert[4] = {0x94, 0x04, 0x00, 0x00};
    struct ipv4_spec ip = ipv4_spec(6);
    ip.options = router_alert;
    ip.options_len = 4;
    struct tcp_spec tcp = syn_spec();
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(&f, &ip, &tcp);
    assert_int_equal(f.b[ETH_LEN], 0x46);

    reset(NULL);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_int_equal(pkt.sport, 1025);
    assert_int_equal(pkt.dport, 445);
    assert_int_equal(pkt.tcp_seq, 0x01020304);
    assert_int_equal(pkt.tcp_flags, 0x02);
    assert_ptr_equal(pkt.tcp_options, f.b + ETH_LEN + 24 + TCP_LEN);
    assert_int_equal(pkt.tcp_options_len, sizeof XP_SYN_OPTIONS);
    assert_only_invalid(WW_INVALID_NONE);
}

/* Ethernet + IPv4 + TCP SYN with the given flags/fragment field. */
static void build_fragment(struct frame *f, uint16_t frag)
{
    struct ipv4_spec ip = ipv4_spec(6);
    ip.frag = frag;
    struct tcp_spec tcp = syn_spec();
    put_ethernet(f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(f, &ip, &tcp);
}

static void test_first_fragment_has_ports(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_fragment(&f, 0x2000); /* MF, offset 0 */
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_false(pkt.later_fragment);
    assert_false(pkt.df);
    assert_true(pkt.has_l4);
    assert_int_equal(pkt.sport, 1025);
    assert_int_equal(pkt.dport, 445);
    assert_int_equal(stats.fragments, 1);
    assert_int_equal(stats.tcp, 1);
}

static void test_later_fragment_has_no_l4(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_fragment(&f, 185); /* offset 1480 bytes, last fragment */
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_true(pkt.later_fragment);
    assert_false(pkt.has_l4);
    assert_int_equal(pkt.proto, 6);
    assert_int_equal(pkt.src, SCANNER);
    assert_int_equal(pkt.dst, TARGET);
    /* The bytes where a TCP header would be are payload: no ports are read. */
    assert_int_equal(pkt.sport, 0);
    assert_int_equal(pkt.dport, 0);
    assert_int_equal(pkt.tcp_flags, 0);
    assert_int_equal(stats.fragments, 1);
    assert_int_equal(stats.ipv4, 1);
    assert_int_equal(stats.tcp, 0);
    assert_only_invalid(WW_INVALID_NONE);
}

static void test_ipv6_counted_as_other(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV6);
    put_be32(&f, 0x60000000);
    put_be16(&f, TCP_LEN);
    put_u8(&f, 6);
    put_u8(&f, 64);
    put_fill(&f, 0x20, 32); /* addresses */
    struct tcp_spec tcp = syn_spec();
    put_tcp(&f, &tcp);

    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_OTHER);
    assert_int_equal(pkt.ip_version, 6);
    assert_false(pkt.has_l4);
    assert_int_equal(pkt.src, 0);
    assert_int_equal(stats.ipv6, 1);
    assert_int_equal(stats.ipv4 + stats.tcp + stats.other_l3, 0);
    assert_one_frame_counted(WW_LINK_ETHERNET, f.len);
    assert_only_invalid(WW_INVALID_NONE);

    /* Raw IP tells the versions apart by the first nibble. */
    reset(NULL);
    assert_int_equal(ww_decode(&stats, WW_LINK_RAW, TS, f.b + ETH_LEN, (uint32_t)(f.len - ETH_LEN),
                               (uint32_t)(f.len - ETH_LEN), &pkt),
                     WW_DECODED_OTHER);
    assert_int_equal(pkt.ip_version, 6);
    assert_int_equal(stats.ipv6, 1);
}

/* ARP for IPv4 over Ethernet: its fields, for the probe stage and the host table. */
static void put_arp(struct frame *f, uint16_t op, uint32_t sender, uint32_t target)
{
    put_ethernet(f, MAC_BROADCAST, ETH_ARP);
    put_be16(f, 1);      /* Ethernet */
    put_be16(f, 0x0800); /* IPv4 */
    put_u8(f, 6);
    put_u8(f, 4);
    put_be16(f, op);
    put_bytes(f, MAC_PEER, 6);
    put_be32(f, sender);
    put_fill(f, 0, 6);
    put_be32(f, target);
}

static void test_arp_request_decoded(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_arp(&f, WW_ARP_REQUEST, SCANNER, TARGET);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_ARP);
    assert_true(pkt.has_arp);
    assert_int_equal(pkt.arp.op, WW_ARP_REQUEST);
    assert_int_equal(pkt.arp.sender, SCANNER);
    assert_int_equal(pkt.arp.target, TARGET);
    assert_memory_equal(pkt.arp.sender_mac, MAC_PEER, 6);
    assert_ptr_equal(pkt.arp.sender_mac, f.b + ETH_LEN + 8);
    assert_ptr_equal(pkt.eth_src, f.b + 6);
    assert_int_equal(pkt.ip_version, 0);
    assert_true(pkt.l2_group);
    assert_false(pkt.has_l4);
    assert_int_equal(stats.arp, 1);
    assert_int_equal(stats.other_l3 + stats.ipv4 + stats.ipv6, 0);
    assert_one_frame_counted(WW_LINK_ETHERNET, f.len);
}

static void test_arp_cut_short_and_other_arp(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_arp(&f, WW_ARP_REPLY, TARGET, SCANNER);
    f.len -= 3; /* the target address cut */
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_INVALID);
    assert_int_equal(stats.invalid[WW_INVALID_ARP_TRUNCATED], 1);

    struct frame g = {.len = 0}; /* ARP for another protocol: counted, not used */
    put_ethernet(&g, MAC_BROADCAST, ETH_ARP);
    put_be16(&g, 1);
    put_be16(&g, 0x86DD);
    put_u8(&g, 6);
    put_u8(&g, 16);
    put_be16(&g, 1);
    assert_int_equal(decode(WW_LINK_ETHERNET, &g), WW_DECODED_OTHER);
    assert_false(pkt.has_arp);
    assert_int_equal(stats.other_l3, 1);
}

/* --- NBNS and ICMP ------------------------------------------------------------------ */

static void assert_nbns(uint16_t trn_id, bool response, uint8_t opcode, bool broadcast,
                        uint16_t qdcount, uint16_t qtype)
{
    assert_true(pkt.has_nbns);
    assert_int_equal(pkt.nbns.trn_id, trn_id);
    assert_int_equal(pkt.nbns.response, response);
    assert_int_equal(pkt.nbns.opcode, opcode);
    assert_int_equal(pkt.nbns.broadcast, broadcast);
    assert_int_equal(pkt.nbns.qdcount, qdcount);
    assert_int_equal(pkt.nbns.qtype, qtype);
}

static void test_nbns_nbstat_query(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_UNICAST, TARGET, 0, 1, NAME_STAR, WW_NBNS_QTYPE_NBSTAT);
    assert_int_equal(f.len, ETH_LEN + IPV4_LEN + UDP_LEN + NBNS_HEADER_LEN + 38);

    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_int_equal(pkt.proto, 17);
    assert_true(pkt.has_l4);
    assert_int_equal(pkt.sport, 137);
    assert_int_equal(pkt.dport, 137);
    assert_int_equal(pkt.dst, TARGET);
    assert_false(pkt.l2_group);
    assert_false(pkt.has_icmp_quote);
    assert_nbns(0x8001, false, 0, false, 1, WW_NBNS_QTYPE_NBSTAT);
    assert_int_equal(stats.udp, 1);
    assert_int_equal(stats.tcp, 0);
    assert_only_invalid(WW_INVALID_NONE);
}

static void test_nbns_broadcast_name_query(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_BROADCAST, IP4(10, 0, 0, 255), NBNS_FLAG_RD | NBNS_FLAG_BROADCAST, 1,
               NAME_FILESRV, WW_NBNS_QTYPE_NB);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_true(pkt.l2_group);
    assert_nbns(0x8001, false, 0, true, 1, WW_NBNS_QTYPE_NB);
}

static void test_nbns_response_and_registration(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_UNICAST, SCANNER, NBNS_FLAG_RESPONSE | NBNS_FLAG_AA | NBNS_FLAG_RD, 0, NULL, 0);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_nbns(0x8001, true, 0, false, 0, 0);

    reset(NULL);
    f.len = 0;
    build_nbns(&f, MAC_BROADCAST, IP4(10, 0, 0, 255),
               NBNS_OPCODE_REGISTRATION | NBNS_FLAG_RD | NBNS_FLAG_BROADCAST, 1, NAME_FILESRV,
               WW_NBNS_QTYPE_NB);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_nbns(0x8001, false, 5, true, 1, WW_NBNS_QTYPE_NB);
}

/* Only UDP/137 is read as NBNS: other UDP payloads are not looked at. */
static void test_udp_other_port_not_nbns(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    struct ipv4_spec ip = ipv4_spec(17);
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    size_t ip_start = begin_ipv4(&f, &ip);
    size_t udp_start = begin_udp(&f, 1030, 53);
    put_fill(&f, 0xFF, 3); /* far too short for any header */
    end_udp(&f, udp_start);
    end_ipv4(&f, ip_start);

    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_true(pkt.has_l4);
    assert_false(pkt.has_nbns);
    assert_int_equal(pkt.sport, 1030);
    assert_int_equal(pkt.dport, 53);
    assert_only_invalid(WW_INVALID_NONE);
}

/* Ethernet + IPv4 (TARGET -> SCANNER) + ICMP type/code; the caller adds the quote. */
static size_t begin_icmp(struct frame *f, uint8_t type, uint8_t code)
{
    struct ipv4_spec ip = ipv4_spec(1);
    ip.src = TARGET;
    ip.dst = SCANNER;
    ip.ttl = 64;
    put_ethernet(f, MAC_UNICAST, ETH_IPV4);
    size_t ip_start = begin_ipv4(f, &ip);
    put_u8(f, type);
    put_u8(f, code);
    put_be16(f, 0);
    put_be32(f, 0);
    return ip_start;
}

static void test_icmp_port_unreachable_quotes_syn(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    size_t ip_start = begin_icmp(&f, 3, 3);
    put_default_syn(&f); /* the quoted packet */
    end_ipv4(&f, ip_start);

    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_int_equal(pkt.proto, 1);
    assert_true(pkt.has_l4);
    assert_int_equal(pkt.src, TARGET);
    assert_int_equal(pkt.dst, SCANNER);
    assert_true(pkt.has_icmp_quote);
    assert_int_equal(pkt.icmp_quote.type, 3);
    assert_int_equal(pkt.icmp_quote.code, 3);
    assert_int_equal(pkt.icmp_quote.src, SCANNER);
    assert_int_equal(pkt.icmp_quote.dst, TARGET);
    assert_int_equal(pkt.icmp_quote.proto, 6);
    assert_int_equal(pkt.icmp_quote.sport, 1025);
    assert_int_equal(pkt.icmp_quote.dport, 445);
    assert_false(pkt.has_nbns);
    assert_int_equal(stats.icmp, 1);
    assert_int_equal(stats.tcp, 0);
    assert_only_invalid(WW_INVALID_NONE);
}

/* Only the first 8 bytes of the quoted transport header are promised (RFC 792). */
static void test_icmp_quote_of_eight_bytes(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    size_t ip_start = begin_icmp(&f, 3, 1);
    put_default_syn(&f);
    f.len -= TCP_LEN + sizeof XP_SYN_OPTIONS - 8;
    end_ipv4(&f, ip_start);

    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_true(pkt.has_icmp_quote);
    assert_int_equal(pkt.icmp_quote.code, 1);
    assert_int_equal(pkt.icmp_quote.sport, 1025);
    assert_int_equal(pkt.icmp_quote.dport, 445);
}

/* The quoted header may carry IP options: the ports come after them. */
static void test_icmp_quote_with_ip_options(void **state)
{
    (void)state;
    const uint8_t nops[8] = {1, 1, 1, 1, 1, 1, 1, 0};
    struct ipv4_spec quoted = ipv4_spec(6);
    quoted.options = nops;
    quoted.options_len = sizeof nops;
    struct tcp_spec tcp = syn_spec();
    tcp.sport = 0x0101; /* what a misplaced read of the NOPs would give */
    struct frame f = {.len = 0};
    size_t ip_start = begin_icmp(&f, 3, 13);
    put_ipv4_tcp(&f, &quoted, &tcp);
    end_ipv4(&f, ip_start);

    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_true(pkt.has_icmp_quote);
    assert_int_equal(pkt.icmp_quote.code, 13);
    assert_int_equal(pkt.icmp_quote.src, SCANNER);
    assert_int_equal(pkt.icmp_quote.dst, TARGET);
    assert_int_equal(pkt.icmp_quote.sport, 0x0101);
    assert_int_equal(pkt.icmp_quote.dport, 445);
}

/* Only destination unreachable refuses a probe; other ICMP errors quote too but say nothing. */
static void test_icmp_without_usable_quote(void **state)
{
    (void)state;
    /* echo request, TTL exceeded, redirect */
    const uint8_t not_unreachable[][2] = {{8, 0}, {11, 0}, {5, 1}};
    struct frame f = {.len = 0};
    size_t ip_start;
    for (size_t i = 0; i < sizeof not_unreachable / sizeof not_unreachable[0]; i++) {
        reset(NULL);
        f.len = 0;
        ip_start = begin_icmp(&f, not_unreachable[i][0], not_unreachable[i][1]);
        put_default_syn(&f);
        end_ipv4(&f, ip_start);
        assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
        assert_true(pkt.has_l4);
        assert_false(pkt.has_icmp_quote);
        assert_int_equal(stats.icmp, 1);
    }

    /* An unreachable whose quote stops before the ports is legal, just useless. */
    reset(NULL);
    f.len = 0;
    ip_start = begin_icmp(&f, 3, 3);
    put_default_syn(&f);
    f.len -= TCP_LEN + sizeof XP_SYN_OPTIONS - 2;
    end_ipv4(&f, ip_start);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_false(pkt.has_icmp_quote);
    assert_only_invalid(WW_INVALID_NONE);
}

/* Bytes after the IPv4 total length are link padding, never packet data. */
static void test_ethernet_padding_not_parsed(void **state)
{
    (void)state;
    /* An unreachable with no quote inside the IP packet, and one in the padding. */
    struct frame f = {.len = 0};
    size_t ip_start = begin_icmp(&f, 3, 3);
    end_ipv4(&f, ip_start);
    put_default_syn(&f);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_true(pkt.has_l4);
    assert_false(pkt.has_icmp_quote);
    assert_only_invalid(WW_INVALID_NONE);

    /* A minimum-size frame: 54 bytes of SYN padded to 60. */
    reset(NULL);
    f.len = 0;
    struct ipv4_spec ip = ipv4_spec(6);
    struct tcp_spec tcp = syn_spec();
    tcp.options_len = 0;
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(&f, &ip, &tcp);
    put_fill(&f, 0x02, 60 - f.len);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_int_equal(pkt.cap_len, 60);
    assert_int_equal(pkt.tcp_options_len, 0);
    assert_int_equal(pkt.sport, 1025);
    assert_only_invalid(WW_INVALID_NONE);
}

/* --- invalid frames: one reason each, counted once ------------------------------------ */

static void test_invalid_empty(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    reset(NULL);
    /* Nothing captured of a 14-byte frame: invalid whatever the snap length. */
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, 0), WW_DECODED_INVALID);
    assert_only_invalid(WW_INVALID_EMPTY);
    assert_int_equal(pkt.cap_len, 0);
    assert_int_equal(pkt.wire_len, ETH_LEN);
}

static void test_invalid_link_unsupported(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_default_syn(&f);
    assert_invalid(WW_LINK_UNSUPPORTED, &f, WW_INVALID_LINK_UNSUPPORTED);
    assert_int_equal(stats.ipv4, 0);
}

static void test_invalid_link_truncated(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN - 1, WW_INVALID_LINK_TRUNCATED);

    f.len = 0;
    put_sll(&f, 0, ETH_IPV4);
    put_default_syn(&f);
    assert_invalid_cut(WW_LINK_SLL, &f, 15, WW_INVALID_LINK_TRUNCATED);

    f.len = 0;
    put_sll2(&f, 0, ETH_IPV4);
    put_default_syn(&f);
    assert_invalid_cut(WW_LINK_SLL2, &f, 19, WW_INVALID_LINK_TRUNCATED);

    f.len = 0;
    build_null(&f, 2, false);
    assert_invalid_cut(WW_LINK_NULL, &f, 3, WW_INVALID_LINK_TRUNCATED);
    assert_invalid_cut(WW_LINK_LOOP, &f, 3, WW_INVALID_LINK_TRUNCATED);

    /* A VLAN tag cut in half. */
    f.len = 0;
    build_vlan_stack(&f, 2);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN + 4 + 2, WW_INVALID_LINK_TRUNCATED);
}

static void test_invalid_ipv4_truncated(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN, WW_INVALID_IPV4_TRUNCATED);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN - 1, WW_INVALID_IPV4_TRUNCATED);
    assert_int_equal(stats.ipv4, 0);

    /* IHL 6: the header is 24 bytes and only 20 of them were captured. */
    const uint8_t nops[4] = {1, 1, 1, 0};
    struct ipv4_spec ip = ipv4_spec(6);
    ip.options = nops;
    ip.options_len = 4;
    struct tcp_spec tcp = syn_spec();
    f.len = 0;
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(&f, &ip, &tcp);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN, WW_INVALID_IPV4_TRUNCATED);
}

static void test_invalid_ipv4_version(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    f.b[ETH_LEN] = 0x65; /* says IPv6 inside an IPv4 ethertype */
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_IPV4_VERSION);
    assert_int_equal(stats.ipv4 + stats.ipv6, 0);
}

static void test_invalid_ipv4_header_length(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    f.b[ETH_LEN] = 0x44;
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_IPV4_HLEN);
    f.b[ETH_LEN] = 0x40;
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_IPV4_HLEN);
}

static void test_invalid_ipv4_total_length(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    set_be16(&f, ETH_LEN + 2, IPV4_LEN - 1);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_IPV4_TOTLEN);
    assert_int_equal(stats.ipv4, 0);

    /* With options the header is longer than 20: 22 bytes cannot hold it. */
    const uint8_t nops[4] = {1, 1, 1, 0};
    struct ipv4_spec ip = ipv4_spec(6);
    ip.options = nops;
    ip.options_len = 4;
    struct tcp_spec tcp = syn_spec();
    f.len = 0;
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(&f, &ip, &tcp);
    set_be16(&f, ETH_LEN + 2, IPV4_LEN + 2);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_IPV4_TOTLEN);
}

static void test_invalid_ipv6_truncated(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV6);
    put_be32(&f, 0x60000000);
    put_fill(&f, 0, 35); /* 39 of the 40 header bytes */
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_IPV6_TRUNCATED);
    assert_int_equal(stats.ipv6, 0);
}

static void test_invalid_tcp_truncated(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    /* Snap length cuts the fixed header, then the options. */
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN + TCP_LEN - 1,
                       WW_INVALID_TCP_TRUNCATED);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, f.len - 1, WW_INVALID_TCP_TRUNCATED);
    assert_int_equal(stats.ipv4, 1);
}

static void test_invalid_tcp_data_offset_below_5(void **state)
{
    (void)state;
    struct ipv4_spec ip = ipv4_spec(6);
    struct tcp_spec tcp = syn_spec();
    tcp.options_len = 0;
    tcp.data_offset = 4;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(&f, &ip, &tcp);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_TCP_HLEN);
}

/*
 * decode.h: TCP_HLEN is "data offset below 5 or past the segment". Here the
 * whole frame was captured, but the data offset (24 bytes) runs past the
 * segment the IPv4 total length allows (20 bytes): the header lies, the
 * capture is not short. The padding after the packet must not serve as options.
 */
static void test_invalid_tcp_data_offset_past_segment(void **state)
{
    (void)state;
    struct ipv4_spec ip = ipv4_spec(6);
    struct tcp_spec tcp = syn_spec();
    tcp.options_len = 0;
    tcp.data_offset = 6;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_ipv4_tcp(&f, &ip, &tcp);
    put_fill(&f, 0x01, 60 - f.len); /* Ethernet padding: NOPs if misread as options */
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_TCP_HLEN);
}

/* Ethernet + IPv4 + UDP from 1030 to `dport` with `payload_len` bytes of `fill`. */
static size_t build_udp(struct frame *f, uint16_t dport, size_t payload_len, uint8_t fill)
{
    struct ipv4_spec ip = ipv4_spec(17);
    put_ethernet(f, MAC_UNICAST, ETH_IPV4);
    size_t ip_start = begin_ipv4(f, &ip);
    size_t udp_start = begin_udp(f, 1030, dport);
    put_fill(f, fill, payload_len);
    end_udp(f, udp_start);
    end_ipv4(f, ip_start);
    return udp_start;
}

static void test_invalid_udp_truncated(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_udp(&f, 53, 4, 0);
    assert_invalid_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN + UDP_LEN - 1,
                       WW_INVALID_UDP_TRUNCATED);
    assert_int_equal(stats.udp, 1);
}

static void test_invalid_udp_length(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    size_t udp = build_udp(&f, 53, 4, 0);
    set_be16(&f, udp + 4, UDP_LEN - 1);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_UDP_LEN);
}

static void test_invalid_icmp_truncated(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    size_t ip_start = begin_icmp(&f, 3, 3);
    f.len -= 1; /* 7 bytes of ICMP header */
    end_ipv4(&f, ip_start);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_ICMP_TRUNCATED);
    assert_int_equal(stats.icmp, 1);
}

static void test_invalid_nbns_short_header(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_udp(&f, 137, NBNS_HEADER_LEN - 1, 0);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_NBNS_MALFORMED);
}

static void test_invalid_nbns_label_past_end(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_UNICAST, TARGET, 0, 1, NAME_STAR, WW_NBNS_QTYPE_NBSTAT);
    /* Keep the header and 10 bytes of a 32-byte label, lengths consistent. */
    size_t ip_start = ETH_LEN, udp_start = ETH_LEN + IPV4_LEN;
    f.len = udp_start + UDP_LEN + NBNS_HEADER_LEN + 1 + 10;
    end_udp(&f, udp_start);
    end_ipv4(&f, ip_start);
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_NBNS_MALFORMED);
}

/* Label lengths 64..191 are reserved: not a name. */
static void test_invalid_nbns_label_too_long(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_UNICAST, TARGET, 0, 1, NAME_STAR, WW_NBNS_QTYPE_NBSTAT);
    f.b[ETH_LEN + IPV4_LEN + UDP_LEN + NBNS_HEADER_LEN] = 64;
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_NBNS_MALFORMED);
}

/* A compression pointer ends a name; the question type follows it. */
static void test_nbns_name_compression_pointer(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    struct ipv4_spec ip = ipv4_spec(17);
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    size_t ip_start = begin_ipv4(&f, &ip);
    size_t udp_start = begin_udp(&f, 137, 137);
    put_nbns_header(&f, 0x0042, 0, 1, 0);
    put_u8(&f, 0xC0);
    put_u8(&f, 0x0C);
    put_be16(&f, WW_NBNS_QTYPE_NB);
    put_be16(&f, 1);
    end_udp(&f, udp_start);
    end_ipv4(&f, ip_start);
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_nbns(0x0042, false, 0, false, 1, WW_NBNS_QTYPE_NB);
    assert_only_invalid(WW_INVALID_NONE);
}

/* The NBNS message ends where the UDP length says, even if more bytes follow. */
static void test_invalid_nbns_bounded_by_udp_length(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_UNICAST, TARGET, 0, 1, NAME_STAR, WW_NBNS_QTYPE_NBSTAT);
    set_be16(&f, ETH_LEN + IPV4_LEN + 4, UDP_LEN + NBNS_HEADER_LEN); /* question outside */
    assert_invalid(WW_LINK_ETHERNET, &f, WW_INVALID_NBNS_MALFORMED);
}

/* --- frames cut by the snap length ------------------------------------------------------ */

/* Cut, not invalid: counted once as cut, with `lost` (WW_CUT_BIT()s) lost. */
static void assert_cut(uint8_t lost)
{
    assert_only_invalid(WW_INVALID_NONE);
    assert_int_equal(stats.cut, 1);
    assert_int_equal(pkt.cut, lost);
    for (int what = 0; what < WW_CUT__COUNT; what++)
        assert_int_equal(stats.cut_lost[what], (lost >> what) & 1);
}

/* -s 54: the fixed TCP header whole, the options gone; ports, flags and window kept. */
static void test_cut_tcp_options(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    for (size_t cap = ETH_LEN + IPV4_LEN + TCP_LEN; cap < f.len; cap++) {
        reset(NULL);
        assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, cap), WW_DECODED_IPV4);
        assert_cut(WW_CUT_BIT(WW_CUT_TCP_OPTIONS));
        assert_true(pkt.has_l4);
        assert_int_equal(pkt.sport, 1025);
        assert_int_equal(pkt.dport, 445);
        assert_int_equal(pkt.tcp_flags, 0x02);
        assert_int_equal(pkt.tcp_window, 64240);
        assert_int_equal(pkt.tcp_options_len, 0);
        assert_null(pkt.tcp_options);
    }
    /* The same bytes claiming to be the whole frame are a lie. */
    assert_invalid_cut(WW_LINK_ETHERNET, &f, f.len - 1, WW_INVALID_TCP_TRUNCATED);
}

/* Cut after the flags: ports, sequence and flags only; before them, no transport. */
static void test_cut_tcp_fixed_header(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN + 14), WW_DECODED_IPV4);
    assert_cut(WW_CUT_BIT(WW_CUT_TCP_WINDOW) | WW_CUT_BIT(WW_CUT_TCP_OPTIONS));
    assert_true(pkt.has_l4);
    assert_int_equal(pkt.dport, 445);
    assert_int_equal(pkt.tcp_seq, 0x01020304);
    assert_int_equal(pkt.tcp_flags, 0x02);
    assert_int_equal(pkt.tcp_window, 0); /* never read from bytes that were not there */

    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN + 13), WW_DECODED_IPV4);
    assert_cut(WW_CUT_BIT(WW_CUT_HEADERS));
    assert_false(pkt.has_l4);
    assert_int_equal(pkt.src, SCANNER); /* the IPv4 header was whole: its source sent */
}

/* Cut inside the link or IPv4 header: nothing of the frame is used. */
static void test_cut_link_and_ip_headers(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    const size_t cuts[] = {ETH_LEN - 1, ETH_LEN, ETH_LEN + IPV4_LEN - 1};
    for (size_t i = 0; i < 3; i++) {
        reset(NULL);
        assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, cuts[i]), WW_DECODED_OTHER);
        assert_cut(WW_CUT_BIT(WW_CUT_HEADERS));
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(pkt.src, 0);
        assert_false(pkt.has_l4);
    }
}

/* tcpdump's 68 bytes cut an NBNS query inside its name: a query of unknown type. */
static void test_cut_nbns_question(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    build_nbns(&f, MAC_UNICAST, TARGET, 0, 1, NAME_STAR, WW_NBNS_QTYPE_NBSTAT);
    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, 68), WW_DECODED_IPV4);
    assert_cut(WW_CUT_BIT(WW_CUT_NBNS_QUESTION));
    assert_true(pkt.has_nbns);
    assert_int_equal(pkt.nbns.qdcount, 1);
    assert_int_equal(pkt.nbns.qtype, 0);
    assert_false(pkt.nbns.response);
    /* Cut inside the NBNS header: no NBNS at all. */
    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, ETH_LEN + IPV4_LEN + UDP_LEN + 5),
                     WW_DECODED_IPV4);
    assert_cut(WW_CUT_BIT(WW_CUT_HEADERS));
    assert_false(pkt.has_nbns);
    /* Whole but for the name: a lie, as before. */
    reset(NULL);
    assert_int_equal(decode_short(WW_LINK_ETHERNET, &f, 68), WW_DECODED_INVALID);
}

/* A frame captured shorter than on the wire that lost nothing we read: cut, nothing lost. */
static void test_cut_payload_only(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&f);
    reset(NULL);
    assert_int_equal(ww_decode(&stats, WW_LINK_ETHERNET, TS, f.b, (uint32_t)f.len,
                               (uint32_t)f.len + 1000, &pkt),
                     WW_DECODED_IPV4);
    assert_cut(0);
    assert_int_equal(pkt.tcp_options_len, sizeof XP_SYN_OPTIONS);
}

/* The payload after the TCP options and after the UDP header: where, how much captured, how much sent. */
static void test_payload_of_tcp_and_udp(void **state)
{
    (void)state;
    struct frame f = {.len = 0};
    struct ipv4_spec ip = ipv4_spec(6);
    struct tcp_spec tcp = syn_spec();
    tcp.flags = 0x18; /* PSH ACK */
    put_ethernet(&f, MAC_UNICAST, ETH_IPV4);
    size_t ip_start = begin_ipv4(&f, &ip);
    put_tcp(&f, &tcp);
    size_t data = f.len;
    put_fill(&f, 0xAB, 100);
    end_ipv4(&f, ip_start);
    put_fill(&f, 0, 6); /* link padding: not payload */
    assert_int_equal(decode(WW_LINK_ETHERNET, &f), WW_DECODED_IPV4);
    assert_ptr_equal(pkt.payload, f.b + data);
    assert_int_equal(pkt.payload_len, 100);
    assert_int_equal(pkt.payload_wire_len, 100);
    /* Cut 40 bytes into the payload: 40 captured of 100. */
    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, data + 40), WW_DECODED_IPV4);
    assert_int_equal(pkt.payload_len, 40);
    assert_int_equal(pkt.payload_wire_len, 100);
    /* Options cut: no payload known at all. */
    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &f, data - 2), WW_DECODED_IPV4);
    assert_null(pkt.payload);
    assert_int_equal(pkt.payload_len, 0);

    struct frame u = {.len = 0};
    size_t udp = build_udp(&u, 53, 30, 0xCD);
    reset(NULL);
    assert_int_equal(decode(WW_LINK_ETHERNET, &u), WW_DECODED_IPV4);
    assert_ptr_equal(pkt.payload, u.b + udp + UDP_LEN);
    assert_int_equal(pkt.payload_len, 30);
    assert_int_equal(pkt.payload_wire_len, 30);
    reset(NULL);
    assert_int_equal(decode_cut(WW_LINK_ETHERNET, &u, udp + UDP_LEN + 10), WW_DECODED_IPV4);
    assert_int_equal(pkt.payload_len, 10);
    assert_int_equal(pkt.payload_wire_len, 30);
}

/* Counters add up across frames and never count a frame twice. */
static void test_stats_accumulate(void **state)
{
    (void)state;
    struct frame syn = {.len = 0}, arp = {.len = 0}, raw = {.len = 0};
    put_ethernet(&syn, MAC_UNICAST, ETH_IPV4);
    put_default_syn(&syn);
    put_ethernet(&arp, MAC_BROADCAST, ETH_ARP);
    put_fill(&arp, 0, 28);
    put_default_syn(&raw);

    assert_int_equal(decode(WW_LINK_ETHERNET, &syn), WW_DECODED_IPV4);
    assert_int_equal(decode(WW_LINK_ETHERNET, &arp), WW_DECODED_OTHER);
    assert_int_equal(decode(WW_LINK_RAW, &raw), WW_DECODED_IPV4);
    assert_int_equal(decode_short(WW_LINK_RAW, &raw, 10), WW_DECODED_INVALID);
    assert_int_equal(decode_cut(WW_LINK_SLL, &raw, 0), WW_DECODED_INVALID);

    assert_int_equal(stats.packets, 5);
    assert_int_equal(stats.bytes, syn.len + arp.len + 2 * raw.len + 10);
    assert_int_equal(stats.link[WW_LINK_ETHERNET], 2);
    assert_int_equal(stats.link[WW_LINK_RAW], 2);
    assert_int_equal(stats.link[WW_LINK_SLL], 1);
    assert_int_equal(stats.ipv4, 2);
    assert_int_equal(stats.tcp, 2);
    assert_int_equal(stats.other_l3, 1);
    assert_int_equal(stats.invalid[WW_INVALID_IPV4_TRUNCATED], 1);
    assert_int_equal(stats.invalid[WW_INVALID_EMPTY], 1);
    assert_int_equal(stats.invalid[WW_INVALID_NONE], 0);
}

#define T(name) cmocka_unit_test_setup(name, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_link_from_dlt),
        T(test_ethernet_syn_every_field),
        T(test_ethernet_group_destination),
        T(test_single_8021q_tag),
        T(test_qinq_88a8_then_8100),
        T(test_qinq_9100),
        T(test_vlan_stack_at_limit),
        T(test_vlan_stack_too_deep),
        T(test_linux_sll),
        T(test_linux_sll_with_vlan),
        T(test_linux_sll2),
        T(test_raw_ipv4),
        T(test_null_little_endian),
        T(test_null_big_endian),
        T(test_loop),
        T(test_null_other_families),
        T(test_ipv4_options),
        T(test_first_fragment_has_ports),
        T(test_later_fragment_has_no_l4),
        T(test_ipv6_counted_as_other),
        T(test_arp_request_decoded),
        T(test_arp_cut_short_and_other_arp),
        T(test_nbns_nbstat_query),
        T(test_nbns_broadcast_name_query),
        T(test_nbns_response_and_registration),
        T(test_udp_other_port_not_nbns),
        T(test_icmp_port_unreachable_quotes_syn),
        T(test_icmp_quote_of_eight_bytes),
        T(test_icmp_quote_with_ip_options),
        T(test_icmp_without_usable_quote),
        T(test_ethernet_padding_not_parsed),
        T(test_invalid_empty),
        T(test_invalid_link_unsupported),
        T(test_payload_of_tcp_and_udp),
        T(test_cut_tcp_options),
        T(test_cut_tcp_fixed_header),
        T(test_cut_link_and_ip_headers),
        T(test_cut_nbns_question),
        T(test_cut_payload_only),
        T(test_invalid_link_truncated),
        T(test_invalid_ipv4_truncated),
        T(test_invalid_ipv4_version),
        T(test_invalid_ipv4_header_length),
        T(test_invalid_ipv4_total_length),
        T(test_invalid_ipv6_truncated),
        T(test_invalid_tcp_truncated),
        T(test_invalid_tcp_data_offset_below_5),
        T(test_invalid_tcp_data_offset_past_segment),
        T(test_invalid_udp_truncated),
        T(test_invalid_udp_length),
        T(test_invalid_icmp_truncated),
        T(test_invalid_nbns_short_header),
        T(test_invalid_nbns_label_past_end),
        T(test_invalid_nbns_label_too_long),
        T(test_nbns_name_compression_pointer),
        T(test_invalid_nbns_bounded_by_udp_length),
        T(test_stats_accumulate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
