/*
 * Redis output: events from several sensors meet in one Redis list, channel
 * or stream, where Logstash, Vector or a script take them, as with
 * Suricata's EVE Redis output.
 *
 * The client never blocks capture. It connects without waiting, appends
 * each event to hiredis's output buffer and writes what the socket takes;
 * replies are read without waiting before the next event. An event counts
 * as written only once Redis answered it; an error reply, a connection lost
 * with answers still due, a full buffer or a server that is not there
 * count it lost, never retried (a retry could store it twice). The buffer
 * is bounded in events and bytes. A lost server is retried at most once a
 * second. On close, answers are awaited for a bounded time (one second),
 * then what is still unanswered is counted lost.
 *
 * Who else took an event is output.c's business: each event carries a
 * sequence number, and the caller learns its fate through a callback.
 */
#ifndef WW_REDIS_H
#define WW_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/output.h"

/*
 * rpush is the default: readers (Logstash's redis input, Vector, a BLPOP
 * loop) pop the head of the list and so see events in arrival order, and
 * LRANGE KEY 0 -1 reads them in order too. Suricata's default is "list",
 * which is LPUSH: newest first, so a reader popping with BLPOP takes the
 * newest event first.
 */
enum ww_redis_mode {
    WW_REDIS_RPUSH,   /* RPUSH KEY JSON: a list, oldest first */
    WW_REDIS_LPUSH,   /* LPUSH KEY JSON: a list, newest first (Suricata's "list") */
    WW_REDIS_PUBLISH, /* PUBLISH KEY JSON: a channel; no subscriber, no copy kept */
    WW_REDIS_XADD,    /* XADD KEY [MAXLEN ~ N] * eve JSON: a stream */
};

#define WW_REDIS_KEY_MAX 256
#define WW_REDIS_PATH_MAX 108 /* sun_path */
#define WW_REDIS_HOST_MAX 256

/* Where events go, parsed from an -o spec. */
struct ww_redis_target {
    char host[WW_REDIS_HOST_MAX]; /* TCP: name or address as given; "" for a Unix socket */
    char addr[64];                /* TCP: the address it resolved to at start (numeric) */
    uint16_t port;                /* TCP port (default 6379) */
    char unix_path[WW_REDIS_PATH_MAX]; /* Unix socket path, or "" */
    char key[WW_REDIS_KEY_MAX];   /* list, channel or stream name */
    enum ww_redis_mode mode;
    uint64_t maxlen;              /* xadd: MAXLEN ~ N; 0 = no trimming */
};

/* Bounds of what one sink holds while Redis has not answered yet. */
#define WW_REDIS_MAX_PENDING 4096            /* events sent or buffered, unanswered */
#define WW_REDIS_MAX_BUFFER (4u << 20)       /* bytes in hiredis's output buffer */
#define WW_REDIS_CLOSE_DRAIN_NS 1000000000ULL /* on close: how long answers are awaited */
#define WW_REDIS_REOPEN_DRAIN_NS 250000000ULL /* on SIGHUP: the same, before reconnecting */

/* True if spec is meant for this sink (redis:// or redis+unix:). */
bool ww_redis_is_spec(const char *spec);
/*
 * redis://HOST[:PORT]/KEY[?mode=lpush|rpush|publish|xadd[&maxlen=N]]
 * redis+unix:PATH?key=KEY[&mode=...][&maxlen=N]
 * False with a one-line reason. HOST is resolved here, once (the only call
 * that may wait); reconnections use the address found.
 */
bool ww_redis_parse(const char *spec, struct ww_redis_target *t, char *err, size_t err_len);
/* Parses without resolving HOST (tests, fuzzing). */
bool ww_redis_parse_only(const char *spec, struct ww_redis_target *t, char *err, size_t err_len);

/* Called once per event sent: answered OK, or lost. */
typedef void (*ww_redis_done_fn)(void *ctx, uint64_t seq, bool ok);

struct ww_redis;

/*
 * A client that starts connecting now (not an error if nobody listens).
 * `stats` (written, lost, connects) is updated in place; `done` learns
 * each event's fate; `window`: an event is refused (lost) if an older one
 * `window` or more numbers before it is still unanswered. NULL if out of
 * memory.
 */
struct ww_redis *ww_redis_new(const struct ww_redis_target *t, struct ww_sink_stats *stats,
                              ww_redis_done_fn done, void *ctx, uint64_t window);
/*
 * Queues one event (the JSON text, no newline needed) numbered `seq`
 * (increasing). True: `done` will tell (possibly before this returns).
 * False: lost now, counted, and `done` is not called for it.
 */
bool ww_redis_send(struct ww_redis *r, const char *json, size_t len, uint64_t seq);
/* Takes the answers that have arrived and writes what is buffered; never waits. */
void ww_redis_poll(struct ww_redis *r);
/* SIGHUP: awaits answers briefly, then connects anew. */
void ww_redis_reconnect(struct ww_redis *r);
/* Events sent and not answered yet. */
size_t ww_redis_pending(const struct ww_redis *r);
/* Awaits answers up to WW_REDIS_CLOSE_DRAIN_NS, counts the rest lost, frees. */
void ww_redis_close(struct ww_redis *r);

#endif
