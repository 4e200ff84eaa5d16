/*
 * The DGA detector: per client, which names of which day's Conficker list
 * it looked up. See include/wormwatch/dga_detect.h for the idea.
 *
 * A client record (under 1 KB) holds up to four lists, one per
 * (variant, day) it drew names from: an infected host uses one list a day
 * per variant, and around midnight two, so four is room for both variants
 * across a day boundary; a fifth list takes the place of the least recently
 * used. Each list keeps three bitmaps over the 250 names (looked up,
 * answered, last answer NXDOMAIN), which makes repeats free to count once,
 * plus the first names seen as text for the report. Up to eight queries per
 * client wait for their answers in a ring; a query pushed out before its
 * answer is counted, and its answer then counts as unpaired.
 *
 * Records live in one array allocated at creation, found through the
 * project's bounded index (index.h), whose recency list gives the client to
 * evict in O(1). Only a match makes a record, so ordinary DNS costs one
 * day-set lookup and nothing else.
 */
#include "wormwatch/dga_detect.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/index.h"

#define LISTS_PER_CLIENT 4
#define PENDING_PER_CLIENT 8
#define NAME_BITS_BYTES ((WW_DGA_NAMES + 7) / 8)
#define DNS_CLASS_IN 1
#define DNS_OPCODE_QUERY 0

/* What one client looked up from one (variant, day) list. */
struct list_state {
    bool used;
    bool reported;
    uint8_t variant;
    int32_t day;                    /* the list's day */
    uint64_t first_seen_ns, last_seen_ns;
    uint16_t distinct, answered, nxdomain;
    uint8_t looked_up[NAME_BITS_BYTES];
    uint8_t answered_bits[NAME_BITS_BYTES];
    uint8_t nxdomain_bits[NAME_BITS_BYTES];
    uint8_t sample_count;
    char samples[WW_DGA_REPORT_SAMPLES][WW_DGA_NAME_MAX];
};

/* A query on a list whose answer has not been seen yet. */
struct pending_query {
    bool used;
    uint8_t variant;
    uint16_t id;      /* DNS ID */
    uint16_t index;   /* the name's place in its list */
    int32_t day;      /* the list's day */
    uint32_t resolver;
};

struct client {
    uint32_t addr;
    uint8_t pending_next; /* where the next query goes in the ring */
    struct list_state lists[LISTS_PER_CLIENT];
    struct pending_query pending[PENDING_PER_CLIENT];
};

struct ww_dga_detect {
    struct ww_dga_detect_config cfg;
    ww_dga_report_fn report;
    void *ctx;
    struct ww_index index;   /* client address -> slot in clients[] */
    struct client *clients;  /* cfg.max_clients records */
    struct ww_dga_days days;
    struct ww_dga_detect_stats stats;
};

void ww_dga_detect_config_default(struct ww_dga_detect_config *cfg)
{
    cfg->min_names = WW_DGA_DEFAULT_MIN_NAMES;
    cfg->max_clients = WW_DGA_DEFAULT_MAX_CLIENTS;
}

static bool config_valid(const struct ww_dga_detect_config *cfg)
{
    return cfg->min_names >= 2 && cfg->min_names <= WW_DGA_NAMES && cfg->max_clients > 0 &&
           cfg->max_clients < WW_INDEX_NONE;
}

size_t ww_dga_detect_bytes(const struct ww_dga_detect_config *cfg)
{
    return sizeof(struct ww_dga_detect) +
           (size_t)cfg->max_clients * (sizeof(struct client) + ww_index_bytes_per_slot());
}

struct ww_dga_detect *ww_dga_detect_new(const struct ww_dga_detect_config *cfg,
                                        ww_dga_report_fn report, void *ctx)
{
    if (!config_valid(cfg))
        return NULL;
    struct ww_dga_detect *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = *cfg;
    d->report = report;
    d->ctx = ctx;
    d->clients = calloc(cfg->max_clients, sizeof *d->clients);
    if (!d->clients || !ww_index_init(&d->index, cfg->max_clients)) {
        ww_dga_detect_free(d);
        return NULL;
    }
    ww_dga_days_init(&d->days);
    return d;
}

void ww_dga_detect_free(struct ww_dga_detect *d)
{
    if (!d)
        return;
    ww_index_free(&d->index);
    free(d->clients);
    free(d);
}

const struct ww_dga_detect_stats *ww_dga_detect_stats(const struct ww_dga_detect *d)
{
    return &d->stats;
}

const struct ww_dga_days_stats *ww_dga_detect_days_stats(const struct ww_dga_detect *d)
{
    return &d->days.stats;
}

/* ---- client records ----------------------------------------------------------- */

static bool client_matches(const void *key, uint32_t slot, const void *ctx)
{
    const struct ww_dga_detect *d = ctx;
    return d->clients[slot].addr == *(const uint32_t *)key;
}

static struct client *client_get(struct ww_dga_detect *d, uint32_t addr)
{
    uint32_t hash = (uint32_t)ww_hash_u32(&d->cfg.key, addr);
    uint32_t slot = ww_index_find(&d->index, hash, &addr, client_matches, d);
    if (slot != WW_INDEX_NONE) {
        ww_index_touch(&d->index, slot);
        return &d->clients[slot];
    }
    if (ww_index_full(&d->index)) {
        ww_index_remove(&d->index, ww_index_oldest(&d->index));
        d->stats.client_evictions++;
    }
    slot = ww_index_insert(&d->index, hash); /* a slot is free now */
    struct client *c = &d->clients[slot];
    memset(c, 0, sizeof *c);
    c->addr = addr;
    d->stats.clients++;
    return c;
}

/* The client's list for (variant, day): found, a free one, or the least recently used. */
static struct list_state *list_get(struct ww_dga_detect *d, struct client *c,
                                   const struct ww_dga_match *m, uint64_t ts_ns)
{
    struct list_state *free_one = NULL, *oldest = NULL;
    for (int i = 0; i < LISTS_PER_CLIENT; i++) {
        struct list_state *l = &c->lists[i];
        if (!l->used) {
            if (!free_one)
                free_one = l;
            continue;
        }
        if (l->variant == m->variant && l->day == m->day)
            return l;
        if (!oldest || l->last_seen_ns < oldest->last_seen_ns)
            oldest = l;
    }
    struct list_state *l = free_one;
    if (!l) {
        l = oldest;
        d->stats.list_evictions++;
    }
    memset(l, 0, sizeof *l);
    l->used = true;
    l->variant = (uint8_t)m->variant;
    l->day = m->day;
    l->first_seen_ns = ts_ns;
    return l;
}

static bool bit_get(const uint8_t *bits, unsigned i)
{
    return bits[i / 8] & (1u << (i % 8));
}

static void bit_set(uint8_t *bits, unsigned i, bool on)
{
    if (on)
        bits[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        bits[i / 8] &= (uint8_t)~(1u << (i % 8));
}

/* A name of the list looked up (a query, or a response whose query was not seen). */
static void note_lookup(struct list_state *l, const struct ww_dga_match *m,
                        const struct ww_dns_message *msg, uint64_t ts_ns)
{
    l->last_seen_ns = ts_ns;
    if (bit_get(l->looked_up, m->index))
        return;
    bit_set(l->looked_up, m->index, true);
    l->distinct++;
    if (l->sample_count < WW_DGA_REPORT_SAMPLES) {
        size_t len = msg->qname_len;
        if (len && msg->qname[len - 1] == '.')
            len--;
        char *out = l->samples[l->sample_count++];
        for (size_t i = 0; i < len; i++) { /* a match is shorter than WW_DGA_NAME_MAX */
            char ch = msg->qname[i];
            out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        }
        out[len] = '\0';
    }
}

static void note_answer(struct list_state *l, unsigned index, uint8_t rcode)
{
    if (!bit_get(l->answered_bits, index)) {
        bit_set(l->answered_bits, index, true);
        l->answered++;
    }
    bool nx = rcode == WW_DNS_RCODE_NXDOMAIN;
    if (nx != bit_get(l->nxdomain_bits, index)) {
        bit_set(l->nxdomain_bits, index, nx);
        if (nx)
            l->nxdomain++;
        else
            l->nxdomain--;
    }
}

/* ---- pairing queries with responses --------------------------------------------- */

static bool same_query(const struct pending_query *p, uint32_t resolver, uint16_t id,
                       const struct ww_dga_match *m)
{
    return p->used && p->resolver == resolver && p->id == id && p->variant == m->variant &&
           p->day == m->day && p->index == m->index;
}

static void remember_query(struct ww_dga_detect *d, struct client *c, uint32_t resolver,
                           uint16_t id, const struct ww_dga_match *m)
{
    for (int i = 0; i < PENDING_PER_CLIENT; i++)
        if (same_query(&c->pending[i], resolver, id, m))
            return; /* a retransmission: the first is still waiting */
    struct pending_query *p = &c->pending[c->pending_next];
    c->pending_next = (uint8_t)((c->pending_next + 1) % PENDING_PER_CLIENT);
    if (p->used)
        d->stats.pending_evictions++;
    *p = (struct pending_query){true, (uint8_t)m->variant, id, m->index, m->day, resolver};
}

/* Takes the response's query off the ring; false if it was not there. */
static bool answer_query(struct client *c, uint32_t resolver, uint16_t id,
                         const struct ww_dga_match *m)
{
    for (int i = 0; i < PENDING_PER_CLIENT; i++) {
        if (same_query(&c->pending[i], resolver, id, m)) {
            c->pending[i].used = false;
            return true;
        }
    }
    return false;
}

/* ---- the detector ----------------------------------------------------------------- */

static void maybe_report(struct ww_dga_detect *d, const struct client *c, struct list_state *l,
                         uint64_t ts_ns, uint32_t resolver)
{
    if (l->reported || l->distinct < d->cfg.min_names)
        return;
    l->reported = true;
    d->stats.reports++;
    if (!d->report)
        return;
    struct ww_dga_report r = {
        .ts_ns = ts_ns,
        .first_seen_ns = l->first_seen_ns,
        .client = c->addr,
        .resolver = resolver,
        .variant = (enum ww_dga_variant)l->variant,
        .list_date = ww_dga_date_of_day(l->day),
        .distinct = l->distinct,
        .answered = l->answered,
        .nxdomain = l->nxdomain,
        .nxdomain_share = l->answered ? (double)l->nxdomain / l->answered : 0.0,
        .sample_count = l->sample_count,
    };
    memcpy(r.samples, l->samples, sizeof r.samples);
    d->report(d->ctx, &r);
}

void ww_dga_detect_message(struct ww_dga_detect *d, uint64_t ts_ns, uint32_t client,
                           uint32_t resolver, const struct ww_dns_message *msg, bool is_response)
{
    d->stats.messages++;
    if (!msg->has_question || msg->opcode != DNS_OPCODE_QUERY || msg->qclass != DNS_CLASS_IN) {
        d->stats.skipped++;
        return;
    }
    if (msg->response != is_response) {
        d->stats.direction_mismatch++;
        return;
    }
    ww_dga_days_advance(&d->days, ts_ns);
    struct ww_dga_match m;
    if (!ww_dga_days_lookup(&d->days, msg->qname, msg->qname_len, &m))
        return;
    d->stats.matches++;
    struct client *c = client_get(d, client);
    struct list_state *l = list_get(d, c, &m, ts_ns);
    if (!is_response) {
        note_lookup(l, &m, msg, ts_ns);
        remember_query(d, c, resolver, msg->id, &m);
    } else {
        if (answer_query(c, resolver, msg->id, &m))
            d->stats.paired++;
        else
            d->stats.unpaired_responses++;
        note_lookup(l, &m, msg, ts_ns); /* counts once if the query was seen */
        note_answer(l, m.index, msg->rcode);
    }
    maybe_report(d, c, l, ts_ns, resolver);
}
