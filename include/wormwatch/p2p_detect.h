/*
 * Detector of Conficker.C peer-to-peer scanning.
 *
 * A C peer looks for peers by sending, to each address it picks, UDP
 * datagrams and TCP connections to the ports computed from that address
 * (p2p.h). A datagram or SYN to a random high port lands on one of its
 * destination's two ports for its protocol once in 32,000 times by chance
 * (three ports, once in 21,500, within a day of a week boundary, where the
 * neighbouring week's port counts too), so one hit means nothing; a source
 * whose hits cover several destinations close together in its traffic is
 * looking for Conficker peers. Three ways to be flagged, once per source:
 *
 *  - ports: hits on the ports of `min_targets` (3) distinct destinations
 *    within `window` (64) consecutive candidate packets of the source (UDP
 *    datagrams and TCP SYNs to a port the worm could pick; the rest never
 *    count). With p the chance of a hit, N candidates flag by chance with
 *    probability about N p (64 p)^2 / 2: 6e-6 to 2e-5 for a DHT client's
 *    100,000 datagrams, 0.6% to 2% for the 100 million replies a busy
 *    resolver sends to its clients' ports in a day (list such servers in
 *    never_flag). Counted without a window, the DHT client would reach 3
 *    targets after some 100,000 datagrams. A peer hits with nearly every
 *    packet it sends, so the window costs it nothing.
 *  - messages: a decrypted message with a matching checksum (2^-32 by
 *    chance) sent to the computed ports of `min_verified_targets` (2)
 *    distinct destinations. One message is one check of one host; two
 *    destinations are a peer (or nmap's p2p-conficker, whose probe shape
 *    the alert counts) looking for peers.
 *  - serving: a verified message sent *from* one of the source's own
 *    ports to a source that probed: it runs the P2P service, which is
 *    nmap's own proof of an infection. One is enough.
 *
 * Only sources with a hit get a record (448 bytes, 468 with the index), in
 * a table of fixed capacity (4096 by default: 1.9 MB): the least recently
 * hitting source is evicted when full, a source with no hit for
 * `idle_timeout` is forgotten; both counted. A record evicted after its
 * alert can alert again. Ordinary traffic costs a bit test per packet, and a
 * port computation (35 ns) and a lookup per candidate.
 */
#ifndef WW_P2P_DETECT_H
#define WW_P2P_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/triage.h"
#include "wormwatch/hash.h"

#include "wormwatch/p2p.h"

#define WW_P2P_MAX_TARGETS 16 /* most distinct targets a source's window holds */
#define WW_P2P_SAMPLES 4      /* targets named in an alert */

struct ww_p2p_detect_config {
    uint32_t capacity;              /* sources tracked at once */
    uint32_t min_targets;           /* distinct destinations hit for the ports rule, 1..16 */
    uint32_t window;                /* ... within this many consecutive candidate packets */
    uint32_t min_verified_targets;  /* distinct destinations sent a verified message, 1..16 */
    uint32_t min_serving;           /* verified messages sent from the source's own ports */
    uint64_t week_slack_ns;         /* the neighbouring week counts this close to a boundary */
    uint64_t idle_timeout_ns;       /* a source with no hit for this long is forgotten */
    struct ww_hash_key key;         /* keys the source table (the pipeline's own key) */
};

/* capacity 4096, 3 targets in 64 candidates, 2 verified targets, 1 serving, 1 day, 1 h. */
void ww_p2p_detect_config_default(struct ww_p2p_detect_config *cfg);

enum ww_p2p_reason {
    WW_P2P_REASON_PORTS,    /* computed ports of min_targets destinations */
    WW_P2P_REASON_MESSAGES, /* verified messages to min_verified_targets destinations */
    WW_P2P_REASON_SERVING   /* verified messages from its own computed port */
};

const char *ww_p2p_reason_name(enum ww_p2p_reason reason);

/* One destination a flagged source reached on a computed port. */
struct ww_p2p_sample {
    uint32_t dst;          /* host byte order */
    uint16_t dport;
    bool tcp;
    enum ww_p2p_match how; /* fixed, weekly or the neighbouring week's port */
};

struct ww_p2p_alert {
    uint32_t src;                 /* the flagged source, host byte order */
    enum ww_p2p_reason reason;
    uint64_t ts_ns;               /* the packet that decided */
    uint64_t first_hit_ns;        /* the source's first hit since its record was made */
    int64_t week;                 /* week number of the deciding packet (p2p.h) */
    uint32_t targets;             /* distinct destinations hit within the window */
    uint32_t samples;             /* entries used in sample[] */
    struct ww_p2p_sample sample[WW_P2P_SAMPLES];
    uint32_t hits;                /* candidate packets at a computed port, since the record */
    uint32_t candidates;          /* candidate packets since the record, the first hit included */
    uint32_t adjacent_hits;       /* hits on the neighbouring week's port only */
    uint32_t verified;            /* verified messages sent to computed ports */
    uint32_t verified_targets;    /* distinct destinations of those */
    uint32_t serving;             /* verified messages sent from its own computed ports */
    uint32_t nmap_shaped;         /* verified messages (either way) of nmap's probe shape */
};

typedef void (*ww_p2p_alert_fn)(void *ctx, const struct ww_p2p_alert *alert);

struct ww_p2p_detect_stats {
    uint64_t packets;             /* calls to ww_p2p_detect_packet() */
    uint64_t candidates;          /* UDP datagrams and TCP SYNs to a port the worm could pick */
    uint64_t hits;                /* candidates at a computed port of their destination */
    uint64_t adjacent_hits;       /* ... of the neighbouring week only */
    uint64_t messages_checked;    /* payloads at a computed port (either end) read as a message */
    uint64_t verified;            /* ... valid */
    uint64_t truncated;           /* ... cut by the snap length before the checksum */
    uint64_t rejected;            /* ... malformed or with a wrong checksum */
    uint64_t serving;             /* verified messages from the sender's own port */
    uint64_t flagged;             /* alerts raised */
    uint64_t records_created;
    uint64_t evictions;           /* records pushed out by a new source while full */
    uint64_t expirations;         /* records forgotten after idle_timeout */
    uint32_t records;             /* records held now */
    uint32_t capacity;
    uint64_t memory_bytes;        /* allocated at creation */
};

struct ww_p2p_detector;

/* NULL if the config is out of range or memory is short. */
struct ww_p2p_detector *ww_p2p_detector_new(const struct ww_p2p_detect_config *cfg,
                                            ww_p2p_alert_fn on_alert, void *ctx);
void ww_p2p_detector_free(struct ww_p2p_detector *det);
/* Bytes one tracked source costs (for memory budgets). */
size_t ww_p2p_detect_bytes_per_source(void);

/* One IPv4 packet, as the pipeline decoded it. */
struct ww_p2p_packet {
    uint64_t ts_ns;          /* packet time */
    uint32_t src, dst;       /* host byte order */
    uint16_t sport, dport;
    bool tcp;                /* TCP, else UDP */
    bool syn;                /* TCP: SYN without ACK (a connection attempt) */
    const uint8_t *payload;  /* UDP payload or TCP segment data, may be NULL when 0 bytes */
    size_t payload_len;      /* bytes captured of it */
    size_t payload_wire_len; /* bytes it had on the wire (0: same as payload_len) */
};

/* Feeds one UDP datagram or TCP segment; the alert callback may run. */
void ww_p2p_detect_packet(struct ww_p2p_detector *det, const struct ww_p2p_packet *pkt);
/* Forgets sources with no hit for idle_timeout before now_ns (packet time). */
void ww_p2p_detect_expire(struct ww_p2p_detector *det, uint64_t now_ns);

const struct ww_p2p_detect_stats *ww_p2p_detect_stats(const struct ww_p2p_detector *det);
/* The sources it keeps records of (and, until the next rebuild, a few it
   dropped): only their TCP data is worth handing to it (triage.h). */
const struct ww_addr_filter *ww_p2p_detect_talkers(const struct ww_p2p_detector *det);

#endif
