/*
 * Community ID v1 (corelight's community-id-spec) for IPv4 TCP and UDP.
 *
 * The spec hashes, in network byte order and with no gaps:
 *
 *   seed (2 bytes) | src ip (4) | dst ip (4) | proto (1) | 0 (1) | sport (2) | dport (2)
 *
 * after ordering the endpoints so that the smaller one comes first: the
 * smaller address, or for equal addresses the smaller port. That makes both
 * directions of a flow hash alike. The ID is the version, a colon and the
 * base64 of the 20-byte SHA-1 digest, e.g. "1:LQU9qZlK+B5F3KDmev6m5PMibrg=".
 *
 * SHA-1 and base64 are written out here instead of linked: neither libpcap
 * nor jansson offers them, and pulling in OpenSSL (a large dependency with
 * its own release churn) for one small, well-known hash is not worth it.
 * SHA-1's weakness against chosen collisions does not matter for a flow
 * label; the spec fixes the hash anyway.
 */
#include "wormwatch/community_id.h"

#include <string.h>

#include "wormwatch/bytes.h"
#include "wormwatch/decode.h"

#define COMMUNITY_ID_VERSION "1:"
#define TUPLE_LEN 16 /* the hashed bytes for IPv4 with ports */

/* ---- SHA-1 (FIPS 180-4 section 6.1) ---- */

static uint32_t rotl32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

/* f_t(b, c, d) + K_t: the function and constant of round t's stage. */
static uint32_t round_mix(unsigned t, uint32_t b, uint32_t c, uint32_t d)
{
    if (t < 20)
        return ((b & c) | (~b & d)) + 0x5A827999u;         /* Ch */
    if (t < 40)
        return (b ^ c ^ d) + 0x6ED9EBA1u;                  /* Parity */
    if (t < 60)
        return ((b & c) | (b & d) | (c & d)) + 0x8F1BBCDCu; /* Maj */
    return (b ^ c ^ d) + 0xCA62C1D6u;                      /* Parity */
}

static void sha1_compress(uint32_t state[5], const uint8_t block[64])
{
    uint32_t w[80];
    for (unsigned t = 0; t < 16; t++)
        w[t] = ww_load_be32(block + 4 * t);
    for (unsigned t = 16; t < 80; t++)
        w[t] = rotl32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
    for (unsigned t = 0; t < 80; t++) {
        uint32_t next = rotl32(a, 5) + round_mix(t, b, c, d) + e + w[t];
        e = d;
        d = c;
        c = rotl32(b, 30);
        b = a;
        a = next;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
}

void ww_sha1_init(struct ww_sha1 *ctx)
{
    static const uint32_t initial[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                                        0xC3D2E1F0u};
    memcpy(ctx->state, initial, sizeof initial);
    ctx->total_bytes = 0;
    ctx->block_len = 0;
}

void ww_sha1_update(struct ww_sha1 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    ctx->total_bytes += len;
    while (len > 0) {
        size_t take = sizeof ctx->block - ctx->block_len;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->block_len, p, take);
        ctx->block_len += take;
        p += take;
        len -= take;
        if (ctx->block_len == sizeof ctx->block) {
            sha1_compress(ctx->state, ctx->block);
            ctx->block_len = 0;
        }
    }
}

/* Pads with 0x80, zeros and the 64-bit bit length (FIPS 180-4 section 5.1.1). */
void ww_sha1_final(struct ww_sha1 *ctx, uint8_t digest[WW_SHA1_DIGEST_LEN])
{
    enum { LENGTH_AT = 56 }; /* the length fills the last 8 bytes of a block */
    uint64_t bit_len = ctx->total_bytes * 8;
    ctx->block[ctx->block_len++] = 0x80;
    if (ctx->block_len > LENGTH_AT) { /* no room for the length: one more block */
        memset(ctx->block + ctx->block_len, 0, sizeof ctx->block - ctx->block_len);
        sha1_compress(ctx->state, ctx->block);
        ctx->block_len = 0;
    }
    memset(ctx->block + ctx->block_len, 0, LENGTH_AT - ctx->block_len);
    store_be64(ctx->block + LENGTH_AT, bit_len);
    sha1_compress(ctx->state, ctx->block);
    for (unsigned i = 0; i < 5; i++)
        store_be32(digest + 4 * i, ctx->state[i]);
}

/* ---- base64 (RFC 4648 section 4) ---- */

size_t ww_base64_encode(const uint8_t *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    for (size_t i = 0; i < len; i += 3) {
        size_t left = len - i; /* 1 or 2 at the end pad with "==" or "=" */
        uint32_t group = (uint32_t)in[i] << 16;
        if (left > 1)
            group |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            group |= in[i + 2];
        out[n++] = alphabet[(group >> 18) & 63];
        out[n++] = alphabet[(group >> 12) & 63];
        out[n++] = left > 1 ? alphabet[(group >> 6) & 63] : '=';
        out[n++] = left > 2 ? alphabet[group & 63] : '=';
    }
    out[n] = '\0';
    return n;
}

/* ---- Community ID ---- */

/*
 * The spec compares the addresses' network-order bytes, then the ports;
 * comparing host-order integers gives the same answer.
 */
static bool endpoints_in_order(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    return src < dst || (src == dst && sport <= dport);
}

static void serialize_tuple(uint16_t seed, uint32_t src, uint32_t dst, uint8_t proto,
                            uint16_t sport, uint16_t dport, uint8_t tuple[TUPLE_LEN])
{
    tuple[0] = (uint8_t)(seed >> 8);
    tuple[1] = (uint8_t)seed;
    store_be32(tuple + 2, src);
    store_be32(tuple + 6, dst);
    tuple[10] = proto;
    tuple[11] = 0; /* padding */
    tuple[12] = (uint8_t)(sport >> 8);
    tuple[13] = (uint8_t)sport;
    tuple[14] = (uint8_t)(dport >> 8);
    tuple[15] = (uint8_t)dport;
}

bool ww_community_id_v1(uint16_t seed, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport,
                        uint16_t dport, char out[WW_COMMUNITY_ID_LEN])
{
    out[0] = '\0';
    if (proto != WW_IPPROTO_TCP && proto != WW_IPPROTO_UDP)
        return false;

    uint8_t tuple[TUPLE_LEN];
    if (endpoints_in_order(src, sport, dst, dport))
        serialize_tuple(seed, src, dst, proto, sport, dport, tuple);
    else
        serialize_tuple(seed, dst, src, proto, dport, sport, tuple);

    struct ww_sha1 sha;
    uint8_t digest[WW_SHA1_DIGEST_LEN];
    ww_sha1_init(&sha);
    ww_sha1_update(&sha, tuple, sizeof tuple);
    ww_sha1_final(&sha, digest);

    memcpy(out, COMMUNITY_ID_VERSION, sizeof COMMUNITY_ID_VERSION - 1);
    ww_base64_encode(digest, sizeof digest, out + sizeof COMMUNITY_ID_VERSION - 1);
    return true;
}
