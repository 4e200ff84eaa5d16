/*
 * Unit tests for Community ID v1 (community_id.h) and its building blocks.
 *
 * SHA-1 is checked against the FIPS 180 examples and lengths around the
 * padding boundary (expected digests from coreutils' sha1sum), base64
 * against RFC 4648's vectors. The Community IDs were computed by Wireshark
 * 4.0 (tshark -o communityid.seed:N --enable-protocol communityid) on
 * one-packet captures made with text2pcap, so they come from an
 * implementation independent of this one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/community_id.h"
#include "wormwatch/decode.h"
#include "wormwatch/probe.h"

/* ---- SHA-1 ---- */

static void hex(const uint8_t *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

static void assert_sha1(const void *data, size_t len, const char *expected_hex)
{
    struct ww_sha1 sha;
    uint8_t digest[WW_SHA1_DIGEST_LEN];
    char text[2 * WW_SHA1_DIGEST_LEN + 1];
    ww_sha1_init(&sha);
    ww_sha1_update(&sha, data, len);
    ww_sha1_final(&sha, digest);
    hex(digest, sizeof digest, text);
    assert_string_equal(text, expected_hex);
}

static void test_sha1_fips_abc(void **state)
{
    (void)state;
    assert_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void test_sha1_fips_empty(void **state)
{
    (void)state;
    assert_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

/* 448 bits = 56 bytes: the length no longer fits, padding takes a second block. */
static void test_sha1_fips_448_bits(void **state)
{
    (void)state;
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(msg), 56);
    assert_sha1(msg, 56, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

/* Fed in uneven pieces so partial blocks are joined across calls. */
static void test_sha1_fips_million_a(void **state)
{
    (void)state;
    static uint8_t piece[997];
    memset(piece, 'a', sizeof piece);
    struct ww_sha1 sha;
    ww_sha1_init(&sha);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < sizeof piece ? left : sizeof piece;
        ww_sha1_update(&sha, piece, n);
        left -= n;
    }
    uint8_t digest[WW_SHA1_DIGEST_LEN];
    char text[2 * WW_SHA1_DIGEST_LEN + 1];
    ww_sha1_final(&sha, digest);
    hex(digest, sizeof digest, text);
    assert_string_equal(text, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* Lengths on each side of the padding boundaries: 55 fits one block, 56..63 need two. */
static void test_sha1_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *digest;
    } cases[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
    };
    uint8_t a[65];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_sha1(a, cases[i].len, cases[i].digest);
}

/* ---- base64 ---- */

static void assert_base64(const char *in, size_t len, const char *expected)
{
    char out[WW_BASE64_LEN(16)];
    assert_true(WW_BASE64_LEN(len) <= sizeof out);
    memset(out, '#', sizeof out);
    assert_int_equal(ww_base64_encode((const uint8_t *)in, len, out), strlen(expected));
    assert_string_equal(out, expected);
}

/* RFC 4648 section 10: no padding, "==" and "=". */
static void test_base64_rfc4648_vectors(void **state)
{
    (void)state;
    assert_base64("", 0, "");
    assert_base64("f", 1, "Zg==");
    assert_base64("fo", 2, "Zm8=");
    assert_base64("foo", 3, "Zm9v");
    assert_base64("foob", 4, "Zm9vYg==");
    assert_base64("fooba", 5, "Zm9vYmE=");
    assert_base64("foobar", 6, "Zm9vYmFy");
}

/* The alphabet's ends ('A', '+', '/') and bytes that are not text. */
static void test_base64_alphabet_ends(void **state)
{
    (void)state;
    assert_base64("\0\0\0", 3, "AAAA");
    assert_base64("\0", 1, "AA==");
    assert_base64("\xfb\xff", 2, "+/8=");
    assert_base64("\xff\xff\xff", 3, "////");
    assert_base64("\xf8", 1, "+A==");
}

/* ---- Community ID ---- */

static uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

struct flow {
    uint32_t src, dst;
    uint8_t proto;
    uint16_t sport, dport;
};

/* The ID of the flow, seen from either end, must be `expected`. */
static void assert_id_both_ways(uint16_t seed, struct flow f, const char *expected)
{
    char id[WW_COMMUNITY_ID_LEN];
    assert_true(ww_community_id_v1(seed, f.src, f.dst, f.proto, f.sport, f.dport, id));
    assert_string_equal(id, expected);
    memset(id, '#', sizeof id);
    assert_true(ww_community_id_v1(seed, f.dst, f.src, f.proto, f.dport, f.sport, id));
    assert_string_equal(id, expected);
}

/* The spec's own example flow. */
static void test_id_spec_example(void **state)
{
    (void)state;
    struct flow f = {ipv4(128, 232, 110, 120), ipv4(66, 35, 250, 204), WW_IPPROTO_TCP, 34855, 80};
    assert_id_both_ways(0, f, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    assert_int_equal(strlen("1:LQU9qZlK+B5F3KDmev6m5PMibrg="), WW_COMMUNITY_ID_LEN - 1);
}

/* An SMB SYN and a NetBIOS broadcast query from pcaps/conficker_lan.pcap. */
static void test_id_smb_and_netbios_flows(void **state)
{
    (void)state;
    struct flow smb = {ipv4(10, 1, 1, 103), ipv4(10, 1, 1, 10), WW_IPPROTO_TCP, 1033, 445};
    assert_id_both_ways(0, smb, "1:a0kZ38aqKCAjHRvekcqZgRCgQXc=");
    struct flow nbns = {ipv4(10, 1, 1, 116), ipv4(10, 1, 1, 255), WW_IPPROTO_UDP, 137, 137};
    assert_id_both_ways(0, nbns, "1:hS4xvhmk0zTWBltMhoB+aMipoUA=");
    struct flow unicast = {ipv4(10, 1, 3, 200), ipv4(10, 1, 3, 7), WW_IPPROTO_UDP, 137, 137};
    assert_id_both_ways(0, unicast, "1:3MYupXuhJMhDtOsO7pG38Yc8ljM=");
}

/* Addresses decide the order even when the ports would order it the other way. */
static void test_id_addresses_before_ports(void **state)
{
    (void)state;
    struct flow f = {ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), WW_IPPROTO_TCP, 60000, 139};
    assert_id_both_ways(0, f, "1:KogFNuIdx7WcgHtp8N9YFaeWP2U=");
    struct flow g = {ipv4(192, 168, 1, 1), ipv4(10, 0, 0, 1), WW_IPPROTO_UDP, 53, 5353};
    assert_id_both_ways(0, g, "1:xOUjTAvz0YGZXADBz95MR2vcoRM=");
}

/* Equal addresses: the ports decide the order. */
static void test_id_equal_addresses_ordered_by_port(void **state)
{
    (void)state;
    struct flow f = {ipv4(10, 0, 0, 5), ipv4(10, 0, 0, 5), WW_IPPROTO_TCP, 1040, 445};
    assert_id_both_ways(0, f, "1:D760sTSnK8aGOtYBn2XP92AmszA=");
}

/* Extreme values: the top address and port must compare as unsigned. */
static void test_id_extreme_values(void **state)
{
    (void)state;
    struct flow f = {ipv4(255, 255, 255, 255), ipv4(0, 0, 0, 1), WW_IPPROTO_TCP, 65535, 0};
    assert_id_both_ways(0, f, "1:DNgFklkbih9RIiS3E0wtmYIh8d4=");
}

/* A seed other than 0 goes in big-endian first. */
static void test_id_seed(void **state)
{
    (void)state;
    struct flow f = {ipv4(128, 232, 110, 120), ipv4(66, 35, 250, 204), WW_IPPROTO_TCP, 34855, 80};
    assert_id_both_ways(1, f, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
    struct flow eq = {ipv4(10, 0, 0, 5), ipv4(10, 0, 0, 5), WW_IPPROTO_TCP, 445, 1040};
    assert_id_both_ways(1, eq, "1:C0NJh15CdyA2Qm0l3LA/ZV2z5pU=");
}

/* ARP-tipped alerts (and anything not TCP or UDP) get no ID. */
static void test_id_none_for_other_protocols(void **state)
{
    (void)state;
    static const uint8_t others[] = {WW_PROTO_ARP, WW_IPPROTO_ICMP, 0, 132 /* SCTP */};
    for (size_t i = 0; i < sizeof others; i++) {
        char id[WW_COMMUNITY_ID_LEN];
        memset(id, '#', sizeof id);
        assert_false(ww_community_id_v1(0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), others[i], 0, 0, id));
        assert_string_equal(id, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_fips_abc),
        cmocka_unit_test(test_sha1_fips_empty),
        cmocka_unit_test(test_sha1_fips_448_bits),
        cmocka_unit_test(test_sha1_fips_million_a),
        cmocka_unit_test(test_sha1_padding_boundaries),
        cmocka_unit_test(test_base64_rfc4648_vectors),
        cmocka_unit_test(test_base64_alphabet_ends),
        cmocka_unit_test(test_id_spec_example),
        cmocka_unit_test(test_id_smb_and_netbios_flows),
        cmocka_unit_test(test_id_addresses_before_ports),
        cmocka_unit_test(test_id_equal_addresses_ordered_by_port),
        cmocka_unit_test(test_id_extreme_values),
        cmocka_unit_test(test_id_seed),
        cmocka_unit_test(test_id_none_for_other_protocols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
