/*
 * Chained hash index plus recency list over a fixed number of slots.
 * See include/wormwatch/index.h for the idea; this file keeps the two lists
 * (bucket chains and the recency list) consistent.
 */
#include "wormwatch/index.h"

#include <stdlib.h>

static uint32_t round_up_pow2(uint32_t n)
{
    uint32_t p = 1;
    while (p < n && p < (1u << 31))
        p <<= 1;
    return p;
}

/* The first bucket array in use; it doubles up to max_buckets. */
#define WW_INDEX_FIRST_BUCKETS 256u

bool ww_index_init(struct ww_index *ix, uint32_t capacity)
{
    *ix = (struct ww_index){0};
    if (capacity == 0 || capacity == WW_INDEX_NONE)
        return false;
    uint32_t nbuckets = round_up_pow2(capacity);
    ix->capacity = capacity;
    ix->max_buckets = nbuckets;
    if (nbuckets > WW_INDEX_FIRST_BUCKETS)
        nbuckets = WW_INDEX_FIRST_BUCKETS;
    ix->bucket_mask = nbuckets - 1;
    ix->buckets = malloc((size_t)ix->max_buckets * sizeof *ix->buckets);
    ix->chain = malloc((size_t)capacity * sizeof *ix->chain);
    ix->hashes = malloc((size_t)capacity * sizeof *ix->hashes);
    ix->older = malloc((size_t)capacity * sizeof *ix->older);
    ix->newer = malloc((size_t)capacity * sizeof *ix->newer);
    if (!ix->buckets || !ix->chain || !ix->hashes || !ix->older || !ix->newer) {
        ww_index_free(ix);
        return false;
    }
    for (uint32_t b = 0; b < nbuckets; b++)
        ix->buckets[b] = WW_INDEX_NONE;
    ix->free_head = WW_INDEX_NONE;
    ix->fresh = 0;
    ix->oldest = ix->newest = WW_INDEX_NONE;
    return true;
}

/* Twice the buckets, every used slot chained again (oldest first). */
static void grow_buckets(struct ww_index *ix)
{
    uint32_t nbuckets = (ix->bucket_mask + 1) * 2;
    for (uint32_t b = 0; b < nbuckets; b++)
        ix->buckets[b] = WW_INDEX_NONE;
    ix->bucket_mask = nbuckets - 1;
    for (uint32_t s = ix->oldest; s != WW_INDEX_NONE; s = ix->newer[s]) {
        uint32_t b = ix->hashes[s] & ix->bucket_mask;
        ix->chain[s] = ix->buckets[b];
        ix->buckets[b] = s;
    }
}

void ww_index_free(struct ww_index *ix)
{
    free(ix->buckets);
    free(ix->chain);
    free(ix->hashes);
    free(ix->older);
    free(ix->newer);
    *ix = (struct ww_index){0};
}

size_t ww_index_bytes_per_slot(void)
{
    /* chain, hash, older, newer, and about one bucket head per slot */
    return 5 * sizeof(uint32_t);
}

uint32_t ww_index_find(const struct ww_index *ix, uint32_t hash, const void *key,
                       ww_index_match_fn match, const void *ctx)
{
    for (uint32_t s = ix->buckets[hash & ix->bucket_mask]; s != WW_INDEX_NONE; s = ix->chain[s])
        if (ix->hashes[s] == hash && match(key, s, ctx))
            return s;
    return WW_INDEX_NONE;
}

static void recency_unlink(struct ww_index *ix, uint32_t slot)
{
    uint32_t o = ix->older[slot], n = ix->newer[slot];
    if (o != WW_INDEX_NONE)
        ix->newer[o] = n;
    else
        ix->oldest = n;
    if (n != WW_INDEX_NONE)
        ix->older[n] = o;
    else
        ix->newest = o;
}

static void recency_append(struct ww_index *ix, uint32_t slot)
{
    ix->older[slot] = ix->newest;
    ix->newer[slot] = WW_INDEX_NONE;
    if (ix->newest != WW_INDEX_NONE)
        ix->newer[ix->newest] = slot;
    else
        ix->oldest = slot;
    ix->newest = slot;
}

uint32_t ww_index_insert(struct ww_index *ix, uint32_t hash)
{
    uint32_t slot = ix->free_head;
    if (slot != WW_INDEX_NONE)
        ix->free_head = ix->chain[slot];
    else if (ix->fresh < ix->capacity)
        slot = ix->fresh++;
    else
        return WW_INDEX_NONE;
    if (ix->used >= ix->bucket_mask + 1 && ix->bucket_mask + 1 < ix->max_buckets)
        grow_buckets(ix);
    uint32_t b = hash & ix->bucket_mask;
    ix->hashes[slot] = hash;
    ix->chain[slot] = ix->buckets[b];
    ix->buckets[b] = slot;
    recency_append(ix, slot);
    ix->used++;
    return slot;
}

void ww_index_remove(struct ww_index *ix, uint32_t slot)
{
    uint32_t *link = &ix->buckets[ix->hashes[slot] & ix->bucket_mask];
    while (*link != slot)
        link = &ix->chain[*link];
    *link = ix->chain[slot];
    recency_unlink(ix, slot);
    ix->chain[slot] = ix->free_head;
    ix->free_head = slot;
    ix->used--;
}

void ww_index_touch(struct ww_index *ix, uint32_t slot)
{
    if (ix->newest == slot)
        return;
    recency_unlink(ix, slot);
    recency_append(ix, slot);
}
