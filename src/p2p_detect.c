/*
 * Conficker.C P2P scan detector (see include/wormwatch/p2p_detect.h).
 *
 * The work per packet is bounded by a port computation (about 35 ns) and a
 * table lookup, and most packets get neither: a port the worm never picks
 * (all below 2048, and 8128 well-known ones above) is dismissed with a bit
 * test. A source is only given a record when it hits, so the table holds
 * the few sources whose traffic touched a computed port; its window is kept
 * as the distinct destinations hit, each with the number of the candidate
 * packet that last hit it, and is trimmed when a new hit arrives. Payloads
 * are read as messages only where a match makes it worthwhile: a UDP
 * datagram to a computed port, TCP data to a computed port from a source
 * with a record (its SYN hit), or data from a computed port of the sender
 * back to a source with a record (a peer answering the probe).
 */
#include "wormwatch/p2p_detect.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/index.h"

#define NS_PER_S 1000000000ULL

struct hit {
    uint32_t dst;       /* destination hit (or answered, for serving) */
    uint32_t candidate; /* the source's candidate count when it was last hit */
    uint16_t port;      /* the computed port */
    bool tcp;
    uint8_t how;        /* enum ww_p2p_match */
};

struct record {
    uint32_t src;
    uint32_t candidates;     /* candidate packets since the first hit, that one included */
    uint64_t first_hit_ns;
    uint64_t last_hit_ns;    /* recency for expiry (the index's list is in this order) */
    uint32_t hits, adjacent_hits;
    uint32_t verified, serving, nmap_shaped;
    bool flagged;            /* alerted: the rest of its traffic is only counted */
    uint8_t window_used;     /* entries in window[] */
    uint8_t verified_used;   /* entries in verified_to[] */
    struct hit window[WW_P2P_MAX_TARGETS];      /* distinct targets, oldest first */
    struct hit verified_to[WW_P2P_MAX_TARGETS]; /* distinct targets sent a verified message */
    struct hit served;       /* the last verified message it sent from its own port */
};

struct ww_p2p_detector {
    struct ww_p2p_detect_config cfg;
    struct ww_index index;
    struct record *records; /* slot i of the index is records[i] */
    ww_p2p_alert_fn on_alert;
    void *ctx;
    struct ww_p2p_detect_stats stats;
    struct ww_addr_filter talkers; /* the records' sources, for triage */
    bool talkers_stale;            /* a record went since the last rebuild */
    uint64_t talkers_built_ns;     /* packet time of that rebuild */
};

size_t ww_p2p_detect_bytes_per_source(void)
{
    return sizeof(struct record) + ww_index_bytes_per_slot();
}

void ww_p2p_detect_config_default(struct ww_p2p_detect_config *cfg)
{
    *cfg = (struct ww_p2p_detect_config){
        .capacity = 4096,
        .min_targets = 3,
        .window = 64,
        .min_verified_targets = 2,
        .min_serving = 1,
        .week_slack_ns = 86400 * NS_PER_S,
        .idle_timeout_ns = 3600 * NS_PER_S,
    };
}

const char *ww_p2p_reason_name(enum ww_p2p_reason reason)
{
    switch (reason) {
    case WW_P2P_REASON_PORTS:
        return "ports";
    case WW_P2P_REASON_MESSAGES:
        return "messages";
    case WW_P2P_REASON_SERVING:
        return "serving";
    }
    return "unknown";
}

struct ww_p2p_detector *ww_p2p_detector_new(const struct ww_p2p_detect_config *cfg,
                                            ww_p2p_alert_fn on_alert, void *ctx)
{
    if (cfg->capacity == 0 || cfg->capacity >= WW_INDEX_NONE || cfg->min_targets == 0 ||
        cfg->min_targets > WW_P2P_MAX_TARGETS || cfg->window < cfg->min_targets ||
        cfg->min_verified_targets == 0 || cfg->min_verified_targets > WW_P2P_MAX_TARGETS ||
        cfg->min_serving == 0 || cfg->week_slack_ns >= WW_P2P_WEEK_S * NS_PER_S / 2)
        return NULL;
    struct ww_p2p_detector *det = calloc(1, sizeof *det);
    if (!det)
        return NULL;
    det->cfg = *cfg;
    det->on_alert = on_alert;
    det->ctx = ctx;
    det->records = calloc(cfg->capacity, sizeof *det->records);
    if (!det->records || !ww_index_init(&det->index, cfg->capacity)) {
        ww_p2p_detector_free(det);
        return NULL;
    }
    det->stats.capacity = cfg->capacity;
    det->stats.memory_bytes =
        sizeof *det + (uint64_t)cfg->capacity * (sizeof(struct record) + ww_index_bytes_per_slot());
    return det;
}

void ww_p2p_detector_free(struct ww_p2p_detector *det)
{
    if (!det)
        return;
    ww_index_free(&det->index);
    free(det->records);
    free(det);
}

const struct ww_p2p_detect_stats *ww_p2p_detect_stats(const struct ww_p2p_detector *det)
{
    return &det->stats;
}

/* --- the table ----------------------------------------------------------------------------- */

static bool src_matches(const void *key, uint32_t slot, const void *ctx)
{
    const struct ww_p2p_detector *det = ctx;
    return det->records[slot].src == *(const uint32_t *)key;
}

static uint32_t src_hash(const struct ww_p2p_detector *det, uint32_t src)
{
    return (uint32_t)ww_hash_u32(&det->cfg.key, src);
}

static struct record *find(struct ww_p2p_detector *det, uint32_t src)
{
    uint32_t slot = ww_index_find(&det->index, src_hash(det, src), &src, src_matches, det);
    return slot == WW_INDEX_NONE ? NULL : &det->records[slot];
}

static uint32_t slot_of(const struct ww_p2p_detector *det, const struct record *r)
{
    return (uint32_t)(r - det->records);
}

/* The record of `src` after a hit at now_ns: created if new (evicting the oldest if full). */
static struct record *hit_record(struct ww_p2p_detector *det, uint32_t src, uint64_t now_ns)
{
    struct record *r = find(det, src);
    if (!r) {
        if (ww_index_full(&det->index)) {
            ww_index_remove(&det->index, ww_index_oldest(&det->index));
            det->stats.evictions++;
            det->talkers_stale = true;
        }
        uint32_t slot = ww_index_insert(&det->index, src_hash(det, src));
        r = &det->records[slot];
        memset(r, 0, sizeof *r);
        r->src = src;
        r->first_hit_ns = now_ns;
        ww_addr_filter_add(&det->talkers, src);
        det->stats.records_created++;
        det->stats.records = det->index.used;
    }
    ww_index_touch(&det->index, slot_of(det, r));
    if (now_ns > r->last_hit_ns)
        r->last_hit_ns = now_ns;
    return r;
}

void ww_p2p_detect_expire(struct ww_p2p_detector *det, uint64_t now_ns)
{
    uint32_t slot;
    while ((slot = ww_index_oldest(&det->index)) != WW_INDEX_NONE) {
        const struct record *r = &det->records[slot];
        if (now_ns <= r->last_hit_ns || now_ns - r->last_hit_ns <= det->cfg.idle_timeout_ns)
            break;
        ww_index_remove(&det->index, slot);
        det->stats.expirations++;
        det->talkers_stale = true;
    }
    det->stats.records = det->index.used;
    /* Gone sources leave their bits set until a rebuild, at most once a second. */
    if (det->talkers_stale && now_ns - det->talkers_built_ns >= NS_PER_S) {
        memset(&det->talkers, 0, sizeof det->talkers);
        for (uint32_t s = ww_index_oldest(&det->index); s != WW_INDEX_NONE; s = det->index.newer[s])
            ww_addr_filter_add(&det->talkers, det->records[s].src);
        det->talkers_stale = false;
        det->talkers_built_ns = now_ns;
    }
}

const struct ww_addr_filter *ww_p2p_detect_talkers(const struct ww_p2p_detector *det)
{
    return &det->talkers;
}

/* --- evidence ------------------------------------------------------------------------------ */

static void copy_samples(struct ww_p2p_alert *a, const struct hit *hits, uint32_t n)
{
    a->samples = n < WW_P2P_SAMPLES ? n : WW_P2P_SAMPLES;
    for (uint32_t i = 0; i < a->samples; i++)
        a->sample[i] = (struct ww_p2p_sample){
            .dst = hits[i].dst, .dport = hits[i].port, .tcp = hits[i].tcp,
            .how = (enum ww_p2p_match)hits[i].how};
}

static void flag(struct ww_p2p_detector *det, struct record *r, enum ww_p2p_reason reason,
                 uint64_t ts_ns)
{
    r->flagged = true;
    det->stats.flagged++;
    struct ww_p2p_alert a = {
        .src = r->src,
        .reason = reason,
        .ts_ns = ts_ns,
        .first_hit_ns = r->first_hit_ns,
        .week = ww_p2p_week(ts_ns),
        .targets = r->window_used,
        .hits = r->hits,
        .candidates = r->candidates,
        .adjacent_hits = r->adjacent_hits,
        .verified = r->verified,
        .verified_targets = r->verified_used,
        .serving = r->serving,
        .nmap_shaped = r->nmap_shaped,
    };
    if (reason == WW_P2P_REASON_PORTS)
        copy_samples(&a, r->window, r->window_used);
    else if (reason == WW_P2P_REASON_MESSAGES)
        copy_samples(&a, r->verified_to, r->verified_used);
    else
        copy_samples(&a, &r->served, 1);
    if (det->on_alert)
        det->on_alert(det->ctx, &a);
}

/* Adds `h` to a list of distinct destinations (most recent last); the oldest goes when full. */
static void remember(struct hit *list, uint8_t *used, const struct hit *h)
{
    uint8_t n = *used, i;
    for (i = 0; i < n && list[i].dst != h->dst; i++)
        ;
    if (i == n && n == WW_P2P_MAX_TARGETS)
        i = 0; /* full: drop the oldest */
    else if (i == n)
        n++;
    memmove(&list[i], &list[i + 1], (size_t)(n - 1 - i) * sizeof *list);
    list[n - 1] = *h;
    *used = n;
}

/* A candidate that hit: slide the window, add the target, maybe flag. */
static void count_hit(struct ww_p2p_detector *det, struct record *r, const struct hit *h,
                      uint64_t ts_ns)
{
    r->hits++;
    if (h->how == WW_P2P_MATCH_ADJACENT)
        r->adjacent_hits++;
    uint8_t keep = 0;
    for (uint8_t i = 0; i < r->window_used; i++)
        if (h->candidate - r->window[i].candidate < det->cfg.window)
            r->window[keep++] = r->window[i];
    r->window_used = keep;
    remember(r->window, &r->window_used, h);
    if (!r->flagged && r->window_used >= det->cfg.min_targets)
        flag(det, r, WW_P2P_REASON_PORTS, ts_ns);
}

/* Reads a payload as a message; counts it; returns whether it verified. */
static bool check_message(struct ww_p2p_detector *det, const struct ww_p2p_packet *pkt,
                          struct ww_p2p_message *msg)
{
    size_t wire = pkt->payload_wire_len ? pkt->payload_wire_len : pkt->payload_len;
    det->stats.messages_checked++;
    enum ww_p2p_verdict v = ww_p2p_verify(pkt->payload, pkt->payload_len, wire, pkt->tcp, msg);
    if (v == WW_P2P_VALID) {
        det->stats.verified++;
        return true;
    }
    if (v == WW_P2P_TRUNCATED)
        det->stats.truncated++;
    else
        det->stats.rejected++;
    return false;
}

/* A verified message to a computed port of the destination. */
static void count_verified_to(struct ww_p2p_detector *det, struct record *r, const struct hit *h,
                              const struct ww_p2p_message *msg, uint64_t ts_ns)
{
    r->verified++;
    if (ww_p2p_nmap_shaped(msg))
        r->nmap_shaped++;
    remember(r->verified_to, &r->verified_used, h);
    if (!r->flagged && r->verified_used >= det->cfg.min_verified_targets)
        flag(det, r, WW_P2P_REASON_MESSAGES, ts_ns);
}

/* A payload sent from the source's own computed port to a prober we have a record of. */
static void check_serving(struct ww_p2p_detector *det, const struct ww_p2p_packet *pkt)
{
    if (!find(det, pkt->dst))
        return; /* nobody we saw probing: not worth a port computation */
    int64_t week;
    enum ww_p2p_match how = ww_p2p_match_port(pkt->src, pkt->sport, pkt->tcp, pkt->ts_ns,
                                              det->cfg.week_slack_ns, &week);
    if (how == WW_P2P_NO_MATCH)
        return;
    struct ww_p2p_message msg;
    if (!check_message(det, pkt, &msg))
        return;
    det->stats.serving++;
    struct record *r = hit_record(det, pkt->src, pkt->ts_ns);
    r->serving++;
    if (ww_p2p_nmap_shaped(&msg))
        r->nmap_shaped++;
    r->served = (struct hit){.dst = pkt->dst, .candidate = r->candidates, .port = pkt->sport,
                             .tcp = pkt->tcp, .how = (uint8_t)how};
    if (!r->flagged && r->serving >= det->cfg.min_serving)
        flag(det, r, WW_P2P_REASON_SERVING, pkt->ts_ns);
}

void ww_p2p_detect_packet(struct ww_p2p_detector *det, const struct ww_p2p_packet *pkt)
{
    det->stats.packets++;
    ww_p2p_detect_expire(det, pkt->ts_ns);
    bool has_payload = pkt->payload && pkt->payload_len > 0;
    bool candidate = !pkt->tcp || pkt->syn;

    if (!ww_p2p_port_excluded(pkt->dport)) {
        struct record *r = find(det, pkt->src);
        enum ww_p2p_match how = WW_P2P_NO_MATCH;
        int64_t week;
        /* TCP data is only worth a computation for a source whose SYN hit. */
        if (candidate || (r && has_payload))
            how = ww_p2p_match_port(pkt->dst, pkt->dport, pkt->tcp, pkt->ts_ns,
                                    det->cfg.week_slack_ns, &week);
        if (candidate) {
            det->stats.candidates++;
            if (how != WW_P2P_NO_MATCH) {
                det->stats.hits++;
                if (how == WW_P2P_MATCH_ADJACENT)
                    det->stats.adjacent_hits++;
                r = hit_record(det, pkt->src, pkt->ts_ns);
            }
            if (r)
                r->candidates++;
        }
        if (how != WW_P2P_NO_MATCH) {
            struct hit h = {.dst = pkt->dst, .candidate = r->candidates, .port = pkt->dport,
                            .tcp = pkt->tcp, .how = (uint8_t)how};
            if (candidate)
                count_hit(det, r, &h, pkt->ts_ns);
            struct ww_p2p_message msg;
            if (has_payload && check_message(det, pkt, &msg)) {
                if (!candidate)
                    hit_record(det, pkt->src, pkt->ts_ns); /* a message keeps it fresh */
                count_verified_to(det, r, &h, &msg, pkt->ts_ns);
            }
        }
    }
    if (has_payload && !ww_p2p_port_excluded(pkt->sport))
        check_serving(det, pkt);
}
