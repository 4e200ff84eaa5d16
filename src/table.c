/*
 * Per-source table over index.h: records live in one flat array allocated at
 * creation; slot i of the index is record i. A record is a small header (key,
 * last activity) followed by the caller's value bytes, 8-byte aligned.
 */
#include "wormwatch/table.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/index.h"

struct record_header {
    uint32_t src;
    uint32_t reserved;
    uint64_t last_active_ns;
};

struct ww_table {
    struct ww_index index;
    uint8_t *records;
    size_t record_size; /* header + value, rounded up to 8 */
    uint64_t idle_timeout_ns;
    ww_table_score_fn score;     /* NULL: evict the oldest */
    const void *score_ctx;
    uint32_t sample;             /* oldest records looked at when evicting */
    struct ww_table_stats stats;
};

static struct record_header *record_at(const struct ww_table *t, uint32_t slot)
{
    return (struct record_header *)(void *)(t->records + (size_t)slot * t->record_size);
}

static void *value_of(struct record_header *h)
{
    return h + 1;
}

struct ww_table *ww_table_new(size_t value_size, uint64_t memory_budget, uint64_t idle_timeout_ns)
{
    size_t record_size = (sizeof(struct record_header) + value_size + 7) & ~(size_t)7;
    size_t per_source = record_size + ww_index_bytes_per_slot();
    uint64_t capacity = memory_budget / per_source;
    if (capacity == 0)
        return NULL;
    if (capacity > UINT32_MAX - 1)
        capacity = UINT32_MAX - 1;
    struct ww_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->record_size = record_size;
    t->idle_timeout_ns = idle_timeout_ns;
    t->records = malloc((size_t)capacity * record_size);
    if (!t->records || !ww_index_init(&t->index, (uint32_t)capacity)) {
        ww_table_free(t);
        return NULL;
    }
    t->stats.capacity = (uint32_t)capacity;
    t->stats.record_bytes = (uint32_t)per_source;
    t->stats.memory_bytes = (uint64_t)capacity * per_source;
    return t;
}

void ww_table_free(struct ww_table *t)
{
    if (!t)
        return;
    ww_index_free(&t->index);
    free(t->records);
    free(t);
}

static bool src_matches(const void *key, uint32_t slot, const void *ctx)
{
    return record_at(ctx, slot)->src == *(const uint32_t *)key;
}

void *ww_table_find(struct ww_table *t, uint32_t src, uint32_t hash)
{
    uint32_t slot = ww_index_find(&t->index, hash, &src, src_matches, t);
    return slot == WW_INDEX_NONE ? NULL : value_of(record_at(t, slot));
}

/* The record in `slot` is active at now_ns: newest for eviction and expiry. */
static void *mark_active(struct ww_table *t, uint32_t slot, uint64_t now_ns)
{
    ww_index_touch(&t->index, slot);
    struct record_header *h = record_at(t, slot);
    if (now_ns > h->last_active_ns)
        h->last_active_ns = now_ns;
    return value_of(h);
}

void *ww_table_touch(struct ww_table *t, uint32_t src, uint32_t hash, uint64_t now_ns)
{
    uint32_t slot = ww_index_find(&t->index, hash, &src, src_matches, t);
    return slot == WW_INDEX_NONE ? NULL : mark_active(t, slot, now_ns);
}

void ww_table_expire(struct ww_table *t, uint64_t now_ns)
{
    uint32_t slot;
    while ((slot = ww_index_oldest(&t->index)) != WW_INDEX_NONE) {
        struct record_header *h = record_at(t, slot);
        if (now_ns <= h->last_active_ns || now_ns - h->last_active_ns <= t->idle_timeout_ns)
            break;
        ww_index_remove(&t->index, slot);
        t->stats.expirations++;
    }
    t->stats.entries = t->index.used;
}

void ww_table_set_eviction(struct ww_table *t, ww_table_score_fn score, const void *ctx,
                           uint32_t sample)
{
    t->score = score;
    t->score_ctx = ctx;
    t->sample = sample ? sample : 1;
}

/* The lowest-scoring of the `sample` least recently active records. */
static uint32_t eviction_victim(const struct ww_table *t)
{
    uint32_t victim = ww_index_oldest(&t->index);
    if (!t->score)
        return victim;
    uint32_t best = t->score(value_of(record_at(t, victim)), t->score_ctx);
    uint32_t slot = victim;
    for (uint32_t n = 1; n < t->sample && (slot = t->index.newer[slot]) != WW_INDEX_NONE; n++) {
        uint32_t score = t->score(value_of(record_at(t, slot)), t->score_ctx);
        if (score < best) {
            best = score;
            victim = slot;
        }
    }
    return victim;
}

void ww_table_remove(struct ww_table *t, uint32_t src, uint32_t hash)
{
    uint32_t slot = ww_index_find(&t->index, hash, &src, src_matches, t);
    if (slot != WW_INDEX_NONE)
        ww_index_remove(&t->index, slot);
    t->stats.entries = t->index.used;
}

void *ww_table_upsert(struct ww_table *t, uint32_t src, uint32_t hash, uint64_t now_ns,
                      bool *created)
{
    uint32_t slot = ww_index_find(&t->index, hash, &src, src_matches, t);
    *created = slot == WW_INDEX_NONE;
    if (!*created)
        return mark_active(t, slot, now_ns);
    if (ww_index_full(&t->index)) {
        ww_index_remove(&t->index, eviction_victim(t));
        t->stats.evictions++;
    }
    slot = ww_index_insert(&t->index, hash);
    memset(record_at(t, slot), 0, t->record_size);
    record_at(t, slot)->src = src;
    t->stats.inserts++;
    t->stats.entries = t->index.used;
    return mark_active(t, slot, now_ns);
}

const struct ww_table_stats *ww_table_stats(const struct ww_table *t)
{
    return &t->stats;
}
