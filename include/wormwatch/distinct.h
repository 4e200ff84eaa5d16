/*
 * Counting distinct targets in fixed memory: a HyperLogLog sketch.
 *
 * A record cannot hold every target a source ever tried, and a Bloom filter
 * stops counting once it fills. A HyperLogLog of 128 four-bit registers
 * (64 bytes) estimates any number of distinct keys with a standard error of
 * 1.04/sqrt(128), about 9%, and counts small numbers almost exactly (linear
 * counting). Keys go in as keyed hashes (hash.h), so nobody can choose
 * targets that the sketch fails to count. The verdict keeps an exact list of
 * the first targets beside it and reports exact counts while that suffices.
 */
#ifndef WW_DISTINCT_H
#define WW_DISTINCT_H

#include <stdint.h>

#define WW_HLL_BITS 7
#define WW_HLL_REGISTERS (1u << WW_HLL_BITS)

struct ww_hll {
    uint8_t reg[WW_HLL_REGISTERS / 2]; /* two 4-bit registers a byte: the longest run seen + 1 */
};

/* Adds a key by its 64-bit keyed hash; adding it again changes nothing. */
void ww_hll_add(struct ww_hll *hll, uint64_t hash);
/* The estimated number of distinct keys added. */
double ww_hll_estimate(const struct ww_hll *hll);

#endif
