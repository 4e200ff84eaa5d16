/*
 * The payload stages' front: per-packet gates and report formatting. See
 * payload.h. Each gate is a test on ports and flags that the packets no
 * stage wants fail at once.
 */
#include "wormwatch/payload.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/p2p.h"

#define NS_PER_HOUR (3600ULL * 1000000000ULL)

struct ww_payload {
    const struct ww_ruleset *rules;
    struct ww_p2p_detector *p2p;
    const struct ww_p2p_detect_stats *p2p_stats; /* its counters: `records` gates TCP data */
    struct ww_dga_detect *dga;
    struct ww_smb *smb;
    struct ww_hash_key key;         /* keys the SMB flow store */
    struct ww_stream_key last_flow; /* the previous SMB segment's flow ... */
    uint32_t last_flow_hash;        /* ... and its hash: bulk transfers repeat it */
    struct ww_dns_stats dns;        /* of the messages whose name could be on a list */
    uint64_t dns_seen;              /* UDP port 53 datagrams the gate passed */
    uint64_t dns_triaged;           /* ... and those triage dropped for their shape */
    uint32_t dns_resolver;          /* the server of the message being judged */
    uint16_t dns_sport, dns_dport;  /* ... and its ports */
    bool dns_response;
    ww_payload_sink sink;
    void *sink_ctx;
};

/* --- Conficker.C P2P ---------------------------------------------------------- */

static const char *match_name(enum ww_p2p_match how)
{
    switch (how) {
    case WW_P2P_MATCH_FIXED: return "fixed";
    case WW_P2P_MATCH_WEEK: return "weekly";
    case WW_P2P_MATCH_ADJACENT: return "adjacent_week";
    default: return "none";
    }
}

static json_t *p2p_object(const struct ww_p2p_alert *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "reason", json_string(ww_p2p_reason_name(a->reason)));
    json_object_set_new(o, "week", json_integer(a->week));
    json_object_set_new(o, "targets", json_integer(a->targets));
    json_t *samples = json_array();
    for (uint32_t i = 0; i < a->samples; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "ip", ww_eve_ip(a->sample[i].dst));
        json_object_set_new(t, "port", json_integer(a->sample[i].dport));
        json_object_set_new(t, "proto", json_string(a->sample[i].tcp ? "TCP" : "UDP"));
        json_object_set_new(t, "port_kind", json_string(match_name(a->sample[i].how)));
        json_array_append_new(samples, t);
    }
    json_object_set_new(o, "sample_targets", samples);
    json_object_set_new(o, "hits", json_integer(a->hits));
    json_object_set_new(o, "candidates", json_integer(a->candidates));
    json_object_set_new(o, "adjacent_week_hits", json_integer(a->adjacent_hits));
    json_object_set_new(o, "valid_messages", json_integer(a->verified));
    json_object_set_new(o, "message_targets", json_integer(a->verified_targets));
    json_object_set_new(o, "serving", json_integer(a->serving));
    json_object_set_new(o, "nmap_shaped", json_integer(a->nmap_shaped));
    json_t *e = json_object();
    json_object_set_new(e, "p2p", o);
    return e;
}

static void on_p2p_alert(void *ctx, const struct ww_p2p_alert *a)
{
    struct ww_payload *pl = ctx;
    static const struct {
        uint32_t sid;
        const char *signature;
    } kinds[] = {
        [WW_P2P_REASON_PORTS] = {WW_SID_P2P_PORTS,
                                 "WORMWATCH Conficker.C P2P scan: computed ports of several hosts"},
        [WW_P2P_REASON_MESSAGES] = {WW_SID_P2P_MESSAGES,
                                    "WORMWATCH Conficker.C P2P messages to several hosts"},
        [WW_P2P_REASON_SERVING] = {WW_SID_P2P_SERVING,
                                   "WORMWATCH Conficker.C P2P peer answering on its computed port"},
    };
    /* The flow fields are the newest sample's: a packet that was seen. */
    const struct ww_p2p_sample *last = a->samples ? &a->sample[a->samples - 1] : NULL;
    struct ww_payload_report r = {
        .indicator = WW_IND_P2P, .counts = true, .variant = 'C',
        .finding = {.sid = kinds[a->reason].sid, .signature = kinds[a->reason].signature,
                    .category = "A Network Trojan was detected", .severity = 1,
                    .ts_ns = a->ts_ns, .src = a->src, .dst = last ? last->dst : 0,
                    .dport = last ? last->dport : 0,
                    .proto = last && last->tcp ? WW_IPPROTO_TCP : WW_IPPROTO_UDP,
                    .evidence = p2p_object(a)}};
    /* The samples keep the computed port, not the other end's: a probe's
       source port, or the prober's port of a peer's answer, is not written. */
    if (a->reason == WW_P2P_REASON_SERVING) {
        r.finding.sport = r.finding.dport;
        r.finding.dport = 0;
        r.finding.no_dport = true;
    } else {
        r.finding.no_sport = true;
    }
    pl->sink(pl->sink_ctx, &r);
}

/* Hands a UDP datagram or TCP segment to the P2P stage (the front chose it). */
static void p2p_packet(struct ww_payload *pl, const struct ww_packet *pkt, bool tcp, bool syn)
{
    if (ww_p2p_port_excluded(pkt->dport) && ww_p2p_port_excluded(pkt->sport))
        return;
    struct ww_p2p_packet p = {.ts_ns = pkt->ts_ns, .src = pkt->src, .dst = pkt->dst,
                              .sport = pkt->sport, .dport = pkt->dport, .tcp = tcp, .syn = syn,
                              .payload = pkt->payload, .payload_len = pkt->payload_len,
                              .payload_wire_len = pkt->payload_wire_len};
    ww_p2p_detect_packet(pl->p2p, &p);
}

/* --- Conficker A/B domain look-ups ------------------------------------------------ */

static void format_date(struct ww_dga_date d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d.year, d.month, d.day);
}

static void on_dga_report(void *ctx, const struct ww_dga_report *g)
{
    struct ww_payload *pl = ctx;
    char date[16];
    format_date(g->list_date, date);
    json_t *dga = json_object();
    json_object_set_new(dga, "variant", json_string(ww_dga_variant_name(g->variant)));
    json_object_set_new(dga, "date", json_string(date));
    json_t *names = json_array();
    for (uint32_t i = 0; i < g->sample_count; i++)
        json_array_append_new(names, json_string(g->samples[i]));
    json_object_set_new(dga, "names_matched", names);
    json_object_set_new(dga, "distinct", json_integer(g->distinct));
    json_object_set_new(dga, "answered", json_integer(g->answered));
    json_object_set_new(dga, "nxdomain", json_integer(g->nxdomain));
    json_object_set_new(dga, "nxdomain_share", ww_eve_real2(g->nxdomain_share));
    json_object_set_new(dga, "first_seen", ww_eve_time(g->first_seen_ns));
    /* Suricata's dns object names the look-up that tipped it. */
    json_t *dns = json_object();
    json_object_set_new(dns, "type", json_string(pl->dns_response ? "answer" : "query"));
    json_object_set_new(dns, "rrname",
                        json_string(g->sample_count ? g->samples[g->sample_count - 1] : ""));
    json_t *e = json_object();
    json_object_set_new(e, "dns", dns);
    json_object_set_new(e, "dga", dga);
    /* The tipping message's flow, from the client's side. */
    struct ww_payload_report r = {
        .indicator = WW_IND_DGA, .counts = true,
        .variant = g->variant == WW_DGA_A ? 'A' : 'B',
        .finding = {.sid = WW_SID_DGA,
                    .signature = "WORMWATCH Conficker A/B domain generation: the day's names looked up",
                    .category = "A Network Trojan was detected", .severity = 1,
                    .ts_ns = g->ts_ns, .src = g->client, .dst = g->resolver,
                    .sport = pl->dns_response ? pl->dns_dport : pl->dns_sport,
                    .dport = pl->dns_response ? pl->dns_sport : pl->dns_dport,
                    .proto = WW_IPPROTO_UDP, .evidence = e}};
    pl->sink(pl->sink_ctx, &r);
}

/* UDP port 53 only; the client is the side that is not port 53. */
static void dns_packet(struct ww_payload *pl, const struct ww_packet *pkt)
{
    pl->dns_seen++;
    if (!pkt->payload || !ww_dga_wire_candidate(pkt->payload, pkt->payload_len))
        return;
    struct ww_dns_message msg;
    if (ww_dns_parse(&pl->dns, pkt->payload, pkt->payload_len, &msg) != WW_DNS_OK)
        return;
    bool response = pkt->sport == WW_DNS_PORT && pkt->dport != WW_DNS_PORT ? true
                    : pkt->dport == WW_DNS_PORT && pkt->sport != WW_DNS_PORT ? false
                                                                             : msg.response;
    pl->dns_response = response;
    pl->dns_sport = pkt->sport;
    pl->dns_dport = pkt->dport;
    ww_dga_detect_message(pl->dga, pkt->ts_ns, response ? pkt->dst : pkt->src,
                          response ? pkt->src : pkt->dst, &msg, response);
}

/* --- SMB exploits -------------------------------------------------------------------- */

static const struct {
    const char *signature;
    bool counts;        /* toward the source's indicators (a check does not) */
    bool server_side;   /* an answer: the alert is about the server */
    uint8_t severity;
} smb_kinds[WW_SMB_KIND__COUNT] = {
    [WW_SMB_MS08_067_EXPLOIT] = {"WORMWATCH MS08-067 NetprPathCanonicalize exploit", true, false, 1},
    [WW_SMB_MS08_067_CHECK] = {"WORMWATCH MS08-067 vulnerability check", false, false, 2},
    [WW_SMB_MS08_067_INFECTED] = {"WORMWATCH MS08-067 check answered as Conficker's patch does: "
                                  "the server is infected", true, true, 1},
    [WW_SMB_MS17_010_EXPLOIT] = {"WORMWATCH MS17-010 EternalBlue exploit", true, false, 1},
    [WW_SMB_MS17_010_CHECK] = {"WORMWATCH MS17-010 vulnerability check", false, false, 2},
    [WW_SMB_MS17_010_DOUBLEPULSAR_PING] = {"WORMWATCH DoublePulsar ping", true, false, 1},
    [WW_SMB_MS17_010_DOUBLEPULSAR_EXEC] = {"WORMWATCH DoublePulsar command", true, false, 1},
    [WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT] = {"WORMWATCH DoublePulsar implant answering: the "
                                              "server is compromised", true, true, 1},
};

static json_t *uuid_string(const uint8_t u[16])
{
    /* The SMB stage keeps the UUID in its text order (dcerpc.h). */
    char text[40];
    snprintf(text, sizeof text,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    return json_string(text);
}

static json_t *smb_evidence(const struct ww_smb_event *e)
{
    json_t *smb = json_object();
    json_object_set_new(smb, "finding", json_string(ww_smb_kind_name(e->kind)));
    json_object_set_new(smb, "dialect", json_string(e->smb.dialect == 2 ? "SMB2" : "SMB1"));
    json_object_set_new(smb, "command", json_string(ww_smb_command_name(e->smb.dialect,
                                                                        e->smb.command)));
    if (e->smb.named_pipe[0])
        json_object_set_new(smb, "named_pipe", json_string(e->smb.named_pipe));
    json_t *out = json_object();
    if (e->kind >= WW_SMB_MS17_010_EXPLOIT) {
        json_object_set_new(smb, "mid", json_integer(e->smb.mid));
        json_t *ms17 = json_object();
        if (e->kind == WW_SMB_MS17_010_EXPLOIT) {
            json_object_set_new(ms17, "nt_trans_total_data", json_integer(e->ms17.nt_total_data));
            json_object_set_new(ms17, "nt_trans_function", json_integer(e->ms17.nt_function));
        } else if (e->kind == WW_SMB_MS17_010_CHECK) {
            json_object_set_new(ms17, "fid", json_integer(e->ms17.fid));
        } else {
            json_object_set_new(ms17, "doublepulsar_timeout", json_integer(e->ms17.timeout));
            json_object_set_new(ms17, "doublepulsar_opcode", json_integer(e->ms17.opcode));
        }
        json_object_set_new(out, "ms17_010", ms17);
    }
    json_object_set_new(out, "smb", smb);
    if (e->has_dcerpc) {
        json_t *d = json_object();
        json_object_set_new(d, "request", json_string("REQUEST"));
        json_object_set_new(d, "call_id", json_integer(e->dcerpc.call_id));
        json_t *req = json_object();
        json_object_set_new(req, "opnum", json_integer(e->dcerpc.opnum));
        json_object_set_new(req, "frag_cnt", json_integer(e->dcerpc.fragments));
        json_object_set_new(req, "stub_data_size", json_integer(e->dcerpc.stub_bytes));
        json_object_set_new(req, "request_bytes", json_integer(e->dcerpc.request_bytes));
        json_object_set_new(req, "alloc_hint", json_integer(e->dcerpc.alloc_hint));
        json_object_set_new(d, "req", req);
        json_t *iface = json_object();
        if (e->dcerpc.interface_known)
            json_object_set_new(iface, "uuid", uuid_string(e->dcerpc.interface_uuid));
        json_object_set_new(iface, "context_id", json_integer(e->dcerpc.context_id));
        json_object_set_new(iface, "bind_contexts", json_integer(e->dcerpc.bind_contexts));
        json_object_set_new(d, "interface", iface);
        json_t *path = json_object();
        json_object_set_new(path, "units", json_integer(e->dcerpc.path_units));
        json_object_set_new(path, "examined", json_integer(e->dcerpc.path_examined));
        json_object_set_new(path, "non_ascii", json_integer(e->dcerpc.path_nonascii));
        json_object_set_new(path, "climbs", json_boolean(e->dcerpc.path_climbs));
        json_object_set_new(d, "path", path);
        if (e->kind == WW_SMB_MS08_067_INFECTED)
            json_object_set_new(d, "answer_status", json_integer(e->dcerpc.answer_status));
        json_object_set_new(out, "dcerpc", d);
    }
    return out;
}

static void on_smb_event(void *ctx, const struct ww_smb_event *e)
{
    struct ww_payload *pl = ctx;
    if ((unsigned)e->kind >= WW_SMB_KIND__COUNT)
        return;
    bool server = smb_kinds[e->kind].server_side;
    enum ww_indicator ind = e->kind <= WW_SMB_MS08_067_INFECTED ? WW_IND_MS08_067 : WW_IND_MS17_010;
    struct ww_payload_report r = {
        .indicator = ind, .counts = smb_kinds[e->kind].counts,
        .finding = {.sid = WW_SID_SMB_FIRST + (uint32_t)e->kind,
                    .signature = smb_kinds[e->kind].signature,
                    .category = smb_kinds[e->kind].counts ? "Attempted Administrator Privilege Gain"
                                                          : "Attempted Information Leak",
                    .severity = smb_kinds[e->kind].severity, .ts_ns = e->ts_ns,
                    .src = server ? e->flow.server : e->flow.client,
                    .dst = server ? e->flow.client : e->flow.server,
                    .sport = server ? e->flow.server_port : e->flow.client_port,
                    .dport = server ? e->flow.client_port : e->flow.server_port,
                    .proto = WW_IPPROTO_TCP, .evidence = smb_evidence(e)}};
    pl->sink(pl->sink_ctx, &r);
}

/* A segment of TCP/445 or /139: data, or the flags that end or restart a flow. */
static void smb_packet(struct ww_payload *pl, const struct ww_packet *pkt)
{
    struct ww_stream_key key;
    bool to_server;
    if (!ww_smb_flow_key(pkt->src, pkt->dst, pkt->sport, pkt->dport, &key, &to_server))
        return;
    if (memcmp(&key, &pl->last_flow, sizeof key) != 0) {
        pl->last_flow = key;
        pl->last_flow_hash =
            (uint32_t)ww_hash_u32x4(&pl->key, key.client, key.server,
                                    (uint32_t)key.client_port << 16 | key.server_port,
                                    WW_IPPROTO_TCP);
    }
    uint32_t hash = pl->last_flow_hash;
    struct ww_segment seg = {.ts_ns = pkt->ts_ns, .seq = pkt->tcp_seq, .tcp_flags = pkt->tcp_flags,
                             .payload = pkt->payload, .captured = pkt->payload_len,
                             .len = pkt->payload_wire_len};
    ww_smb_segment(pl->smb, hash, &key, to_server, &seg);
}

/* --- the front ---------------------------------------------------------------- */

/*
 * The stages share `memory`: half for the SMB flows (about 5 KB each), a
 * quarter each for the P2P sources and the DGA clients. A stage that is off
 * leaves its share unused rather than growing the others: the bound is what
 * the operator set.
 */
struct ww_payload *ww_payload_new(const struct ww_ruleset *rules, uint64_t memory,
                                  const struct ww_hash_key *key, ww_payload_sink sink, void *ctx)
{
    struct ww_payload *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->rules = rules;
    pl->key = *key;
    pl->sink = sink;
    pl->sink_ctx = ctx;
    const struct ww_payload_rules *r = &rules->payload;
    if (r->p2p) {
        struct ww_p2p_detect_config cfg;
        ww_p2p_detect_config_default(&cfg);
        cfg.min_targets = r->p2p_min_targets;
        cfg.window = r->p2p_window;
        cfg.min_verified_targets = r->p2p_min_verified_targets;
        cfg.min_serving = r->p2p_min_serving;
        cfg.week_slack_ns = r->p2p_week_slack_ns;
        cfg.idle_timeout_ns = rules->idle_timeout_ns ? rules->idle_timeout_ns : NS_PER_HOUR;
        cfg.key = *key;
        uint64_t per_source = ww_p2p_detect_bytes_per_source();
        uint64_t capacity = memory / 4 / per_source; /* a quarter: see below */
        cfg.capacity = (uint32_t)(capacity < 16 ? 16 : capacity > (1u << 24) ? (1u << 24) : capacity);
        if (!(pl->p2p = ww_p2p_detector_new(&cfg, on_p2p_alert, pl))) {
            ww_payload_free(pl);
            return NULL;
        }
        pl->p2p_stats = ww_p2p_detect_stats(pl->p2p);
    }
    if (r->smb) {
        struct ww_smb_config cfg = {.memory_bytes = (size_t)(memory / 2),
                                    .idle_timeout_ns = 5 * 60 * 1000000000ULL, .answers = true};
        if (cfg.memory_bytes < 16 * ww_smb_bytes_per_flow())
            cfg.memory_bytes = 16 * ww_smb_bytes_per_flow();
        if (!(pl->smb = ww_smb_new(&cfg, on_smb_event, pl))) {
            ww_payload_free(pl);
            return NULL;
        }
    }
    if (r->dga) {
        struct ww_dga_detect_config cfg;
        ww_dga_detect_config_default(&cfg);
        cfg.min_names = r->dga_min_names;
        cfg.key = *key;
        /* A client's record is under a kilobyte; a share of the budget, at least 256. */
        uint64_t per_client = ww_dga_detect_bytes(&(struct ww_dga_detect_config){
                                  .min_names = 3, .max_clients = 2}) -
                              ww_dga_detect_bytes(&(struct ww_dga_detect_config){
                                  .min_names = 3, .max_clients = 1});
        uint64_t clients = memory / 4 / (per_client ? per_client : 1024);
        cfg.max_clients = (uint32_t)(clients < 256 ? 256 : clients > 65536 ? 65536 : clients);
        if (!(pl->dga = ww_dga_detect_new(&cfg, on_dga_report, pl))) {
            ww_payload_free(pl);
            return NULL;
        }
    }
    return pl;
}

void ww_payload_free(struct ww_payload *pl)
{
    if (!pl)
        return;
    ww_p2p_detector_free(pl->p2p);
    ww_dga_detect_free(pl->dga);
    ww_smb_free(pl->smb);
    free(pl);
}

/*
 * The gate. A TCP segment of an ordinary flow, the common packet, costs a
 * flag test and, when it carries data, one load: the P2P stage only reads
 * TCP data once it holds a source whose SYN hit a computed port.
 */
void ww_payload_packet(struct ww_payload *pl, const struct ww_packet *pkt)
{
    if (pkt->proto == WW_IPPROTO_TCP) {
        bool smb_port = pkt->dport == 445 || pkt->sport == 445 || pkt->dport == 139 ||
                        pkt->sport == 139;
        if (smb_port) {
            if (pl->smb && (pkt->payload_wire_len || (pkt->tcp_flags & (WW_TCP_FIN | WW_TCP_RST))))
                smb_packet(pl, pkt);
            return; /* no P2P port: both are below 2048 */
        }
        if (!pl->p2p)
            return;
        bool syn = (pkt->tcp_flags & (WW_TCP_SYN | WW_TCP_ACK)) == WW_TCP_SYN;
        if (syn || (pkt->payload_len && pl->p2p_stats->records))
            p2p_packet(pl, pkt, true, syn);
        return;
    }
    if (pkt->proto != WW_IPPROTO_UDP)
        return;
    if (pl->dga && (pkt->sport == WW_DNS_PORT || pkt->dport == WW_DNS_PORT))
        dns_packet(pl, pkt);
    else if (pl->p2p)
        p2p_packet(pl, pkt, false, false);
}

void ww_payload_stats(const struct ww_payload *pl, struct ww_payload_stats *out)
{
    out->p2p = pl->p2p ? ww_p2p_detect_stats(pl->p2p) : NULL;
    out->dns = pl->dga ? &pl->dns : NULL;
    out->dns_seen = pl->dns_seen + pl->dns_triaged;
    out->dga = pl->dga ? ww_dga_detect_stats(pl->dga) : NULL;
    out->smb = pl->smb ? ww_smb_stats(pl->smb) : NULL;
    out->streams = pl->smb ? ww_smb_stream_stats(pl->smb) : NULL;
    out->stream_capacity = pl->smb ? ww_smb_capacity(pl->smb) : 0;
}

unsigned ww_payload_sid_slot(uint32_t sid)
{
    if (sid >= WW_SID_SMB_FIRST && sid < WW_SID_SMB_FIRST + WW_SMB_KIND__COUNT)
        return sid - WW_SID_SMB_FIRST; /* 0..7 */
    if (sid >= WW_SID_P2P_PORTS && sid <= WW_SID_P2P_SERVING)
        return 8 + (sid - WW_SID_P2P_PORTS); /* 8..10 */
    return sid == WW_SID_DGA ? 11 : WW_IND_ALERT_SLOTS;
}

uint64_t *ww_payload_dns_dropped(struct ww_payload *pl)
{
    return &pl->dns_triaged;
}

const struct ww_flow_skips *ww_payload_smb_skips(const struct ww_payload *pl)
{
    return pl->smb ? ww_smb_skips(pl->smb) : NULL;
}

const uint32_t *ww_payload_smb_answers_due(const struct ww_payload *pl)
{
    return pl->smb ? ww_smb_answers_due(pl->smb) : NULL;
}

const struct ww_addr_filter *ww_payload_p2p_talkers(const struct ww_payload *pl)
{
    return pl->p2p ? ww_p2p_detect_talkers(pl->p2p) : NULL;
}

void ww_payload_advance(struct ww_payload *pl, uint64_t now_ns)
{
    if (pl->smb)
        ww_smb_advance(pl->smb, now_ns);
}

void ww_payload_finish(struct ww_payload *pl)
{
    if (pl->smb)
        ww_smb_flush(pl->smb);
}
