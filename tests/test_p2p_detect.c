/*
 * Unit tests for the Conficker.C P2P scan detector (p2p_detect.h): a peer
 * flagged on its third target, the window that keeps chance hits apart,
 * high-port UDP fan-out (a DHT client, a peer that happens to listen on its
 * own port) kept silent, verified messages, a peer answering, the bounded
 * table, and the capture of nmap's p2p-conficker run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "p2p/feed.h"
#include "wormwatch/p2p.h"
#include "wormwatch/p2p_detect.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
#define HOUR_NS (3600 * NS_PER_S)

#define BOUNDARY (1238371200ULL * NS_PER_S) /* Monday 2009-03-30, week 2047 starts */
#define MIDWEEK (BOUNDARY + 3 * 24 * HOUR_NS)
#define PEER IP4(10, 0, 0, 66)
#define TARGET(n) IP4(198, 51, 100, (n))
#define MAX_ALERTS 16

static struct ww_p2p_alert alerts[MAX_ALERTS];
static size_t alert_count;

static void record_alert(void *ctx, const struct ww_p2p_alert *alert)
{
    (void)ctx;
    if (alert_count < MAX_ALERTS)
        alerts[alert_count] = *alert;
    alert_count++;
}

static struct ww_p2p_detector *detector_with(const struct ww_p2p_detect_config *cfg)
{
    alert_count = 0;
    memset(alerts, 0, sizeof alerts);
    struct ww_p2p_detector *det = ww_p2p_detector_new(cfg, record_alert, NULL);
    assert_non_null(det);
    return det;
}

static struct ww_p2p_detector *default_detector(void)
{
    struct ww_p2p_detect_config cfg;
    ww_p2p_detect_config_default(&cfg);
    return detector_with(&cfg);
}

static struct ww_p2p_ports ports_of(uint32_t ip, uint64_t ts)
{
    struct ww_p2p_ports p;
    ww_p2p_ports_at(ip, ts, &p);
    return p;
}

static void udp(struct ww_p2p_detector *det, uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst,
                uint16_t dport, const uint8_t *payload, size_t len)
{
    struct ww_p2p_packet p = {.ts_ns = ts, .src = src, .dst = dst, .sport = sport, .dport = dport,
                              .payload = payload, .payload_len = len};
    ww_p2p_detect_packet(det, &p);
}

static void tcp(struct ww_p2p_detector *det, uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst,
                uint16_t dport, bool syn, const uint8_t *payload, size_t len)
{
    struct ww_p2p_packet p = {.ts_ns = ts, .src = src, .dst = dst, .sport = sport, .dport = dport,
                              .tcp = true, .syn = syn, .payload = payload, .payload_len = len};
    ww_p2p_detect_packet(det, &p);
}

/* A port the worm could pick that is none of dst's (any week near ts): a candidate that misses. */
static uint16_t miss_port(uint32_t dst, uint64_t ts, bool is_tcp)
{
    for (uint32_t port = 30000;; port++)
        if (!ww_p2p_port_excluded((uint16_t)port) &&
            ww_p2p_match_port(dst, (uint16_t)port, is_tcp, ts, 24 * HOUR_NS, NULL) == WW_P2P_NO_MATCH)
            return (uint16_t)port;
}

/* An nmap-shaped message (as p2p-conficker sends): key, flags, checksum. */
static size_t nmap_message(bool is_tcp, uint32_t seed, uint8_t *out, size_t cap)
{
    struct ww_p2p_message m = {.key_lo = 0x1000 + seed, .key_hi = 0x2000 + seed, .tcp = is_tcp,
                               .flags = WW_P2P_FLAG_MODE | WW_P2P_FLAG_ENCODED |
                                        (is_tcp ? WW_P2P_FLAG_IS_TCP : 0)};
    return ww_p2p_encode(&m, NULL, NULL, 0, out, cap);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* --- the ports rule ------------------------------------------------------------------------ */

static void test_peer_flagged_on_third_target(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    for (int n = 1; n <= 3; n++) {
        assert_int_equal(alert_count, 0);
        uint64_t ts = MIDWEEK + (uint64_t)n * NS_PER_S;
        udp(det, ts, PEER, 4000, TARGET(n), ports_of(TARGET(n), ts).udp[n == 2 ? 1 : 0], NULL, 0);
    }
    assert_int_equal(alert_count, 1);
    const struct ww_p2p_alert *a = &alerts[0];
    assert_int_equal(a->src, PEER);
    assert_int_equal(a->reason, WW_P2P_REASON_PORTS);
    assert_int_equal(a->ts_ns, MIDWEEK + 3 * NS_PER_S);
    assert_int_equal(a->first_hit_ns, MIDWEEK + NS_PER_S);
    assert_int_equal(a->week, 2047);
    assert_int_equal(a->targets, 3);
    assert_int_equal(a->hits, 3);
    assert_int_equal(a->candidates, 3);
    assert_int_equal(a->verified, 0);
    assert_int_equal(a->samples, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(a->sample[i].dst, TARGET(i + 1));
        assert_false(a->sample[i].tcp);
        assert_int_equal(a->sample[i].how, i == 1 ? WW_P2P_MATCH_WEEK : WW_P2P_MATCH_FIXED);
    }
    assert_int_equal(a->sample[0].dport, ports_of(TARGET(1), MIDWEEK).udp[0]);
    /* Once: a fourth target adds to the counts but raises nothing. */
    udp(det, MIDWEEK + 5 * NS_PER_S, PEER, 4000, TARGET(4), ports_of(TARGET(4), MIDWEEK).udp[0], NULL, 0);
    assert_int_equal(alert_count, 1);
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->hits, 4);
    assert_int_equal(st->candidates, 4);
    assert_int_equal(st->flagged, 1);
    assert_int_equal(st->records, 1);
    ww_p2p_detector_free(det);
}

/* The same target again and again is one target. */
static void test_one_target_many_times_is_not_a_scan(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    struct ww_p2p_ports p = ports_of(TARGET(1), MIDWEEK);
    for (int i = 0; i < 1000; i++) {
        udp(det, MIDWEEK + (uint64_t)i * NS_PER_MS, PEER, 4000, TARGET(1), p.udp[i % 2], NULL, 0);
        tcp(det, MIDWEEK + (uint64_t)i * NS_PER_MS, PEER, 4001, TARGET(1), p.tcp[i % 2], true, NULL, 0);
    }
    udp(det, MIDWEEK + 2 * NS_PER_S, PEER, 4000, TARGET(2), ports_of(TARGET(2), MIDWEEK).udp[0], NULL, 0);
    assert_int_equal(alert_count, 0);
    assert_int_equal(ww_p2p_detect_stats(det)->hits, 2001);
    ww_p2p_detector_free(det);
}

/* Three targets with 61 misses between the first and the third flag; with 62 they do not. */
static void test_window_is_counted_in_candidates(void **state)
{
    (void)state;
    for (int misses = 61; misses <= 62; misses++) {
        struct ww_p2p_detector *det = default_detector();
        uint64_t ts = MIDWEEK;
        udp(det, ts, PEER, 4000, TARGET(1), ports_of(TARGET(1), ts).udp[0], NULL, 0);
        udp(det, ts, PEER, 4000, TARGET(2), ports_of(TARGET(2), ts).udp[0], NULL, 0);
        uint16_t miss = miss_port(TARGET(9), ts, false);
        for (int i = 0; i < misses - 1; i++)
            udp(det, ts, PEER, 4000, TARGET(9), miss, NULL, 0);
        /* The other miss: a TCP SYN, which is a candidate too. */
        tcp(det, ts, PEER, 4001, TARGET(9), miss_port(TARGET(9), ts, true), true, NULL, 0);
        /* Packets that are no candidates do not move the window. */
        udp(det, ts, PEER, 4000, TARGET(9), 53, NULL, 0);
        tcp(det, ts, PEER, 4001, TARGET(9), miss, false, NULL, 0);
        udp(det, ts, PEER, 4000, TARGET(3), ports_of(TARGET(3), ts).udp[0], NULL, 0);
        assert_int_equal(alert_count, misses == 61 ? 1 : 0);
        if (misses == 61) {
            assert_int_equal(alerts[0].candidates, 64);
            assert_int_equal(alerts[0].targets, 3);
        }
        assert_int_equal(ww_p2p_detect_stats(det)->candidates, 3 + misses);
        ww_p2p_detector_free(det);
    }
}

/* Only a TCP SYN is a connection attempt; its SYN-ACK, data or a RST to the port are not hits. */
static void test_only_syns_and_datagrams_hit(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    for (int n = 1; n <= 3; n++) {
        uint16_t port = ports_of(TARGET(n), MIDWEEK).tcp[0];
        tcp(det, MIDWEEK, PEER, 4001, TARGET(n), port, false, NULL, 0);
    }
    assert_int_equal(ww_p2p_detect_stats(det)->candidates, 0);
    assert_int_equal(ww_p2p_detect_stats(det)->records, 0);
    for (int n = 1; n <= 3; n++)
        tcp(det, MIDWEEK, PEER, 4001, TARGET(n), ports_of(TARGET(n), MIDWEEK).tcp[1], true, NULL, 0);
    assert_int_equal(alert_count, 1);
    assert_true(alerts[0].sample[0].tcp);
    assert_int_equal(alerts[0].sample[0].how, WW_P2P_MATCH_WEEK);
    ww_p2p_detector_free(det);
}

/* Last week's port just after Monday 00:00 UTC counts, as the neighbouring week. */
static void test_adjacent_week_hits(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    uint64_t ts = BOUNDARY + HOUR_NS;
    for (int n = 1; n <= 3; n++)
        udp(det, ts, PEER, 4000, TARGET(n), ports_of(TARGET(n), BOUNDARY - 1).udp[1], NULL, 0);
    assert_int_equal(alert_count, 1);
    assert_int_equal(alerts[0].week, 2047);
    assert_int_equal(alerts[0].adjacent_hits, 3);
    assert_int_equal(alerts[0].sample[0].how, WW_P2P_MATCH_ADJACENT);
    assert_int_equal(ww_p2p_detect_stats(det)->adjacent_hits, 3);
    /* Two days in, last week's ports are ordinary ports. */
    udp(det, BOUNDARY + 48 * HOUR_NS, IP4(10, 0, 0, 67), 4000, TARGET(1),
        ports_of(TARGET(1), BOUNDARY - 1).udp[1], NULL, 0);
    assert_int_equal(ww_p2p_detect_stats(det)->hits, 3);
    ww_p2p_detector_free(det);
}

/* --- chance: high-port fan-out ------------------------------------------------------------- */

/*
 * A DHT client: `packets` UDP datagrams to random addresses at random ports
 * 1024-65535, 1 ms apart from `start`. Returns the chance hits.
 */
static uint64_t dht_client(struct ww_p2p_detector *det, uint64_t start, uint32_t packets,
                           uint64_t seed)
{
    uint64_t rng = seed;
    for (uint32_t i = 0; i < packets; i++) {
        uint64_t r = splitmix(&rng);
        uint16_t port = (uint16_t)(1024 + (r >> 32) % 64512);
        udp(det, start + (uint64_t)i * NS_PER_MS, PEER, 6881, (uint32_t)r, port, NULL, 0);
    }
    return ww_p2p_detect_stats(det)->hits;
}

static void test_dht_client_stays_silent(void **state)
{
    (void)state;
    /*
     * 1,000,000 datagrams (17 min) mid-week: 2 ports an address, p = 2/64512,
     * about 31 chance hits, spread ~32,000 candidates apart; three within 64
     * candidates would have p ~ 3e-4.
     */
    struct ww_p2p_detector *det = default_detector();
    uint64_t hits = dht_client(det, MIDWEEK, 1000000, 42);
    assert_int_equal(alert_count, 0);
    assert_in_range(hits, 15, 50);
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->adjacent_hits, 0);
    /* 12.6% of the ports 1024-65535 are excluded: not even candidates. */
    assert_in_range(st->candidates, 870000, 878000);
    printf("      DHT mid-week: %llu candidates, %llu chance hits, %llu records made, 0 alerts\n",
           (unsigned long long)st->candidates, (unsigned long long)hits,
           (unsigned long long)st->records_created);
    ww_p2p_detector_free(det);

    /* Why the window: the same datagrams counted without one reach 3 targets. */
    struct ww_p2p_detect_config unwindowed;
    ww_p2p_detect_config_default(&unwindowed);
    unwindowed.window = 1000000000;
    det = detector_with(&unwindowed);
    dht_client(det, MIDWEEK, 1000000, 42);
    assert_int_equal(alert_count, 1);
    assert_true(alerts[0].candidates > 1000);
    ww_p2p_detector_free(det);
    alert_count = 0;

    /* The worst time: right after a boundary, a third port an address counts too. */
    det = default_detector();
    hits = dht_client(det, BOUNDARY + NS_PER_S, 1000000, 7);
    assert_int_equal(alert_count, 0);
    assert_in_range(hits, 25, 70);
    assert_true(ww_p2p_detect_stats(det)->adjacent_hits > 0);
    printf("      DHT after a boundary: %llu chance hits (%llu on last week's port), 0 alerts\n",
           (unsigned long long)hits, (unsigned long long)ww_p2p_detect_stats(det)->adjacent_hits);
    ww_p2p_detector_free(det);
}

/*
 * A DHT client's routing table: 100 peers at random ports, one of which
 * happens to listen on its own P2P port. 100,000 queries to them: one
 * target, hit a thousand times, is not a scan.
 */
static void test_peer_listening_on_its_own_port_is_one_target(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    uint32_t peers[100];
    uint16_t ports[100];
    uint64_t rng = 99;
    for (int i = 0; i < 100; i++) {
        peers[i] = (uint32_t)splitmix(&rng);
        ports[i] = i == 0 ? ports_of(peers[0], MIDWEEK).udp[0] : miss_port(peers[i], MIDWEEK, false);
    }
    for (uint32_t i = 0; i < 100000; i++) {
        int k = (int)(splitmix(&rng) % 100);
        udp(det, MIDWEEK + (uint64_t)i * NS_PER_MS, PEER, 6881, peers[k], ports[k], NULL, 0);
    }
    assert_int_equal(alert_count, 0);
    assert_in_range(ww_p2p_detect_stats(det)->hits, 900, 1100);
    ww_p2p_detector_free(det);
}

/* --- messages ------------------------------------------------------------------------------ */

static void test_verified_messages_to_two_targets(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    uint8_t msg[64];
    for (int n = 1; n <= 2; n++) {
        size_t len = nmap_message(false, (uint32_t)n, msg, sizeof msg);
        udp(det, MIDWEEK, PEER, 4000, TARGET(n), ports_of(TARGET(n), MIDWEEK).udp[1], msg, len);
    }
    assert_int_equal(alert_count, 1);
    const struct ww_p2p_alert *a = &alerts[0];
    assert_int_equal(a->reason, WW_P2P_REASON_MESSAGES);
    assert_int_equal(a->verified, 2);
    assert_int_equal(a->verified_targets, 2);
    assert_int_equal(a->nmap_shaped, 2);
    assert_int_equal(a->targets, 2);
    assert_int_equal(a->samples, 2);
    assert_int_equal(a->sample[1].dst, TARGET(2));
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->messages_checked, 2);
    assert_int_equal(st->verified, 2);
    ww_p2p_detector_free(det);
}

/* Garbage at a computed port is a hit but no message; cut messages are counted apart. */
static void test_rejected_and_truncated_messages(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    uint8_t msg[64];
    size_t len = nmap_message(false, 1, msg, sizeof msg);
    msg[len - 1] ^= 1;
    udp(det, MIDWEEK, PEER, 4000, TARGET(1), ports_of(TARGET(1), MIDWEEK).udp[0], msg, len);
    msg[len - 1] ^= 1;
    struct ww_p2p_packet cut = {.ts_ns = MIDWEEK, .src = PEER, .dst = TARGET(2), .sport = 4000,
                                .dport = ports_of(TARGET(2), MIDWEEK).udp[0], .payload = msg,
                                .payload_len = 10, .payload_wire_len = len};
    ww_p2p_detect_packet(det, &cut);
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->hits, 2);
    assert_int_equal(st->messages_checked, 2);
    assert_int_equal(st->rejected, 1);
    assert_int_equal(st->truncated, 1);
    assert_int_equal(st->verified, 0);
    assert_int_equal(alert_count, 0);
    ww_p2p_detector_free(det);
}

/* TCP: the SYN hits; the first data segment carries the message. */
static void test_tcp_message_after_syn(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    uint8_t msg[64];
    size_t len = nmap_message(true, 3, msg, sizeof msg);
    /* Data from a source with no record is not even read. */
    uint16_t port = ports_of(TARGET(1), MIDWEEK).tcp[0];
    tcp(det, MIDWEEK, PEER, 4001, TARGET(1), port, false, msg, len);
    assert_int_equal(ww_p2p_detect_stats(det)->messages_checked, 0);
    for (int n = 1; n <= 2; n++) {
        port = ports_of(TARGET(n), MIDWEEK).tcp[0];
        tcp(det, MIDWEEK, PEER, 4001, TARGET(n), port, true, NULL, 0);
        tcp(det, MIDWEEK + NS_PER_MS, PEER, 4001, TARGET(n), port, false, msg, len);
    }
    assert_int_equal(alert_count, 1);
    assert_int_equal(alerts[0].reason, WW_P2P_REASON_MESSAGES);
    assert_int_equal(alerts[0].hits, 2);
    assert_int_equal(alerts[0].verified, 2);
    assert_int_equal(alerts[0].nmap_shaped, 2);
    assert_true(alerts[0].sample[0].tcp);
    ww_p2p_detector_free(det);
}

/* A peer answering a probe from its own port with a valid message runs the service. */
static void test_peer_answering_from_its_port(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    const uint32_t responder = TARGET(7);
    uint16_t port = ports_of(responder, MIDWEEK).udp[1];
    uint8_t msg[64];
    size_t len = nmap_message(false, 5, msg, sizeof msg);
    /* An answer to nobody we saw probing is not looked at. */
    udp(det, MIDWEEK, responder, port, IP4(10, 0, 0, 99), 50000, msg, len);
    assert_int_equal(ww_p2p_detect_stats(det)->messages_checked, 0);
    udp(det, MIDWEEK, PEER, 50000, responder, port, NULL, 0);
    udp(det, MIDWEEK + NS_PER_MS, responder, port, PEER, 50000, msg, len);
    assert_int_equal(alert_count, 1);
    const struct ww_p2p_alert *a = &alerts[0];
    assert_int_equal(a->src, responder);
    assert_int_equal(a->reason, WW_P2P_REASON_SERVING);
    assert_int_equal(a->serving, 1);
    assert_int_equal(a->samples, 1);
    assert_int_equal(a->sample[0].dst, PEER);
    assert_int_equal(a->sample[0].dport, port);
    assert_int_equal(a->sample[0].how, WW_P2P_MATCH_WEEK);
    /* From any other port it is nothing. */
    udp(det, MIDWEEK, TARGET(8), miss_port(TARGET(8), MIDWEEK, false), PEER, 50000, msg, len);
    assert_int_equal(alert_count, 1);
    ww_p2p_detector_free(det);
}

/* --- the table ----------------------------------------------------------------------------- */

static void test_table_is_bounded(void **state)
{
    (void)state;
    struct ww_p2p_detect_config cfg;
    ww_p2p_detect_config_default(&cfg);
    cfg.capacity = 4;
    struct ww_p2p_detector *det = detector_with(&cfg);
    /* Six sources with one hit each: the two oldest go. */
    for (uint32_t s = 0; s < 6; s++)
        udp(det, MIDWEEK + s, IP4(10, 0, 1, s), 4000, TARGET(1), ports_of(TARGET(1), MIDWEEK).udp[0],
            NULL, 0);
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->records, 4);
    assert_int_equal(st->capacity, 4);
    assert_int_equal(st->records_created, 6);
    assert_int_equal(st->evictions, 2);
    assert_true(st->memory_bytes > 4 * 200);
    /* Source 0 starts again: two more targets are not three. */
    for (int n = 2; n <= 3; n++)
        udp(det, MIDWEEK + 10, IP4(10, 0, 1, 0), 4000, TARGET(n), ports_of(TARGET(n), MIDWEEK).udp[0],
            NULL, 0);
    assert_int_equal(alert_count, 0);
    assert_int_equal(st->evictions, 3);
    ww_p2p_detector_free(det);
}

static void test_idle_sources_expire(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    udp(det, MIDWEEK, PEER, 4000, TARGET(1), ports_of(TARGET(1), MIDWEEK).udp[0], NULL, 0);
    udp(det, MIDWEEK, PEER, 4000, TARGET(2), ports_of(TARGET(2), MIDWEEK).udp[0], NULL, 0);
    uint64_t later = MIDWEEK + HOUR_NS + 1;
    udp(det, later, PEER, 4000, TARGET(3), ports_of(TARGET(3), later).udp[0], NULL, 0);
    assert_int_equal(alert_count, 0);
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->expirations, 1);
    assert_int_equal(st->records, 1);
    ww_p2p_detect_expire(det, later + HOUR_NS + 1);
    assert_int_equal(st->records, 0);
    assert_int_equal(st->expirations, 2);
    ww_p2p_detector_free(det);
}

static void test_config_is_checked(void **state)
{
    (void)state;
    struct ww_p2p_detect_config good, cfg;
    ww_p2p_detect_config_default(&good);
    assert_int_equal(good.capacity, 4096);
    assert_int_equal(good.min_targets, 3);
    assert_int_equal(good.window, 64);
    assert_int_equal(good.min_verified_targets, 2);
    assert_int_equal(good.min_serving, 1);
    assert_int_equal(good.week_slack_ns, 24 * HOUR_NS);
    assert_int_equal(good.idle_timeout_ns, HOUR_NS);
    cfg = good, cfg.capacity = 0;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.min_targets = 0;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.min_targets = WW_P2P_MAX_TARGETS + 1, cfg.window = 100;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.window = 2;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.min_verified_targets = 0;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.min_serving = 0;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.week_slack_ns = 84 * HOUR_NS;
    assert_null(ww_p2p_detector_new(&cfg, NULL, NULL));
    cfg = good, cfg.min_targets = WW_P2P_MAX_TARGETS, cfg.window = WW_P2P_MAX_TARGETS;
    struct ww_p2p_detector *det = ww_p2p_detector_new(&cfg, NULL, NULL);
    assert_non_null(det);
    ww_p2p_detector_free(det);
}

/* --- nmap's p2p-conficker, captured (pcaps/real/p2p_nmap.pcap) ------------------------------ */

static void feed(void *ctx, const struct ww_p2p_packet *pkt)
{
    ww_p2p_detect_packet(ctx, pkt);
}

static void test_nmap_capture(void **state)
{
    (void)state;
    struct ww_p2p_detector *det = default_detector();
    char err[256];
    long fed = p2p_feed_pcap(WW_PCAPS "/real/p2p_nmap.pcap", feed, det, err, sizeof err);
    assert_int_equal(fed, 108);
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(det);
    assert_int_equal(st->candidates, 24); /* 16 probes at computed ports, 8 UDP answers */
    assert_int_equal(st->hits, 16);
    assert_int_equal(st->verified, 32); /* nmap's 16 messages and the 16 answers */
    assert_int_equal(st->rejected + st->truncated, 0);
    assert_int_equal(st->serving, 16);
    assert_int_equal(alert_count, 5);
    /* The scanner, on its third target's TCP port; then every target answering. */
    const struct ww_p2p_alert *a = &alerts[0];
    assert_int_equal(a->src, IP4(10, 99, 0, 1));
    assert_int_equal(a->reason, WW_P2P_REASON_PORTS);
    assert_int_equal(a->week, 2969);
    assert_int_equal(a->targets, 3);
    assert_int_equal(a->sample[0].dst, IP4(10, 99, 0, 5));
    assert_int_equal(a->sample[0].dport, 45996);
    assert_true(a->sample[0].tcp);
    static const uint8_t answering[] = {5, 2, 3, 4};
    for (size_t i = 0; i < 4; i++) {
        a = &alerts[1 + i];
        assert_int_equal(a->src, IP4(10, 99, 0, answering[i]));
        assert_int_equal(a->reason, WW_P2P_REASON_SERVING);
        assert_int_equal(a->sample[0].dst, IP4(10, 99, 0, 1));
        assert_true(a->sample[0].tcp);
    }
    ww_p2p_detector_free(det);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_flagged_on_third_target),
        cmocka_unit_test(test_one_target_many_times_is_not_a_scan),
        cmocka_unit_test(test_window_is_counted_in_candidates),
        cmocka_unit_test(test_only_syns_and_datagrams_hit),
        cmocka_unit_test(test_adjacent_week_hits),
        cmocka_unit_test(test_dht_client_stays_silent),
        cmocka_unit_test(test_peer_listening_on_its_own_port_is_one_target),
        cmocka_unit_test(test_verified_messages_to_two_targets),
        cmocka_unit_test(test_rejected_and_truncated_messages),
        cmocka_unit_test(test_tcp_message_after_syn),
        cmocka_unit_test(test_peer_answering_from_its_port),
        cmocka_unit_test(test_table_is_bounded),
        cmocka_unit_test(test_idle_sources_expire),
        cmocka_unit_test(test_config_is_checked),
        cmocka_unit_test(test_nmap_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
