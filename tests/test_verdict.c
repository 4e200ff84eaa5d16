/*
 * Unit tests for the Conficker verdict (verdict.h): the bits one target
 * octet is worth, SYN shapes, the evidence gathered from attempts, and the
 * final weighing into `likely`.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/decode.h"
#include "wormwatch/probe.h"
#include "wormwatch/verdict.h"
#include "test_key.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL
#define T0 (1238414400ULL * NS_PER_SEC)
#define AT_MS(ms) (T0 + (uint64_t)(ms) * NS_PER_MS)

#define CONFICKER_MASK IP4(0, 128, 0, 128)
/* One masked bit per octet, error rate 0.01: log2(0.99 / 0.5) and log2(0.01 / 0.5). */
#define CLEAN_1 0.9855004303048849
#define BROKEN_1 (-5.643856189774724)
/* Two masked bits: log2(0.99 / 0.25) and log2(0.01 / 0.75). */
#define CLEAN_2 1.9855004303048849
#define BROKEN_2 (-6.22881869049588)
/* octet_bits is a float: sums of a few dozen terms agree to this. */
#define FLOAT_SUM_EPSILON 1e-4

#define SOURCE IP4(10, 0, 0, 5) /* its own /16 is 10.0.0.0/16 */

static struct ww_verdict_config cfg;
static struct ww_evidence ev;

static int setup(void **state)
{
    (void)state;
    ww_verdict_config_defaults(&cfg);
    memset(&ev, 0, sizeof ev);
    return 0;
}

/* --- SYN shapes ------------------------------------------------------------------------ */

static struct ww_syn_shape shape(uint8_t ttl, bool df, uint16_t window, const uint8_t *kinds,
                                 uint8_t count)
{
    struct ww_syn_shape s = {.ttl = ttl, .df = df, .window = window, .option_count = count};
    for (uint8_t i = 0; i < count; i++) {
        s.option_kinds[i] = kinds[i];
        if (kinds[i] == WW_TCPOPT_MSS)
            s.mss = 1460;
    }
    return s;
}

static const uint8_t XP_OPTIONS[] = {WW_TCPOPT_MSS, WW_TCPOPT_NOP, WW_TCPOPT_NOP,
                                     WW_TCPOPT_SACK_PERM};
static const uint8_t WIN7_OPTIONS[] = {WW_TCPOPT_MSS, WW_TCPOPT_NOP, WW_TCPOPT_WSCALE,
                                       WW_TCPOPT_NOP, WW_TCPOPT_NOP, WW_TCPOPT_SACK_PERM};
static const uint8_t LINUX_OPTIONS[] = {WW_TCPOPT_MSS, WW_TCPOPT_SACK_PERM, WW_TCPOPT_TIMESTAMP,
                                        WW_TCPOPT_NOP, WW_TCPOPT_WSCALE};
static const uint8_t MSS_ONLY[] = {WW_TCPOPT_MSS};

static struct ww_syn_shape xp_shape(void)
{
    return shape(128, true, 65535, XP_OPTIONS, sizeof XP_OPTIONS);
}

static struct ww_syn_shape masscan_shape(void)
{
    return shape(255, false, 1024, NULL, 0);
}

static void assert_stack(struct ww_syn_shape s, enum ww_stack expected)
{
    enum ww_stack got = ww_stack_of(&s);
    if (got != expected)
        fail_msg("shape classed %s, expected %s", ww_stack_name(got), ww_stack_name(expected));
}

static void test_stack_of_syn_shapes(void **state)
{
    (void)state;
    assert_stack(xp_shape(), WW_STACK_WINDOWS_XP);
    assert_stack(shape(128, true, 64512, XP_OPTIONS, sizeof XP_OPTIONS), WW_STACK_WINDOWS_XP);
    assert_stack(shape(128, true, 8192, WIN7_OPTIONS, sizeof WIN7_OPTIONS), WW_STACK_WINDOWS);
    /* XP options without DF: some Windows, not XP's stack */
    assert_stack(shape(128, false, 65535, XP_OPTIONS, sizeof XP_OPTIONS), WW_STACK_WINDOWS);
    assert_stack(masscan_shape(), WW_STACK_SCAN_TOOL);
    assert_stack(shape(50, false, 1024, MSS_ONLY, sizeof MSS_ONLY), WW_STACK_SCAN_TOOL); /* nmap */
    assert_stack(shape(64, true, 29200, LINUX_OPTIONS, sizeof LINUX_OPTIONS), WW_STACK_UNIX);
    assert_stack(shape(250, true, 65535, XP_OPTIONS, sizeof XP_OPTIONS), WW_STACK_OTHER);

    assert_string_equal(ww_stack_name(WW_STACK_WINDOWS_XP), "windows-xp");
    assert_string_equal(ww_stack_name(WW_STACK_SCAN_TOOL), "scan-tool");
    assert_string_equal(ww_stack_name(WW_STACK__COUNT), "unknown");
}

/* --- one octet's bits ------------------------------------------------------------------ */

static void assert_octet_bits(uint32_t mask, uint8_t index, uint8_t octet, double expected)
{
    double got = ww_verdict_octet_bits(mask, index, octet, 0.01);
    if (fabs(got - expected) > 1e-12)
        fail_msg("octet %u = %u under mask %08x: %.15g bits, expected %.15g", index, octet, mask,
                 got, expected);
}

static void test_octet_bits_one_masked_bit(void **state)
{
    (void)state;
    assert_octet_bits(CONFICKER_MASK, 1, 0, CLEAN_1);
    assert_octet_bits(CONFICKER_MASK, 1, 127, CLEAN_1);
    assert_octet_bits(CONFICKER_MASK, 1, 128, BROKEN_1);
    assert_octet_bits(CONFICKER_MASK, 3, 75, CLEAN_1);
    assert_octet_bits(CONFICKER_MASK, 3, 255, BROKEN_1);
    /* Unmasked octets say nothing, whatever their value. */
    assert_octet_bits(CONFICKER_MASK, 0, 200, 0.0);
    assert_octet_bits(CONFICKER_MASK, 0, 5, 0.0);
    assert_octet_bits(CONFICKER_MASK, 2, 255, 0.0);
}

static void test_octet_bits_two_masked_bits(void **state)
{
    (void)state;
    const uint32_t mask = IP4(0, 192, 0, 0);
    assert_octet_bits(mask, 1, 63, CLEAN_2);
    assert_octet_bits(mask, 1, 64, BROKEN_2);  /* only the lower masked bit */
    assert_octet_bits(mask, 1, 128, BROKEN_2); /* only the upper one */
    assert_octet_bits(mask, 1, 192, BROKEN_2);
    assert_octet_bits(mask, 3, 200, 0.0);
    /* The error rate is the configured one. */
    double got = ww_verdict_octet_bits(CONFICKER_MASK, 3, 1, 0.1);
    assert_true(fabs(got - log2(0.9 / 0.5)) < 1e-12);
}

/* --- evidence --------------------------------------------------------------------------- */

static struct ww_probe syn_from(uint32_t src, uint32_t dst, uint16_t dport, uint64_t ts,
                                struct ww_syn_shape s)
{
    return (struct ww_probe){.src = src, .dst = dst, .sport = 1100, .dport = dport,
                             .proto = WW_IPPROTO_TCP, .ts_ns = ts, .shape = s};
}

static void syn(uint32_t dst, uint16_t dport, uint64_t ts)
{
    struct ww_probe p = syn_from(SOURCE, dst, dport, ts, xp_shape());
    ww_evidence_attempt(&ev, &cfg, &ww_test_key, &p);
}

static void refused_445(uint32_t dst, uint64_t when)
{
    struct ww_probe p = syn_from(SOURCE, dst, 445, when, xp_shape());
    ww_evidence_refused(&ev, &p, when);
}

static void assert_targets(uint16_t local, uint16_t remote, uint16_t scored, uint16_t violations)
{
    assert_int_equal(ev.local_targets, local);
    assert_int_equal(ev.remote_targets, remote);
    assert_int_equal(ev.scored_targets, scored);
    assert_int_equal(ev.octet_violations, violations);
}

static void assert_octet_sum(double expected)
{
    if (fabs(ev.octet_bits - expected) > FLOAT_SUM_EPSILON)
        fail_msg("octet_bits = %.9g, expected %.9g", ev.octet_bits, expected);
}

/* A sweep of the source's own /16 says nothing about how targets are picked. */
static void test_local_targets_not_scored(void **state)
{
    (void)state;
    syn(IP4(10, 0, 7, 7), 445, AT_MS(0));
    syn(IP4(10, 0, 200, 200), 445, AT_MS(1));
    assert_targets(2, 0, 0, 0);
    assert_octet_sum(0.0);
    assert_int_equal(ev.stack_syns[WW_STACK_WINDOWS_XP], 2);
}

/* A sequential sweep's targets are all "below 128" without being random. */
static void test_sequential_sweep_not_scored(void **state)
{
    (void)state;
    for (uint8_t host = 1; host <= 30; host++)
        syn(IP4(198, 51, 100, host), 445, AT_MS(host));
    assert_targets(0, 30, 2, 0); /* .1 and .2; from .3 on it is a run */
    assert_int_equal(ev.sequential_targets, 28);
    assert_octet_sum(3 * CLEAN_1);
    /* A stride of 2 is still a sweep; a jump of 3 is scored again. */
    syn(IP4(198, 51, 100, 32), 445, AT_MS(40));
    assert_int_equal(ev.sequential_targets, 29);
    syn(IP4(198, 51, 100, 35), 445, AT_MS(41));
    assert_targets(0, 32, 3, 0);
    assert_octet_sum(4 * CLEAN_1);
}

/* Random picks may land side by side once; that is chance, not a sweep. */
static void test_one_small_step_is_chance(void **state)
{
    (void)state;
    syn(IP4(198, 51, 100, 59), 445, AT_MS(0));
    syn(IP4(198, 51, 100, 88), 445, AT_MS(1));
    syn(IP4(198, 51, 100, 89), 445, AT_MS(2)); /* one step of 1 */
    syn(IP4(198, 51, 100, 57), 445, AT_MS(3));
    assert_targets(0, 4, 4, 0);
    assert_int_equal(ev.sequential_targets, 0);
    assert_octet_sum(5 * CLEAN_1);
}

/* The 4th octet for every target, the 2nd once per /16. */
static void test_remote_targets_scored_once_per_choice(void **state)
{
    (void)state;
    syn(IP4(83, 75, 18, 40), 445, AT_MS(0));
    assert_targets(0, 1, 1, 0);
    assert_octet_sum(2 * CLEAN_1);

    syn(IP4(83, 75, 200, 9), 445, AT_MS(1)); /* same /16: only its 4th octet */
    assert_targets(0, 2, 2, 0);
    assert_octet_sum(3 * CLEAN_1);

    syn(IP4(61, 200, 7, 130), 445, AT_MS(2)); /* a new /16, both masked bits set */
    assert_targets(0, 3, 3, 2);
    assert_octet_sum(3 * CLEAN_1 + 2 * BROKEN_1);
}

/* With the 1st octet masked too, it is scored once per /16 like the 2nd. */
static void test_first_octet_scored_once_per_net16(void **state)
{
    (void)state;
    cfg.target_mask = IP4(128, 128, 0, 128);
    syn(IP4(200, 75, 18, 40), 445, AT_MS(0)); /* 1st octet breaks the mask */
    assert_octet_sum(BROKEN_1 + 2 * CLEAN_1);
    syn(IP4(200, 75, 19, 41), 445, AT_MS(1));
    assert_octet_sum(BROKEN_1 + 3 * CLEAN_1);
    assert_targets(0, 2, 2, 1);
}

/* With the 3rd octet masked, it is scored once per /24. */
static void test_third_octet_scored_once_per_net24(void **state)
{
    (void)state;
    cfg.target_mask = IP4(0, 0, 128, 128);
    syn(IP4(83, 75, 18, 40), 445, AT_MS(0));
    syn(IP4(83, 75, 18, 90), 445, AT_MS(1)); /* same /24: 4th octet only */
    assert_octet_sum(3 * CLEAN_1);
    syn(IP4(83, 75, 130, 42), 445, AT_MS(2)); /* new /24 in the same /16 */
    assert_octet_sum(4 * CLEAN_1 + BROKEN_1);
    assert_targets(0, 3, 3, 1);
}

static void test_repeated_target_counted_once(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        syn(IP4(83, 75, 18, 40), 445, AT_MS(i));
        syn(IP4(10, 0, 3, 4), 445, AT_MS(i));
    }
    syn(IP4(83, 75, 18, 40), 139, AT_MS(9)); /* another port, still the same target */
    assert_targets(1, 1, 1, 0);
    assert_octet_sum(2 * CLEAN_1);
    assert_int_equal(ev.stack_syns[WW_STACK_WINDOWS_XP], 7); /* every SYN's shape counts */
}

/* NBNS queries are counted, nothing more: no shape, no targets, no octets. */
static void test_nbns_only_counts_netbios_probes(void **state)
{
    (void)state;
    struct ww_probe q = {.src = SOURCE, .dst = IP4(83, 75, 18, 40), .sport = 137, .dport = 137,
                         .proto = WW_IPPROTO_UDP, .ts_ns = AT_MS(0)};
    ww_evidence_attempt(&ev, &cfg, &ww_test_key, &q);
    q.dst = IP4(10, 0, 1, 1);
    ww_evidence_attempt(&ev, &cfg, &ww_test_key, &q);
    assert_int_equal(ev.netbios_probes, 2);
    assert_targets(0, 0, 0, 0);
    assert_octet_sum(0.0);
    for (int s = 0; s < WW_STACK__COUNT; s++)
        assert_int_equal(ev.stack_syns[s], 0);

    struct ww_verdict v;
    ww_verdict_judge(&ev, &cfg, &v);
    assert_int_equal(v.stack, WW_STACK_UNKNOWN);
    assert_false(v.likely);
    assert_true(v.score == 0.0);
}

/* Windows falls back to 139 when 445 is refused: same target, within 5 s. */
static void test_tcp139_after_445_refusal(void **state)
{
    (void)state;
    const uint32_t a = IP4(83, 75, 18, 40), b = IP4(83, 75, 18, 41);
    syn(a, 445, AT_MS(0));
    refused_445(a, AT_MS(100));
    syn(a, 139, AT_MS(5100)); /* exactly 5 s after the refusal */
    assert_int_equal(ev.tcp139_after_445, 1);
    syn(b, 139, AT_MS(5200)); /* another target */
    assert_int_equal(ev.tcp139_after_445, 1);
    syn(a, 139, AT_MS(6100)); /* 6 s after */
    assert_int_equal(ev.tcp139_after_445, 1);

    /* A refusal on 139 is not one on 445. */
    struct ww_probe p139 = syn_from(SOURCE, b, 139, AT_MS(7000), xp_shape());
    ww_evidence_refused(&ev, &p139, AT_MS(7000));
    syn(b, 139, AT_MS(7001));
    assert_int_equal(ev.tcp139_after_445, 1);
    /* The newest 445 refusal is the one remembered. */
    refused_445(b, AT_MS(8000));
    syn(b, 139, AT_MS(9000));
    assert_int_equal(ev.tcp139_after_445, 2);
}

/* --- the verdict --------------------------------------------------------------------------- */

/* Five remote targets in five /16s, all below 128 in the 2nd and 4th octets. */
static const uint32_t CLEAN_TARGETS[] = {IP4(83, 75, 18, 40), IP4(61, 3, 7, 9),
                                         IP4(124, 101, 220, 77), IP4(200, 12, 140, 3),
                                         IP4(95, 126, 33, 127)};

static void scan_with(struct ww_syn_shape s, const uint32_t *targets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct ww_probe p = syn_from(SOURCE, targets[i], 445, AT_MS(i * 300), s);
        ww_evidence_attempt(&ev, &cfg, &ww_test_key, &p);
    }
}

static void judge(struct ww_verdict *v)
{
    ww_verdict_judge(&ev, &cfg, v);
}

static void assert_score(const struct ww_verdict *v, double expected)
{
    if (fabs(v->score - expected) > FLOAT_SUM_EPSILON)
        fail_msg("score = %.9g, expected %.9g", v->score, expected);
}

static void test_conficker_xp_source_is_likely(void **state)
{
    (void)state;
    scan_with(xp_shape(), CLEAN_TARGETS, 5);
    struct ww_verdict v;
    judge(&v);
    assert_true(v.likely);
    assert_int_equal(v.stack, WW_STACK_WINDOWS_XP);
    assert_score(&v, 10 * CLEAN_1 + 1.0);
    /* the event gets a copy of the evidence */
    assert_int_equal(v.evidence.scored_targets, 5);
    assert_int_equal(v.evidence.remote_targets, 5);
    assert_true(v.evidence.octet_bits == ev.octet_bits);
}

/* The same targets from masscan: the shape rules Conficker out. */
static void test_scan_tool_shape_is_not_likely(void **state)
{
    (void)state;
    scan_with(masscan_shape(), CLEAN_TARGETS, 5);
    struct ww_verdict v;
    judge(&v);
    assert_false(v.likely);
    assert_int_equal(v.stack, WW_STACK_SCAN_TOOL);
    assert_score(&v, 10 * CLEAN_1 - 10.0);
}

/*
 * WannaCry-like: the XP stack, but targets uniform over the address space.
 * 16 targets in 16 /16s; 2nd octets 10, 25, ..., 235 and 4th 245, 230, ...,
 * 20: 8 of each set the top bit.
 */
static void test_uniform_windows_scanner_is_not_likely(void **state)
{
    (void)state;
    uint32_t targets[16];
    for (uint32_t i = 0; i < 16; i++)
        targets[i] = IP4(20 + i, 10 + 15 * i, 7, 245 - 15 * i);
    scan_with(xp_shape(), targets, 16);
    struct ww_verdict v;
    judge(&v);
    assert_targets(0, 16, 16, 16);
    assert_false(v.likely);
    assert_int_equal(v.stack, WW_STACK_WINDOWS_XP);
    assert_score(&v, 16 * CLEAN_1 + 16 * BROKEN_1 + 1.0);
}

/* A local sweep with remote targets, and 139 after 445, add a bit each. */
static void test_behaviour_bits(void **state)
{
    (void)state;
    scan_with(xp_shape(), CLEAN_TARGETS, 1);
    struct ww_verdict v;
    judge(&v);
    assert_score(&v, 2 * CLEAN_1 + 1.0);
    syn(IP4(10, 0, 3, 3), 445, AT_MS(1000));
    judge(&v);
    assert_score(&v, 2 * CLEAN_1 + 2.0);
    refused_445(IP4(10, 0, 3, 3), AT_MS(1001));
    syn(IP4(10, 0, 3, 3), 139, AT_MS(1002));
    judge(&v);
    assert_score(&v, 2 * CLEAN_1 + 3.0);
    assert_int_equal(v.evidence.local_targets, 1);
    assert_int_equal(v.evidence.tcp139_after_445, 1);
}

/* likely needs score >= likely_bits, and a Windows shape. */
static void test_likely_bits_boundary(void **state)
{
    (void)state;
    scan_with(shape(128, true, 8192, WIN7_OPTIONS, sizeof WIN7_OPTIONS), CLEAN_TARGETS, 3);
    struct ww_verdict v;
    judge(&v);
    assert_int_equal(v.stack, WW_STACK_WINDOWS);
    assert_score(&v, 6 * CLEAN_1);
    double score = v.score;

    cfg.likely_bits = score;
    judge(&v);
    assert_true(v.likely);
    cfg.likely_bits = nextafter(score, INFINITY);
    judge(&v);
    assert_false(v.likely);

    /* The default 5 bits: 5.91 is enough; a Unix stack never is, whatever the bar. */
    ww_verdict_config_defaults(&cfg);
    judge(&v);
    assert_true(v.likely);
    cfg.likely_bits = -100.0;
    memset(&ev, 0, sizeof ev);
    scan_with(shape(64, true, 29200, LINUX_OPTIONS, sizeof LINUX_OPTIONS), CLEAN_TARGETS, 5);
    judge(&v);
    assert_int_equal(v.stack, WW_STACK_UNIX);
    assert_false(v.likely);
}

/* The prevailing shape is the one with the most SYNs. */
static void test_prevailing_stack(void **state)
{
    (void)state;
    scan_with(masscan_shape(), CLEAN_TARGETS, 2);
    scan_with(xp_shape(), CLEAN_TARGETS + 2, 3);
    struct ww_verdict v;
    judge(&v);
    assert_int_equal(v.stack, WW_STACK_WINDOWS_XP);
    assert_int_equal(v.evidence.stack_syns[WW_STACK_SCAN_TOOL], 2);
    assert_int_equal(v.evidence.stack_syns[WW_STACK_WINDOWS_XP], 3);
    assert_true(v.likely);
}

/*
 * Distinct targets are counted exactly while they fit in the record's list,
 * then estimated: 10, 1,000 and 100,000 remote targets (and as many local
 * ones, up to 60,000), each tried twice, report 10 exactly and the others
 * within 3 standard errors.
 */
static void test_distinct_targets_at_10_1000_100000(void **state)
{
    (void)state;
    const uint32_t sizes[] = {10, 1000, 100000};
    for (size_t i = 0; i < 3; i++) {
        memset(&ev, 0, sizeof ev);
        for (int round = 0; round < 2; round++)
            for (uint32_t t = 0; t < sizes[i]; t++) {
                syn(IP4(20, 0, 0, 0) + t * 131u, 445, AT_MS(t));
                syn(IP4(10, 0, 0, 6) + t % 60000, 445, AT_MS(t)); /* inside its own /16 */
            }
        uint32_t remote = ww_evidence_remote_targets(&ev);
        uint32_t local = ww_evidence_local_targets(&ev);
        if (sizes[i] == 10) {
            assert_int_equal(remote, 10);
            assert_int_equal(local, 10);
            assert_false(ev.targets_overflowed);
        } else {
            assert_true(ev.targets_overflowed);
            assert_true(fabs((double)remote - sizes[i]) <= 0.28 * sizes[i]);
            uint32_t in_16 = sizes[i] < 60000 ? sizes[i] : 60000;
            assert_true(fabs((double)local - in_16) <= 0.28 * in_16);
        }
        /* Scoring stops with the list: never more scored than listed. */
        assert_true(ev.scored_targets <= WW_EXACT_TARGETS);
    }
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_stack_of_syn_shapes),
        T(test_octet_bits_one_masked_bit),
        T(test_octet_bits_two_masked_bits),
        T(test_local_targets_not_scored),
        T(test_sequential_sweep_not_scored),
        T(test_one_small_step_is_chance),
        T(test_remote_targets_scored_once_per_choice),
        T(test_first_octet_scored_once_per_net16),
        T(test_third_octet_scored_once_per_net24),
        T(test_repeated_target_counted_once),
        T(test_nbns_only_counts_netbios_probes),
        T(test_tcp139_after_445_refusal),
        T(test_conficker_xp_source_is_likely),
        T(test_scan_tool_shape_is_not_likely),
        T(test_uniform_windows_scanner_is_not_likely),
        T(test_behaviour_bits),
        T(test_likely_bits_boundary),
        T(test_prevailing_stack),
        T(test_distinct_targets_at_10_1000_100000),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
