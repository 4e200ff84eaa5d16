/*
 * Unit tests for folding EVE events (fold.h): one host across sensors, its
 * identity, its verdict, the order of the list, sensors' coverage from
 * their newest stats per worker, and lines that are not EVE JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/fold.h"

static struct ww_fold fold;

static void line(const char *text)
{
    assert_true(ww_fold_line(&fold, text, strlen(text)));
}

static void test_time_parse(void **state)
{
    (void)state;
    uint64_t ns;
    assert_true(ww_fold_parse_time("2009-03-30T00:01:03.182346+0000", &ns));
    assert_int_equal(ns, 1238371263182346000ULL);
    assert_true(ww_fold_parse_time("1970-01-01T00:00:00+0000", &ns));
    assert_int_equal(ns, 0);
    assert_true(ww_fold_parse_time("2000-02-29T23:59:59.5+0000", &ns));
    assert_int_equal(ns, 951868799500000000ULL);
    assert_false(ww_fold_parse_time("2009-13-30T00:01:03+0000", &ns));
    assert_false(ww_fold_parse_time("yesterday", &ns));
}

#define ALERT(ts, host, src, sid, likely, inds, variant, extra)                                  \
    "{\"timestamp\":\"" ts "\",\"event_type\":\"alert\",\"src_ip\":\"" src "\","             \
    "\"alert\":{\"signature_id\":" #sid "}," extra "\"conficker\":{\"likely\":" likely        \
    ",\"indicators\":" inds ",\"variant\":" variant "},\"host\":\"" host "\"}"

static void test_one_host_across_sensors(void **state)
{
    (void)state;
    ww_fold_init(&fold);
    line(ALERT("2009-03-30T00:01:10.000000+0000", "site-b", "10.1.1.66", 1000001, "true",
               "[\"scan\"]", "null", "\"scan\":{\"targets\":10},"));
    line(ALERT("2009-03-30T00:01:03.000000+0000", "site-a", "10.1.1.66", 1000004, "true",
               "[\"scan\"]", "null", "\"scan\":{\"targets\":4},"
               "\"identity\":{\"mac\":\"00:0c:29:11:22:33\",\"netbios_name\":\"KIOSK-7\"},"));
    line(ALERT("2009-03-30T02:00:00.000000+0000", "site-a", "10.1.1.66", 1000030, "true",
               "[\"scan\",\"dga\"]", "\"B\"", ""));
    line(ALERT("2009-03-30T00:00:35.000000+0000", "site-a", "10.1.2.250", 1000014, "false",
               "[]", "null", ""));
    line(ALERT("2009-03-30T00:00:30.000000+0000", "site-b", "192.168.116.149", 1000013, "false",
               "[\"ms17_010\"]", "null", ""));
    ww_fold_sort(&fold);
    assert_int_equal(fold.host_count, 3);
    assert_int_equal(fold.sensor_count, 2);
    /* Infected first, then the SMB worm, then the scanner's check. */
    const struct ww_fold_host *h = &fold.host[0];
    assert_int_equal(h->s.addr, 0x0A010142);
    assert_int_equal(h->s.alerts, 3);
    assert_int_equal(h->s.targets, 10);
    assert_int_equal(h->s.first_ns, 1238371263000000000ULL);
    assert_int_equal(h->s.last_ns, 1238378400000000000ULL);
    assert_int_equal(h->sensors, 3); /* both */
    assert_string_equal(h->netbios_name, "KIOSK-7");
    assert_string_equal(h->mac, "00:0c:29:11:22:33");
    char words[40];
    assert_string_equal(ww_summary_verdict(&h->s, words, sizeof words), "Conficker B");
    assert_int_equal(h->indicator_first_ns[WW_IND_DGA], 1238378400000000000ULL);
    assert_int_equal(h->indicator_first_ns[WW_IND_SCAN], 1238371263000000000ULL);
    assert_int_equal(h->mark_count, 3);
    assert_string_equal(ww_summary_verdict(&fold.host[1].s, words, sizeof words), "SMB worm");
    assert_string_equal(ww_summary_verdict(&fold.host[2].s, words, sizeof words),
                        "MS17-010 check");
    ww_fold_free(&fold);
}

static void test_coverage_from_newest_stats_per_worker(void **state)
{
    (void)state;
    ww_fold_init(&fold);
    line("{\"timestamp\":\"2026-12-03T06:00:00+0000\",\"event_type\":\"stats\",\"host\":\"s\","
         "\"stats\":{\"worker\":0,\"decoder\":{\"pkts\":100},\"capture\":{\"kernel_packets\":990,"
         "\"kernel_drops\":10,\"kernel_ifdrops\":0}}}");
    line("{\"timestamp\":\"2026-12-03T06:01:00+0000\",\"event_type\":\"stats\",\"host\":\"s\","
         "\"stats\":{\"worker\":0,\"decoder\":{\"pkts\":300},\"capture\":{\"kernel_packets\":2970,"
         "\"kernel_drops\":30,\"kernel_ifdrops\":0}}}");
    line("{\"timestamp\":\"2026-12-03T06:01:00+0000\",\"event_type\":\"stats\",\"host\":\"s\","
         "\"stats\":{\"worker\":1,\"decoder\":{\"pkts\":200},\"capture\":{\"kernel_packets\":1000,"
         "\"kernel_drops\":0,\"kernel_ifdrops\":0}}}");
    assert_false(ww_fold_line(&fold, "not json", 8));
    assert_false(ww_fold_line(&fold, "{\"event_type\":\"alert\"}", 22)); /* no timestamp */
    assert_true(ww_fold_line(&fold, "\n", 1));
    assert_int_equal(fold.bad_lines, 2);
    assert_int_equal(fold.events, 3);
    assert_int_equal(fold.sensor_count, 1);
    const struct ww_fold_sensor *s = &fold.sensor[0];
    assert_true(s->live);
    assert_int_equal(ww_fold_sensor_packets(s), 500);
    assert_int_equal(ww_fold_sensor_drops(s), 30);
    assert_true(ww_fold_sensor_loss(s) > 0.749 && ww_fold_sensor_loss(s) < 0.751); /* 30 of 4000 */
    ww_fold_free(&fold);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_one_host_across_sensors),
        cmocka_unit_test(test_coverage_from_newest_stats_per_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
