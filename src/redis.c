/*
 * The Redis sink over hiredis, driven by hand so that nothing waits.
 *
 * hiredis's non-blocking context gives a socket, an output buffer and a
 * reply parser; the event loop is ours. Every send first takes whatever
 * answers have arrived (a poll() of zero timeout, then redisBufferRead),
 * so the counters follow the server closely, then appends the command and
 * lets redisBufferWrite push what the kernel takes. Answers come back in
 * the order of the commands, so a ring of sequence numbers says which
 * event each answer settles. The price of never waiting is that a server
 * slower than the sensor loses events (counted) instead of slowing capture.
 */
#define _DEFAULT_SOURCE /* getaddrinfo's flags, NI_MAXHOST */
#include "wormwatch/redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define RECONNECT_INTERVAL_NS 1000000000ULL
#define READS_PER_POLL 64 /* bounds one poll's work: 64 reads of hiredis's 16 KiB */

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_UP };

struct ww_redis {
    struct ww_redis_target target;
    redisContext *ctx;              /* NULL while down */
    enum link_state state;
    uint64_t next_connect_ns;       /* monotonic: no attempt before this */
    uint64_t *pending;              /* ring of sequence numbers awaiting an answer */
    size_t head, count;             /* oldest at head; count <= WW_REDIS_MAX_PENDING */
    uint64_t window;                /* see ww_redis_new */
    char maxlen_text[24];           /* xadd: MAXLEN's argument */
    struct ww_sink_stats *stats;    /* the caller's counters */
    ww_redis_done_fn done;
    void *done_ctx;
};

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool ww_redis_is_spec(const char *spec)
{
    return !strncmp(spec, "redis://", 8) || !strncmp(spec, "redis+unix:", 11);
}

static bool copy_field(char *dst, size_t cap, const char *src, size_t len)
{
    if (len == 0 || len >= cap)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

static bool parse_u64(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    if (len == 0 || len > 19)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(s[i] - '0');
    }
    if (n == 0 || n > max)
        return false;
    *v = n;
    return true;
}

static const struct {
    const char *name;
    enum ww_redis_mode mode;
} modes[] = {
    {"rpush", WW_REDIS_RPUSH}, {"lpush", WW_REDIS_LPUSH}, {"list", WW_REDIS_LPUSH},
    {"publish", WW_REDIS_PUBLISH}, {"channel", WW_REDIS_PUBLISH},
    {"xadd", WW_REDIS_XADD}, {"stream", WW_REDIS_XADD},
};

/* "mode=..&maxlen=..&key=.."; key only where allow_key. */
static bool parse_query(const char *spec, const char *q, bool allow_key, struct ww_redis_target *t,
                        char *err, size_t err_len)
{
    bool have_maxlen = false;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        if (!eq) {
            snprintf(err, err_len, "%s: '%.*s' is not NAME=VALUE", spec, (int)len, q);
            return false;
        }
        size_t nlen = (size_t)(eq - q), vlen = len - nlen - 1;
        const char *v = eq + 1;
        if (nlen == 4 && !memcmp(q, "mode", 4)) {
            size_t i = 0, n = sizeof modes / sizeof modes[0];
            while (i < n && !(strlen(modes[i].name) == vlen && !memcmp(modes[i].name, v, vlen)))
                i++;
            if (i == n) {
                snprintf(err, err_len, "%s: unknown mode '%.*s' (rpush, lpush, publish, xadd)",
                         spec, (int)vlen, v);
                return false;
            }
            t->mode = modes[i].mode;
        } else if (nlen == 6 && !memcmp(q, "maxlen", 6)) {
            if (!parse_u64(v, vlen, UINT64_C(1) << 62, &t->maxlen)) {
                snprintf(err, err_len, "%s: maxlen must be a whole number above 0", spec);
                return false;
            }
            have_maxlen = true;
        } else if (allow_key && nlen == 3 && !memcmp(q, "key", 3)) {
            if (!copy_field(t->key, sizeof t->key, v, vlen)) {
                snprintf(err, err_len, "%s: a key of 1 to %d bytes is needed", spec,
                         WW_REDIS_KEY_MAX - 1);
                return false;
            }
        } else {
            snprintf(err, err_len, "%s: unknown parameter '%.*s' (mode, maxlen%s)", spec,
                     (int)nlen, q, allow_key ? ", key" : "");
            return false;
        }
        q += len + (amp ? 1 : 0);
    }
    if (have_maxlen && t->mode != WW_REDIS_XADD) {
        snprintf(err, err_len, "%s: maxlen is for mode=xadd only", spec);
        return false;
    }
    if (!t->key[0]) {
        snprintf(err, err_len, "%s: no key (redis://HOST[:PORT]/KEY or redis+unix:PATH?key=KEY)",
                 spec);
        return false;
    }
    return true;
}

static bool parse_tcp(const char *spec, struct ww_redis_target *t, char *err, size_t err_len)
{
    const char *p = spec + 8, *host_end, *rest;
    if (*p == '[') { /* an IPv6 address */
        host_end = strchr(p, ']');
        if (!host_end) {
            snprintf(err, err_len, "%s: no ']' after the IPv6 address", spec);
            return false;
        }
        if (!copy_field(t->host, sizeof t->host, p + 1, (size_t)(host_end - p - 1)))
            goto bad_host;
        rest = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/?");
        if (!copy_field(t->host, sizeof t->host, p, (size_t)(host_end - p)))
            goto bad_host;
        rest = host_end;
    }
    t->port = 6379;
    if (*rest == ':') {
        uint64_t port;
        size_t len = strcspn(rest + 1, "/?");
        if (!parse_u64(rest + 1, len, 65535, &port)) {
            snprintf(err, err_len, "%s: the port must be 1 to 65535", spec);
            return false;
        }
        t->port = (uint16_t)port;
        rest += 1 + len;
    }
    if (*rest != '/') {
        snprintf(err, err_len, "%s: no key (redis://HOST[:PORT]/KEY)", spec);
        return false;
    }
    rest++;
    size_t klen = strcspn(rest, "?");
    if (klen >= sizeof t->key) {
        snprintf(err, err_len, "%s: a key of 1 to %d bytes is needed", spec, WW_REDIS_KEY_MAX - 1);
        return false;
    }
    memcpy(t->key, rest, klen);
    t->key[klen] = '\0';
    rest += klen;
    return parse_query(spec, *rest == '?' ? rest + 1 : rest, false, t, err, err_len);
bad_host:
    snprintf(err, err_len, "%s: a host of 1 to %d bytes is needed", spec, WW_REDIS_HOST_MAX - 1);
    return false;
}

static bool parse_unix(const char *spec, struct ww_redis_target *t, char *err, size_t err_len)
{
    const char *p = spec + 11;
    size_t len = strcspn(p, "?");
    if (!copy_field(t->unix_path, sizeof t->unix_path, p, len)) {
        snprintf(err, err_len, "%s: a Unix socket path of 1 to %d bytes is needed", spec,
                 WW_REDIS_PATH_MAX - 1);
        return false;
    }
    p += len;
    return parse_query(spec, *p == '?' ? p + 1 : p, true, t, err, err_len);
}

bool ww_redis_parse_only(const char *spec, struct ww_redis_target *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    t->mode = WW_REDIS_RPUSH;
    if (!strncmp(spec, "redis://", 8))
        return parse_tcp(spec, t, err, err_len);
    if (!strncmp(spec, "redis+unix:", 11))
        return parse_unix(spec, t, err, err_len);
    snprintf(err, err_len, "%s: not a Redis output (redis://... or redis+unix:...)", spec);
    return false;
}

bool ww_redis_parse(const char *spec, struct ww_redis_target *t, char *err, size_t err_len)
{
    if (!ww_redis_parse_only(spec, t, err, err_len))
        return false;
    if (t->unix_path[0])
        return true;
    /* Resolved once, here: a name looked up at each reconnection could stall capture. */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(t->host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_len, "%s: cannot resolve '%s': %s", spec, t->host,
                 rc ? gai_strerror(rc) : "no address");
        return false;
    }
    rc = getnameinfo(res->ai_addr, res->ai_addrlen, t->addr, sizeof t->addr, NULL, 0,
                     NI_NUMERICHOST);
    freeaddrinfo(res);
    if (rc != 0) {
        snprintf(err, err_len, "%s: cannot use the address of '%s'", spec, t->host);
        return false;
    }
    return true;
}

/* Every unanswered event is lost: the server may or may not have stored it. */
static void drop_link(struct ww_redis *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
    r->state = LINK_DOWN;
    while (r->count > 0) {
        uint64_t seq = r->pending[r->head];
        r->head = (r->head + 1) % WW_REDIS_MAX_PENDING;
        r->count--;
        r->stats->lost++;
        r->done(r->done_ctx, seq, false);
    }
    uint64_t next = monotonic_ns() + RECONNECT_INTERVAL_NS;
    if (r->next_connect_ns < next)
        r->next_connect_ns = next;
}

/* At most once a second; the link is usable once the socket says it is connected. */
static void try_connect(struct ww_redis *r)
{
    uint64_t now = monotonic_ns();
    if (r->ctx || now < r->next_connect_ns)
        return;
    r->next_connect_ns = now + RECONNECT_INTERVAL_NS;
    redisContext *c = r->target.unix_path[0]
                          ? redisConnectUnixNonBlock(r->target.unix_path)
                          : redisConnectNonBlock(r->target.addr, r->target.port);
    if (!c)
        return;
    if (c->err) {
        redisFree(c);
        return;
    }
    r->ctx = c;
    r->state = LINK_CONNECTING;
}

static short ready(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n;
    do
        n = poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    return n > 0 ? p.revents : 0;
}

/* A non-blocking connect is done when the socket is writable; SO_ERROR says how. */
static bool link_established(struct ww_redis *r)
{
    if (r->state == LINK_UP)
        return true;
    short ev = ready(r->ctx->fd, POLLOUT);
    if (!ev)
        return false;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if ((ev & (POLLERR | POLLHUP)) ||
        getsockopt(r->ctx->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
        drop_link(r);
        return false;
    }
    r->state = LINK_UP;
    r->stats->connects++;
    return true;
}

/*
 * hiredis writes with write(), so a server gone away would raise SIGPIPE and
 * kill the sensor. SIGPIPE is held back for this thread during the write and
 * a SIGPIPE the write raised is taken off again; the EPIPE error is enough.
 * (A process-wide SIG_IGN would change what a closed stdout does.)
 */
static int write_quietly(redisContext *c)
{
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    int done = 0;
    int rc = redisBufferWrite(c, &done);
    if (!was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* Settles the events whose answers hiredis has parsed; false on a protocol error. */
static bool take_replies(struct ww_redis *r)
{
    for (;;) {
        void *reply = NULL;
        if (redisReaderGetReply(r->ctx->reader, &reply) != REDIS_OK)
            return false;
        if (!reply)
            return true;
        bool ok = ((redisReply *)reply)->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (r->count == 0) /* an answer nobody asked for: the stream is not ours */
            return false;
        uint64_t seq = r->pending[r->head];
        r->head = (r->head + 1) % WW_REDIS_MAX_PENDING;
        r->count--;
        if (ok)
            r->stats->written++;
        else
            r->stats->lost++;
        r->done(r->done_ctx, seq, ok);
    }
}

/* Writes what is buffered and reads what has arrived, without waiting. */
static void service(struct ww_redis *r)
{
    if (!r->ctx || !link_established(r))
        return;
    if (sdslen(r->ctx->obuf) > 0 && write_quietly(r->ctx) != REDIS_OK) {
        drop_link(r);
        return;
    }
    for (int i = 0; i < READS_PER_POLL; i++) {
        short ev = ready(r->ctx->fd, POLLIN);
        if (!ev)
            break;
        int rc = redisBufferRead(r->ctx);
        /* Answers read before the server went away still count. */
        if (!take_replies(r) || rc != REDIS_OK) {
            drop_link(r);
            return;
        }
    }
}

struct ww_redis *ww_redis_new(const struct ww_redis_target *t, struct ww_sink_stats *stats,
                              ww_redis_done_fn done, void *ctx, uint64_t window)
{
    struct ww_redis *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->pending = calloc(WW_REDIS_MAX_PENDING, sizeof *r->pending);
    if (!r->pending) {
        free(r);
        return NULL;
    }
    r->target = *t;
    r->stats = stats;
    r->done = done;
    r->done_ctx = ctx;
    r->window = window;
    snprintf(r->maxlen_text, sizeof r->maxlen_text, "%llu", (unsigned long long)t->maxlen);
    try_connect(r);
    return r;
}

static int append_command(struct ww_redis *r, const char *json, size_t len)
{
    static const char *const verbs[] = {"RPUSH", "LPUSH", "PUBLISH", "XADD"};
    const char *argv[8];
    size_t argvlen[8];
    int argc = 0;
#define ARG(s, n) (argv[argc] = (s), argvlen[argc] = (n), argc++)
    ARG(verbs[r->target.mode], strlen(verbs[r->target.mode]));
    ARG(r->target.key, strlen(r->target.key));
    if (r->target.mode == WW_REDIS_XADD) {
        if (r->target.maxlen) {
            ARG("MAXLEN", 6);
            ARG("~", 1);
            ARG(r->maxlen_text, strlen(r->maxlen_text));
        }
        ARG("*", 1);
        ARG("eve", 3);
    }
    ARG(json, len);
#undef ARG
    return redisAppendCommandArgv(r->ctx, argc, argv, argvlen);
}

bool ww_redis_send(struct ww_redis *r, const char *json, size_t len, uint64_t seq)
{
    if (len > 0 && json[len - 1] == '\n') /* one event per element: no separator needed */
        len--;
    service(r);
    if (!r->ctx)
        try_connect(r);
    if (!r->ctx || r->count == WW_REDIS_MAX_PENDING ||
        (r->count > 0 && seq - r->pending[r->head] >= r->window) ||
        sdslen(r->ctx->obuf) + len + 128 > WW_REDIS_MAX_BUFFER || append_command(r, json, len) != REDIS_OK) {
        r->stats->lost++;
        return false;
    }
    r->pending[(r->head + r->count) % WW_REDIS_MAX_PENDING] = seq;
    r->count++;
    if (r->state == LINK_UP && write_quietly(r->ctx) != REDIS_OK)
        drop_link(r); /* settles this event too, through done() */
    return true;
}

void ww_redis_poll(struct ww_redis *r)
{
    service(r);
}

size_t ww_redis_pending(const struct ww_redis *r)
{
    return r->count;
}

/* Waits for answers (a bounded time, in poll()), then leaves the link as it is. */
static void drain(struct ww_redis *r, uint64_t limit_ns)
{
    uint64_t deadline = monotonic_ns() + limit_ns;
    while (r->ctx && r->count > 0) {
        uint64_t now = monotonic_ns();
        if (now >= deadline)
            break;
        short events = POLLIN;
        if (r->state != LINK_UP || sdslen(r->ctx->obuf) > 0)
            events |= POLLOUT;
        struct pollfd p = {.fd = r->ctx->fd, .events = events};
        int ms = (int)((deadline - now) / 1000000ULL) + 1;
        if (poll(&p, 1, ms) < 0 && errno != EINTR)
            break;
        service(r);
    }
}

void ww_redis_reconnect(struct ww_redis *r)
{
    drain(r, WW_REDIS_REOPEN_DRAIN_NS);
    drop_link(r);
    r->next_connect_ns = 0;
    try_connect(r);
}

void ww_redis_close(struct ww_redis *r)
{
    if (!r)
        return;
    drain(r, WW_REDIS_CLOSE_DRAIN_NS);
    drop_link(r);
    free(r->pending);
    free(r);
}
