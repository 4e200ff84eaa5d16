/*
 * wwcollide: what sources chosen to share hash buckets cost the pipeline.
 *
 * An attacker who knows the hash key picks source addresses whose keyed
 * hashes agree in their low bits, so that every one lands in the same few
 * buckets of the per-source tables, and sends each a few SYNs. This program
 * picks such sources under a known key K, then times three runs of the same
 * pipeline on frames held in memory (no capture file, no I/O):
 *
 *   random/K    random sources, tables keyed with K   (the baseline)
 *   chosen/K    the chosen sources, tables keyed with K: what a fixed,
 *               public key would suffer
 *   chosen/rnd  the chosen sources, tables keyed with a fresh random key:
 *               what wormwatch does (ww_pipeline_new draws one per process)
 *
 * and prints the ratios chosen/K : random/K and chosen/rnd : random/K. The
 * second must stay near 1. With --max-ratio R it exits 1 if it exceeds R
 * (the ctest bench_collide_small uses a generous bound: timing is noisy).
 *
 * Usage: wwcollide [--sources N] [--bits B] [--max-ratio R]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wormwatch/decode.h"
#include "wormwatch/hash.h"
#include "wormwatch/output.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/rules.h"

#define SYNS_PER_SOURCE 4
#define FRAME_LEN 58 /* Ethernet 14 + IPv4 20 + TCP 24 (MSS option) */
#define NS_PER_SEC 1000000000ULL

static const struct ww_hash_key known_key = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};

static void die(const char *what)
{
    fprintf(stderr, "wwcollide: %s\n", what);
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Public addresses (outside the home nets) whose hash under K ends in `bits` zero bits. */
static void choose_colliding(uint32_t *src, size_t n, unsigned bits)
{
    uint32_t mask = (1u << bits) - 1, addr = 0x01000000u; /* 1.0.0.0 */
    for (size_t i = 0; i < n; addr++)
        if (((uint32_t)ww_hash_u32(&known_key, addr) & mask) == 0)
            src[i++] = addr;
}

static void choose_random(uint32_t *src, size_t n)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        src[i] = 0x01000000u + (uint32_t)(x % 0xD0000000u); /* 1.0.0.0 .. 209.x */
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v);
}

/* A Windows-like SYN from src to a home server on 445. */
static void syn_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport)
{
    memset(f, 0, FRAME_LEN);
    f[12] = 0x08; /* IPv4 */
    uint8_t *ip = f + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    put16(ip + 2, 44);
    ip[6] = 0x40; /* DF */
    ip[8] = 128;
    ip[9] = WW_IPPROTO_TCP;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(tcp, sport);
    put16(tcp + 2, 445);
    put32(tcp + 4, src * 2654435761u);
    tcp[12] = 6 << 4;
    tcp[13] = WW_TCP_SYN;
    put16(tcp + 14, 65535);
    tcp[20] = 2, tcp[21] = 4;
    put16(tcp + 22, 1460);
}

/* Seconds the pipeline takes over every source's SYNs. */
static double run(const struct ww_ruleset *rules, const struct ww_hash_key *key,
                  const uint32_t *src, size_t n)
{
    char err[512];
    struct ww_output *out = ww_output_open("/dev/null", "wwcollide", err, sizeof err);
    if (!out)
        die(err);
    struct ww_pipeline *p = key ? ww_pipeline_new_keyed(rules, out, key, err, sizeof err)
                                : ww_pipeline_new(rules, out, err, sizeof err);
    if (!p)
        die(err);
    uint8_t frame[FRAME_LEN];
    struct ww_frame fr = {.cap_len = FRAME_LEN, .wire_len = FRAME_LEN, .link = WW_LINK_ETHERNET,
                          .data = frame};
    uint64_t t0 = 1700000000ULL * NS_PER_SEC;
    double start = now_s();
    for (int k = 0; k < SYNS_PER_SOURCE; k++)
        for (size_t i = 0; i < n; i++) {
            syn_frame(frame, src[i], 0x0a000001u + (uint32_t)k, (uint16_t)(1024 + k));
            fr.ts_ns = t0 + (uint64_t)(k * n + i) * 1000; /* 1 million SYNs a second */
            ww_pipeline_frame(p, &fr);
        }
    ww_pipeline_finish(p);
    double took = now_s() - start;
    ww_pipeline_free(p);
    ww_output_close(out, err, sizeof err);
    return took;
}

int main(int argc, char **argv)
{
    size_t n = 20000;
    unsigned bits = 12;
    double max_ratio = 0.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sources"))
            n = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--bits"))
            bits = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--max-ratio"))
            max_ratio = strtod(argv[i + 1], NULL);
        else
            die("usage: wwcollide [--sources N] [--bits B] [--max-ratio R]");
    }
    if (n == 0 || bits == 0 || bits > 24)
        die("--sources must be positive and --bits 1 to 24");
    char err[512];
    struct ww_ruleset rules;
    if (!ww_rules_load_default(&rules, err, sizeof err))
        die(err);
    uint32_t *chosen = malloc(n * sizeof *chosen), *random = malloc(n * sizeof *random);
    if (!chosen || !random)
        die("out of memory");
    choose_colliding(chosen, n, bits);
    choose_random(random, n);

    double base = run(&rules, &known_key, random, n);
    double attacked = run(&rules, &known_key, chosen, n);
    double defended = run(&rules, NULL, chosen, n);
    printf("sources %zu x %d SYNs, chosen to share the low %u bits of their hash under K\n", n,
           SYNS_PER_SOURCE, bits);
    printf("random sources, key K:      %8.3f s\n", base);
    printf("chosen sources, key K:      %8.3f s  (%.1fx: a fixed public key)\n", attacked,
           attacked / base);
    printf("chosen sources, random key: %8.3f s  (%.2fx: wormwatch)\n", defended, defended / base);
    free(chosen);
    free(random);
    if (max_ratio > 0 && defended / base > max_ratio) {
        fprintf(stderr, "wwcollide: chosen sources cost %.2fx random ones (bound %.2fx)\n",
                defended / base, max_ratio);
        return 1;
    }
    return 0;
}
