/*
 * Triage: which frames are dropped before a decode, and that dropping never
 * changes a count or an event. Hand-made frames check each rule of
 * ww_interest; then every bundled capture is run through the pipeline with
 * triage on and off, and the alerts and decoder counters must be the same.
 */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_key.h"
#include "wormwatch/capture.h"
#include "wormwatch/output.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/rules.h"
#include "wormwatch/triage.h"

/* --- frames ----------------------------------------------------------------- */

struct frame {
    uint8_t b[256];
    size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

#define CLIENT 0x0A000005u /* 10.0.0.5 */
#define SERVER 0x0A000009u /* 10.0.0.9 */

/* Ethernet + IPv4 (no options) + TCP (20 bytes) + `data` bytes of payload. */
static struct frame tcp_frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                              uint8_t flags, size_t data)
{
    struct frame f = {{0}, 14 + 20 + 20 + data};
    f.b[0] = 0x00, f.b[6] = 0x02;
    put16(f.b + 12, 0x0800);
    uint8_t *ip = f.b + 14;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + 20 + data));
    ip[6] = 0x40; /* DF */
    ip[8] = 128;
    ip[9] = 6;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    uint8_t *tcp = ip + 20;
    put16(tcp, sport);
    put16(tcp + 2, dport);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 64240);
    return f;
}

static struct frame udp_frame(uint16_t sport, uint16_t dport, size_t data)
{
    struct frame f = tcp_frame(CLIENT, SERVER, 0, 0, 0, 0);
    uint8_t *ip = f.b + 14;
    ip[9] = 17;
    put16(ip + 2, (uint16_t)(20 + 8 + data));
    uint8_t *udp = ip + 20;
    memset(udp, 0, 20);
    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, (uint16_t)(8 + data));
    f.len = 14 + 20 + 8 + data;
    return f;
}

#define SYN 0x02
#define RST 0x04
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

/* The interest of the default rules: probes on 445 and 139, SMB, P2P, DNS, DHCP. */
static struct ww_interest *default_interest(uint32_t *answers_due, struct ww_addr_filter *talkers)
{
    struct ww_interest *w = calloc(1, sizeof *w);
    assert_non_null(w);
    ww_port_bit_set(w->probe_ports, 445);
    ww_port_bit_set(w->probe_ports, 139);
    ww_port_bit_set(w->udp_ports, 53);
    ww_port_bit_set(w->udp_ports, 67);
    ww_port_bit_set(w->udp_ports, 68);
    w->smb = true;
    w->p2p = true;
    w->smb_answers_due = answers_due;
    w->p2p_talkers = talkers;
    return w;
}

/*
 * Triage of `f`; when it drops the frame, its counters must be exactly what
 * ww_decode() counts for it, and ww_decode() must find it well formed.
 */
static enum ww_triage_result judged(const struct ww_interest *w, const struct frame *f,
                                    uint32_t wire_len)
{
    struct ww_decode_stats by_triage = {0}, by_decode = {0};
    enum ww_triage_result r =
        ww_triage(&by_triage, w, WW_LINK_ETHERNET, f->b, (uint32_t)f->len, wire_len);
    struct ww_packet pkt;
    enum ww_decode_result d =
        ww_decode(&by_decode, WW_LINK_ETHERNET, 0, f->b, (uint32_t)f->len, wire_len, &pkt);
    ww_decode_stats_fold(&by_triage);
    if (r == WW_TRIAGE_DROP) {
        assert_int_not_equal(d, WW_DECODED_INVALID);
        assert_memory_equal(&by_triage, &by_decode, sizeof by_decode);
    } else {
        static const struct ww_decode_stats zero;
        assert_memory_equal(&by_triage, &zero, sizeof zero); /* nothing counted twice */
    }
    return r;
}

static enum ww_triage_result judge(const struct ww_interest *w, const struct frame *f)
{
    return judged(w, f, (uint32_t)f->len);
}

static void test_tcp(void **state)
{
    (void)state;
    uint32_t due = 0;
    struct ww_addr_filter *talkers = calloc(1, sizeof *talkers);
    struct ww_interest *w = default_interest(&due, talkers);
    struct frame f;
    /* Web: every segment dropped, a SYN to 80 too (P2P never uses ports below 2048). */
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK | PSH, 500);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    f = tcp_frame(SERVER, CLIENT, 443, 50000, ACK, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    f = tcp_frame(CLIENT, SERVER, 50000, 80, SYN, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    f = tcp_frame(CLIENT, SERVER, 50000, 80, FIN | ACK, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    /* A SYN to a port P2P may compute is read. */
    f = tcp_frame(CLIENT, SERVER, 50000, 50001, SYN, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    /* Probes and their outcomes. */
    f = tcp_frame(CLIENT, SERVER, 50000, 445, SYN, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(SERVER, CLIENT, 445, 50000, SYN | ACK, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(SERVER, CLIENT, 139, 50000, RST | ACK, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    /* SMB: the client's data and the end of a flow; the server's data only when owed. */
    f = tcp_frame(CLIENT, SERVER, 50000, 445, ACK | PSH, 100);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 50000, 445, ACK, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    f = tcp_frame(SERVER, CLIENT, 445, 50000, ACK | PSH, 1400);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    due = 1;
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    due = 0;
    f = tcp_frame(SERVER, CLIENT, 445, 50000, FIN | ACK, 0);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    /* Client bytes the SMB parser skipped: their segments are dropped, the next one read. */
    struct ww_flow_skips *skips = calloc(1, sizeof *skips);
    assert_non_null(skips);
    w->smb_skips = skips;
    f = tcp_frame(CLIENT, SERVER, 50000, 445, ACK, 1000);
    put32(f.b + 14 + 20 + 4, 5000); /* seq */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    skips->slot[ww_flow_skip_slot(CLIENT, SERVER, 50000, 445)] =
        (struct ww_flow_skip){CLIENT, SERVER, 50000, 445, 6000, true};
    skips->valid = 1;
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    put32(f.b + 14 + 20 + 4, 5001); /* one byte past what was skipped */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 50001, 445, ACK, 1000); /* another flow */
    put32(f.b + 14 + 20 + 4, 5000);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    w->smb_skips = NULL;
    free(skips);
    /* TCP data of a source the P2P stage follows. */
    f = tcp_frame(CLIENT, SERVER, 50000, 30000, ACK | PSH, 60);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    ww_addr_filter_add(talkers, SERVER);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    /* With SMB off, its segments are nobody's. */
    w->smb = false;
    f = tcp_frame(CLIENT, SERVER, 50000, 445, ACK | PSH, 100);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    free(w);
    free(talkers);
}

static void test_udp_and_others(void **state)
{
    (void)state;
    struct ww_interest *w = default_interest(NULL, NULL);
    struct frame f;
    f = udp_frame(50000, 53, 30);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    /* With the DGA stage's shape test: only a name that could be on a list is read. */
    uint64_t dropped = 0;
    w->dns_shape = true;
    w->dns_dropped = &dropped;
    static const uint8_t www[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                 "\x03www\x07example\x03com\x00\x00\x01\x00\x01";
    static const uint8_t listed[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                    "\x0aqhwzxkjvbc\x03org\x00\x00\x01\x00\x01";
    f = udp_frame(50000, 53, sizeof www - 1);
    memcpy(f.b + 42, www, sizeof www - 1);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    assert_int_equal(dropped, 1);
    f = udp_frame(53, 50000, sizeof listed - 1);
    memcpy(f.b + 42, listed, sizeof listed - 1);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f.len -= 8; /* the same name cut by the snap length: no shape left to judge */
    assert_int_equal(judged(w, &f, (uint32_t)f.len + 8), WW_TRIAGE_DROP);
    assert_int_equal(dropped, 2);
    w->dns_shape = false;
    f = udp_frame(68, 67, 240);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = udp_frame(137, 137, 50); /* NBNS: only the decoder tells a bad one */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = udp_frame(123, 123, 48); /* NTP: no stage's */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    f = udp_frame(50000, 40000, 100); /* could be P2P */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    w->p2p = false;
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    /* ICMP answers probes; ARP is the probe stage's; IPv6 is only counted. */
    f = udp_frame(1, 1, 0);
    f.b[14 + 9] = 1;
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 1, 1, 0, 0);
    put16(f.b + 12, 0x0806);
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 1, 1, 0, 0);
    put16(f.b + 12, 0x86DD);
    f.b[14] = 0x60;
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    /* A VLAN-tagged web segment: dropped, the tag counted. */
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    memmove(f.b + 18, f.b + 14, f.len - 14);
    put16(f.b + 12, 0x8100);
    put16(f.b + 14, 42);
    put16(f.b + 16, 0x0800);
    f.len += 4;
    assert_int_equal(judge(w, &f), WW_TRIAGE_DROP);
    free(w);
}

/* Whatever the triage cannot judge in a few tests is the decoder's. */
static void test_unusual_frames_decoded(void **state)
{
    (void)state;
    struct ww_interest *w = default_interest(NULL, NULL);
    struct frame f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    f.b[14] = 0x46; /* IP options */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    f.b[14 + 6] = 0x20; /* more fragments */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    f.b[14 + 20 + 12] = 4 << 4; /* data offset below 5: invalid */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    put16(f.b + 14 + 2, 30); /* total length shorter than the headers */
    assert_int_equal(judge(w, &f), WW_TRIAGE_DECODE);
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 0);
    f.len = 40; /* cut inside the TCP header */
    assert_int_equal(judged(w, &f, 54), WW_TRIAGE_DECODE);
    /* Cut by the snap length after the headers: dropped, counted as cut. */
    f = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    f.len = 54 + 10;
    assert_int_equal(judged(w, &f, 154), WW_TRIAGE_DROP);
    f = udp_frame(50000, 40000, 0);
    f.len = 14 + 20 + 4; /* UDP header cut */
    assert_int_equal(judged(w, &f, 42), WW_TRIAGE_DECODE);
    /* Every truncation of a web segment: dropped only where the decoder accepts it. */
    struct frame web = tcp_frame(CLIENT, SERVER, 50000, 80, ACK, 100);
    for (size_t len = 0; len <= web.len; len++) {
        struct frame cut = web;
        cut.len = len;
        judged(w, &cut, (uint32_t)web.len);
        judged(w, &cut, (uint32_t)len);
    }
    free(w);
}

/* --- the same events with and without triage ------------------------------------ */

/* Alerts, in order, and the decoder's counters of the last stats event, as text. */
static char *events_of(const char *capture, bool triage)
{
    char path[] = "/tmp/wwtriageXXXXXX", err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ww_ruleset rules;
    assert_true(ww_rules_load_default(&rules, err, sizeof err));
    struct ww_output *out = ww_output_open(path, "test", err, sizeof err);
    assert_non_null(out);
    struct ww_pipeline *p = ww_pipeline_new_keyed(&rules, out, &ww_test_key, err, sizeof err);
    assert_non_null(p);
    ww_pipeline_set_triage(p, triage);
    struct ww_capture *cap = ww_capture_open_file(capture, err, sizeof err);
    bool opened = cap != NULL;
    if (opened) {
        ww_pipeline_run_capture(p, cap, err, sizeof err);
        ww_capture_close(cap);
    }
    ww_pipeline_finish(p);
    ww_pipeline_free(p);
    assert_true(ww_output_close(out, err, sizeof err));
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *text = NULL;
    size_t text_len = 0;
    FILE *acc = open_memstream(&text, &text_len);
    char line[65536];
    json_t *decoder = NULL;
    while (fgets(line, sizeof line, in)) {
        json_t *e = json_loads(line, 0, NULL);
        assert_non_null(e);
        const char *type = json_string_value(json_object_get(e, "event_type"));
        if (type && !strcmp(type, "alert")) {
            fputs(line, acc);
        } else if (type && !strcmp(type, "stats")) {
            json_decref(decoder);
            decoder = json_incref(json_object_get(json_object_get(e, "stats"), "decoder"));
        }
        json_decref(e);
    }
    fclose(in);
    unlink(path);
    if (decoder) {
        char *d = json_dumps(decoder, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(acc, "%s\n", d);
        free(d);
        json_decref(decoder);
    }
    fclose(acc);
    return text;
}

static size_t compare_dir(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t compared = 0;
    struct dirent *entry;
    while ((entry = readdir(d))) {
        const char *name = entry->d_name;
        size_t n = strlen(name);
        bool pcap = (n > 5 && !strcmp(name + n - 5, ".pcap")) ||
                    (n > 7 && !strcmp(name + n - 7, ".pcapng"));
        if (!pcap)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        char *with = events_of(path, true), *without = events_of(path, false);
        if (strcmp(with, without) != 0)
            fail_msg("%s: triage changed the events:\n--- with\n%s--- without\n%s", path, with,
                     without);
        free(with);
        free(without);
        compared++;
    }
    closedir(d);
    return compared;
}

static void test_same_events_on_every_capture(void **state)
{
    (void)state;
    size_t n = compare_dir(WW_PCAPS) + compare_dir(WW_PCAPS "/real");
    assert_true(n >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_udp_and_others),
        cmocka_unit_test(test_unusual_frames_decoded),
        cmocka_unit_test(test_same_events_on_every_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
