/*
 * Unit tests for keyed hashing (hash.h) and the distinct-count sketch
 * (distinct.h): SipHash against its published vector, the fixed-size fast
 * paths against the general form, keys chosen to collide under one key
 * spreading under another, and the sketch's error at 10 to 100,000 keys.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/distinct.h"
#include "wormwatch/hash.h"
#include "test_key.h"

/* The SipHash paper's vector: key 00..0f, message 00..0e, SipHash-2-4. */
static void test_siphash24_reference_vector(void **state)
{
    (void)state;
    uint8_t msg[15];
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    assert_int_equal(ww_siphash(&ww_test_key, 2, 4, msg, sizeof msg), 0xa129ca6149be45e5ULL);
    /* the empty message of the reference implementation's table */
    assert_int_equal(ww_siphash(&ww_test_key, 2, 4, msg, 0), 0x726fdb47dd0e0e31ULL);
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The inline paths the tables use are SipHash-1-3 of the same bytes. */
static void test_fast_paths_equal_general_siphash13(void **state)
{
    (void)state;
    const struct ww_hash_key other = {0x1122334455667788ULL, 0x99aabbccddeeff00ULL};
    uint32_t words[][4] = {{0, 0, 0, 0}, {0x0a000001, 0xc0a80101, 0x04d201bd, 6},
                           {UINT32_MAX, 1, UINT32_MAX, 0x80000000u}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        uint8_t bytes[16];
        for (int w = 0; w < 4; w++)
            le32(bytes + 4 * w, words[i][w]);
        for (int k = 0; k < 2; k++) {
            const struct ww_hash_key *key = k ? &other : &ww_test_key;
            assert_int_equal(ww_hash_u32(key, words[i][0]), ww_siphash(key, 1, 3, bytes, 4));
            assert_int_equal(ww_hash_u32x4(key, words[i][0], words[i][1], words[i][2], words[i][3]),
                             ww_siphash(key, 1, 3, bytes, 16));
        }
    }
}

/*
 * What an attacker does with a known key: collect sources that all land in
 * one bucket of a 65,536-bucket table. Under another key they spread as
 * random keys do.
 */
static void test_collisions_under_one_key_spread_under_another(void **state)
{
    (void)state;
    enum { WANTED = 64, MASK = 0xffff };
    uint32_t chosen[WANTED];
    int found = 0;
    for (uint32_t addr = 1; found < WANTED; addr++)
        if ((ww_hash_u32(&ww_test_key, addr) & MASK) == 0x1234)
            chosen[found++] = addr;
    const struct ww_hash_key other = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    uint32_t buckets[WANTED];
    int distinct = 0;
    for (int i = 0; i < WANTED; i++) {
        uint32_t b = (uint32_t)ww_hash_u32(&other, chosen[i]) & MASK;
        bool seen = false;
        for (int j = 0; j < distinct; j++)
            seen |= buckets[j] == b;
        if (!seen)
            buckets[distinct++] = b;
    }
    /* 64 random keys in 65,536 buckets: a shared bucket has odds of about 3%. */
    assert_true(distinct >= WANTED - 2);
}

static void test_random_keys_differ(void **state)
{
    (void)state;
    struct ww_hash_key a, b;
    char err[128];
    assert_true(ww_hash_key_random(&a, err, sizeof err));
    assert_true(ww_hash_key_random(&b, err, sizeof err));
    assert_false(a.k0 == b.k0 && a.k1 == b.k1);
    assert_false(a.k0 == 0 && a.k1 == 0);
}

static double sketch_of(uint32_t n, const struct ww_hash_key *key, uint32_t repeats)
{
    struct ww_hll h;
    memset(&h, 0, sizeof h);
    for (uint32_t r = 0; r < repeats; r++)
        for (uint32_t i = 0; i < n; i++)
            ww_hll_add(&h, ww_hash_u32(key, 0x0a000000u + i * 7919u));
    return ww_hll_estimate(&h);
}

/* Standard error 1.04/sqrt(128) = 9.2%: within 3 of them for every key tried. */
static void test_sketch_error_at_10_1000_100000(void **state)
{
    (void)state;
    const uint32_t sizes[] = {10, 1000, 100000};
    for (uint64_t k = 0; k < 8; k++) {
        const struct ww_hash_key key = {k * 0x9E3779B97F4A7C15ULL, ~k};
        for (size_t i = 0; i < 3; i++) {
            double e = sketch_of(sizes[i], &key, 1);
            double bound = sizes[i] == 10 ? 1.0 : 0.28 * sizes[i];
            assert_true(fabs(e - sizes[i]) <= bound);
        }
    }
    /* Adding the same keys again changes nothing. */
    assert_true(sketch_of(1000, &ww_test_key, 3) == sketch_of(1000, &ww_test_key, 1));
    struct ww_hll empty;
    memset(&empty, 0, sizeof empty);
    assert_true(ww_hll_estimate(&empty) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash24_reference_vector),
        cmocka_unit_test(test_fast_paths_equal_general_siphash13),
        cmocka_unit_test(test_collisions_under_one_key_spread_under_another),
        cmocka_unit_test(test_random_keys_differ),
        cmocka_unit_test(test_sketch_error_at_10_1000_100000),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
