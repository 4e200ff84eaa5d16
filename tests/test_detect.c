/*
 * Unit tests for the detector (detect.h).
 *
 * Each test parses a small rules text, feeds hand-made probe events in the
 * order the probe tracker would emit them (an attempt, then its outcome) and
 * records the alerts, so it can say exactly which event tipped a rule and
 * what the alert carried.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/detect.h"
#include "wormwatch/rules.h"
#include "test_key.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

#define T0 (1238414400ULL * NS_PER_SEC) /* 2009-03-30 12:00:00, a whole minute */
#define AT_MS(ms) (T0 + (uint64_t)(ms) * NS_PER_MS)
#define AT_S(s) AT_MS((uint64_t)(s) * 1000)
#define SCANNER IP4(10, 0, 0, 5)
#define OTHER_SCANNER IP4(10, 0, 0, 6)
#define TARGET(n) IP4(10, 0, 1, (n))
#define MAX_ALERTS 16

/*
 * SMB: 3 distinct failed targets in 60 s; NBNS: 3 distinct targets probed.
 * 10.9.9.9 is the site's own scanner; 10.0.99.0/24 holds a flapping printer.
 */
static const char BASE_RULES[] = "[global]\n"
                                 "never_flag = 10.9.9.9\n"
                                 "ignore_targets = 10.0.99.0/24\n"
                                 "[rule 1000001]\n"
                                 "name = smb fan-out\n"
                                 "proto = tcp\nport = 445\ncount = failed\n"
                                 "threshold = 3\nwindow = 60s\nsuppress = 10m\n"
                                 "[rule 1000003]\n"
                                 "name = nbns probing\n"
                                 "proto = udp\nport = 137\ncount = all\n"
                                 "threshold = 3\nwindow = 60s\nsuppress = 10m\n";

/* --- fixture: a detector over a parsed ruleset, and the alerts it raised ------------------ */

static struct ww_ruleset rules;
static struct ww_detector *det;
static struct ww_alert alerts[MAX_ALERTS];
static size_t alert_count;

static void record_alert(void *ctx, const struct ww_alert *alert)
{
    (void)ctx;
    assert_true(alert_count < MAX_ALERTS);
    alerts[alert_count++] = *alert;
}

/* A detector for `rules_text` with `table_memory` bytes of tables. */
static void start_with_memory(const char *rules_text, uint64_t table_memory)
{
    char err[256] = "";
    if (!ww_rules_parse(rules_text, "test", &rules, err, sizeof err))
        fail_msg("test rules do not parse: %s", err);
    det = ww_detector_new(&rules, table_memory, &ww_test_key, record_alert, NULL);
    assert_non_null(det);
}

static void start(const char *rules_text)
{
    start_with_memory(rules_text, 1 << 20);
}

static int setup(void **state)
{
    (void)state;
    det = NULL;
    alert_count = 0;
    memset(alerts, 0, sizeof alerts);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ww_detector_free(det);
    det = NULL;
    return 0;
}

static const struct ww_detect_stats *stats(void)
{
    return ww_detector_stats(det);
}

static void assert_alert_count(size_t n)
{
    if (alert_count != n)
        fail_msg("%zu alerts raised, expected %zu", alert_count, n);
}

/* --- events as the probe tracker emits them ------------------------------------------------ */

static struct ww_probe probe_from(uint32_t src, uint32_t dst, uint16_t dport, uint64_t ts)
{
    return (struct ww_probe){.src = src, .dst = dst, .sport = (uint16_t)(1024 + (dst & 0xFF)),
                             .dport = dport,
                             .proto = dport == 137 ? WW_IPPROTO_UDP : WW_IPPROTO_TCP,
                             .ts_ns = ts};
}

static void attempt(const struct ww_probe *p)
{
    struct ww_probe_event ev = {.kind = WW_PROBE_ATTEMPT, .probe = *p};
    ww_detector_event(det, &ev);
}

static void outcome(const struct ww_probe *p, enum ww_outcome result, uint64_t at)
{
    struct ww_probe_event ev = {.kind = WW_PROBE_RESULT, .outcome = result, .outcome_ts_ns = at,
                                .probe = *p};
    ww_detector_event(det, &ev);
}

/* An attempt whose outcome is not known yet. */
static void attempt_to(uint32_t src, uint32_t dst, uint16_t dport, uint64_t ts)
{
    struct ww_probe p = probe_from(src, dst, dport, ts);
    attempt(&p);
}

/* An attempt from `src` on `dport` and its immediate outcome (RST or SYN-ACK). */
static void probe_with(uint32_t src, uint32_t dst, uint16_t dport, uint64_t ts,
                       enum ww_outcome result)
{
    struct ww_probe p = probe_from(src, dst, dport, ts);
    attempt(&p);
    outcome(&p, result, ts);
}

static void failed_smb(uint32_t dst, uint64_t ts)
{
    probe_with(SCANNER, dst, 445, ts, WW_OUTCOME_REJECTED);
}

static void accepted_smb(uint32_t dst, uint64_t ts)
{
    probe_with(SCANNER, dst, 445, ts, WW_OUTCOME_ACCEPTED);
}

static void assert_samples(const struct ww_alert *a, const uint32_t *expected, uint32_t n)
{
    assert_int_equal(a->sample_count, n);
    for (uint32_t i = 0; i < n; i++)
        if (a->sample[i] != expected[i])
            fail_msg("sample[%u] = %08x, expected %08x", i, a->sample[i], expected[i]);
}

/* --- thresholds ------------------------------------------------------------------------ */

static void test_alert_at_threshold_not_before(void **state)
{
    (void)state;
    start(BASE_RULES);
    failed_smb(TARGET(1), AT_S(0));
    failed_smb(TARGET(2), AT_S(1));
    assert_alert_count(0);
    failed_smb(TARGET(3), AT_MS(2500));
    assert_alert_count(1);

    const struct ww_alert *a = &alerts[0];
    assert_ptr_equal(a->rule, &rules.rule[0]);
    assert_int_equal(a->ts_ns, AT_MS(2500));
    assert_int_equal(a->probe.src, SCANNER);
    assert_int_equal(a->probe.dst, TARGET(3));
    assert_int_equal(a->probe.dport, 445);
    assert_int_equal(a->targets, 3);
    assert_int_equal(a->attempts, 3);
    assert_int_equal(a->failed, 3);
    assert_int_equal(a->accepted, 0);
    assert_int_equal(a->first_seen_ns, AT_S(0));
    assert_int_equal(a->last_seen_ns, AT_MS(2500));
    const uint32_t newest_first[] = {TARGET(3), TARGET(2), TARGET(1)};
    assert_samples(a, newest_first, 3);

    assert_int_equal(stats()->events, 6);
    assert_int_equal(stats()->alerts, 1);
    assert_int_equal(stats()->suppressed, 0);
    assert_int_equal(ww_detector_table_stats(det)->entries, 1);
}

/* A worm fails against many hosts; a client retrying one dead server fails against one. */
static void test_repeated_failures_to_one_target_count_once(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 0; i < 5; i++)
        failed_smb(TARGET(1), AT_S(i));
    failed_smb(TARGET(2), AT_S(5));
    assert_alert_count(0);
    failed_smb(TARGET(3), AT_S(6));
    assert_alert_count(1);
    assert_int_equal(alerts[0].targets, 3);
    assert_int_equal(alerts[0].attempts, 7);
    assert_int_equal(alerts[0].failed, 7);
    const uint32_t newest_first[] = {TARGET(3), TARGET(2), TARGET(1)};
    assert_samples(&alerts[0], newest_first, 3);
}

static void test_accepted_outcomes_do_not_count(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 1; i <= 5; i++)
        accepted_smb(TARGET(i), AT_S(i));
    failed_smb(TARGET(6), AT_S(6));
    failed_smb(TARGET(7), AT_S(7));
    assert_alert_count(0);
    failed_smb(TARGET(8), AT_S(8));
    assert_alert_count(1);
    assert_int_equal(alerts[0].targets, 3);
    assert_int_equal(alerts[0].attempts, 8);
    assert_int_equal(alerts[0].failed, 3);
    assert_int_equal(alerts[0].accepted, 5);
    assert_int_equal(alerts[0].first_seen_ns, AT_S(1));
    const uint32_t failed_only[] = {TARGET(8), TARGET(7), TARGET(6)};
    assert_samples(&alerts[0], failed_only, 3);
}

/* An attempt with no outcome yet is neither failed nor accepted, and counts for nothing. */
static void test_unanswered_counts_when_judged(void **state)
{
    (void)state;
    start(BASE_RULES);
    struct ww_probe p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = probe_from(SCANNER, TARGET(1 + i), 445, AT_S(i));
        attempt(&p[i]);
    }
    assert_alert_count(0);
    outcome(&p[0], WW_OUTCOME_UNANSWERED, AT_S(5));
    outcome(&p[1], WW_OUTCOME_UNANSWERED, AT_S(6));
    assert_alert_count(0);
    outcome(&p[2], WW_OUTCOME_UNANSWERED, AT_S(7));
    assert_alert_count(1);
    assert_int_equal(alerts[0].ts_ns, AT_S(2)); /* the tipping probe's time, not its outcome's */
    assert_int_equal(alerts[0].attempts, 3);
    assert_int_equal(alerts[0].failed, 3);
    assert_int_equal(alerts[0].last_seen_ns, AT_S(2));
}

static void test_min_failed_fraction_keeps_busy_host_quiet(void **state)
{
    (void)state;
    start("[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 3\n"
          "window = 5m\nmin_failed_fraction = 0.5\n");
    for (int i = 1; i <= 10; i++)
        accepted_smb(TARGET(i), AT_S(i));
    /* 3..9 failed of 13..19 decided: below half. */
    for (int i = 11; i <= 19; i++)
        failed_smb(TARGET(i), AT_S(i));
    assert_alert_count(0);
    /* 10 failed of 20: exactly half is enough. */
    failed_smb(TARGET(20), AT_S(20));
    assert_alert_count(1);
    assert_int_equal(alerts[0].failed, 10);
    assert_int_equal(alerts[0].accepted, 10);
    assert_int_equal(alerts[0].attempts, 20);
    assert_int_equal(alerts[0].probe.dst, TARGET(20));
    assert_int_equal(alerts[0].sample[0], TARGET(20));
}

/* A TCP probe to 137 or a probe to an unwatched port belongs to no rule. */
static void test_rules_match_port_and_proto(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 1; i <= 5; i++) {
        probe_with(SCANNER, TARGET(i), 139, AT_S(i), WW_OUTCOME_REJECTED);
        struct ww_probe tcp137 = probe_from(SCANNER, TARGET(i), 137, AT_S(i));
        tcp137.proto = WW_IPPROTO_TCP;
        attempt(&tcp137);
    }
    assert_alert_count(0);
    assert_int_equal(stats()->events, 15);
    assert_int_equal(ww_detector_table_stats(det)->entries, 0);
}

/* --- the sliding window ------------------------------------------------------------------ */

/* 12:00:50, 12:00:55, 12:01:05: minute epochs would split them 2 + 1. */
static void test_sliding_window_is_not_split_by_epochs(void **state)
{
    (void)state;
    start(BASE_RULES);
    failed_smb(TARGET(1), AT_S(50));
    failed_smb(TARGET(2), AT_S(55));
    assert_alert_count(0);
    failed_smb(TARGET(3), AT_S(65));
    assert_alert_count(1);
    assert_int_equal(alerts[0].targets, 3);
    assert_int_equal(alerts[0].first_seen_ns, AT_S(50));
}

static void test_targets_older_than_window_do_not_count(void **state)
{
    (void)state;
    start(BASE_RULES);
    failed_smb(TARGET(1), AT_S(0));
    failed_smb(TARGET(2), AT_S(10));
    failed_smb(TARGET(3), AT_S(100));
    failed_smb(TARGET(4), AT_S(110));
    assert_alert_count(0);
    failed_smb(TARGET(5), AT_S(115));
    assert_alert_count(1);
    assert_int_equal(alerts[0].targets, 3);
    assert_int_equal(alerts[0].attempts, 5); /* attempts are not windowed */
    assert_int_equal(alerts[0].failed, 5);
    const uint32_t in_window[] = {TARGET(5), TARGET(4), TARGET(3)};
    assert_samples(&alerts[0], in_window, 3);
}

/* A target exactly one window old is out; one millisecond younger is in. */
static void test_window_boundary(void **state)
{
    (void)state;
    start(BASE_RULES);
    probe_with(SCANNER, TARGET(1), 445, AT_S(0), WW_OUTCOME_REJECTED);
    probe_with(SCANNER, TARGET(2), 445, AT_S(30), WW_OUTCOME_REJECTED);
    probe_with(SCANNER, TARGET(3), 445, AT_S(60), WW_OUTCOME_REJECTED);
    assert_alert_count(0);

    probe_with(OTHER_SCANNER, TARGET(1), 445, AT_S(0), WW_OUTCOME_REJECTED);
    probe_with(OTHER_SCANNER, TARGET(2), 445, AT_S(30), WW_OUTCOME_REJECTED);
    probe_with(OTHER_SCANNER, TARGET(3), 445, AT_MS(59999), WW_OUTCOME_REJECTED);
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.src, OTHER_SCANNER);
    assert_int_equal(alerts[0].targets, 3);
}

/*
 * The window slides over decision times. An unanswered outcome is decided
 * attempt_timeout after its probe, later than outcomes of newer probes; it
 * must not make targets decided windows apart count together. Here the
 * window is 1 s: A (probe 10 s, decided 15 s), B (13 s), C (13.5 s) are
 * never 3 in one window. (Decisions that arrive out of order by more than a
 * window, possible only with out-of-order capture times, are not exact: the
 * set holds `threshold` targets.)
 */
static void test_late_outcome_outside_window_does_not_count(void **state)
{
    (void)state;
    start("[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 3\nwindow = 1s\n");
    struct ww_probe a = probe_from(SCANNER, TARGET(1), 445, AT_S(10));
    attempt(&a);
    failed_smb(TARGET(2), AT_S(13));
    failed_smb(TARGET(3), AT_MS(13500));
    outcome(&a, WW_OUTCOME_UNANSWERED, AT_S(15));
    assert_alert_count(0);

    /* A's failure, decided at 15 s, counts in the windows that follow it. */
    failed_smb(TARGET(4), AT_MS(15100));
    assert_alert_count(0);
    failed_smb(TARGET(5), AT_MS(15200));
    assert_alert_count(1);
    assert_int_equal(alerts[0].targets, 3);
    assert_int_equal(alerts[0].ts_ns, AT_MS(15200));
    const uint32_t in_window[] = {TARGET(5), TARGET(4), TARGET(1)};
    assert_samples(&alerts[0], in_window, 3);
}

/* --- suppression ------------------------------------------------------------------------ */

/* A name query to a host the source tried over SMB looks up a peer's name
   (Windows does, by NBSTAT): it is no sweep, and does not count. */
static void test_name_queries_of_smb_peers_do_not_count(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 1; i <= 3; i++)
        probe_with(SCANNER, TARGET(i), 445, AT_S(i), WW_OUTCOME_ACCEPTED);
    for (int i = 1; i <= 3; i++)
        attempt(&(struct ww_probe){.src = SCANNER, .dst = TARGET(i), .sport = 137, .dport = 137,
                                   .proto = WW_IPPROTO_UDP, .ts_ns = AT_S(5)});
    assert_alert_count(0);
    for (int i = 4; i <= 6; i++)
        attempt(&(struct ww_probe){.src = SCANNER, .dst = TARGET(i), .sport = 137, .dport = 137,
                                   .proto = WW_IPPROTO_UDP, .ts_ns = AT_S(6)});
    assert_alert_count(1); /* BASE_RULES: 3 name-query targets */
    assert_int_equal(alerts[0].targets, 3);
    assert_int_equal(alerts[0].probe.dst, TARGET(6));
}

static void test_one_alert_per_source_and_rule_per_suppress_interval(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 1; i <= 4; i++)
        failed_smb(TARGET(i), AT_S(i - 1));
    assert_alert_count(1);
    assert_int_equal(alerts[0].ts_ns, AT_S(2));
    assert_int_equal(stats()->suppressed, 1);

    /* Another source, and the same source on another rule, are not held back. */
    for (int i = 1; i <= 3; i++)
        probe_with(OTHER_SCANNER, TARGET(i), 445, AT_S(5), WW_OUTCOME_REJECTED);
    for (int i = 21; i <= 23; i++) /* hosts it never tried over SMB (see below) */
        attempt(&(struct ww_probe){.src = SCANNER, .dst = TARGET(i), .sport = 137, .dport = 137,
                                   .proto = WW_IPPROTO_UDP, .ts_ns = AT_S(6)});
    assert_alert_count(3);
    assert_int_equal(alerts[1].probe.src, OTHER_SCANNER);
    assert_ptr_equal(alerts[2].rule, &rules.rule[1]);

    /* Tipping again 1 ns before the interval ends is suppressed; at its end, alerts. */
    failed_smb(TARGET(10), AT_S(600));
    failed_smb(TARGET(11), AT_S(601));
    failed_smb(TARGET(12), AT_S(602) - 1);
    assert_alert_count(3);
    assert_int_equal(stats()->suppressed, 2);
    failed_smb(TARGET(13), AT_S(602));
    assert_alert_count(4);
    const struct ww_alert *again = &alerts[3];
    assert_ptr_equal(again->rule, &rules.rule[0]);
    assert_int_equal(again->probe.src, SCANNER);
    assert_int_equal(again->ts_ns, AT_S(602));
    assert_int_equal(again->probe.dst, TARGET(13));
    assert_int_equal(again->attempts, 8);
    assert_int_equal(again->failed, 8);
    assert_int_equal(again->first_seen_ns, AT_S(0));
    assert_int_equal(again->last_seen_ns, AT_S(602));
    assert_int_equal(again->sample[0], TARGET(13));
    assert_int_equal(stats()->alerts, 4);
}

static void test_suppress_zero_alerts_on_every_tipping_probe(void **state)
{
    (void)state;
    start("[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 2\n"
          "window = 1m\nsuppress = 0\n");
    for (int i = 1; i <= 4; i++)
        failed_smb(TARGET(i), AT_S(i));
    assert_alert_count(3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(alerts[i].probe.dst, TARGET(2 + i));
        assert_int_equal(alerts[i].ts_ns, AT_S(2 + i));
        /* The newest two targets lead the samples, whatever else is held. */
        assert_true(alerts[i].sample_count >= 2);
        assert_int_equal(alerts[i].sample[0], TARGET(2 + i));
        assert_int_equal(alerts[i].sample[1], TARGET(1 + i));
    }
    assert_int_equal(stats()->suppressed, 0);
    assert_int_equal(stats()->alerts, 3);
}

/*
 * detect.h: alert.targets is the "distinct counted targets in the window";
 * docs/events.md: sample_targets holds "up to 10 counted targets in the
 * window". An alert after the first (here suppress = 0) sees 5 in the window.
 */
/* The set holds `threshold` targets: that is the evidence an alert reports. */
static void test_alert_reports_targets_up_to_threshold(void **state)
{
    (void)state;
    start("[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 3\n"
          "window = 5m\nsuppress = 0\n");
    for (int i = 1; i <= 5; i++)
        failed_smb(TARGET(i), AT_S(i));
    assert_alert_count(3);
    const struct ww_alert *last = &alerts[2];
    assert_int_equal(last->probe.dst, TARGET(5));
    assert_int_equal(last->failed, 5);
    assert_int_equal(last->targets, 3);
    const uint32_t newest_first[] = {TARGET(5), TARGET(4), TARGET(3)};
    assert_samples(last, newest_first, 3);
}

/* --- never_flag, ignore_targets, count = all ----------------------------------------------- */

static void test_never_flag_source(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 1; i <= 5; i++)
        probe_with(IP4(10, 9, 9, 9), TARGET(i), 445, AT_S(i), WW_OUTCOME_REJECTED);
    assert_alert_count(0);
    assert_int_equal(stats()->ignored_sources, 10);
    assert_int_equal(stats()->events, 10);
    assert_int_equal(ww_detector_table_stats(det)->entries, 0);
}

static void test_ignore_targets(void **state)
{
    (void)state;
    start(BASE_RULES);
    failed_smb(TARGET(1), AT_S(1));
    for (int i = 1; i <= 5; i++)
        failed_smb(IP4(10, 0, 99, i), AT_S(2));
    failed_smb(TARGET(2), AT_S(3));
    assert_alert_count(0);
    assert_int_equal(stats()->ignored_targets, 10);
    failed_smb(TARGET(3), AT_S(4));
    assert_alert_count(1);
    assert_int_equal(alerts[0].attempts, 3); /* ignored probes are not attempts either */
}

/* NBNS counts targets probed, answered or not: the threshold-th distinct attempt tips it. */
static void test_count_all_counts_attempts(void **state)
{
    (void)state;
    start(BASE_RULES);
    struct ww_probe q1 = probe_from(SCANNER, TARGET(1), 137, AT_S(0));
    struct ww_probe q2 = probe_from(SCANNER, TARGET(2), 137, AT_S(1));
    struct ww_probe q1_again = probe_from(SCANNER, TARGET(1), 137, AT_S(2));
    struct ww_probe q3 = probe_from(SCANNER, TARGET(3), 137, AT_S(3));
    attempt(&q1);
    outcome(&q1, WW_OUTCOME_ACCEPTED, AT_S(0));
    attempt(&q2);
    outcome(&q2, WW_OUTCOME_ACCEPTED, AT_S(1));
    attempt(&q1_again); /* the same target again: still two */
    assert_alert_count(0);
    attempt(&q3);
    assert_alert_count(1);

    const struct ww_alert *a = &alerts[0];
    assert_ptr_equal(a->rule, &rules.rule[1]);
    assert_int_equal(a->probe.proto, WW_IPPROTO_UDP);
    assert_int_equal(a->probe.dst, TARGET(3));
    assert_int_equal(a->ts_ns, AT_S(3));
    assert_int_equal(a->targets, 3);
    assert_int_equal(a->attempts, 4);
    assert_int_equal(a->accepted, 2);
    assert_int_equal(a->failed, 0);
    assert_int_equal(a->first_seen_ns, AT_S(0));
    assert_int_equal(a->last_seen_ns, AT_S(3));
    const uint32_t newest_first[] = {TARGET(3), TARGET(1), TARGET(2)};
    assert_samples(a, newest_first, 3);

    /* Outcomes add no targets under count = all: nothing is judged again. */
    outcome(&q1_again, WW_OUTCOME_UNANSWERED, AT_S(7));
    outcome(&q3, WW_OUTCOME_UNANSWERED, AT_S(8));
    assert_alert_count(1);
    assert_int_equal(stats()->suppressed, 0);
}

/* More targets than samples: the 10 newest, newest first. */
static void test_samples_capped_newest_first(void **state)
{
    (void)state;
    start("[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 12\nwindow = 5m\n");
    for (int i = 1; i <= 12; i++)
        failed_smb(TARGET(i), AT_S(i));
    assert_alert_count(1);
    assert_int_equal(alerts[0].targets, 12);
    uint32_t newest_first[WW_ALERT_SAMPLES];
    for (int i = 0; i < WW_ALERT_SAMPLES; i++)
        newest_first[i] = TARGET(12 - i);
    assert_samples(&alerts[0], newest_first, WW_ALERT_SAMPLES);
}

/* A source idle longer than idle_timeout is forgotten with its evidence. */
static void test_idle_source_forgotten(void **state)
{
    (void)state;
    start("[global]\nidle_timeout = 30s\n"
          "[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 3\nwindow = 10m\n");
    failed_smb(TARGET(1), AT_S(0));
    failed_smb(TARGET(2), AT_S(1));
    ww_detector_advance(det, AT_S(31));
    assert_int_equal(ww_detector_table_stats(det)->entries, 1);
    ww_detector_advance(det, AT_S(31) + 1);
    assert_int_equal(ww_detector_table_stats(det)->entries, 0);
    assert_int_equal(ww_detector_table_stats(det)->expirations, 1);

    /* Back after expiry, it is a newcomer again: on probation until a second target. */
    failed_smb(TARGET(3), AT_S(40));
    assert_alert_count(0);
    assert_int_equal(ww_detector_table_stats(det)->inserts, 1);
    assert_int_equal(ww_detector_probation_stats(det)->entries, 1);
    failed_smb(TARGET(4), AT_S(41));
    assert_int_equal(ww_detector_table_stats(det)->inserts, 2);
    assert_int_equal(ww_detector_probation_stats(det)->entries, 0);
}

/* --- probation: sources seen at one target only ---------------------------------------- */

/* A flood of spoofed sources, one SYN each: no record for any, the probation table bounded.
   The flood is spread over 250 targets, so it has no victim whose newcomers are skipped
   (sender.h): every one takes its turn on probation. */
static void test_one_syn_sources_stay_on_probation(void **state)
{
    (void)state;
    start_with_memory(BASE_RULES, 64 * 1024);
    uint32_t capacity = ww_detector_probation_stats(det)->capacity;
    assert_true(capacity > 10 && capacity < 1000);
    for (uint32_t i = 0; i < 5 * capacity; i++)
        probe_with(IP4(100, 64, 0, 0) + i, TARGET(1 + i % 250), 445, AT_MS(i),
                   WW_OUTCOME_UNANSWERED);
    assert_int_equal(stats()->flood.skipped, 0);
    assert_int_equal(ww_detector_table_stats(det)->entries, 0);
    assert_int_equal(ww_detector_table_stats(det)->inserts, 0);
    assert_int_equal(ww_detector_probation_stats(det)->entries, capacity);
    assert_int_equal(ww_detector_probation_stats(det)->evictions, 4 * capacity);
    assert_int_equal(stats()->newcomers, 5 * capacity);
    assert_int_equal(stats()->promotions, 0);
    assert_alert_count(0);
    assert_true(ww_detector_probation_stats(det)->record_bytes <= 64);
}

/* Promotion replays the first contact, its outcome and its retries exactly. */
static void test_promotion_replays_first_contact(void **state)
{
    (void)state;
    start(BASE_RULES);
    for (int i = 0; i < 3; i++) /* three tries of one dead target */
        failed_smb(TARGET(1), AT_S(i));
    accepted_smb(TARGET(1), AT_S(3)); /* and then it answered */
    assert_int_equal(ww_detector_table_stats(det)->entries, 0);
    failed_smb(TARGET(2), AT_S(4));
    assert_int_equal(stats()->promotions, 1);
    assert_int_equal(ww_detector_table_stats(det)->entries, 1);
    failed_smb(TARGET(3), AT_S(5));
    assert_alert_count(1);
    assert_int_equal(alerts[0].attempts, 6);
    assert_int_equal(alerts[0].failed, 5);
    assert_int_equal(alerts[0].accepted, 1);
    assert_int_equal(alerts[0].first_seen_ns, AT_S(0));
    const uint32_t newest_first[] = {TARGET(3), TARGET(2), TARGET(1)};
    assert_samples(&alerts[0], newest_first, 3);
}

/* A contact is a (target, port): the same host on another port is a second contact. */
static void test_another_port_promotes(void **state)
{
    (void)state;
    start("[rule 1000001]\nname = 445\nproto = tcp\nport = 445\nthreshold = 3\nwindow = 60s\n"
          "[rule 1000002]\nname = 139\nproto = tcp\nport = 139\nthreshold = 3\nwindow = 60s\n");
    probe_with(SCANNER, TARGET(1), 139, AT_S(0), WW_OUTCOME_REJECTED);
    assert_int_equal(stats()->promotions, 0);
    probe_with(SCANNER, TARGET(1), 445, AT_S(1), WW_OUTCOME_ACCEPTED);
    assert_int_equal(stats()->promotions, 1);
    /* and each port's counts stayed with its own rule */
    failed_smb(TARGET(2), AT_S(2));
    failed_smb(TARGET(3), AT_S(3));
    assert_alert_count(0);
    failed_smb(TARGET(4), AT_S(4));
    assert_alert_count(1);
    assert_int_equal(alerts[0].attempts, 4); /* on 445 only */
    assert_int_equal(alerts[0].accepted, 1);
    assert_int_equal(alerts[0].failed, 3);
}

/* When the record table is full, the record with the least evidence goes, not the scanner. */
static void test_full_table_keeps_the_evidence(void **state)
{
    (void)state;
    start_with_memory(BASE_RULES, 64 * 1024);
    uint32_t capacity = ww_detector_table_stats(det)->capacity;
    for (int i = 1; i <= 2; i++) /* the scanner: two failures, the oldest record */
        failed_smb(TARGET(i), AT_S(0));
    for (uint32_t i = 0; i < 3 * capacity; i++) { /* sources with two successes each */
        uint32_t src = IP4(172, 16, 0, 0) + i;
        probe_with(src, TARGET(1), 445, AT_S(1), WW_OUTCOME_ACCEPTED);
        probe_with(src, TARGET(2), 445, AT_S(1), WW_OUTCOME_ACCEPTED);
    }
    assert_true(ww_detector_table_stats(det)->evictions >= 2 * capacity);
    failed_smb(TARGET(3), AT_S(2)); /* its third failure still finds its record */
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.src, SCANNER);
    assert_int_equal(alerts[0].failed, 3);
}

/* --- sequential rules (threshold random walk) ---------------------------------------------- */

/*
 * Jung et al.'s defaults: each failed first contact adds ln 4, each success
 * takes ln 4 away; the walk tips at ln 99 (4 failures) and is judged benign
 * at ln(1/99) (4 successes). 10.0.200.0/24 is dark.
 */
static const char SEQ_RULES[] = "[global]\n"
                                "dark_nets = 10.0.200.0/24\n"
                                "[rule 1000004]\n"
                                "name = trw 445\ntype = sequential\nproto = tcp\nport = 445\n"
                                "suppress = 10m\n"
                                "[rule 1000005]\n"
                                "name = trw 139\ntype = sequential\nproto = tcp\nport = 139\n"
                                "suppress = 10m\n";

#define DARK(n) IP4(10, 0, 200, (n))
#define LN4 1.3862943611198906

/*
 * First contacts from `src` to TARGET(first), TARGET(first + 1)... one a
 * second from `start`, each decided at once: 'F' refused, 'S' accepted.
 */
static void contacts(uint32_t src, uint16_t dport, const char *outcomes, int first, uint64_t start)
{
    for (int i = 0; outcomes[i]; i++)
        probe_with(src, TARGET(first + i), dport, start + (uint64_t)i * NS_PER_SEC,
                   outcomes[i] == 'F' ? WW_OUTCOME_REJECTED : WW_OUTCOME_ACCEPTED);
}

/* The walk as the alert reports it; its llr is `ln4s` times ln 4. */
static void assert_walk(const struct ww_alert *a, uint32_t tipping_dst, uint32_t first_contacts,
                        uint32_t failures, int ln4s)
{
    assert_int_equal(a->probe.dst, tipping_dst);
    assert_int_equal(a->first_contacts, first_contacts);
    assert_int_equal(a->walk_failures, failures);
    assert_int_equal(a->targets, failures);
    if (fabs(a->llr - ln4s * LN4) > 1e-9)
        fail_msg("llr = %.15g, expected %d ln 4 = %.15g", a->llr, ln4s, ln4s * LN4);
}

static void assert_targets_newest_first(const struct ww_alert *a, const int *numbers, uint32_t n)
{
    uint32_t expected[WW_ALERT_SAMPLES];
    for (uint32_t i = 0; i < n; i++)
        expected[i] = TARGET(numbers[i]);
    assert_samples(a, expected, n);
}

static void test_walk_alerts_on_fourth_failed_first_contact(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "FFF", 1, AT_S(0));
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 4, AT_S(3));
    assert_alert_count(1);

    const struct ww_alert *a = &alerts[0];
    assert_ptr_equal(a->rule, &rules.rule[0]);
    assert_walk(a, TARGET(4), 4, 4, 4);
    assert_true(fabs(a->llr - 4 * log(4.0)) < 1e-9);
    assert_int_equal(a->ts_ns, AT_S(3));
    assert_int_equal(a->probe.src, SCANNER);
    assert_int_equal(a->probe.sport, 1024 + 4);
    assert_int_equal(a->attempts, 4);
    assert_int_equal(a->failed, 4);
    assert_int_equal(a->accepted, 0);
    assert_int_equal(a->first_seen_ns, AT_S(0));
    assert_int_equal(a->last_seen_ns, AT_S(3));
    const int newest_first[] = {4, 3, 2, 1};
    assert_targets_newest_first(a, newest_first, 4);
    assert_int_equal(stats()->alerts, 1);
    assert_int_equal(stats()->walks_benign, 0);
    assert_int_equal(stats()->walks_forced, 0);
}

/* F F S F F F: the success is outweighed by a fifth failure; samples hold failures only. */
static void test_walk_success_needs_one_more_failure(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "FFSFF", 1, AT_S(0));
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 6, AT_S(5));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(6), 6, 5, 4);
    assert_int_equal(alerts[0].accepted, 1);
    assert_int_equal(alerts[0].failed, 5);
    const int failed_newest_first[] = {6, 5, 4, 2, 1};
    assert_targets_newest_first(&alerts[0], failed_newest_first, 5);
}

/*
 * Contacts 1 and 2 wait for their timeouts while 3 and 4 are refused at
 * once: the walk waits for 1 and 2, then takes 1, 2, 3, 4 in that order, and
 * the probe that tips it is contact 4, not the outcome that arrived last.
 */
static void test_walk_takes_outcomes_in_contact_order(void **state)
{
    (void)state;
    start(SEQ_RULES);
    struct ww_probe p1 = probe_from(SCANNER, TARGET(1), 445, AT_S(0));
    struct ww_probe p2 = probe_from(SCANNER, TARGET(2), 445, AT_S(1));
    attempt(&p1);
    attempt(&p2);
    contacts(SCANNER, 445, "FF", 3, AT_S(2));
    assert_alert_count(0);
    outcome(&p1, WW_OUTCOME_UNANSWERED, AT_S(5));
    assert_alert_count(0);
    outcome(&p2, WW_OUTCOME_UNANSWERED, AT_S(6));
    assert_alert_count(1);

    const struct ww_alert *a = &alerts[0];
    assert_walk(a, TARGET(4), 4, 4, 4);
    assert_int_equal(a->ts_ns, AT_S(3));
    assert_int_equal(a->probe.sport, 1024 + 4);
    assert_int_equal(a->failed, 4);
    const int contact_order[] = {4, 3, 2, 1};
    assert_targets_newest_first(a, contact_order, 4);
}

/*
 * Four contacts time out; a fifth is accepted at once. Taken as they come
 * (S F F F F) the walk would end at 3 ln 4 and never tip; in contact order
 * it tips on the fourth failure.
 */
static void test_fast_success_does_not_overtake_older_failures(void **state)
{
    (void)state;
    start(SEQ_RULES);
    struct ww_probe p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = probe_from(SCANNER, TARGET(1 + i), 445, AT_MS(100 * i));
        attempt(&p[i]);
    }
    contacts(SCANNER, 445, "S", 5, AT_MS(400));
    for (int i = 0; i < 3; i++)
        outcome(&p[i], WW_OUTCOME_UNANSWERED, AT_MS(5000 + 100 * i));
    assert_alert_count(0);
    outcome(&p[3], WW_OUTCOME_UNANSWERED, AT_MS(5300));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(4), 4, 4, 4);
    assert_int_equal(alerts[0].ts_ns, AT_MS(300));
    assert_int_equal(alerts[0].accepted, 1);
    assert_int_equal(stats()->walks_benign, 0);
}

/* A client retrying one dead server makes one first contact, however often it retries. */
static void test_repeated_contact_is_not_a_new_first_contact(void **state)
{
    (void)state;
    start(SEQ_RULES);
    for (int i = 0; i < 4; i++)
        failed_smb(TARGET(1), AT_S(i));
    contacts(SCANNER, 445, "FF", 2, AT_S(4));
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 4, AT_S(6));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(4), 4, 4, 4);
    assert_int_equal(alerts[0].attempts, 7);
    assert_int_equal(alerts[0].failed, 7);
    const int newest_first[] = {4, 3, 2, 1};
    assert_targets_newest_first(&alerts[0], newest_first, 4);
}

/*
 * Four successes cross ln(1/99): the source is judged benign and the walk
 * starts afresh, so four failures after them tip it (without the reset they
 * would only bring it back to 0).
 */
/* Three successes stay above the lower boundary: they must all be outweighed. */
static void test_walk_above_lower_boundary_keeps_its_successes(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "SSSFFFFFF", 1, AT_S(0));
    assert_alert_count(0);
    assert_int_equal(stats()->walks_benign, 0);
    contacts(SCANNER, 445, "F", 10, AT_S(9));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(10), 10, 7, 4);
}

/* A benign verdict ends the test and the next starts from the lower bound,
   ln(1/99): after four successes a host needs seven failures in a row. */
static void test_lower_boundary_floors_walk(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "SSS", 1, AT_S(0));
    assert_int_equal(stats()->walks_benign, 0);
    contacts(SCANNER, 445, "S", 4, AT_S(3));
    assert_int_equal(stats()->walks_benign, 1);
    contacts(SCANNER, 445, "FFFFFF", 5, AT_S(4));
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 11, AT_S(10));
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.dst, TARGET(11));
    assert_int_equal(alerts[0].first_contacts, 7);
    assert_int_equal(alerts[0].walk_failures, 7);
    assert_true(fabs(alerts[0].llr - (log(1.0 / 99.0) + 7 * LN4)) < 1e-9);
    assert_int_equal(alerts[0].accepted, 4);
    assert_int_equal(alerts[0].failed, 7);
    assert_int_equal(alerts[0].attempts, 11);
    const int failures_only[] = {11, 10, 9, 8, 7, 6, 5};
    assert_targets_newest_first(&alerts[0], failures_only, 7);
}

static void test_reset_forgets_earlier_failures(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "FSSSSS", 1, AT_S(0)); /* ln 4 - 5 ln 4 crosses ln(1/99) */
    assert_int_equal(stats()->walks_benign, 1);
    contacts(SCANNER, 445, "FFFFFFF", 7, AT_S(6));
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.dst, TARGET(13));
    assert_int_equal(alerts[0].first_contacts, 7);
    assert_int_equal(alerts[0].walk_failures, 7);
    const int since_reset[] = {13, 12, 11, 10, 9, 8, 7}; /* not target 1 */
    assert_targets_newest_first(&alerts[0], since_reset, 7);
}

/* The walk keeps its 8 newest failures as samples (docs/events.md: up to 8). */
static void test_walk_samples_hold_newest_eight(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "SSSFSFSFSFFFFFF", 1, AT_S(0)); /* hovers above ln(1/99) */
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 16, AT_S(15));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(16), 16, 10, 4);
    const int newest_eight[] = {16, 15, 14, 13, 12, 11, 10, 8};
    assert_targets_newest_first(&alerts[0], newest_eight, 8);
    assert_int_equal(stats()->walks_benign, 0);
}

/*
 * Eight first contacts wait; a ninth judges the oldest failed. Its late
 * answer changes nothing, and three more failures tip the walk on contact 4.
 */
static void test_queue_overflow_judges_oldest_failed(void **state)
{
    (void)state;
    start(SEQ_RULES);
    struct ww_probe p[10];
    for (int i = 0; i < 10; i++)
        p[i] = probe_from(SCANNER, TARGET(1 + i), 445, AT_S(1 + i));
    for (int i = 0; i < 8; i++)
        attempt(&p[i]);
    assert_int_equal(stats()->walks_forced, 0);
    attempt(&p[8]);
    assert_int_equal(stats()->walks_forced, 1);
    assert_alert_count(0);

    outcome(&p[0], WW_OUTCOME_ACCEPTED, AT_S(10)); /* too late: already judged */
    outcome(&p[1], WW_OUTCOME_REJECTED, AT_S(10));
    outcome(&p[2], WW_OUTCOME_REJECTED, AT_S(10));
    assert_alert_count(0);
    attempt(&p[9]); /* six wait now: nothing forced */
    assert_int_equal(stats()->walks_forced, 1);
    outcome(&p[3], WW_OUTCOME_REJECTED, AT_S(11));
    assert_alert_count(1);

    const struct ww_alert *a = &alerts[0];
    assert_walk(a, TARGET(4), 4, 4, 4);
    assert_int_equal(a->ts_ns, AT_S(4));
    assert_int_equal(a->attempts, 10);
    assert_int_equal(a->accepted, 1);
    assert_int_equal(a->failed, 3);
    const int newest_first[] = {4, 3, 2, 1};
    assert_targets_newest_first(a, newest_first, 4);
}

/*
 * A contact into dark_nets fails the moment it is made. Its retry is no new
 * first contact and its timeout, later, does not count again: three more
 * failures are needed.
 */
static void test_dark_contact_fails_at_once(void **state)
{
    (void)state;
    start(SEQ_RULES);
    struct ww_probe dark = probe_from(SCANNER, DARK(1), 445, AT_S(0));
    attempt(&dark);
    assert_int_equal(stats()->dark_contacts, 1);
    struct ww_probe retry = dark;
    retry.sport++;
    retry.ts_ns = AT_S(1);
    attempt(&retry);
    assert_int_equal(stats()->dark_contacts, 2);
    outcome(&dark, WW_OUTCOME_UNANSWERED, AT_S(5));
    outcome(&retry, WW_OUTCOME_UNANSWERED, AT_S(6));
    contacts(SCANNER, 445, "FF", 2, AT_S(7));
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 4, AT_S(9));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(4), 4, 4, 4);
    assert_int_equal(alerts[0].failed, 5);
    const uint32_t newest_first[] = {TARGET(4), TARGET(3), TARGET(2), DARK(1)};
    assert_samples(&alerts[0], newest_first, 4);
    assert_int_equal(stats()->dark_contacts, 2);
}

/*
 * A dark contact queued behind an older one still waiting stays failed
 * whatever its own outcome says (here a host answers from dark space), and
 * is taken after the older one.
 */
static void test_dark_contact_stays_failed_in_queue(void **state)
{
    (void)state;
    start(SEQ_RULES);
    struct ww_probe older = probe_from(SCANNER, TARGET(1), 445, AT_S(0));
    struct ww_probe dark = probe_from(SCANNER, DARK(1), 445, AT_S(1));
    attempt(&older);
    attempt(&dark);
    outcome(&dark, WW_OUTCOME_ACCEPTED, AT_MS(1100));
    outcome(&older, WW_OUTCOME_UNANSWERED, AT_S(5));
    contacts(SCANNER, 445, "F", 3, AT_S(6));
    assert_alert_count(0);
    contacts(SCANNER, 445, "F", 4, AT_S(7));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(4), 4, 4, 4);
    assert_int_equal(alerts[0].accepted, 1);
    const uint32_t newest_first[] = {TARGET(4), TARGET(3), DARK(1), TARGET(1)};
    assert_samples(&alerts[0], newest_first, 4);
    assert_int_equal(stats()->dark_contacts, 1);
}

/* Four dark contacts tip the walk on the fourth attempt, before any outcome is known. */
static void test_dark_contacts_alone_tip_the_walk(void **state)
{
    (void)state;
    start(SEQ_RULES);
    for (int i = 1; i <= 3; i++)
        attempt_to(SCANNER, DARK(i), 445, AT_MS(10 * i));
    assert_alert_count(0);
    attempt_to(SCANNER, DARK(4), 445, AT_MS(40));
    assert_alert_count(1);
    const struct ww_alert *a = &alerts[0];
    assert_int_equal(a->probe.dst, DARK(4));
    assert_int_equal(a->first_contacts, 4);
    assert_int_equal(a->walk_failures, 4);
    assert_int_equal(a->ts_ns, AT_MS(40));
    assert_int_equal(a->attempts, 4);
    assert_int_equal(a->failed, 0); /* "rejected or unanswered": none is, yet */
    assert_int_equal(stats()->dark_contacts, 4);
}

static void test_sequential_alert_suppressed_within_interval(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "FFFFF", 1, AT_S(0));
    assert_alert_count(1);
    assert_int_equal(alerts[0].ts_ns, AT_S(3));
    assert_int_equal(stats()->suppressed, 1); /* the fifth failure tipped it again */

    /* The same source on the other rule is not held back (other hosts: a
       host already tried on 445 is no new contact on 139). */
    contacts(SCANNER, 139, "FFFF", 11, AT_S(10));
    assert_alert_count(2);
    assert_ptr_equal(alerts[1].rule, &rules.rule[1]);

    contacts(SCANNER, 445, "F", 6, AT_S(603) - 1);
    assert_alert_count(2);
    assert_int_equal(stats()->suppressed, 2);
    contacts(SCANNER, 445, "F", 7, AT_S(603));
    assert_alert_count(3);
    assert_ptr_equal(alerts[2].rule, &rules.rule[0]);
    assert_int_equal(alerts[2].ts_ns, AT_S(603));
    assert_walk(&alerts[2], TARGET(7), 7, 7, 7);
    assert_int_equal(stats()->alerts, 3);
}

/*
 * A success moves the walk down: it never tips it (detect.h: "a success
 * [moves the LLR] down; it tips as soon as it crosses ln(P_D / P_F)").
 * Six failures put the walk at 6 ln 4; a success leaves it at 5 ln 4, still
 * above the boundary, but that is no tipping: not "suppressed" inside the
 * interval, and no alert naming an accepted contact after it. The next
 * failure tips it again.
 */
static void test_success_never_tips_the_walk(void **state)
{
    (void)state;
    start(SEQ_RULES);
    contacts(SCANNER, 445, "FFFFFF", 1, AT_S(0));
    assert_alert_count(1);
    assert_int_equal(stats()->suppressed, 2); /* the 5th and 6th failures */
    contacts(SCANNER, 445, "S", 7, AT_S(6));
    assert_int_equal(stats()->suppressed, 2);
    contacts(SCANNER, 445, "S", 8, AT_S(700)); /* past the 10 min interval, llr 4 ln 4 */
    assert_alert_count(1);
    contacts(SCANNER, 445, "F", 9, AT_S(701));
    assert_alert_count(2);
    assert_walk(&alerts[1], TARGET(9), 9, 7, 5);
    assert_int_equal(alerts[1].ts_ns, AT_S(701));
}

/* --- the verdict in alerts ------------------------------------------------------------------- */

#define CLEAN_OCTET_BITS 0.9855004303048849 /* log2(0.99 / 0.5) */

/* Remote targets in four /16s, 2nd and 4th octets below 128. */
static const uint32_t CLEAN_REMOTE[] = {IP4(83, 75, 18, 40), IP4(61, 3, 7, 9),
                                        IP4(124, 101, 220, 77), IP4(200, 12, 140, 3)};

static void refused_with_shape(uint32_t src, uint32_t dst, uint64_t ts, struct ww_syn_shape shape)
{
    struct ww_probe p = probe_from(src, dst, 445, ts);
    p.shape = shape;
    attempt(&p);
    outcome(&p, WW_OUTCOME_REJECTED, ts);
}

static void scan_clean_remote(uint32_t src, struct ww_syn_shape shape)
{
    for (int i = 0; i < 4; i++)
        refused_with_shape(src, CLEAN_REMOTE[i], AT_S(i), shape);
}

/*
 * A count rule and a sequential rule on 445: both alert with the source's
 * verdict, whose evidence is gathered once per event, not once per rule.
 */
static void test_alert_carries_conficker_verdict(void **state)
{
    (void)state;
    start("[rule 1000004]\nname = trw\ntype = sequential\nproto = tcp\nport = 445\n"
          "[rule 1000001]\nname = smb\nproto = tcp\nport = 445\nthreshold = 3\nwindow = 1m\n");
    const struct ww_syn_shape xp = {.ttl = 128, .df = true, .window = 65535, .mss = 1460,
                                    .option_count = 4,
                                    .option_kinds = {WW_TCPOPT_MSS, WW_TCPOPT_NOP, WW_TCPOPT_NOP,
                                                     WW_TCPOPT_SACK_PERM}};
    scan_clean_remote(SCANNER, xp);
    assert_alert_count(2);
    assert_ptr_equal(alerts[0].rule, &rules.rule[1]); /* count rule, on the 3rd */
    assert_ptr_equal(alerts[1].rule, &rules.rule[0]);

    const struct ww_verdict *v = &alerts[1].verdict;
    assert_true(v->likely);
    assert_int_equal(v->stack, WW_STACK_WINDOWS_XP);
    assert_true(fabs(v->score - (8 * CLEAN_OCTET_BITS + 1.0)) < 1e-4);
    assert_int_equal(v->evidence.remote_targets, 4);
    assert_int_equal(v->evidence.scored_targets, 4);
    assert_int_equal(v->evidence.octet_violations, 0);
    assert_int_equal(v->evidence.stack_syns[WW_STACK_WINDOWS_XP], 4);

    /* The count alert came a target earlier: its verdict is the evidence then. */
    assert_true(alerts[0].verdict.likely);
    assert_int_equal(alerts[0].verdict.evidence.remote_targets, 3);
    assert_true(fabs(alerts[0].verdict.score - (6 * CLEAN_OCTET_BITS + 1.0)) < 1e-4);

    /* The same targets from masscan: flagged, but not Conficker. */
    const struct ww_syn_shape masscan = {.ttl = 255, .window = 1024};
    scan_clean_remote(OTHER_SCANNER, masscan);
    assert_alert_count(4);
    assert_int_equal(alerts[3].probe.src, OTHER_SCANNER);
    assert_false(alerts[3].verdict.likely);
    assert_int_equal(alerts[3].verdict.stack, WW_STACK_SCAN_TOOL);
    assert_true(fabs(alerts[3].verdict.score - (8 * CLEAN_OCTET_BITS - 10.0)) < 1e-4);
}

/* --- spoofed floods (sender.h) ------------------------------------------------------------ */

/* 1000 spoofed newcomers in a second at TARGET(1), from `first` on. */
static void spoofed_flood_second(uint32_t first, uint64_t second)
{
    for (uint32_t i = 0; i < 1000; i++)
        probe_with(IP4(100, 64, 0, 0) + first + i, TARGET(1), 445, AT_S(second) + i * NS_PER_MS,
                   WW_OUTCOME_ACCEPTED);
}

/* Failures at TARGET(2..) by `src`, each SYN retransmitted `retransmits` times. */
static void fail_at(uint32_t src, unsigned targets, uint64_t from, uint8_t retransmits)
{
    for (unsigned i = 0; i < targets; i++) {
        struct ww_probe p = probe_from(src, TARGET(2 + i), 445, from + i * NS_PER_MS);
        p.shape.ttl = 52;
        attempt(&p);
        p.retransmits = retransmits;
        outcome(&p, WW_OUTCOME_UNANSWERED, p.ts_ns + 5 * NS_PER_SEC);
    }
}

/* The flood's victim takes no probation slot: a slow scanner's first contact survives it. */
static void test_flood_victim_takes_no_probation_slot(void **state)
{
    (void)state;
    start_with_memory(BASE_RULES, 64 * 1024);
    uint32_t capacity = ww_detector_probation_stats(det)->capacity;
    spoofed_flood_second(0, 0);
    failed_smb(TARGET(7), AT_S(1));
    spoofed_flood_second(1000, 1);
    spoofed_flood_second(2000, 2);
    assert_int_equal(stats()->flood.seconds, 3);
    assert_int_equal(stats()->flood.peak_sources, 1001);
    assert_int_equal(stats()->flood.skipped, 3000 - 999);
    assert_int_equal(stats()->newcomers, 999 + 1);
    assert_true(ww_detector_probation_stats(det)->evictions == 999 + 1 - capacity);
    failed_smb(TARGET(8), AT_S(3)); /* the scanner's second target: promoted */
    assert_int_equal(stats()->promotions, 1);
}

/* During a flood, failures at three targets with no retransmission are held; with one,
   or after the flood, they alert. */
static void test_flood_holds_alerts_without_a_sender(void **state)
{
    (void)state;
    start(BASE_RULES);
    spoofed_flood_second(0, 0);
    uint32_t spoofed = IP4(100, 65, 0, 1), real = IP4(100, 65, 0, 2), later = IP4(100, 65, 0, 3);
    fail_at(spoofed, 3, AT_S(1), 0);
    assert_alert_count(0);
    assert_int_equal(stats()->flood.held, 1);
    fail_at(real, 3, AT_S(1), 1);
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.src, real);
    /* the flood over (no new source for the hold), the same failures alert */
    fail_at(later, 3, AT_S(2 + WW_FLOOD_HOLD_SECONDS), 0);
    assert_alert_count(2);
    assert_int_equal(alerts[1].probe.src, later);
    assert_int_equal(stats()->flood.held, 1);
}

/* Enough failures vouch for a source without any other sign (flood_failures): the walk's
   failed first contacts, or a count rule's own threshold when it is at least that. */
static void test_flood_failures_flag_a_silent_scanner(void **state)
{
    (void)state;
    start("[global]\nflood_failures = 6\n"
          "[rule 1000004]\nname = smb walk\ntype = sequential\nproto = tcp\nport = 445\n"
          "theta0 = 0.8\ntheta1 = 0.2\ndetection = 0.99\nfalse_alarm = 0.01\nsuppress = 1h\n"
          "[rule 1000001]\nname = smb fan-out\nproto = tcp\nport = 445\ncount = failed\n"
          "threshold = 6\nwindow = 60s\nsuppress = 10m\n");
    spoofed_flood_second(0, 0);
    fail_at(SCANNER, 5, AT_S(1), 0);
    assert_alert_count(0);
    assert_int_equal(stats()->flood.held, 2); /* the walk tipped at 4 and 5 */
    fail_at(SCANNER, 6, AT_S(2), 0); /* the same five again, and a sixth */
    assert_alert_count(2);
    assert_int_equal(alerts[0].walk_failures, 6);
    assert_int_equal(alerts[1].targets, 6);
}

/* A flood with no victim fills the probation table; its newcomers' shape (bare SYNs)
   goes first, so a Windows host's first contact outlives thousands of them. */
static void test_flood_shaped_newcomers_go_first(void **state)
{
    (void)state;
    start_with_memory(BASE_RULES, 64 * 1024);
    struct ww_probe windows = probe_from(SCANNER, TARGET(7), 445, AT_MS(500));
    windows.shape = (struct ww_syn_shape){.ttl = 117, .df = true, .window = 65535, .mss = 1460,
                                          .option_count = 4,
                                          .option_kinds = {WW_TCPOPT_MSS, WW_TCPOPT_NOP,
                                                           WW_TCPOPT_NOP, WW_TCPOPT_SACK_PERM}};
    for (uint32_t i = 0; i < 3000; i++) {
        if (i == 1500) {
            attempt(&windows);
            outcome(&windows, WW_OUTCOME_UNANSWERED, windows.ts_ns);
        }
        struct ww_probe p = probe_from(IP4(100, 64, 0, 0) + i, TARGET(1 + i % 200), 445,
                                       AT_MS(i / 3));
        p.shape = (struct ww_syn_shape){.ttl = 52, .window = 512};
        attempt(&p);
    }
    assert_int_equal(stats()->flood.skipped, 0);
    assert_true(ww_detector_probation_stats(det)->evictions > 2000);
    failed_smb(TARGET(8), AT_S(2)); /* its second target: still remembered, promoted */
    assert_int_equal(stats()->promotions, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* --- ARP misses -------------------------------------------------------------------------- */

static const char ARP_RULES[] = "[rule 1000004]\n"
                                "name = trw 445\ntype = sequential\nproto = tcp\nport = 445\n"
                                "arp_misses = yes\nsuppress = 10m\n"
                                "[rule 1000005]\n"
                                "name = trw 139\ntype = sequential\nproto = tcp\nport = 139\n";

/* An unanswered ARP request of `src` for a dark home address, as probe.c reports it. */
static void arp_miss(uint32_t src, uint32_t dst, uint64_t requested)
{
    struct ww_probe_event ev = {
        .kind = WW_PROBE_RESULT, .outcome = WW_OUTCOME_UNANSWERED,
        .outcome_ts_ns = requested + 5 * NS_PER_SEC,
        .probe = {.src = src, .dst = dst, .proto = WW_PROTO_ARP, .ts_ns = requested}};
    ww_detector_event(det, &ev);
}

/* ARP alone judges no one: not a source never seen probing, nor one with no SMB failure. */
static void test_arp_misses_alone_never_alert(void **state)
{
    (void)state;
    start(ARP_RULES);
    for (int i = 1; i <= 6; i++)
        arp_miss(SCANNER, DARK(i), AT_S(i)); /* unknown source: no record made */
    assert_int_equal(ww_detector_table_stats(det)->entries, 0);
    contacts(SCANNER, 445, "S", 50, AT_S(10)); /* now known, but its one contact succeeded */
    for (int i = 7; i <= 12; i++)
        arp_miss(SCANNER, DARK(i), AT_S(10 + i));
    assert_alert_count(0);
    assert_int_equal(stats()->events, 14); /* 12 misses, the contact's attempt and result */
}

/* After one failed SMB first contact, dark ARP misses are failed first contacts too. */
static void test_arp_misses_add_to_a_failing_walk(void **state)
{
    (void)state;
    start(ARP_RULES);
    contacts(SCANNER, 445, "F", 1, AT_S(0));
    arp_miss(SCANNER, DARK(1), AT_S(1));
    arp_miss(SCANNER, DARK(1), AT_S(2)); /* the same dark address again: not a first contact */
    arp_miss(SCANNER, DARK(2), AT_S(3));
    assert_alert_count(0);
    arp_miss(SCANNER, DARK(3), AT_S(4));
    assert_alert_count(1);
    const struct ww_alert *a = &alerts[0];
    assert_ptr_equal(a->rule, &rules.rule[0]); /* only the rule that takes them */
    assert_int_equal(a->probe.dst, DARK(3));
    assert_int_equal(a->probe.proto, WW_PROTO_ARP);
    assert_int_equal(a->ts_ns, AT_S(4));
    assert_int_equal(a->first_contacts, 4);
    assert_int_equal(a->walk_failures, 4);
    assert_int_equal(a->verdict.evidence.arp_misses, 4);
    const uint32_t newest_first[] = {DARK(3), DARK(2), DARK(1), TARGET(1)};
    assert_samples(a, newest_first, 4);
}

/*
 * A queued contact keeps its own kind: a TCP contact forced out by ARP misses
 * is reported as TCP/445, and an ARP miss drained by a TCP result as ARP
 * (both once took the kind of whichever event drained them).
 */
static void test_queued_contacts_keep_their_kind(void **state)
{
    (void)state;
    start(ARP_RULES);
    contacts(SCANNER, 445, "F", 1, AT_S(0));
    for (int i = 2; i <= 9; i++) /* 8 attempts, all waiting */
        attempt_to(SCANNER, TARGET(i), 445, AT_S(i));
    for (int i = 1; i <= 3; i++) /* each forces out the oldest waiting attempt */
        arp_miss(SCANNER, DARK(i), AT_S(20 + i));
    assert_alert_count(1);
    const struct ww_alert *a = &alerts[0];
    assert_int_equal(a->probe.dst, TARGET(4));
    assert_int_equal(a->probe.proto, WW_IPPROTO_TCP);
    assert_int_equal(a->probe.dport, 445);
    assert_int_equal(a->probe.sport, 1024 + 4);
    assert_int_equal(a->probe.ts_ns, AT_S(4));

    contacts(OTHER_SCANNER, 445, "F", 1, AT_S(0));
    struct ww_probe waiting = probe_from(OTHER_SCANNER, TARGET(2), 445, AT_S(1));
    attempt(&waiting);
    arp_miss(OTHER_SCANNER, DARK(1), AT_S(2)); /* decided, but queued behind TARGET(2) */
    arp_miss(OTHER_SCANNER, DARK(2), AT_S(3));
    assert_alert_count(1);
    outcome(&waiting, WW_OUTCOME_REJECTED, AT_S(4)); /* drains TARGET(2), DARK(1), DARK(2) */
    assert_alert_count(2);
    a = &alerts[1];
    assert_int_equal(a->probe.src, OTHER_SCANNER);
    assert_int_equal(a->probe.dst, DARK(2));
    assert_int_equal(a->probe.proto, WW_PROTO_ARP);
    assert_int_equal(a->probe.dport, 0);
    assert_int_equal(a->probe.ts_ns, AT_S(3));
}

/* --- hosts, not ports: pairs, fallbacks, port checks (contacts.h, walk.h) ---------------- */

static const char SMB_RULES[] = "[rule 1000004]\n"
                                "name = trw smb\ntype = sequential\nproto = tcp\nport = 445\n"
                                "also_port = 139\narp_misses = yes\nsuppress = 10m\n"
                                "[rule 1000005]\n"
                                "name = trw 139\ntype = sequential\nproto = tcp\nport = 139\n";

/* A Windows client opening \\host: 445 and 139 together; `result` for both, 14 s later. */
static void redirector_pair(uint32_t dst, uint64_t ts, enum ww_outcome result)
{
    struct ww_probe smb = probe_from(SCANNER, dst, 445, ts);
    struct ww_probe nbss = probe_from(SCANNER, dst, 139, ts + NS_PER_MS);
    attempt(&smb);
    attempt(&nbss);
    outcome(&smb, result, ts + 14 * NS_PER_SEC);
    outcome(&nbss, result, ts + 14 * NS_PER_SEC + NS_PER_MS);
}

/* A laptop away from its servers: 6 silent hosts on both ports are 3 failures;
   a 7th makes 3.5, past ln 99. */
static void test_silent_redirector_pairs_count_half(void **state)
{
    (void)state;
    start(SMB_RULES);
    for (int i = 1; i <= 6; i++)
        redirector_pair(TARGET(i), AT_S(i), WW_OUTCOME_UNANSWERED);
    assert_alert_count(0);
    assert_int_equal(stats()->walks_half_failures, 6);
    redirector_pair(TARGET(7), AT_S(7), WW_OUTCOME_UNANSWERED);
    assert_alert_count(1);
    assert_ptr_equal(alerts[0].rule, &rules.rule[0]);
    assert_int_equal(alerts[0].probe.dst, TARGET(7));
    assert_int_equal(alerts[0].first_contacts, 7);
    assert_int_equal(alerts[0].walk_failures, 7);
    assert_true(fabs(alerts[0].llr - 3.5 * LN4) < 1e-9);
}

/* A host that refuses both ports is there and says no: a whole failure. */
static void test_refusing_pairs_count_whole(void **state)
{
    (void)state;
    start(SMB_RULES);
    for (int i = 1; i <= 4; i++)
        redirector_pair(TARGET(i), AT_S(i), WW_OUTCOME_REJECTED);
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.dst, TARGET(4));
    assert_int_equal(alerts[0].walk_failures, 4);
    assert_int_equal(stats()->walks_half_failures, 0);
}

/* 139 after 445 failed on the same host is the fallback: no new contact, for
   either rule; the same dead hosts at every logon are no new contacts either. */
static void test_fallback_and_repeats_are_no_new_contacts(void **state)
{
    (void)state;
    start(SMB_RULES);
    for (int logon = 0; logon < 5; logon++)
        for (int i = 1; i <= 3; i++) {
            uint64_t at = AT_S(100 * logon + 2 * i);
            probe_with(SCANNER, TARGET(i), 445, at, WW_OUTCOME_REJECTED);
            probe_with(SCANNER, TARGET(i), 139, at + 300 * NS_PER_MS, WW_OUTCOME_REJECTED);
        }
    assert_alert_count(0);
    probe_with(SCANNER, TARGET(4), 445, AT_S(600), WW_OUTCOME_REJECTED);
    assert_alert_count(1);
    assert_ptr_equal(alerts[0].rule, &rules.rule[0]);
    assert_int_equal(alerts[0].first_contacts, 4);
    assert_int_equal(alerts[0].walk_failures, 4);
}

/* The fallback after a silent 445 is the redirector's too: the silent host
   weighs half once its 139 try shows it. Known only after the 445 failure
   was taken, the half comes back then, so five such hosts in a row stay
   below ln 99 and a sixth's 445 failure tips the walk before its fallback. */
static void test_silent_fallback_counts_half(void **state)
{
    (void)state;
    start(SMB_RULES);
    for (int i = 1; i <= 6; i++) {
        uint64_t at = AT_S(30 * i);
        struct ww_probe smb = probe_from(SCANNER, TARGET(i), 445, at);
        attempt(&smb);
        outcome(&smb, WW_OUTCOME_UNANSWERED, at + 14 * NS_PER_SEC);
        if (i == 6)
            break;
        probe_with(SCANNER, TARGET(i), 139, at + 21 * NS_PER_SEC, WW_OUTCOME_UNANSWERED);
        assert_alert_count(0);
    }
    assert_int_equal(stats()->walks_half_failures, 5);
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.dst, TARGET(6));
    assert_true(fabs(alerts[0].llr - 3.5 * LN4) < 1e-9);
}

/* A scanner checking both SMB ports of each host: an accept followed within 2 s
   by the other port was a check, a failure; the same a minute later is not. */
static void test_port_check_turns_an_accept_into_a_failure(void **state)
{
    (void)state;
    start(SMB_RULES);
    probe_with(SCANNER, TARGET(1), 139, AT_MS(0), WW_OUTCOME_ACCEPTED);
    probe_with(SCANNER, TARGET(1), 445, AT_MS(16), WW_OUTCOME_REJECTED);
    probe_with(SCANNER, TARGET(2), 445, AT_MS(330), WW_OUTCOME_ACCEPTED);
    assert_alert_count(0);
    probe_with(SCANNER, TARGET(2), 139, AT_MS(340), WW_OUTCOME_REJECTED);
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.dst, TARGET(2));
    assert_int_equal(alerts[0].probe.dport, 139); /* the check is the evidence, and its date */
    assert_int_equal(alerts[0].ts_ns, AT_MS(340));
    assert_int_equal(alerts[0].walk_failures, 4);
    assert_int_equal(stats()->walks_port_checks, 2);

    ww_detector_free(det);
    alert_count = 0;
    start(SMB_RULES);
    probe_with(SCANNER, TARGET(1), 445, AT_S(0), WW_OUTCOME_ACCEPTED);
    probe_with(SCANNER, TARGET(1), 139, AT_S(60), WW_OUTCOME_REJECTED);
    assert_int_equal(stats()->walks_port_checks, 0);
    contacts(SCANNER, 445, "FFF", 2, AT_S(61));
    assert_alert_count(0); /* the success stands: 3 failures do not outweigh it */
}

/* A home source accepted outside home_nets: the accept weighs as a failure. */
static const char HOME_RULES[] = "[global]\n"
                                 "home_nets = 10.0.0.0/8\n"
                                 "[rule 1000004]\n"
                                 "name = trw smb\ntype = sequential\nproto = tcp\nport = 445\n"
                                 "also_port = 139\nsuppress = 10m\n";

#define FAR(n) IP4(203, 0, 113, (n))

/* F F S F, the S outside home_nets: four failures, the walk tips at the
   fourth contact (inside home, that takes F F S F F F). */
static void test_accept_outside_home_is_a_failure(void **state)
{
    (void)state;
    start(HOME_RULES);
    contacts(SCANNER, 445, "FF", 1, AT_S(0));
    accepted_smb(FAR(7), AT_S(2));
    assert_alert_count(0);
    assert_int_equal(stats()->walks_outside_accepts, 1);
    contacts(SCANNER, 445, "F", 3, AT_S(3));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(3), 4, 4, 4);
    assert_int_equal(alerts[0].ts_ns, AT_S(3));
    assert_int_equal(alerts[0].accepted, 1);
    assert_int_equal(alerts[0].failed, 3);
    const uint32_t newest_first[] = {TARGET(3), FAR(7), TARGET(2), TARGET(1)};
    assert_samples(&alerts[0], newest_first, 4);
    assert_int_equal(stats()->walks_outside_accepts, 1);
}

/* The same contacts with the accept inside home_nets, or from a source
   outside them, or with no home_nets at all: the success stands. */
static void test_accept_inside_home_stays_a_success(void **state)
{
    (void)state;
    start(HOME_RULES);
    contacts(SCANNER, 445, "FFSFF", 1, AT_S(0));
    assert_alert_count(0);
    assert_int_equal(stats()->walks_outside_accepts, 0);
    contacts(SCANNER, 445, "F", 6, AT_S(5));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(6), 6, 5, 4);

    ww_detector_free(det);
    alert_count = 0;
    start(HOME_RULES);
    const uint32_t outsider = IP4(198, 51, 100, 9);
    contacts(outsider, 445, "FF", 1, AT_S(0));
    probe_with(outsider, FAR(7), 445, AT_S(2), WW_OUTCOME_ACCEPTED);
    contacts(outsider, 445, "F", 3, AT_S(3));
    assert_alert_count(0);
    assert_int_equal(stats()->walks_outside_accepts, 0);

    ww_detector_free(det);
    alert_count = 0;
    start(SEQ_RULES); /* no home_nets: nothing is outside */
    contacts(SCANNER, 445, "FF", 1, AT_S(0));
    accepted_smb(FAR(7), AT_S(2));
    contacts(SCANNER, 445, "F", 3, AT_S(3));
    assert_alert_count(0);
    assert_int_equal(stats()->walks_outside_accepts, 0);
}

/* An outside host is one contact: accepted again, or refused outside, it
   adds nothing new to the count of outside accepts. */
static void test_outside_host_counts_once(void **state)
{
    (void)state;
    start(HOME_RULES);
    accepted_smb(FAR(7), AT_S(0));
    accepted_smb(FAR(7), AT_S(1)); /* the same host again: no first contact */
    probe_with(SCANNER, FAR(8), 445, AT_S(2), WW_OUTCOME_REJECTED); /* a plain failure */
    contacts(SCANNER, 445, "F", 1, AT_S(3));
    assert_alert_count(0); /* 3 failures: 3 ln 4 < ln 99 */
    assert_int_equal(stats()->walks_outside_accepts, 1);
    contacts(SCANNER, 445, "F", 2, AT_S(4));
    assert_alert_count(1);
    assert_walk(&alerts[0], TARGET(2), 4, 4, 4);
    assert_int_equal(alerts[0].accepted, 2);
}

/* An ARP miss before the source's first port failure waits for it, then
   counts; the alert is dated by a port failure, never by the miss. */
static void test_arp_miss_waits_for_a_port_failure(void **state)
{
    (void)state;
    start(SMB_RULES);
    contacts(SCANNER, 445, "SS", 1, AT_S(0)); /* -2 ln 4 */
    arp_miss(SCANNER, DARK(1), AT_S(3));      /* no port failure yet: held */
    contacts(SCANNER, 445, "FFFF", 3, AT_S(4));
    assert_alert_count(0);                    /* -2 + 1 + 4 = 3 ln 4 */
    contacts(SCANNER, 445, "F", 7, AT_S(8));
    assert_alert_count(1);
    assert_int_equal(alerts[0].probe.dst, TARGET(7));
    assert_int_equal(alerts[0].first_contacts, 8);
    assert_int_equal(alerts[0].walk_failures, 6);
    assert_true(fabs(alerts[0].llr - 4 * LN4) < 1e-9);
    const uint32_t newest_first[] = {TARGET(7), TARGET(6), TARGET(5), TARGET(4), TARGET(3), DARK(1)};
    assert_samples(&alerts[0], newest_first, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_one_syn_sources_stay_on_probation),
        T(test_flood_victim_takes_no_probation_slot),
        T(test_flood_shaped_newcomers_go_first),
        T(test_flood_holds_alerts_without_a_sender),
        T(test_flood_failures_flag_a_silent_scanner),
        T(test_promotion_replays_first_contact),
        T(test_another_port_promotes),
        T(test_full_table_keeps_the_evidence),
        T(test_arp_misses_alone_never_alert),
        T(test_arp_misses_add_to_a_failing_walk),
        T(test_queued_contacts_keep_their_kind),
        T(test_silent_redirector_pairs_count_half),
        T(test_refusing_pairs_count_whole),
        T(test_fallback_and_repeats_are_no_new_contacts),
        T(test_silent_fallback_counts_half),
        T(test_port_check_turns_an_accept_into_a_failure),
        T(test_accept_outside_home_is_a_failure),
        T(test_accept_inside_home_stays_a_success),
        T(test_outside_host_counts_once),
        T(test_arp_miss_waits_for_a_port_failure),
        T(test_alert_at_threshold_not_before),
        T(test_repeated_failures_to_one_target_count_once),
        T(test_accepted_outcomes_do_not_count),
        T(test_unanswered_counts_when_judged),
        T(test_min_failed_fraction_keeps_busy_host_quiet),
        T(test_rules_match_port_and_proto),
        T(test_sliding_window_is_not_split_by_epochs),
        T(test_targets_older_than_window_do_not_count),
        T(test_window_boundary),
        T(test_late_outcome_outside_window_does_not_count),
        T(test_one_alert_per_source_and_rule_per_suppress_interval),
        T(test_name_queries_of_smb_peers_do_not_count),
        T(test_suppress_zero_alerts_on_every_tipping_probe),
        T(test_alert_reports_targets_up_to_threshold),
        T(test_never_flag_source),
        T(test_ignore_targets),
        T(test_count_all_counts_attempts),
        T(test_samples_capped_newest_first),
        T(test_idle_source_forgotten),
        T(test_walk_alerts_on_fourth_failed_first_contact),
        T(test_walk_success_needs_one_more_failure),
        T(test_walk_takes_outcomes_in_contact_order),
        T(test_fast_success_does_not_overtake_older_failures),
        T(test_repeated_contact_is_not_a_new_first_contact),
        T(test_lower_boundary_floors_walk),
        T(test_walk_above_lower_boundary_keeps_its_successes),
        T(test_reset_forgets_earlier_failures),
        T(test_walk_samples_hold_newest_eight),
        T(test_queue_overflow_judges_oldest_failed),
        T(test_dark_contact_fails_at_once),
        T(test_dark_contact_stays_failed_in_queue),
        T(test_dark_contacts_alone_tip_the_walk),
        T(test_sequential_alert_suppressed_within_interval),
        T(test_success_never_tips_the_walk),
        T(test_alert_carries_conficker_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
