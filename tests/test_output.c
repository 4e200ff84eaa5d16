/*
 * Unit tests for the EVE JSON output (output.h, format.h): the exact text of
 * an alert line, timestamps, the stats event, and how writing to files
 * behaves when it works and when it does not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "wormwatch/decode.h"
#include "wormwatch/format.h"
#include "wormwatch/output.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_SEC 1000000000ULL
#define TS 1238414407123456789ULL /* 2009-03-30T12:00:07.123456789Z */

/* --- fixed alerts ------------------------------------------------------------------------ */

static const struct ww_rule SMB_RULE = {
    .sid = 1000001, .rev = 1, .severity = 1,
    .name = "WORMWATCH SMB worm fan-out scan on TCP/445",
    .category = "A Network Trojan was detected", .proto = WW_IPPROTO_TCP, .port = 445};

static const struct ww_rule TRW_RULE = {
    .sid = 1000004, .rev = 1, .severity = 1,
    .name = "WORMWATCH SMB worm scan on TCP/445 (sequential test)",
    .category = "A Network Trojan was detected", .type = WW_RULE_SEQUENTIAL,
    .proto = WW_IPPROTO_TCP, .port = 445};

static const struct ww_rule NBNS_RULE = {
    .sid = 1000003, .rev = 2, .severity = 2,
    .name = "WORMWATCH NetBIOS name-service probing on UDP/137",
    .category = "Detection of a Network Scan", .proto = WW_IPPROTO_UDP, .port = 137};

/* A verdict as detect fills it: the judged numbers and a copy of the evidence. */
static struct ww_verdict verdict(bool likely, double score, enum ww_stack stack,
                                 struct ww_evidence evidence)
{
    return (struct ww_verdict){.likely = likely, .score = score, .stack = stack,
                               .evidence = evidence};
}

/*
 * 12 attempts over 60 s, 10 failed: 12.0 per minute. Conficker-like: 4 clean
 * remote targets (8 octets at log2(0.99/0.5) each), an XP shape, a local
 * sweep and 139 after 445: 7.884 + 1 + 1 + 1 bits.
 */
static struct ww_alert smb_alert(void)
{
    struct ww_alert a = {
        .rule = &SMB_RULE, .ts_ns = TS, .targets = 10, .attempts = 12, .failed = 10,
        .accepted = 2, .first_seen_ns = TS - 60 * NS_PER_SEC, .last_seen_ns = TS,
        .sample_count = 3,
        .sample = {IP4(83, 75, 18, 40), IP4(10, 20, 6, 132), IP4(61, 3, 7, 9)}};
    a.probe = (struct ww_probe){.src = IP4(10, 20, 2, 31), .dst = IP4(83, 75, 18, 40),
                                .sport = 1154, .dport = 445, .proto = WW_IPPROTO_TCP,
                                .ts_ns = TS};
    a.verdict = verdict(true, 10.884003, WW_STACK_WINDOWS_XP,
                        (struct ww_evidence){.octet_bits = 7.884003f, .scored_targets = 4,
                                             .local_targets = 2, .remote_targets = 4,
                                             .tcp139_after_445 = 1, .netbios_probes = 3});
    return a;
}

static const char SMB_ALERT_LINE[] =
    "{\"timestamp\":\"2009-03-30T12:00:07.123456+0000\",\"event_type\":\"alert\","
    "\"src_ip\":\"10.20.2.31\",\"src_port\":1154,\"dest_ip\":\"83.75.18.40\",\"dest_port\":445,"
    "\"proto\":\"TCP\",\"community_id\":\"1:VO6/gWx0wOl2KnF9B99GjgRlVy0=\","
    "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000001,\"rev\":1,"
    "\"signature\":\"WORMWATCH SMB worm fan-out scan on TCP/445\","
    "\"category\":\"A Network Trojan was detected\",\"severity\":1},"
    "\"scan\":{\"dest_port\":445,\"targets\":10,\"attempts\":12,\"failed\":10,\"accepted\":2,"
    "\"first_seen\":\"2009-03-30T11:59:07.123456+0000\","
    "\"last_seen\":\"2009-03-30T12:00:07.123456+0000\",\"rate_per_min\":12.0,"
    "\"sample_targets\":[\"83.75.18.40\",\"10.20.6.132\",\"61.3.7.9\"]},"
    "\"conficker\":{\"likely\":true,\"score\":10.88,\"indicators\":[],\"variant\":null,"
    "\"evidence\":{\"octet_bits\":7.88,\"scored_targets\":4,\"octet_violations\":0,"
    "\"syn_shape\":\"windows-xp\",\"local_targets\":2,\"remote_targets\":4,\"sequential_targets\":0,"
    "\"tcp139_after_445\":1,\"netbios_probes\":3,\"arp_misses\":0}},"
    "\"host\":\"sensor-1\"}\n";

/* Tagged, UDP, no samples; 7 attempts over 90 s: 4.666... per minute. */
static struct ww_alert nbns_alert(void)
{
    const uint64_t ts = 1238414407000000999ULL; /* sub-microsecond digits are dropped */
    struct ww_alert a = {.rule = &NBNS_RULE, .ts_ns = ts, .targets = 10, .attempts = 7,
                         .failed = 0, .accepted = 5, .first_seen_ns = ts - 90 * NS_PER_SEC,
                         .last_seen_ns = ts, .sample_count = 0};
    a.probe = (struct ww_probe){.src = IP4(192, 168, 5, 20), .dst = IP4(192, 168, 5, 33),
                                .sport = 137, .dport = 137, .proto = WW_IPPROTO_UDP,
                                .vlan = 100, .ts_ns = ts};
    a.verdict = verdict(false, 0.0, WW_STACK_UNKNOWN,
                        (struct ww_evidence){.local_targets = 0, .netbios_probes = 7});
    return a;
}

static const char NBNS_ALERT_LINE[] =
    "{\"timestamp\":\"2009-03-30T12:00:07.000000+0000\",\"event_type\":\"alert\","
    "\"vlan\":[100],"
    "\"src_ip\":\"192.168.5.20\",\"src_port\":137,\"dest_ip\":\"192.168.5.33\",\"dest_port\":137,"
    "\"proto\":\"UDP\",\"community_id\":\"1:QjjD56v7bYdU1Yd44ttZPV/p1/I=\","
    "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000003,\"rev\":2,"
    "\"signature\":\"WORMWATCH NetBIOS name-service probing on UDP/137\","
    "\"category\":\"Detection of a Network Scan\",\"severity\":2},"
    "\"scan\":{\"dest_port\":137,\"targets\":10,\"attempts\":7,\"failed\":0,\"accepted\":5,"
    "\"first_seen\":\"2009-03-30T11:58:37.000000+0000\","
    "\"last_seen\":\"2009-03-30T12:00:07.000000+0000\",\"rate_per_min\":4.67,"
    "\"sample_targets\":[]},"
    "\"conficker\":{\"likely\":false,\"score\":0.0,\"indicators\":[],\"variant\":null,"
    "\"evidence\":{\"octet_bits\":0.0,\"scored_targets\":0,\"octet_violations\":0,"
    "\"syn_shape\":\"unknown\",\"local_targets\":0,\"remote_targets\":0,\"sequential_targets\":0,"
    "\"tcp139_after_445\":0,\"netbios_probes\":7,\"arp_misses\":0}},"
    "\"host\":\"sensor \\\"a\\\"\"}\n";

/*
 * A sequential alert from masscan: its 6 first contacts went F S F F F F,
 * llr 5 ln 4 - ln 4 = 4 ln 4; 6 attempts in 3 s (120 per minute). Five
 * targets in its own /16 and one remote target with a masked bit set:
 * log2(0.02) + log2(1.98) bits, -10 for the scan-tool shape, +1 for a local
 * sweep with remote targets.
 */
static struct ww_alert trw_alert(void)
{
    struct ww_alert a = {.rule = &TRW_RULE, .ts_ns = TS, .targets = 5, .attempts = 6,
                         .failed = 5, .accepted = 1, .first_seen_ns = TS - 3 * NS_PER_SEC,
                         .last_seen_ns = TS, .sample_count = 2,
                         .sample = {IP4(172, 16, 0, 9), IP4(172, 16, 0, 8)},
                         .llr = 5.545177444479562, .first_contacts = 6, .walk_failures = 5};
    a.probe = (struct ww_probe){.src = IP4(172, 16, 0, 2), .dst = IP4(172, 16, 0, 9),
                                .sport = 61000, .dport = 445, .proto = WW_IPPROTO_TCP,
                                .ts_ns = TS};
    a.verdict = verdict(false, -13.658356, WW_STACK_SCAN_TOOL,
                        (struct ww_evidence){.octet_bits = -4.658356f, .scored_targets = 1,
                                             .octet_violations = 1, .local_targets = 5,
                                             .remote_targets = 1});
    return a;
}

static const char TRW_ALERT_LINE[] =
    "{\"timestamp\":\"2009-03-30T12:00:07.123456+0000\",\"event_type\":\"alert\","
    "\"src_ip\":\"172.16.0.2\",\"src_port\":61000,\"dest_ip\":\"172.16.0.9\",\"dest_port\":445,"
    "\"proto\":\"TCP\",\"community_id\":\"1:VgbRfTnqRYR8UP8XgMoBJ8rTu8Q=\","
    "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000004,\"rev\":1,"
    "\"signature\":\"WORMWATCH SMB worm scan on TCP/445 (sequential test)\","
    "\"category\":\"A Network Trojan was detected\",\"severity\":1},"
    "\"scan\":{\"dest_port\":445,\"targets\":5,\"attempts\":6,\"failed\":5,\"accepted\":1,"
    "\"first_seen\":\"2009-03-30T12:00:04.123456+0000\","
    "\"last_seen\":\"2009-03-30T12:00:07.123456+0000\",\"rate_per_min\":120.0,"
    "\"sample_targets\":[\"172.16.0.9\",\"172.16.0.8\"]},"
    "\"trw\":{\"llr\":5.55,\"first_contacts\":6,\"failures\":5},"
    "\"conficker\":{\"likely\":false,\"score\":-13.66,\"indicators\":[],\"variant\":null,"
    "\"evidence\":{\"octet_bits\":-4.66,\"scored_targets\":1,\"octet_violations\":1,"
    "\"syn_shape\":\"scan-tool\",\"local_targets\":5,\"remote_targets\":1,\"sequential_targets\":0,"
    "\"tcp139_after_445\":0,\"netbios_probes\":0,\"arp_misses\":0}},"
    "\"host\":\"sensor-1\"}\n";

/* --- helpers ------------------------------------------------------------------------------ */

/* The value at a dotted path ("stats.decoder.pkts"), or NULL. */
static json_t *json_at(json_t *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *state = NULL;
    json_t *v = root;
    for (char *key = strtok_r(buf, ".", &state); key && v; key = strtok_r(NULL, ".", &state))
        v = json_object_get(v, key);
    return v;
}

static void assert_json_int(json_t *root, const char *path, json_int_t expected)
{
    json_t *v = json_at(root, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    if (json_integer_value(v) != expected)
        fail_msg("%s = %lld, expected %lld", path, (long long)json_integer_value(v),
                 (long long)expected);
}

static void assert_json_string(json_t *root, const char *path, const char *expected)
{
    json_t *v = json_at(root, path);
    if (!json_is_string(v))
        fail_msg("%s is not a string", path);
    assert_string_equal(json_string_value(v), expected);
}

/* Parses one event line: exactly one newline, at the end. */
static json_t *parse_line(const char *line)
{
    size_t n = strlen(line);
    assert_true(n > 1);
    assert_int_equal(line[n - 1], '\n');
    assert_null(memchr(line, '\n', n - 1));
    json_error_t error;
    json_t *root = json_loads(line, 0, &error);
    if (!root)
        fail_msg("not JSON (%s): %s", error.text, line);
    return root;
}

/* A temporary file holding `initial`; its path is written into `path`. */
static void make_temp_file(char path[32], const char *initial)
{
    snprintf(path, 32, "/tmp/ww_test_eve_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(initial);
    assert_int_equal(write(fd, initial, n), (ssize_t)n);
    close(fd);
}

/* The whole file as a string; caller frees. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static char *concat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* --- text forms -------------------------------------------------------------------------- */

static void test_format_timestamp(void **state)
{
    (void)state;
    char text[WW_TIMESTAMP_LEN];
    ww_format_timestamp(TS, text);
    assert_string_equal(text, "2009-03-30T12:00:07.123456+0000");
    ww_format_timestamp(0, text);
    assert_string_equal(text, "1970-01-01T00:00:00.000000+0000");
    ww_format_timestamp(999, text); /* truncated, not rounded */
    assert_string_equal(text, "1970-01-01T00:00:00.000000+0000");
    ww_format_timestamp(1999, text);
    assert_string_equal(text, "1970-01-01T00:00:00.000001+0000");
    ww_format_timestamp(951782400ULL * NS_PER_SEC + 999999999, text); /* leap day 2000 */
    assert_string_equal(text, "2000-02-29T00:00:00.999999+0000");
}

/* The digit-by-digit date against the C library's, over the whole range of
   a uint64_t of nanoseconds (to 2554), a day and a few seconds at a time. */
static void test_format_timestamp_matches_gmtime(void **state)
{
    (void)state;
    char ours[WW_TIMESTAMP_LEN], libc[WW_TIMESTAMP_LEN + 16];
    uint64_t last_day = UINT64_MAX / NS_PER_SEC / 86400;
    for (uint64_t day = 0; day <= last_day; day += 1 + day % 3) {
        uint64_t secs = day * 86400 + (day * 7919) % 86400;
        if (secs > UINT64_MAX / NS_PER_SEC)
            break;
        uint64_t ts = secs * NS_PER_SEC + (day * 104729) % NS_PER_SEC;
        time_t t = (time_t)secs;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        char date[24];
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(libc, sizeof libc, "%s.%06u+0000", date,
                 (unsigned)(ts % NS_PER_SEC / 1000));
        ww_format_timestamp(ts, ours);
        assert_string_equal(ours, libc);
    }
    ww_format_timestamp(UINT64_MAX, ours);
    assert_string_equal(ours, "2554-07-21T23:34:33.709551+0000");
}

static void test_format_ipv4(void **state)
{
    (void)state;
    char text[WW_IPV4_LEN];
    ww_format_ipv4(IP4(10, 20, 2, 31), text);
    assert_string_equal(text, "10.20.2.31");
    ww_format_ipv4(0xFFFFFFFFu, text);
    assert_string_equal(text, "255.255.255.255");
    ww_format_ipv4(0, text);
    assert_string_equal(text, "0.0.0.0");
    ww_format_ipv4(IP4(100, 9, 10, 199), text);
    assert_string_equal(text, "100.9.10.199");
}

/* --- alert lines ------------------------------------------------------------------------- */

static void test_alert_line_exact(void **state)
{
    (void)state;
    struct ww_alert a = smb_alert();
    char *line = ww_output_format_alert(&a, "sensor-1", NULL);
    assert_non_null(line);
    assert_string_equal(line, SMB_ALERT_LINE);
    free(line);
}

static void test_alert_line_with_vlan_udp_and_escaping(void **state)
{
    (void)state;
    struct ww_alert a = nbns_alert();
    char *line = ww_output_format_alert(&a, "sensor \"a\"", NULL);
    assert_non_null(line);
    assert_string_equal(line, NBNS_ALERT_LINE);
    free(line);
}

/* A sequential alert has its walk (trw) between scan and conficker. */
static void test_sequential_alert_line_exact(void **state)
{
    (void)state;
    struct ww_alert a = trw_alert();
    char *line = ww_output_format_alert(&a, "sensor-1", NULL);
    assert_non_null(line);
    assert_string_equal(line, TRW_ALERT_LINE);
    free(line);
}

/*
 * A walk tipped by an unanswered ARP request: the flow fields are that
 * request's, so no ports and no Community ID (it had no TCP flow), and
 * proto says ARP; scan.dest_port still names the rule's port.
 */
static void test_arp_tipped_alert_has_no_ports(void **state)
{
    (void)state;
    struct ww_alert a = trw_alert();
    a.probe.proto = WW_PROTO_ARP;
    a.probe.sport = 0;
    a.probe.dport = 0;
    char *line = ww_output_format_alert(&a, "sensor-1", NULL);
    json_t *e = parse_line(line);
    assert_string_equal(json_string_value(json_object_get(e, "proto")), "ARP");
    assert_null(json_object_get(e, "src_port"));
    assert_null(json_object_get(e, "dest_port"));
    assert_null(json_object_get(e, "community_id"));
    assert_non_null(json_object_get(e, "dest_ip"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "scan"), "dest_port")),
                     445);
    json_decref(e);
    free(line);
}

/* Attempts within one second: the span counts as 1 s, not 0. */
static void test_alert_rate_with_short_span(void **state)
{
    (void)state;
    struct ww_alert a = smb_alert();
    a.attempts = 3;
    a.first_seen_ns = a.last_seen_ns - 200000000; /* 0.2 s */
    char *line = ww_output_format_alert(&a, "h", NULL);
    json_t *root = parse_line(line);
    json_t *rate = json_at(root, "scan.rate_per_min");
    assert_true(json_is_real(rate));
    assert_true(json_real_value(rate) == 180.0);
    assert_json_string(root, "scan.first_seen", "2009-03-30T12:00:06.923456+0000");
    json_decref(root);
    free(line);
}

/* --- the stats event ------------------------------------------------------------------------ */

static void test_stats_line(void **state)
{
    (void)state;
    struct ww_decode_stats decode = {.packets = 100, .bytes = 6400, .vlan_tagged = 5, .ipv4 = 95,
                                     .ipv6 = 2, .other_l3 = 3, .fragments = 1, .tcp = 80,
                                     .udp = 10, .icmp = 5};
    decode.link[WW_LINK_ETHERNET] = 90;
    decode.link[WW_LINK_SLL2] = 10;
    decode.invalid[WW_INVALID_TCP_HLEN] = 2;
    decode.invalid[WW_INVALID_EMPTY] = 1;
    struct ww_probe_stats probe = {.tcp_attempts = 40, .nbns_attempts = 12, .retransmits = 9,
                                   .nbns_broadcast = 30, .accepted = 11, .rejected = 20,
                                   .rejected_icmp = 4, .unanswered = 18, .late_answers = 3,
                                   .arp_requests = 13, .arp_misses = 6, .pending_evicted = 1};
    struct ww_hosts_stats hosts = {.live = 21, .capacity = 4096, .learned = 25, .evictions = 4};
    struct ww_table_stats table = {.entries = 3, .capacity = 1000, .record_bytes = 200,
                                   .memory_bytes = 200000, .inserts = 7, .evictions = 2,
                                   .expirations = 2};
    struct ww_detect_stats detect = {.events = 101, .ignored_sources = 4, .ignored_targets = 6,
                                     .alerts = 2, .suppressed = 5, .dark_contacts = 8,
                                     .walks_benign = 9, .walks_forced = 11,
                                     .flood = {.seconds = 60, .peak_sources = 50029,
                                               .skipped = 2999004, .held = 190}};
    struct ww_run_stats run = {.ts_ns = TS, .files = 2, .decode = &decode, .probe = &probe,
                               .pending = 3, .pending_capacity = 500, .hosts = &hosts,
                               .table = &table, .detect = &detect};
    struct ww_output_stats out = {.events_written = 2, .events_lost = 1};

    char *line = ww_output_format_stats(&run, &out, "sensor-1", NULL);
    assert_non_null(line);
    json_t *root = parse_line(line);
    assert_json_string(root, "timestamp", "2009-03-30T12:00:07.123456+0000");
    assert_json_string(root, "event_type", "stats");
    assert_json_string(root, "host", "sensor-1");
    assert_json_int(root, "stats.files", 2);
    assert_json_int(root, "stats.decoder.pkts", 100);
    assert_json_int(root, "stats.decoder.bytes", 6400);
    assert_json_int(root, "stats.decoder.link.ethernet", 90);
    assert_json_int(root, "stats.decoder.link.sll2", 10);
    assert_json_int(root, "stats.decoder.link.unsupported", 0);
    assert_json_int(root, "stats.decoder.vlan", 5);
    assert_json_int(root, "stats.decoder.ipv4", 95);
    assert_json_int(root, "stats.decoder.ipv6", 2);
    assert_json_int(root, "stats.decoder.other", 3);
    assert_json_int(root, "stats.decoder.fragments", 1);
    assert_json_int(root, "stats.decoder.tcp", 80);
    assert_json_int(root, "stats.decoder.udp", 10);
    assert_json_int(root, "stats.decoder.icmp", 5);
    assert_json_int(root, "stats.decoder.invalid", 3);
    assert_json_int(root, "stats.decoder.invalid_reasons.tcp_header_length", 2);
    assert_json_int(root, "stats.decoder.invalid_reasons.empty", 1);
    assert_json_int(root, "stats.decoder.invalid_reasons.nbns_malformed", 0);
    assert_null(json_at(root, "stats.decoder.invalid_reasons.none"));
    assert_json_int(root, "stats.probes.tcp_attempts", 40);
    assert_json_int(root, "stats.probes.nbns_attempts", 12);
    assert_json_int(root, "stats.probes.retransmits", 9);
    assert_json_int(root, "stats.probes.nbns_broadcast", 30);
    assert_json_int(root, "stats.probes.accepted", 11);
    assert_json_int(root, "stats.probes.rejected", 20);
    assert_json_int(root, "stats.probes.rejected_icmp", 4);
    assert_json_int(root, "stats.probes.unanswered", 18);
    assert_json_int(root, "stats.probes.late_answers", 3);
    assert_json_int(root, "stats.probes.pending", 3);
    assert_json_int(root, "stats.probes.pending_capacity", 500);
    assert_json_int(root, "stats.probes.pending_evicted", 1);
    assert_json_int(root, "stats.probes.arp_requests", 13);
    assert_json_int(root, "stats.probes.arp_misses", 6);
    assert_json_int(root, "stats.hosts.live", 21);
    assert_json_int(root, "stats.hosts.capacity", 4096);
    assert_json_int(root, "stats.hosts.learned", 25);
    assert_json_int(root, "stats.hosts.evictions", 4);
    assert_json_int(root, "stats.table.sources", 3);
    assert_json_int(root, "stats.table.capacity", 1000);
    assert_json_int(root, "stats.table.memory_bytes", 200000);
    assert_json_int(root, "stats.table.record_bytes", 200);
    assert_json_int(root, "stats.table.inserts", 7);
    assert_json_int(root, "stats.table.evictions", 2);
    assert_json_int(root, "stats.table.expirations", 2);
    assert_json_int(root, "stats.detect.events", 101);
    assert_json_int(root, "stats.detect.ignored_sources", 4);
    assert_json_int(root, "stats.detect.ignored_targets", 6);
    assert_json_int(root, "stats.detect.suppressed", 5);
    assert_json_int(root, "stats.detect.dark_contacts", 8);
    assert_json_int(root, "stats.detect.walks_benign", 9);
    assert_json_int(root, "stats.detect.walks_forced", 11);
    assert_json_int(root, "stats.detect.flood_seconds", 60);
    assert_json_int(root, "stats.detect.flood_peak_sources", 50029);
    assert_json_int(root, "stats.detect.flood_skipped", 2999004);
    assert_json_int(root, "stats.detect.flood_held", 190);
    assert_json_int(root, "stats.alerts", 2);
    assert_json_int(root, "stats.output.events_written", 2);
    assert_json_int(root, "stats.output.events_lost", 1);
    /* Suricata's order: timestamp and event_type first. */
    assert_memory_equal(line, "{\"timestamp\":", 13);
    assert_non_null(strstr(line, "\"event_type\":\"stats\",\"stats\":{"));
    json_decref(root);
    free(line);
}

/* --- writing --------------------------------------------------------------------------------- */

static void test_open_missing_folder_fails_naming_path(void **state)
{
    (void)state;
    const char *path = "/nonexistent-wormwatch-dir/eve.json";
    char err[256] = "";
    assert_null(ww_output_open(path, "h", err, sizeof err));
    const char expected[] = "/nonexistent-wormwatch-dir/eve.json: cannot open output: ";
    assert_memory_equal(err, expected, strlen(expected));
    assert_non_null(strstr(err, "No such file or directory"));
}

static void test_file_gets_whole_lines_appended(void **state)
{
    (void)state;
    char path[32];
    make_temp_file(path, "{\"earlier\":1}\n");
    char err[256] = "";
    struct ww_output *out = ww_output_open(path, "sensor-1", err, sizeof err);
    assert_non_null(out);

    struct ww_alert first = smb_alert(), second = nbns_alert();
    assert_true(ww_output_alert(out, &first));
    assert_true(ww_output_alert(out, &second));
    assert_int_equal(ww_output_get_stats(out)->events_written, 2);
    assert_int_equal(ww_output_get_stats(out)->events_lost, 0);
    assert_null(ww_output_error(out));
    assert_true(ww_output_close(out, err, sizeof err));

    /* Same alerts, host from the output: byte for byte what format_alert gives. */
    char *second_line = ww_output_format_alert(&second, "sensor-1", NULL);
    char *expected = concat3("{\"earlier\":1}\n", SMB_ALERT_LINE, second_line);
    char *content = read_file(path);
    assert_string_equal(content, expected);
    free(content);
    free(expected);
    free(second_line);
    unlink(path);
}

/* The stats event reports the events written before it. */
static void test_stats_event_counts_written_events(void **state)
{
    (void)state;
    char path[32];
    make_temp_file(path, "");
    char err[256] = "";
    struct ww_output *out = ww_output_open(path, "sensor-1", err, sizeof err);
    assert_non_null(out);
    struct ww_alert a = smb_alert();
    assert_true(ww_output_alert(out, &a));
    struct ww_decode_stats decode = {0};
    struct ww_probe_stats probe = {0};
    struct ww_table_stats table = {0};
    struct ww_hosts_stats hosts = {0};
    struct ww_detect_stats detect = {.alerts = 1};
    struct ww_run_stats run = {.ts_ns = TS, .files = 1, .decode = &decode, .probe = &probe,
                               .hosts = &hosts, .table = &table, .detect = &detect};
    assert_true(ww_output_stats(out, &run));
    assert_int_equal(ww_output_get_stats(out)->events_written, 2);
    assert_true(ww_output_close(out, err, sizeof err));

    char *content = read_file(path);
    assert_memory_equal(content, SMB_ALERT_LINE, strlen(SMB_ALERT_LINE));
    json_t *root = parse_line(content + strlen(SMB_ALERT_LINE));
    assert_json_int(root, "stats.output.events_written", 1);
    assert_json_int(root, "stats.output.events_lost", 0);
    assert_json_int(root, "stats.alerts", 1);
    json_decref(root);
    free(content);
    unlink(path);
}

static void test_write_to_full_device_fails(void **state)
{
    (void)state;
    char err[256] = "";
    struct ww_output *out = ww_output_open("/dev/full", "h", err, sizeof err);
    if (!out)
        skip(); /* no /dev/full in this environment */
    struct ww_alert a = smb_alert();
    assert_false(ww_output_alert(out, &a));
    assert_int_equal(ww_output_get_stats(out)->events_written, 0);
    assert_int_equal(ww_output_get_stats(out)->events_lost, 1);
    const char first_error[] = "/dev/full: cannot write event: No space left on device";
    assert_non_null(ww_output_error(out));
    assert_string_equal(ww_output_error(out), first_error);

    /* Every event is tried again (a full disk may clear); the first reason is the one kept. */
    assert_false(ww_output_alert(out, &a));
    assert_int_equal(ww_output_get_stats(out)->events_written, 0);
    assert_int_equal(ww_output_get_stats(out)->events_lost, 2);
    assert_string_equal(ww_output_error(out), first_error);

    /* Closing names the first failure and how many events were lost. */
    assert_false(ww_output_close(out, err, sizeof err));
    assert_string_equal(err, "/dev/full: cannot write event: No space left on device "
                             "(2 events lost)");
}

/*
 * A write cut short on a regular file (here by RLIMIT_FSIZE) leaves no half
 * line, and does not stop later events (output.h).
 */
static void test_partial_write_is_cut_off(void **state)
{
    (void)state;
    char path[32];
    const char earlier[] = "{\"earlier\":1}\n";
    make_temp_file(path, earlier);
    char err[256] = "";
    struct ww_output *out = ww_output_open(path, "sensor-1", err, sizeof err);
    assert_non_null(out);

    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = sizeof earlier - 1 + 40; /* room for 40 bytes of the line */
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    struct ww_alert a = smb_alert();
    bool ok = ww_output_alert(out, &a);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);

    assert_false(ok);
    assert_int_equal(ww_output_get_stats(out)->events_lost, 1);
    assert_int_equal(ww_output_get_stats(out)->events_written, 0);
    char first_error[128];
    snprintf(first_error, sizeof first_error, "%s: cannot write event: %s", path,
             strerror(EFBIG));
    assert_string_equal(ww_output_error(out), first_error);

    /* Room again: the next event is tried and lands whole right after the earlier line. */
    assert_true(ww_output_alert(out, &a));
    assert_int_equal(ww_output_get_stats(out)->events_lost, 1);
    assert_int_equal(ww_output_get_stats(out)->events_written, 1);
    assert_string_equal(ww_output_error(out), first_error);

    /* The loss is still reported at close, in the singular. */
    assert_false(ww_output_close(out, err, sizeof err));
    char expected_err[160];
    snprintf(expected_err, sizeof expected_err, "%s (1 event lost)", first_error);
    assert_string_equal(err, expected_err);
    char *content = read_file(path);
    char *expected = concat3(earlier, SMB_ALERT_LINE, "");
    assert_string_equal(content, expected);
    free(expected);
    free(content);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_timestamp),
        cmocka_unit_test(test_format_timestamp_matches_gmtime),
        cmocka_unit_test(test_format_ipv4),
        cmocka_unit_test(test_alert_line_exact),
        cmocka_unit_test(test_alert_line_with_vlan_udp_and_escaping),
        cmocka_unit_test(test_sequential_alert_line_exact),
        cmocka_unit_test(test_arp_tipped_alert_has_no_ports),
        cmocka_unit_test(test_alert_rate_with_short_span),
        cmocka_unit_test(test_stats_line),
        cmocka_unit_test(test_open_missing_folder_fails_naming_path),
        cmocka_unit_test(test_file_gets_whole_lines_appended),
        cmocka_unit_test(test_stats_event_counts_written_events),
        cmocka_unit_test(test_write_to_full_device_fails),
        cmocka_unit_test(test_partial_write_is_cut_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
