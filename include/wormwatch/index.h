/*
 * A bounded hash index with a recency list: the shared skeleton of the
 * pending-attempt table (probe.c) and the per-source table (table.c).
 *
 * The index owns slot numbers 0..capacity-1, never memory for the records:
 * each user keeps its records in a parallel array indexed by slot. Lookups
 * chain through buckets; every slot is also on a doubly linked list from the
 * least to the most recently touched, so expiry and eviction take the oldest
 * slot in O(1). All memory is allocated once, in ww_index_init(): the bound on
 * memory is part of the data structure, as in p0f's host cache.
 *
 * But it is not touched at once. Slots are handed out from 0 upwards, so a
 * table sized for a million sources and holding a thousand keeps them in its
 * first pages; and only a prefix of the bucket array is in use, doubled (the
 * chains rebuilt from the recency list) whenever the slots in use outnumber
 * the buckets. A lookup then reads a bucket among a few thousand, in cache,
 * not one among a million, a cache miss every time: sized for the worst
 * hour, the tables cost the common one nothing.
 *
 * The index never hashes: callers pass keyed hashes (hash.h), computed once
 * per packet, so that nobody can aim keys at one bucket.
 */
#ifndef WW_INDEX_H
#define WW_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_INDEX_NONE UINT32_MAX

/* Says whether the record in `slot` has the key the caller is looking for. */
typedef bool (*ww_index_match_fn)(const void *key, uint32_t slot, const void *ctx);

struct ww_index {
    uint32_t capacity;  /* slots */
    uint32_t used;      /* slots in use */
    uint32_t bucket_mask;  /* buckets in use - 1 */
    uint32_t max_buckets;  /* allocated: capacity rounded up to a power of two */
    uint32_t fresh;        /* slots never used yet start here (the free list holds the rest) */
    uint32_t *buckets;  /* first slot of each chain */
    uint32_t *chain;    /* next slot in the same bucket, or in the free list */
    uint32_t *hashes;   /* full hash of each used slot (cheap chain filter) */
    uint32_t *older;    /* recency list: towards the oldest */
    uint32_t *newer;    /* recency list: towards the newest */
    uint32_t oldest, newest, free_head;
};

/* Returns false when memory could not be had. */
bool ww_index_init(struct ww_index *ix, uint32_t capacity);
void ww_index_free(struct ww_index *ix);
/* Bytes one slot costs in the index itself (for memory budgets). */
size_t ww_index_bytes_per_slot(void);

uint32_t ww_index_find(const struct ww_index *ix, uint32_t hash, const void *key,
                       ww_index_match_fn match, const void *ctx);
/* Takes a free slot and makes it the newest; WW_INDEX_NONE when full. */
uint32_t ww_index_insert(struct ww_index *ix, uint32_t hash);
void ww_index_remove(struct ww_index *ix, uint32_t slot);
/* Makes `slot` the most recently used. */
void ww_index_touch(struct ww_index *ix, uint32_t slot);

static inline uint32_t ww_index_oldest(const struct ww_index *ix)
{
    return ix->oldest;
}

static inline bool ww_index_full(const struct ww_index *ix)
{
    return ix->used == ix->capacity;
}

#endif
