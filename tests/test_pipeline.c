/*
 * Unit tests for the pipeline's own pieces: the clock that moves packet
 * time on a quiet live link, which must follow the monotonic clock only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wormwatch/pipeline.h"

#define NS_PER_SEC 1000000000ULL
#define T0 (1764720000ULL * NS_PER_SEC) /* a packet stamp */
#define M0 (5000ULL * NS_PER_SEC)       /* CLOCK_MONOTONIC then */

/* Packet time advances by monotonic time since the newest packet, and nothing else. */
static void test_quiet_clock_follows_monotonic_time(void **state)
{
    (void)state;
    struct ww_quiet_clock c;
    ww_quiet_clock_start(&c, T0, M0);
    assert_int_equal(ww_quiet_clock_now(&c, M0), T0);
    assert_int_equal(ww_quiet_clock_now(&c, M0 + 3 * NS_PER_SEC), T0 + 3 * NS_PER_SEC);
    /* A packet read at M0 + 10 s stamped T0 + 9 s: time now runs from it. */
    ww_quiet_clock_saw(&c, T0 + 9 * NS_PER_SEC, M0 + 10 * NS_PER_SEC);
    assert_int_equal(ww_quiet_clock_now(&c, M0 + 12 * NS_PER_SEC), T0 + 11 * NS_PER_SEC);
}

/*
 * The wall clock is no input: whatever NTP does to it, one quiet hour of
 * monotonic time is one hour of packet time, never a jump nor a freeze. A
 * late-stamped packet (kernel stamps from a stepped-back clock) does not
 * move packet time back.
 */
static void test_quiet_clock_ignores_wall_clock_steps(void **state)
{
    (void)state;
    struct ww_quiet_clock c;
    ww_quiet_clock_start(&c, T0, M0);
    ww_quiet_clock_saw(&c, T0 - 3600 * NS_PER_SEC, M0 + NS_PER_SEC); /* stamped an hour back */
    assert_int_equal(ww_quiet_clock_now(&c, M0 + 2 * NS_PER_SEC), T0 + 2 * NS_PER_SEC);
    assert_int_equal(ww_quiet_clock_now(&c, M0 + 3602 * NS_PER_SEC), T0 + 3602 * NS_PER_SEC);
    /* A monotonic reading behind the anchor (never, but) does not run time backwards. */
    assert_int_equal(ww_quiet_clock_now(&c, M0 - NS_PER_SEC), T0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_clock_follows_monotonic_time),
        cmocka_unit_test(test_quiet_clock_ignores_wall_clock_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
