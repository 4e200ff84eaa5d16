/*
 * Unit tests for the day sets (dga_days.h): what three days cover, when the
 * set is rebuilt, and lookups by name in any case, with or without the
 * trailing dot. Names of 2020-01-0x come from the reference lists in
 * tests/data (downatool2's), the 2019-12-31 ones from the generator, which
 * test_dga checks against them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/dga_days.h"

#define NS_PER_DAY 86400000000000ULL
#define DAY_2020_01_01 18262

static uint64_t noon_of(int32_t day)
{
    return (uint64_t)day * NS_PER_DAY + NS_PER_DAY / 2;
}

static struct ww_dga_days *new_set(void)
{
    struct ww_dga_days *set = malloc(sizeof *set);
    assert_non_null(set);
    ww_dga_days_init(set);
    return set;
}

static void assert_match(struct ww_dga_days *set, const char *name, enum ww_dga_variant variant,
                         int32_t day, int index)
{
    struct ww_dga_match m = {WW_DGA__COUNT, 0, 0};
    if (!ww_dga_days_lookup(set, name, strlen(name), &m))
        fail_msg("%s: no match", name);
    assert_int_equal(m.variant, variant);
    assert_int_equal(m.day, day);
    assert_int_equal(m.index, index);
}

static void assert_no_match(struct ww_dga_days *set, const char *name, size_t len)
{
    struct ww_dga_match m = {WW_DGA__COUNT, 77, 77};
    assert_false(ww_dga_days_lookup(set, name, len, &m));
    assert_int_equal(m.day, 77);
}

static void test_covers_the_day_either_side(void **state)
{
    (void)state;
    struct ww_dga_days *set = new_set();
    assert_true(ww_dga_days_advance(set, noon_of(DAY_2020_01_01)));
    assert_int_equal(set->count, WW_DGA_DAYS_NAMES);
    assert_int_equal(set->centre, DAY_2020_01_01);
    assert_match(set, "fvqcih.net", WW_DGA_A, DAY_2020_01_01, 0);
    assert_match(set, "xunvcwdhqo.com", WW_DGA_A, DAY_2020_01_01, 249);
    assert_match(set, "jqfgtmjl.ws", WW_DGA_B, DAY_2020_01_01, 0);
    assert_match(set, "rrdstvvy.com", WW_DGA_A, DAY_2020_01_01 + 1, 0);
    assert_match(set, "txeypace.org", WW_DGA_B, DAY_2020_01_01 + 1, 249);
    assert_match(set, "yenmyfsxrn.com", WW_DGA_A, DAY_2020_01_01 - 1, 0);
    assert_match(set, "kmjqtf.net", WW_DGA_B, DAY_2020_01_01 - 1, 0);
    /* two days on is not covered */
    assert_no_match(set, "isscfhga.org", 12);
    assert_no_match(set, "wotanlvp.cn", 11);
    assert_int_equal(set->stats.builds, 1);
    assert_int_equal(set->stats.lookups, 9);
    assert_int_equal(set->stats.matches, 7);
    free(set);
}

static void test_case_and_trailing_dot(void **state)
{
    (void)state;
    struct ww_dga_days *set = new_set();
    ww_dga_days_advance(set, noon_of(DAY_2020_01_01));
    assert_match(set, "FvQcIh.NeT", WW_DGA_A, DAY_2020_01_01, 0);
    assert_match(set, "fvqcih.net.", WW_DGA_A, DAY_2020_01_01, 0);
    assert_match(set, "JQFGTMJL.WS.", WW_DGA_B, DAY_2020_01_01, 0);
    /* a length that cuts the name, two dots, a prefix, a suffix, a NUL inside */
    assert_no_match(set, "fvqcih.net", 9);
    assert_no_match(set, "fvqcih.net..", 12);
    assert_no_match(set, "www.fvqcih.net", 14);
    assert_no_match(set, "fvqcih.net.example", 18);
    assert_no_match(set, "fvqcih\0net", 10);
    assert_no_match(set, "", 0);
    assert_no_match(set, ".", 1);
    assert_no_match(set, "google.com", 10);
    /* longer than any list's name (as is the .example one): refused before the search */
    assert_no_match(set, "abcdefghijklmnopq.com", 21);
    assert_int_equal(set->stats.too_long, 2);
    free(set);
}

static void test_lookup_before_any_packet_matches_nothing(void **state)
{
    (void)state;
    struct ww_dga_days *set = new_set();
    assert_no_match(set, "fvqcih.net", 10);
    assert_int_equal(set->stats.builds, 0);
    free(set);
}

/* Every name of the three days finds its own list and place. */
static void test_every_name_finds_itself(void **state)
{
    (void)state;
    struct ww_dga_days *set = new_set();
    int32_t centre = DAY_2020_01_01 + 60; /* 2020-03-01: the leap day is the day before */
    ww_dga_days_advance(set, noon_of(centre));
    char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    for (int v = 0; v < WW_DGA__COUNT; v++) {
        for (int32_t day = centre - 1; day <= centre + 1; day++) {
            assert_true(ww_dga_generate((enum ww_dga_variant)v, day, names));
            for (int i = 0; i < WW_DGA_NAMES; i++)
                assert_match(set, names[i], (enum ww_dga_variant)v, day, i);
        }
    }
    assert_int_equal(set->stats.matches, WW_DGA_DAYS_NAMES);
    free(set);
}

static void test_rebuilds_follow_packet_time(void **state)
{
    (void)state;
    struct ww_dga_days *set = new_set();
    uint64_t midnight = (uint64_t)(DAY_2020_01_01 + 1) * NS_PER_DAY;
    assert_true(ww_dga_days_advance(set, midnight - 1));      /* 2020-01-01 23:59:59.999999999 */
    assert_false(ww_dga_days_advance(set, midnight - NS_PER_DAY)); /* the same day */
    assert_true(ww_dga_days_advance(set, midnight));          /* 2020-01-02 00:00 */
    assert_int_equal(set->centre, DAY_2020_01_01 + 1);
    /* a late packet from before midnight: covered, no rebuild */
    assert_false(ww_dga_days_advance(set, midnight - 1));
    assert_match(set, "fvqcih.net", WW_DGA_A, DAY_2020_01_01, 0);
    assert_match(set, "isscfhga.org", WW_DGA_A, DAY_2020_01_01 + 2, 0);
    /* two days back (a new, older capture): rebuilt around it */
    assert_true(ww_dga_days_advance(set, noon_of(DAY_2020_01_01 - 1)));
    assert_int_equal(set->centre, DAY_2020_01_01 - 1);
    assert_no_match(set, "rrdstvvy.com", 12);
    /* a jump far ahead */
    assert_true(ww_dga_days_advance(set, noon_of(DAY_2020_01_01 + 5)));
    assert_int_equal(set->stats.builds, 4);
    free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_covers_the_day_either_side),
        cmocka_unit_test(test_case_and_trailing_dot),
        cmocka_unit_test(test_lookup_before_any_packet_matches_nothing),
        cmocka_unit_test(test_every_name_finds_itself),
        cmocka_unit_test(test_rebuilds_follow_packet_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
