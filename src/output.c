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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "wormwatch/community_id.h"
#include "wormwatch/format.h"
#include "wormwatch/verdict.h"

enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_UNIX_DGRAM, SINK_UNIX_STREAM, SINK_SYSLOG };

/* One place events go. */
struct sink {
    enum sink_kind kind;
    char name[WW_OUTPUT_NAME_MAX]; /* as given on the command line, for messages */
    char path[WW_OUTPUT_NAME_MAX]; /* file or socket path */
    int fd;                        /* -1 while closed (socket: disconnected) */
    int facility;                  /* syslog */
    char *unsent;                  /* stream socket: the tail of a line it took in part */
    size_t unsent_len;
    uint64_t next_connect_ns;      /* socket: no reconnection attempt before this */
    struct ww_sink_stats stats;
};

struct ww_output {
    pthread_mutex_t lock;          /* workers share the output: one line at a time */
    struct sink sinks[WW_OUTPUT_MAX_SINKS];
    size_t sink_count;
    struct ww_sink_stats sink_stats[WW_OUTPUT_MAX_SINKS]; /* a copy for the stats event */
    char host[256];
    char iface[64];
    struct ww_output_stats stats;
    char error[320]; /* the first failure of a file or stdout sink */
};

#define RECONNECT_INTERVAL_NS 1000000000ULL

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct ww_output *ww_output_new(const char *host)
{
    struct ww_output *out = calloc(1, sizeof *out);
    if (!out)
        return NULL;
    if (pthread_mutex_init(&out->lock, NULL) != 0) {
        free(out);
        return NULL;
    }
    snprintf(out->host, sizeof out->host, "%s", host ? host : "");
    return out;
}

void ww_output_set_iface(struct ww_output *out, const char *iface)
{
    snprintf(out->iface, sizeof out->iface, "%s", iface ? iface : "");
}

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Connects a Unix socket client; false leaves fd -1 (to be retried later). */
static bool connect_socket(struct sink *k)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t n = strlen(k->path); /* parse_sink checked it fits */
    memcpy(addr.sun_path, k->path, n < sizeof addr.sun_path ? n : sizeof addr.sun_path - 1);
    int type = k->kind == SINK_UNIX_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        k->next_connect_ns = monotonic_ns() + RECONNECT_INTERVAL_NS;
        return false;
    }
    k->fd = fd;
    k->stats.connects++;
    return true;
}

static const struct {
    const char *name;
    int facility;
} facilities[] = {
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"security", LOG_AUTH}, {"auth", LOG_AUTH},
};

/* Parses an output spec into a sink; false with a reason. */
static bool parse_sink(const char *spec, struct sink *k, char *err, size_t err_len)
{
    memset(k, 0, sizeof *k);
    k->fd = -1;
    if (strlen(spec) >= sizeof k->name) {
        snprintf(err, err_len, "%.40s...: output name too long", spec);
        return false;
    }
    snprintf(k->name, sizeof k->name, "%s", spec);
    const char *path = spec;
    if (!strcmp(spec, "-")) {
        k->kind = SINK_STDOUT;
        snprintf(k->name, sizeof k->name, "<stdout>");
        return true;
    }
    if (!strncmp(spec, "unix-dgram:", 11) || !strncmp(spec, "unix-stream:", 12)) {
        k->kind = spec[5] == 'd' ? SINK_UNIX_DGRAM : SINK_UNIX_STREAM;
        path = strchr(spec, ':') + 1;
        if (!*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            snprintf(err, err_len, "%s: a Unix socket path of 1 to %zu bytes is needed", spec,
                     sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
            return false;
        }
    } else if (!strcmp(spec, "syslog") || !strncmp(spec, "syslog:", 7)) {
        k->kind = SINK_SYSLOG;
        const char *name = spec[6] == ':' ? spec + 7 : "local5";
        for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
            if (!strcmp(name, facilities[i].name)) {
                k->facility = facilities[i].facility;
                return true;
            }
        snprintf(err, err_len, "%s: unknown syslog facility '%s' (local0-7, daemon, user, auth)",
                 spec, name);
        return false;
    } else {
        k->kind = SINK_FILE;
    }
    snprintf(k->path, sizeof k->path, "%s", path);
    return true;
}

/* Opens a sink. A socket whose reader is absent is not an error: it reconnects. */
static bool open_sink(struct sink *k, char *err, size_t err_len)
{
    switch (k->kind) {
    case SINK_STDOUT: k->fd = STDOUT_FILENO; return true;
    case SINK_FILE:
        k->fd = open_file(k->path);
        if (k->fd < 0) {
            snprintf(err, err_len, "%s: cannot open output: %s", k->path, strerror(errno));
            return false;
        }
        return true;
    case SINK_UNIX_DGRAM:
    case SINK_UNIX_STREAM: connect_socket(k); return true;
    case SINK_SYSLOG: openlog("wormwatch", LOG_PID | LOG_NDELAY, k->facility); return true;
    }
    return false;
}

bool ww_output_add(struct ww_output *out, const char *spec, char *err, size_t err_len)
{
    if (out->sink_count == WW_OUTPUT_MAX_SINKS) {
        snprintf(err, err_len, "%s: at most %d outputs", spec, WW_OUTPUT_MAX_SINKS);
        return false;
    }
    struct sink *k = &out->sinks[out->sink_count];
    if (!parse_sink(spec, k, err, err_len) || !open_sink(k, err, err_len))
        return false;
    out->sink_count++;
    return true;
}

struct ww_output *ww_output_open(const char *path, const char *host, char *err, size_t err_len)
{
    struct ww_output *out = ww_output_new(host);
    if (!out) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (!ww_output_add(out, path ? path : "-", err, err_len)) {
        free(out);
        return NULL;
    }
    return out;
}

static bool is_fatal_kind(enum sink_kind kind)
{
    return kind == SINK_FILE || kind == SINK_STDOUT;
}

/* A file or stdout that cannot take an event fails the run; a socket only counts it. */
static bool sink_failed(struct ww_output *out, struct sink *k, const char *what)
{
    k->stats.lost++;
    if (is_fatal_kind(k->kind) && !out->error[0])
        snprintf(out->error, sizeof out->error, "%s: cannot write event: %s",
                 k->kind == SINK_FILE ? k->path : k->name, what);
    return false;
}

/* Files and stdout: one write per line; a partial line on a file is cut off. */
static bool write_fd_line(struct ww_output *out, struct sink *k, const char *line, size_t len)
{
    size_t done = 0;
    struct stat st;
    off_t start = -1;
    if (fstat(k->fd, &st) == 0 && S_ISREG(st.st_mode))
        start = st.st_size;
    while (done < len) {
        ssize_t n = write(k->fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : ENOSPC;
            if (done > 0 && start >= 0 && ftruncate(k->fd, start) != 0)
                saved = errno;
            return sink_failed(out, k, strerror(saved));
        }
        done += (size_t)n;
    }
    return true;
}

static void disconnect(struct sink *k)
{
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    free(k->unsent);
    k->unsent = NULL;
    k->unsent_len = 0;
    k->next_connect_ns = monotonic_ns() + RECONNECT_INTERVAL_NS;
}

/* Sends what a stream socket has left of its last line; true once nothing is left. */
static bool flush_unsent(struct sink *k)
{
    while (k->unsent_len > 0) {
        ssize_t n = send(k->fd, k->unsent, k->unsent_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n <= 0) {
            disconnect(k);
            return false;
        }
        memmove(k->unsent, k->unsent + n, k->unsent_len - (size_t)n);
        k->unsent_len -= (size_t)n;
    }
    free(k->unsent);
    k->unsent = NULL;
    return true;
}

/*
 * Unix sockets never block capture: a reader that is slow loses events, one
 * that is gone is reconnected at most once a second. A stream socket that
 * takes part of a line keeps the rest and sends it first, so the reader
 * never sees half a line.
 */
static bool write_socket_line(struct ww_output *out, struct sink *k, const char *line, size_t len)
{
    if (k->fd < 0 && (monotonic_ns() < k->next_connect_ns || !connect_socket(k)))
        return sink_failed(out, k, "no reader");
    if (k->kind == SINK_UNIX_STREAM && !flush_unsent(k))
        return sink_failed(out, k, "reader too slow");
    ssize_t n;
    do
        n = send(k->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
            disconnect(k);
        return sink_failed(out, k, strerror(errno));
    }
    if ((size_t)n < len) { /* only a stream takes part of a message */
        k->unsent = malloc(len - (size_t)n);
        if (!k->unsent) {
            disconnect(k);
            return sink_failed(out, k, "out of memory");
        }
        memcpy(k->unsent, line + n, len - (size_t)n);
        k->unsent_len = len - (size_t)n;
    }
    return true;
}

static bool write_sink_line(struct ww_output *out, struct sink *k, const char *line, size_t len)
{
    bool ok;
    switch (k->kind) {
    case SINK_UNIX_DGRAM:
    case SINK_UNIX_STREAM: ok = write_socket_line(out, k, line, len); break;
    case SINK_SYSLOG: syslog(LOG_NOTICE, "%.*s", (int)(len - 1), line); ok = true; break;
    default: ok = write_fd_line(out, k, line, len); break;
    }
    if (ok)
        k->stats.written++;
    return ok;
}

/* Writes one whole line to every sink (or nothing to a sink that cannot take it). */
static bool write_line(struct ww_output *out, const char *line)
{
    pthread_mutex_lock(&out->lock);
    bool all = true;
    for (size_t i = 0; i < out->sink_count; i++) {
        struct sink *k = &out->sinks[i];
        /* Every event is tried, even after a failure: a full disk may clear. */
        all &= line ? write_sink_line(out, k, line, strlen(line))
                    : sink_failed(out, k, "out of memory");
    }
    if (all)
        out->stats.events_written++;
    else
        out->stats.events_lost++;
    pthread_mutex_unlock(&out->lock);
    return all;
}

bool ww_output_reopen(struct ww_output *out, char *err, size_t err_len)
{
    pthread_mutex_lock(&out->lock);
    bool ok = true;
    for (size_t i = 0; i < out->sink_count; i++) {
        struct sink *k = &out->sinks[i];
        if (k->kind == SINK_FILE) {
            int fd = open_file(k->path);
            if (fd < 0) { /* keep writing where we were rather than lose events */
                snprintf(err, err_len, "%s: cannot reopen output: %s", k->path, strerror(errno));
                ok = false;
                continue;
            }
            close(k->fd);
            k->fd = fd;
            k->stats.reopens++;
        } else if (k->kind == SINK_UNIX_DGRAM || k->kind == SINK_UNIX_STREAM) {
            disconnect(k);
            k->next_connect_ns = 0;
            connect_socket(k);
        }
    }
    pthread_mutex_unlock(&out->lock);
    return ok;
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
    json_object_set_new(o, "local_targets", json_integer(ww_evidence_local_targets(e)));
    json_object_set_new(o, "remote_targets", json_integer(ww_evidence_remote_targets(e)));
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

char *ww_output_format_alert(const struct ww_alert *a, const char *host, const char *iface)
{
    const struct ww_probe *p = &a->probe;
    json_t *e = json_object();
    json_object_set_new(e, "timestamp", time_string(a->ts_ns));
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
    json_object_set_new(e, "src_ip", ip_string(p->src));
    if (p->proto != WW_PROTO_ARP)
        json_object_set_new(e, "src_port", json_integer(p->sport));
    json_object_set_new(e, "dest_ip", ip_string(p->dst));
    if (p->proto != WW_PROTO_ARP)
        json_object_set_new(e, "dest_port", json_integer(p->dport));
    json_object_set_new(e, "proto", json_string(proto_name(p->proto)));
    char community_id[WW_COMMUNITY_ID_LEN];
    if (p->proto != WW_PROTO_ARP &&
        ww_community_id_v1(0, p->src, p->dst, p->proto, p->sport, p->dport, community_id))
        json_object_set_new(e, "community_id", json_string(community_id));
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
    set_u64(stats, "alerts", s->detect->alerts);
    json_t *o = json_object();
    set_u64(o, "events_written", out->events_written);
    set_u64(o, "events_lost", out->events_lost);
    if (out->sink_count)
        json_object_set_new(o, "sinks", sinks_array(out));
    json_object_set_new(stats, "output", o);

    json_t *e = json_object();
    json_object_set_new(e, "timestamp", time_string(s->ts_ns));
    if (iface && *iface)
        json_object_set_new(e, "in_iface", json_string(iface));
    json_object_set_new(e, "event_type", json_string("stats"));
    json_object_set_new(e, "stats", stats);
    json_object_set_new(e, "host", json_string(host));
    return dump_line(e);
}

bool ww_output_alert(struct ww_output *out, const struct ww_alert *alert)
{
    char *line = ww_output_format_alert(alert, out->host, out->iface);
    bool ok = write_line(out, line);
    free(line);
    return ok;
}

bool ww_output_stats(struct ww_output *out, const struct ww_run_stats *stats)
{
    pthread_mutex_lock(&out->lock);
    char *line = ww_output_format_stats(stats, ww_output_get_stats(out), out->host, out->iface);
    pthread_mutex_unlock(&out->lock);
    bool ok = write_line(out, line);
    free(line);
    return ok;
}

const struct ww_output_stats *ww_output_get_stats(const struct ww_output *out)
{
    struct ww_output *o = (struct ww_output *)out; /* the stats hold a view of the sinks */
    for (size_t i = 0; i < o->sink_count; i++) {
        o->sink_stats[i] = o->sinks[i].stats;
        snprintf(o->sink_stats[i].name, sizeof o->sink_stats[i].name, "%s", o->sinks[i].name);
    }
    o->stats.sinks = o->sink_stats;
    o->stats.sink_count = o->sink_count;
    return &o->stats;
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
    for (size_t i = 0; i < out->sink_count; i++) {
        struct sink *k = &out->sinks[i];
        if (k->kind == SINK_FILE && close(k->fd) != 0 && ok) {
            snprintf(err, err_len, "%s: cannot close output: %s", k->path, strerror(errno));
            ok = false;
        } else if (k->kind == SINK_UNIX_DGRAM || k->kind == SINK_UNIX_STREAM) {
            if (k->fd >= 0 && k->kind == SINK_UNIX_STREAM)
                flush_unsent(k); /* a last try, without waiting */
            disconnect(k);
        } else if (k->kind == SINK_SYSLOG) {
            closelog();
        }
    }
    pthread_mutex_destroy(&out->lock);
    free(out);
    return ok;
}
