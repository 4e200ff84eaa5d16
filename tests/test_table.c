/*
 * Unit tests for the per-source table (table.h): capacity from a memory
 * budget, upsert, eviction of the least recently active source when full,
 * and expiry of idle sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/index.h"
#include "wormwatch/table.h"
#include "test_key.h"

/* The keyed hash of a source, as a caller computes it once per event. */
static uint32_t H(uint32_t src)
{
    return (uint32_t)ww_hash_u32(&ww_test_key, src);
}

#define NS_PER_SEC 1000000000ULL
#define IDLE_TIMEOUT (10 * NS_PER_SEC)

/* What a caller might keep per source; the table only sees its size. */
struct value {
    uint64_t counter;
    uint32_t flags;
    uint8_t bytes[12];
};

/* Bytes one source costs in a table of `struct value` records. */
static uint32_t record_bytes(void)
{
    struct ww_table *t = ww_table_new(sizeof(struct value), 1 << 20, IDLE_TIMEOUT);
    assert_non_null(t);
    uint32_t bytes = ww_table_stats(t)->record_bytes;
    ww_table_free(t);
    return bytes;
}

/* A table that holds exactly `capacity` sources. */
static struct ww_table *table_of(uint32_t capacity)
{
    struct ww_table *t =
        ww_table_new(sizeof(struct value), (uint64_t)capacity * record_bytes(), IDLE_TIMEOUT);
    assert_non_null(t);
    assert_int_equal(ww_table_stats(t)->capacity, capacity);
    return t;
}

static struct value *upsert(struct ww_table *t, uint32_t src, uint64_t now_ns, bool expect_created)
{
    bool created = !expect_created;
    struct value *v = ww_table_upsert(t, src, H(src), now_ns, &created);
    assert_non_null(v);
    assert_int_equal(created, expect_created);
    return v;
}

static bool is_all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void test_record_bytes_cover_value_and_index(void **state)
{
    (void)state;
    uint32_t bytes = record_bytes();
    /* The value, the index's own bookkeeping, and a small bounded header. */
    assert_true(bytes >= sizeof(struct value) + ww_index_bytes_per_slot());
    assert_true(bytes <= sizeof(struct value) + ww_index_bytes_per_slot() + 32);
}

static void test_capacity_from_memory_budget(void **state)
{
    (void)state;
    uint32_t per = record_bytes();
    struct ww_table *t = ww_table_new(sizeof(struct value), 10ULL * per, IDLE_TIMEOUT);
    assert_non_null(t);
    const struct ww_table_stats *st = ww_table_stats(t);
    assert_int_equal(st->capacity, 10);
    assert_int_equal(st->record_bytes, per);
    assert_int_equal(st->memory_bytes, 10ULL * per);
    assert_int_equal(st->entries, 0);
    assert_int_equal(st->inserts, 0);
    assert_int_equal(st->evictions, 0);
    assert_int_equal(st->expirations, 0);
    ww_table_free(t);

    /* One byte short of ten records holds nine: the budget is never exceeded. */
    t = ww_table_new(sizeof(struct value), 10ULL * per - 1, IDLE_TIMEOUT);
    assert_non_null(t);
    assert_int_equal(ww_table_stats(t)->capacity, 9);
    assert_int_equal(ww_table_stats(t)->memory_bytes, 9ULL * per);
    ww_table_free(t);
}

static void test_budget_below_one_record_fails(void **state)
{
    (void)state;
    uint32_t per = record_bytes();
    assert_null(ww_table_new(sizeof(struct value), per - 1, IDLE_TIMEOUT));
    assert_null(ww_table_new(sizeof(struct value), 0, IDLE_TIMEOUT));
    struct ww_table *t = ww_table_new(sizeof(struct value), per, IDLE_TIMEOUT);
    assert_non_null(t);
    assert_int_equal(ww_table_stats(t)->capacity, 1);
    ww_table_free(t);
}

static void test_upsert_creates_zeroed_then_finds_existing(void **state)
{
    (void)state;
    struct ww_table *t = table_of(4);
    assert_null(ww_table_find(t, 0x0A000001, H(0x0A000001)));

    struct value *v = upsert(t, 0x0A000001, 1 * NS_PER_SEC, true);
    assert_true(is_all_zero(v, sizeof *v));
    v->counter = 42;
    v->flags = 7;

    struct value *again = upsert(t, 0x0A000001, 2 * NS_PER_SEC, false);
    assert_ptr_equal(again, v);
    assert_int_equal(again->counter, 42);
    assert_int_equal(again->flags, 7);
    assert_ptr_equal(ww_table_find(t, 0x0A000001, H(0x0A000001)), v);

    struct value *other = upsert(t, 0x0A000002, 2 * NS_PER_SEC, true);
    assert_ptr_not_equal(other, v);
    assert_true(is_all_zero(other, sizeof *other));
    assert_null(ww_table_find(t, 0x0A000003, H(0x0A000003)));

    const struct ww_table_stats *st = ww_table_stats(t);
    assert_int_equal(st->entries, 2);
    assert_int_equal(st->inserts, 2);
    ww_table_free(t);
}

static void test_full_table_evicts_least_recently_active(void **state)
{
    (void)state;
    struct ww_table *t = table_of(3);
    upsert(t, 1, 1 * NS_PER_SEC, true);
    upsert(t, 2, 2 * NS_PER_SEC, true);
    upsert(t, 3, 3 * NS_PER_SEC, true);
    upsert(t, 1, 4 * NS_PER_SEC, false); /* source 1 is active again: 2 is now the idlest */

    upsert(t, 4, 5 * NS_PER_SEC, true);
    assert_null(ww_table_find(t, 2, H(2)));
    assert_non_null(ww_table_find(t, 1, H(1)));
    assert_non_null(ww_table_find(t, 3, H(3)));
    assert_non_null(ww_table_find(t, 4, H(4)));

    upsert(t, 5, 6 * NS_PER_SEC, true); /* next idlest: 3 */
    assert_null(ww_table_find(t, 3, H(3)));
    assert_non_null(ww_table_find(t, 1, H(1)));

    const struct ww_table_stats *st = ww_table_stats(t);
    assert_int_equal(st->entries, 3);
    assert_int_equal(st->inserts, 5);
    assert_int_equal(st->evictions, 2);
    assert_int_equal(st->expirations, 0);
    ww_table_free(t);
}

/* A record reused after an eviction starts from zero, not from its last owner. */
static void test_reused_record_is_zeroed(void **state)
{
    (void)state;
    struct ww_table *t = table_of(1);
    struct value *v = upsert(t, 1, 1 * NS_PER_SEC, true);
    memset(v, 0xAB, sizeof *v);
    struct value *w = upsert(t, 2, 2 * NS_PER_SEC, true);
    assert_true(is_all_zero(w, sizeof *w));
    assert_null(ww_table_find(t, 1, H(1)));
    assert_int_equal(ww_table_stats(t)->evictions, 1);
    ww_table_free(t);
}

/* Looking a source up is not activity: it does not protect it from eviction. */
static void test_find_does_not_refresh(void **state)
{
    (void)state;
    struct ww_table *t = table_of(2);
    upsert(t, 1, 1 * NS_PER_SEC, true);
    upsert(t, 2, 2 * NS_PER_SEC, true);
    assert_non_null(ww_table_find(t, 1, H(1)));
    upsert(t, 3, 3 * NS_PER_SEC, true);
    assert_null(ww_table_find(t, 1, H(1)));
    assert_non_null(ww_table_find(t, 2, H(2)));
    ww_table_free(t);
}

/* Touching is activity: the source outlives the idle timeout and eviction. */
static void test_touch_refreshes_a_known_source_only(void **state)
{
    (void)state;
    struct ww_table *t = table_of(2);
    struct value *one = upsert(t, 1, 1 * NS_PER_SEC, true);
    upsert(t, 2, 2 * NS_PER_SEC, true);
    assert_ptr_equal(ww_table_touch(t, 1, H(1), 3 * NS_PER_SEC), one);
    assert_null(ww_table_touch(t, 9, H(9), 3 * NS_PER_SEC));
    assert_int_equal(ww_table_stats(t)->entries, 2);
    upsert(t, 3, 4 * NS_PER_SEC, true); /* evicts 2, now the least recently active */
    assert_non_null(ww_table_find(t, 1, H(1)));
    assert_null(ww_table_find(t, 2, H(2)));
    ww_table_expire(t, 3 * NS_PER_SEC + IDLE_TIMEOUT);
    assert_non_null(ww_table_find(t, 1, H(1)));
    ww_table_expire(t, 3 * NS_PER_SEC + IDLE_TIMEOUT + 1);
    assert_null(ww_table_find(t, 1, H(1)));
    ww_table_free(t);
}

static void test_expire_removes_only_sources_idle_longer_than_timeout(void **state)
{
    (void)state;
    struct ww_table *t = table_of(4);
    upsert(t, 1, 0, true);
    upsert(t, 2, 5 * NS_PER_SEC, true);
    const struct ww_table_stats *st = ww_table_stats(t);

    /* Idle exactly the timeout: not yet "longer than". */
    ww_table_expire(t, IDLE_TIMEOUT);
    assert_non_null(ww_table_find(t, 1, H(1)));
    assert_int_equal(st->expirations, 0);
    assert_int_equal(st->entries, 2);

    ww_table_expire(t, IDLE_TIMEOUT + 1);
    assert_null(ww_table_find(t, 1, H(1)));
    assert_non_null(ww_table_find(t, 2, H(2)));
    assert_int_equal(st->expirations, 1);
    assert_int_equal(st->entries, 1);

    ww_table_expire(t, 5 * NS_PER_SEC + IDLE_TIMEOUT);
    assert_non_null(ww_table_find(t, 2, H(2)));
    ww_table_expire(t, 5 * NS_PER_SEC + IDLE_TIMEOUT + 1);
    assert_null(ww_table_find(t, 2, H(2)));
    assert_int_equal(st->expirations, 2);
    assert_int_equal(st->entries, 0);
    assert_int_equal(st->evictions, 0);
    ww_table_free(t);
}

/* Activity through upsert restarts the idle clock. */
static void test_upsert_keeps_source_alive(void **state)
{
    (void)state;
    struct ww_table *t = table_of(4);
    upsert(t, 1, 0, true);
    upsert(t, 1, 8 * NS_PER_SEC, false);
    ww_table_expire(t, 8 * NS_PER_SEC + IDLE_TIMEOUT);
    assert_non_null(ww_table_find(t, 1, H(1)));
    ww_table_expire(t, 8 * NS_PER_SEC + IDLE_TIMEOUT + 1);
    assert_null(ww_table_find(t, 1, H(1)));
    assert_int_equal(ww_table_stats(t)->expirations, 1);

    /* An expired source that comes back is a new, zeroed record. */
    struct value *v = upsert(t, 1, 30 * NS_PER_SEC, true);
    assert_true(is_all_zero(v, sizeof *v));
    assert_int_equal(ww_table_stats(t)->inserts, 2);
    ww_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_bytes_cover_value_and_index),
        cmocka_unit_test(test_capacity_from_memory_budget),
        cmocka_unit_test(test_budget_below_one_record_fails),
        cmocka_unit_test(test_upsert_creates_zeroed_then_finds_existing),
        cmocka_unit_test(test_full_table_evicts_least_recently_active),
        cmocka_unit_test(test_reused_record_is_zeroed),
        cmocka_unit_test(test_find_does_not_refresh),
        cmocka_unit_test(test_touch_refreshes_a_known_source_only),
        cmocka_unit_test(test_expire_removes_only_sources_idle_longer_than_timeout),
        cmocka_unit_test(test_upsert_keeps_source_alive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
