/*
 * The pipeline owns one of each stage and the callbacks between them. Time
 * is packet time: the newest packet seen drives expiry in probe and detect.
 */
#include "wormwatch/pipeline.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "wormwatch/decode.h"
#include "wormwatch/detect.h"
#include "wormwatch/dhcp.h"
#include "wormwatch/identity.h"
#include "wormwatch/indicators.h"
#include "wormwatch/nbname.h"
#include "wormwatch/payload.h"
#include "wormwatch/probe.h"
#include "wormwatch/triage.h"

struct ww_pipeline {
    struct ww_decode_stats decode;
    struct ww_probe_tracker *probes;
    struct ww_detector *detector;
    struct ww_payload *payload;     /* what hosts send: P2P, DNS, SMB */
    struct ww_indicators *indicators; /* what each source has shown, for one verdict */
    struct ww_identities *identities; /* which machine each home address is */
    struct ww_dhcp_stats dhcp;
    struct ww_nbns_stats nbns;
    const struct ww_prefix_list *home_nets;
    const struct ww_verdict_config *conficker;
    uint64_t payload_alerts;        /* payload stages' alerts written */
    ww_alert_observer observer;     /* sees every alert written (the summary), or NULL */
    void *observer_ctx;
    uint64_t next_progress_ns;      /* monotonic time of the next progress call */
    uint64_t payload_suppressed;    /* ... and held back: same source and signature within the hour */
    struct ww_output *out;
    uint32_t pending_capacity;
    uint32_t files;
    uint64_t newest_ns;
    const atomic_int *stop;
    uint64_t next_expiry_ns;        /* packet time of the next idle-source sweep */
    struct ww_capture *live;        /* the live capture being read, for kernel counters */
    int worker;                     /* --workers index, -1 if alone */
    unsigned stats_seen;            /* SIGUSR1 requests already answered */
    const struct ww_live_control *control; /* signal flags answered in any input mode */
    struct ww_kernel_stats kernel;
    bool triage;                    /* drop the frames no stage wants before decoding them */
    struct ww_interest want;        /* ... which those are */
};

/* The machine's name for people: NetBIOS, else DHCP; NULL if none. */
static const char *identity_name(const struct ww_identity *id)
{
    if (!id)
        return NULL;
    return id->netbios_name[0] ? id->netbios_name : id->dhcp_hostname[0] ? id->dhcp_hostname : NULL;
}

/* A scan alert: the source has now shown a scan; its verdict weighs the rest too. */
static void on_alert(void *ctx, const struct ww_alert *alert)
{
    struct ww_pipeline *p = ctx;
    struct ww_alert a = *alert;
    a.identity = ww_identity_get(p->identities, a.probe.src);
    const struct ww_host_indicators *ind =
        ww_indicators_note(p->indicators, a.probe.src, WW_IND_SCAN, 0, a.ts_ns);
    ww_verdict_add_indicators(&a.verdict, ind, p->conficker);
    ww_output_alert(p->out, &a);
    if (p->observer) {
        struct ww_summary_alert s = {.src = a.probe.src, .sid = a.rule->sid, .ts_ns = a.ts_ns,
                                     .targets = a.targets, .likely = a.verdict.likely,
                                     .indicators = a.verdict.indicators, .variant = a.verdict.variant,
                                     .name = identity_name(a.identity)};
        p->observer(p->observer_ctx, &s);
    }
}

void ww_pipeline_set_observer(struct ww_pipeline *p, ww_alert_observer fn, void *ctx)
{
    p->observer = fn;
    p->observer_ctx = ctx;
}

/* One alert per source and payload signature an hour, as the scan rules' suppress. */
#define PAYLOAD_SUPPRESS_NS (3600ULL * 1000000000ULL)

/* A payload stage's alert: judged on the source's scan evidence (if any) and indicators. */
static void on_payload_report(void *ctx, struct ww_payload_report *r)
{
    struct ww_pipeline *p = ctx;
    struct ww_finding *f = &r->finding;
    if (!ww_indicators_may_alert(p->indicators, f->src, ww_payload_sid_slot(f->sid), f->ts_ns,
                                 PAYLOAD_SUPPRESS_NS)) {
        if (r->counts) /* the evidence still counts */
            ww_indicators_note(p->indicators, f->src, r->indicator, r->variant, f->ts_ns);
        json_decref(f->evidence);
        p->payload_suppressed++;
        return;
    }
    p->payload_alerts++;
    const struct ww_host_indicators *ind =
        r->counts ? ww_indicators_note(p->indicators, f->src, r->indicator, r->variant, f->ts_ns)
                  : ww_indicators_get(p->indicators, f->src);
    const struct ww_evidence *scan = ww_detector_evidence(p->detector, f->src);
    static const struct ww_evidence none;
    struct ww_verdict v;
    ww_verdict_judge(scan ? scan : &none, p->conficker, &v);
    ww_verdict_add_indicators(&v, ind, p->conficker);
    if (!r->counts)
        v.likely = false; /* a scanner's check, whatever else its source did */
    f->verdict = &v;
    const struct ww_identity *id = ww_identity_get(p->identities, f->src);
    f->identity = id;
    ww_output_finding(p->out, f);
    if (p->observer) {
        struct ww_summary_alert s = {.src = f->src, .sid = f->sid, .ts_ns = f->ts_ns,
                                     .likely = v.likely, .indicators = v.indicators,
                                     .variant = v.variant, .name = identity_name(id)};
        p->observer(p->observer_ctx, &s);
    }
}

static void on_probe_event(void *ctx, const struct ww_probe_event *event)
{
    struct ww_pipeline *p = ctx;
    ww_detector_event(p->detector, event);
}

static uint32_t capacity_for(uint64_t budget, size_t bytes_each)
{
    uint64_t n = budget / bytes_each;
    return (uint32_t)(n > UINT32_MAX - 1 ? UINT32_MAX - 1 : n);
}

/*
 * What the stages read, for triage: the probe ports' SYNs and answers, NBNS
 * and DHCP (identity), DNS when domain look-ups are judged, SMB and P2P as
 * payload.c's gates let them through. Anything learn_identity() or the probe
 * stage reads must be here, or triage would change what they see.
 */
static void describe_interest(struct ww_pipeline *p, const struct ww_ruleset *rules,
                              const struct ww_probe_config *probes)
{
    struct ww_interest *w = &p->want;
    for (uint32_t i = 0; i < probes->tcp_port_count; i++)
        ww_port_bit_set(w->probe_ports, probes->tcp_ports[i]);
    ww_port_bit_set(w->udp_ports, 67); /* DHCP */
    ww_port_bit_set(w->udp_ports, 68);
    if (rules->payload.dga) { /* only what may be a list's name: payload.c's own gate */
        ww_port_bit_set(w->udp_ports, 53);
        w->dns_shape = true;
        w->dns_dropped = ww_payload_dns_dropped(p->payload);
    }
    w->smb = rules->payload.smb;
    w->p2p = rules->payload.p2p;
    w->smb_answers_due = ww_payload_smb_answers_due(p->payload);
    w->smb_skips = ww_payload_smb_skips(p->payload);
    w->p2p_talkers = ww_payload_p2p_talkers(p->payload);
}

void ww_pipeline_set_triage(struct ww_pipeline *p, bool on)
{
    p->triage = on;
}

struct ww_pipeline *ww_pipeline_new(const struct ww_ruleset *rules, struct ww_output *out, char *err,
                                    size_t err_len)
{
    struct ww_hash_key key;
    if (!ww_hash_key_random(&key, err, err_len))
        return NULL;
    return ww_pipeline_new_keyed(rules, out, &key, err, err_len);
}

struct ww_pipeline *ww_pipeline_new_keyed(const struct ww_ruleset *rules, struct ww_output *out,
                                          const struct ww_hash_key *key, char *err, size_t err_len)
{
    struct ww_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    p->out = out;
    p->worker = -1;
    uint64_t tables = rules->max_memory >= 2 * WW_PROCESS_RESERVE
                          ? rules->max_memory - WW_PROCESS_RESERVE
                          : rules->max_memory / 2;
    uint64_t pending_budget = tables / WW_PENDING_MEMORY_SHARE;
    uint64_t hosts_budget = tables / WW_HOSTS_MEMORY_SHARE;
    uint64_t payload_budget = tables / WW_PAYLOAD_MEMORY_SHARE;
    uint64_t indicators_budget = tables / WW_INDICATORS_MEMORY_SHARE;
    uint64_t identity_budget = tables / WW_IDENTITY_MEMORY_SHARE;
    p->conficker = &rules->conficker;
    p->home_nets = &rules->home_nets;
    p->identities = ww_identities_new(identity_budget, rules->idle_timeout_ns, key);
    p->indicators = ww_indicators_new(indicators_budget, rules->idle_timeout_ns, key);
    p->payload = ww_payload_new(rules, payload_budget, key, on_payload_report, p);
    p->pending_capacity = capacity_for(pending_budget, ww_probe_bytes_per_attempt());
    struct ww_probe_config cfg;
    ww_probe_config_from_rules(rules, p->pending_capacity,
                               capacity_for(hosts_budget, ww_hosts_bytes_per_host()), key, &cfg);
    p->probes = ww_probe_tracker_new(&cfg, on_probe_event, p);
    p->detector = ww_detector_new(
        rules,
        tables - pending_budget - hosts_budget - payload_budget - indicators_budget -
            identity_budget,
        key, on_alert, p);
    if (!p->probes || !p->detector || !p->indicators || !p->payload || !p->identities) {
        snprintf(err, err_len, "cannot allocate the state tables (max_memory %llu bytes)",
                 (unsigned long long)rules->max_memory);
        ww_pipeline_free(p);
        return NULL;
    }
    describe_interest(p, rules, &cfg);
    p->triage = true;
    return p;
}

void ww_pipeline_free(struct ww_pipeline *p)
{
    if (!p)
        return;
    ww_probe_tracker_free(p->probes);
    ww_detector_free(p->detector);
    ww_payload_free(p->payload);
    ww_indicators_free(p->indicators);
    ww_identities_free(p->identities);
    free(p);
}

/* An initial TTL unchanged: the frame crossed no router, so its Ethernet source is the sender's. */
static bool unrouted(uint8_t ttl)
{
    return ttl == 64 || ttl == 128 || ttl == 255;
}

/*
 * What names a machine: an ARP sender's hardware address, DHCP, a NetBIOS
 * machine name announced by its own holder, and the Ethernet source of an
 * unrouted attempt on a probed port (the frames alerts are made of). Only home
 * addresses; the tests on ports and flags keep it off the common packet.
 */
static inline void learn_identity(struct ww_pipeline *p, const struct ww_packet *pkt,
                                  enum ww_decode_result r)
{
    if (r == WW_DECODED_ARP) {
        if (pkt->arp.sender && pkt->arp.sender_mac &&
            ww_prefix_list_contains(p->home_nets, pkt->arp.sender))
            ww_identity_saw_mac(p->identities, pkt->arp.sender, pkt->arp.sender_mac, pkt->ts_ns);
        return;
    }
    if (!pkt->has_l4)
        return;
    if (pkt->proto == WW_IPPROTO_TCP) {
        if ((pkt->tcp_flags & (WW_TCP_SYN | WW_TCP_ACK)) == WW_TCP_SYN && pkt->eth_src &&
            ww_port_bit(p->want.probe_ports, pkt->dport) && unrouted(pkt->ttl) &&
            ww_prefix_list_contains(p->home_nets, pkt->src))
            ww_identity_saw_mac(p->identities, pkt->src, pkt->eth_src, pkt->ts_ns);
        return;
    }
    if (pkt->proto != WW_IPPROTO_UDP || !pkt->payload)
        return;
    if ((pkt->sport == 67 || pkt->sport == 68) && (pkt->dport == 67 || pkt->dport == 68)) {
        struct ww_dhcp_message m;
        if (ww_dhcp_parse(&p->dhcp, pkt->payload, pkt->payload_len, &m) == WW_DHCP_OK)
            ww_identity_dhcp(p->identities, &m, pkt->ts_ns);
    } else if (pkt->sport == WW_NBNS_PORT && pkt->has_nbns &&
               (pkt->nbns.response || pkt->nbns.opcode != 0)) {
        struct ww_nbns_message m;
        if (ww_nbns_parse(&p->nbns, pkt->payload, pkt->payload_len, &m) == WW_NBNS_OK &&
            m.has_address && m.address == pkt->src) /* its holder's own word only */
            ww_identity_netbios(p->identities, &m, pkt->ts_ns);
    }
}

/* A frame triage let through, or every frame when it is off. */
static void decode_frame(struct ww_pipeline *p, const struct ww_frame *frame)
{
    struct ww_packet pkt;
    enum ww_decode_result r = ww_decode(&p->decode, frame->link, frame->ts_ns, frame->data,
                                        frame->cap_len, frame->wire_len, &pkt);
    if (frame->ts_ns > p->newest_ns)
        p->newest_ns = frame->ts_ns;
    if (r == WW_DECODED_IPV4 || r == WW_DECODED_ARP)
        ww_probe_packet(p->probes, &pkt);
    else
        ww_probe_advance(p->probes, frame->ts_ns);
    if (r == WW_DECODED_IPV4 && pkt.has_l4)
        ww_payload_packet(p->payload, &pkt);
    if (r == WW_DECODED_IPV4 || r == WW_DECODED_ARP)
        learn_identity(p, &pkt, r);
    /* Idle sources expire after an hour: once a second of packet time is plenty. */
    if (p->newest_ns >= p->next_expiry_ns) {
        ww_detector_advance(p->detector, p->newest_ns);
        ww_indicators_expire(p->indicators, p->newest_ns);
        ww_identities_expire(p->identities, p->newest_ns);
        ww_payload_advance(p->payload, p->newest_ns);
        p->next_expiry_ns = p->newest_ns + 1000000000ULL;
    }
}

void ww_pipeline_frame(struct ww_pipeline *p, const struct ww_frame *frame)
{
    if (p->triage && ww_triage(&p->decode, &p->want, frame->link, frame->data, frame->cap_len,
                               frame->wire_len) == WW_TRIAGE_DROP)
        return; /* no clock either: the read loops tick it now and then */
    decode_frame(p, frame);
}

void ww_pipeline_set_stop_flag(struct ww_pipeline *p, const atomic_int *stop)
{
    p->stop = stop;
}

bool ww_pipeline_stopped(const struct ww_pipeline *p)
{
    return p->stop && atomic_load_explicit(p->stop, memory_order_relaxed);
}

#define REQUEST_CHECK 256

void ww_pipeline_set_control(struct ww_pipeline *p, const struct ww_live_control *control)
{
    p->control = control;
}

static bool requests_pending(const struct ww_pipeline *p)
{
    const struct ww_live_control *ctl = p->control;
    return ctl && ((ctl->reopen && atomic_load_explicit(ctl->reopen, memory_order_relaxed)) ||
                   (ctl->stats_requests &&
                    atomic_load_explicit(ctl->stats_requests, memory_order_relaxed) != p->stats_seen));
}

/* SIGHUP reopens the outputs; each SIGUSR1 since the last answer, one stats event. */
static void answer_requests(struct ww_pipeline *p)
{
    const struct ww_live_control *ctl = p->control;
    if (ctl->reopen && atomic_exchange(ctl->reopen, 0)) {
        char err[512];
        if (!ww_output_reopen(p->out, err, sizeof err) && ctl->warn)
            ctl->warn(ctl->warn_ctx, err);
    }
    unsigned asked = ctl->stats_requests ? atomic_load(ctl->stats_requests) : p->stats_seen;
    if (asked != p->stats_seen) {
        p->stats_seen = asked;
        ww_pipeline_write_stats(p);
    }
}

/* Timers run on the monotonic clock: a step of the wall clock (NTP, an
   operator) must neither fire every timeout at once nor freeze them. */
static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}


/* About twice a second, where a replay stands (only when asked for). */
static void maybe_progress(struct ww_pipeline *p)
{
    const struct ww_live_control *ctl = p->control;
    if (!ctl || !ctl->progress)
        return;
    uint64_t now = monotonic_ns();
    if (now < p->next_progress_ns)
        return;
    p->next_progress_ns = now + 500000000ULL;
    ww_decode_stats_fold(&p->decode);
    struct ww_progress pr = {.packets = p->decode.packets, .bytes = p->decode.bytes,
                             .alerts = ww_detector_stats(p->detector)->alerts + p->payload_alerts,
                             .packet_ns = p->newest_ns};
    ctl->progress(ctl->progress_ctx, &pr);
}

/* A signal woke a read blocked on a quiet pipe: answer it there, or stop. */
static bool on_read_interrupted(void *ctx)
{
    struct ww_pipeline *p = ctx;
    if (ww_pipeline_stopped(p))
        return false;
    if (requests_pending(p))
        answer_requests(p);
    return true;
}

bool ww_pipeline_run_capture(struct ww_pipeline *p, struct ww_capture *cap, char *err,
                             size_t err_len)
{
    struct ww_frame frame;
    enum ww_capture_status status = WW_CAPTURE_END;
    p->files++;
    ww_capture_on_interrupt(cap, on_read_interrupted, p);
    /* Signals are looked at when the capture says one came (frame.attention),
       at each dropped frame it returns, and every REQUEST_CHECK frames; a
       read blocked on a pipe answers them at once. */
    unsigned until_check = REQUEST_CHECK;
    ww_capture_set_triage(cap, &p->want, p->triage ? &p->decode : NULL);
    ww_capture_set_attention(cap, p->control ? p->control->attention : NULL);
    while (!ww_pipeline_stopped(p)) {
        status = ww_capture_next(cap, &frame, err, err_len);
        if (status == WW_CAPTURE_FRAME)
            decode_frame(p, &frame);
        else if (status == WW_CAPTURE_DROPPED) /* one for WW_CAPTURE_DROPPED_EVERY frames */
            ww_pipeline_tick(p, frame.ts_ns);  /* dropped frames carry time too */
        else
            break;
        if (status == WW_CAPTURE_DROPPED || frame.attention || --until_check == 0) {
            until_check = REQUEST_CHECK;
            if (requests_pending(p))
                answer_requests(p);
            maybe_progress(p);
        }
    }
    ww_capture_set_triage(cap, NULL, NULL);
    if (requests_pending(p))
        answer_requests(p);
    /* A read cut short by the stop signal is a stop, not a broken capture. */
    return status != WW_CAPTURE_ERROR || ww_pipeline_stopped(p);
}

void ww_pipeline_snapshot(struct ww_pipeline *p, struct ww_run_stats *s)
{
    *s = (struct ww_run_stats){.worker = p->worker};
    if (p->live && ww_capture_kernel_stats(p->live, &p->kernel))
        s->kernel = &p->kernel;
    s->ts_ns = p->newest_ns;
    s->files = p->files;
    ww_decode_stats_fold(&p->decode);
    s->decode = &p->decode;
    s->probe = ww_probe_stats(p->probes);
    s->pending = ww_probe_pending(p->probes);
    s->pending_capacity = p->pending_capacity;
    s->hosts = ww_probe_hosts_stats(p->probes);
    s->table = ww_detector_table_stats(p->detector);
    s->probation = ww_detector_probation_stats(p->detector);
    s->detect = ww_detector_stats(p->detector);
    s->indicators = ww_indicators_stats(p->indicators);
    s->identity = ww_identities_stats(p->identities);
    s->identity_table = ww_identities_table_stats(p->identities);
    s->dhcp = &p->dhcp;
    s->nbns_names = &p->nbns;
    ww_payload_stats(p->payload, &s->payload);
    s->payload.alerts = p->payload_alerts;
    s->payload.suppressed = p->payload_suppressed;
}

void ww_pipeline_set_worker(struct ww_pipeline *p, int index)
{
    p->worker = index;
}

void ww_pipeline_write_stats(struct ww_pipeline *p)
{
    struct ww_run_stats s;
    ww_pipeline_snapshot(p, &s);
    ww_output_stats(p->out, &s);
}

void ww_pipeline_finish(struct ww_pipeline *p)
{
    ww_probe_flush(p->probes);
    ww_payload_finish(p->payload);
    ww_pipeline_write_stats(p);
}

void ww_pipeline_tick(struct ww_pipeline *p, uint64_t now_ns)
{
    if (now_ns > p->newest_ns)
        p->newest_ns = now_ns;
    ww_probe_advance(p->probes, p->newest_ns);
    ww_detector_advance(p->detector, p->newest_ns);
}

/* --- live capture ------------------------------------------------------------ */

#define LIVE_POLL_MS 250   /* the longest a quiet link goes without a tick */
#define LIVE_BATCH 4096    /* frames read before looking at signals and the timer */

/* Where packet time starts on a link that has sent nothing yet: once. */
static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Handles SIGHUP and SIGUSR1 requests and the stats timer. */
static void live_housekeeping(struct ww_pipeline *p, const struct ww_live_control *ctl,
                              uint64_t now, uint64_t *next_stats_ns)
{
    bool due = ctl->stats_interval_ns && now >= *next_stats_ns;
    if (requests_pending(p))
        answer_requests(p); /* a stats event asked for also serves a due one */
    else if (due)
        ww_pipeline_write_stats(p);
    if (due)
        *next_stats_ns = now + ctl->stats_interval_ns;
}

/* Reads what is waiting; false on a capture error. *frames: how many were. */
static bool live_read_batch(struct ww_pipeline *p, struct ww_capture *cap, int *frames, char *err,
                            size_t err_len)
{
    struct ww_frame frame;
    enum ww_capture_status status = WW_CAPTURE_FRAME;
    bool read_any = false;
    ww_capture_set_triage(cap, &p->want, p->triage ? &p->decode : NULL);
    for (*frames = 0; *frames < LIVE_BATCH; (*frames)++) {
        status = ww_capture_next(cap, &frame, err, err_len);
        if (status == WW_CAPTURE_FRAME)
            decode_frame(p, &frame);
        else if (status != WW_CAPTURE_DROPPED)
            break;
        read_any = true;
        if (frame.attention) /* a signal: housekeeping answers it now */
            break;
    }
    if (read_any) /* dropped frames carry time too */
        ww_pipeline_tick(p, frame.ts_ns);
    return status != WW_CAPTURE_ERROR;
}

void ww_quiet_clock_start(struct ww_quiet_clock *c, uint64_t packet_ns, uint64_t monotonic_ns)
{
    c->packet_ns = packet_ns;
    c->monotonic_ns = monotonic_ns;
}

void ww_quiet_clock_saw(struct ww_quiet_clock *c, uint64_t newest_packet_ns, uint64_t monotonic_ns)
{
    if (newest_packet_ns >= c->packet_ns) {
        c->packet_ns = newest_packet_ns;
        c->monotonic_ns = monotonic_ns;
    }
}

uint64_t ww_quiet_clock_now(const struct ww_quiet_clock *c, uint64_t monotonic_ns)
{
    return c->packet_ns + (monotonic_ns > c->monotonic_ns ? monotonic_ns - c->monotonic_ns : 0);
}

bool ww_pipeline_run_live(struct ww_pipeline *p, struct ww_capture *cap,
                          const struct ww_live_control *ctl, char *err, size_t err_len)
{
    p->files++;
    p->live = cap;
    p->control = ctl;
    ww_capture_set_attention(cap, ctl->attention);
    uint64_t now = monotonic_ns();
    uint64_t next_stats_ns = now + ctl->stats_interval_ns;
    struct ww_quiet_clock clock;
    ww_quiet_clock_start(&clock, p->newest_ns ? p->newest_ns : realtime_ns(), now);
    bool ok = true;
    while (ok && !ww_pipeline_stopped(p)) {
        int frames;
        ok = live_read_batch(p, cap, &frames, err, err_len);
        now = monotonic_ns();
        if (frames > 0)
            ww_quiet_clock_saw(&clock, p->newest_ns, now);
        if (ok && frames < LIVE_BATCH) {
            struct pollfd pfd = {.fd = ww_capture_fd(cap), .events = POLLIN};
            poll(&pfd, 1, LIVE_POLL_MS); /* EINTR: a signal; the flags say which */
            now = monotonic_ns();
        }
        ww_pipeline_tick(p, ww_quiet_clock_now(&clock, now));
        live_housekeeping(p, ctl, now, &next_stats_ns);
    }
    p->control = NULL;
    return ok || ww_pipeline_stopped(p);
}
