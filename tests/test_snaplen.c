/*
 * The bundled captures cut to 54, 64 and 68 bytes a frame (as -s 54, SPAN
 * tools and tcpdump's old default write them) must flag the same sources
 * with the same rules as the whole captures, count the cut frames, call
 * none of them invalid, and make up no field: a SYN shape is either the one
 * the whole capture shows or "unknown", and a Conficker verdict never turns
 * true where the whole capture said false.
 */
#define _DEFAULT_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_util.h"

/* Writes `in` (classic pcap, either byte order) cut to `snap` bytes a frame. */
static void cut_capture(const char *in, const char *out, uint32_t snap)
{
    FILE *r = fopen(in, "rb"), *w = fopen(out, "wb");
    assert_non_null(r);
    assert_non_null(w);
    uint8_t header[24];
    assert_int_equal(fread(header, 1, 24, r), 24);
    bool swapped = header[0] == 0xd4 || header[0] == 0x4d; /* little-endian file */
    for (int i = 0; i < 4; i++) /* snaplen, in the file's byte order */
        header[16 + i] = (uint8_t)(snap >> (8 * (swapped ? i : 3 - i)));
    fwrite(header, 1, 24, w);
    uint8_t rec[16];
    static uint8_t data[262144];
    while (fread(rec, 1, 16, r) == 16) {
        uint32_t caplen = 0;
        for (int i = 0; i < 4; i++)
            caplen |= (uint32_t)rec[8 + i] << (8 * (swapped ? i : 3 - i));
        assert_true(caplen <= sizeof data);
        assert_int_equal(fread(data, 1, caplen, r), caplen);
        uint32_t keep = caplen < snap ? caplen : snap;
        for (int i = 0; i < 4; i++)
            rec[8 + i] = (uint8_t)(keep >> (8 * (swapped ? i : 3 - i)));
        fwrite(rec, 1, 16, w);
        fwrite(data, 1, keep, w);
    }
    fclose(r);
    assert_int_equal(fclose(w), 0);
}

/* The (source, rule) pairs alerted, sorted, one string. */
static char *flagged(json_t *events)
{
    size_t n = json_array_size(events), used = 0;
    char **pairs = calloc(n + 1, sizeof *pairs);
    assert_non_null(pairs);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        if (strcmp(str_at(e, "event_type"), "alert"))
            continue;
        char pair[64];
        snprintf(pair, sizeof pair, "%s/%lld ", str_at(e, "src_ip"),
                 int_at(e, "alert.signature_id"));
        bool seen = false;
        for (size_t j = 0; j < used; j++)
            seen |= !strcmp(pairs[j], pair);
        if (!seen)
            pairs[used++] = strdup(pair);
    }
    for (size_t i = 0; i < used; i++) /* insertion sort: a handful of pairs */
        for (size_t j = i; j > 0 && strcmp(pairs[j - 1], pairs[j]) > 0; j--) {
            char *t = pairs[j];
            pairs[j] = pairs[j - 1];
            pairs[j - 1] = t;
        }
    char *joined = calloc(1, used * 64 + 1);
    assert_non_null(joined);
    for (size_t i = 0; i < used; i++) {
        strcat(joined, pairs[i]);
        free(pairs[i]);
    }
    free(pairs);
    return joined;
}

/* What the whole capture said of a source's shape and verdict, from its first alert. */
static json_t *first_alert_of(json_t *events, const char *src)
{
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        if (!strcmp(str_at(e, "event_type"), "alert") && !strcmp(str_at(e, "src_ip"), src))
            return e;
    }
    return NULL;
}

static void check_cut(const char *name)
{
    char whole[512], cut[512];
    snprintf(whole, sizeof whole, "%s/%s", WW_PCAPS, name);
    json_t *full = e2e_events(WW_BINARY, whole);
    char *expected = flagged(full);
    assert_true(strlen(expected) > 0);
    json_t *full_stats = json_array_get(full, json_array_size(full) - 1);
    const uint32_t snaps[] = {54, 64, 68};
    for (size_t s = 0; s < 3; s++) {
        snprintf(cut, sizeof cut, "/tmp/ww-snap-%d-%u-%s", (int)getpid(), snaps[s], name);
        cut_capture(whole, cut, snaps[s]);
        json_t *events = e2e_events(WW_BINARY, cut);
        char *got = flagged(events);
        if (strcmp(got, expected))
            fail_msg("%s cut to %u: flagged %s, whole: %s", name, snaps[s], got, expected);
        json_t *stats = json_array_get(events, json_array_size(events) - 1);
        assert_string_equal(str_at(stats, "event_type"), "stats");
        assert_true(int_at(stats, "stats.decoder.cut") > 0);
        assert_int_equal(int_at(stats, "stats.decoder.invalid"),
                         int_at(full_stats, "stats.decoder.invalid"));
        for (size_t i = 0; i < json_array_size(events); i++) {
            json_t *e = json_array_get(events, i);
            if (strcmp(str_at(e, "event_type"), "alert"))
                continue;
            json_t *before = first_alert_of(full, str_at(e, "src_ip"));
            assert_non_null(before);
            const char *shape = str_at(e, "conficker.evidence.syn_shape");
            if (strcmp(shape, "unknown") &&
                strcmp(shape, str_at(before, "conficker.evidence.syn_shape")))
                fail_msg("%s cut to %u: %s has shape %s", name, snaps[s],
                         str_at(e, "src_ip"), shape);
            if (json_is_true(value_at(e, "conficker.likely")) &&
                !json_is_true(value_at(before, "conficker.likely")))
                fail_msg("%s cut to %u: %s became likely Conficker", name, snaps[s],
                         str_at(e, "src_ip"));
        }
        free(got);
        json_decref(events);
        unlink(cut);
    }
    free(expected);
    json_decref(full);
}

static void test_conficker_lan_cut(void **state) { (void)state; check_cut("conficker_lan.pcap"); }
static void test_internet_24_cut(void **state) { (void)state; check_cut("internet_24.pcap"); }
static void test_vulnscan_cut(void **state) { (void)state; check_cut("vulnscan.pcap"); }
static void test_encap_vlan_cut(void **state) { (void)state; check_cut("encap_vlan.pcap"); }
static void test_sll_cut(void **state) { (void)state; check_cut("sll.pcap"); }
static void test_split_scan_cut(void **state) { (void)state; check_cut("split_scan.pcap"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conficker_lan_cut), cmocka_unit_test(test_internet_24_cut),
        cmocka_unit_test(test_vulnscan_cut),      cmocka_unit_test(test_encap_vlan_cut),
        cmocka_unit_test(test_sll_cut),           cmocka_unit_test(test_split_scan_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
