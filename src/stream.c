/*
 * Stream store: flows in a bounded index, each direction reassembled by
 * sequence number into in-order chunks for the consumer.
 *
 * Sequence numbers are compared as signed 32-bit distances, so wraparound
 * needs no special case. Overlaps are resolved first-wins: bytes already
 * delivered are never delivered again, whatever a retransmission claims they
 * were (an IDS-evasion trick relies on the reverse, and a decision taken on
 * the first copy is the one the receiver most likely kept).
 *
 * The hold: a segment ahead of a hole is copied into the flow's hold buffer
 * (client side only, where decisions are made), and segments that extend it
 * contiguously are appended. The hole fills when the missing bytes arrive,
 * which delivers them and then the held bytes. Anything else (a second hole,
 * a full hold, the flow ending) gives the hole up: a gap, then the held bytes.
 * One hole at a time is enough for the reordering a capture sees; a worse
 * path loses bytes, which the consumer is built to survive.
 */
#include "wormwatch/stream.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/bytes.h"
#include "wormwatch/decode.h"
#include "wormwatch/index.h"

struct half {
    uint32_t next_seq; /* sequence number of the next byte to deliver */
    bool started;      /* next_seq is known (this direction sent data) */
    bool abandoned;    /* the consumer gave up on it */
};

struct flow {
    struct ww_stream_key key;
    uint64_t last_ns;          /* packet time of its last segment */
    struct half half[2];       /* by enum ww_stream_dir */
    uint32_t hold_seq;         /* sequence number of hold[0] */
    uint32_t hold_len;         /* bytes held (0: no hole waiting) */
    uint64_t hold_ts_ns;       /* packet time of the newest held segment */
    /* hold_bytes of hold, then the consumer's state, follow in the slot */
};

struct ww_stream_store {
    struct ww_stream_config cfg;
    size_t slot_size;   /* bytes per slot: struct flow, hold, state, each aligned */
    size_t state_offset;
    uint8_t *slab;      /* capacity slots */
    struct ww_index index;
    uint64_t clock_ns;  /* newest packet time seen */
    struct ww_stream_stats stats;
    struct ww_flow_skips skips; /* what triage need not hand over again */
};

static size_t align_up(size_t n)
{
    size_t a = _Alignof(max_align_t);
    return (n + a - 1) / a * a;
}

static size_t state_offset_of(size_t hold_bytes)
{
    return align_up(sizeof(struct flow) + hold_bytes);
}

static size_t slot_size_of(size_t state_size, size_t hold_bytes)
{
    return state_offset_of(hold_bytes) + align_up(state_size);
}

size_t ww_stream_bytes_per_flow(size_t state_size, size_t hold_bytes)
{
    return slot_size_of(state_size, hold_bytes) + ww_index_bytes_per_slot();
}

struct ww_stream_store *ww_stream_new(const struct ww_stream_config *cfg)
{
    if (!cfg->consumer || cfg->hold_bytes > UINT32_MAX)
        return NULL;
    size_t per_flow = ww_stream_bytes_per_flow(cfg->state_size, cfg->hold_bytes);
    size_t capacity = cfg->memory_bytes / per_flow;
    if (capacity == 0)
        return NULL;
    if (capacity >= WW_INDEX_NONE)
        capacity = WW_INDEX_NONE - 1;
    struct ww_stream_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->slot_size = slot_size_of(cfg->state_size, cfg->hold_bytes);
    s->state_offset = state_offset_of(cfg->hold_bytes);
    s->slab = calloc(capacity, s->slot_size);
    if (!s->slab || !ww_index_init(&s->index, (uint32_t)capacity)) {
        ww_stream_free(s);
        return NULL;
    }
    return s;
}

void ww_stream_free(struct ww_stream_store *s)
{
    if (!s)
        return;
    ww_index_free(&s->index);
    free(s->slab);
    free(s);
}

const struct ww_stream_stats *ww_stream_stats(const struct ww_stream_store *s)
{
    return &s->stats;
}

uint32_t ww_stream_capacity(const struct ww_stream_store *s)
{
    return s->index.capacity;
}

uint32_t ww_stream_active(const struct ww_stream_store *s)
{
    return s->index.used;
}

const struct ww_flow_skips *ww_stream_skips(const struct ww_stream_store *s)
{
    return &s->skips;
}

/* --- slots ---------------------------------------------------------------- */

static struct flow *flow_at(const struct ww_stream_store *s, uint32_t slot)
{
    return (struct flow *)(void *)(s->slab + (size_t)slot * s->slot_size);
}

static uint8_t *hold_of(struct flow *f)
{
    return (uint8_t *)(f + 1);
}

static void *state_of(const struct ww_stream_store *s, struct flow *f)
{
    return (uint8_t *)f + s->state_offset;
}

static bool key_matches(const void *key, uint32_t slot, const void *ctx)
{
    const struct ww_stream_key *k = key;
    const struct ww_stream_key *have = &flow_at(ctx, slot)->key;
    return have->client == k->client && have->server == k->server &&
           have->client_port == k->client_port && have->server_port == k->server_port;
}

/* Signed distance from b to a in sequence space (RFC 1982 style). */
static int64_t seq_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000LL;
}

/* --- delivery ------------------------------------------------------------- */

static struct ww_flow_skip *skip_slot(struct ww_stream_store *s, const struct ww_stream_key *k)
{
    return &s->skips.slot[ww_flow_skip_slot(k->client, k->server, k->client_port, k->server_port)];
}

/* The client's next `n` bytes are done with: noted for the store and for triage. */
static void skip_ahead(struct ww_stream_store *s, struct flow *f, size_t n)
{
    struct half *h = &f->half[WW_STREAM_TO_SERVER];
    h->next_seq += (uint32_t)n;
    s->stats.skipped_bytes += n;
    struct ww_flow_skip *e = skip_slot(s, &f->key);
    if (!e->valid)
        s->skips.valid++;
    *e = (struct ww_flow_skip){f->key.client, f->key.server, f->key.client_port,
                               f->key.server_port, h->next_seq, true};
}

static void forget_skip(struct ww_stream_store *s, const struct ww_stream_key *k)
{
    struct ww_flow_skip *e = skip_slot(s, k);
    if (ww_flow_skip_is(e, k->client, k->server, k->client_port, k->server_port)) {
        e->valid = false;
        s->skips.valid--;
    }
}

static void deliver(struct ww_stream_store *s, struct flow *f, enum ww_stream_dir dir,
                    enum ww_stream_chunk_kind kind, const uint8_t *data, size_t len,
                    uint64_t ts_ns)
{
    struct half *h = &f->half[dir];
    h->next_seq += (uint32_t)len;
    if (kind == WW_STREAM_GAP) {
        s->stats.gaps++;
        s->stats.gap_bytes += len;
    } else {
        s->stats.bytes += len;
    }
    if (h->abandoned) {
        if (kind == WW_STREAM_DATA)
            s->stats.ignored_bytes += len;
        return;
    }
    size_t skip = 0;
    bool client_data = kind == WW_STREAM_DATA && dir == WW_STREAM_TO_SERVER;
    struct ww_stream_chunk chunk = {kind, dir, ts_ns, data, len, client_data ? &skip : NULL};
    if (!s->cfg.consumer(s->cfg.consumer_ctx, &f->key, state_of(s, f), &chunk)) {
        h->abandoned = true;
        s->stats.abandoned++;
    }
    if (skip > 0 && !h->abandoned) /* as if delivered: later copies are old news */
        skip_ahead(s, f, skip);
}

/* Gives up the hole before the held bytes: a gap, then what was held. */
static void release_hold(struct ww_stream_store *s, struct flow *f)
{
    if (f->hold_len == 0)
        return;
    struct half *h = &f->half[WW_STREAM_TO_SERVER];
    int64_t hole = seq_diff(f->hold_seq, h->next_seq);
    uint32_t len = f->hold_len, skip = 0;
    f->hold_len = 0;
    if (hole > 0)
        deliver(s, f, WW_STREAM_TO_SERVER, WW_STREAM_GAP, NULL, (size_t)hole, f->hold_ts_ns);
    else if (hole < 0)
        skip = (uint32_t)-hole < len ? (uint32_t)-hole : len;
    if (len > skip)
        deliver(s, f, WW_STREAM_TO_SERVER, WW_STREAM_DATA, hold_of(f) + skip, len - skip,
                f->hold_ts_ns);
}

/* After in-order bytes moved next_seq on: the held bytes follow if the hole is filled. */
static void try_fill(struct ww_stream_store *s, struct flow *f)
{
    if (f->hold_len == 0)
        return;
    if (seq_diff(f->hold_seq, f->half[WW_STREAM_TO_SERVER].next_seq) > 0)
        return;
    s->stats.filled++;
    release_hold(s, f);
}

/* A segment ahead of the next expected byte: held if it can be, else a gap. */
static void ahead(struct ww_stream_store *s, struct flow *f, uint32_t seq, const uint8_t *data,
                  size_t len, uint64_t ts_ns)
{
    size_t cap = s->cfg.hold_bytes;
    if (f->hold_len > 0) {
        int64_t at = seq_diff(seq, f->hold_seq);
        if (at >= 0 && at <= f->hold_len) {
            size_t dup = f->hold_len - (size_t)at; /* bytes already held */
            if (dup >= len) {
                s->stats.retransmitted++;
                return;
            }
            if (f->hold_len + (len - dup) <= cap) {
                memcpy(hold_of(f) + f->hold_len, data + dup, len - dup);
                f->hold_len += (uint32_t)(len - dup);
                f->hold_ts_ns = ts_ns;
                s->stats.held++;
                return;
            }
        }
        release_hold(s, f); /* a second hole, or no room: give the first up */
        int64_t d = seq_diff(seq, f->half[WW_STREAM_TO_SERVER].next_seq);
        if (d <= 0) { /* the released bytes reached into this segment */
            size_t old = (size_t)-d;
            if (old >= len) {
                s->stats.retransmitted++;
                return;
            }
            s->stats.overlap_bytes += old;
            deliver(s, f, WW_STREAM_TO_SERVER, WW_STREAM_DATA, data + old, len - old, ts_ns);
            return;
        }
    }
    if (len <= cap) {
        memcpy(hold_of(f), data, len);
        f->hold_seq = seq;
        f->hold_len = (uint32_t)len;
        f->hold_ts_ns = ts_ns;
        s->stats.held++;
        return;
    }
    int64_t hole = seq_diff(seq, f->half[WW_STREAM_TO_SERVER].next_seq);
    deliver(s, f, WW_STREAM_TO_SERVER, WW_STREAM_GAP, NULL, (size_t)hole, ts_ns);
    deliver(s, f, WW_STREAM_TO_SERVER, WW_STREAM_DATA, data, len, ts_ns);
}

/*
 * A segment of `wire` bytes of which the first `len` were captured (the snap
 * length cuts the rest): the bytes past next_seq are delivered, the cut ones
 * as a gap. Only a whole segment is held; a cut one ahead of a hole gives the
 * hole up at once.
 */
static void data_segment(struct ww_stream_store *s, struct flow *f, enum ww_stream_dir dir,
                         uint32_t seq, const uint8_t *data, size_t len, size_t wire,
                         uint64_t ts_ns)
{
    struct half *h = &f->half[dir];
    s->stats.segments++;
    if (!h->started) {
        h->started = true;
        h->next_seq = seq;
    }
    if (dir == WW_STREAM_TO_SERVER && seq_diff(seq, h->next_seq) > 0) {
        if (wire == len) {
            ahead(s, f, seq, data, len, ts_ns);
            return;
        }
        release_hold(s, f);
    }
    int64_t d = seq_diff(seq, h->next_seq);
    if (d <= 0 && (size_t)-d >= wire) {
        s->stats.retransmitted++;
        return;
    }
    if (d > 0) {
        deliver(s, f, dir, WW_STREAM_GAP, NULL, (size_t)d, ts_ns);
        d = 0;
    }
    size_t old = (size_t)-d;
    if (old < len) {
        s->stats.overlap_bytes += old;
        deliver(s, f, dir, WW_STREAM_DATA, data + old, len - old, ts_ns);
        if (dir == WW_STREAM_TO_SERVER)
            try_fill(s, f);
    }
    int64_t cut = seq_diff(seq + (uint32_t)wire, h->next_seq);
    if (cut > 0) {
        s->stats.cut_bytes += (uint64_t)cut;
        deliver(s, f, dir, WW_STREAM_GAP, NULL, (size_t)cut, ts_ns);
    }
}

/* --- the table ------------------------------------------------------------ */

/* Forgets a flow; what it holds is delivered first, so a last decision is taken. */
static void drop(struct ww_stream_store *s, uint32_t slot)
{
    struct flow *f = flow_at(s, slot);
    release_hold(s, f);
    struct ww_stream_chunk end = {WW_STREAM_END, WW_STREAM_TO_SERVER, s->clock_ns, NULL, 0, NULL};
    s->cfg.consumer(s->cfg.consumer_ctx, &f->key, state_of(s, f), &end);
    forget_skip(s, &f->key);
    ww_index_remove(&s->index, slot);
}

static void expire(struct ww_stream_store *s)
{
    uint32_t slot;
    while ((slot = ww_index_oldest(&s->index)) != WW_INDEX_NONE &&
           s->clock_ns - flow_at(s, slot)->last_ns > s->cfg.idle_timeout_ns) {
        s->stats.expired++;
        drop(s, slot);
    }
}

static uint32_t create(struct ww_stream_store *s, uint32_t hash, const struct ww_stream_key *key)
{
    if (ww_index_full(&s->index)) {
        s->stats.evicted++;
        drop(s, ww_index_oldest(&s->index));
    }
    uint32_t slot = ww_index_insert(&s->index, hash);
    struct flow *f = flow_at(s, slot);
    /* The hold area is only read up to hold_len, so it stays dirty: a slot
       is mostly hold, and zeroing it cost more than the rest of a flow. */
    memset(f, 0, sizeof *f);
    memset((uint8_t *)f + s->state_offset, 0, s->slot_size - s->state_offset);
    f->key = *key;
    s->stats.flows++;
    return slot;
}

void ww_stream_advance(struct ww_stream_store *s, uint64_t now_ns)
{
    if (now_ns > s->clock_ns)
        s->clock_ns = now_ns;
    expire(s);
}

void ww_stream_flush(struct ww_stream_store *s)
{
    uint32_t slot;
    while ((slot = ww_index_oldest(&s->index)) != WW_INDEX_NONE)
        drop(s, slot);
}

void ww_stream_segment(struct ww_stream_store *s, uint32_t hash, const struct ww_stream_key *key,
                       enum ww_stream_dir dir, const struct ww_segment *seg)
{
    ww_stream_advance(s, seg->ts_ns);
    uint32_t slot = ww_index_find(&s->index, hash, key, key_matches, s);
    uint8_t tcp_flags = seg->tcp_flags;
    bool syn = (tcp_flags & WW_TCP_SYN) != 0;
    if (syn && dir == WW_STREAM_TO_SERVER && !(tcp_flags & WW_TCP_ACK)) {
        if (slot != WW_INDEX_NONE) { /* the 4-tuple is reused: a new connection */
            s->stats.restarted++;
            drop(s, slot);
        }
        return;
    }
    if (syn) /* SYN-ACK: nothing to deliver, and it may carry no flow yet */
        return;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    if (seg->payload && seg->captured > 0) { /* a length without bytes is no data */
        struct ww_cursor c = ww_cursor_make(seg->payload, seg->captured);
        data = ww_take_bytes(&c, seg->captured);
        data_len = seg->captured;
    }
    size_t wire = seg->len > data_len ? seg->len : data_len;
    if (slot == WW_INDEX_NONE) {
        if (data_len == 0)
            return;
        if (dir == WW_STREAM_TO_CLIENT) {
            s->stats.unknown_server_segments++;
            return;
        }
        slot = create(s, hash, key);
    }
    struct flow *f = flow_at(s, slot);
    f->last_ns = s->clock_ns;
    ww_index_touch(&s->index, slot);
    if (wire > 0)
        data_segment(s, f, dir, seg->seq, data, data_len, wire, seg->ts_ns);
    if (tcp_flags & (WW_TCP_FIN | WW_TCP_RST)) {
        s->stats.closed++;
        drop(s, slot);
    }
}
