/*
 * The Redis output's spec parser (exact fields, and every way a spec can be
 * wrong, with its message), and the client with no server: an event is lost
 * at once, counted, and never reported twice. tests/test_redis.sh runs the
 * real binary against a real server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_specs),
        cmocka_unit_test(test_unix_specs),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_no_server_loses_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
