/*
 * Probe tracker: pending attempts keyed by (initiator, target, ports, proto).
 *
 * An attempt judged unanswered is not forgotten at once: it lingers for one
 * more timeout, so that a late retransmission (Windows XP sends its third SYN
 * 6 s after the second, later than the timeout) is still known as one and
 * never counted as a new attempt; an answer arriving then is a late answer.
 *
 * An ARP request asked again is judged at once: on a LAN an answer takes
 * microseconds, so the asker's own retry (a second later, for Windows and
 * Linux) says the first went unanswered, five seconds before the timeout
 * would, while the source's next SYNs are still few.
 *
 * The clock is the newest packet time seen, so a capture whose timestamps
 * step backwards (stitched files) never makes deadlines run backwards. A
 * deadline is set from that clock on every (re)transmission and the entry is
 * moved to the newest end of the recency list, which keeps the list sorted by
 * deadline: expiry pops from the oldest end until it meets a live deadline.
 */
#include "wormwatch/probe.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/bytes.h"
#include "wormwatch/index.h"

struct attempt_key {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto;
};

enum pending_state {
    WAITING, /* no answer yet; unanswered at the deadline */
    JUDGED   /* reported unanswered; lingering until the deadline */
};

struct pending {
    struct attempt_key key;
    uint64_t deadline_ns; /* last touch + timeout */
    enum pending_state state;
    struct ww_probe probe;
};

struct ww_probe_tracker {
    struct ww_probe_config cfg;
    struct ww_hosts *hosts;          /* live home addresses */
    struct ww_prefix_list home_nets; /* copy: the tracker owns what it reads */
    ww_probe_sink sink;
    void *sink_ctx;
    uint64_t clock_ns; /* newest packet time seen */
    struct ww_index index;
    struct pending *slots;
    struct ww_probe_stats stats;
};

void ww_probe_config_from_rules(const struct ww_ruleset *rules, uint32_t capacity,
                                uint32_t hosts_capacity, const struct ww_hash_key *key,
                                struct ww_probe_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->key = *key;
    for (size_t i = 0; i < rules->rule_count; i++) {
        const struct ww_rule *r = &rules->rule[i];
        cfg->arp |= r->arp_misses;
        if (r->proto == WW_IPPROTO_UDP) {
            cfg->nbns = true;
            continue;
        }
        uint16_t ports[2] = {r->port, r->also_port};
        for (int k = 0; k < 2 && ports[k]; k++) {
            bool known = false;
            for (uint32_t p = 0; p < cfg->tcp_port_count; p++)
                known |= cfg->tcp_ports[p] == ports[k];
            if (!known && cfg->tcp_port_count < WW_MAX_WATCHED_PORTS)
                cfg->tcp_ports[cfg->tcp_port_count++] = ports[k];
        }
    }
    cfg->home_nets = &rules->home_nets;
    cfg->timeout_ns = rules->attempt_timeout_ns;
    cfg->capacity = capacity;
    cfg->hosts_capacity = hosts_capacity;
}

size_t ww_probe_bytes_per_attempt(void)
{
    return sizeof(struct pending) + ww_index_bytes_per_slot();
}

struct ww_probe_tracker *ww_probe_tracker_new(const struct ww_probe_config *cfg, ww_probe_sink sink,
                                              void *sink_ctx)
{
    struct ww_probe_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *cfg;
    if (cfg->home_nets)
        t->home_nets = *cfg->home_nets;
    t->cfg.home_nets = &t->home_nets;
    t->sink = sink;
    t->sink_ctx = sink_ctx;
    t->slots = calloc(cfg->capacity ? cfg->capacity : 1, sizeof *t->slots);
    t->hosts = ww_hosts_new(cfg->hosts_capacity ? cfg->hosts_capacity : 1, &t->home_nets,
                            &cfg->key);
    if (!t->slots || !t->hosts || !ww_index_init(&t->index, cfg->capacity)) {
        ww_probe_tracker_free(t);
        return NULL;
    }
    return t;
}

void ww_probe_tracker_free(struct ww_probe_tracker *t)
{
    if (!t)
        return;
    ww_index_free(&t->index);
    ww_hosts_free(t->hosts);
    free(t->slots);
    free(t);
}

const struct ww_probe_stats *ww_probe_stats(const struct ww_probe_tracker *t)
{
    return &t->stats;
}

const struct ww_hosts_stats *ww_probe_hosts_stats(const struct ww_probe_tracker *t)
{
    return ww_hosts_stats(t->hosts);
}

uint32_t ww_probe_pending(const struct ww_probe_tracker *t)
{
    return t->index.used;
}

/* --- the pending table ---------------------------------------------------- */

static uint32_t key_hash(const struct ww_probe_tracker *t, const struct attempt_key *k)
{
    return (uint32_t)ww_hash_u32x4(&t->cfg.key, k->src, k->dst, (uint32_t)k->sport << 16 | k->dport,
                                   k->proto);
}

static bool key_matches(const void *key, uint32_t slot, const void *ctx)
{
    const struct attempt_key *k = key;
    const struct ww_probe_tracker *t = ctx;
    const struct attempt_key *have = &t->slots[slot].key;
    return have->src == k->src && have->dst == k->dst && have->sport == k->sport &&
           have->dport == k->dport && have->proto == k->proto;
}

static uint32_t find_pending(const struct ww_probe_tracker *t, const struct attempt_key *k)
{
    return ww_index_find(&t->index, key_hash(t, k), k, key_matches, t);
}

static void report(struct ww_probe_tracker *t, const struct pending *p, enum ww_outcome outcome,
                   uint64_t when_ns, bool by_icmp)
{
    if (p->probe.proto == WW_PROTO_ARP) {
        /* Only a request for an address never seen live says anything. */
        if (outcome != WW_OUTCOME_UNANSWERED || ww_hosts_is_live(t->hosts, p->probe.dst))
            return;
        t->stats.arp_misses++;
    } else {
        switch (outcome) {
        case WW_OUTCOME_ACCEPTED: t->stats.accepted++; break;
        case WW_OUTCOME_REJECTED: t->stats.rejected++; break;
        case WW_OUTCOME_UNANSWERED: t->stats.unanswered++; break;
        }
    }
    struct ww_probe_event ev = {
        .kind = WW_PROBE_RESULT, .outcome = outcome, .outcome_ts_ns = when_ns, .by_icmp = by_icmp,
        .probe = p->probe};
    t->sink(t->sink_ctx, &ev);
}

/* Marks the attempt judged and keeps it one more timeout (deadline order holds). */
static void judge_unanswered(struct ww_probe_tracker *t, uint32_t slot)
{
    struct pending *p = &t->slots[slot];
    report(t, p, WW_OUTCOME_UNANSWERED, p->deadline_ns, false);
    p->state = JUDGED;
    p->deadline_ns = t->clock_ns + t->cfg.timeout_ns;
    ww_index_touch(&t->index, slot);
}

/* An answer or refusal: the attempt is settled and leaves the table. */
static void settle(struct ww_probe_tracker *t, uint32_t slot, enum ww_outcome outcome,
                   uint64_t when_ns, bool by_icmp)
{
    struct pending p = t->slots[slot];
    ww_index_remove(&t->index, slot);
    if (p.state == JUDGED)
        t->stats.late_answers++; /* already reported unanswered */
    else
        report(t, &p, outcome, when_ns, by_icmp);
}

/* Frees the oldest slot; a waiting attempt in it is judged unanswered first. */
static void drop_oldest(struct ww_probe_tracker *t)
{
    uint32_t slot = ww_index_oldest(&t->index);
    if (t->slots[slot].state == WAITING) {
        t->stats.pending_evicted++;
        report(t, &t->slots[slot], WW_OUTCOME_UNANSWERED, t->clock_ns, false);
    }
    ww_index_remove(&t->index, slot);
}

static void expire_until(struct ww_probe_tracker *t, uint64_t now_ns)
{
    uint32_t slot;
    while ((slot = ww_index_oldest(&t->index)) != WW_INDEX_NONE &&
           t->slots[slot].deadline_ns < now_ns) {
        if (t->slots[slot].state == WAITING)
            judge_unanswered(t, slot);
        else
            ww_index_remove(&t->index, slot);
    }
}

void ww_probe_advance(struct ww_probe_tracker *t, uint64_t now_ns)
{
    if (now_ns > t->clock_ns)
        t->clock_ns = now_ns;
    expire_until(t, t->clock_ns);
}

void ww_probe_flush(struct ww_probe_tracker *t)
{
    uint32_t slot;
    while ((slot = ww_index_oldest(&t->index)) != WW_INDEX_NONE) {
        if (t->slots[slot].state == WAITING)
            report(t, &t->slots[slot], WW_OUTCOME_UNANSWERED, t->slots[slot].deadline_ns,
                   false);
        ww_index_remove(&t->index, slot);
    }
}

/* --- attempts and answers --------------------------------------------------- */

static void record_shape(const struct ww_packet *pkt, struct ww_syn_shape *shape)
{
    /* A shape without its options is no shape: left zero, its class is unknown. */
    if (pkt->cut & WW_CUT_BIT(WW_CUT_TCP_OPTIONS))
        return;
    shape->ttl = pkt->ttl;
    shape->df = pkt->df;
    if (pkt->proto != WW_IPPROTO_TCP)
        return;
    shape->window = pkt->tcp_window;
    struct ww_cursor c = ww_cursor_make(pkt->tcp_options, pkt->tcp_options_len);
    uint8_t kind, len;
    while (shape->option_count < WW_SYN_MAX_OPTIONS && ww_get_u8(&c, &kind)) {
        shape->option_kinds[shape->option_count++] = kind;
        if (kind == WW_TCPOPT_EOL)
            break;
        if (kind == WW_TCPOPT_NOP)
            continue;
        if (!ww_get_u8(&c, &len) || len < 2)
            break;
        struct ww_cursor body;
        if (!ww_take(&c, (size_t)len - 2, &body))
            break;
        if (kind == WW_TCPOPT_MSS && len == 4)
            ww_get_be16(&body, &shape->mss);
    }
}

/* The attempt a packet from the initiator belongs to. */
static struct attempt_key key_of(const struct ww_packet *pkt)
{
    return (struct attempt_key){pkt->src, pkt->dst, pkt->sport, pkt->dport, pkt->proto};
}

/* The attempt an answer (target -> initiator) belongs to. */
static struct attempt_key key_answered_by(const struct ww_packet *pkt)
{
    return (struct attempt_key){pkt->dst, pkt->src, pkt->dport, pkt->sport, pkt->proto};
}

/* A SYN, NBNS query or ARP request `k` sent in `pkt`: new, or a repeat. */
static void attempt_seen(struct ww_probe_tracker *t, struct attempt_key k,
                         const struct ww_packet *pkt)
{
    uint32_t hash = key_hash(t, &k);
    uint32_t slot = ww_index_find(&t->index, hash, &k, key_matches, t);
    if (slot != WW_INDEX_NONE) {
        struct pending *p = &t->slots[slot];
        if (p->probe.retransmits < UINT8_MAX)
            p->probe.retransmits++;
        p->deadline_ns = t->clock_ns + t->cfg.timeout_ns;
        ww_index_touch(&t->index, slot);
        if (k.proto != WW_PROTO_ARP)
            t->stats.retransmits++;
        else if (p->state == WAITING) { /* asked again: nobody answered the first */
            report(t, p, WW_OUTCOME_UNANSWERED, t->clock_ns, false);
            p->state = JUDGED;
        }
        return;
    }
    if (ww_index_full(&t->index))
        drop_oldest(t);
    slot = ww_index_insert(&t->index, hash);
    struct pending *p = &t->slots[slot];
    memset(p, 0, sizeof *p);
    p->key = k;
    p->deadline_ns = t->clock_ns + t->cfg.timeout_ns;
    p->probe.src = k.src;
    p->probe.dst = k.dst;
    p->probe.sport = k.sport;
    p->probe.dport = k.dport;
    p->probe.proto = k.proto;
    p->probe.vlan = pkt->vlan_outer;
    p->probe.ts_ns = pkt->ts_ns;
    record_shape(pkt, &p->probe.shape);
    if (k.proto == WW_PROTO_ARP) { /* judged by its outcome alone */
        t->stats.arp_requests++;
        return;
    }
    if (pkt->proto == WW_IPPROTO_TCP)
        t->stats.tcp_attempts++;
    else
        t->stats.nbns_attempts++;
    struct ww_probe_event ev = {.kind = WW_PROBE_ATTEMPT, .probe = p->probe};
    t->sink(t->sink_ctx, &ev);
}

static void answer_seen(struct ww_probe_tracker *t, struct attempt_key k, uint64_t when_ns,
                        enum ww_outcome outcome)
{
    uint32_t slot = find_pending(t, &k);
    if (slot != WW_INDEX_NONE)
        settle(t, slot, outcome, when_ns, false);
}

static bool is_watched_tcp_port(const struct ww_probe_tracker *t, uint16_t port)
{
    for (uint32_t i = 0; i < t->cfg.tcp_port_count; i++)
        if (t->cfg.tcp_ports[i] == port)
            return true;
    return false;
}

/* Broadcast and multicast destinations: never a probe of one host. */
static bool is_group_destination(const struct ww_probe_tracker *t, const struct ww_packet *pkt)
{
    uint32_t dst = pkt->dst;
    return pkt->l2_group || dst == UINT32_MAX || (dst >> 28) == 0xE || (dst & 0xFF) == 0xFF ||
           ww_prefix_list_is_broadcast(&t->home_nets, dst);
}

/*
 * A host is live once it is seen sending what this stage reads anyway: an
 * attempt, an answer to one, NBNS, ARP. Learning from every packet would
 * cost a table lookup on the frames no detector wants (triage.h), and on a
 * LAN every live host sends ARP every few minutes.
 */
static void tcp_packet(struct ww_probe_tracker *t, const struct ww_packet *pkt)
{
    uint8_t flags = pkt->tcp_flags;
    if ((flags & (WW_TCP_SYN | WW_TCP_ACK | WW_TCP_RST)) == WW_TCP_SYN) {
        if (!is_watched_tcp_port(t, pkt->dport))
            return;
        ww_hosts_saw(t->hosts, pkt->src);
        if (!is_group_destination(t, pkt))
            attempt_seen(t, key_of(pkt), pkt);
    } else if ((flags & (WW_TCP_SYN | WW_TCP_ACK)) == (WW_TCP_SYN | WW_TCP_ACK)) {
        if (!is_watched_tcp_port(t, pkt->sport))
            return;
        ww_hosts_saw(t->hosts, pkt->src);
        answer_seen(t, key_answered_by(pkt), pkt->ts_ns, WW_OUTCOME_ACCEPTED);
    } else if (flags & WW_TCP_RST) {
        if (!is_watched_tcp_port(t, pkt->sport))
            return;
        ww_hosts_saw(t->hosts, pkt->src);
        answer_seen(t, key_answered_by(pkt), pkt->ts_ns, WW_OUTCOME_REJECTED);
    }
}

/* A query whose type the snap length cut off is still a name query: queries have no other. */
static bool is_name_query(const struct ww_nbns *nb, bool type_cut)
{
    return !nb->response && nb->opcode == 0 && nb->qdcount >= 1 &&
           (nb->qtype == WW_NBNS_QTYPE_NB || nb->qtype == WW_NBNS_QTYPE_NBSTAT || type_cut);
}

static void nbns_packet(struct ww_probe_tracker *t, const struct ww_packet *pkt)
{
    const struct ww_nbns *nb = &pkt->nbns;
    if (pkt->dport == WW_NBNS_PORT &&
        is_name_query(nb, pkt->cut & WW_CUT_BIT(WW_CUT_NBNS_QUESTION))) {
        /* The destination decides, not the B flag: nbtscan sets it on its
           unicast queries, and a query to one host probes that host. */
        if (is_group_destination(t, pkt))
            t->stats.nbns_broadcast++;
        else
            attempt_seen(t, key_of(pkt), pkt);
    } else if (pkt->sport == WW_NBNS_PORT && nb->response) {
        answer_seen(t, key_answered_by(pkt), pkt->ts_ns, WW_OUTCOME_ACCEPTED);
    }
}

/* ICMP destination unreachable quoting one of our attempts refuses it. */
static void icmp_packet(struct ww_probe_tracker *t, const struct ww_packet *pkt)
{
    const struct ww_icmp_quote *q = &pkt->icmp_quote;
    struct attempt_key k = {q->src, q->dst, q->sport, q->dport, q->proto};
    uint32_t slot = find_pending(t, &k);
    if (slot == WW_INDEX_NONE)
        return;
    if (t->slots[slot].state == WAITING)
        t->stats.rejected_icmp++;
    settle(t, slot, WW_OUTCOME_REJECTED, pkt->ts_ns, true);
}

/*
 * ARP for a home address. A request is an attempt by its sender (not a
 * gratuitous ARP or an address probe, whose sender is the target or 0); a
 * reply answers it.
 */
static void arp_packet(struct ww_probe_tracker *t, const struct ww_packet *pkt)
{
    const struct ww_arp *a = &pkt->arp;
    ww_hosts_saw(t->hosts, a->sender);
    if (!t->cfg.arp)
        return;
    if (a->op == WW_ARP_REQUEST && a->sender != 0 && a->sender != a->target &&
        ww_hosts_in_scope(t->hosts, a->target))
        attempt_seen(t, (struct attempt_key){a->sender, a->target, 0, 0, WW_PROTO_ARP}, pkt);
    else if (a->op == WW_ARP_REPLY)
        answer_seen(t, (struct attempt_key){a->target, a->sender, 0, 0, WW_PROTO_ARP}, pkt->ts_ns,
                    WW_OUTCOME_ACCEPTED);
}

void ww_probe_packet(struct ww_probe_tracker *t, const struct ww_packet *pkt)
{
    ww_probe_advance(t, pkt->ts_ns);
    if (pkt->has_arp) {
        arp_packet(t, pkt);
        return;
    }
    if (pkt->ip_version != 4 || !pkt->has_l4)
        return;
    switch (pkt->proto) {
    case WW_IPPROTO_TCP: tcp_packet(t, pkt); break;
    case WW_IPPROTO_UDP:
        if (!pkt->has_nbns)
            break;
        ww_hosts_saw(t->hosts, pkt->src);
        if (t->cfg.nbns)
            nbns_packet(t, pkt);
        break;
    case WW_IPPROTO_ICMP:
        if (pkt->has_icmp_quote)
            icmp_packet(t, pkt);
        break;
    default: break;
    }
}
