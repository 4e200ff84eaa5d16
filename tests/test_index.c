/*
 * Unit tests for the bounded hash index (index.h): slot bookkeeping, bucket
 * chains, the recency list and the free list.
 *
 * The index stores no keys, so the tests keep them the way its users do: in
 * an array parallel to the slots, consulted by the match callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wormwatch/index.h"
#include "test_key.h"

#define MAX_SLOTS 16

/* An index plus the keys of its records, slot by slot. */
struct keyed_index {
    struct ww_index ix;
    uint32_t key[MAX_SLOTS];
};

static bool key_matches(const void *key, uint32_t slot, const void *ctx)
{
    const struct keyed_index *k = ctx;
    return k->key[slot] == *(const uint32_t *)key;
}

/* Hash of a key when the test does not care which bucket it lands in. */
static uint32_t hash_of(uint32_t key)
{
    return (uint32_t)ww_hash_u32(&ww_test_key, key);
}

static void keyed_init(struct keyed_index *k, uint32_t capacity)
{
    assert_true(capacity <= MAX_SLOTS);
    assert_true(ww_index_init(&k->ix, capacity));
    for (uint32_t s = 0; s < MAX_SLOTS; s++)
        k->key[s] = UINT32_MAX;
}

static uint32_t insert_key(struct keyed_index *k, uint32_t key, uint32_t hash)
{
    uint32_t slot = ww_index_insert(&k->ix, hash);
    assert_int_not_equal(slot, WW_INDEX_NONE);
    assert_true(slot < k->ix.capacity);
    k->key[slot] = key;
    return slot;
}

static uint32_t find_key(const struct keyed_index *k, uint32_t key, uint32_t hash)
{
    return ww_index_find(&k->ix, hash, &key, key_matches, k);
}

/* Removes the oldest record and returns its key (the recency walk). */
static uint32_t pop_oldest(struct keyed_index *k)
{
    uint32_t slot = ww_index_oldest(&k->ix);
    assert_int_not_equal(slot, WW_INDEX_NONE);
    uint32_t key = k->key[slot];
    ww_index_remove(&k->ix, slot);
    k->key[slot] = UINT32_MAX;
    return key;
}

static void test_init_rejects_zero_capacity(void **state)
{
    (void)state;
    struct ww_index ix;
    assert_false(ww_index_init(&ix, 0));
    assert_false(ww_index_init(&ix, WW_INDEX_NONE));
}

static void test_empty_index(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 4);
    assert_int_equal(k.ix.capacity, 4);
    assert_int_equal(k.ix.used, 0);
    assert_false(ww_index_full(&k.ix));
    assert_int_equal(ww_index_oldest(&k.ix), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 7, hash_of(7)), WW_INDEX_NONE);
    ww_index_free(&k.ix);
}

static void test_insert_find_remove(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 8);
    uint32_t a = insert_key(&k, 100, hash_of(100));
    uint32_t b = insert_key(&k, 200, hash_of(200));
    uint32_t c = insert_key(&k, 300, hash_of(300));
    assert_int_not_equal(a, b);
    assert_int_not_equal(b, c);
    assert_int_not_equal(a, c);
    assert_int_equal(k.ix.used, 3);

    assert_int_equal(find_key(&k, 100, hash_of(100)), a);
    assert_int_equal(find_key(&k, 200, hash_of(200)), b);
    assert_int_equal(find_key(&k, 300, hash_of(300)), c);
    assert_int_equal(find_key(&k, 400, hash_of(400)), WW_INDEX_NONE);

    ww_index_remove(&k.ix, b);
    assert_int_equal(k.ix.used, 2);
    assert_int_equal(find_key(&k, 200, hash_of(200)), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 100, hash_of(100)), a);
    assert_int_equal(find_key(&k, 300, hash_of(300)), c);
    ww_index_free(&k.ix);
}

/* Keys with the same full hash share a chain; only the match callback tells them apart. */
static void test_identical_hashes_chain(void **state)
{
    (void)state;
    const uint32_t same = 0xDEADBEEFu;
    struct keyed_index k;
    keyed_init(&k, 8);
    uint32_t slot[4];
    for (uint32_t i = 0; i < 4; i++)
        slot[i] = insert_key(&k, 10 + i, same);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(find_key(&k, 10 + i, same), slot[i]);
    assert_int_equal(find_key(&k, 99, same), WW_INDEX_NONE);

    /* Unlink from the middle, then the chain head (newest), then the tail. */
    ww_index_remove(&k.ix, slot[1]);
    assert_int_equal(find_key(&k, 11, same), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 10, same), slot[0]);
    assert_int_equal(find_key(&k, 12, same), slot[2]);
    assert_int_equal(find_key(&k, 13, same), slot[3]);

    ww_index_remove(&k.ix, slot[3]);
    assert_int_equal(find_key(&k, 13, same), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 10, same), slot[0]);
    assert_int_equal(find_key(&k, 12, same), slot[2]);

    ww_index_remove(&k.ix, slot[0]);
    assert_int_equal(find_key(&k, 10, same), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 12, same), slot[2]);
    assert_int_equal(k.ix.used, 1);
    ww_index_free(&k.ix);
}

/* Different full hashes in one bucket: the stored hash filters the chain. */
static void test_bucket_collisions_with_different_hashes(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 8); /* 8 buckets: hashes 3, 11 and 19 share bucket 3 */
    uint32_t s3 = insert_key(&k, 1, 3);
    uint32_t s11 = insert_key(&k, 2, 11);
    uint32_t s19 = insert_key(&k, 3, 19);
    assert_int_equal(find_key(&k, 1, 3), s3);
    assert_int_equal(find_key(&k, 2, 11), s11);
    assert_int_equal(find_key(&k, 3, 19), s19);
    /* Right key, wrong hash: a record is only found under its own hash. */
    assert_int_equal(find_key(&k, 1, 11), WW_INDEX_NONE);

    ww_index_remove(&k.ix, s11);
    assert_int_equal(find_key(&k, 2, 11), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 1, 3), s3);
    assert_int_equal(find_key(&k, 3, 19), s19);
    ww_index_free(&k.ix);
}

static void test_recency_order_follows_touch(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 8);
    uint32_t a = insert_key(&k, 'a', hash_of('a'));
    insert_key(&k, 'b', hash_of('b'));
    uint32_t c = insert_key(&k, 'c', hash_of('c'));
    assert_int_equal(ww_index_oldest(&k.ix), a);

    ww_index_touch(&k.ix, a); /* order now b, c, a */
    assert_int_equal(k.key[ww_index_oldest(&k.ix)], 'b');
    ww_index_touch(&k.ix, c); /* b, a, c */
    ww_index_touch(&k.ix, c); /* touching the newest changes nothing */

    assert_int_equal(pop_oldest(&k), 'b');
    assert_int_equal(pop_oldest(&k), 'a');
    assert_int_equal(pop_oldest(&k), 'c');
    assert_int_equal(ww_index_oldest(&k.ix), WW_INDEX_NONE);
    assert_int_equal(k.ix.used, 0);
    ww_index_free(&k.ix);
}

/* Removing from the middle of the recency list keeps both neighbours linked. */
static void test_remove_keeps_recency_order(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 8);
    for (uint32_t key = 1; key <= 4; key++)
        insert_key(&k, key, hash_of(key));
    ww_index_remove(&k.ix, find_key(&k, 2, hash_of(2)));
    uint32_t five = insert_key(&k, 5, hash_of(5));
    ww_index_touch(&k.ix, find_key(&k, 3, hash_of(3)));
    assert_int_not_equal(five, WW_INDEX_NONE);

    assert_int_equal(pop_oldest(&k), 1);
    assert_int_equal(pop_oldest(&k), 4);
    assert_int_equal(pop_oldest(&k), 5);
    assert_int_equal(pop_oldest(&k), 3);
    assert_int_equal(ww_index_oldest(&k.ix), WW_INDEX_NONE);
    ww_index_free(&k.ix);
}

static void test_full_index_refuses_insert(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 3);
    for (uint32_t key = 1; key <= 3; key++)
        insert_key(&k, key, hash_of(key));
    assert_true(ww_index_full(&k.ix));
    assert_int_equal(ww_index_insert(&k.ix, hash_of(4)), WW_INDEX_NONE);
    assert_int_equal(k.ix.used, 3);
    /* The refused insert left every record in place and the order intact. */
    for (uint32_t key = 1; key <= 3; key++)
        assert_int_not_equal(find_key(&k, key, hash_of(key)), WW_INDEX_NONE);
    assert_int_equal(k.key[ww_index_oldest(&k.ix)], 1);
    ww_index_free(&k.ix);
}

static void test_free_list_reuses_removed_slot(void **state)
{
    (void)state;
    struct keyed_index k;
    keyed_init(&k, 3);
    insert_key(&k, 1, hash_of(1));
    uint32_t two = insert_key(&k, 2, hash_of(2));
    insert_key(&k, 3, hash_of(3));

    ww_index_remove(&k.ix, two);
    k.key[two] = UINT32_MAX;
    assert_false(ww_index_full(&k.ix));
    uint32_t four = insert_key(&k, 4, hash_of(4));
    assert_int_equal(four, two);
    assert_true(ww_index_full(&k.ix));
    assert_int_equal(ww_index_insert(&k.ix, hash_of(5)), WW_INDEX_NONE);
    assert_int_equal(find_key(&k, 4, hash_of(4)), two);
    assert_int_equal(find_key(&k, 2, hash_of(2)), WW_INDEX_NONE);

    /* The reused slot is the newest record, not where the old one was. */
    assert_int_equal(pop_oldest(&k), 1);
    assert_int_equal(pop_oldest(&k), 3);
    assert_int_equal(pop_oldest(&k), 4);
    ww_index_free(&k.ix);
}

/* Filling, emptying and refilling hands out every slot exactly once each time. */
static void test_drain_and_refill_uses_every_slot(void **state)
{
    (void)state;
    enum { CAP = 5 };
    struct keyed_index k;
    keyed_init(&k, CAP);
    for (int round = 0; round < 2; round++) {
        bool seen[CAP] = {false};
        for (uint32_t key = 0; key < CAP; key++) {
            uint32_t slot = insert_key(&k, key, hash_of(key));
            assert_false(seen[slot]);
            seen[slot] = true;
        }
        assert_true(ww_index_full(&k.ix));
        for (uint32_t key = 0; key < CAP; key++)
            assert_int_equal(pop_oldest(&k), key);
        assert_int_equal(k.ix.used, 0);
    }
    ww_index_free(&k.ix);
}

/* A big index starts with a few buckets and doubles them as it fills; every
   key stays findable through each rebuild, through removals, and past the
   last doubling, and slots are handed out from 0 upwards. */
#define GROW_SLOTS 5000u
static uint32_t grow_keys[GROW_SLOTS];

static bool grow_key_matches(const void *key, uint32_t slot, const void *ctx)
{
    (void)ctx;
    return grow_keys[slot] == *(const uint32_t *)key;
}

static uint32_t grow_find(const struct ww_index *ix, uint32_t key)
{
    return ww_index_find(ix, hash_of(key), &key, grow_key_matches, NULL);
}

static void test_buckets_grow_with_use(void **state)
{
    (void)state;
    struct ww_index ix;
    assert_true(ww_index_init(&ix, GROW_SLOTS));
    assert_int_equal(ix.max_buckets, 8192);
    assert_int_equal(ix.bucket_mask + 1, 256);
    for (uint32_t i = 0; i < GROW_SLOTS; i++) {
        uint32_t slot = ww_index_insert(&ix, hash_of(1000 + i));
        assert_int_equal(slot, i); /* fresh slots in order */
        grow_keys[slot] = 1000 + i;
        if (i == 256)
            assert_int_equal(ix.bucket_mask + 1, 512); /* the 257th doubled them */
    }
    assert_int_equal(ix.bucket_mask + 1, 8192);
    assert_int_equal(ww_index_insert(&ix, hash_of(1)), WW_INDEX_NONE);
    for (uint32_t i = 0; i < GROW_SLOTS; i++)
        assert_int_equal(grow_find(&ix, 1000 + i), i);
    assert_int_equal(grow_find(&ix, 999), WW_INDEX_NONE);
    /* Every other one leaves; the recency list still runs oldest first. */
    for (uint32_t i = 0; i < GROW_SLOTS; i += 2)
        ww_index_remove(&ix, i);
    assert_int_equal(ix.used, GROW_SLOTS / 2);
    uint32_t expect = 1;
    for (uint32_t s = ww_index_oldest(&ix); s != WW_INDEX_NONE; s = ix.newer[s], expect += 2)
        assert_int_equal(s, expect);
    assert_int_equal(expect, GROW_SLOTS + 1);
    for (uint32_t i = 0; i < GROW_SLOTS; i++)
        assert_int_equal(grow_find(&ix, 1000 + i), i % 2 ? i : WW_INDEX_NONE);
    /* Freed slots come back before any fresh one would. */
    uint32_t again = ww_index_insert(&ix, hash_of(77));
    assert_int_equal(again, GROW_SLOTS - 2);
    ww_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_zero_capacity),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_insert_find_remove),
        cmocka_unit_test(test_identical_hashes_chain),
        cmocka_unit_test(test_bucket_collisions_with_different_hashes),
        cmocka_unit_test(test_recency_order_follows_touch),
        cmocka_unit_test(test_remove_keeps_recency_order),
        cmocka_unit_test(test_full_index_refuses_insert),
        cmocka_unit_test(test_free_list_reuses_removed_slot),
        cmocka_unit_test(test_drain_and_refill_uses_every_slot),
        cmocka_unit_test(test_buckets_grow_with_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
