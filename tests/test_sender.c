/*
 * Unit tests for the flood watch and the sender record (sender.h).
 *
 * The watch is fed newcomers' first attempts at chosen times and targets;
 * each test says exactly when a flood is on, which newcomers are skipped,
 * and what the stats count. The sender record is fed attempts and results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/sender.h"
#include "wormwatch/verdict.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL
#define T0 (1238414400ULL * NS_PER_SEC)
#define AT_MS(ms) (T0 + (uint64_t)(ms) * NS_PER_MS)
#define VICTIM 0xC6336419u /* 198.51.100.25 */

static struct ww_probe syn(uint32_t src, uint32_t dst, uint64_t ts, uint8_t ttl)
{
    return (struct ww_probe){.src = src, .dst = dst, .sport = 40000, .dport = 445,
                             .proto = WW_IPPROTO_TCP, .ts_ns = ts, .shape = {.ttl = ttl}};
}

static bool newcomer(struct ww_flood_watch *w, uint32_t src, uint32_t dst, uint64_t ts)
{
    struct ww_probe p = syn(src, dst, ts, 52);
    return ww_flood_newcomer(w, &p);
}

/* Below the threshold nothing is a flood, whatever the share of one target. */
static void test_quiet_link_is_no_flood(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 99; i++)
        assert_false(newcomer(&w, 0x01000000u + i, VICTIM, AT_MS(i * 10)));
    assert_false(ww_flood_on(&w, AT_MS(990)));
    assert_int_equal(st.seconds, 0);
    assert_int_equal(st.peak_sources, 99);
    assert_int_equal(st.skipped, 0);
    /* the next second starts from zero: 99 more are still no flood */
    for (uint32_t i = 0; i < 99; i++)
        assert_false(newcomer(&w, 0x02000000u + i, VICTIM, AT_MS(1000 + i * 10)));
    assert_false(ww_flood_on(&w, AT_MS(1990)));
    assert_int_equal(st.peak_sources, 99);
}

/* The threshold-th newcomer of a second turns the flood on; from it on, the victim's
   newcomers are skipped, others are not; it stays on WW_FLOOD_HOLD_SECONDS more. */
static void test_flood_on_at_threshold_and_victim_skipped(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 99; i++)
        assert_false(newcomer(&w, 0x01000000u + i, VICTIM, AT_MS(i)));
    assert_true(newcomer(&w, 0x01000000u + 99, VICTIM, AT_MS(99)));
    assert_true(ww_flood_on(&w, AT_MS(100)));
    assert_false(newcomer(&w, 0x05000001u, VICTIM + 1, AT_MS(100))); /* another target */
    assert_true(newcomer(&w, 0x01000000u + 100, VICTIM, AT_MS(101)));
    assert_int_equal(st.seconds, 1);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.peak_sources, 102);
    /* on through the hold, off the second after */
    assert_true(ww_flood_on(&w, AT_MS(WW_FLOOD_HOLD_SECONDS * 1000 + 999)));
    assert_false(ww_flood_on(&w, AT_MS((WW_FLOOD_HOLD_SECONDS + 1) * 1000)));
    assert_false(newcomer(&w, 0x01000000u + 101, VICTIM, AT_MS((WW_FLOOD_HOLD_SECONDS + 1) * 1000)));
}

/* A flood spread evenly over many targets has no victim: nothing skipped. */
static void test_spread_flood_has_no_victim(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 1000; i++)
        assert_false(newcomer(&w, 0x01000000u + i, VICTIM + i % 50, AT_MS(i / 2)));
    assert_true(ww_flood_on(&w, AT_MS(600)));
    assert_int_equal(st.seconds, 1);
    assert_int_equal(st.skipped, 0);
}

/* A victim taking half the newcomers is no majority the vote can vouch for; three
   quarters is. */
static void test_victim_needs_a_clear_majority(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 400; i++) /* victim, other, victim, other... */
        newcomer(&w, 0x01000000u + i, i % 2 ? VICTIM + 1 + i : VICTIM, AT_MS(i));
    assert_int_equal(st.skipped, 0);
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 400; i++) /* three victims in four */
        newcomer(&w, 0x02000000u + i, i % 4 == 3 ? VICTIM + 1 + i : VICTIM, AT_MS(i));
    assert_true(st.skipped > 200);
}

/* flood_sources = 0: never a flood. */
static void test_threshold_zero_disables(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 0, &st);
    for (uint32_t i = 0; i < 10000; i++)
        assert_false(newcomer(&w, 0x01000000u + i, VICTIM, AT_MS(i / 10)));
    assert_false(ww_flood_on(&w, AT_MS(500)));
    assert_int_equal(st.seconds, 0);
    assert_int_equal(st.peak_sources, 0);
}

/* Time stepping back (stitched captures) counts in the current second. */
static void test_time_stepping_back_counts_in_current_second(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 60; i++)
        newcomer(&w, 0x01000000u + i, VICTIM, AT_MS(5000 + i));
    for (uint32_t i = 0; i < 40; i++)
        newcomer(&w, 0x02000000u + i, VICTIM, AT_MS(1000 + i));
    assert_int_equal(st.seconds, 1);
    assert_int_equal(st.peak_sources, 100);
}

static struct ww_probe_event result_of(const struct ww_probe *p, uint8_t retransmits)
{
    struct ww_probe_event ev = {.kind = WW_PROBE_RESULT, .outcome = WW_OUTCOME_UNANSWERED,
                                .outcome_ts_ns = p->ts_ns + 5 * NS_PER_SEC, .probe = *p};
    ev.probe.retransmits = retransmits;
    return ev;
}

/* A source never seen during a flood is always vouched for. */
static void test_sender_outside_a_flood_is_vouched(void **state)
{
    (void)state;
    struct ww_sender s = {0};
    struct ww_probe p = syn(1, 2, AT_MS(0), 240);
    ww_sender_attempt(&s, &p, false);
    p.shape.ttl = 50; /* even with TTLs all over the place (a NAT of many machines) */
    ww_sender_attempt(&s, &p, false);
    assert_true(s.flags & WW_SENDER_TTL_MIXED);
    assert_true(ww_sender_vouched(&s, 1, 8));
}

/* During a flood: a retransmission with one TTL vouches; without one, only
   flood_failures do. */
static void test_sender_during_flood(void **state)
{
    (void)state;
    struct ww_sender s = {0};
    struct ww_probe p = syn(1, 2, AT_MS(0), 117);
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.ttl, 117);
    assert_true(s.flags & WW_SENDER_FLOODED);
    struct ww_probe_event once = result_of(&p, 0);
    ww_sender_result(&s, &once);
    assert_false(ww_sender_vouched(&s, 4, 8));
    assert_false(ww_sender_vouched(&s, 7, 8));
    assert_true(ww_sender_vouched(&s, 8, 8));
    p.dst = 3, p.shape.ttl = 119; /* another target; within the slack: a route change */
    ww_sender_attempt(&s, &p, true);
    struct ww_probe_event again = result_of(&p, 2);
    ww_sender_result(&s, &again);
    assert_int_equal(s.retransmitted, 1);
    assert_true(ww_sender_vouched(&s, 4, 8));
    p.dst = 4, p.shape.ttl = 117 + WW_SENDER_TTL_SLACK + 1; /* beyond it: not one sender */
    ww_sender_attempt(&s, &p, false);
    assert_true(s.flags & WW_SENDER_TTL_MIXED);
    assert_false(ww_sender_vouched(&s, 4, 8));
    assert_true(ww_sender_vouched(&s, 8, 8));
}

/* No SYN shape (cut by the snap length), or not TCP: no TTL taken. */
static void test_sender_ignores_unknown_ttl(void **state)
{
    (void)state;
    struct ww_sender s = {0};
    struct ww_probe p = syn(1, 2, AT_MS(0), 0);
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.ttl, 0);
    p.shape.ttl = 128;
    p.proto = WW_IPPROTO_UDP;
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.ttl, 0);
    struct ww_probe_event ev = result_of(&p, 3); /* an NBNS query asked again */
    ww_sender_result(&s, &ev);
    assert_int_equal(s.retransmitted, 0);
    p.proto = WW_IPPROTO_TCP;
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.ttl, 128);
    assert_false(s.flags & WW_SENDER_TTL_MIXED);
}

/* A SYN seen again as a new attempt (the tracker forgot the first) is a retry; the
   ring holds the newest WW_SENDER_RECENT attempts, and promotion seeds it. */
static void test_sender_repeated_attempt_is_a_retransmission(void **state)
{
    (void)state;
    struct ww_sender s = {0};
    ww_sender_remember(&s, 100, 1030); /* its first contact, from probation */
    struct ww_probe p = syn(1, 101, AT_MS(0), 117);
    p.sport = 1031;
    ww_sender_attempt(&s, &p, true);
    p.dst = 102, p.sport = 1032;
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.retransmitted, 0);
    p.dst = 101, p.sport = 1033; /* the same target, another connection */
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.retransmitted, 0);
    p.dst = 100, p.sport = 1030; /* the first SYN again */
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.retransmitted, 1);
    assert_true(ww_sender_vouched(&s, 4, 8));
    for (uint32_t i = 0; i < WW_SENDER_RECENT; i++) { /* pushed out by newer ones */
        p.dst = 200 + i, p.sport = 2000;
        ww_sender_attempt(&s, &p, true);
    }
    p.dst = 101, p.sport = 1031;
    ww_sender_attempt(&s, &p, true);
    assert_int_equal(s.retransmitted, 1);
}

/* The newcomers' stack class is voted on like their target: a flood of bare SYNs
   (masscan, hping3) makes that class the flood's; another class is not. */
static void test_flood_shape_is_the_majority_class(void **state)
{
    (void)state;
    struct ww_flood_stats st = {0};
    struct ww_flood_watch w;
    ww_flood_init(&w, 100, &st);
    for (uint32_t i = 0; i < 200; i++) { /* sprayed: no victim */
        struct ww_probe p = syn(0x01000000u + i, VICTIM + i % 50, AT_MS(i), 52);
        p.shape.window = 512; /* no options: the scan-tool class */
        ww_flood_newcomer(&w, &p);
    }
    assert_int_equal(st.skipped, 0);
    assert_true(ww_flood_shaped(&w, WW_STACK_SCAN_TOOL, AT_MS(300)));
    assert_false(ww_flood_shaped(&w, WW_STACK_WINDOWS_XP, AT_MS(300)));
    assert_false(ww_flood_shaped(&w, WW_STACK_SCAN_TOOL,
                                 AT_MS((WW_FLOOD_HOLD_SECONDS + 1) * 1000)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_link_is_no_flood),
        cmocka_unit_test(test_flood_on_at_threshold_and_victim_skipped),
        cmocka_unit_test(test_spread_flood_has_no_victim),
        cmocka_unit_test(test_victim_needs_a_clear_majority),
        cmocka_unit_test(test_flood_shape_is_the_majority_class),
        cmocka_unit_test(test_threshold_zero_disables),
        cmocka_unit_test(test_time_stepping_back_counts_in_current_second),
        cmocka_unit_test(test_sender_outside_a_flood_is_vouched),
        cmocka_unit_test(test_sender_during_flood),
        cmocka_unit_test(test_sender_ignores_unknown_ttl),
        cmocka_unit_test(test_sender_repeated_attempt_is_a_retransmission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
