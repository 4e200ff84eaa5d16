/*
 * Keyed hashing for every table: SipHash-1-3 under a 128-bit key.
 *
 * A sensor's input is chosen by whoever sends packets, and its code is
 * public: with a fixed hash anyone can compute, offline, thousands of
 * addresses that share one bucket and turn every lookup into a chain walk.
 * SipHash is a PRF, so without the key (drawn per process from the kernel)
 * collisions cannot be aimed; 1-3 is the variant Python, Rust and Redis use
 * for hash tables, at a few tens of nanoseconds for our short keys.
 *
 * Hash a key once per packet and carry the value to every table that needs
 * it (table.h and probe.h take precomputed hashes): all tables of one
 * pipeline share the key, so the value means the same everywhere.
 */
#ifndef WW_HASH_H
#define WW_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ww_hash_key {
    uint64_t k0, k1; /* the key's two halves, little-endian words of the 16 key bytes */
};

/*
 * A fresh random key from getrandom(2) (or /dev/urandom where the call is
 * missing). False, with the reason in err, if the kernel gives none: a run
 * without a secret key is not started.
 */
bool ww_hash_key_random(struct ww_hash_key *key, char *err, size_t err_len);

/* SipHash-c-d of `len` bytes (the reference algorithm, for tests and odd sizes). */
uint64_t ww_siphash(const struct ww_hash_key *key, unsigned c_rounds, unsigned d_rounds,
                    const void *data, size_t len);

/* --- fixed-size fast paths: equal to ww_siphash(key, 1, 3, bytes) ---------- */

struct ww_sip_state {
    uint64_t v0, v1, v2, v3;
};

static inline uint64_t ww_rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static inline void ww_sip_round(struct ww_sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = ww_rotl64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ww_rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ww_rotl64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ww_rotl64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ww_rotl64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ww_rotl64(s->v2, 32);
}

static inline struct ww_sip_state ww_sip_init(const struct ww_hash_key *key)
{
    struct ww_sip_state s = {key->k0 ^ 0x736f6d6570736575ULL, key->k1 ^ 0x646f72616e646f6dULL,
                             key->k0 ^ 0x6c7967656e657261ULL, key->k1 ^ 0x7465646279746573ULL};
    return s;
}

/* One message word through SipHash-1-3's single compression round. */
static inline void ww_sip13_word(struct ww_sip_state *s, uint64_t m)
{
    s->v3 ^= m;
    ww_sip_round(s);
    s->v0 ^= m;
}

static inline uint64_t ww_sip13_final(struct ww_sip_state *s)
{
    s->v2 ^= 0xff;
    ww_sip_round(s);
    ww_sip_round(s);
    ww_sip_round(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* SipHash-1-3 of one 32-bit word, as its 4 little-endian bytes. */
static inline uint64_t ww_hash_u32(const struct ww_hash_key *key, uint32_t a)
{
    struct ww_sip_state s = ww_sip_init(key);
    ww_sip13_word(&s, (uint64_t)4 << 56 | a);
    return ww_sip13_final(&s);
}

/* SipHash-1-3 of four 32-bit words, as 16 little-endian bytes a, b, c, d. */
static inline uint64_t ww_hash_u32x4(const struct ww_hash_key *key, uint32_t a, uint32_t b,
                                     uint32_t c, uint32_t d)
{
    struct ww_sip_state s = ww_sip_init(key);
    ww_sip13_word(&s, (uint64_t)b << 32 | a);
    ww_sip13_word(&s, (uint64_t)d << 32 | c);
    ww_sip13_word(&s, (uint64_t)16 << 56);
    return ww_sip13_final(&s);
}

#endif
