/*
 * Unit tests for the capture stage (capture.h) on capture files built in
 * memory: stamps in ns whatever the file's resolution, link types, the end
 * and a truncated record, filters, and the errors an operator sees.
 */
#define _GNU_SOURCE /* fmemopen */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wormwatch/capture.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define LINKTYPE_ETHERNET 1

/* A little-endian classic pcap file under construction. */
struct pcap_file {
    uint8_t bytes[4096];
    size_t len;
};

static void put32(struct pcap_file *f, uint32_t v)
{
    assert_true(f->len + 4 <= sizeof f->bytes);
    for (int i = 0; i < 4; i++)
        f->bytes[f->len++] = (uint8_t)(v >> (8 * i));
}

static void put16(struct pcap_file *f, uint16_t v)
{
    assert_true(f->len + 2 <= sizeof f->bytes);
    f->bytes[f->len++] = (uint8_t)v;
    f->bytes[f->len++] = (uint8_t)(v >> 8);
}

static void file_header(struct pcap_file *f, uint32_t magic, uint32_t linktype)
{
    f->len = 0;
    put32(f, magic);
    put16(f, 2);
    put16(f, 4);
    put32(f, 0);
    put32(f, 0);
    put32(f, 65535);
    put32(f, linktype);
}

/* A record claiming `caplen` bytes, of which `present` follow. */
static void record(struct pcap_file *f, uint32_t sec, uint32_t frac, const uint8_t *data,
                   uint32_t caplen, uint32_t present)
{
    put32(f, sec);
    put32(f, frac);
    put32(f, caplen);
    put32(f, caplen + 4); /* wire length: the FCS not captured */
    assert_true(f->len + present <= sizeof f->bytes);
    memcpy(f->bytes + f->len, data, present);
    f->len += present;
}

/* Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, TCP SYN from 1025 to `port`. */
static void syn_frame(uint8_t frame[54], uint16_t port)
{
    static const uint8_t head[] = {
        0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00,         /* Ethernet */
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 128, 6, 0, 0,            /* IPv4 */
        10, 0, 0, 1, 10, 0, 0, 2,                               /* addresses */
        0x04, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, /* TCP */
        0xff, 0xff, 0, 0, 0, 0};
    memcpy(frame, head, sizeof head);
    frame[36] = (uint8_t)(port >> 8);
    frame[37] = (uint8_t)port;
}

static struct ww_capture *open_memory(const struct pcap_file *f, char *err, size_t err_len)
{
    FILE *stream = fmemopen((void *)f->bytes, f->len, "rb");
    assert_non_null(stream);
    return ww_capture_open_stream(stream, "mem.pcap", err, err_len);
}

static void test_microsecond_and_nanosecond_stamps_both_reach_ns(void **state)
{
    (void)state;
    static struct pcap_file f;
    uint8_t frame[54];
    syn_frame(frame, 445);
    char err[256] = "";
    struct ww_frame fr;

    file_header(&f, MAGIC_US, LINKTYPE_ETHERNET);
    record(&f, 1700000000, 123456, frame, sizeof frame, sizeof frame);
    struct ww_capture *cap = open_memory(&f, err, sizeof err);
    assert_non_null(cap);
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_FRAME);
    assert_int_equal(fr.ts_ns, 1700000000ULL * 1000000000ULL + 123456000ULL);
    assert_int_equal(fr.cap_len, 54);
    assert_int_equal(fr.wire_len, 58);
    assert_int_equal(fr.link, WW_LINK_ETHERNET);
    assert_memory_equal(fr.data, frame, sizeof frame);
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_END);
    ww_capture_close(cap);

    file_header(&f, MAGIC_NS, LINKTYPE_ETHERNET);
    record(&f, 1700000000, 123456789, frame, sizeof frame, sizeof frame);
    cap = open_memory(&f, err, sizeof err);
    assert_non_null(cap);
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_FRAME);
    assert_int_equal(fr.ts_ns, 1700000000ULL * 1000000000ULL + 123456789ULL);
    ww_capture_close(cap);
}

static void test_link_types_map_to_decoders(void **state)
{
    (void)state;
    static const struct {
        uint32_t linktype;
        enum ww_link link;
    } cases[] = {
        {1, WW_LINK_ETHERNET}, {113, WW_LINK_SLL}, {276, WW_LINK_SLL2},
        {101, WW_LINK_RAW},    {0, WW_LINK_NULL},  {108, WW_LINK_LOOP},
    };
    static struct pcap_file f;
    char err[256] = "";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        file_header(&f, MAGIC_US, cases[i].linktype);
        struct ww_capture *cap = open_memory(&f, err, sizeof err);
        assert_non_null(cap);
        assert_int_equal(ww_capture_link(cap), cases[i].link);
        ww_capture_close(cap);
    }
}

static void test_unsupported_link_type_is_refused(void **state)
{
    (void)state;
    static struct pcap_file f;
    char err[256] = "";
    file_header(&f, MAGIC_US, 105); /* 802.11 */
    assert_null(open_memory(&f, err, sizeof err));
    assert_non_null(strstr(err, "mem.pcap: cannot read capture: link type 105 is not supported"));
}

static void test_truncated_record_is_an_error_after_the_whole_ones(void **state)
{
    (void)state;
    static struct pcap_file f;
    uint8_t frame[54];
    syn_frame(frame, 445);
    char err[256] = "";
    struct ww_frame fr;
    file_header(&f, MAGIC_US, LINKTYPE_ETHERNET);
    record(&f, 1, 0, frame, sizeof frame, sizeof frame);
    record(&f, 2, 0, frame, sizeof frame, 10);
    struct ww_capture *cap = open_memory(&f, err, sizeof err);
    assert_non_null(cap);
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_FRAME);
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_ERROR);
    assert_string_equal(err, "mem.pcap: cannot read capture: truncated dump file; tried to read 54 captured bytes, only got 10");
    ww_capture_close(cap);
}

static void test_missing_file_and_garbage_name_the_source(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(ww_capture_open_file("/nonexistent/x.pcap", err, sizeof err));
    assert_string_equal(err, "/nonexistent/x.pcap: cannot open capture: No such file or directory");

    static struct pcap_file f;
    memcpy(f.bytes, "not a capture file at all", 25);
    f.len = 25;
    assert_null(open_memory(&f, err, sizeof err));
    assert_non_null(strstr(err, "mem.pcap: cannot open capture: "));
}

static void test_filter_drops_frames_it_does_not_match(void **state)
{
    (void)state;
    static struct pcap_file f;
    uint8_t to445[54], to139[54];
    syn_frame(to445, 445);
    syn_frame(to139, 139);
    char err[256] = "";
    struct ww_frame fr;
    file_header(&f, MAGIC_US, LINKTYPE_ETHERNET);
    record(&f, 1, 0, to445, sizeof to445, sizeof to445);
    record(&f, 2, 0, to139, sizeof to139, sizeof to139);
    struct ww_capture *cap = open_memory(&f, err, sizeof err);
    assert_non_null(cap);
    assert_true(ww_capture_set_filter(cap, "tcp dst port 139", err, sizeof err));
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_FRAME);
    assert_int_equal(fr.ts_ns, 2000000000ULL);
    assert_int_equal(ww_capture_next(cap, &fr, err, sizeof err), WW_CAPTURE_END);

    assert_false(ww_capture_set_filter(cap, "tcp prot 139", err, sizeof err));
    assert_non_null(strstr(err, "mem.pcap: filter 'tcp prot 139' does not fit this capture: "));
    ww_capture_close(cap);
}

static void test_default_filter_text_and_where_it_compiles(void **state)
{
    (void)state;
    static const uint16_t ports[] = {445, 139};
    char plain[512], tagged[2048], err[512] = "";
    ww_capture_default_filter(ports, 2, 0, false, plain, sizeof plain);
    assert_string_equal(plain, "(tcp port 445 or tcp port 139 or udp port 137 or udp port 67 or udp port 68 or icmp or arp)");
    ww_capture_default_filter(ports, 2, 0, true, tagged, sizeof tagged);
    assert_string_equal(tagged,
                        "(tcp port 445 or tcp port 139 or udp port 137 or udp port 67 or udp port 68 or icmp or arp)"
                        " or (vlan and (tcp port 445 or tcp port 139 or udp port 137 or udp port 67"
                        " or udp port 68 or icmp or arp)) or (vlan and vlan and (tcp port 445 or tcp"
                        " port 139 or udp port 137 or udp port 67 or udp port 68 or icmp or arp))");

    assert_true(ww_capture_check_filter(tagged, 1 /* DLT_EN10MB */, err, sizeof err));
    /* With the payload stages: DNS for the DGA detector; all UDP and SYNs for P2P. */
    char full[2048];
    ww_capture_default_filter(ports, 2, WW_FILTER_DNS, false, full, sizeof full);
    assert_string_equal(full, "(tcp port 445 or tcp port 139 or udp port 137 or udp port 67 or "
                              "udp port 68 or udp port 53 or icmp or arp)");
    ww_capture_default_filter(ports, 2, WW_FILTER_DNS | WW_FILTER_P2P, true, full, sizeof full);
    assert_non_null(strstr(full, "(tcp port 445 or tcp port 139 or udp or tcp[tcpflags] & "
                                 "(tcp-syn|tcp-ack) == tcp-syn or icmp or arp)"));
    assert_true(ww_capture_check_filter(full, 1, err, sizeof err));
    assert_true(ww_capture_check_filter(plain, 113 /* DLT_LINUX_SLL */, err, sizeof err));
    assert_false(ww_capture_check_filter("tcp port 445 and", 1, err, sizeof err));
    assert_non_null(strstr(err, "bad filter expression 'tcp port 445 and': "));
}

static void test_a_file_is_not_live(void **state)
{
    (void)state;
    static struct pcap_file f;
    char err[256] = "";
    file_header(&f, MAGIC_US, LINKTYPE_ETHERNET);
    struct ww_capture *cap = open_memory(&f, err, sizeof err);
    assert_non_null(cap);
    struct ww_kernel_stats ks;
    assert_false(ww_capture_is_live(cap));
    assert_int_equal(ww_capture_fd(cap), -1);
    assert_false(ww_capture_kernel_stats(cap, &ks));
    assert_string_equal(ww_capture_name(cap), "mem.pcap");
    uint16_t group = 7;
    assert_false(ww_capture_join_fanout(cap, &group, true, err, sizeof err));
    assert_string_equal(err, "mem.pcap: cannot join the capture fanout group: not a live capture");
    ww_capture_close(cap);
}

/*
 * Two sensors on one host make two fanout groups: the kernel hands each its
 * own id (it was the pid's low 16 bits, which two processes can share), and
 * a worker joining by that id lands in its own group. Needs root (lo).
 */
static void test_fanout_groups_are_unique(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char warn[256], err[512] = "";
    struct ww_live_options opt = {.iface = "lo", .promiscuous = false};
    struct ww_capture *a = ww_capture_open_live(&opt, warn, sizeof warn, err, sizeof err);
    struct ww_capture *a2 = ww_capture_open_live(&opt, warn, sizeof warn, err, sizeof err);
    struct ww_capture *b = ww_capture_open_live(&opt, warn, sizeof warn, err, sizeof err);
    assert_non_null(a);
    assert_non_null(a2);
    assert_non_null(b);
    uint16_t group_a = 0, group_b = 0;
    assert_true(ww_capture_join_fanout(a, &group_a, true, err, sizeof err));
    assert_true(ww_capture_join_fanout(b, &group_b, true, err, sizeof err));
    assert_int_not_equal(group_a, group_b);
    assert_true(ww_capture_join_fanout(a2, &group_a, false, err, sizeof err));
    ww_capture_close(a);
    ww_capture_close(a2);
    ww_capture_close(b);
}

static void test_unknown_interface_names_itself(void **state)
{
    (void)state;
    char warn[256], err[512] = "";
    struct ww_live_options opt = {.iface = "wwnosuch0", .promiscuous = true};
    assert_null(ww_capture_open_live(&opt, warn, sizeof warn, err, sizeof err));
    assert_true(strncmp(err, "wwnosuch0: cannot capture: ", 27) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_microsecond_and_nanosecond_stamps_both_reach_ns),
        cmocka_unit_test(test_link_types_map_to_decoders),
        cmocka_unit_test(test_unsupported_link_type_is_refused),
        cmocka_unit_test(test_truncated_record_is_an_error_after_the_whole_ones),
        cmocka_unit_test(test_missing_file_and_garbage_name_the_source),
        cmocka_unit_test(test_filter_drops_frames_it_does_not_match),
        cmocka_unit_test(test_default_filter_text_and_where_it_compiles),
        cmocka_unit_test(test_a_file_is_not_live),
        cmocka_unit_test(test_fanout_groups_are_unique),
        cmocka_unit_test(test_unknown_interface_names_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
