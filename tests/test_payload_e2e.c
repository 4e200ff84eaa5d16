/*
 * End to end: the real binary on captures where hosts send their exploit,
 * their P2P messages or their domain look-ups, and the exact alerts it
 * writes: signature, flow, evidence objects, and the one verdict per host
 * (conficker.indicators, .variant, .likely). Captures in pcaps/real (their
 * sources in pcaps/real/SOURCES.md).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "e2e_util.h"

static json_t *run(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/real/%s", WW_PCAPS, name);
    return e2e_events(WW_BINARY, path);
}

/* The alerts of `events` with signature `sid`, in order. */
static size_t alerts_with(json_t *events, long long sid, json_t **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        if (!strcmp(str_at(e, "event_type"), "alert") && int_at(e, "alert.signature_id") == sid &&
            n < max)
            out[n++] = e;
    }
    return n;
}

static size_t alert_count(json_t *events)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(events); i++)
        n += !strcmp(str_at(json_array_get(events, i), "event_type"), "alert");
    return n;
}

static void assert_indicators(json_t *alert, const char *expected)
{
    char *got = json_dumps(value_at(alert, "conficker.indicators"), JSON_COMPACT);
    assert_string_equal(got, expected);
    free(got);
}

/* Metasploit's ms08_067_netapi: one exploit alert, Suricata's dcerpc fields, Conficker-likely. */
static void test_ms08_067_exploit(void **state)
{
    (void)state;
    json_t *ev = run("ms08_067_msf_netapi_tcp445.pcap");
    json_t *a[4];
    assert_int_equal(alert_count(ev), 1);
    assert_int_equal(alerts_with(ev, 1000010, a, 4), 1);
    assert_string_equal(str_at(a[0], "src_ip"), "192.168.3.205");
    assert_int_equal(int_at(a[0], "src_port"), 55845);
    assert_string_equal(str_at(a[0], "dest_ip"), "192.168.3.207");
    assert_int_equal(int_at(a[0], "dest_port"), 445);
    assert_string_equal(str_at(a[0], "proto"), "TCP");
    assert_non_null(value_at(a[0], "community_id"));
    assert_int_equal(int_at(a[0], "dcerpc.req.opnum"), 31);
    assert_string_equal(str_at(a[0], "dcerpc.interface.uuid"),
                        "4b324fc8-1670-01d3-1278-5a47bf6ee188");
    assert_int_equal(int_at(a[0], "dcerpc.path.units"), 305);
    assert_true(json_is_true(value_at(a[0], "dcerpc.path.climbs")));
    assert_string_equal(str_at(a[0], "smb.finding"), "ms08_067_exploit");
    assert_string_equal(str_at(a[0], "smb.dialect"), "SMB1");
    assert_true(json_is_true(value_at(a[0], "conficker.likely")));
    assert_indicators(a[0], "[\"ms08_067\"]");
    assert_true(json_is_null(value_at(a[0], "conficker.variant")));
    json_decref(ev);
}

/* nmap's smb-vuln-ms17-010: a check, to two hosts, one alert (suppressed per source), never likely. */
static void test_ms17_010_check_is_never_likely(void **state)
{
    (void)state;
    json_t *ev = run("securitynik_nmap_script_smb_ms17-010.pcap");
    json_t *a[4];
    assert_int_equal(alert_count(ev), 1);
    assert_int_equal(alerts_with(ev, 1000014, a, 4), 1);
    assert_string_equal(str_at(a[0], "src_ip"), "10.0.0.102");
    assert_string_equal(str_at(a[0], "smb.finding"), "ms17_010_check");
    assert_false(json_is_true(value_at(a[0], "conficker.likely")));
    assert_indicators(a[0], "[]");
    json_t *stats = json_array_get(ev, json_array_size(ev) - 1);
    assert_int_equal(int_at(stats, "stats.payload.alerts"), 1);
    assert_int_equal(int_at(stats, "stats.payload.suppressed"), 1); /* the second host's check */
    assert_int_equal(int_at(stats, "stats.smb.findings.ms17_010_check"), 2);
    json_decref(ev);
}

/* WannaCry with no SYN in the capture: its exploits, an MS17-010 indicator, and no Conficker. */
static void test_wannacry_mid_flow(void **state)
{
    (void)state;
    json_t *ev = run("malcolm_wannacry.pcap");
    json_t *a[8];
    assert_int_equal(alerts_with(ev, 1000013, a, 8), 2); /* one per spreading host */
    const char *srcs[2] = {str_at(a[0], "src_ip"), str_at(a[1], "src_ip")};
    assert_true((!strcmp(srcs[0], "192.168.116.149") && !strcmp(srcs[1], "192.168.116.138")) ||
                (!strcmp(srcs[0], "192.168.116.138") && !strcmp(srcs[1], "192.168.116.149")));
    for (int i = 0; i < 2; i++) {
        assert_false(json_is_true(value_at(a[i], "conficker.likely")));
        assert_true(int_at(a[i], "ms17_010.nt_trans_total_data") > 65000);
    }
    assert_int_equal(alerts_with(ev, 1000010, a, 8), 0);
    json_decref(ev);
}

/* nmap's p2p-conficker against four stand-in peers: the prober and the peers, variant C. */
static void test_p2p_nmap(void **state)
{
    (void)state;
    json_t *ev = run("p2p_nmap.pcap");
    json_t *a[8];
    assert_int_equal(alert_count(ev), 5);
    assert_int_equal(alerts_with(ev, 1000020, a, 8), 1);
    assert_string_equal(str_at(a[0], "src_ip"), "10.99.0.1");
    assert_null(value_at(a[0], "src_port")); /* not kept: never made up */
    assert_int_equal(int_at(a[0], "p2p.targets"), 3);
    assert_int_equal(int_at(a[0], "p2p.week"), 2969);
    assert_string_equal(str_at(a[0], "conficker.variant"), "C");
    assert_int_equal(alerts_with(ev, 1000022, a, 8), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(int_at(a[i], "p2p.serving"), 1);
        assert_null(value_at(a[i], "dest_port"));
        assert_true(json_is_true(value_at(a[i], "conficker.likely")));
        assert_indicators(a[i], "[\"p2p\"]");
    }
    json_decref(ev);
}

/* dig looking up five of the day's Conficker B names: flagged on the third, variant B. */
static void test_dga_dig(void **state)
{
    (void)state;
    json_t *ev = run("dga_dig.pcap");
    json_t *a[4];
    assert_int_equal(alert_count(ev), 1);
    assert_int_equal(alerts_with(ev, 1000030, a, 4), 1);
    assert_string_equal(str_at(a[0], "src_ip"), "127.0.0.10");
    assert_string_equal(str_at(a[0], "dest_ip"), "127.0.0.53");
    assert_int_equal(int_at(a[0], "dest_port"), 53);
    assert_string_equal(str_at(a[0], "dga.variant"), "B");
    assert_string_equal(str_at(a[0], "dga.date"), "2026-12-03");
    assert_int_equal(int_at(a[0], "dga.distinct"), 3);
    assert_string_equal(str_at(a[0], "dns.rrname"), str_at(a[0], "dga.names_matched.2"));
    assert_string_equal(str_at(a[0], "conficker.variant"), "B");
    assert_true(json_is_true(value_at(a[0], "conficker.likely")));
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ms08_067_exploit),
        cmocka_unit_test(test_ms17_010_check_is_never_likely),
        cmocka_unit_test(test_wannacry_mid_flow),
        cmocka_unit_test(test_p2p_nmap),
        cmocka_unit_test(test_dga_dig),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
