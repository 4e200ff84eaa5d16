/*
 * The Redis output's spec parser (exact fields, and every way a spec can be
 * wrong, with its message), and the client with no server: an event is lost
 * at once, counted, and never reported twice. tests/test_redis.sh runs the
 * real binary against a real server.
 */
#define _DEFAULT_SOURCE
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wormwatch/redis.h"

static struct ww_redis_target parsed(const char *spec)
{
    struct ww_redis_target t;
    char err[256] = "";
    if (!ww_redis_parse_only(spec, &t, err, sizeof err))
        fail_msg("%s: %s", spec, err);
    return t;
}

static void test_tcp_specs(void **state)
{
    (void)state;
    struct ww_redis_target t = parsed("redis://10.0.0.5/wormwatch");
    assert_string_equal(t.host, "10.0.0.5");
    assert_int_equal(t.port, 6379);
    assert_string_equal(t.key, "wormwatch");
    assert_string_equal(t.unix_path, "");
    assert_int_equal(t.mode, WW_REDIS_RPUSH); /* the default */
    assert_int_equal(t.maxlen, 0);

    t = parsed("redis://redis.lan:6380/eve:sensors?mode=lpush");
    assert_string_equal(t.host, "redis.lan");
    assert_int_equal(t.port, 6380);
    assert_string_equal(t.key, "eve:sensors");
    assert_int_equal(t.mode, WW_REDIS_LPUSH);

    t = parsed("redis://[::1]:7000/s?mode=xadd&maxlen=100000");
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 7000);
    assert_int_equal(t.mode, WW_REDIS_XADD);
    assert_int_equal(t.maxlen, 100000);

    t = parsed("redis://h:65535/c?mode=publish");
    assert_int_equal(t.port, 65535);
    assert_int_equal(t.mode, WW_REDIS_PUBLISH);
    /* Suricata's names for the same modes. */
    assert_int_equal(parsed("redis://h/k?mode=list").mode, WW_REDIS_LPUSH);
    assert_int_equal(parsed("redis://h/k?mode=channel").mode, WW_REDIS_PUBLISH);
    assert_int_equal(parsed("redis://h/k?mode=stream").mode, WW_REDIS_XADD);
}

static void test_unix_specs(void **state)
{
    (void)state;
    struct ww_redis_target t = parsed("redis+unix:/run/redis/redis.sock?key=ww");
    assert_string_equal(t.unix_path, "/run/redis/redis.sock");
    assert_string_equal(t.host, "");
    assert_string_equal(t.key, "ww");
    assert_int_equal(t.mode, WW_REDIS_RPUSH);

    t = parsed("redis+unix:r.sock?mode=xadd&key=s&maxlen=5");
    assert_string_equal(t.unix_path, "r.sock");
    assert_string_equal(t.key, "s");
    assert_int_equal(t.mode, WW_REDIS_XADD);
    assert_int_equal(t.maxlen, 5);
}

static void test_bad_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *message;
    } bad[] = {
        {"redis://", "redis://: a host of 1 to 255 bytes is needed"},
        {"redis://h", "redis://h: no key (redis://HOST[:PORT]/KEY)"},
        {"redis://h/", "redis://h/: no key (redis://HOST[:PORT]/KEY or redis+unix:PATH?key=KEY)"},
        {"redis://h:/k", "redis://h:/k: the port must be 1 to 65535"},
        {"redis://h:0/k", "redis://h:0/k: the port must be 1 to 65535"},
        {"redis://h:65536/k", "redis://h:65536/k: the port must be 1 to 65535"},
        {"redis://h:6x/k", "redis://h:6x/k: the port must be 1 to 65535"},
        {"redis://[::1/k", "redis://[::1/k: no ']' after the IPv6 address"},
        {"redis://h/k?mode=set", "redis://h/k?mode=set: unknown mode 'set' (rpush, lpush, publish, xadd)"},
        {"redis://h/k?mode=", "redis://h/k?mode=: unknown mode '' (rpush, lpush, publish, xadd)"},
        {"redis://h/k?maxlen=5", "redis://h/k?maxlen=5: maxlen is for mode=xadd only"},
        {"redis://h/k?mode=xadd&maxlen=0", "redis://h/k?mode=xadd&maxlen=0: maxlen must be a whole number above 0"},
        {"redis://h/k?mode=xadd&maxlen=-1", "redis://h/k?mode=xadd&maxlen=-1: maxlen must be a whole number above 0"},
        {"redis://h/k?mode=xadd&maxlen=99999999999999999999", "redis://h/k?mode=xadd&maxlen=99999999999999999999: maxlen must be a whole number above 0"},
        {"redis://h/k?key=other", "redis://h/k?key=other: unknown parameter 'key' (mode, maxlen)"},
        {"redis://h/k?mode", "redis://h/k?mode: 'mode' is not NAME=VALUE"},
        {"redis+unix:", "redis+unix:: a Unix socket path of 1 to 107 bytes is needed"},
        {"redis+unix:/s", "redis+unix:/s: no key (redis://HOST[:PORT]/KEY or redis+unix:PATH?key=KEY)"},
        {"redis+unix:/s?key=", "redis+unix:/s?key=: a key of 1 to 255 bytes is needed"},
        {"redis+unix:/s?key=k&db=1", "redis+unix:/s?key=k&db=1: unknown parameter 'db' (mode, maxlen, key)"},
        {"redis:/h/k", "redis:/h/k: not a Redis output (redis://... or redis+unix:...)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ww_redis_target t;
        char err[256] = "";
        if (ww_redis_parse_only(bad[i].spec, &t, err, sizeof err))
            fail_msg("%s: accepted", bad[i].spec);
        assert_string_equal(err, bad[i].message);
    }
    /* A path one byte too long for sun_path. */
    char spec[200];
    snprintf(spec, sizeof spec, "redis+unix:/%0107d?key=k", 0);
    struct ww_redis_target t;
    char err[256];
    assert_false(ww_redis_parse_only(spec, &t, err, sizeof err));
    assert_non_null(strstr(err, "a Unix socket path of 1 to 107 bytes is needed"));
    assert_true(ww_redis_is_spec("redis://x/k"));
    assert_true(ww_redis_is_spec("redis+unix:/s?key=k"));
    assert_false(ww_redis_is_spec("redis.json"));
    assert_false(ww_redis_is_spec("unix-stream:/s"));
}

static void count_done(void *ctx, uint64_t seq, bool ok)
{
    (void)seq;
    (void)ok;
    ++*(int *)ctx;
}

static void test_no_server_loses_at_once(void **state)
{
    (void)state;
    struct ww_redis_target t = parsed("redis+unix:/nonexistent/wormwatch-test.sock?key=k");
    struct ww_sink_stats stats = {0};
    int done = 0;
    struct ww_redis *r = ww_redis_new(&t, &stats, count_done, &done, 65536);
    assert_non_null(r);
    for (uint64_t seq = 0; seq < 5; seq++)
        assert_false(ww_redis_send(r, "{\"a\":1}\n", 8, seq));
    ww_redis_poll(r);
    assert_int_equal(ww_redis_pending(r), 0);
    ww_redis_close(r);
    assert_int_equal(stats.lost, 5);
    assert_int_equal(stats.written, 0);
    assert_int_equal(stats.connects, 0);
    assert_int_equal(done, 0); /* refused events are the caller's to count, once */
}

/* A listening Unix socket at a fresh path; the path is written to `path`. */
static int listener(char *path, size_t cap)
{
    static int n;
    snprintf(path, cap, "/tmp/ww-redis-spec-%d-%d.sock", (int)getpid(), n++);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

struct fates {
    uint64_t seq[16];
    bool ok[16];
    size_t n;
};

static void record(void *ctx, uint64_t seq, bool ok)
{
    struct fates *f = ctx;
    if (f->n < 16) {
        f->seq[f->n] = seq;
        f->ok[f->n] = ok;
    }
    f->n++;
}

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = ms * 1000000L}, NULL);
}

/* Answers in order settle events in order: OK, integer, error, stream id. */
static void test_answers_settle_events_in_order(void **state)
{
    (void)state;
    char path[128], spec[200];
    int lfd = listener(path, sizeof path);
    snprintf(spec, sizeof spec, "redis+unix:%s?key=k", path);
    struct ww_redis_target t = parsed(spec);
    struct ww_sink_stats stats = {0};
    struct fates f = {0};
    struct ww_redis *r = ww_redis_new(&t, &stats, record, &f, 65536);
    int cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);
    for (uint64_t seq = 10; seq < 14; seq++)
        assert_true(ww_redis_send(r, "{}\n", 3, seq));
    ww_redis_poll(r); /* connected: the commands go out */
    assert_int_equal(stats.connects, 1);
    char buf[4096];
    size_t got = 0;
    const char *want = "*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$2\r\n{}\r\n";
    for (int i = 0; i < 100 && got < 4 * strlen(want); i++) {
        ssize_t n = recv(cfd, buf + got, sizeof buf - got, MSG_DONTWAIT);
        if (n > 0)
            got += (size_t)n;
        else
            sleep_ms(5);
        ww_redis_poll(r);
    }
    assert_int_equal(got, 4 * strlen(want)); /* the newline is not sent */
    assert_memory_equal(buf, want, strlen(want));
    const char *answers = ":1\r\n+OK\r\n-WRONGTYPE no\r\n$15\r\n1700000000000-0\r\n";
    assert_int_equal(write(cfd, answers, strlen(answers)), (ssize_t)strlen(answers));
    for (int i = 0; i < 100 && f.n < 4; i++) {
        sleep_ms(5);
        ww_redis_poll(r);
    }
    assert_int_equal(f.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(f.seq[i], 10 + i);
        assert_int_equal(f.ok[i], i != 2);
    }
    assert_int_equal(stats.written, 3);
    assert_int_equal(stats.lost, 1);
    /* One more, then the server goes: the unanswered event is lost at close. */
    assert_true(ww_redis_send(r, "{}", 2, 14));
    close(cfd);
    ww_redis_close(r);
    assert_int_equal(f.n, 5);
    assert_int_equal(f.seq[4], 14);
    assert_false(f.ok[4]);
    assert_int_equal(stats.written, 3);
    assert_int_equal(stats.lost, 2);
    close(lfd);
    unlink(path);
}

/* A server that never answers: the buffer's bound refuses, close counts the rest. */
static void test_silent_server_bounds_what_is_held(void **state)
{
    (void)state;
    char path[128], spec[200];
    int lfd = listener(path, sizeof path);
    snprintf(spec, sizeof spec, "redis+unix:%s?key=k&mode=xadd&maxlen=9", path);
    struct ww_redis_target t = parsed(spec);
    struct ww_sink_stats stats = {0};
    struct fates f = {0};
    struct ww_redis *r = ww_redis_new(&t, &stats, record, &f, 65536);
    size_t sent = 0, refused = 0;
    for (uint64_t seq = 0; seq < WW_REDIS_MAX_PENDING + 500; seq++) {
        if (ww_redis_send(r, "{\"event_type\":\"alert\"}\n", 24, seq))
            sent++;
        else
            refused++;
    }
    assert_int_equal(sent, WW_REDIS_MAX_PENDING);
    assert_int_equal(refused, 500);
    assert_int_equal(ww_redis_pending(r), WW_REDIS_MAX_PENDING);
    assert_int_equal(f.n, 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ww_redis_close(r); /* waits up to a second for answers that never come */
    clock_gettime(CLOCK_MONOTONIC, &b);
    double waited = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(waited >= 0.9 && waited < 2.0);
    assert_int_equal(f.n, WW_REDIS_MAX_PENDING);
    assert_int_equal(stats.lost, WW_REDIS_MAX_PENDING + 500);
    assert_int_equal(stats.written, 0);
    close(lfd);
    unlink(path);
}

/* The window: an event is refused while one `window` numbers older is unanswered. */
static void test_window_refuses_far_behind(void **state)
{
    (void)state;
    char path[128], spec[200];
    int lfd = listener(path, sizeof path);
    snprintf(spec, sizeof spec, "redis+unix:%s?key=k", path);
    struct ww_redis_target t = parsed(spec);
    struct ww_sink_stats stats = {0};
    struct fates f = {0};
    struct ww_redis *r = ww_redis_new(&t, &stats, record, &f, 100);
    assert_true(ww_redis_send(r, "{}", 2, 0));
    assert_true(ww_redis_send(r, "{}", 2, 99));
    assert_false(ww_redis_send(r, "{}", 2, 100));
    assert_int_equal(stats.lost, 1);
    ww_redis_close(r);
    assert_int_equal(stats.lost, 3);
    close(lfd);
    unlink(path);
}

/* A server that stops reading: the write fails (EPIPE), the run does not die of SIGPIPE. */
static void test_peer_gone_is_not_sigpipe(void **state)
{
    (void)state;
    char path[128], spec[200];
    int lfd = listener(path, sizeof path);
    snprintf(spec, sizeof spec, "redis+unix:%s?key=k", path);
    struct ww_redis_target t = parsed(spec);
    struct ww_sink_stats stats = {0};
    struct fates f = {0};
    struct ww_redis *r = ww_redis_new(&t, &stats, record, &f, 65536);
    int cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);
    assert_true(ww_redis_send(r, "{}", 2, 0)); /* connecting: buffered */
    ww_redis_poll(r);                            /* connected, written */
    assert_int_equal(stats.connects, 1);
    assert_int_equal(shutdown(cfd, SHUT_RD), 0);
    assert_true(ww_redis_send(r, "{}", 2, 1)); /* EPIPE: both unanswered events lost */
    assert_int_equal(f.n, 2);
    assert_false(f.ok[0]);
    assert_false(f.ok[1]);
    assert_int_equal(stats.lost, 2);
    assert_false(ww_redis_send(r, "{}", 2, 2)); /* down: retried a second later */
    assert_int_equal(stats.lost, 3);
    ww_redis_close(r);
    close(cfd);
    close(lfd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_specs),
        cmocka_unit_test(test_unix_specs),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_no_server_loses_at_once),
        cmocka_unit_test(test_answers_settle_events_in_order),
        cmocka_unit_test(test_silent_server_bounds_what_is_held),
        cmocka_unit_test(test_window_refuses_far_behind),
        cmocka_unit_test(test_peer_gone_is_not_sigpipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
