/*
 * Flood test: a SYN flood from millions of spoofed sources, one SYN each,
 * must neither blow the memory cap nor push a real scanner's state out.
 *
 * The capture is written here: every frame of pcaps/conficker_lan.pcap (the
 * Conficker-like 10.1.1.66 among ordinary traffic) with, between each two of
 * its frames, a share of FLOOD_SOURCES spoofed SYNs to 445 (random sources,
 * targets in the scanner's /24) at evenly spread times. The real binary then
 * reads it with the default rules; wait4() gives its peak RSS.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_util.h"

#define FLOOD_SOURCES 2000000u
#define MEMORY_CAP_KIB (64 * 1024)
#define SYN_FRAME_LEN 54 /* Ethernet 14 + IPv4 20 + TCP 20 */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

/* The n-th spoofed source: an odd multiply and a xor-shift are bijective, so no two repeat. */
static uint32_t spoofed_source(uint32_t n)
{
    uint32_t x = n * 0x9E3779B1u;
    return x ^ (x >> 15);
}

/* The n-th spoofed SYN, from a unique source (never 10.1.1.0/24) to 10.1.1.1-254:445. */
static void spoofed_syn(uint32_t n, uint8_t frame[SYN_FRAME_LEN])
{
    static const uint8_t macs[12] = {0x00, 0x14, 0x22, 0x01, 0x01, 0x42,
                                     0x00, 0x14, 0x22, 0x01, 0x01, 0x01};
    memset(frame, 0, SYN_FRAME_LEN);
    memcpy(frame, macs, sizeof macs);
    put_be16(frame + 12, 0x0800);
    uint8_t *ip = frame + 14, *tcp = ip + 20;
    uint32_t src = spoofed_source(n);
    if ((src >> 8) == 0x0A0101u) /* keep clear of the scanner's own LAN */
        src ^= 0x80000000u;
    ip[0] = 0x45;
    put_be16(ip + 2, 40);
    ip[8] = 64;
    ip[9] = 6;
    put_be32(ip + 12, src);
    put_be32(ip + 16, 0x0A010100u | (1 + next_random() % 254));
    put_be16(tcp, (uint16_t)(1024 + next_random() % 60000));
    put_be16(tcp + 2, 445);
    put_be32(tcp + 4, next_random());
    tcp[12] = 5 << 4;
    tcp[13] = 0x02; /* SYN */
    put_be16(tcp + 14, 1024);
}

/* Writes the flooded capture; returns how many spoofed SYNs went in. */
static uint32_t write_flooded_capture(const char *in_path, const char *out_path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(in_path, err);
    assert_non_null(in);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    pcap_dumper_t *out = pcap_dump_open(dead, out_path);
    assert_non_null(out);
    int frames = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(in, &h, &data) == 1)
        frames++;
    pcap_close(in);
    in = pcap_open_offline(in_path, err);
    assert_non_null(in);

    uint32_t per_gap = FLOOD_SOURCES / (uint32_t)frames + 1, written = 0;
    struct timeval previous = {0, 0};
    uint8_t syn[SYN_FRAME_LEN];
    while (pcap_next_ex(in, &h, &data) == 1) {
        /* the spoofed SYNs of this gap, spread between the previous frame and this one */
        uint64_t from = (uint64_t)previous.tv_sec * 1000000 + (uint64_t)previous.tv_usec;
        uint64_t to = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
        for (uint32_t i = 0; previous.tv_sec && i < per_gap && written < FLOOD_SOURCES; i++) {
            uint64_t at = from + (to - from) * (i + 1) / (per_gap + 1);
            struct pcap_pkthdr sh = {.ts = {(time_t)(at / 1000000), (suseconds_t)(at % 1000000)},
                                     .caplen = SYN_FRAME_LEN, .len = SYN_FRAME_LEN};
            spoofed_syn(written, syn);
            pcap_dump((u_char *)out, &sh, syn);
            written++;
        }
        pcap_dump((u_char *)out, h, data);
        previous = h->ts;
    }
    pcap_dump_close(out);
    pcap_close(dead);
    pcap_close(in);
    return written;
}

static void test_spoofed_flood_stays_under_the_cap(void **state)
{
    (void)state;
    char dir[] = "/tmp/wwflood.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char capture[128], events[128];
    snprintf(capture, sizeof capture, "%s/flood.pcap", dir);
    snprintf(events, sizeof events, "%s/eve.json", dir);
    uint32_t spoofed = write_flooded_capture(WW_PCAPS "/conficker_lan.pcap", capture);
    assert_true(spoofed >= FLOOD_SOURCES);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(WW_BINARY, WW_BINARY, "--sensor-name", "flood", "-r", capture, "-o", events,
              (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage usage;
    assert_int_equal(wait4(pid, &status, 0, &usage), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    print_message("peak RSS %ld KiB under a flood of %u spoofed sources\n", usage.ru_maxrss,
                  spoofed);
#ifdef __SANITIZE_ADDRESS__
    print_message("AddressSanitizer build: its shadow memory makes RSS meaningless, not checked\n");
#else
    assert_true(usage.ru_maxrss < MEMORY_CAP_KIB);
#endif

    char *text = slurp_path(events);
    bool flagged = false;
    json_t *stats = NULL;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *e = json_loads(line, 0, NULL);
        assert_non_null(e);
        const char *type = str_at(e, "event_type");
        if (!strcmp(type, "alert")) {
            /* the scanner, and no spoofed source */
            assert_string_equal(str_at(e, "src_ip"), "10.1.1.66");
            flagged = true;
            json_decref(e);
        } else {
            json_decref(stats);
            stats = e;
        }
    }
    assert_true(flagged);
    assert_non_null(stats);
    assert_string_equal(str_at(stats, "event_type"), "stats");
    /* every spoofed source went on probation and none got further; most were turned out */
    long long admitted = int_at(stats, "stats.table.probation.admitted");
    long long capacity = int_at(stats, "stats.table.probation.capacity");
    assert_true(admitted >= FLOOD_SOURCES && admitted < FLOOD_SOURCES + 100);
    assert_true(int_at(stats, "stats.table.probation.evictions") >= FLOOD_SOURCES - capacity);
    assert_true(int_at(stats, "stats.table.probation.promoted") < 20); /* real hosts */
    json_decref(stats);
    free(text);
    unlink(capture);
    unlink(events);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spoofed_flood_stays_under_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
