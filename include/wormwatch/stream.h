/*
 * Stream: a bounded store of watched TCP flows that hands their bytes, in
 * order, to a consumer (the SMB parser).
 *
 * Only what a decision needs is kept. The store never buffers a flow's bytes
 * for the consumer: each in-order segment is passed on at once and forgotten,
 * and the consumer copies the few bytes it needs (a message header, the start
 * of an RPC stub) into its own fixed per-flow state. The store's one buffer is
 * a small hold for a segment that arrived ahead of a hole, so that a simple
 * reordering on a SPAN port costs nothing; a hole that does not fill in time
 * is reported as a gap of N bytes and the consumer decides whether that lost
 * it anything (a gap inside a message body it was skipping does not).
 *
 * A flow is created by its client's first data segment, whose sequence number
 * is taken as the start: flows whose SYN was never seen (a sensor started
 * mid-flow, a capture cut) work the same, and a SYN flood costs nothing, as a
 * SYN alone creates no state. A SYN on a known 4-tuple starts a new flow in
 * its place. FIN or RST from either side ends it; an idle one expires in
 * packet time; when the store is full the least recently active goes. All of
 * it is counted.
 *
 * Memory is fixed at creation from a budget: each slot is the flow record,
 * the hold buffer and the consumer's state, allocated once (index.h). The
 * store never hashes: the caller passes a hash of the key (the pipeline keys
 * its hashes with a secret, so a remote sender cannot aim at one bucket).
 */
#ifndef WW_STREAM_H
#define WW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/triage.h"

/* A flow, named from its client's side (the one that connected). */
struct ww_stream_key {
    uint32_t client, server;           /* IPv4, host order */
    uint16_t client_port, server_port;
};

enum ww_stream_dir {
    WW_STREAM_TO_SERVER, /* the client's bytes */
    WW_STREAM_TO_CLIENT  /* the server's answers */
};

enum ww_stream_chunk_kind {
    WW_STREAM_DATA, /* the next bytes of this direction, in order */
    WW_STREAM_GAP,  /* bytes that will never be seen; DATA resumes after them */
    WW_STREAM_END   /* the flow is being forgotten (closed, idle, evicted, flushed) */
};

/* One TCP segment, as the caller decoded it. */
struct ww_segment {
    uint64_t ts_ns;         /* packet time */
    uint32_t seq;           /* TCP sequence number */
    uint8_t tcp_flags;      /* WW_TCP_* (decode.h) */
    const uint8_t *payload; /* the payload bytes captured */
    size_t captured;        /* how many of them there are */
    size_t len;             /* the payload's length on the wire (from the IP header): the
                               bytes past `captured` that the snap length cut are a gap */
};

struct ww_stream_chunk {
    enum ww_stream_chunk_kind kind;
    enum ww_stream_dir dir;
    uint64_t ts_ns;      /* packet time of the segment that completed this chunk */
    const uint8_t *data; /* DATA: the bytes (valid during the call only) */
    size_t len;          /* DATA: bytes; GAP: bytes lost; END: 0 */
    /* DATA from the client: the consumer may set *skip to a count of the
       bytes that follow which it has no use for (the rest of a body it does
       not read). They are never delivered, nor is a segment that only
       carries them, and triage learns to drop those (triage.h). */
    size_t *skip;
};

/*
 * Receives a flow's next chunk with the consumer's state for that flow
 * (state_size bytes, zeroed when the flow was created). Returns false to give
 * up on this direction of the flow: its later bytes are counted and dropped.
 * END comes once, last, whatever was returned before (its result is unused).
 */
typedef bool (*ww_stream_consumer)(void *ctx, const struct ww_stream_key *key, void *state,
                                   const struct ww_stream_chunk *chunk);

struct ww_stream_config {
    size_t memory_bytes;       /* budget for the whole store */
    size_t state_size;         /* consumer's bytes per flow */
    size_t hold_bytes;         /* out-of-order bytes held per flow (client side only; 0: none) */
    uint64_t idle_timeout_ns;  /* a flow silent this long is forgotten */
    ww_stream_consumer consumer;
    void *consumer_ctx;
};

struct ww_stream_stats {
    uint64_t flows;         /* flows created */
    uint64_t evicted;       /* least recently active flow pushed out of a full store */
    uint64_t expired;       /* idle past the timeout */
    uint64_t closed;        /* ended by FIN or RST */
    uint64_t restarted;     /* a SYN on a known 4-tuple began a new flow */
    uint64_t segments;      /* data segments of known flows */
    uint64_t bytes;         /* bytes delivered in order */
    uint64_t retransmitted; /* segments with nothing new */
    uint64_t overlap_bytes; /* old bytes cut from segments that also had new ones */
    uint64_t held;          /* segments held ahead of a hole */
    uint64_t filled;        /* holes filled while their successor was held */
    uint64_t gaps;          /* holes given up on, and cut segment tails */
    uint64_t gap_bytes;     /* bytes in them */
    uint64_t cut_bytes;     /* of which cut by the snap length */
    uint64_t abandoned;     /* directions the consumer gave up on */
    uint64_t ignored_bytes; /* bytes of abandoned directions */
    uint64_t unknown_server_segments; /* server data for no known flow (its client never sent) */
    uint64_t skipped_bytes; /* client bytes the consumer said it had no use for */
};

struct ww_stream_store;

/* Bytes one flow costs with this state and hold size (for budgets). */
size_t ww_stream_bytes_per_flow(size_t state_size, size_t hold_bytes);
/* NULL when the budget holds no flow or memory could not be had. */
struct ww_stream_store *ww_stream_new(const struct ww_stream_config *cfg);
void ww_stream_free(struct ww_stream_store *store);

/*
 * Feeds one TCP segment of a flow, in either direction. `hash` is the caller's
 * hash of *key (a function of the key alone, equal for both directions).
 * Zero-length segments only matter for their flags. Moves packet time on.
 */
void ww_stream_segment(struct ww_stream_store *store, uint32_t hash,
                       const struct ww_stream_key *key, enum ww_stream_dir dir,
                       const struct ww_segment *seg);
/* Moves packet time forward (a quiet link) and expires idle flows. */
void ww_stream_advance(struct ww_stream_store *store, uint64_t now_ns);
/* End of input: every flow delivers what it holds and is forgotten. */
void ww_stream_flush(struct ww_stream_store *store);

const struct ww_stream_stats *ww_stream_stats(const struct ww_stream_store *store);
uint32_t ww_stream_capacity(const struct ww_stream_store *store);
uint32_t ww_stream_active(const struct ww_stream_store *store);
/* The flows' skipped client bytes, for triage. */
const struct ww_flow_skips *ww_stream_skips(const struct ww_stream_store *store);

#endif
