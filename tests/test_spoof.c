/*
 * Spoofed flood test: no spoofed source is flagged, the real scanner still is.
 *
 * wwgen --spoof-flood writes the capture here, at test time (millions of
 * frames are too many to commit): RATE SYNs a second to one server's 445
 * from new spoofed sources for FLOOD_SECONDS, each SYN-ACKed into the void,
 * 400 spoofed addresses that each hit 3 or 4 hosts of the /24 with one
 * tool's consistent shape, and a slow Conficker-like host probing every
 * 2-5 s. The same story with RATE 0 is the slow host alone. The real binary
 * reads both with a small -m; wait4() gives the flooded run's peak RSS.
 *
 * wwgen also writes the story's truth (OUTFILE.truth.json): the slow host
 * is its one scanner, and its alert tips at the probe of its list the
 * calm run tips at; the spoofed addresses that hit several hosts are
 * listed among the benign, and none of them, nor any other, alerts.
 *
 * Exactly: the alerts of the flooded run are those of the calm run (same
 * rules, same tipping probe, same attempt count): the slow host's, no
 * spoofed source's. The flood is seen for its whole length, its victim's
 * newcomers take no probation slot (no probation eviction), every spoofed
 * address that hit several hosts got a record and its alerts were held.
 * The flood again with the server overwhelmed (it answers none: the probe
 * tracker's pending table overflows), and sprayed over the whole /24 (no
 * victim: the probation table churns), must flag the same.
 * A run with the sender test off (flood_failures = 1) shows the case has
 * teeth: spoofed addresses are flagged there, one per alert held here.
 * FLOOD_SECONDS is shorter in the sanitizer build (CMake sets it).
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_util.h"

#ifndef FLOOD_SECONDS
#define FLOOD_SECONDS 60
#endif
/* The overwhelmed server and the sprayed /24 are the same case told another
   way: a quarter of the flood shows them (the bounds hold for any length). */
#define VARIANT_SECONDS (FLOOD_SECONDS / 4 > 5 ? FLOOD_SECONDS / 4 : 5)
#define RATE 50000
#define MULTI_HIT_SOURCES 400 /* wwgen's SPOOF_MULTI_SOURCES */
#define SLOW_HOST "77.88.99.66"
/* Of the 200 spoofed addresses that hit 4 hosts, those whose 4 all failed (the rest
   met an open host): the same whatever FLOOD_SECONDS, their draws do not depend on it. */
#define FLAGGED_WITHOUT_SENDER_TEST 190
#define MAX_MEMORY "16M"
#define MAX_MEMORY_KIB (16 * 1024)
#define MAX_ALERTS 8

struct run {
    /* "sid dest_ip timestamp", of the slow host; the time to the millisecond (the flood's
       frames may push a packet a microsecond later, as timestamps strictly increase) */
    char alerts[MAX_ALERTS][96];
    long long attempts[MAX_ALERTS];
    size_t alert_count;
    size_t others;               /* alerts of any other source */
    json_t *stats;
    long max_rss_kib;
};

/* Runs argv to completion; returns its peak RSS in KiB. */
static long run_program(char *const argv[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage usage;
    assert_int_equal(wait4(pid, &status, 0, &usage), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return usage.ru_maxrss;
}

/* The 1-based place of the probe (target, time to the ms) in the truth's list of the
   slow host's probes; 0 if not there. */
static size_t truth_probe_number(json_t *truth, const char *target, const char *eve_time)
{
    json_t *probes = json_object_get(json_object_get(truth, "probes"), SLOW_HOST);
    assert_non_null(probes);
    /* The truth's times are seconds since the epoch, the alert's UTC text. */
    struct tm tm = {0};
    double seconds;
    assert_int_equal(sscanf(eve_time, "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &seconds),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double at = (double)timegm(&tm) + seconds;
    size_t i;
    json_t *p;
    json_array_foreach(probes, i, p)
    {
        double ts = json_real_value(json_array_get(p, 0));
        if (!strcmp(json_string_value(json_array_get(p, 1)), target) && ts >= at - 0.001 &&
            ts < at + 0.001)
            return i + 1;
    }
    return 0;
}

static json_t *load_truth(const char *capture)
{
    char path[200];
    snprintf(path, sizeof path, "%s.truth.json", capture);
    json_error_t err;
    json_t *truth = json_load_file(path, 0, &err);
    if (!truth)
        fail_msg("%s: %s", path, err.text);
    unlink(path);
    return truth;
}

static void generate(const char *capture, int flood_seconds, const char *rate,
                     const char *answered, const char *hosts)
{
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", flood_seconds);
    char *gen[] = {WW_WWGEN, "--spoof-flood", (char *)capture, seconds, (char *)rate,
                   (char *)answered, (char *)hosts, NULL};
    run_program(gen);
}

/* The sensor over `capture` (with the rules file `rules`, or the default ones). */
static void sense(const char *dir, const char *capture, const char *rules, struct run *r)
{
    char events[160];
    snprintf(events, sizeof events, "%s/events.json", dir);
    char *sensor[] = {WW_BINARY, "--sensor-name", "spoof", "-m", MAX_MEMORY, "-r",
                      (char *)capture, "-o", events, rules ? "-R" : NULL, (char *)rules, NULL};
    r->max_rss_kib = run_program(sensor);

    char *text = slurp_path(events);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *e = json_loads(line, 0, NULL);
        assert_non_null(e);
        if (!strcmp(str_at(e, "event_type"), "stats")) {
            json_decref(r->stats);
            r->stats = e;
            continue;
        }
        assert_string_equal(str_at(e, "event_type"), "alert");
        if (!strcmp(str_at(e, "src_ip"), SLOW_HOST)) {
            assert_true(r->alert_count < MAX_ALERTS);
            r->attempts[r->alert_count] = int_at(e, "scan.attempts");
            snprintf(r->alerts[r->alert_count++], sizeof r->alerts[0], "%lld %s %.23s",
                     int_at(e, "alert.signature_id"), str_at(e, "dest_ip"), str_at(e, "timestamp"));
        } else {
            r->others++;
        }
        json_decref(e);
    }
    free(text);
    unlink(events);
    assert_non_null(r->stats);
}

/* The default rules with the sender test off: any failures vouch for a source. */
static void write_control_rules(const char *path)
{
    char *defaults = slurp_path(WW_RULES);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n[global]\nflood_failures = 1\n", defaults); /* the last word */
    assert_int_equal(fclose(f), 0);
    free(defaults);
}

static void test_spoofed_flood_flags_only_the_real_scanner(void **state)
{
    (void)state;
    char dir[] = "/tmp/wwspoof.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char capture[160], rules[160], rate[16];
    snprintf(capture, sizeof capture, "%s/spoof.pcap", dir);
    snprintf(rules, sizeof rules, "%s/control.rules", dir);
    snprintf(rate, sizeof rate, "%d", RATE);
    struct run calm = {0}, flood = {0}, control = {0}, overwhelmed = {0}, sprayed = {0};
    generate(capture, FLOOD_SECONDS, "0", "100", "1");
    json_decref(load_truth(capture));
    sense(dir, capture, NULL, &calm);
    generate(capture, FLOOD_SECONDS, rate, "100", "1");
    json_t *truth = load_truth(capture);
    sense(dir, capture, NULL, &flood);
    write_control_rules(rules);
    sense(dir, capture, rules, &control);
    generate(capture, VARIANT_SECONDS, rate, "0", "1");
    json_decref(load_truth(capture));
    sense(dir, capture, NULL, &overwhelmed);
    generate(capture, VARIANT_SECONDS, rate, "100", "254");
    json_decref(load_truth(capture));
    sense(dir, capture, NULL, &sprayed);
    unlink(capture);
    unlink(rules);
    rmdir(dir);

    /* Without the flood: the slow host's sequential test tips at its 4th failure. */
    assert_int_equal(calm.others, 0);
    assert_true(calm.alert_count >= 1);
    assert_string_equal(calm.alerts[0], "1000004 198.51.100.77 2009-03-30T00:00:16.000");
    assert_int_equal(calm.attempts[0], 6);
    assert_int_equal(int_at(calm.stats, "stats.detect.flood_seconds"), 0);

    /* The truth: one scanner, the slow host; its alert tips at the 4th probe of
       its list (its 4th failure; 6 attempts with retransmissions); the spoofed
       addresses that hit several hosts are benign, each with its probes. */
    json_t *expect = json_object_get(truth, "expect");
    assert_int_equal(json_object_size(expect), 1);
    assert_non_null(json_object_get(expect, SLOW_HOST));
    assert_int_equal(truth_probe_number(truth, "198.51.100.77", strrchr(calm.alerts[0], ' ') + 1), 4);
    assert_int_equal(json_array_size(json_object_get(truth, "benign")), MULTI_HIT_SOURCES);
    assert_int_equal(json_object_size(json_object_get(truth, "probes")), MULTI_HIT_SOURCES + 1);
    assert_true(int_at(truth, "packets") >= (long long)RATE * FLOOD_SECONDS);
    json_decref(truth);

    /* With it: no spoofed source, and the slow host exactly as without. */
    assert_int_equal(flood.others, 0);
    assert_int_equal(flood.alert_count, calm.alert_count);
    for (size_t i = 0; i < calm.alert_count; i++) {
        assert_string_equal(flood.alerts[i], calm.alerts[i]);
        assert_int_equal(flood.attempts[i], calm.attempts[i]);
    }
    /* A server that stops answering: the tracker's pending table overflows, attempts
       are judged before their retransmissions, which arrive as new attempts (more of
       them in the alert); the record knows them as retries, and the alerts tip at the
       same probes, at the same times. */
    assert_int_equal(overwhelmed.others, 0);
    assert_int_equal(overwhelmed.alert_count, calm.alert_count);
    for (size_t i = 0; i < calm.alert_count; i++)
        assert_string_equal(overwhelmed.alerts[i], calm.alerts[i]);
    assert_true(int_at(overwhelmed.stats, "stats.probes.pending_evicted") > RATE);
    assert_true(int_at(overwhelmed.stats, "stats.probes.retransmits") <
                int_at(flood.stats, "stats.probes.retransmits"));
    /* The flood sprayed over the /24: no victim, the probation table is full and
       churns, but the flood tool's bare SYNs are turned out first, the slow host's
       Windows SYN is kept: the same alerts again. */
    assert_int_equal(sprayed.others, 0);
    assert_int_equal(sprayed.alert_count, calm.alert_count);
    for (size_t i = 0; i < calm.alert_count; i++)
        assert_string_equal(sprayed.alerts[i], calm.alerts[i]);
    assert_int_equal(int_at(sprayed.stats, "stats.detect.flood_skipped"), 0);
    assert_true(int_at(sprayed.stats, "stats.table.probation.evictions") >
                (long long)RATE * VARIANT_SECONDS / 2);
    /* The sender test is what keeps them quiet: off, spoofed addresses are flagged,
       each the one alert the flooded run held back. */
    print_message("with the sender test off, %zu spoofed sources flagged\n", control.others);
    assert_int_equal(control.others, FLAGGED_WITHOUT_SENDER_TEST);
    assert_int_equal(int_at(flood.stats, "stats.detect.flood_held"), (long long)control.others);
    assert_int_equal(int_at(control.stats, "stats.detect.flood_held"), 0);

    print_message("peak RSS %ld KiB with -m %s under %d spoofed SYNs a second for %d s\n",
                  flood.max_rss_kib, MAX_MEMORY, RATE, FLOOD_SECONDS);
#ifdef __SANITIZE_ADDRESS__
    print_message("AddressSanitizer build: its shadow memory makes RSS meaningless, not checked\n");
#else
    assert_true(flood.max_rss_kib < MAX_MEMORY_KIB);
#endif

    /* What the flood cost, and what kept it out. */
    json_t *st = flood.stats;
    long long syns = (long long)RATE * FLOOD_SECONDS;
    assert_true(int_at(st, "stats.probes.tcp_attempts") >= syns);
    assert_true(int_at(st, "stats.probes.accepted") >= syns);
    assert_int_equal(int_at(st, "stats.probes.pending_evicted"), 0);
    assert_int_equal(int_at(st, "stats.detect.flood_seconds"), FLOOD_SECONDS);
    long long peak = int_at(st, "stats.detect.flood_peak_sources");
    assert_true(peak >= RATE && peak <= RATE + 4 * MULTI_HIT_SOURCES); /* and theirs */
    /* Every newcomer at the victim but the 999 before the flood was seen, and the
       multi-hit sources' own SYNs there. */
    long long skipped = int_at(st, "stats.detect.flood_skipped");
    assert_true(skipped >= syns - 999 && skipped <= syns - 999 + MULTI_HIT_SOURCES);
    /* So the probation table never filled: nobody was turned out, each spoofed address
       that hit several hosts, and the slow host, got a record. */
    assert_int_equal(int_at(st, "stats.table.probation.evictions"), 0);
    assert_int_equal(int_at(st, "stats.table.probation.promoted"), MULTI_HIT_SOURCES + 1);
    assert_int_equal(int_at(st, "stats.table.evictions"), 0);
    json_decref(calm.stats);
    json_decref(flood.stats);
    json_decref(control.stats);
    json_decref(overwhelmed.stats);
    json_decref(sprayed.stats);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spoofed_flood_flags_only_the_real_scanner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
