/*
 * Unit tests for the DNS parser (dns.h): real messages from
 * pcaps/real-style captures (malcolm_DNS.pcap, bytes as tshark shows them),
 * and built ones for every rule: truncations, label types, the 255-byte
 * limit, compression pointers backwards, forwards, into themselves, in
 * loops and in chains, zero-question messages and escaped label bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/dns.h"

/* malcolm_DNS.pcap frame 45: query 0x588a for upenn.edu DNSKEY, RD, one EDNS record. */
static const uint8_t query_upenn[] = {
    0x58, 0x8a, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x05,
    0x75, 0x70, 0x65, 0x6e, 0x6e, 0x03, 0x65, 0x64, 0x75, 0x00, 0x00, 0x30, 0x00,
    0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};

/* Frame 49: NXDOMAIN for gmr02c.16.0.fhkfhsdkfhsk.tunnel.example.com, example.com's SOA. */
static const uint8_t nxdomain_tunnel[] = {
    0x8b, 0x54, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06, 0x67, 0x6d,
    0x72, 0x30, 0x32, 0x63, 0x02, 0x31, 0x36, 0x01, 0x30, 0x0c, 0x66, 0x68, 0x6b, 0x66, 0x68,
    0x73, 0x64, 0x6b, 0x66, 0x68, 0x73, 0x6b, 0x06, 0x74, 0x75, 0x6e, 0x6e, 0x65, 0x6c, 0x07,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00,
    0x01, 0xc0, 0x2c, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x05, 0xc3, 0x00, 0x2c, 0x02, 0x6e,
    0x73, 0x05, 0x69, 0x63, 0x61, 0x6e, 0x6e, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x03, 0x6e, 0x6f,
    0x63, 0x03, 0x64, 0x6e, 0x73, 0xc0, 0x4c, 0x78, 0x67, 0xfa, 0xbe, 0x00, 0x00, 0x1c, 0x20,
    0x00, 0x00, 0x0e, 0x10, 0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x0e, 0x10};

/* Frame 1's first 64 bytes (a short snaplen cuts answers so): atlas.ripe.net, a CNAME. */
static const uint8_t answer_atlas_cut[] = {
    0xf7, 0x79, 0x84, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x05, 0x61, 0x74, 0x6c,
    0x61, 0x73, 0x04, 0x72, 0x69, 0x70, 0x65, 0x03, 0x6e, 0x65, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01,
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x54, 0x60, 0x00, 0x0b, 0x08, 0x61, 0x74, 0x6c,
    0x61, 0x73, 0x2d, 0x75, 0x69, 0xc0, 0x12, 0xc0, 0x0c, 0x00, 0x2e, 0x00, 0x01, 0x00, 0x00, 0x54};

/* A message being built: a 12-byte header (one question, id 0x1234) then raw bytes. */
struct built {
    uint8_t b[1024];
    size_t len;
};

static void start(struct built *m, uint16_t qdcount)
{
    static const uint8_t header[12] = {0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(m->b, header, sizeof header);
    m->b[4] = (uint8_t)(qdcount >> 8);
    m->b[5] = (uint8_t)qdcount;
    m->len = sizeof header;
}

static void put(struct built *m, const void *bytes, size_t n)
{
    assert_true(m->len + n <= sizeof m->b);
    memcpy(m->b + m->len, bytes, n);
    m->len += n;
}

static void put_byte(struct built *m, uint8_t b)
{
    put(m, &b, 1);
}

static void put_label(struct built *m, const char *label)
{
    put_byte(m, (uint8_t)strlen(label));
    put(m, label, strlen(label));
}

static void put_pointer(struct built *m, uint16_t target)
{
    put_byte(m, (uint8_t)(0xC0 | (target >> 8)));
    put_byte(m, (uint8_t)target);
}

static void put_type_class(struct built *m)
{
    static const uint8_t a_in[4] = {0x00, 0x01, 0x00, 0x01};
    put(m, a_in, sizeof a_in);
}

static enum ww_dns_malformed parse_built(const struct built *m, struct ww_dns_message *msg)
{
    struct ww_dns_stats stats = {0};
    return ww_dns_parse(&stats, m->b, m->len, msg);
}

static void assert_malformed(const struct built *m, enum ww_dns_malformed expected)
{
    struct ww_dns_stats stats = {0};
    struct ww_dns_message msg;
    assert_int_equal(ww_dns_parse(&stats, m->b, m->len, &msg), expected);
    assert_int_equal(stats.malformed[expected], 1);
    assert_int_equal(stats.queries + stats.responses, 0);
}

/* ---- real messages ---- */

static void test_real_query(void **state)
{
    (void)state;
    struct ww_dns_stats stats = {0};
    struct ww_dns_message msg;
    assert_int_equal(ww_dns_parse(&stats, query_upenn, sizeof query_upenn, &msg), WW_DNS_OK);
    assert_int_equal(msg.id, 0x588a);
    assert_false(msg.response);
    assert_int_equal(msg.opcode, 0);
    assert_true(msg.recursion_desired);
    assert_int_equal(msg.qdcount, 1);
    assert_int_equal(msg.ancount, 0);
    assert_int_equal(msg.arcount, 1);
    assert_true(msg.has_question);
    assert_string_equal(msg.qname, "upenn.edu");
    assert_int_equal(msg.qname_len, 9);
    assert_int_equal(msg.qtype, 48);
    assert_int_equal(msg.qclass, 1);
    assert_int_equal(stats.messages, 1);
    assert_int_equal(stats.queries, 1);
    assert_int_equal(stats.responses, 0);
}

static void test_real_nxdomain_and_its_compressed_names(void **state)
{
    (void)state;
    struct ww_dns_stats stats = {0};
    struct ww_dns_message msg;
    assert_int_equal(ww_dns_parse(&stats, nxdomain_tunnel, sizeof nxdomain_tunnel, &msg),
                     WW_DNS_OK);
    assert_int_equal(msg.id, 0x8b54);
    assert_true(msg.response);
    assert_int_equal(msg.rcode, WW_DNS_RCODE_NXDOMAIN);
    assert_int_equal(msg.nscount, 1);
    assert_string_equal(msg.qname, "gmr02c.16.0.fhkfhsdkfhsk.tunnel.example.com");
    assert_int_equal(stats.responses, 1);
    /* the SOA's owner points back into the question (the zone); then MNAME, RNAME */
    char text[WW_DNS_NAME_TEXT_MAX];
    size_t text_len, end;
    assert_int_equal(ww_dns_read_name(nxdomain_tunnel, sizeof nxdomain_tunnel, 61, text,
                                      &text_len, &end),
                     WW_DNS_OK);
    assert_string_equal(text, "example.com");
    assert_int_equal(end, 63);
    assert_int_equal(ww_dns_read_name(nxdomain_tunnel, sizeof nxdomain_tunnel, 73, text,
                                      &text_len, &end),
                     WW_DNS_OK);
    assert_string_equal(text, "ns.icann.org");
    assert_int_equal(end, 87);
    assert_int_equal(ww_dns_read_name(nxdomain_tunnel, sizeof nxdomain_tunnel, 87, text,
                                      &text_len, &end),
                     WW_DNS_OK);
    assert_string_equal(text, "noc.dns.icann.org");
    assert_int_equal(text_len, 17);
    assert_int_equal(end, 97);
}

static void test_real_answer_cut_short(void **state)
{
    (void)state;
    struct ww_dns_message msg;
    struct ww_dns_stats stats = {0};
    assert_int_equal(ww_dns_parse(&stats, answer_atlas_cut, sizeof answer_atlas_cut, &msg),
                     WW_DNS_OK);
    assert_string_equal(msg.qname, "atlas.ripe.net");
    assert_int_equal(msg.ancount, 4);
    char text[WW_DNS_NAME_TEXT_MAX];
    size_t text_len, end;
    /* the CNAME's target: a label, then a pointer back to "ripe.net" in the question */
    assert_int_equal(ww_dns_read_name(answer_atlas_cut, sizeof answer_atlas_cut, 44, text,
                                      &text_len, &end),
                     WW_DNS_OK);
    assert_string_equal(text, "atlas-ui.ripe.net");
    assert_int_equal(end, 55);
    /* the next answer's data is past the cut: a 46-byte label with 5 bytes left */
    assert_int_equal(ww_dns_read_name(answer_atlas_cut, sizeof answer_atlas_cut, 58, text,
                                      &text_len, &end),
                     WW_DNS_TRUNCATED_NAME);
    assert_int_equal(ww_dns_read_name(answer_atlas_cut, sizeof answer_atlas_cut, 64, text,
                                      &text_len, &end),
                     WW_DNS_TRUNCATED_NAME);
    assert_int_equal(ww_dns_read_name(answer_atlas_cut, sizeof answer_atlas_cut, 1000, text,
                                      &text_len, &end),
                     WW_DNS_TRUNCATED_NAME);
}

/* ---- header and question ---- */

static void test_zero_question_message(void **state)
{
    (void)state;
    struct built m;
    start(&m, 0);
    m.b[2] = 0x80; /* a response */
    m.b[3] = 0x05; /* REFUSED */
    struct ww_dns_stats stats = {0};
    struct ww_dns_message msg;
    assert_int_equal(ww_dns_parse(&stats, m.b, m.len, &msg), WW_DNS_OK);
    assert_false(msg.has_question);
    assert_string_equal(msg.qname, "");
    assert_int_equal(msg.rcode, 5);
    assert_int_equal(stats.no_question, 1);
    assert_int_equal(stats.responses, 1);
}

static void test_truncated_header_and_question(void **state)
{
    (void)state;
    struct built m;
    start(&m, 1);
    m.len = 11;
    assert_malformed(&m, WW_DNS_TRUNCATED_HEADER);
    m.len = 0;
    assert_malformed(&m, WW_DNS_TRUNCATED_HEADER);
    start(&m, 1); /* qdcount 1, nothing after the header */
    assert_malformed(&m, WW_DNS_TRUNCATED_NAME);
    start(&m, 1);
    put_label(&m, "example");
    put_label(&m, "com");
    put_byte(&m, 0);
    put(&m, "\x00\x01\x00", 3); /* one byte short of type and class */
    assert_malformed(&m, WW_DNS_TRUNCATED_QUESTION);
    put_byte(&m, 0x01);
    struct ww_dns_message msg;
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_string_equal(msg.qname, "example.com");
}

static void test_truncated_labels(void **state)
{
    (void)state;
    struct built m;
    start(&m, 1);
    put_byte(&m, 7);
    put(&m, "exa", 3); /* a 7-byte label with 3 captured */
    assert_malformed(&m, WW_DNS_TRUNCATED_NAME);
    start(&m, 1);
    put_label(&m, "example"); /* no root label */
    assert_malformed(&m, WW_DNS_TRUNCATED_NAME);
    start(&m, 1);
    put_byte(&m, 0xC0); /* half a pointer */
    assert_malformed(&m, WW_DNS_TRUNCATED_NAME);
}

static void test_root_name_and_case(void **state)
{
    (void)state;
    struct built m;
    struct ww_dns_message msg;
    start(&m, 1);
    put_byte(&m, 0);
    put_type_class(&m);
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_true(msg.has_question);
    assert_string_equal(msg.qname, "");
    assert_int_equal(msg.qname_len, 0);
    start(&m, 1);
    put_label(&m, "FvQcIh");
    put_label(&m, "NET");
    put_byte(&m, 0);
    put_type_class(&m);
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_string_equal(msg.qname, "fvqcih.net");
    assert_int_equal(msg.qtype, 1);
}

static void test_label_bytes_escaped(void **state)
{
    (void)state;
    struct built m;
    struct ww_dns_message msg;
    start(&m, 1);
    put_label(&m, "fvqcih.net"); /* one label holding a dot: not the two-label name */
    put_byte(&m, 0);
    put_type_class(&m);
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_string_equal(msg.qname, "fvqcih\\.net");
    start(&m, 1);
    put(&m, "\x05" "a\\b\x00\x7f", 6);
    put_label(&m, "_x-Y");
    put_byte(&m, 0);
    put_type_class(&m);
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_string_equal(msg.qname, "a\\\\b\\000\\127._x-y");
}

static void test_label_types(void **state)
{
    (void)state;
    struct built m;
    start(&m, 1);
    put_byte(&m, 0x40); /* extended label type (RFC 6891, deprecated) */
    assert_malformed(&m, WW_DNS_BAD_LABEL_TYPE);
    start(&m, 1);
    put_label(&m, "www");
    put_byte(&m, 0x80);
    assert_malformed(&m, WW_DNS_BAD_LABEL_TYPE);
    start(&m, 1);
    put_byte(&m, 64); /* one byte over a label's 63: the 01 label type */
    assert_malformed(&m, WW_DNS_BAD_LABEL_TYPE);
}

/* A name of `labels` 63-byte labels and one of `last` bytes: 64 * labels + last + 2 on the wire. */
static void put_long_name(struct built *m, int labels, size_t last)
{
    char label[64];
    memset(label, 'a', 63);
    label[63] = '\0';
    for (int i = 0; i < labels; i++)
        put_label(m, label);
    label[last] = '\0';
    put_label(m, label);
    put_byte(m, 0);
}

static void test_name_length_limit(void **state)
{
    (void)state;
    struct built m;
    struct ww_dns_message msg;
    start(&m, 1);
    put_long_name(&m, 3, 61); /* 192 + 62 + 1 = 255 bytes */
    put_type_class(&m);
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_int_equal(msg.qname_len, 3 * 64 + 61);
    start(&m, 1);
    put_long_name(&m, 3, 62); /* 256 */
    put_type_class(&m);
    assert_malformed(&m, WW_DNS_NAME_TOO_LONG);
    start(&m, 1);
    put_long_name(&m, 5, 1); /* far over, and longer than the message would need */
    assert_malformed(&m, WW_DNS_NAME_TOO_LONG);
    /* the longest text: 250 label bytes, every one escaped */
    start(&m, 1);
    uint8_t label[64];
    memset(label, 0x01, sizeof label);
    for (int i = 0; i < 4; i++) {
        size_t n = i < 3 ? 63 : 61;
        put_byte(&m, (uint8_t)n);
        put(&m, label, n);
    }
    put_byte(&m, 0);
    put_type_class(&m);
    assert_int_equal(parse_built(&m, &msg), WW_DNS_OK);
    assert_int_equal(msg.qname_len, 250 * 4 + 3);
    assert_true(msg.qname_len < WW_DNS_NAME_TEXT_MAX);
}

/* ---- compression ---- */

static void test_pointer_backwards(void **state)
{
    (void)state;
    struct built m;
    start(&m, 1);
    put_label(&m, "example");
    put_label(&m, "com");
    put_byte(&m, 0); /* 12..24 */
    put_label(&m, "www");
    put_pointer(&m, 12); /* 25..30 */
    put_label(&m, "a");
    put_pointer(&m, 25); /* 31..34: two pointers, each further back */
    char text[WW_DNS_NAME_TEXT_MAX];
    size_t text_len, end;
    assert_int_equal(ww_dns_read_name(m.b, m.len, 25, text, &text_len, &end), WW_DNS_OK);
    assert_string_equal(text, "www.example.com");
    assert_int_equal(end, 31);
    assert_int_equal(ww_dns_read_name(m.b, m.len, 31, text, &text_len, &end), WW_DNS_OK);
    assert_string_equal(text, "a.www.example.com");
    assert_int_equal(end, 35);
    /* a question name that points into the header reads the header's bytes as labels */
    struct built q;
    start(&q, 1);
    q.b[6] = 0x00; /* ancount's high byte: a root label at offset 6 */
    put_pointer(&q, 6);
    put_type_class(&q);
    struct ww_dns_message msg;
    assert_int_equal(parse_built(&q, &msg), WW_DNS_OK);
    assert_string_equal(msg.qname, "");
    assert_int_equal(msg.qtype, 1);
}

static void test_pointer_forward_self_and_loops(void **state)
{
    (void)state;
    struct built m;
    start(&m, 1);
    put_pointer(&m, 12); /* to itself */
    assert_malformed(&m, WW_DNS_BAD_POINTER);
    start(&m, 1);
    put_pointer(&m, 14); /* forward, to a valid name */
    put_label(&m, "com");
    put_byte(&m, 0);
    assert_malformed(&m, WW_DNS_BAD_POINTER);
    start(&m, 1);
    put_label(&m, "www");
    put_pointer(&m, 12); /* back to its own first label: would loop */
    assert_malformed(&m, WW_DNS_BAD_POINTER);
    /* two pointers that point at each other */
    start(&m, 0);
    put(&m, "\0\0\0\0\0\0\0\0", 8); /* 12..19 */
    put_pointer(&m, 30);             /* 20 */
    put(&m, "\0\0\0\0\0\0\0\0", 8); /* 22..29 */
    put_pointer(&m, 20);             /* 30 */
    char text[WW_DNS_NAME_TEXT_MAX];
    size_t text_len, end;
    assert_int_equal(ww_dns_read_name(m.b, m.len, 30, text, &text_len, &end), WW_DNS_BAD_POINTER);
    assert_int_equal(ww_dns_read_name(m.b, m.len, 20, text, &text_len, &end), WW_DNS_BAD_POINTER);
    /* far past the end */
    start(&m, 1);
    put_pointer(&m, 0x3FFF);
    assert_malformed(&m, WW_DNS_BAD_POINTER);
}

static void test_pointer_chain_limit(void **state)
{
    (void)state;
    /* a root label at 0, then pointers at 2, 4, ..., each to the one before */
    uint8_t b[2 + 2 * (WW_DNS_MAX_POINTERS + 1)];
    b[0] = 0;
    b[1] = 0;
    for (int i = 1; i <= WW_DNS_MAX_POINTERS + 1; i++) {
        b[2 * i] = 0xC0;
        b[2 * i + 1] = (uint8_t)(2 * (i - 1));
    }
    char text[WW_DNS_NAME_TEXT_MAX];
    size_t text_len, end;
    size_t at = 2 * WW_DNS_MAX_POINTERS; /* a chain of exactly the limit */
    assert_int_equal(ww_dns_read_name(b, sizeof b, at, text, &text_len, &end), WW_DNS_OK);
    assert_string_equal(text, "");
    assert_int_equal(end, at + 2);
    assert_int_equal(ww_dns_read_name(b, sizeof b, at + 2, text, &text_len, &end),
                     WW_DNS_TOO_MANY_POINTERS);
}

static void test_stats_by_reason(void **state)
{
    (void)state;
    struct ww_dns_stats stats = {0};
    struct ww_dns_message msg;
    const uint8_t short_header[5] = {0};
    const uint8_t self_pointer[14] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C};
    ww_dns_parse(&stats, query_upenn, sizeof query_upenn, &msg);
    ww_dns_parse(&stats, nxdomain_tunnel, sizeof nxdomain_tunnel, &msg);
    ww_dns_parse(&stats, short_header, sizeof short_header, &msg);
    ww_dns_parse(&stats, self_pointer, sizeof self_pointer, &msg);
    ww_dns_parse(&stats, self_pointer, sizeof self_pointer, &msg);
    assert_int_equal(stats.messages, 5);
    assert_int_equal(stats.queries, 1);
    assert_int_equal(stats.responses, 1);
    assert_int_equal(stats.malformed[WW_DNS_TRUNCATED_HEADER], 1);
    assert_int_equal(stats.malformed[WW_DNS_BAD_POINTER], 2);
    assert_int_equal(stats.malformed[WW_DNS_OK], 0);
    assert_string_equal(ww_dns_malformed_name(WW_DNS_BAD_POINTER), "bad_pointer");
    assert_string_equal(ww_dns_malformed_name(WW_DNS_MALFORMED__COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_query),
        cmocka_unit_test(test_real_nxdomain_and_its_compressed_names),
        cmocka_unit_test(test_real_answer_cut_short),
        cmocka_unit_test(test_zero_question_message),
        cmocka_unit_test(test_truncated_header_and_question),
        cmocka_unit_test(test_truncated_labels),
        cmocka_unit_test(test_root_name_and_case),
        cmocka_unit_test(test_label_bytes_escaped),
        cmocka_unit_test(test_label_types),
        cmocka_unit_test(test_name_length_limit),
        cmocka_unit_test(test_pointer_backwards),
        cmocka_unit_test(test_pointer_forward_self_and_loops),
        cmocka_unit_test(test_pointer_chain_limit),
        cmocka_unit_test(test_stats_by_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
