/*
 * Live-address table over index.h: slot i of the index holds address i.
 * Every IPv4 packet reports its source, so a small direct-mapped cache of
 * addresses known to be in the table answers most of them without a hash
 * lookup; it only forgoes refreshing their recency, and an address leaving
 * the table leaves the cache too. The cache slot is a cheap salted mix, not
 * SipHash: addresses aimed at one slot only cost each packet the keyed
 * lookup that a cache miss costs anyway.
 */
#include "wormwatch/hosts.h"

#include <stdlib.h>

#include "wormwatch/hash.h"
#include "wormwatch/index.h"

#define RECENT_SLOTS 256 /* power of two */

struct ww_hosts {
    uint32_t recent[RECENT_SLOTS]; /* addresses surely in the table, 0 = none */
    uint32_t recent_salt;          /* per-process: which slot an address takes */
    struct ww_index index;
    struct ww_hash_key key;
    uint32_t *addrs;
    struct ww_prefix_list scope;
    struct ww_hosts_stats stats;
};

struct ww_hosts *ww_hosts_new(uint32_t capacity, const struct ww_prefix_list *scope,
                              const struct ww_hash_key *key)
{
    struct ww_hosts *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->scope = *scope;
    h->key = *key;
    h->recent_salt = (uint32_t)(key->k1 >> 32);
    h->addrs = malloc((size_t)(capacity ? capacity : 1) * sizeof *h->addrs);
    if (!h->addrs || !ww_index_init(&h->index, capacity)) {
        ww_hosts_free(h);
        return NULL;
    }
    h->stats.capacity = capacity;
    return h;
}

void ww_hosts_free(struct ww_hosts *h)
{
    if (!h)
        return;
    ww_index_free(&h->index);
    free(h->addrs);
    free(h);
}

size_t ww_hosts_bytes_per_host(void)
{
    return sizeof(uint32_t) + ww_index_bytes_per_slot();
}

static bool addr_matches(const void *key, uint32_t slot, const void *ctx)
{
    const struct ww_hosts *h = ctx;
    return h->addrs[slot] == *(const uint32_t *)key;
}

static uint32_t find(const struct ww_hosts *h, uint32_t addr, uint32_t hash)
{
    return ww_index_find(&h->index, hash, &addr, addr_matches, h);
}

bool ww_hosts_in_scope(const struct ww_hosts *h, uint32_t addr)
{
    return ww_prefix_list_contains(&h->scope, addr);
}

static uint32_t *recent_slot(struct ww_hosts *h, uint32_t addr)
{
    return &h->recent[((addr ^ h->recent_salt) * 0x9E3779B1u) >> 24 & (RECENT_SLOTS - 1)];
}

void ww_hosts_saw(struct ww_hosts *h, uint32_t addr)
{
    uint32_t *recent = recent_slot(h, addr);
    if (addr == 0 || *recent == addr || !ww_hosts_in_scope(h, addr))
        return;
    uint32_t hash = (uint32_t)ww_hash_u32(&h->key, addr);
    uint32_t slot = find(h, addr, hash);
    if (slot != WW_INDEX_NONE) {
        ww_index_touch(&h->index, slot);
        *recent = addr;
        return;
    }
    if (ww_index_full(&h->index)) {
        uint32_t oldest = ww_index_oldest(&h->index);
        uint32_t *cached = recent_slot(h, h->addrs[oldest]);
        if (*cached == h->addrs[oldest])
            *cached = 0;
        ww_index_remove(&h->index, oldest);
        h->stats.evictions++;
    }
    slot = ww_index_insert(&h->index, hash);
    h->addrs[slot] = addr;
    *recent = addr;
    h->stats.learned++;
    h->stats.live = h->index.used;
}

bool ww_hosts_is_live(const struct ww_hosts *h, uint32_t addr)
{
    return find(h, addr, (uint32_t)ww_hash_u32(&h->key, addr)) != WW_INDEX_NONE;
}

const struct ww_hosts_stats *ww_hosts_stats(const struct ww_hosts *h)
{
    return &h->stats;
}
