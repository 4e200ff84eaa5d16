/*
 * wormwatch-report's Redis input: the events the sensors' Redis outputs
 * left in a list (lpush/rpush) or a stream (xadd), read in pages with
 * hiredis's blocking client (a report may wait for its server; a sensor
 * never does). A channel (publish) keeps nothing to read afterwards.
 */
#include "wormwatch/report_redis.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 1000 /* entries read per command */

/* redis://HOST[:PORT]/KEY or redis+unix:PATH?key=KEY (query parameters ignored). */
static bool parse_url(const char *url, char *host, size_t host_len, int *port, char *path,
                      size_t path_len, char *key, size_t key_len)
{
    host[0] = path[0] = key[0] = '\0';
    *port = 6379;
    if (!strncmp(url, "redis://", 8)) {
        const char *h = url + 8, *slash = strchr(h, '/');
        if (!slash || slash == h || !slash[1])
            return false;
        size_t hl = (size_t)(slash - h);
        const char *colon = memchr(h, ':', hl);
        if (colon) {
            *port = atoi(colon + 1);
            hl = (size_t)(colon - h);
        }
        if (hl == 0 || hl >= host_len || *port <= 0 || *port > 65535)
            return false;
        memcpy(host, h, hl);
        host[hl] = '\0';
        size_t kl = strcspn(slash + 1, "?");
        if (kl == 0 || kl >= key_len)
            return false;
        memcpy(key, slash + 1, kl);
        key[kl] = '\0';
        return true;
    }
    if (!strncmp(url, "redis+unix:", 11)) {
        const char *p = url + 11, *q = strchr(p, '?');
        const char *k = q ? strstr(q, "key=") : NULL;
        size_t pl = q ? (size_t)(q - p) : strlen(p);
        if (!k || pl == 0 || pl >= path_len)
            return false;
        memcpy(path, p, pl);
        path[pl] = '\0';
        size_t kl = strcspn(k + 4, "&");
        if (kl == 0 || kl >= key_len)
            return false;
        memcpy(key, k + 4, kl);
        key[kl] = '\0';
        return true;
    }
    return false;
}

bool ww_report_is_redis(const char *input)
{
    return !strncmp(input, "redis://", 8) || !strncmp(input, "redis+unix:", 11);
}

static bool read_list(redisContext *c, const char *key, struct ww_fold *fold, char *err,
                      size_t err_len)
{
    /* rpush keeps arrival order head to tail; lpush the reverse: read both as they lie,
       the fold does not depend on order. */
    for (long start = 0;; start += PAGE) {
        redisReply *r = redisCommand(c, "LRANGE %s %ld %ld", key, start, start + PAGE - 1);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            snprintf(err, err_len, "LRANGE %s: %s", key, r && r->str ? r->str : c->errstr);
            freeReplyObject(r);
            return false;
        }
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                ww_fold_line(fold, r->element[i]->str, r->element[i]->len);
        size_t n = r->elements;
        freeReplyObject(r);
        if (n < PAGE)
            return true;
    }
}

static bool read_stream(redisContext *c, const char *key, struct ww_fold *fold, char *err,
                        size_t err_len)
{
    char from[64] = "-";
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT %d", key, from, PAGE);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            snprintf(err, err_len, "XRANGE %s: %s", key, r && r->str ? r->str : c->errstr);
            freeReplyObject(r);
            return false;
        }
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *entry = r->element[i]; /* [id, [field, value, ...]] */
            if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
                continue;
            redisReply *id = entry->element[0], *fields = entry->element[1];
            if (id->type == REDIS_REPLY_STRING)
                snprintf(from, sizeof from, "(%s", id->str); /* exclusive: the next page */
            for (size_t f = 0; f + 1 < fields->elements; f += 2)
                if (!strcmp(fields->element[f]->str, "eve"))
                    ww_fold_line(fold, fields->element[f + 1]->str, fields->element[f + 1]->len);
        }
        size_t n = r->elements;
        freeReplyObject(r);
        if (n < PAGE)
            return true;
    }
}

bool ww_report_read_redis(struct ww_fold *fold, const char *url, char *err, size_t err_len)
{
    char host[256], path[256], key[256];
    int port;
    if (!parse_url(url, host, sizeof host, &port, path, sizeof path, key, sizeof key)) {
        snprintf(err, err_len, "%s: not redis://HOST[:PORT]/KEY or redis+unix:PATH?key=KEY", url);
        return false;
    }
    struct timeval timeout = {5, 0};
    redisContext *c = path[0] ? redisConnectUnixWithTimeout(path, timeout)
                              : redisConnectWithTimeout(host, port, timeout);
    if (!c || c->err) {
        snprintf(err, err_len, "%s: cannot connect: %s", url, c ? c->errstr : "out of memory");
        redisFree(c);
        return false;
    }
    redisReply *type = redisCommand(c, "TYPE %s", key);
    bool ok;
    if (!type || type->type != REDIS_REPLY_STATUS) {
        snprintf(err, err_len, "%s: TYPE: %s", url, type && type->str ? type->str : c->errstr);
        ok = false;
    } else if (!strcmp(type->str, "list")) {
        ok = read_list(c, key, fold, err, err_len);
    } else if (!strcmp(type->str, "stream")) {
        ok = read_stream(c, key, fold, err, err_len);
    } else if (!strcmp(type->str, "none")) {
        snprintf(err, err_len, "%s: no key '%s' (a channel keeps nothing to read)", url, key);
        ok = false;
    } else {
        snprintf(err, err_len, "%s: '%s' is a %s, not a list or a stream", url, key, type->str);
        ok = false;
    }
    freeReplyObject(type);
    redisFree(c);
    return ok;
}
