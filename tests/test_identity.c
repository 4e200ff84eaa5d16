/*
 * Unit tests for the identity table (identity.h): the real DHCP and NBNS
 * messages of sv_smb2-ntlmssp-negotiateflags.pcap (ident_payloads.h) fed in
 * the capture's order, then every rule of a change of hands on messages
 * altered from them: a new MAC by DHCP ACK or by frame, the same MAC
 * re-ACKed, RELEASE by the holder and by another MAC, a REQUEST's host name
 * too old for its ACK; the JSON object exactly; bounds and expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ident_payloads.h"
#include "test_key.h"
#include "wormwatch/identity.h"
#include "wormwatch/jsonw.h"

#define SEC 1000000000ULL
#define T0 (1500000000ULL * SEC) /* 2017-07-14T02:40:00 UTC */
#define ADDR_132 0xc0a8c784u
#define ADDR_133 0xc0a8c785u

static const uint8_t mac_133[6] = {0x00, 0x0c, 0x29, 0x61, 0xf5, 0x5f};
static const uint8_t other_mac[6] = {0x00, 0x50, 0x56, 0x01, 0x02, 0x03};

static struct ww_dhcp_message dhcp(const uint8_t *p, size_t len)
{
    struct ww_dhcp_stats st = {0};
    struct ww_dhcp_message m;
    assert_int_equal(ww_dhcp_parse(&st, p, len, &m), WW_DHCP_OK);
    return m;
}

static struct ww_nbns_message nbns(const uint8_t *p, size_t len)
{
    struct ww_nbns_stats st = {0};
    struct ww_nbns_message m;
    assert_int_equal(ww_nbns_parse(&st, p, len, &m), WW_NBNS_OK);
    return m;
}

static struct ww_identities *table(void)
{
    struct ww_identities *t = ww_identities_new(1 << 20, 3600 * SEC, &ww_test_key);
    assert_non_null(t);
    return t;
}

/* .133 as the capture has it: REQUEST, ACK, then its NetBIOS registration. */
static struct ww_identities *desktop_133(void)
{
    struct ww_identities *t = table();
    struct ww_dhcp_message m = dhcp(dhcp_request_133, sizeof dhcp_request_133);
    ww_identity_dhcp(t, &m, T0);
    assert_null(ww_identity_get(t, ADDR_133)); /* a REQUEST binds nothing */
    m = dhcp(dhcp_ack_133, sizeof dhcp_ack_133);
    ww_identity_dhcp(t, &m, T0 + 1 * SEC);
    struct ww_nbns_message n = nbns(nbns_reg_desktop_00, sizeof nbns_reg_desktop_00);
    assert_true(ww_identity_netbios(t, &n, T0 + 2 * SEC));
    const struct ww_identity *id = ww_identity_get(t, ADDR_133);
    assert_non_null(id);
    assert_int_equal(id->known, WW_IDENTITY_MAC | WW_IDENTITY_NETBIOS | WW_IDENTITY_DHCP);
    assert_memory_equal(id->mac, mac_133, 6);
    assert_string_equal(id->dhcp_hostname, "DESKTOP-V1FA0UQ");
    assert_string_equal(id->netbios_name, "DESKTOP-V1FA0UQ");
    assert_int_equal(id->mac_seen_ns, T0 + 1 * SEC);
    assert_int_equal(id->dhcp_seen_ns, T0 + 1 * SEC);
    assert_int_equal(id->netbios_seen_ns, T0 + 2 * SEC);
    return t;
}

static void real_sequence(void **state)
{
    (void)state;
    struct ww_identities *t = desktop_133();
    /* .132: DISCOVER and REQUEST (host name), then the ACK. */
    struct ww_dhcp_message m = dhcp(dhcp_discover_132, sizeof dhcp_discover_132);
    ww_identity_dhcp(t, &m, T0 + 10 * SEC);
    m = dhcp(dhcp_request_132, sizeof dhcp_request_132);
    ww_identity_dhcp(t, &m, T0 + 11 * SEC);
    m = dhcp(dhcp_ack_132, sizeof dhcp_ack_132);
    ww_identity_dhcp(t, &m, T0 + 11 * SEC + 5000);
    const struct ww_identity *id = ww_identity_get(t, ADDR_132);
    assert_non_null(id);
    assert_int_equal(id->known, WW_IDENTITY_MAC | WW_IDENTITY_DHCP);
    static const uint8_t mac_132[6] = {0x00, 0x0c, 0x29, 0x03, 0xdf, 0xad};
    assert_memory_equal(id->mac, mac_132, 6);
    assert_string_equal(id->dhcp_hostname, "DESKTOP-2AEFM7G");
    /* Groups name no machine. */
    struct ww_nbns_message n = nbns(nbns_reg_workgroup_00, sizeof nbns_reg_workgroup_00);
    assert_false(ww_identity_netbios(t, &n, T0 + 12 * SEC));
    n = nbns(nbns_reg_workgroup_1e, sizeof nbns_reg_workgroup_1e);
    assert_false(ww_identity_netbios(t, &n, T0 + 12 * SEC));
    assert_string_equal(ww_identity_get(t, ADDR_133)->netbios_name, "DESKTOP-V1FA0UQ");

    const struct ww_identity_stats *s = ww_identities_stats(t);
    assert_int_equal(s->acks, 2);
    assert_int_equal(s->macs, 2);
    assert_int_equal(s->hand_overs, 0);
    assert_int_equal(s->requests_pending, 2);
    assert_int_equal(s->hostnames_from_request, 2);
    assert_int_equal(s->hostnames_from_ack, 0);
    assert_int_equal(s->netbios_names, 1);
    assert_int_equal(s->netbios_ignored, 2);
    assert_int_equal(ww_identities_table_stats(t)->entries, 2);
    ww_identities_free(t);
}

/* The ACK of .133 to another machine. */
static struct ww_dhcp_message ack_133_to(const uint8_t mac[6], uint32_t xid)
{
    struct ww_dhcp_message m = dhcp(dhcp_ack_133, sizeof dhcp_ack_133);
    memcpy(m.mac, mac, 6);
    m.xid = xid;
    return m;
}

static void new_mac_by_ack_forgets_names(void **state)
{
    (void)state;
    struct ww_identities *t = desktop_133();
    struct ww_dhcp_message m = ack_133_to(other_mac, 0x11111111);
    ww_identity_dhcp(t, &m, T0 + 100 * SEC);
    const struct ww_identity *id = ww_identity_get(t, ADDR_133);
    assert_int_equal(id->known, WW_IDENTITY_MAC);
    assert_memory_equal(id->mac, other_mac, 6);
    assert_string_equal(id->netbios_name, "");
    assert_string_equal(id->dhcp_hostname, "");
    assert_int_equal(id->mac_seen_ns, T0 + 100 * SEC);
    assert_int_equal(id->netbios_seen_ns, 0);
    assert_int_equal(id->dhcp_seen_ns, 0);
    assert_int_equal(ww_identities_stats(t)->hand_overs, 1);

    /* The new machine's own REQUEST names it. */
    struct ww_dhcp_message req = dhcp(dhcp_request_133, sizeof dhcp_request_133);
    memcpy(req.mac, other_mac, 6);
    req.xid = 0x22222222;
    memcpy(req.hostname, "LAPTOP", 7);
    req.hostname_len = 6;
    ww_identity_dhcp(t, &req, T0 + 200 * SEC);
    m = ack_133_to(other_mac, 0x22222222);
    ww_identity_dhcp(t, &m, T0 + 201 * SEC);
    id = ww_identity_get(t, ADDR_133);
    assert_int_equal(id->known, WW_IDENTITY_MAC | WW_IDENTITY_DHCP);
    assert_string_equal(id->dhcp_hostname, "LAPTOP");
    assert_int_equal(id->dhcp_seen_ns, T0 + 201 * SEC);
    assert_int_equal(ww_identities_stats(t)->hand_overs, 1);
    ww_identities_free(t);
}

static void same_mac_reacked_keeps_names(void **state)
{
    (void)state;
    struct ww_identities *t = desktop_133();
    struct ww_dhcp_message m = ack_133_to(mac_133, 0x33333333); /* a renewal, no host name */
    ww_identity_dhcp(t, &m, T0 + 1800 * SEC);
    const struct ww_identity *id = ww_identity_get(t, ADDR_133);
    assert_int_equal(id->known, WW_IDENTITY_MAC | WW_IDENTITY_NETBIOS | WW_IDENTITY_DHCP);
    assert_string_equal(id->netbios_name, "DESKTOP-V1FA0UQ");
    assert_string_equal(id->dhcp_hostname, "DESKTOP-V1FA0UQ");
    assert_int_equal(id->mac_seen_ns, T0 + 1800 * SEC);
    assert_int_equal(id->dhcp_seen_ns, T0 + 1 * SEC); /* the name was not given again */
    assert_int_equal(id->netbios_seen_ns, T0 + 2 * SEC);
    /* An ACK's own option 12 renames it. */
    memcpy(m.hostname, "RENAMED", 8);
    m.hostname_len = 7;
    ww_identity_dhcp(t, &m, T0 + 1900 * SEC);
    assert_string_equal(id->dhcp_hostname, "RENAMED");
    assert_int_equal(id->dhcp_seen_ns, T0 + 1900 * SEC);
    assert_int_equal(ww_identities_stats(t)->hostnames_from_ack, 1);
    assert_int_equal(ww_identities_stats(t)->hand_overs, 0);
    ww_identities_free(t);
}

static void frames_mac(void **state)
{
    (void)state;
    struct ww_identities *t = desktop_133();
    ww_identity_saw_mac(t, ADDR_133, mac_133, T0 + 50 * SEC);
    const struct ww_identity *id = ww_identity_get(t, ADDR_133);
    assert_int_equal(id->known, WW_IDENTITY_MAC | WW_IDENTITY_NETBIOS | WW_IDENTITY_DHCP);
    assert_int_equal(id->mac_seen_ns, T0 + 50 * SEC);
    ww_identity_saw_mac(t, ADDR_133, mac_133, T0 + 40 * SEC); /* out of order: no step back */
    assert_int_equal(id->mac_seen_ns, T0 + 50 * SEC);
    ww_identity_saw_mac(t, ADDR_133, other_mac, T0 + 60 * SEC);
    assert_int_equal(id->known, WW_IDENTITY_MAC);
    assert_memory_equal(id->mac, other_mac, 6);
    assert_int_equal(ww_identities_stats(t)->hand_overs, 1);
    ww_identity_saw_mac(t, 0, other_mac, T0); /* 0.0.0.0 is nobody */
    assert_null(ww_identity_get(t, 0));
    static const uint8_t zero_mac[6] = {0}, multicast[6] = {0x01, 0x00, 0x5e, 0, 0, 1},
                         broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ww_identity_saw_mac(t, ADDR_133, zero_mac, T0 + 61 * SEC);
    ww_identity_saw_mac(t, ADDR_133, multicast, T0 + 61 * SEC);
    ww_identity_saw_mac(t, ADDR_133, broadcast, T0 + 61 * SEC);
    struct ww_dhcp_message ack = ack_133_to(zero_mac, 0x44444444);
    ww_identity_dhcp(t, &ack, T0 + 61 * SEC);
    assert_memory_equal(id->mac, other_mac, 6);
    assert_int_equal(id->mac_seen_ns, T0 + 60 * SEC);
    assert_int_equal(ww_identities_stats(t)->macs_rejected, 4);
    /* A name first, then the MAC: nothing changed hands. */
    struct ww_nbns_message n = nbns(nbns_resp_gunnar, sizeof nbns_resp_gunnar);
    assert_true(ww_identity_netbios(t, &n, T0 + 70 * SEC));
    ww_identity_saw_mac(t, 0x0a000418u, mac_133, T0 + 71 * SEC);
    id = ww_identity_get(t, 0x0a000418u);
    assert_int_equal(id->known, WW_IDENTITY_MAC | WW_IDENTITY_NETBIOS);
    assert_string_equal(id->netbios_name, "GUNNAR");
    assert_int_equal(ww_identities_stats(t)->hand_overs, 1);
    ww_identities_free(t);
}

static void release(void **state)
{
    (void)state;
    struct ww_identities *t = desktop_133();
    struct ww_dhcp_message r = dhcp(dhcp_request_133, sizeof dhcp_request_133);
    r.type = WW_DHCP_RELEASE;
    r.ciaddr = ADDR_133;
    r.hostname_len = 0;
    r.hostname[0] = '\0';
    memcpy(r.mac, other_mac, 6); /* not the holder: ignored */
    ww_identity_dhcp(t, &r, T0 + 5 * SEC);
    assert_non_null(ww_identity_get(t, ADDR_133));
    assert_int_equal(ww_identities_stats(t)->releases_ignored, 1);
    memcpy(r.mac, mac_133, 6);
    ww_identity_dhcp(t, &r, T0 + 6 * SEC);
    assert_null(ww_identity_get(t, ADDR_133));
    assert_int_equal(ww_identities_stats(t)->releases, 1);
    ww_identity_dhcp(t, &r, T0 + 7 * SEC); /* again: nothing to forget */
    assert_int_equal(ww_identities_stats(t)->releases, 1);
    ww_identities_free(t);
}

static void stale_request(void **state)
{
    (void)state;
    struct ww_identities *t = table();
    struct ww_dhcp_message m = dhcp(dhcp_request_133, sizeof dhcp_request_133);
    ww_identity_dhcp(t, &m, T0);
    m = dhcp(dhcp_ack_133, sizeof dhcp_ack_133);
    ww_identity_dhcp(t, &m, T0 + WW_IDENTITY_PENDING_NS + 1);
    const struct ww_identity *id = ww_identity_get(t, ADDR_133);
    assert_int_equal(id->known, WW_IDENTITY_MAC);
    /* Another transaction's REQUEST does not name the ACK either. */
    m = dhcp(dhcp_request_133, sizeof dhcp_request_133);
    m.xid ^= 1;
    ww_identity_dhcp(t, &m, T0 + 100 * SEC);
    m = dhcp(dhcp_ack_133, sizeof dhcp_ack_133);
    ww_identity_dhcp(t, &m, T0 + 101 * SEC);
    assert_int_equal(id->known, WW_IDENTITY_MAC);
    assert_int_equal(ww_identities_stats(t)->hostnames_from_request, 0);
    /* An ACK with no Ethernet chaddr binds nothing. */
    m.has_mac = false;
    m.yiaddr = ADDR_132;
    ww_identity_dhcp(t, &m, T0 + 102 * SEC);
    assert_null(ww_identity_get(t, ADDR_132));
    ww_identities_free(t);
}

/* The identity object as the only member of a line. */
static char *identity_line(const struct ww_identity *id)
{
    struct ww_jsonw w;
    ww_jsonw_begin(&w);
    ww_identity_write(&w, "identity", id);
    return ww_jsonw_line(&w);
}

static void json_object_exact(void **state)
{
    (void)state;
    struct ww_identities *t = desktop_133();
    char *text = identity_line(ww_identity_get(t, ADDR_133));
    assert_string_equal(text, "{\"identity\":{\"mac\":\"00:0c:29:61:f5:5f\","
                              "\"mac_seen\":\"2017-07-14T02:40:01.000000+0000\","
                              "\"netbios_name\":\"DESKTOP-V1FA0UQ\","
                              "\"netbios_name_seen\":\"2017-07-14T02:40:02.000000+0000\","
                              "\"dhcp_hostname\":\"DESKTOP-V1FA0UQ\","
                              "\"dhcp_hostname_seen\":\"2017-07-14T02:40:01.000000+0000\"}}\n");
    free(text);
    /* After a hand-over only the MAC is left. */
    ww_identity_saw_mac(t, ADDR_133, other_mac, T0 + 3 * SEC + 250000);
    text = identity_line(ww_identity_get(t, ADDR_133));
    assert_string_equal(text, "{\"identity\":{\"mac\":\"00:50:56:01:02:03\","
                              "\"mac_seen\":\"2017-07-14T02:40:03.000250+0000\"}}\n");
    free(text);
    /* Nothing known: no object at all. */
    text = identity_line(NULL);
    assert_string_equal(text, "{}\n");
    free(text);
    struct ww_identity nothing = {0};
    text = identity_line(&nothing);
    assert_string_equal(text, "{}\n");
    free(text);
    ww_identities_free(t);
}

static void bounded_and_expiring(void **state)
{
    (void)state;
    assert_null(ww_identities_new(64, SEC, &ww_test_key));
    struct ww_identities *t = ww_identities_new(64 * 1024, 600 * SEC, &ww_test_key);
    assert_non_null(t);
    const struct ww_table_stats *ts = ww_identities_table_stats(t);
    const struct ww_identity_stats *s = ww_identities_stats(t);
    uint32_t capacity = ts->capacity;
    assert_true(capacity > 100);
    assert_true(s->pending_slots >= 1);
    assert_true(ts->memory_bytes + s->pending_bytes <= 64 * 1024);
    for (uint32_t i = 0; i < 3 * capacity; i++)
        ww_identity_saw_mac(t, 0x0a000000u + i + 1, mac_133, T0 + i);
    assert_int_equal(ts->entries, capacity);
    assert_int_equal(ts->evictions, 2 * capacity);
    assert_null(ww_identity_get(t, 0x0a000001u)); /* the oldest went first */
    assert_non_null(ww_identity_get(t, 0x0a000000u + 3 * capacity));
    ww_identities_expire(t, T0 + 3 * capacity + 601 * SEC);
    assert_int_equal(ts->entries, 0);
    assert_int_equal(ts->expirations, capacity);
    ww_identities_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_sequence),
        cmocka_unit_test(new_mac_by_ack_forgets_names),
        cmocka_unit_test(same_mac_reacked_keeps_names),
        cmocka_unit_test(frames_mac),
        cmocka_unit_test(release),
        cmocka_unit_test(stale_request),
        cmocka_unit_test(json_object_exact),
        cmocka_unit_test(bounded_and_expiring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
