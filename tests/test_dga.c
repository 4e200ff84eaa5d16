/*
 * Unit tests for the Conficker A and B domain generator (dga.h).
 *
 * The lists are checked against output of other implementations, never
 * against this one's (tests/data/SOURCES.md says where each came from):
 * downatool2's 3500 names of 2020-01-01..07, and 333 spot names: the whole
 * leap day 2020-02-29 of A, the end of 2020, the twelve places in 2020's
 * lists where an fsin-faithful generator and one using the C library's sin()
 * part ways, the start of 2014-11-21's B list as run on Windows, and three
 * B names F-Secure quoted in January 2009.
 *
 * The x87 sine is checked against values Windows' JDK 1.2 printed for
 * Math.sin of 2^60..2^62 in 1999 (it called fsin directly), which a libm
 * does not give.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/dga.h"

#define LINE_MAX_LEN 256

static int32_t day_of(int y, int m, int d)
{
    struct ww_dga_date date = {y, m, d};
    assert_true(ww_dga_date_valid(date));
    return ww_dga_day_number(date);
}

/*
 * Checks every row of a reference file (date, variant, index, domain, ...),
 * generating each day's list once. Returns the rows checked.
 */
static int check_reference_file(const char *name)
{
    char path[512], line[LINE_MAX_LEN];
    snprintf(path, sizeof path, "%s/%s", WW_TEST_DATA, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    static char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    int32_t have_day = INT32_MIN;
    enum ww_dga_variant have_variant = WW_DGA__COUNT;
    int rows = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        int y, m, d, index;
        char variant, domain[64];
        if (sscanf(line, "%d-%d-%d\t%c\t%d\t%63[^\t\r\n]", &y, &m, &d, &variant, &index,
                   domain) != 6)
            fail_msg("%s: bad row %s", name, line);
        enum ww_dga_variant v = variant == 'A' ? WW_DGA_A : WW_DGA_B;
        int32_t day = day_of(y, m, d);
        if (day != have_day || v != have_variant) {
            assert_true(ww_dga_generate(v, day, names));
            have_day = day;
            have_variant = v;
        }
        assert_true(index >= 0 && index < WW_DGA_NAMES);
        if (strcmp(names[index], domain) != 0)
            fail_msg("%s: %04d-%02d-%02d %c #%d: expected %s, generated %s", name, y, m, d,
                     variant, index, domain, names[index]);
        rows++;
    }
    fclose(f);
    return rows;
}

static void test_first_week_of_2020_exact(void **state)
{
    (void)state;
    assert_int_equal(check_reference_file("conficker_ab_2020-01-01_to_07.tsv"), 3500);
}

static void test_spot_checks_exact(void **state)
{
    (void)state;
    assert_int_equal(check_reference_file("conficker_spot_checks.tsv"), 333);
}

static void test_first_names_of_2020_01_01(void **state)
{
    (void)state;
    char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    assert_true(ww_dga_generate(WW_DGA_A, day_of(2020, 1, 1), names));
    assert_string_equal(names[0], "fvqcih.net");
    assert_string_equal(names[249], "xunvcwdhqo.com");
    assert_true(ww_dga_generate(WW_DGA_B, day_of(2020, 1, 1), names));
    assert_string_equal(names[0], "jqfgtmjl.ws");
}

/* Every name is 5 to 11 lower-case letters and one of the variant's TLDs. */
static void test_name_shape_over_years(void **state)
{
    (void)state;
    static const char *const tlds[WW_DGA__COUNT] = {" com net org info biz ",
                                                    " cc cn ws com net org info biz "};
    char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    int32_t first = day_of(2008, 11, 21), last = day_of(2030, 12, 31);
    for (int32_t day = first; day <= last; day += 37) {
        for (int v = 0; v < WW_DGA__COUNT; v++) {
            assert_true(ww_dga_generate((enum ww_dga_variant)v, day, names));
            for (int i = 0; i < WW_DGA_NAMES; i++) {
                const char *dot = strchr(names[i], '.');
                assert_non_null(dot);
                size_t letters = (size_t)(dot - names[i]);
                assert_in_range(letters, 5, 11);
                for (size_t j = 0; j < letters; j++)
                    assert_in_range(names[i][j], 'a', 'z');
                char tld[8];
                snprintf(tld, sizeof tld, " %s ", dot + 1);
                assert_non_null(strstr(tlds[v], tld));
            }
        }
    }
}

static void test_generate_rejects_days_out_of_range(void **state)
{
    (void)state;
    char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    strcpy(names[0], "untouched");
    assert_false(ww_dga_generate(WW_DGA_A, ww_dga_first_day() - 1, names));
    assert_false(ww_dga_generate(WW_DGA_B, ww_dga_last_day() + 1, names));
    assert_false(ww_dga_generate(WW_DGA__COUNT, 0, names));
    assert_string_equal(names[0], "untouched");
    assert_true(ww_dga_generate(WW_DGA_A, ww_dga_first_day(), names));
    assert_true(ww_dga_generate(WW_DGA_B, ww_dga_last_day(), names));
}

/* ---- the x87 sine ---- */

static void test_x87_sin_matches_windows_fsin(void **state)
{
    (void)state;
    /* JDK 1.2 on Windows 95 (bugs.java.com 4220710); libm: -0.8306..., 0.9250..., -0.7029... */
    assert_true(ww_dga_x87_sin(0x1p60) == -0.831474748109363);
    assert_true(ww_dga_x87_sin(0x1p61) == 0.9238724570939123);
    assert_true(ww_dga_x87_sin(0x1p62) == -0.7071329274527789);
    /* "Windows about 0.16, Linux 0.153662" (a Stack Overflow question porting Conficker C) */
    double s = ww_dga_x87_sin(5174852443848405000.0);
    assert_true(fabs(s - 0.1602415798048218) <= 0x1p-52);
    assert_true(fabs(sin(5174852443848405000.0) - 0.15366198118965324) < 1e-12);
    assert_true(ww_dga_x87_sin(-0x1p62) == 0.7071329274527789);
}

static void test_x87_sin_small_arguments_are_the_sine(void **state)
{
    (void)state;
    const double xs[] = {0.0, 1e-300, 1e-5, 0.5, 1.0, 3.0, 100.0, 12345.678};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        assert_true(fabs(ww_dga_x87_sin(xs[i]) - sin(xs[i])) <= 1e-15);
    /* pi66 is off pi by 4e-21: invisible at 1e4, 1.3e-7 at 1e14 (value from mpmath) */
    assert_true(fabs(ww_dga_x87_sin(1e14) - -0.2094084333834997) <= 0x1p-52);
    assert_true(fabs(sin(1e14) - -0.2094083074964523) <= 0x1p-52);
}

/* ---- calendar ---- */

static void test_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(day_of(1970, 1, 1), 0);
    assert_int_equal(day_of(2020, 1, 1), 18262);
    assert_int_equal(day_of(2020, 3, 1) - day_of(2020, 2, 28), 2);
    assert_int_equal(day_of(2100, 3, 1) - day_of(2100, 2, 28), 1);
    assert_int_equal(day_of(2000, 3, 1) - day_of(2000, 2, 28), 2);
    assert_int_equal(ww_dga_first_day(), -134774);
    assert_int_equal(ww_dga_last_day(), 2932896);
    assert_int_equal(ww_dga_day_of_ns(0), 0);
    assert_int_equal(ww_dga_day_of_ns(86400000000000ULL - 1), 0);
    assert_int_equal(ww_dga_day_of_ns(86400000000000ULL), 1);
    assert_int_equal(ww_dga_day_of_ns(1577836800ULL * 1000000000ULL), 18262);
}

static void test_every_day_round_trips(void **state)
{
    (void)state;
    for (int32_t day = ww_dga_first_day(); day <= ww_dga_last_day(); day++) {
        struct ww_dga_date d = ww_dga_date_of_day(day);
        if (!ww_dga_date_valid(d) || ww_dga_day_number(d) != day)
            fail_msg("day %d gave %04d-%02d-%02d", day, d.year, d.month, d.day);
    }
}

static void test_date_validation(void **state)
{
    (void)state;
    assert_true(ww_dga_date_valid((struct ww_dga_date){2020, 2, 29}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){2019, 2, 29}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){1900, 2, 29}));
    assert_true(ww_dga_date_valid((struct ww_dga_date){2000, 2, 29}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){2020, 2, 30}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){2020, 4, 31}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){2020, 13, 1}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){2020, 0, 1}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){2020, 1, 0}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){1600, 12, 31}));
    assert_true(ww_dga_date_valid((struct ww_dga_date){1601, 1, 1}));
    assert_false(ww_dga_date_valid((struct ww_dga_date){10000, 1, 1}));
}

/* ---- "VARIANT:YYYY-MM-DD" ---- */

static void assert_spec_error(const char *spec, const char *expected)
{
    enum ww_dga_variant v = WW_DGA_A;
    int32_t day = 12345;
    char err[128] = "";
    assert_false(ww_dga_parse_spec(spec, &v, &day, err, sizeof err));
    assert_string_equal(err, expected);
    assert_int_equal(day, 12345);
}

static void test_parse_spec(void **state)
{
    (void)state;
    enum ww_dga_variant v;
    int32_t day;
    char err[128];
    assert_true(ww_dga_parse_spec("A:2020-01-01", &v, &day, err, sizeof err));
    assert_int_equal(v, WW_DGA_A);
    assert_int_equal(day, 18262);
    assert_true(ww_dga_parse_spec("b:2020-06-15", &v, &day, err, sizeof err));
    assert_int_equal(v, WW_DGA_B);
    assert_int_equal(day, day_of(2020, 6, 15));

#define NOT_A_VARIANT ": give VARIANT:YYYY-MM-DD, variant A or B (as in B:2020-06-15)"
#define NOT_A_DATE ": the date must be YYYY-MM-DD (as in B:2020-06-15)"
    assert_spec_error("C:2020-01-01", "'C:2020-01-01'" NOT_A_VARIANT);
    assert_spec_error("", "''" NOT_A_VARIANT);
    assert_spec_error("AB:2020-01-01", "'AB:2020-01-01'" NOT_A_VARIANT);
    assert_spec_error("A:2020-13-01", "'A:2020-13-01': no such date in the years 1601 to 9999");
    assert_spec_error("A:2020-02-30", "'A:2020-02-30': no such date in the years 1601 to 9999");
    assert_spec_error("A:1600-12-31", "'A:1600-12-31': no such date in the years 1601 to 9999");
    assert_spec_error("A:2020-1-1", "'A:2020-1-1'" NOT_A_DATE);
    assert_spec_error("A:2020", "'A:2020'" NOT_A_DATE);
    assert_spec_error("A:", "'A:'" NOT_A_DATE);
    assert_spec_error("A:2020-01-01x", "'A:2020-01-01x'" NOT_A_DATE);
    assert_spec_error("A:+020-01-01", "'A:+020-01-01'" NOT_A_DATE);
    /* a hostile spec stays one short line */
    assert_spec_error("A:\n2020-01-01", "'A:?2020-01-01'" NOT_A_DATE);
    assert_spec_error("Zxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                      "'Zxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'" NOT_A_VARIANT);
}

static void test_print_spec(void **state)
{
    (void)state;
    char err[128] = "", line[LINE_MAX_LEN];
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(ww_dga_print_spec("a:2020-01-07", f, err, sizeof err), WW_DGA_PRINTED);
    rewind(f);
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (lines == 0)
            assert_string_equal(line, "diofe.com\n");
        lines++;
    }
    assert_int_equal(lines, WW_DGA_NAMES);
    fclose(f);

    assert_int_equal(ww_dga_print_spec("A:2020-02-30", stdout, err, sizeof err), WW_DGA_BAD_SPEC);
    assert_string_equal(err, "'A:2020-02-30': no such date in the years 1601 to 9999");

    FILE *full = fopen("/dev/full", "w");
    if (full) {
        assert_int_equal(ww_dga_print_spec("B:2020-01-01", full, err, sizeof err),
                         WW_DGA_WRITE_FAILED);
        assert_string_equal(err, "cannot write the domain list");
        fclose(full);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_week_of_2020_exact),
        cmocka_unit_test(test_spot_checks_exact),
        cmocka_unit_test(test_first_names_of_2020_01_01),
        cmocka_unit_test(test_name_shape_over_years),
        cmocka_unit_test(test_generate_rejects_days_out_of_range),
        cmocka_unit_test(test_x87_sin_matches_windows_fsin),
        cmocka_unit_test(test_x87_sin_small_arguments_are_the_sine),
        cmocka_unit_test(test_day_numbers),
        cmocka_unit_test(test_every_day_round_trips),
        cmocka_unit_test(test_date_validation),
        cmocka_unit_test(test_parse_spec),
        cmocka_unit_test(test_print_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
