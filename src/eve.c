/*
 * EVE JSON events over jansson: what an alert or stats line says.
 *
 * Field order follows Suricata's eve.json (timestamp, event_type, addresses,
 * then the event's own object) so that existing dashboards and Filebeat's
 * Suricata module read the events without mapping.
 */
#include "wormwatch/eve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/community_id.h"
#include "wormwatch/format.h"
#include "wormwatch/identity.h"
#include "wormwatch/jsonw.h"
#include "wormwatch/output.h"
#include "wormwatch/verdict.h"

json_t *ww_eve_ip(uint32_t addr)
{
    char text[WW_IPV4_LEN];
    ww_format_ipv4(addr, text);
    return json_string(text);
}

json_t *ww_eve_time(uint64_t ts_ns)
{
    char text[WW_TIMESTAMP_LEN];
    ww_format_timestamp(ts_ns, text);
    return json_string(text);
}

const char *ww_eve_proto_name(uint8_t proto)
{
    return proto == WW_IPPROTO_TCP   ? "TCP"
           : proto == WW_IPPROTO_UDP ? "UDP"
           : proto == WW_PROTO_ARP   ? "ARP"
                                     : "IP";
}

/* Attempts per minute between the first and the newest attempt. */
static double rate_per_minute(const struct ww_alert *a)
{
    double span_s = (double)(a->last_seen_ns - a->first_seen_ns) / 1e9;
    if (span_s < 1.0)
        span_s = 1.0;
    return round((double)a->attempts * 60.0 / span_s * 100.0) / 100.0;
}

/* Rounded for people: 2 decimals are plenty for a log-likelihood. */
static double round2(double v)
{
    return round(v * 100.0) / 100.0;
}

json_t *ww_eve_real2(double v)
{
    return json_real(round2(v));
}

static void write_ip(struct ww_jsonw *w, const char *key, uint32_t addr)
{
    char text[WW_IPV4_LEN];
    ww_format_ipv4(addr, text);
    ww_jsonw_string(w, key, text);
}

static void write_time(struct ww_jsonw *w, const char *key, uint64_t ts_ns)
{
    char text[WW_TIMESTAMP_LEN];
    ww_format_timestamp(ts_ns, text);
    ww_jsonw_string(w, key, text);
}

/* What every alert opens with, Suricata's order: time, interface, type,
   VLAN, the deciding packet's flow (ports and community_id only if known). */
struct flow_fields {
    uint64_t ts_ns;
    uint16_t vlan;
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto;
    bool has_sport, has_dport; /* known (a community_id needs both) */
};

static void write_head(struct ww_jsonw *w, const struct flow_fields *f, const char *iface)
{
    ww_jsonw_begin(w);
    write_time(w, "timestamp", f->ts_ns);
    if (iface && *iface)
        ww_jsonw_string(w, "in_iface", iface);
    ww_jsonw_string(w, "event_type", "alert");
    if (f->vlan) {
        ww_jsonw_array(w, "vlan");
        ww_jsonw_int(w, NULL, f->vlan);
        ww_jsonw_close(w);
    }
    write_ip(w, "src_ip", f->src);
    if (f->has_sport)
        ww_jsonw_int(w, "src_port", f->sport);
    write_ip(w, "dest_ip", f->dst);
    if (f->has_dport)
        ww_jsonw_int(w, "dest_port", f->dport);
    ww_jsonw_string(w, "proto", ww_eve_proto_name(f->proto));
    char community_id[WW_COMMUNITY_ID_LEN];
    if (f->has_sport && f->has_dport &&
        ww_community_id_v1(0, f->src, f->dst, f->proto, f->sport, f->dport, community_id))
        ww_jsonw_string(w, "community_id", community_id);
}

static void write_signature(struct ww_jsonw *w, uint32_t sid, uint32_t rev, const char *name,
                            const char *category, uint8_t severity)
{
    ww_jsonw_object(w, "alert");
    ww_jsonw_string(w, "action", "allowed");
    ww_jsonw_int(w, "gid", 1);
    ww_jsonw_int(w, "signature_id", sid);
    ww_jsonw_int(w, "rev", rev);
    ww_jsonw_string(w, "signature", name);
    ww_jsonw_string(w, "category", category);
    ww_jsonw_int(w, "severity", severity);
    ww_jsonw_close(w);
}

static void write_scan(struct ww_jsonw *w, const struct ww_alert *a)
{
    ww_jsonw_object(w, "scan");
    ww_jsonw_int(w, "dest_port", a->rule->port);
    ww_jsonw_int(w, "targets", a->targets);
    ww_jsonw_int(w, "attempts", a->attempts);
    ww_jsonw_int(w, "failed", a->failed);
    ww_jsonw_int(w, "accepted", a->accepted);
    write_time(w, "first_seen", a->first_seen_ns);
    write_time(w, "last_seen", a->last_seen_ns);
    ww_jsonw_real(w, "rate_per_min", rate_per_minute(a));
    ww_jsonw_array(w, "sample_targets");
    for (uint32_t i = 0; i < a->sample_count; i++)
        write_ip(w, NULL, a->sample[i]);
    ww_jsonw_close(w);
    ww_jsonw_close(w);
}

static void write_walk(struct ww_jsonw *w, const struct ww_alert *a)
{
    ww_jsonw_object(w, "trw");
    ww_jsonw_real(w, "llr", round2(a->llr));
    ww_jsonw_int(w, "first_contacts", a->first_contacts);
    ww_jsonw_int(w, "failures", a->walk_failures);
    ww_jsonw_close(w);
}

static void write_evidence(struct ww_jsonw *w, const struct ww_verdict *v)
{
    const struct ww_evidence *e = &v->evidence;
    ww_jsonw_object(w, "evidence");
    ww_jsonw_real(w, "octet_bits", round2(e->octet_bits));
    ww_jsonw_int(w, "scored_targets", e->scored_targets);
    ww_jsonw_int(w, "octet_violations", e->octet_violations);
    ww_jsonw_string(w, "syn_shape", ww_stack_name(v->stack));
    ww_jsonw_int(w, "local_targets", ww_evidence_local_targets(e));
    ww_jsonw_int(w, "remote_targets", ww_evidence_remote_targets(e));
    ww_jsonw_int(w, "sequential_targets", e->sequential_targets);
    ww_jsonw_int(w, "tcp139_after_445", e->tcp139_after_445);
    ww_jsonw_int(w, "netbios_probes", e->netbios_probes);
    ww_jsonw_int(w, "arp_misses", e->arp_misses);
    ww_jsonw_close(w);
}

/* The "conficker" object: likely, score, indicators, variant, evidence. */
static void write_conficker(struct ww_jsonw *w, const struct ww_verdict *v)
{
    ww_jsonw_object(w, "conficker");
    ww_jsonw_bool(w, "likely", v->likely);
    ww_jsonw_real(w, "score", round2(v->score));
    ww_jsonw_array(w, "indicators");
    for (int i = 0; i < WW_IND__COUNT; i++)
        if (v->indicators & WW_IND_BIT(i))
            ww_jsonw_string(w, NULL, ww_indicator_name((enum ww_indicator)i));
    ww_jsonw_close(w);
    char variant[2] = {v->variant, '\0'};
    if (v->variant)
        ww_jsonw_string(w, "variant", variant);
    else
        ww_jsonw_null(w, "variant");
    write_evidence(w, v);
    ww_jsonw_close(w);
}

char *ww_eve_line(json_t *event)
{
    char *body = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(event);
    if (!body)
        return NULL;
    size_t n = strlen(body);
    char *line = realloc(body, n + 2);
    if (!line) {
        free(body);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

char *ww_output_format_alert(const struct ww_alert *a, const char *host, const char *iface)
{
    const struct ww_probe *p = &a->probe;
    /* The flow fields are the tipping packet's own: an ARP request has no
       ports and no flow to pivot on, so it gets neither. */
    struct flow_fields flow = {.ts_ns = a->ts_ns, .vlan = p->vlan, .src = p->src, .dst = p->dst,
                               .sport = p->sport, .dport = p->dport, .proto = p->proto,
                               .has_sport = p->proto != WW_PROTO_ARP,
                               .has_dport = p->proto != WW_PROTO_ARP};
    struct ww_jsonw w;
    write_head(&w, &flow, iface);
    const struct ww_rule *r = a->rule;
    write_signature(&w, r->sid, r->rev, r->name, r->category, r->severity);
    ww_identity_write(&w, "identity", a->identity);
    write_scan(&w, a);
    if (r->type == WW_RULE_SEQUENTIAL)
        write_walk(&w, a);
    write_conficker(&w, &a->verdict);
    ww_jsonw_string(&w, "host", host);
    return ww_jsonw_line(&w);
}

char *ww_eve_format_finding(const struct ww_finding *f, const char *host, const char *iface)
{
    struct flow_fields flow = {.ts_ns = f->ts_ns, .src = f->src, .dst = f->dst, .sport = f->sport,
                               .dport = f->dport, .proto = f->proto,
                               .has_sport = !f->no_sport, .has_dport = !f->no_dport};
    struct ww_jsonw w;
    write_head(&w, &flow, iface);
    write_signature(&w, f->sid, 1, f->signature, f->category, f->severity);
    if (f->evidence) {
        char *members = json_dumps(f->evidence, JSON_COMPACT | JSON_REAL_PRECISION(12));
        json_decref(f->evidence);
        ww_jsonw_members(&w, members);
        free(members);
    }
    ww_identity_write(&w, "identity", f->identity);
    write_conficker(&w, f->verdict);
    ww_jsonw_string(&w, "host", host);
    return ww_jsonw_line(&w);
}

static void set_u64(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

static json_t *decoder_object(const struct ww_decode_stats *d)
{
    json_t *o = json_object();
    set_u64(o, "pkts", d->packets);
    set_u64(o, "bytes", d->bytes);
    json_t *link = json_object();
    for (int l = 0; l < WW_LINK__COUNT; l++)
        set_u64(link, ww_link_name((enum ww_link)l), d->link[l]);
    json_object_set_new(o, "link", link);
    set_u64(o, "vlan", d->vlan_tagged);
    set_u64(o, "ipv4", d->ipv4);
    set_u64(o, "ipv6", d->ipv6);
    set_u64(o, "arp", d->arp);
    set_u64(o, "other", d->other_l3);
    set_u64(o, "fragments", d->fragments);
    set_u64(o, "tcp", d->tcp);
    set_u64(o, "udp", d->udp);
    set_u64(o, "icmp", d->icmp);
    /* "invalid" is a number, as in Suricata (Filebeat maps it so); the reasons beside it. */
    json_t *reasons = json_object();
    uint64_t total = 0;
    for (int r = 1; r < WW_INVALID__COUNT; r++) {
        total += d->invalid[r];
        set_u64(reasons, ww_invalid_reason_name((enum ww_invalid)r), d->invalid[r]);
    }
    set_u64(o, "invalid", total);
    json_object_set_new(o, "invalid_reasons", reasons);
    /* Captured shorter than on the wire, and what of it the decoder lost. */
    set_u64(o, "cut", d->cut);
    json_t *lost = json_object();
    for (int what = 0; what < WW_CUT__COUNT; what++)
        set_u64(lost, ww_cut_name((enum ww_cut)what), d->cut_lost[what]);
    json_object_set_new(o, "cut_lost", lost);
    return o;
}

static json_t *probes_object(const struct ww_run_stats *s)
{
    const struct ww_probe_stats *p = s->probe;
    json_t *o = json_object();
    set_u64(o, "tcp_attempts", p->tcp_attempts);
    set_u64(o, "nbns_attempts", p->nbns_attempts);
    set_u64(o, "retransmits", p->retransmits);
    set_u64(o, "nbns_broadcast", p->nbns_broadcast);
    set_u64(o, "accepted", p->accepted);
    set_u64(o, "rejected", p->rejected);
    set_u64(o, "rejected_icmp", p->rejected_icmp);
    set_u64(o, "unanswered", p->unanswered);
    set_u64(o, "late_answers", p->late_answers);
    set_u64(o, "arp_requests", p->arp_requests);
    set_u64(o, "arp_misses", p->arp_misses);
    set_u64(o, "pending", s->pending);
    set_u64(o, "pending_capacity", s->pending_capacity);
    set_u64(o, "pending_evicted", p->pending_evicted);
    return o;
}

static json_t *hosts_object(const struct ww_hosts_stats *h)
{
    json_t *o = json_object();
    set_u64(o, "live", h->live);
    set_u64(o, "capacity", h->capacity);
    set_u64(o, "learned", h->learned);
    set_u64(o, "evictions", h->evictions);
    return o;
}

/* What every table reports: how full it is, and what left it. */
static json_t *table_common(const struct ww_table_stats *t)
{
    json_t *o = json_object();
    set_u64(o, "sources", t->entries);
    set_u64(o, "capacity", t->capacity);
    set_u64(o, "record_bytes", t->record_bytes);
    set_u64(o, "evictions", t->evictions);
    set_u64(o, "expirations", t->expirations);
    return o;
}

static json_t *probation_object(const struct ww_table_stats *t, const struct ww_detect_stats *d)
{
    json_t *o = table_common(t);
    set_u64(o, "admitted", d->newcomers);
    set_u64(o, "promoted", d->promotions);
    return o;
}

static json_t *table_object(const struct ww_table_stats *t)
{
    json_t *o = table_common(t);
    set_u64(o, "memory_bytes", t->memory_bytes);
    set_u64(o, "inserts", t->inserts);
    return o;
}

static json_t *detect_object(const struct ww_detect_stats *d)
{
    json_t *o = json_object();
    set_u64(o, "events", d->events);
    set_u64(o, "ignored_sources", d->ignored_sources);
    set_u64(o, "ignored_targets", d->ignored_targets);
    set_u64(o, "suppressed", d->suppressed);
    set_u64(o, "dark_contacts", d->dark_contacts);
    set_u64(o, "walks_benign", d->walks_benign);
    set_u64(o, "walks_forced", d->walks_forced);
    set_u64(o, "walks_half_failures", d->walks_half_failures);
    set_u64(o, "walks_port_checks", d->walks_port_checks);
    set_u64(o, "walks_outside_accepts", d->walks_outside_accepts);
    set_u64(o, "flood_seconds", d->flood.seconds);
    set_u64(o, "flood_peak_sources", d->flood.peak_sources);
    set_u64(o, "flood_skipped", d->flood.skipped);
    set_u64(o, "flood_held", d->flood.held);
    return o;
}

static json_t *sinks_array(const struct ww_output_stats *out)
{
    json_t *a = json_array();
    for (size_t i = 0; i < out->sink_count; i++) {
        const struct ww_sink_stats *k = &out->sinks[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(k->name));
        set_u64(o, "written", k->written);
        set_u64(o, "lost", k->lost);
        set_u64(o, "connects", k->connects);
        set_u64(o, "reopens", k->reopens);
        json_array_append_new(a, o);
    }
    return a;
}

/* Kernel counters of a live capture, with the share of packets lost. */
static json_t *capture_object(const struct ww_kernel_stats *k)
{
    json_t *o = json_object();
    set_u64(o, "kernel_packets", k->received);
    set_u64(o, "kernel_drops", k->dropped);
    set_u64(o, "kernel_ifdrops", k->if_dropped);
    uint64_t seen = k->received + k->dropped + k->if_dropped;
    double loss = seen ? 100.0 * (double)(k->dropped + k->if_dropped) / (double)seen : 0.0;
    json_object_set_new(o, "loss_percent", json_real(round(loss * 1000.0) / 1000.0));
    return o;
}

static json_t *p2p_stats_object(const struct ww_p2p_detect_stats *p)
{
    json_t *o = json_object();
    set_u64(o, "packets", p->packets);
    set_u64(o, "candidates", p->candidates);
    set_u64(o, "hits", p->hits);
    set_u64(o, "adjacent_week_hits", p->adjacent_hits);
    set_u64(o, "messages_checked", p->messages_checked);
    set_u64(o, "valid_messages", p->verified);
    set_u64(o, "truncated_messages", p->truncated);
    set_u64(o, "rejected_messages", p->rejected);
    set_u64(o, "serving", p->serving);
    set_u64(o, "flagged", p->flagged);
    set_u64(o, "sources", p->records);
    set_u64(o, "capacity", p->capacity);
    set_u64(o, "evictions", p->evictions);
    set_u64(o, "expirations", p->expirations);
    set_u64(o, "memory_bytes", p->memory_bytes);
    return o;
}

static json_t *dns_stats_object(uint64_t seen, const struct ww_dns_stats *d)
{
    json_t *o = json_object();
    set_u64(o, "datagrams", seen);
    set_u64(o, "messages", d->messages); /* parsed: the question had a DGA name's shape */
    set_u64(o, "queries", d->queries);
    set_u64(o, "responses", d->responses);
    uint64_t malformed = 0;
    for (int r = 1; r < WW_DNS_MALFORMED__COUNT; r++)
        malformed += d->malformed[r];
    set_u64(o, "malformed", malformed);
    return o;
}

static json_t *smb_stats_object(const struct ww_smb_stats *m)
{
    json_t *o = json_object();
    set_u64(o, "smb1", m->smb1);
    set_u64(o, "smb2", m->smb2);
    set_u64(o, "smb2_sealed", m->smb2_sealed);
    set_u64(o, "truncated", m->truncated);
    set_u64(o, "pipes", m->pipes);
    set_u64(o, "answers", m->answers);
    json_t *ev = json_object();
    for (int k = 0; k < WW_SMB_KIND__COUNT; k++)
        set_u64(ev, ww_smb_kind_name((enum ww_smb_kind)k), m->events[k]);
    json_object_set_new(o, "findings", ev);
    return o;
}

static json_t *streams_object(const struct ww_stream_stats *t, uint32_t capacity)
{
    json_t *o = json_object();
    set_u64(o, "capacity", capacity);
    set_u64(o, "flows", t->flows);
    set_u64(o, "evicted", t->evicted);
    set_u64(o, "expired", t->expired);
    set_u64(o, "closed", t->closed);
    set_u64(o, "segments", t->segments);
    set_u64(o, "bytes", t->bytes);
    set_u64(o, "gaps", t->gaps);
    set_u64(o, "gap_bytes", t->gap_bytes);
    set_u64(o, "cut_bytes", t->cut_bytes);
    set_u64(o, "abandoned", t->abandoned);
    set_u64(o, "skipped_bytes", t->skipped_bytes);
    return o;
}

static json_t *dga_stats_object(const struct ww_dga_detect_stats *g)
{
    json_t *o = json_object();
    set_u64(o, "messages", g->messages);
    set_u64(o, "matches", g->matches);
    set_u64(o, "paired", g->paired);
    set_u64(o, "unpaired_responses", g->unpaired_responses);
    set_u64(o, "clients", g->clients);
    set_u64(o, "client_evictions", g->client_evictions);
    set_u64(o, "list_evictions", g->list_evictions);
    set_u64(o, "pending_evictions", g->pending_evictions);
    set_u64(o, "flagged", g->reports);
    return o;
}

char *ww_output_format_stats(const struct ww_run_stats *s, const struct ww_output_stats *out,
                             const char *host, const char *iface)
{
    json_t *stats = json_object();
    if (s->worker >= 0)
        json_object_set_new(stats, "worker", json_integer(s->worker));
    set_u64(stats, "files", s->files);
    if (s->kernel)
        json_object_set_new(stats, "capture", capture_object(s->kernel));
    json_object_set_new(stats, "decoder", decoder_object(s->decode));
    json_object_set_new(stats, "probes", probes_object(s));
    json_object_set_new(stats, "hosts", hosts_object(s->hosts));
    json_t *table = table_object(s->table);
    if (s->probation)
        json_object_set_new(table, "probation", probation_object(s->probation, s->detect));
    json_object_set_new(stats, "table", table);
    json_object_set_new(stats, "detect", detect_object(s->detect));
    uint64_t alerts = s->detect->alerts + s->payload.alerts;
    if (s->payload.p2p) {
        json_object_set_new(stats, "p2p", p2p_stats_object(s->payload.p2p));
    }
    if (s->payload.dga) {
        json_object_set_new(stats, "dns", dns_stats_object(s->payload.dns_seen, s->payload.dns));
        json_object_set_new(stats, "dga", dga_stats_object(s->payload.dga));
    }
    if (s->indicators)
        json_object_set_new(stats, "indicators", table_common(s->indicators));
    if (s->identity) {
        json_t *id = table_common(s->identity_table);
        set_u64(id, "macs", s->identity->macs);
        set_u64(id, "macs_rejected", s->identity->macs_rejected);
        set_u64(id, "hand_overs", s->identity->hand_overs);
        set_u64(id, "dhcp_acks", s->identity->acks);
        set_u64(id, "dhcp_releases", s->identity->releases);
        set_u64(id, "netbios_names", s->identity->netbios_names);
        set_u64(id, "dhcp_parsed", s->dhcp->parsed);
        set_u64(id, "netbios_parsed", s->nbns_names->parsed);
        json_object_set_new(stats, "identity", id);
    }
    if (s->payload.smb) {
        json_object_set_new(stats, "smb", smb_stats_object(s->payload.smb));
        json_object_set_new(stats, "streams",
                            streams_object(s->payload.streams, s->payload.stream_capacity));
    }
    json_t *pay = json_object();
    set_u64(pay, "alerts", s->payload.alerts);
    set_u64(pay, "suppressed", s->payload.suppressed);
    json_object_set_new(stats, "payload", pay);
    set_u64(stats, "alerts", alerts);
    json_t *o = json_object();
    set_u64(o, "events_written", out->events_written);
    set_u64(o, "events_lost", out->events_lost);
    if (out->sink_count)
        json_object_set_new(o, "sinks", sinks_array(out));
    json_object_set_new(stats, "output", o);

    json_t *e = json_object();
    json_object_set_new(e, "timestamp", ww_eve_time(s->ts_ns));
    if (iface && *iface)
        json_object_set_new(e, "in_iface", json_string(iface));
    json_object_set_new(e, "event_type", json_string("stats"));
    json_object_set_new(e, "stats", stats);
    json_object_set_new(e, "host", json_string(host));
    return ww_eve_line(e);
}

