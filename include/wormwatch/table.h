/*
 * Per-source state table: one fixed-size record per IPv4 source.
 *
 * The table does not know what the records hold (detect.c lays them out); it
 * knows keys, recency and memory. Its capacity is fixed at creation from a
 * memory budget and never grows. Eviction policy: when full, of the
 * `sample` least recently active sources the one whose record scores
 * lowest (the owner's measure of evidence; by default all score the same,
 * so the oldest) is evicted to admit the new one; a source idle for longer
 * than the idle timeout expires. Both are counted.
 */
#ifndef WW_TABLE_H
#define WW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ww_table_stats {
    uint32_t entries;       /* sources held now */
    uint32_t capacity;      /* sources it can hold */
    uint32_t record_bytes;  /* bytes per source record, index included */
    uint64_t memory_bytes;  /* bytes allocated */
    uint64_t inserts;
    uint64_t evictions;     /* pushed out by a newer source while full */
    uint64_t expirations;   /* forgotten after idle_timeout */
};

struct ww_table;

/* How much a record is worth keeping (higher: keep). */
typedef uint32_t (*ww_table_score_fn)(const void *value, const void *ctx);

/*
 * A table of records holding `value_size` bytes each, as many as fit in
 * `memory_budget` bytes. NULL if not even one fits or memory is short.
 */
struct ww_table *ww_table_new(size_t value_size, uint64_t memory_budget, uint64_t idle_timeout_ns);
void ww_table_free(struct ww_table *table);

/*
 * `hash` is always the caller's keyed hash of `src` (hash.h: ww_hash_u32),
 * the same for every call about one source.
 */

/* The record of `src`, or NULL if it has none. Does not refresh it. */
void *ww_table_find(struct ww_table *table, uint32_t src, uint32_t hash);
/* The record of `src`, marked active at now_ns; NULL if it has none. */
void *ww_table_touch(struct ww_table *table, uint32_t src, uint32_t hash, uint64_t now_ns);
/*
 * The record of `src`, created zeroed if new (evicting the least recently
 * active source if the table is full); marks it active at now_ns.
 */
void *ww_table_upsert(struct ww_table *table, uint32_t src, uint32_t hash, uint64_t now_ns,
                      bool *created);
/* When full, evict the lowest-scoring of the `sample` oldest records. */
void ww_table_set_eviction(struct ww_table *table, ww_table_score_fn score, const void *ctx,
                           uint32_t sample);
/* Forgets `src` (e.g. promoted to another table). */
void ww_table_remove(struct ww_table *table, uint32_t src, uint32_t hash);
/* Forgets the sources idle for longer than the idle timeout at now_ns. */
void ww_table_expire(struct ww_table *table, uint64_t now_ns);

const struct ww_table_stats *ww_table_stats(const struct ww_table *table);

#endif
