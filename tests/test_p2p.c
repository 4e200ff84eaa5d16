/*
 * Unit tests for Conficker.C's P2P ports and messages (p2p.h): the week
 * numbering, the exclusion list, the ports against a table nmap computed,
 * the matching near a week boundary, nmap's real messages, and every way a
 * message can be cut short, lie or be damaged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/p2p.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_S 1000000000ULL
#define HOUR_NS (3600 * NS_PER_S)
#define DAY_NS (24 * HOUR_NS)

#include "p2p/nmap_ports_table.h"

#define MONDAY_2009_03_30 1238371200ULL /* starts week 2047 */

/* --- weeks --------------------------------------------------------------------------------- */

static void test_week_starts_monday_utc(void **state)
{
    (void)state;
    assert_int_equal(ww_p2p_week(0), -1);
    assert_int_equal(ww_p2p_week(345600 * NS_PER_S - 1), -1);
    assert_int_equal(ww_p2p_week(345600 * NS_PER_S), 0);
    assert_int_equal(ww_p2p_week(MONDAY_2009_03_30 * NS_PER_S - 1), 2046);
    assert_int_equal(ww_p2p_week(MONDAY_2009_03_30 * NS_PER_S), 2047);
    assert_int_equal(ww_p2p_week((MONDAY_2009_03_30 + 7 * 86400) * NS_PER_S - 1), 2047);
    assert_int_equal(ww_p2p_week((MONDAY_2009_03_30 + 7 * 86400) * NS_PER_S), 2048);
    assert_int_equal(ww_p2p_week_start_ns(2047), MONDAY_2009_03_30 * NS_PER_S);
    assert_int_equal(ww_p2p_week_start_ns(0), 345600 * NS_PER_S);
    assert_int_equal(ww_p2p_week_start_ns(-1), 0);
    assert_int_equal(ww_p2p_week(UINT64_MAX), (int64_t)((UINT64_MAX - 345600 * NS_PER_S) /
                                                        (604800 * NS_PER_S)));
}

/* nmap's week is floor((t - 345600) / 604800) of the Unix time it ran at: the table's seeds. */
static void test_week_numbers_are_nmaps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof nmap_ports_table / sizeof *nmap_ports_table; i++) {
        const struct nmap_ports_row *row = &nmap_ports_table[i];
        assert_int_equal(ww_p2p_week((uint64_t)row->unix_s * NS_PER_S), row->week);
    }
}

/* --- ports --------------------------------------------------------------------------------- */

static void test_exclusion_list(void **state)
{
    (void)state;
    unsigned allowed = 0;
    for (uint32_t port = 0; port < 65536; port++)
        allowed += !ww_p2p_port_excluded((uint16_t)port);
    assert_int_equal(allowed, 56384);
    for (uint32_t port = 0; port < 2048; port++)
        assert_true(ww_p2p_port_excluded((uint16_t)port));
    /* BitTorrent, HTTP alternate, RDP, SIP, Steam, and the top port. */
    static const uint16_t services[] = {6881, 8080, 3389, 5060, 27015, 65535};
    for (size_t i = 0; i < sizeof services / sizeof *services; i++)
        assert_true(ww_p2p_port_excluded(services[i]));
    /* Ports nmap computed are never excluded. */
    for (size_t i = 0; i < sizeof nmap_ports_table / sizeof *nmap_ports_table; i++)
        for (int k = 0; k < 2; k++) {
            assert_false(ww_p2p_port_excluded(nmap_ports_table[i].tcp[k]));
            assert_false(ww_p2p_port_excluded(nmap_ports_table[i].udp[k]));
        }
}

static void sorted(const uint16_t in[2], uint16_t out[2])
{
    out[0] = in[0] < in[1] ? in[0] : in[1];
    out[1] = in[0] < in[1] ? in[1] : in[0];
}

static void test_ports_equal_nmaps(void **state)
{
    (void)state;
    size_t rows = sizeof nmap_ports_table / sizeof *nmap_ports_table;
    assert_int_equal(rows, 120);
    for (size_t i = 0; i < rows; i++) {
        const struct nmap_ports_row *row = &nmap_ports_table[i];
        struct ww_p2p_ports p;
        ww_p2p_ports_at(row->ip, (uint64_t)row->unix_s * NS_PER_S, &p);
        uint16_t tcp[2], udp[2];
        sorted(p.tcp, tcp);
        sorted(p.udp, udp);
        assert_memory_equal(tcp, row->tcp, sizeof tcp);
        assert_memory_equal(udp, row->udp, sizeof udp);
    }
}

/* A known row spelled out: which of nmap's two ports is the fixed one. */
static void test_fixed_and_weekly_ports(void **state)
{
    (void)state;
    struct ww_p2p_ports p;
    ww_p2p_ports(IP4(8, 8, 8, 8), 2047, &p);
    assert_int_equal(p.tcp[0], 50006);
    assert_int_equal(p.udp[0], 38222);
    assert_int_equal(p.tcp[1], 20832);
    assert_int_equal(p.udp[1], 47145);
    ww_p2p_ports(IP4(8, 8, 8, 8), 2046, &p);
    assert_int_equal(p.tcp[0], 50006);
    assert_int_equal(p.udp[0], 38222);
    assert_int_equal(p.tcp[1], 30116);
    assert_int_equal(p.udp[1], 50643);
    /* For every address of the table the fixed pair is the same in every week. */
    size_t rows = sizeof nmap_ports_table / sizeof *nmap_ports_table;
    for (size_t i = 0; i < rows; i++) {
        struct ww_p2p_ports first, here;
        ww_p2p_ports(nmap_ports_table[i].ip, -1, &first);
        ww_p2p_ports(nmap_ports_table[i].ip, nmap_ports_table[i].week, &here);
        assert_int_equal(here.tcp[0], first.tcp[0]);
        assert_int_equal(here.udp[0], first.udp[0]);
        assert_int_not_equal(here.tcp[0], here.udp[0]);
        assert_int_not_equal(here.tcp[1], here.udp[1]);
    }
}

static void test_match_near_week_boundary(void **state)
{
    (void)state;
    const uint32_t ip = IP4(8, 8, 8, 8);
    const uint64_t boundary = MONDAY_2009_03_30 * NS_PER_S;
    int64_t week = 0;
    /* Fixed ports at any time, weekly ports in their own week. */
    assert_int_equal(ww_p2p_match_port(ip, 50006, true, boundary + 3 * DAY_NS, DAY_NS, &week),
                     WW_P2P_MATCH_FIXED);
    assert_int_equal(week, 2047);
    assert_int_equal(ww_p2p_match_port(ip, 38222, false, boundary, DAY_NS, &week), WW_P2P_MATCH_FIXED);
    assert_int_equal(ww_p2p_match_port(ip, 20832, true, boundary, DAY_NS, &week), WW_P2P_MATCH_WEEK);
    assert_int_equal(week, 2047);
    assert_int_equal(ww_p2p_match_port(ip, 47145, false, boundary + 6 * DAY_NS, 0, &week),
                     WW_P2P_MATCH_WEEK);
    /* Just after the boundary the previous week's port still counts, within the slack only. */
    assert_int_equal(ww_p2p_match_port(ip, 30116, true, boundary + HOUR_NS, DAY_NS, &week),
                     WW_P2P_MATCH_ADJACENT);
    assert_int_equal(week, 2046);
    assert_int_equal(ww_p2p_match_port(ip, 50643, false, boundary + DAY_NS - 1, DAY_NS, &week),
                     WW_P2P_MATCH_ADJACENT);
    assert_int_equal(ww_p2p_match_port(ip, 30116, true, boundary + DAY_NS, DAY_NS, &week),
                     WW_P2P_NO_MATCH);
    assert_int_equal(week, 2047);
    assert_int_equal(ww_p2p_match_port(ip, 30116, true, boundary + HOUR_NS, 0, NULL), WW_P2P_NO_MATCH);
    /* Just before it the next week's port counts. */
    assert_int_equal(ww_p2p_match_port(ip, 20832, true, boundary - HOUR_NS, DAY_NS, &week),
                     WW_P2P_MATCH_ADJACENT);
    assert_int_equal(week, 2047);
    assert_int_equal(ww_p2p_match_port(ip, 20832, true, boundary - 2 * DAY_NS, DAY_NS, &week),
                     WW_P2P_NO_MATCH);
    /* A TCP port is not a UDP port, and an excluded port never matches. */
    assert_int_equal(ww_p2p_match_port(ip, 50006, false, boundary, DAY_NS, NULL), WW_P2P_NO_MATCH);
    assert_int_equal(ww_p2p_match_port(ip, 38222, true, boundary, DAY_NS, NULL), WW_P2P_NO_MATCH);
    assert_int_equal(ww_p2p_match_port(ip, 445, true, boundary, DAY_NS, &week), WW_P2P_NO_MATCH);
    assert_int_equal(week, 2047);
}

/* --- messages ------------------------------------------------------------------------------ */

/* What nmap's p2p-conficker sent in pcaps/real/p2p_nmap.pcap (frames 99 and 33). */
static const uint8_t NMAP_UDP[] = {0x18, 0x62, 0xe1, 0x56, 0xcd, 0xba, 0x62, 0x32,
                                   0x31, 0x40, 0xb5, 0x61, 0x14, 0x50};
static const uint8_t NMAP_TCP[] = {0x0e, 0x00, 0x79, 0x1a, 0xdf, 0x51, 0x52, 0xb0,
                                   0x9d, 0x25, 0xf7, 0x48, 0xcd, 0x80, 0x11, 0x41};

static void test_nmap_messages_verify(void **state)
{
    (void)state;
    struct ww_p2p_message m;
    assert_int_equal(ww_p2p_verify(NMAP_UDP, sizeof NMAP_UDP, sizeof NMAP_UDP, false, &m), WW_P2P_VALID);
    assert_int_equal(m.key_lo, 0x56e16218u);
    assert_int_equal(m.key_hi, 0x3262bacdu);
    assert_int_equal(m.flags, WW_P2P_FLAG_MODE | WW_P2P_FLAG_ENCODED);
    assert_int_equal(m.checked_len, 10);
    assert_int_equal(m.noise_len, 0);
    assert_int_equal(m.checksum, m.computed);
    assert_true(ww_p2p_nmap_shaped(&m));

    assert_int_equal(ww_p2p_verify(NMAP_TCP, sizeof NMAP_TCP, sizeof NMAP_TCP, true, &m), WW_P2P_VALID);
    assert_int_equal(m.frame_len, 14);
    assert_int_equal(m.flags, WW_P2P_FLAG_MODE | WW_P2P_FLAG_ENCODED | WW_P2P_FLAG_IS_TCP);
    assert_true(ww_p2p_nmap_shaped(&m));

    /* The framing matters: each read the other way fails. */
    assert_int_not_equal(ww_p2p_verify(NMAP_UDP, sizeof NMAP_UDP, sizeof NMAP_UDP, true, NULL),
                         WW_P2P_VALID);
    assert_int_not_equal(ww_p2p_verify(NMAP_TCP, sizeof NMAP_TCP, sizeof NMAP_TCP, false, NULL),
                         WW_P2P_VALID);
}

/* A message with every optional field and noise, as our stand-in peer answers nmap. */
static size_t full_message(bool tcp, uint8_t *out, size_t cap)
{
    static const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7};
    static const uint8_t noise[] = {0xaa, 0xbb, 0xcc};
    struct ww_p2p_message m = {
        .key_lo = 0x89abcdefu, .key_hi = 0x01234567u,
        .flags = WW_P2P_FLAG_MODE | WW_P2P_FLAG_ENCODED | WW_P2P_FLAG_PEER | WW_P2P_FLAG_UNKNOWN0 |
                 WW_P2P_FLAG_UNKNOWN1 | WW_P2P_FLAG_DATA | WW_P2P_FLAG_SYSINFO,
        .tcp = tcp, .peer_ip = IP4(192, 0, 2, 1), .peer_port = 4242,
        .unknown0 = 0xdeadbeefu, .unknown1 = 7, .data_type = 9, .data_len = sizeof data,
    };
    for (int i = 0; i < WW_P2P_SYSINFO_BYTES; i++)
        m.sysinfo[i] = (uint8_t)(0x40 + i);
    return ww_p2p_encode(&m, data, noise, sizeof noise, out, cap);
}

/* key 8 + flags 2 + peer 6 + unknowns 8 + data 3 + 7 + sysinfo 26 = 60, checksum 4, noise 3 */
#define FULL_CHECKED 60
#define FULL_LEN 67

static void test_round_trip_every_field(void **state)
{
    (void)state;
    uint8_t buf[128];
    for (int tcp = 0; tcp <= 1; tcp++) {
        size_t len = full_message(tcp, buf, sizeof buf);
        assert_int_equal(len, FULL_LEN + (tcp ? 2 : 0));
        struct ww_p2p_message m;
        assert_int_equal(ww_p2p_verify(buf, len, len, tcp, &m), WW_P2P_VALID);
        assert_int_equal(m.frame_len, tcp ? FULL_LEN : 0);
        assert_int_equal(m.peer_ip, IP4(192, 0, 2, 1));
        assert_int_equal(m.peer_port, 4242);
        assert_int_equal(m.unknown0, 0xdeadbeefu);
        assert_int_equal(m.unknown1, 7);
        assert_int_equal(m.data_type, 9);
        assert_int_equal(m.data_len, 7);
        assert_int_equal(m.sysinfo[0], 0x40);
        assert_int_equal(m.sysinfo[25], 0x40 + 25);
        assert_int_equal(m.checked_len, FULL_CHECKED);
        assert_int_equal(m.noise_len, 3);
        assert_false(ww_p2p_nmap_shaped(&m));
    }
    /* Too small a buffer writes nothing. */
    assert_int_equal(full_message(false, buf, FULL_LEN - 1), 0);
}

static void test_key_zero_is_plaintext(void **state)
{
    (void)state;
    struct ww_p2p_message m = {.flags = WW_P2P_FLAG_MODE};
    uint8_t buf[32];
    size_t len = ww_p2p_encode(&m, NULL, NULL, 0, buf, sizeof buf);
    assert_int_equal(len, 14);
    assert_int_equal(buf[8], WW_P2P_FLAG_MODE); /* not encrypted */
    /* checksum: 10 rotated by 10, then each byte XORed in and rotated. */
    uint32_t sum = 10;
    for (size_t i = 0; i < 10; i++) {
        sum ^= buf[i];
        sum = sum << 1 | sum >> 31;
    }
    uint32_t sent = (uint32_t)buf[10] | (uint32_t)buf[11] << 8 | (uint32_t)buf[12] << 16 |
                    (uint32_t)buf[13] << 24;
    assert_int_equal(sent, sum);
    assert_int_equal(ww_p2p_verify(buf, len, len, false, NULL), WW_P2P_VALID);
}

/* Every cut of the captured bytes: truncated before the checksum, valid after it. */
static void test_every_truncation(void **state)
{
    (void)state;
    uint8_t buf[128];
    for (int tcp = 0; tcp <= 1; tcp++) {
        size_t len = full_message(tcp, buf, sizeof buf);
        size_t checksum_end = (tcp ? 2 : 0) + FULL_CHECKED + 4;
        for (size_t cap = 0; cap < len; cap++) {
            struct ww_p2p_message m;
            enum ww_p2p_verdict v = ww_p2p_verify(buf, cap, len, tcp, &m);
            assert_int_equal(v, cap < checksum_end ? WW_P2P_TRUNCATED : WW_P2P_VALID);
            /* The same bytes as a whole datagram (or segment and frame) are too short. */
            v = ww_p2p_verify(buf, cap, cap, tcp, NULL);
            if (cap < checksum_end)
                assert_int_equal(v, tcp && cap >= 2 ? WW_P2P_TRUNCATED : WW_P2P_MALFORMED);
        }
    }
}

/* TCP: the frame may continue past the segment; a checksum captured still verifies. */
static void test_tcp_frame_longer_than_segment(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = full_message(true, buf, sizeof buf);
    struct ww_p2p_message m;
    /* Only the noise is in a later segment. */
    assert_int_equal(ww_p2p_verify(buf, len - 3, len - 3, true, &m), WW_P2P_VALID);
    assert_int_equal(m.noise_len, 0);
    /* A frame that claims more than its fields and checksum is fine (noise); less is not. */
    buf[0] = 13;
    assert_int_equal(ww_p2p_verify(buf, len, len, true, NULL), WW_P2P_MALFORMED);
    buf[0] = (uint8_t)(FULL_CHECKED + 3);
    assert_int_equal(ww_p2p_verify(buf, len, len, true, NULL), WW_P2P_MALFORMED);
    buf[0] = (uint8_t)(FULL_CHECKED + 4);
    assert_int_equal(ww_p2p_verify(buf, len, len, true, &m), WW_P2P_VALID);
    assert_int_equal(m.noise_len, 0);
    buf[0] = 0xff;
    buf[1] = 0xff;
    assert_int_equal(ww_p2p_verify(buf, len, len, true, &m), WW_P2P_VALID);
    assert_int_equal(m.frame_len, 0xffff);
    assert_int_equal(m.noise_len, 3);
    /* One byte of the length is not enough to say anything. */
    assert_int_equal(ww_p2p_verify(buf, 1, 100, true, NULL), WW_P2P_TRUNCATED);
    assert_int_equal(ww_p2p_verify(buf, 1, 1, true, NULL), WW_P2P_MALFORMED);
    assert_int_equal(ww_p2p_verify(NULL, 0, 0, false, NULL), WW_P2P_MALFORMED);
}

/* Ethernet padding after a short datagram is not part of it. */
static void test_padding_is_ignored(void **state)
{
    (void)state;
    uint8_t frame[46] = {0};
    memcpy(frame, NMAP_UDP, sizeof NMAP_UDP);
    struct ww_p2p_message m;
    assert_int_equal(ww_p2p_verify(frame, sizeof frame, sizeof NMAP_UDP, false, &m), WW_P2P_VALID);
    assert_int_equal(m.noise_len, 0);
    assert_true(ww_p2p_nmap_shaped(&m));
    /* Read as 46 bytes, the padding is noise: still valid, no longer nmap's shape. */
    assert_int_equal(ww_p2p_verify(frame, sizeof frame, sizeof frame, false, &m), WW_P2P_VALID);
    assert_int_equal(m.noise_len, 32);
    assert_false(ww_p2p_nmap_shaped(&m));
}

/* Any one flipped bit in the key, flags, fields or checksum is caught; in the noise it is not. */
static void test_every_bit_flip(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = full_message(false, buf, sizeof buf);
    unsigned caught = 0;
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1 << bit);
            enum ww_p2p_verdict v = ww_p2p_verify(buf, len, len, false, NULL);
            if (i < FULL_CHECKED + 4) {
                assert_int_not_equal(v, WW_P2P_VALID);
                caught++;
            } else {
                assert_int_equal(v, WW_P2P_VALID);
            }
            buf[i] ^= (uint8_t)(1 << bit);
        }
    assert_int_equal(caught, (FULL_CHECKED + 4) * 8);
}

/* Lengths inside the message that point past its end. */
static void test_hostile_lengths(void **state)
{
    (void)state;
    struct ww_p2p_message m = {.key_lo = 1, .key_hi = 2,
                               .flags = WW_P2P_FLAG_DATA | WW_P2P_FLAG_ENCODED, .data_len = 0xffff};
    static uint8_t data[0xffff];
    static uint8_t buf[0x10000 + 64];
    size_t len = ww_p2p_encode(&m, data, NULL, 0, buf, sizeof buf);
    assert_int_equal(len, 8 + 2 + 3 + 0xffff + 4);
    assert_int_equal(ww_p2p_verify(buf, len, len, false, NULL), WW_P2P_VALID);
    /* A 64 KiB data block in a 200-byte datagram: malformed; in a capture cut at 200: truncated. */
    assert_int_equal(ww_p2p_verify(buf, 200, 200, false, NULL), WW_P2P_MALFORMED);
    assert_int_equal(ww_p2p_verify(buf, 200, len, false, NULL), WW_P2P_TRUNCATED);
    /* Over TCP it cannot fit a 16-bit frame at all. */
    m.tcp = true;
    assert_int_equal(ww_p2p_encode(&m, data, NULL, 0, buf, sizeof buf), 0);
    /* Flags announcing everything over 14 bytes of nothing. */
    uint8_t zeros[14] = {0};
    zeros[8] = 0xff;
    assert_int_equal(ww_p2p_verify(zeros, sizeof zeros, sizeof zeros, false, NULL), WW_P2P_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_week_starts_monday_utc),
        cmocka_unit_test(test_week_numbers_are_nmaps),
        cmocka_unit_test(test_exclusion_list),
        cmocka_unit_test(test_ports_equal_nmaps),
        cmocka_unit_test(test_fixed_and_weekly_ports),
        cmocka_unit_test(test_match_near_week_boundary),
        cmocka_unit_test(test_nmap_messages_verify),
        cmocka_unit_test(test_round_trip_every_field),
        cmocka_unit_test(test_key_zero_is_plaintext),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_tcp_frame_longer_than_segment),
        cmocka_unit_test(test_padding_is_ignored),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_hostile_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
