/*
 * The per-source indicator table: a thin layer over table.h. See
 * indicators.h for why one table serves every detector.
 */
#include "wormwatch/indicators.h"

#include <stdlib.h>

struct ww_indicators {
    struct ww_table *table;
    struct ww_hash_key key;
};

const char *ww_indicator_name(enum ww_indicator what)
{
    static const char *const names[WW_IND__COUNT] = {"scan", "ms08_067", "ms17_010", "p2p",
                                                     "dga"};
    return (unsigned)what < WW_IND__COUNT ? names[what] : "unknown";
}

struct ww_indicators *ww_indicators_new(uint64_t memory, uint64_t idle_timeout_ns,
                                        const struct ww_hash_key *key)
{
    struct ww_indicators *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->key = *key;
    t->table = ww_table_new(sizeof(struct ww_host_indicators), memory, idle_timeout_ns);
    if (!t->table) {
        free(t);
        return NULL;
    }
    return t;
}

void ww_indicators_free(struct ww_indicators *t)
{
    if (!t)
        return;
    ww_table_free(t->table);
    free(t);
}

const struct ww_host_indicators *ww_indicators_note(struct ww_indicators *t, uint32_t src,
                                                    enum ww_indicator what, char variant,
                                                    uint64_t ts_ns)
{
    bool created;
    struct ww_host_indicators *h =
        ww_table_upsert(t->table, src, (uint32_t)ww_hash_u32(&t->key, src), ts_ns, &created);
    if (created || ts_ns < h->first_ns)
        h->first_ns = ts_ns;
    if (ts_ns > h->last_ns)
        h->last_ns = ts_ns;
    h->bits |= (uint8_t)WW_IND_BIT(what);
    if (variant)
        h->variant = variant;
    return h;
}

bool ww_indicators_may_alert(struct ww_indicators *t, uint32_t src, unsigned slot, uint64_t ts_ns,
                             uint64_t suppress_ns)
{
    if (slot >= WW_IND_ALERT_SLOTS)
        return true;
    bool created;
    struct ww_host_indicators *h =
        ww_table_upsert(t->table, src, (uint32_t)ww_hash_u32(&t->key, src), ts_ns, &created);
    uint64_t now_s = ts_ns / 1000000000ULL, last_s = h->alert_s[slot];
    if ((h->alerted >> slot & 1) && now_s >= last_s && (now_s - last_s) * 1000000000ULL < suppress_ns)
        return false;
    h->alerted |= (uint16_t)(1u << slot);
    h->alert_s[slot] = (uint32_t)(now_s > UINT32_MAX ? UINT32_MAX : now_s);
    return true;
}

const struct ww_host_indicators *ww_indicators_get(struct ww_indicators *t, uint32_t src)
{
    return ww_table_find(t->table, src, (uint32_t)ww_hash_u32(&t->key, src));
}

void ww_indicators_expire(struct ww_indicators *t, uint64_t now_ns)
{
    ww_table_expire(t->table, now_ns);
}

const struct ww_table_stats *ww_indicators_stats(const struct ww_indicators *t)
{
    return ww_table_stats(t->table);
}
