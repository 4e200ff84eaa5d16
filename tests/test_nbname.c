/*
 * Unit tests for the NetBIOS name service parser (nbname.h): real
 * registrations, query responses, a node status response and a query from
 * the captures in pcaps/real (ident_payloads.h says which frames), every
 * prefix of a real registration, and real messages altered byte by byte
 * for every rule: encoding, label length, scope, the address record's
 * owner, RDATA lengths, negative answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ident_payloads.h"
#include "wormwatch/nbname.h"

static struct ww_nbns_stats st;

static enum ww_nbns_malformed parse(const uint8_t *p, size_t len, struct ww_nbns_message *m)
{
    return ww_nbns_parse(&st, p, len, m);
}

static void registrations(void **state)
{
    (void)state;
    memset(&st, 0, sizeof st);
    struct ww_nbns_message m;
    assert_int_equal(parse(nbns_reg_desktop_00, sizeof nbns_reg_desktop_00, &m), WW_NBNS_OK);
    assert_int_equal(m.id, 0xa784);
    assert_false(m.response);
    assert_int_equal(m.opcode, WW_NBNS_OPCODE_REGISTRATION);
    assert_int_equal(m.nm_flags, 0x11); /* RD, broadcast */
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.qdcount, 1);
    assert_int_equal(m.arcount, 1);
    assert_false(m.name_from_answer);
    assert_string_equal(m.name.name, "DESKTOP-V1FA0UQ");
    assert_int_equal(m.name.len, 15);
    assert_int_equal(m.name.suffix, WW_NBNAME_SUFFIX_WORKSTATION);
    assert_true(m.name.printable);
    assert_int_equal(m.rr_type, WW_NBNS_TYPE_NB);
    assert_true(m.has_address);
    assert_int_equal(m.nb_flags, 0x0000);
    assert_false(m.group);
    assert_int_equal(m.address, 0xc0a8c785u); /* 192.168.199.133 */
    assert_int_equal(m.ttl, 300000);
    assert_true(ww_nbns_names_machine(&m));

    assert_int_equal(parse(nbns_reg_desktop_20, sizeof nbns_reg_desktop_20, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "DESKTOP-V1FA0UQ");
    assert_int_equal(m.name.suffix, WW_NBNAME_SUFFIX_SERVER);
    assert_true(ww_nbns_names_machine(&m));

    assert_int_equal(parse(nbns_reg_workgroup_00, sizeof nbns_reg_workgroup_00, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "WORKGROUP");
    assert_int_equal(m.name.len, 9);
    assert_int_equal(m.name.suffix, 0x00);
    assert_true(m.has_address);
    assert_int_equal(m.nb_flags, 0x8000);
    assert_true(m.group);
    assert_false(ww_nbns_names_machine(&m)); /* a group is no machine */

    assert_int_equal(parse(nbns_reg_workgroup_1e, sizeof nbns_reg_workgroup_1e, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "WORKGROUP");
    assert_int_equal(m.name.suffix, WW_NBNAME_SUFFIX_BROWSER_ELECTION);
    assert_true(m.group);
    assert_false(ww_nbns_names_machine(&m));
    assert_int_equal(st.parsed, 4);
    assert_int_equal(st.addressed, 4);
    assert_int_equal(st.machines, 2);
}

static void responses_and_queries(void **state)
{
    (void)state;
    memset(&st, 0, sizeof st);
    struct ww_nbns_message m;
    assert_int_equal(parse(nbns_resp_gunnar, sizeof nbns_resp_gunnar, &m), WW_NBNS_OK);
    assert_int_equal(m.id, 0x8486);
    assert_true(m.response);
    assert_int_equal(m.opcode, WW_NBNS_OPCODE_QUERY);
    assert_int_equal(m.nm_flags, 0x50); /* AA, RD */
    assert_true(m.name_from_answer);
    assert_string_equal(m.name.name, "GUNNAR");
    assert_int_equal(m.name.len, 6);
    assert_int_equal(m.name.suffix, 0);
    assert_true(m.has_address);
    assert_int_equal(m.address, 0x0a000418u); /* 10.0.4.24 */
    assert_int_equal(m.ttl, 300000);
    assert_true(ww_nbns_names_machine(&m));

    assert_int_equal(parse(nbns_resp_guru, sizeof nbns_resp_guru, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "GURU");
    assert_int_equal(m.address, 0x0a000501u);
    assert_true(ww_nbns_names_machine(&m));

    assert_int_equal(parse(nbns_resp_chip, sizeof nbns_resp_chip, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "CHIP_DOUGLAS-PC");
    assert_int_equal(m.address, 0xc0a8012eu); /* 192.168.1.46 */
    assert_true(ww_nbns_names_machine(&m));

    assert_int_equal(parse(nbns_resp_dc_1c, sizeof nbns_resp_dc_1c, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "PICKLESWORTH");
    assert_int_equal(m.name.suffix, WW_NBNAME_SUFFIX_DOMAIN_CONTROLLERS);
    assert_true(m.group);
    assert_int_equal(m.address, 0xc0a801c3u);
    assert_false(ww_nbns_names_machine(&m));

    /* Node status: the wildcard name "*" and fifteen NULs, no address. */
    assert_int_equal(parse(nbns_nbstat_gunnar, sizeof nbns_nbstat_gunnar, &m), WW_NBNS_OK);
    assert_int_equal(m.rr_type, WW_NBNS_TYPE_NBSTAT);
    assert_int_equal(m.name.name[0], '*');
    assert_int_equal(m.name.len, 15);
    assert_false(m.name.printable);
    assert_false(m.has_address);
    assert_false(ww_nbns_names_machine(&m));

    assert_int_equal(parse(nbns_query_xstream, sizeof nbns_query_xstream, &m), WW_NBNS_OK);
    assert_int_equal(m.id, 0xa749);
    assert_false(m.response);
    assert_int_equal(m.opcode, 0);
    assert_string_equal(m.name.name, "XSTREAM_HY");
    assert_int_equal(m.rr_type, WW_NBNS_TYPE_NB);
    assert_false(m.has_address);
    assert_false(ww_nbns_names_machine(&m));
    assert_int_equal(st.parsed, 6);
    assert_int_equal(st.addressed, 4);
    assert_int_equal(st.machines, 3);
}

static void every_prefix_of_registration(void **state)
{
    (void)state;
    memset(&st, 0, sizeof st);
    struct ww_nbns_message m;
    assert_int_equal(sizeof nbns_reg_desktop_00, 68);
    for (size_t len = 0; len <= 68; len++) {
        enum ww_nbns_malformed why = parse(nbns_reg_desktop_00, len, &m);
        if (len < 12)
            assert_int_equal(why, WW_NBNS_TRUNCATED_HEADER);
        else if (len < 46)
            assert_int_equal(why, WW_NBNS_TRUNCATED_NAME);
        else if (len < 68)
            assert_int_equal(why, WW_NBNS_TRUNCATED_RECORD);
        else
            assert_int_equal(why, WW_NBNS_OK);
    }
    assert_int_equal(st.malformed[WW_NBNS_TRUNCATED_HEADER], 12);
    assert_int_equal(st.malformed[WW_NBNS_TRUNCATED_NAME], 34);
    assert_int_equal(st.malformed[WW_NBNS_TRUNCATED_RECORD], 22);
    assert_int_equal(st.parsed, 1);
}

/* The registration's bytes: label 12, encoded 13..44, root 45, qtype/class 46..49,
   owner pointer 50..51, type 52, class 54, TTL 56, RDLENGTH 60, NB_FLAGS 62, address 64. */
struct copy {
    uint8_t b[400];
    size_t len;
};

static struct copy registration(void)
{
    struct copy c;
    memcpy(c.b, nbns_reg_desktop_00, sizeof nbns_reg_desktop_00);
    c.len = sizeof nbns_reg_desktop_00;
    return c;
}

/* Inserts n bytes at offset. */
static void insert(struct copy *c, size_t offset, const void *bytes, size_t n)
{
    assert_true(c->len + n <= sizeof c->b);
    memmove(c->b + offset + n, c->b + offset, c->len - offset);
    memcpy(c->b + offset, bytes, n);
    c->len += n;
}

static void name_rules(void **state)
{
    (void)state;
    memset(&st, 0, sizeof st);
    struct ww_nbns_message m;
    struct copy c = registration();
    c.b[20] = 'Q';
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_ENCODING);
    c = registration();
    c.b[13] = 'a'; /* lower case is not the encoding */
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_ENCODING);
    c = registration();
    c.b[12] = 31;
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_NAME_LENGTH);
    c = registration();
    c.b[12] = 0xC0; /* a pointer as the first name */
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_NAME_LENGTH);

    /* A scope ID: skipped, and the record's pointer still names the question. */
    c = registration();
    insert(&c, 45, "\x07" "EXAMPLE" "\x03" "COM", 12);
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "DESKTOP-V1FA0UQ");
    assert_int_equal(m.address, 0xc0a8c785u);
    c = registration();
    insert(&c, 45, "\x47" "EXAMPLE", 8);
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_SCOPE);
    c = registration();
    uint8_t scope[64];
    memset(scope, 'X', sizeof scope);
    for (int i = 0; i < 4; i++) { /* 33 + 4 * 56 + 1 = 258 bytes: over 255 */
        scope[0] = 55;
        insert(&c, 45, scope, 56);
    }
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_SCOPE);
    c = registration();
    for (int i = 0; i < 3; i++) { /* 33 + 3 * 56 + 1 = 202: fine */
        scope[0] = 55;
        insert(&c, 45, scope, 56);
    }
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);

    /* A name of non-printable bytes is read but names no machine. */
    c = registration();
    c.b[13] = 'A', c.b[14] = 'B'; /* first byte 0x01 */
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_int_equal(m.name.name[0], 0x01);
    assert_false(m.name.printable);
    assert_true(m.has_address);
    assert_false(ww_nbns_names_machine(&m));
    /* All spaces: an empty name. */
    c = registration();
    for (size_t i = 0; i < 15; i++)
        c.b[13 + 2 * i] = 'C', c.b[14 + 2 * i] = 'A';
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_int_equal(m.name.len, 0);
    assert_false(ww_nbns_names_machine(&m));
    assert_int_equal(st.malformed[WW_NBNS_BAD_ENCODING], 2);
    assert_int_equal(st.malformed[WW_NBNS_BAD_NAME_LENGTH], 2);
    assert_int_equal(st.malformed[WW_NBNS_BAD_SCOPE], 2);
}

static void record_rules(void **state)
{
    (void)state;
    memset(&st, 0, sizeof st);
    struct ww_nbns_message m;
    struct copy c = registration();
    c.b[51] = 0x0d; /* points one byte past the name */
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_RECORD_NAME_MISMATCH);
    assert_false(m.has_address);

    /* The owner written out: the same name is accepted, another is not. */
    c = registration();
    c.len = 50;
    struct copy full = registration();
    insert(&c, 50, full.b + 12, 34);
    memcpy(c.b + c.len, full.b + 52, 16);
    c.len += 16;
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_int_equal(m.address, 0xc0a8c785u);
    /* The copy's label is at 50, its encoded bytes at 51..82: name byte i at 51 + 2i. */
    c.b[51 + 28] = 'E'; /* 15th byte: 'Q' (0x51) -> 'A' (0x41) */
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_RECORD_NAME_MISMATCH);
    c.b[51 + 28] = full.b[13 + 28];
    c.b[51 + 30] = 'C'; /* the suffix: 0x00 -> 0x20 */
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_RECORD_NAME_MISMATCH);

    /* RDLENGTH: 5 is not an entry, 12 is two (the first counts), one that lies is cut. */
    c = registration();
    c.b[61] = 5;
    c.len = 67;
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_BAD_RDATA_LENGTH);
    c = registration();
    c.b[61] = 12;
    insert(&c, 68, "\x00\x00\x0a\x00\x00\x09", 6);
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_int_equal(m.address, 0xc0a8c785u);
    c = registration();
    c.b[60] = 0xff;
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_TRUNCATED_RECORD);

    /* A refresh (8 and Windows' 9) gives the address; a release (6) does not. */
    c = registration();
    c.b[2] = (uint8_t)(c.b[2] & 0x87) | (8 << 3);
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_int_equal(m.opcode, 8);
    assert_true(m.has_address);
    c.b[2] = (uint8_t)(c.b[2] & 0x87) | (9 << 3);
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_true(ww_nbns_names_machine(&m));
    c.b[2] = (uint8_t)(c.b[2] & 0x87) | (6 << 3);
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_false(m.has_address);
    /* The same registration as a response (a WINS server's): no address taken. */
    c = registration();
    c.b[2] |= 0x80;
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_OK);
    assert_false(m.has_address);

    /* A negative query response: RCODE 3, no RDATA: read, no address. */
    struct copy neg;
    memcpy(neg.b, nbns_resp_gunnar, sizeof nbns_resp_gunnar);
    neg.len = sizeof nbns_resp_gunnar - 6;
    neg.b[3] = (uint8_t)(neg.b[3] & 0xf0) | 3;
    neg.b[neg.len - 2] = 0, neg.b[neg.len - 1] = 0;
    assert_int_equal(parse(neg.b, neg.len, &m), WW_NBNS_OK);
    assert_string_equal(m.name.name, "GUNNAR");
    assert_false(m.has_address);
    /* Positive, but with RDATA of 0 bytes: a lie. */
    neg.b[3] &= 0xf0;
    assert_int_equal(parse(neg.b, neg.len, &m), WW_NBNS_BAD_RDATA_LENGTH);

    /* Neither question nor answer. */
    c = registration();
    c.b[5] = 0;
    c.b[11] = 0;
    assert_int_equal(parse(c.b, c.len, &m), WW_NBNS_NO_NAME);
    assert_int_equal(st.malformed[WW_NBNS_RECORD_NAME_MISMATCH], 3);
    assert_int_equal(st.malformed[WW_NBNS_BAD_RDATA_LENGTH], 2);
    assert_string_equal(ww_nbns_malformed_name(WW_NBNS_NO_NAME), "no_name");
}

static void decode_nibbles(void **state)
{
    (void)state;
    uint8_t enc[32];
    /* "FOO" + 12 spaces + 0x1b: F=0x46 -> 'E''G', O=0x4f -> 'E''P', ' ' -> 'C''A', 0x1b -> 'B''L' */
    memcpy(enc, "EGEPEP", 6);
    for (int i = 3; i < 15; i++)
        enc[2 * i] = 'C', enc[2 * i + 1] = 'A';
    enc[30] = 'B', enc[31] = 'L';
    struct ww_nbname n;
    assert_true(ww_nbname_decode(enc, &n));
    assert_string_equal(n.name, "FOO");
    assert_int_equal(n.len, 3);
    assert_int_equal(n.suffix, WW_NBNAME_SUFFIX_DOMAIN_MASTER);
    assert_true(n.printable);
    enc[31] = 'Z';
    assert_false(ww_nbname_decode(enc, &n));
    enc[31] = '@'; /* just below 'A' */
    assert_false(ww_nbname_decode(enc, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registrations),   cmocka_unit_test(responses_and_queries),
        cmocka_unit_test(every_prefix_of_registration), cmocka_unit_test(name_rules),
        cmocka_unit_test(record_rules),    cmocka_unit_test(decode_nibbles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
