/*
 * The event writer: sinks (files, stdout, Unix sockets, syslog, Redis),
 * whole lines written once each, losses counted. What a line says is eve.c's
 * business.
 *
 * Redis answers later, so an event's fate is known only then: each event
 * gets a sequence number and, while a Redis sink has it unanswered, a byte
 * in a ring (the ledger) holding how many sinks still owe an answer and
 * whether one already lost it. The event is counted written or lost once,
 * when the last answer comes. The ring's size bounds how far behind Redis
 * may fall before new events are refused (lost) rather than waited for.
 */
#include "wormwatch/output.h"

#include "wormwatch/eve.h"
#include "wormwatch/redis.h"

#include <errno.h>
#include <fcntl.h>
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


enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_UNIX_DGRAM, SINK_UNIX_STREAM, SINK_SYSLOG, SINK_REDIS };

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
    struct ww_redis_target redis_target; /* Redis: where, parsed from the spec */
    struct ww_redis *redis;        /* Redis: the client */
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
    uint64_t next_seq;             /* the next event's sequence number */
    uint8_t *ledger;               /* Redis sinks only: LEDGER_SIZE events' fates */
    size_t redis_count;            /* sinks that answer later */
};

/* An event's ledger byte: answers still due (at most 1 + 8) and a lost flag. */
#define LEDGER_SIZE 65536u
#define LEDGER_LOST 0x80u

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
    } else if (ww_redis_is_spec(spec)) {
        k->kind = SINK_REDIS;
        return ww_redis_parse(spec, &k->redis_target, err, err_len);
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

static void settle(struct ww_output *out, uint64_t seq, bool ok);

static void redis_done(void *ctx, uint64_t seq, bool ok)
{
    settle(ctx, seq, ok);
}

/* Opens a sink. A socket whose reader is absent is not an error: it reconnects. */
static bool open_sink(struct ww_output *out, struct sink *k, char *err, size_t err_len)
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
    case SINK_REDIS:
        if (!out->ledger && !(out->ledger = calloc(LEDGER_SIZE, 1))) {
            snprintf(err, err_len, "%s: out of memory", k->name);
            return false;
        }
        k->redis = ww_redis_new(&k->redis_target, &k->stats, redis_done, out, LEDGER_SIZE);
        if (!k->redis) {
            snprintf(err, err_len, "%s: out of memory", k->name);
            return false;
        }
        out->redis_count++;
        return true;
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
    if (!parse_sink(spec, k, err, err_len) || !open_sink(out, k, err, err_len))
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
        free(out->ledger);
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

/* One answer for event seq; the last one due counts the event, once. */
static void settle(struct ww_output *out, uint64_t seq, bool ok)
{
    uint8_t *e = &out->ledger[seq % LEDGER_SIZE];
    if (!ok)
        *e |= LEDGER_LOST;
    if (--*e & ~LEDGER_LOST)
        return;
    if (*e & LEDGER_LOST)
        out->stats.events_lost++;
    else
        out->stats.events_written++;
    *e = 0;
}

/*
 * Writes one whole line to every sink (or nothing to a sink that cannot take
 * it). True if no sink has lost it yet: a Redis sink may still lose it later.
 */
static bool write_line(struct ww_output *out, const char *line)
{
    pthread_mutex_lock(&out->lock);
    uint64_t seq = out->next_seq++;
    /* The event LEDGER_SIZE before this one still unanswered: Redis is too far behind. */
    bool tracked = out->redis_count && out->ledger[seq % LEDGER_SIZE] == 0;
    if (tracked) /* one answer per Redis sink, plus ours below */
        out->ledger[seq % LEDGER_SIZE] = (uint8_t)(1 + out->redis_count);
    bool all = true;
    for (size_t i = 0; i < out->sink_count; i++) {
        struct sink *k = &out->sinks[i];
        if (k->kind == SINK_REDIS) {
            bool sent = tracked && line && ww_redis_send(k->redis, line, strlen(line), seq);
            if (!tracked || !line)
                k->stats.lost++;
            if (tracked && !sent)
                settle(out, seq, false);
            all &= sent;
            continue;
        }
        /* Every event is tried, even after a failure: a full disk may clear. */
        all &= line ? write_sink_line(out, k, line, strlen(line))
                    : sink_failed(out, k, "out of memory");
    }
    if (tracked)
        settle(out, seq, all);
    else if (all)
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
        } else if (k->kind == SINK_REDIS) {
            ww_redis_reconnect(k->redis);
        }
    }
    pthread_mutex_unlock(&out->lock);
    return ok;
}

bool ww_output_alert(struct ww_output *out, const struct ww_alert *alert)
{
    char *line = ww_output_format_alert(alert, out->host, out->iface);
    bool ok = write_line(out, line);
    free(line);
    return ok;
}

bool ww_output_finding(struct ww_output *out, const struct ww_finding *finding)
{
    char *line = ww_eve_format_finding(finding, out->host, out->iface);
    bool ok = write_line(out, line);
    free(line);
    return ok;
}

bool ww_output_stats(struct ww_output *out, const struct ww_run_stats *stats)
{
    pthread_mutex_lock(&out->lock);
    for (size_t i = 0; i < out->sink_count; i++) /* the counters as fresh as they can be */
        if (out->sinks[i].kind == SINK_REDIS)
            ww_redis_poll(out->sinks[i].redis);
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
    /* First, so that what Redis loses on the way out is counted. */
    for (size_t i = 0; i < out->sink_count; i++)
        if (out->sinks[i].kind == SINK_REDIS) {
            ww_redis_close(out->sinks[i].redis);
            out->sinks[i].redis = NULL;
        }
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
    free(out->ledger);
    free(out);
    return ok;
}
