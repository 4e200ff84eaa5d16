/*
 * Unit tests for the DHCP parser (dhcp.h): real messages of
 * sv_smb2-ntlmssp-negotiateflags.pcap (ident_payloads.h), every prefix of a
 * real REQUEST, and built messages for every rule: bad op and hlen, no
 * cookie, lying and wrong option lengths, duplicates, hostile host names,
 * overload, a missing END.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ident_payloads.h"
#include "wormwatch/dhcp.h"

static const uint8_t mac_132[6] = {0x00, 0x0c, 0x29, 0x03, 0xdf, 0xad};
static const uint8_t mac_133[6] = {0x00, 0x0c, 0x29, 0x61, 0xf5, 0x5f};

static void real_request(void **state)
{
    (void)state;
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message m;
    assert_int_equal(ww_dhcp_parse(&st, dhcp_request_132, sizeof dhcp_request_132, &m), WW_DHCP_OK);
    assert_int_equal(m.op, 1);
    assert_int_equal(m.htype, 1);
    assert_int_equal(m.hlen, 6);
    assert_int_equal(m.xid, 0xc5fd4c7fu);
    assert_int_equal(m.ciaddr, 0);
    assert_int_equal(m.yiaddr, 0);
    assert_true(m.has_mac);
    assert_memory_equal(m.mac, mac_132, 6);
    assert_int_equal(m.type, WW_DHCP_REQUEST);
    assert_true(m.has_requested_ip);
    assert_int_equal(m.requested_ip, 0xc0a8c784u); /* 192.168.199.132 */
    assert_true(m.has_server_id);
    assert_int_equal(m.server_id, 0xc0a8c7feu); /* 192.168.199.254 */
    static const uint8_t client_id[7] = {0x01, 0x00, 0x0c, 0x29, 0x03, 0xdf, 0xad};
    assert_int_equal(m.client_id_len, 7);
    assert_memory_equal(m.client_id, client_id, 7);
    assert_string_equal(m.hostname, "DESKTOP-2AEFM7G");
    assert_int_equal(m.hostname_len, 15);
    assert_false(m.overload);
    assert_true(m.ended);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.parsed, 1);
    assert_int_equal(st.by_type[WW_DHCP_REQUEST], 1);
    assert_int_equal(st.no_end, 0);
    assert_int_equal(st.hostname_rejected, 0);
    assert_string_equal(ww_dhcp_type_name(m.type), "request");
}

static void real_ack_and_discover(void **state)
{
    (void)state;
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message m;
    assert_int_equal(ww_dhcp_parse(&st, dhcp_ack_133, sizeof dhcp_ack_133, &m), WW_DHCP_OK);
    assert_int_equal(m.op, 2);
    assert_int_equal(m.xid, 0x4fbbfa9au);
    assert_int_equal(m.yiaddr, 0xc0a8c785u); /* 192.168.199.133 */
    assert_memory_equal(m.mac, mac_133, 6);
    assert_int_equal(m.type, WW_DHCP_ACK);
    assert_true(m.has_server_id);
    assert_int_equal(m.server_id, 0xc0a8c7feu);
    assert_false(m.has_requested_ip);
    assert_int_equal(m.client_id_len, 0);
    assert_string_equal(m.hostname, "");
    assert_true(m.ended);

    assert_int_equal(ww_dhcp_parse(&st, dhcp_discover_132, sizeof dhcp_discover_132, &m),
                     WW_DHCP_OK);
    assert_int_equal(m.type, WW_DHCP_DISCOVER);
    assert_int_equal(m.xid, 0xc5fd4c7fu);
    assert_string_equal(m.hostname, "DESKTOP-2AEFM7G");

    assert_int_equal(ww_dhcp_parse(&st, dhcp_request_133, sizeof dhcp_request_133, &m),
                     WW_DHCP_OK);
    assert_string_equal(m.hostname, "DESKTOP-V1FA0UQ");
    assert_int_equal(m.requested_ip, 0xc0a8c785u);
    assert_false(m.has_server_id); /* a reboot's REQUEST names no server */
    assert_int_equal(st.parsed, 3);
    assert_int_equal(st.by_type[WW_DHCP_ACK], 1);
    assert_int_equal(st.by_type[WW_DHCP_DISCOVER], 1);
    assert_int_equal(st.by_type[WW_DHCP_REQUEST], 1);
}

/* Every prefix of the real REQUEST: cut at an option boundary it parses, else it is rejected. */
static void every_prefix_of_request(void **state)
{
    (void)state;
    /* 53 at 240, 61 at 243, 50 at 252, 54 at 258, 12 at 264, 81 at 281, 60 at 301, 55 at 311, END at 326 */
    static const size_t boundaries[] = {240, 243, 252, 258, 264, 281, 301, 311, 326, 327};
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message m;
    size_t ok = 0;
    for (size_t len = 0; len <= sizeof dhcp_request_132; len++) {
        enum ww_dhcp_malformed why = ww_dhcp_parse(&st, dhcp_request_132, len, &m);
        bool boundary = false;
        for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++)
            boundary |= boundaries[i] == len;
        if (len < WW_DHCP_FIXED_LEN)
            assert_int_equal(why, WW_DHCP_TRUNCATED_HEADER);
        else if (len < 240)
            assert_int_equal(why, WW_DHCP_NO_COOKIE);
        else if (boundary) {
            assert_int_equal(why, WW_DHCP_OK);
            ok++;
            assert_int_equal(m.hostname_len, len > 264 ? 15 : 0);
            assert_int_equal(m.type, len > 240 ? WW_DHCP_REQUEST : WW_DHCP_NO_TYPE);
            assert_int_equal(m.ended, len == 327);
        } else
            assert_int_equal(why, WW_DHCP_TRUNCATED_OPTION);
    }
    assert_int_equal(ok, 10);
    assert_int_equal(st.messages, 328);
    assert_int_equal(st.parsed, 10);
    assert_int_equal(st.no_end, 9);
    assert_int_equal(st.malformed[WW_DHCP_TRUNCATED_HEADER], 236);
    assert_int_equal(st.malformed[WW_DHCP_NO_COOKIE], 4);
    assert_int_equal(st.malformed[WW_DHCP_TRUNCATED_OPTION], 328 - 236 - 4 - 10);
}

/* A built message: the fixed header (op 1, Ethernet, xid 0x01020304, chaddr 02:..:06), cookie, options. */
struct built {
    uint8_t b[600];
    size_t len;
};

static void start(struct built *m)
{
    memset(m->b, 0, sizeof m->b);
    m->b[0] = 1;
    m->b[1] = 1;
    m->b[2] = 6;
    m->b[4] = 1, m->b[5] = 2, m->b[6] = 3, m->b[7] = 4;
    for (int i = 0; i < 6; i++)
        m->b[28 + i] = (uint8_t)(2 + i);
    m->b[236] = 0x63, m->b[237] = 0x82, m->b[238] = 0x53, m->b[239] = 0x63;
    m->len = 240;
}

static void opt(struct built *m, uint8_t code, uint8_t len, const void *value)
{
    m->b[m->len++] = code;
    m->b[m->len++] = len;
    memcpy(m->b + m->len, value, len);
    m->len += len;
}

static void end(struct built *m)
{
    m->b[m->len++] = 255;
}

static enum ww_dhcp_malformed parse(struct ww_dhcp_stats *st, const struct built *m,
                                    struct ww_dhcp_message *msg)
{
    return ww_dhcp_parse(st, m->b, m->len, msg);
}

static void header_rules(void **state)
{
    (void)state;
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message msg;
    struct built m;
    start(&m);
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_int_equal(msg.xid, 0x01020304u);
    assert_true(msg.has_mac);
    assert_int_equal(msg.mac[5], 7);
    assert_int_equal(msg.type, WW_DHCP_NO_TYPE);
    m.b[0] = 3;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_BAD_OP);
    m.b[0] = 0;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_BAD_OP);
    m.b[0] = 2;
    m.b[2] = 17;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_BAD_HLEN);
    m.b[2] = 16;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_false(msg.has_mac); /* 16-byte hardware address: not Ethernet */
    m.b[2] = 6;
    m.b[1] = 6; /* IEEE 802 */
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_false(msg.has_mac);
    m.b[1] = 1;
    m.b[239] = 0x64;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_NO_COOKIE);
    assert_int_equal(st.malformed[WW_DHCP_BAD_OP], 2);
    assert_int_equal(st.malformed[WW_DHCP_BAD_HLEN], 1);
    assert_int_equal(st.malformed[WW_DHCP_NO_COOKIE], 1);
    assert_int_equal(st.parsed, 3);
    assert_int_equal(msg.xid, 0); /* a rejected message leaves nothing behind */
}

static void option_lengths(void **state)
{
    (void)state;
    static const uint8_t four[4] = {10, 0, 0, 1}, five[5] = {0}, one[1] = {5}, two[2] = {5, 5};
    struct {
        uint8_t code, len;
        const uint8_t *value;
        enum ww_dhcp_malformed expect;
    } cases[] = {
        {53, 2, two, WW_DHCP_BAD_OPTION_LENGTH}, {53, 0, one, WW_DHCP_BAD_OPTION_LENGTH},
        {50, 3, four, WW_DHCP_BAD_OPTION_LENGTH}, {50, 5, five, WW_DHCP_BAD_OPTION_LENGTH},
        {54, 5, five, WW_DHCP_BAD_OPTION_LENGTH}, {61, 1, one, WW_DHCP_BAD_OPTION_LENGTH},
        {12, 0, one, WW_DHCP_BAD_OPTION_LENGTH},  {52, 2, two, WW_DHCP_BAD_OPTION_LENGTH},
        {50, 4, four, WW_DHCP_OK},                {99, 0, one, WW_DHCP_OK}, /* unknown, empty */
    };
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message msg;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct built m;
        start(&m);
        opt(&m, cases[i].code, cases[i].len, cases[i].value);
        end(&m);
        assert_int_equal(parse(&st, &m, &msg), cases[i].expect);
    }
    assert_int_equal(st.malformed[WW_DHCP_BAD_OPTION_LENGTH], 8);

    static const uint8_t zero[1] = {0}, nineteen[1] = {19}, eighteen[1] = {18};
    struct built m;
    start(&m);
    opt(&m, 53, 1, zero);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_BAD_MESSAGE_TYPE);
    start(&m);
    opt(&m, 53, 1, nineteen);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_BAD_MESSAGE_TYPE);
    start(&m);
    opt(&m, 53, 1, eighteen);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_string_equal(ww_dhcp_type_name(msg.type), "other");

    /* A length that runs past the capture, by one byte and by a lot. */
    start(&m);
    opt(&m, 53, 1, one);
    m.b[m.len++] = 12;
    m.b[m.len++] = 4;
    memcpy(m.b + m.len, "abc", 3);
    m.len += 3;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_TRUNCATED_OPTION);
    start(&m);
    m.b[m.len++] = 81;
    m.b[m.len++] = 255;
    m.len += 20;
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_TRUNCATED_OPTION);
    start(&m);
    m.b[m.len++] = 81; /* a code with no length byte */
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_TRUNCATED_OPTION);
    assert_int_equal(st.malformed[WW_DHCP_TRUNCATED_OPTION], 3);

    /* The same option twice is a contradiction. */
    start(&m);
    opt(&m, 53, 1, one);
    opt(&m, 53, 1, one);
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_DUPLICATE_OPTION);
    start(&m);
    opt(&m, 12, 3, "abc");
    opt(&m, 12, 3, "def");
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_DUPLICATE_OPTION);
    assert_int_equal(st.malformed[WW_DHCP_DUPLICATE_OPTION], 2);
}

static void hostnames(void **state)
{
    (void)state;
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message msg;
    struct built m;
    char long_name[64];
    memset(long_name, 'a', sizeof long_name);

    start(&m);
    opt(&m, 12, 63, long_name);
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_int_equal(msg.hostname_len, 63);
    assert_int_equal(strlen(msg.hostname), 63);

    start(&m);
    opt(&m, 12, 64, long_name);
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_int_equal(msg.hostname_len, 0);
    assert_string_equal(msg.hostname, "");
    assert_int_equal(st.hostname_rejected, 1);

    static const char *const hostile[] = {"a b", "evil\n", "x\"y\x01", "caf\xc3\xa9", "\x7f"};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        start(&m);
        opt(&m, 12, (uint8_t)strlen(hostile[i]), hostile[i]);
        end(&m);
        assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
        assert_int_equal(msg.hostname_len, 0);
    }
    assert_int_equal(st.hostname_rejected, 6);

    /* A counted NUL terminator is dropped; a NUL inside is not allowed. */
    start(&m);
    opt(&m, 12, 5, "host\0");
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_string_equal(msg.hostname, "host");
    start(&m);
    opt(&m, 12, 5, "ho\0st");
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_string_equal(msg.hostname, "");
    start(&m);
    opt(&m, 12, 2, "\0\0");
    end(&m);
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_string_equal(msg.hostname, "");
    assert_int_equal(st.hostname_rejected, 8);

    /* A rejected message does not count its host name. */
    start(&m);
    opt(&m, 12, 3, "a b");
    opt(&m, 53, 2, "xx");
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_BAD_OPTION_LENGTH);
    assert_int_equal(st.hostname_rejected, 8);
}

static void overload_pad_client_id(void **state)
{
    (void)state;
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message msg;
    struct built m;
    static const uint8_t both[1] = {3}, ack[1] = {5};
    uint8_t long_id[40];
    for (size_t i = 0; i < sizeof long_id; i++)
        long_id[i] = (uint8_t)i;
    start(&m);
    m.b[m.len++] = 0; /* PAD */
    m.b[m.len++] = 0;
    opt(&m, 52, 1, both);
    opt(&m, 53, 1, ack);
    opt(&m, 61, 40, long_id);
    end(&m);
    m.b[m.len++] = 53; /* after END: not read */
    assert_int_equal(parse(&st, &m, &msg), WW_DHCP_OK);
    assert_true(msg.overload);
    assert_int_equal(msg.type, WW_DHCP_ACK);
    assert_int_equal(msg.client_id_len, WW_DHCP_CLIENT_ID_MAX);
    assert_memory_equal(msg.client_id, long_id, WW_DHCP_CLIENT_ID_MAX);
    assert_true(msg.ended);
    assert_int_equal(st.overload_ignored, 1);
    assert_string_equal(ww_dhcp_malformed_name(WW_DHCP_DUPLICATE_OPTION), "duplicate_option");
    assert_string_equal(ww_dhcp_malformed_name(WW_DHCP_MALFORMED__COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_request),    cmocka_unit_test(real_ack_and_discover),
        cmocka_unit_test(every_prefix_of_request), cmocka_unit_test(header_rules),
        cmocka_unit_test(option_lengths),  cmocka_unit_test(hostnames),
        cmocka_unit_test(overload_pad_client_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
