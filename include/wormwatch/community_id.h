/*
 * Community ID v1: a flow's name that Zeek, Suricata, Wireshark and others
 * compute the same way (https://github.com/corelight/community-id-spec), so
 * an alert can be joined to those tools' records of the same connection.
 *
 * "1:" + base64(SHA-1(seed, src ip, dst ip, proto, 0, sport, dport)), with
 * every field in network byte order and the two endpoints ordered so that
 * the smaller (address, port) comes first: both directions of a flow get
 * the same ID. Only IPv4 TCP and UDP are covered, all wormwatch's probes
 * need; any other protocol (an ARP-tipped alert) has no ID.
 *
 * SHA-1 and base64 are public only so the unit tests can check them against
 * their standards' vectors.
 */
#ifndef WW_COMMUNITY_ID_H
#define WW_COMMUNITY_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_SHA1_DIGEST_LEN 20
/* Characters base64 writes for n bytes, with the terminating NUL. */
#define WW_BASE64_LEN(n) (((n) + 2) / 3 * 4 + 1)
/* "1:" + base64 of a SHA-1 digest + NUL = 31. */
#define WW_COMMUNITY_ID_LEN (2 + WW_BASE64_LEN(WW_SHA1_DIGEST_LEN))

/*
 * Writes the Community ID v1 of an IPv4 flow into out. Addresses are in host
 * byte order, as in ww_probe; proto is WW_IPPROTO_TCP or WW_IPPROTO_UDP.
 * For any other protocol returns false and leaves out an empty string. The
 * seed is 0 unless every tool in the deployment is configured with another.
 */
bool ww_community_id_v1(uint16_t seed, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport,
                        uint16_t dport, char out[WW_COMMUNITY_ID_LEN]);

/* SHA-1 (FIPS 180-4), fed in pieces of any size. */
struct ww_sha1 {
    uint32_t state[5];
    uint64_t total_bytes;  /* message length so far */
    uint8_t block[64];     /* bytes of the block being filled */
    size_t block_len;
};

void ww_sha1_init(struct ww_sha1 *ctx);
void ww_sha1_update(struct ww_sha1 *ctx, const void *data, size_t len);
void ww_sha1_final(struct ww_sha1 *ctx, uint8_t digest[WW_SHA1_DIGEST_LEN]);

/*
 * Standard base64 (RFC 4648 section 4: "+/" alphabet, "=" padding) of len
 * bytes into out, which holds WW_BASE64_LEN(len) characters. Returns the
 * length written, without the NUL.
 */
size_t ww_base64_encode(const uint8_t *in, size_t len, char *out);

#endif
