/*
 * EVE JSON writer over jansson.
 *
 * Field order follows Suricata's eve.json (timestamp, event_type, addresses,
 * then the event's own object) so that existing dashboards and Filebeat's
 * Suricata module read the events without mapping.
 */
#include "wormwatch/output.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wormwatch/format.h"
#include "wormwatch/verdict.h"

struct ww_output {
    int fd;
    bool owns_fd;
    char path[256];
    char host[256];
    struct ww_output_stats stats;
    char error[320];
};

struct ww_output *ww_output_open(const char *path, const char *host, char *err, size_t err_len)
{
    struct ww_output *out = calloc(1, sizeof *out);
    if (!out) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    snprintf(out->host, sizeof out->host, "%s", host ? host : "");
    if (!path || !strcmp(path, "-")) {
        out->fd = STDOUT_FILENO;
        snprintf(out->path, sizeof out->path, "<stdout>");
        return out;
    }
    snprintf(out->path, sizeof out->path, "%s", path);
    out->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out->fd < 0) {
        snprintf(err, err_len, "%s: cannot open output: %s", path, strerror(errno));
        free(out);
        return NULL;
    }
    out->owns_fd = true;
    return out;
}

static bool note_failure(struct ww_output *out, const char *what)
{
    out->stats.events_lost++;
    if (!out->error[0])
        snprintf(out->error, sizeof out->error, "%s: cannot write event: %s", out->path, what);
    return false;
}

/* Writes one whole line or nothing (a partial line on a file is cut off). */
static bool write_line(struct ww_output *out, const char *line)
{
    if (!line)
        return note_failure(out, "out of memory");
    /* Every event is tried, even after a failure: a full disk may clear. */
    size_t len = strlen(line), done = 0;
    struct stat st;
    off_t start = -1;
    if (fstat(out->fd, &st) == 0 && S_ISREG(st.st_mode))
        start = st.st_size;
    while (done < len) {
        ssize_t n = write(out->fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : ENOSPC;
            if (done > 0 && start >= 0 && ftruncate(out->fd, start) != 0)
                saved = errno;
            return note_failure(out, strerror(saved));
        }
        done += (size_t)n;
    }
    out->stats.events_written++;
    return true;
}

static json_t *ip_string(uint32_t addr)
{
    char text[WW_IPV4_LEN];
    ww_format_ipv4(addr, text);
    return json_string(text);
}

static json_t *time_string(uint64_t ts_ns)
{
    char text[WW_TIMESTAMP_LEN];
    ww_format_timestamp(ts_ns, text);
    return json_string(text);
}

static const char *proto_name(uint8_t proto)
{
    return proto == WW_IPPROTO_TCP ? "TCP" : proto == WW_IPPROTO_UDP ? "UDP" : "IP";
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
    json_object_set_new(o, "first_seen", time_string(a->first_seen_ns));
    json_object_set_new(o, "last_seen", time_string(a->last_seen_ns));
    json_object_set_new(o, "rate_per_min", json_real(rate_per_minute(a)));
    json_t *samples = json_array();
    for (uint32_t i = 0; i < a->sample_count; i++)
        json_array_append_new(samples, ip_string(a->sample[i]));
    json_object_set_new(o, "sample_targets", samples);
    return o;
}

/* Rounded for people: 2 decimals are plenty for a log-likelihood. */
static json_t *real2(double v)
{
    return json_real(round(v * 100.0) / 100.0);
}

static json_t *walk_object(const struct ww_alert *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "llr", real2(a->llr));
    json_object_set_new(o, "first_contacts", json_integer(a->first_contacts));
    json_object_set_new(o, "failures", json_integer(a->walk_failures));
    return o;
}

static json_t *evidence_object(const struct ww_verdict *v)
{
    const struct ww_evidence *e = &v->evidence;
    json_t *o = json_object();
    json_object_set_new(o, "octet_bits", real2(e->octet_bits));
    json_object_set_new(o, "scored_targets", json_integer(e->scored_targets));
    json_object_set_new(o, "octet_violations", json_integer(e->octet_violations));
    json_object_set_new(o, "syn_shape", json_string(ww_stack_name(v->stack)));
    json_object_set_new(o, "local_targets", json_integer(e->local_targets));
    json_object_set_new(o, "remote_targets", json_integer(e->remote_targets));
    json_object_set_new(o, "sequential_targets", json_integer(e->sequential_targets));
    json_object_set_new(o, "tcp139_after_445", json_integer(e->tcp139_after_445));
    json_object_set_new(o, "netbios_probes", json_integer(e->netbios_probes));
    json_object_set_new(o, "arp_misses", json_integer(e->arp_misses));
    return o;
}

static json_t *conficker_object(const struct ww_verdict *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "likely", json_boolean(v->likely));
    json_object_set_new(o, "score", real2(v->score));
    json_object_set_new(o, "evidence", evidence_object(v));
    return o;
}

static char *dump_line(json_t *event)
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

char *ww_output_format_alert(const struct ww_alert *a, const char *host)
{
    const struct ww_probe *p = &a->probe;
    json_t *e = json_object();
    json_object_set_new(e, "timestamp", time_string(a->ts_ns));
    json_object_set_new(e, "event_type", json_string("alert"));
    if (p->vlan) {
        json_t *vlan = json_array();
        json_array_append_new(vlan, json_integer(p->vlan));
        json_object_set_new(e, "vlan", vlan);
    }
    json_object_set_new(e, "src_ip", ip_string(p->src));
    json_object_set_new(e, "src_port", json_integer(p->sport));
    json_object_set_new(e, "dest_ip", ip_string(p->dst));
    json_object_set_new(e, "dest_port", json_integer(a->rule->port));
    json_object_set_new(e, "proto", json_string(proto_name(a->rule->proto)));
    json_object_set_new(e, "alert", alert_object(a->rule));
    json_object_set_new(e, "scan", scan_object(a));
    if (a->rule->type == WW_RULE_SEQUENTIAL)
        json_object_set_new(e, "trw", walk_object(a));
    json_object_set_new(e, "conficker", conficker_object(&a->verdict));
    json_object_set_new(e, "host", json_string(host));
    return dump_line(e);
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
    json_t *invalid = json_object();
    uint64_t total = 0;
    for (int r = 1; r < WW_INVALID__COUNT; r++)
        total += d->invalid[r];
    set_u64(invalid, "total", total);
    for (int r = 1; r < WW_INVALID__COUNT; r++)
        set_u64(invalid, ww_invalid_reason_name((enum ww_invalid)r), d->invalid[r]);
    json_object_set_new(o, "invalid", invalid);
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

static json_t *table_object(const struct ww_table_stats *t)
{
    json_t *o = json_object();
    set_u64(o, "sources", t->entries);
    set_u64(o, "capacity", t->capacity);
    set_u64(o, "memory_bytes", t->memory_bytes);
    set_u64(o, "record_bytes", t->record_bytes);
    set_u64(o, "inserts", t->inserts);
    set_u64(o, "evictions", t->evictions);
    set_u64(o, "expirations", t->expirations);
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
    return o;
}

char *ww_output_format_stats(const struct ww_run_stats *s, const struct ww_output_stats *out,
                             const char *host)
{
    json_t *stats = json_object();
    set_u64(stats, "files", s->files);
    json_object_set_new(stats, "decoder", decoder_object(s->decode));
    json_object_set_new(stats, "probes", probes_object(s));
    json_object_set_new(stats, "hosts", hosts_object(s->hosts));
    json_object_set_new(stats, "table", table_object(s->table));
    json_object_set_new(stats, "detect", detect_object(s->detect));
    set_u64(stats, "alerts", s->detect->alerts);
    json_t *o = json_object();
    set_u64(o, "events_written", out->events_written);
    set_u64(o, "events_lost", out->events_lost);
    json_object_set_new(stats, "output", o);

    json_t *e = json_object();
    json_object_set_new(e, "timestamp", time_string(s->ts_ns));
    json_object_set_new(e, "event_type", json_string("stats"));
    json_object_set_new(e, "stats", stats);
    json_object_set_new(e, "host", json_string(host));
    return dump_line(e);
}

bool ww_output_alert(struct ww_output *out, const struct ww_alert *alert)
{
    char *line = ww_output_format_alert(alert, out->host);
    bool ok = write_line(out, line);
    free(line);
    return ok;
}

bool ww_output_stats(struct ww_output *out, const struct ww_run_stats *stats)
{
    char *line = ww_output_format_stats(stats, &out->stats, out->host);
    bool ok = write_line(out, line);
    free(line);
    return ok;
}

const struct ww_output_stats *ww_output_get_stats(const struct ww_output *out)
{
    return &out->stats;
}

const char *ww_output_error(const struct ww_output *out)
{
    return out->error[0] ? out->error : NULL;
}

bool ww_output_close(struct ww_output *out, char *err, size_t err_len)
{
    if (!out)
        return true;
    bool ok = !out->error[0];
    if (!ok)
        snprintf(err, err_len, "%s (%llu event%s lost)", out->error,
                 (unsigned long long)out->stats.events_lost, out->stats.events_lost == 1 ? "" : "s");
    if (out->owns_fd && close(out->fd) != 0 && ok) {
        snprintf(err, err_len, "%s: cannot close output: %s", out->path, strerror(errno));
        ok = false;
    }
    free(out);
    return ok;
}
