/*
 * Workers: `wormwatch -i lo --workers 4` spreads frames over four capture
 * threads by the initiator's address (PACKET_FANOUT with a classic BPF
 * program), so that each scanner, its probes and their answers, is counted
 * by exactly one worker: every alert's counts must equal those of a
 * single-worker run over the same scans.
 *
 * Needs root and the loopback interface (skipped with 77 otherwise). Only
 * 127.0.0.0/8 is ever sent to: each source makes TCP connection attempts to
 * port 445 of 20 loopback addresses, which the kernel refuses with RST.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_util.h"

#define SOURCES 4
#define TARGETS 20
#define MAX_ALERTS 64

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}, NULL);
}

/* A refused connection attempt from 127.0.0.SRC to 127.0.NET.HOST:445. */
static void attempt_from(int src, int net, int host)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000000u | src)};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(445),
                             .sin_addr.s_addr = htonl(0x7F000000u | net << 8 | host)};
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
    assert_true(rc != 0 && errno == ECONNREFUSED); /* nothing listens: a RST */
    close(fd);
}

/* The scans: sources 127.0.0.31..34, each to 20 addresses of its own 127.0.N.0/24. */
static void scan(void)
{
    for (int s = 0; s < SOURCES; s++)
        for (int h = 1; h <= TARGETS; h++)
            attempt_from(31 + s, 31 + s, h);
}

struct alert {
    char src[16];
    long long sid, targets, attempts, failed, accepted;
};

struct run_result {
    struct alert alerts[MAX_ALERTS];
    size_t alert_count;
    long long attempts_by_worker[8]; /* stats.probes.tcp_attempts of each worker */
    size_t stats_count;
};

static void read_events(const char *path, struct run_result *r)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        json_t *e = json_loads(line, 0, NULL);
        assert_non_null(e); /* whole lines only, from every worker */
        const char *type = str_at(e, "event_type");
        if (!strcmp(type, "alert")) {
            assert_true(r->alert_count < MAX_ALERTS);
            struct alert *a = &r->alerts[r->alert_count++];
            snprintf(a->src, sizeof a->src, "%s", str_at(e, "src_ip"));
            a->sid = int_at(e, "alert.signature_id");
            a->targets = int_at(e, "scan.targets");
            a->attempts = int_at(e, "scan.attempts");
            a->failed = int_at(e, "scan.failed");
            a->accepted = int_at(e, "scan.accepted");
        } else {
            assert_string_equal(type, "stats");
            /* one pipeline (--workers 1) has no worker number */
            size_t w = value_at(e, "stats.worker") ? (size_t)int_at(e, "stats.worker") : 0;
            assert_true(w < 8);
            r->attempts_by_worker[w] = int_at(e, "stats.probes.tcp_attempts");
            r->stats_count++;
        }
        json_decref(e);
    }
    fclose(f);
}

/* Runs wormwatch on lo with `workers`, makes the scans, stops it, reads its events. */
static void run_with_workers(const char *workers, struct run_result *r)
{
    char dir[] = "/tmp/wwworkers.XXXXXX", events[64];
    assert_non_null(mkdtemp(dir));
    snprintf(events, sizeof events, "%s/eve.json", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(WW_BINARY, WW_BINARY, "-i", "lo", "--workers", workers, "-o", events,
              "--stats-interval", "0", "--sensor-name", "workers", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 50 && access(events, F_OK) != 0; i++) /* outputs open once capturing */
        sleep_ms(100);
    sleep_ms(300);
    scan();
    sleep_ms(500); /* let every worker read what is waiting */
    kill(pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    memset(r, 0, sizeof *r);
    read_events(events, r);
    unlink(events);
    rmdir(dir);
}

static const struct alert *find_alert(const struct run_result *r, const char *src, long long sid)
{
    const struct alert *found = NULL;
    for (size_t i = 0; i < r->alert_count; i++)
        if (!strcmp(r->alerts[i].src, src) && r->alerts[i].sid == sid) {
            assert_null(found); /* one alert per (source, rule): one worker counted it */
            found = &r->alerts[i];
        }
    return found;
}

static void test_four_workers_count_each_scanner_once(void **state)
{
    (void)state;
    struct run_result one, four;
    run_with_workers("1", &one);
    run_with_workers("4", &four);
    assert_int_equal(four.stats_count, 4); /* a final stats event per worker */

    static const long long sids[] = {1000004, 1000001};
    for (int s = 0; s < SOURCES; s++) {
        char src[16];
        snprintf(src, sizeof src, "127.0.0.%d", 31 + s);
        for (size_t k = 0; k < 2; k++) {
            const struct alert *a = find_alert(&one, src, sids[k]);
            const struct alert *b = find_alert(&four, src, sids[k]);
            if (!a || !b)
                fail_msg("%s: no %lld alert with %s workers", src, sids[k], a ? "4" : "1");
            assert_int_equal(a->targets, b->targets);
            assert_int_equal(a->attempts, b->attempts);
            assert_int_equal(a->failed, b->failed);
            assert_int_equal(a->accepted, b->accepted);
        }
        assert_int_equal(find_alert(&four, src, 1000001)->targets, 10);
    }
    /* The scans went to more than one worker (the sources hash apart). */
    int busy = 0;
    for (int w = 0; w < 4; w++)
        busy += four.attempts_by_worker[w] > 0;
    assert_true(busy >= 2);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_workers: needs root to capture on lo; skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_four_workers_count_each_scanner_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
