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

static json_t *alert_object(const struct ww_rule *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "action", json_string("allowed"));
    json_object_set_new(o, "gid", json_integer(1));
    json_object_set_new(o, "signature_id", json_integer(r->sid));
    json_object_set_new(o, "rev", json_integer(r->rev));
    json_object_set_new(o, "signature", json_string(r->name));
    json_object_set_new(o, "category", json_string(r->category));
    json_object_set_new(o, "severity", json_integer(r->severity));
    return o;
}

static json_t *scan_object(const struct ww_alert *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "dest_port", json_integer(a->rule->port));
    json_object_set_new(o, "targets", json_integer(a->targets));
    json_object_set_new(o, "attempts", json_integer(a->attempts));
    json_object_set_new(o, "failed", json_integer(a->failed));
    json_object_set_new(o, "accepted", json_integer(a->accepted));
    json_object_set_new(o, "first_seen", ww_eve_time(a->first_seen_ns));
    json_object_set_new(o, "last_seen", ww_eve_time(a->last_seen_ns));
    json_object_set_new(o, "rate_per_min", json_real(rate_per_minute(a)));
    json_t *samples = json_array();
    for (uint32_t i = 0; i < a->sample_count; i++)
        json_array_append_new(samples, ww_eve_ip(a->sample[i]));
    json_object_set_new(o, "sample_targets", samples);
    return o;
}

/* Rounded for people: 2 decimals are plenty for a log-likelihood. */
json_t *ww_eve_real2(double v)
{
    return json_real(round(v * 100.0) / 100.0);
}

static json_t *walk_object(const struct ww_alert *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "llr", ww_eve_real2(a->llr));
    json_object_set_new(o, "first_contacts", json_integer(a->first_contacts));
    json_object_set_new(o, "failures", json_integer(a->walk_failures));
    return o;
}

static json_t *evidence_object(const struct ww_verdict *v)
{
    const struct ww_evidence *e = &v->evidence;
    json_t *o = json_object();
    json_object_set_new(o, "octet_bits", ww_eve_real2(e->octet_bits));
    json_object_set_new(o, "scored_targets", json_integer(e->scored_targets));
    json_object_set_new(o, "octet_violations", json_integer(e->octet_violations));
    json_object_set_new(o, "syn_shape", json_string(ww_stack_name(v->stack)));
    json_object_set_new(o, "local_targets", json_integer(ww_evidence_local_targets(e)));
    json_object_set_new(o, "remote_targets", json_integer(ww_evidence_remote_targets(e)));
    json_object_set_new(o, "sequential_targets", json_integer(e->sequential_targets));
    json_object_set_new(o, "tcp139_after_445", json_integer(e->tcp139_after_445));
    json_object_set_new(o, "netbios_probes", json_integer(e->netbios_probes));
    json_object_set_new(o, "arp_misses", json_integer(e->arp_misses));
    return o;
}

json_t *ww_eve_conficker(const struct ww_verdict *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "likely", json_boolean(v->likely));
    json_object_set_new(o, "score", ww_eve_real2(v->score));
    json_t *indicators = json_array();
    for (int i = 0; i < WW_IND__COUNT; i++)
        if (v->indicators & WW_IND_BIT(i))
            json_array_append_new(indicators, json_string(ww_indicator_name((enum ww_indicator)i)));
    json_object_set_new(o, "indicators", indicators);
    char variant[2] = {v->variant, '\0'};
    json_object_set_new(o, "variant", v->variant ? json_string(variant) : json_null());
    json_object_set_new(o, "evidence", evidence_object(v));
    return o;
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
    json_t *e = json_object();
    json_object_set_new(e, "timestamp", ww_eve_time(a->ts_ns));
    if (iface && *iface)
        json_object_set_new(e, "in_iface", json_string(iface));
    json_object_set_new(e, "event_type", json_string("alert"));
    if (p->vlan) {
        json_t *vlan = json_array();
        json_array_append_new(vlan, json_integer(p->vlan));
        json_object_set_new(e, "vlan", vlan);
    }
    /* The flow fields are the tipping packet's own: an ARP request has no
       ports and no flow to pivot on, so it gets neither. */
    json_object_set_new(e, "src_ip", ww_eve_ip(p->src));
    if (p->proto != WW_PROTO_ARP)
        json_object_set_new(e, "src_port", json_integer(p->sport));
    json_object_set_new(e, "dest_ip", ww_eve_ip(p->dst));
    if (p->proto != WW_PROTO_ARP)
        json_object_set_new(e, "dest_port", json_integer(p->dport));
    json_object_set_new(e, "proto", json_string(ww_eve_proto_name(p->proto)));
    char community_id[WW_COMMUNITY_ID_LEN];
    if (p->proto != WW_PROTO_ARP &&
        ww_community_id_v1(0, p->src, p->dst, p->proto, p->sport, p->dport, community_id))
        json_object_set_new(e, "community_id", json_string(community_id));
    json_object_set_new(e, "alert", alert_object(a->rule));
    json_t *identity = a->identity ? ww_identity_json(a->identity) : NULL;
    if (identity)
        json_object_set_new(e, "identity", identity);
    json_object_set_new(e, "scan", scan_object(a));
    if (a->rule->type == WW_RULE_SEQUENTIAL)
        json_object_set_new(e, "trw", walk_object(a));
    json_object_set_new(e, "conficker", ww_eve_conficker(&a->verdict));
    json_object_set_new(e, "host", json_string(host));
    return ww_eve_line(e);
}

char *ww_eve_format_finding(const struct ww_finding *f, const char *host, const char *iface)
{
    json_t *e = json_object();
    json_object_set_new(e, "timestamp", ww_eve_time(f->ts_ns));
    if (iface && *iface)
        json_object_set_new(e, "in_iface", json_string(iface));
    json_object_set_new(e, "event_type", json_string("alert"));
    json_object_set_new(e, "src_ip", ww_eve_ip(f->src));
    if (!f->no_sport)
        json_object_set_new(e, "src_port", json_integer(f->sport));
    json_object_set_new(e, "dest_ip", ww_eve_ip(f->dst));
    if (!f->no_dport)
        json_object_set_new(e, "dest_port", json_integer(f->dport));
    json_object_set_new(e, "proto", json_string(ww_eve_proto_name(f->proto)));
    char community_id[WW_COMMUNITY_ID_LEN];
    if (!f->no_sport && !f->no_dport &&
        ww_community_id_v1(0, f->src, f->dst, f->proto, f->sport, f->dport, community_id))
        json_object_set_new(e, "community_id", json_string(community_id));
    json_t *alert = json_object();
    json_object_set_new(alert, "action", json_string("allowed"));
    json_object_set_new(alert, "gid", json_integer(1));
    json_object_set_new(alert, "signature_id", json_integer(f->sid));
    json_object_set_new(alert, "rev", json_integer(1));
    json_object_set_new(alert, "signature", json_string(f->signature));
    json_object_set_new(alert, "category", json_string(f->category));
    json_object_set_new(alert, "severity", json_integer(f->severity));
    json_object_set_new(e, "alert", alert);
    if (f->evidence) {
        json_object_update(e, f->evidence);
        json_decref(f->evidence);
    }
    json_object_set_new(e, "conficker", ww_eve_conficker(f->verdict));
    json_object_set_new(e, "host", json_string(host));
    return ww_eve_line(e);
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

