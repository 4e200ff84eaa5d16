/*
 * Unit tests for the detector (detect.h).
 *
 * Each test parses a small rules text, feeds hand-made probe events in the
 * order the probe tracker would emit them (an attempt, then its outcome) and
 * records the alerts, so it can say exactly which event tipped a rule and
 * what the alert carried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/detect.h"
#include "wormwatch/rules.h"

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

static void start(const char *rules_text)
{
    char err[256] = "";
    if (!ww_rules_parse(rules_text, "test", &rules, err, sizeof err))
        fail_msg("test rules do not parse: %s", err);
    det = ww_detector_new(&rules, 1 << 20, record_alert, NULL);
    assert_non_null(det);
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
    for (int i = 1; i <= 3; i++)
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

    failed_smb(TARGET(3), AT_S(40));
    assert_alert_count(0);
    assert_int_equal(ww_detector_table_stats(det)->inserts, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
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
        T(test_suppress_zero_alerts_on_every_tipping_probe),
        T(test_alert_reports_targets_up_to_threshold),
        T(test_never_flag_source),
        T(test_ignore_targets),
        T(test_count_all_counts_attempts),
        T(test_samples_capped_newest_first),
        T(test_idle_source_forgotten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
