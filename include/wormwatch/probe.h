/*
 * Probe: turns decoded packets into events about connection attempts.
 *
 * A TCP SYN (no ACK) to a watched port is an attempt; the answer decides its
 * outcome: SYN-ACK = accepted, RST or ICMP unreachable = rejected, nothing
 * within the timeout (in packet time) = unanswered. A repeated SYN of the same
 * 4-tuple is a retransmission, not a new attempt. A unicast NetBIOS name query
 * (NB or NBSTAT) is an attempt on UDP/137, answered or unanswered; broadcast
 * name traffic is normal Windows chatter and never a probe.
 *
 * An ARP request for a home address is an attempt too: a worm's probe of a
 * local address that does not exist never becomes a SYN on a switched LAN,
 * only a request nobody answers. Such a request, for an address never seen
 * live (hosts.h), is reported as an unanswered attempt of protocol
 * WW_PROTO_ARP; ARP is otherwise silent (its answers prove nothing about SMB).
 *
 * Pending attempts live in a bounded table (index.h) whose recency order is
 * also the deadline order, so expiring them costs O(1) per attempt.
 */
#ifndef WW_PROBE_H
#define WW_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/decode.h"
#include "wormwatch/hosts.h"
#include "wormwatch/rules.h"

#define WW_MAX_WATCHED_PORTS WW_MAX_RULES
#define WW_PROTO_ARP 255 /* ww_probe.proto of an ARP request (IP protocol 255 is reserved) */
#define WW_SYN_MAX_OPTIONS 8

/* TCP option kinds (for the SYN shape). */
#define WW_TCPOPT_EOL 0
#define WW_TCPOPT_NOP 1
#define WW_TCPOPT_MSS 2
#define WW_TCPOPT_WSCALE 3
#define WW_TCPOPT_SACK_PERM 4
#define WW_TCPOPT_TIMESTAMP 8

/* How the first packet of an attempt looked (the sender's IP/TCP stack). */
struct ww_syn_shape {
    uint8_t ttl;
    bool df;
    uint16_t window;                           /* TCP window; 0 for UDP */
    uint16_t mss;                              /* 0 if no MSS option */
    uint8_t option_count;                      /* kinds recorded below */
    uint8_t option_kinds[WW_SYN_MAX_OPTIONS];  /* in the order sent */
};

/* One attempt: who tried to reach whom, when and how. */
struct ww_probe {
    uint32_t src, dst;     /* IPv4, host order; src is the initiator */
    uint16_t sport, dport;
    uint8_t proto;         /* WW_IPPROTO_TCP, WW_IPPROTO_UDP (NBNS) or WW_PROTO_ARP */
    uint8_t retransmits;   /* repeated SYNs/queries seen (saturates at 255) */
    uint16_t vlan;         /* outermost VLAN id, 0 if none */
    uint64_t ts_ns;        /* packet time of the first SYN or query */
    struct ww_syn_shape shape;
};

enum ww_outcome {
    WW_OUTCOME_ACCEPTED,   /* SYN-ACK, or an NBNS answer */
    WW_OUTCOME_REJECTED,   /* RST or ICMP destination unreachable */
    WW_OUTCOME_UNANSWERED  /* nothing before the timeout */
};

enum ww_probe_event_kind {
    WW_PROBE_ATTEMPT, /* a new attempt was seen */
    WW_PROBE_RESULT   /* an attempt's outcome is known */
};

struct ww_probe_event {
    enum ww_probe_event_kind kind;
    enum ww_outcome outcome;  /* RESULT only */
    uint64_t outcome_ts_ns;   /* RESULT only: when the outcome became known */
    bool by_icmp;             /* RESULT only: rejected by an ICMP unreachable, not a RST */
    struct ww_probe probe;
};

typedef void (*ww_probe_sink)(void *ctx, const struct ww_probe_event *event);

struct ww_probe_config {
    uint16_t tcp_ports[WW_MAX_WATCHED_PORTS]; /* TCP ports whose SYNs are attempts */
    uint32_t tcp_port_count;
    bool nbns;                                /* track NBNS queries on UDP/137 */
    const struct ww_prefix_list *home_nets;   /* for directed broadcasts; may be NULL */
    bool arp;                                 /* track ARP requests for home addresses */
    uint64_t timeout_ns;                      /* no answer this long after the last SYN */
    uint32_t capacity;                        /* pending attempts held at most */
    uint32_t hosts_capacity;                  /* live home addresses remembered */
    struct ww_hash_key key;                   /* keys the pending and hosts tables */
};

struct ww_probe_stats {
    uint64_t tcp_attempts;     /* new SYNs to watched ports */
    uint64_t nbns_attempts;    /* new unicast NBNS queries */
    uint64_t retransmits;      /* repeated SYNs or queries of a pending attempt */
    uint64_t nbns_broadcast;   /* broadcast name queries: chatter, not probes */
    uint64_t accepted;
    uint64_t rejected;         /* of which by ICMP: */
    uint64_t rejected_icmp;
    uint64_t unanswered;
    uint64_t late_answers;     /* answers to attempts already judged unanswered */
    uint64_t arp_requests;     /* new ARP requests for home addresses */
    uint64_t arp_misses;       /* of which unanswered, for an address never seen live */
    uint64_t pending_evicted;  /* pushed out of a full table (counted as unanswered) */
};

struct ww_probe_tracker;

/* Builds the tracker config that watches what `rules` need. */
void ww_probe_config_from_rules(const struct ww_ruleset *rules, uint32_t capacity,
                                uint32_t hosts_capacity, const struct ww_hash_key *key,
                                struct ww_probe_config *cfg);
/* Bytes one pending attempt costs (for memory budgets). */
size_t ww_probe_bytes_per_attempt(void);

struct ww_probe_tracker *ww_probe_tracker_new(const struct ww_probe_config *cfg, ww_probe_sink sink,
                                              void *sink_ctx);
void ww_probe_tracker_free(struct ww_probe_tracker *tracker);

/*
 * Feeds one IPv4 packet; may emit events through the sink. An attempt judged
 * unanswered lingers one more timeout so late retransmissions stay known.
 */
void ww_probe_packet(struct ww_probe_tracker *tracker, const struct ww_packet *pkt);
/* Moves packet time forward (a quiet link) and expires what timed out. */
void ww_probe_advance(struct ww_probe_tracker *tracker, uint64_t now_ns);
/* End of input: every attempt still waiting becomes unanswered. */
void ww_probe_flush(struct ww_probe_tracker *tracker);

const struct ww_probe_stats *ww_probe_stats(const struct ww_probe_tracker *tracker);
const struct ww_hosts_stats *ww_probe_hosts_stats(const struct ww_probe_tracker *tracker);
/* Attempts held: waiting for an answer, or lingering after judgment. */
uint32_t ww_probe_pending(const struct ww_probe_tracker *tracker);

#endif
