/*
 * Unit tests for the rules parser (rules.h): the built-in rules, every key,
 * value parsers, prefix lists, and one test per kind of error with the
 * `origin:LINE:` it must name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wormwatch/decode.h"
#include "wormwatch/rules.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL
#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* A rule with every required key, for texts that test something else. */
#define MINIMAL_RULE(sid)                                                                     \
    "[rule " sid "]\nname = test rule\nproto = tcp\nport = 445\nthreshold = 5\nwindow = 1m\n"

/* A sequential rule with every required key (5 lines): no threshold, no window. */
#define SEQUENTIAL_RULE(sid) \
    "[rule " sid "]\nname = trw\ntype = sequential\nproto = tcp\nport = 445\n"

static struct ww_ruleset ruleset; /* large: keep it off the stack */

static void parse_ok(const char *text)
{
    char err[256] = "";
    bool ok = ww_rules_parse(text, "t.rules", &ruleset, err, sizeof err);
    if (!ok)
        fail_msg("unexpected parse error: %s", err);
}

/*
 * Parsing must fail with a message that starts with `where` ("t.rules:LINE: ")
 * and contains `what`.
 */
static void parse_fails(const char *text, const char *where, const char *what)
{
    char err[256] = "";
    assert_false(ww_rules_parse(text, "t.rules", &ruleset, err, sizeof err));
    if (strncmp(err, where, strlen(where)) != 0)
        fail_msg("error '%s' does not start with '%s'", err, where);
    if (!strstr(err, what))
        fail_msg("error '%s' does not say '%s'", err, what);
}

static void assert_prefix(const struct ww_prefix *p, uint32_t addr, uint32_t mask)
{
    assert_int_equal(p->addr, addr);
    assert_int_equal(p->mask, mask);
}

static void assert_rule(const struct ww_rule *r, uint32_t sid, uint8_t proto, uint16_t port,
                        enum ww_count_mode count, uint32_t threshold, uint64_t window_ns)
{
    assert_int_equal(r->sid, sid);
    assert_int_equal(r->proto, proto);
    assert_int_equal(r->port, port);
    assert_int_equal(r->count, count);
    assert_int_equal(r->threshold, threshold);
    assert_int_equal(r->window_ns, window_ns);
}

/* --- whole files ------------------------------------------------------------ */

/* A sequential rule of the default file: everything but its port and name is shared. */
static void assert_default_sequential(const struct ww_rule *r, uint32_t sid, uint16_t port,
                                      const char *name)
{
    assert_int_equal(r->sid, sid);
    assert_int_equal(r->type, WW_RULE_SEQUENTIAL);
    assert_int_equal(r->proto, WW_IPPROTO_TCP);
    assert_int_equal(r->port, port);
    assert_string_equal(r->name, name);
    assert_string_equal(r->category, "A Network Trojan was detected");
    assert_int_equal(r->severity, 1);
    assert_int_equal(r->rev, 1);
    assert_int_equal(r->suppress_ns, 3600 * NS_PER_SEC);
    assert_true(r->theta0 == 0.8);
    assert_true(r->theta1 == 0.2);
    assert_true(r->detection == 0.99);
    assert_true(r->false_alarm == 0.01);
    /* no threshold or window: the walk decides */
    assert_int_equal(r->threshold, 0);
    assert_int_equal(r->window_ns, 0);
}

static void test_default_rules(void **state)
{
    (void)state;
    char err[256] = "";
    if (!ww_rules_load_default(&ruleset, err, sizeof err))
        fail_msg("default rules do not parse: %s", err);
    assert_int_equal(ruleset.rule_count, 5);

    /* In file order: the sequential rules first, then the count rules. */
    assert_default_sequential(&ruleset.rule[0], 1000004, 445,
                              "WORMWATCH SMB worm scan on TCP/445 and 139 (sequential test)");
    assert_default_sequential(&ruleset.rule[1], 1000005, 139,
                              "WORMWATCH SMB worm scan on TCP/139 (sequential test)");
    assert_true(ruleset.rule[0].arp_misses); /* 445 takes dark ARP misses, 139 does not */
    assert_false(ruleset.rule[1].arp_misses);
    assert_int_equal(ruleset.rule[0].also_port, 139); /* one walk over both SMB ports */
    assert_int_equal(ruleset.rule[1].also_port, 0);

    const struct ww_rule *smb = &ruleset.rule[2];
    assert_rule(smb, 1000001, WW_IPPROTO_TCP, 445, WW_COUNT_FAILED, 10, 300 * NS_PER_SEC);
    assert_int_equal(smb->type, WW_RULE_COUNT);
    assert_string_equal(smb->name, "WORMWATCH SMB worm fan-out scan on TCP/445");
    assert_string_equal(smb->category, "A Network Trojan was detected");
    assert_int_equal(smb->severity, 1);
    assert_int_equal(smb->rev, 1);
    assert_int_equal(smb->suppress_ns, 3600 * NS_PER_SEC);
    assert_true(smb->min_failed_fraction == 0.2);

    const struct ww_rule *netbios = &ruleset.rule[3];
    assert_rule(netbios, 1000002, WW_IPPROTO_TCP, 139, WW_COUNT_FAILED, 10, 300 * NS_PER_SEC);
    assert_int_equal(netbios->type, WW_RULE_COUNT);
    assert_int_equal(netbios->severity, 1);
    assert_true(netbios->min_failed_fraction == 0.2);
    assert_int_equal(netbios->suppress_ns, 3600 * NS_PER_SEC);

    const struct ww_rule *nbns = &ruleset.rule[4];
    assert_rule(nbns, 1000003, WW_IPPROTO_UDP, 137, WW_COUNT_ALL, 5, 60 * NS_PER_SEC);
    assert_true(nbns->home_targets);
    assert_false(smb->home_targets);
    assert_int_equal(nbns->type, WW_RULE_COUNT);
    assert_string_equal(nbns->name, "WORMWATCH NetBIOS name-service probing on UDP/137");
    assert_string_equal(nbns->category, "Detection of a Network Scan");
    assert_int_equal(nbns->severity, 2);
    assert_int_equal(nbns->suppress_ns, 3600 * NS_PER_SEC);

    assert_int_equal(ruleset.home_nets.count, 3);
    assert_prefix(&ruleset.home_nets.item[0], IP4(10, 0, 0, 0), 0xFF000000u);
    assert_prefix(&ruleset.home_nets.item[1], IP4(172, 16, 0, 0), 0xFFF00000u);
    assert_prefix(&ruleset.home_nets.item[2], IP4(192, 168, 0, 0), 0xFFFF0000u);
    assert_int_equal(ruleset.never_flag.count, 0);
    assert_int_equal(ruleset.ignore_targets.count, 0);
    assert_int_equal(ruleset.dark_nets.count, 0);
    assert_int_equal(ruleset.attempt_timeout_ns, 5 * NS_PER_SEC);
    assert_int_equal(ruleset.idle_timeout_ns, 3600 * NS_PER_SEC);
    assert_int_equal(ruleset.max_memory, 64ULL << 20);
    assert_int_equal(ruleset.flood_sources, 1000);
    assert_int_equal(ruleset.flood_failures, 8);

    assert_int_equal(ruleset.conficker.target_mask, IP4(0, 128, 0, 128));
    assert_true(ruleset.conficker.likely_bits == 5.0);
    assert_true(ruleset.conficker.error_rate == 0.01);
}

static void test_every_key(void **state)
{
    (void)state;
    parse_ok("# a site's rules\n"
             "[global]\n"
             "home_nets = 10.1.0.0/16, 192.168.7.0/24 172.20.0.0/14\n"
             "never_flag = 10.1.2.3\n"
             "ignore_targets = 10.1.9.0/28\t10.1.10.1\n"
             "attempt_timeout = 1500ms\n"
             "idle_timeout = 2h\n"
             "max_memory = 8M\n"
             "flood_sources = 0\n"
             "flood_failures = 12\n"
             "\n"
             "   [rule 1000042]   \n"
             "name = TEST scan # not a comment\n"
             "category = Test category\n"
             "rev = 3\n"
             "severity = 4\n"
             "proto = tcp\n"
             "port = 3389\n"
             "count = all\n"
             "threshold = 64\n"
             "window = 90s\n"
             "suppress = 0\n"
             "min_failed_fraction = 0.75\n");
    assert_int_equal(ruleset.home_nets.count, 3);
    assert_prefix(&ruleset.home_nets.item[0], IP4(10, 1, 0, 0), 0xFFFF0000u);
    assert_prefix(&ruleset.home_nets.item[1], IP4(192, 168, 7, 0), 0xFFFFFF00u);
    assert_prefix(&ruleset.home_nets.item[2], IP4(172, 20, 0, 0), 0xFFFC0000u);
    assert_int_equal(ruleset.never_flag.count, 1);
    assert_prefix(&ruleset.never_flag.item[0], IP4(10, 1, 2, 3), 0xFFFFFFFFu);
    assert_int_equal(ruleset.ignore_targets.count, 2);
    assert_prefix(&ruleset.ignore_targets.item[0], IP4(10, 1, 9, 0), 0xFFFFFFF0u);
    assert_prefix(&ruleset.ignore_targets.item[1], IP4(10, 1, 10, 1), 0xFFFFFFFFu);
    assert_int_equal(ruleset.attempt_timeout_ns, 1500 * NS_PER_MS);
    assert_int_equal(ruleset.idle_timeout_ns, 7200 * NS_PER_SEC);
    assert_int_equal(ruleset.max_memory, 8ULL << 20);
    assert_int_equal(ruleset.flood_sources, 0);
    assert_int_equal(ruleset.flood_failures, 12);

    assert_int_equal(ruleset.rule_count, 1);
    const struct ww_rule *r = &ruleset.rule[0];
    assert_rule(r, 1000042, WW_IPPROTO_TCP, 3389, WW_COUNT_ALL, 64, 90 * NS_PER_SEC);
    assert_string_equal(r->name, "TEST scan # not a comment");
    assert_string_equal(r->category, "Test category");
    assert_int_equal(r->rev, 3);
    assert_int_equal(r->severity, 4);
    assert_int_equal(r->suppress_ns, 0);
    assert_true(r->min_failed_fraction == 0.75);
}

/* A rule states only what differs; keys before any section are [global]. */
static void test_defaults_and_keys_before_sections(void **state)
{
    (void)state;
    parse_ok("attempt_timeout = 2s\n" MINIMAL_RULE("1000001")
             "[rule 1000003]\nname = nbns\nproto = udp\nport = 137\n"
             "threshold = 3\nwindow = 500ms\n");
    assert_int_equal(ruleset.attempt_timeout_ns, 2 * NS_PER_SEC);
    assert_int_equal(ruleset.idle_timeout_ns, 3600 * NS_PER_SEC);
    assert_int_equal(ruleset.max_memory, 64ULL << 20);
    assert_int_equal(ruleset.flood_sources, 1000);
    assert_int_equal(ruleset.flood_failures, 8);
    assert_int_equal(ruleset.home_nets.count, 0);
    assert_int_equal(ruleset.dark_nets.count, 0);
    assert_int_equal(ruleset.conficker.target_mask, IP4(0, 128, 0, 128));
    assert_true(ruleset.conficker.likely_bits == 5.0);
    assert_true(ruleset.conficker.error_rate == 0.01);

    assert_int_equal(ruleset.rule_count, 2);
    const struct ww_rule *r = &ruleset.rule[0];
    assert_rule(r, 1000001, WW_IPPROTO_TCP, 445, WW_COUNT_FAILED, 5, 60 * NS_PER_SEC);
    assert_string_equal(r->name, "test rule");
    assert_string_equal(r->category, "Detection of a Network Scan");
    assert_int_equal(r->rev, 1);
    assert_int_equal(r->severity, 2);
    assert_int_equal(r->suppress_ns, 3600 * NS_PER_SEC);
    assert_true(r->min_failed_fraction == 0.0);
    assert_int_equal(r->type, WW_RULE_COUNT);
    assert_rule(&ruleset.rule[1], 1000003, WW_IPPROTO_UDP, 137, WW_COUNT_FAILED, 3,
                500 * NS_PER_MS);
}

static void test_crlf_line_endings(void **state)
{
    (void)state;
    parse_ok("[rule 1000001]\r\nname = crlf\r\nproto = tcp\r\nport = 139\r\n"
             "threshold = 2\r\nwindow = 5m\r\n");
    assert_string_equal(ruleset.rule[0].name, "crlf");
    assert_rule(&ruleset.rule[0], 1000001, WW_IPPROTO_TCP, 139, WW_COUNT_FAILED, 2,
                300 * NS_PER_SEC);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ww_test_rules_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = MINIMAL_RULE("1000007") "threshold = 0\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);

    /* Errors name the file as their origin. */
    char err[256] = "", expected[128];
    assert_false(ww_rules_load_file(path, &ruleset, err, sizeof err));
    snprintf(expected, sizeof expected, "%s:7: threshold must be", path);
    assert_memory_equal(err, expected, strlen(expected));
    unlink(path);

    assert_false(ww_rules_load_file(path, &ruleset, err, sizeof err));
    snprintf(expected, sizeof expected, "%s: cannot open rules file: ", path);
    assert_memory_equal(err, expected, strlen(expected));
}

/* --- value parsers -------------------------------------------------------------- */

static void assert_duration(const char *text, uint64_t expected_ns)
{
    uint64_t ns = 0;
    if (!ww_parse_duration(text, &ns))
        fail_msg("'%s' refused as a duration", text);
    assert_int_equal(ns, expected_ns);
}

static void test_parse_duration(void **state)
{
    (void)state;
    assert_duration("500ms", 500 * NS_PER_MS);
    assert_duration("30s", 30 * NS_PER_SEC);
    assert_duration("5m", 300 * NS_PER_SEC);
    assert_duration("1h", 3600 * NS_PER_SEC);
    assert_duration("2d", 2 * 86400 * NS_PER_SEC);
    assert_duration("7", 7 * NS_PER_SEC); /* no unit: seconds */
    assert_duration("0", 0);

    const char *bad[] = {"5x", "-1s", "", "s", "5 parsecs", "ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ns = 12345;
        if (ww_parse_duration(bad[i], &ns))
            fail_msg("'%s' accepted as a duration", bad[i]);
        assert_int_equal(ns, 12345); /* untouched on failure */
    }
}

static void test_parse_size(void **state)
{
    (void)state;
    const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {{"512K", 512 * 1024}, {"64M", 64ULL << 20}, {"1G", 1ULL << 30}, {"100", 100}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t bytes = 0;
        assert_true(ww_parse_size(good[i].text, &bytes));
        assert_int_equal(bytes, good[i].bytes);
    }
    uint64_t bytes = 0;
    assert_false(ww_parse_size("5X", &bytes));
    assert_false(ww_parse_size("", &bytes));
    assert_false(ww_parse_size("-1M", &bytes));
}

static void test_parse_prefix(void **state)
{
    (void)state;
    struct ww_prefix p;
    assert_true(ww_parse_prefix("10.0.0.0/8", &p));
    assert_prefix(&p, IP4(10, 0, 0, 0), 0xFF000000u);
    assert_true(ww_parse_prefix("192.168.1.7", &p)); /* a plain address is a /32 */
    assert_prefix(&p, IP4(192, 168, 1, 7), 0xFFFFFFFFu);
    assert_true(ww_parse_prefix("0.0.0.0/0", &p));
    assert_prefix(&p, 0, 0);
    assert_true(ww_parse_prefix("255.255.255.255/32", &p));
    assert_prefix(&p, 0xFFFFFFFFu, 0xFFFFFFFFu);

    const char *bad[] = {"10.0.0.1/8", "256.0.0.0", "1.2.3",   "1.2.3.4/33", "1.2.3.4.5",
                         "1.2.3.4/",   "a.b.c.d",   "1..2.3", "",           "1.2.3.4/-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ww_prefix untouched = {1, 2};
        if (ww_parse_prefix(bad[i], &untouched))
            fail_msg("'%s' accepted as a prefix", bad[i]);
        assert_prefix(&untouched, 1, 2);
    }
}

static void test_prefix_list_contains_and_broadcast(void **state)
{
    (void)state;
    parse_ok("home_nets = 10.0.0.0/8, 192.168.1.0/24, 172.16.5.64/26, 10.9.9.9\n" MINIMAL_RULE(
        "1000001"));
    const struct ww_prefix_list *nets = &ruleset.home_nets;
    assert_true(ww_prefix_list_contains(nets, IP4(10, 200, 3, 4)));
    assert_true(ww_prefix_list_contains(nets, IP4(192, 168, 1, 77)));
    assert_true(ww_prefix_list_contains(nets, IP4(172, 16, 5, 127)));
    assert_false(ww_prefix_list_contains(nets, IP4(172, 16, 5, 128)));
    assert_false(ww_prefix_list_contains(nets, IP4(11, 0, 0, 1)));
    assert_false(ww_prefix_list_contains(nets, IP4(192, 168, 2, 1)));

    assert_true(ww_prefix_list_is_broadcast(nets, IP4(10, 255, 255, 255)));
    assert_true(ww_prefix_list_is_broadcast(nets, IP4(192, 168, 1, 255)));
    assert_true(ww_prefix_list_is_broadcast(nets, IP4(172, 16, 5, 127)));
    assert_false(ww_prefix_list_is_broadcast(nets, IP4(192, 168, 1, 254)));
    assert_false(ww_prefix_list_is_broadcast(nets, IP4(192, 168, 2, 255))); /* not a home net */
    assert_false(ww_prefix_list_is_broadcast(nets, IP4(10, 1, 2, 255)));   /* a host in a /8 */
    assert_false(ww_prefix_list_is_broadcast(nets, IP4(10, 9, 9, 9)));     /* a /32 is a host */

    struct ww_prefix_list empty = {.count = 0};
    assert_false(ww_prefix_list_contains(&empty, IP4(10, 0, 0, 1)));
    assert_false(ww_prefix_list_is_broadcast(&empty, 0xFFFFFFFFu));
}

/* --- errors: each names its origin and line ------------------------------------- */

static void test_error_unknown_key(void **state)
{
    (void)state;
    parse_fails("[global]\n# comment\ntreshold = 4\n", "t.rules:3: ", "unknown key 'treshold'");
    parse_fails("[rule 1000001]\nname = x\ntreshold = 4\n", "t.rules:3: ",
                "unknown key 'treshold' in [rule 1000001]");
}

/* [p2p], [dga], [smb] and the [conficker] weights: defaults, every key, and the bounds. */
static void test_payload_sections(void **state)
{
    (void)state;
    char err[256] = "";
    assert_true(ww_rules_load_default(&ruleset, err, sizeof err));
    const struct ww_payload_rules *p = &ruleset.payload;
    assert_true(p->p2p && p->dga && p->smb);
    assert_int_equal(p->p2p_min_targets, 3);
    assert_int_equal(p->p2p_window, 64);
    assert_int_equal(p->p2p_min_verified_targets, 2);
    assert_int_equal(p->p2p_min_serving, 1);
    assert_int_equal(p->p2p_week_slack_ns, 24ULL * 3600 * 1000000000ULL);
    assert_int_equal(p->dga_min_names, 3);
    assert_true(ruleset.conficker.ms08_067_bits == 10.0 && ruleset.conficker.dga_bits == 10.0 &&
                ruleset.conficker.p2p_bits == 10.0 && ruleset.conficker.ms17_010_bits == 0.0);

    parse_ok("[p2p]\nenabled = no\nmin_targets = 5\nwindow = 128\nmin_verified_targets = 3\n"
             "min_serving = 2\nweek_slack = 6h\n[dga]\nenabled = no\nmin_names = 4\n"
             "[smb]\nenabled = no\n[conficker]\nms17_010_bits = 2.5\n"
             "[rule 1000001]\nname = n\nproto = tcp\nport = 445\nthreshold = 5\nwindow = 1m\n");
    assert_false(p->p2p || p->dga || p->smb);
    assert_int_equal(p->p2p_min_targets, 5);
    assert_int_equal(p->p2p_window, 128);
    assert_int_equal(p->p2p_min_verified_targets, 3);
    assert_int_equal(p->p2p_min_serving, 2);
    assert_int_equal(p->p2p_week_slack_ns, 6ULL * 3600 * 1000000000ULL);
    assert_int_equal(p->dga_min_names, 4);
    assert_true(ruleset.conficker.ms17_010_bits == 2.5);

    parse_fails("[p2p]\nmin_targets = 17\n", "t.rules:2: ", "min_targets must be a whole number from 1 to 16");
    parse_fails("[dga]\nmin_names = 1\n", "t.rules:2: ", "min_names must be a whole number from 2 to 250");
    parse_fails("[smb]\nenabled = maybe\n", "t.rules:2: ", "enabled must be yes or no");
    parse_fails("[smb]\nmin_names = 3\n", "t.rules:2: ", "unknown key 'min_names' in [smb]");
    parse_fails("[conficker]\np2p_bits = x\n", "t.rules:2: ", "p2p_bits must be a number");
}

static void test_error_unknown_section(void **state)
{
    (void)state;
    parse_fails("\n[globals]\n", "t.rules:2: ", "unknown section [globals]");
    parse_fails("[rule 1000001\n", "t.rules:1: ", "section header must look like");
}

static void test_error_sid_below_local_range(void **state)
{
    (void)state;
    parse_fails("# x\n[rule 999999]\n", "t.rules:2: ",
                "rule id '999999' must be a number >= 1000000");
    parse_fails("[rule abc]\n", "t.rules:1: ", "rule id 'abc'");
}

static void test_error_duplicate_sid(void **state)
{
    (void)state;
    parse_fails(MINIMAL_RULE("1000001") "\n" MINIMAL_RULE("1000001"), "t.rules:8: ",
                "rule 1000001 is defined twice");
}

static void test_error_threshold_out_of_range(void **state)
{
    (void)state;
    parse_fails(MINIMAL_RULE("1000001") "threshold = 0\n", "t.rules:7: ",
                "threshold must be a whole number from 1 to 64, not '0'");
    parse_fails("[rule 1000001]\nthreshold = 65\n", "t.rules:2: ",
                "threshold must be a whole number from 1 to 64, not '65'");
}

static void test_error_bad_values(void **state)
{
    (void)state;
    parse_fails("[rule 1000001]\nproto = icmp\n", "t.rules:2: ", "proto must be tcp or udp");
    parse_fails("[rule 1000001]\n\nseverity = 5\n", "t.rules:3: ", "severity must be");
    parse_fails("[rule 1000001]\nwindow = 5x\n", "t.rules:2: ", "window: '5x' is not a duration");
    parse_fails("[rule 1000001]\nwindow = 25h\n", "t.rules:2: ", "window must be at most 24h");
    parse_fails("[rule 1000001]\nmin_failed_fraction = 1.5\n", "t.rules:2: ",
                "min_failed_fraction must be a number from 0 to 1");
    /* An empty value once passed as 0: its parser lacked the empty check. */
    parse_fails("[rule 1000001]\nmin_failed_fraction =\n", "t.rules:2: ",
                "min_failed_fraction must be a number from 0 to 1");
    parse_fails("[rule 1000001]\ncount = some\n", "t.rules:2: ", "count must be");
    parse_fails("home_nets = 10.0.0.0/8, 10.0.0.1/8\n", "t.rules:1: ", "'10.0.0.1/8' is not");
    parse_fails("[global]\nmax_memory = 512K\n", "t.rules:2: ", "below the 1M minimum");
    parse_fails("[global]\nflood_sources = many\n", "t.rules:2: ",
                "flood_sources must be a whole number from 0 to 100000000, not 'many'");
    parse_fails("[global]\nflood_failures = 0\n", "t.rules:2: ",
                "flood_failures must be a whole number from 1 to 1000, not '0'");
}

static void test_error_line_without_equals(void **state)
{
    (void)state;
    parse_fails("[global]\n\n# fine\nhome_nets 10.0.0.0/8\n", "t.rules:4: ",
                "expected 'key = value'");
}

/*
 * Errors about a whole rule (a missing key, a bad proto/port pair) can only
 * be found when the rule ends; they must still name a line of that rule, its
 * [rule SID] header, not whatever line comes next.
 */
static void test_error_rule_missing_window(void **state)
{
    (void)state;
    parse_fails("[global]\n"
                "[rule 1000001]\n" /* line 2 */
                "name = no window\nproto = tcp\nport = 445\nthreshold = 3\n"
                "\n" MINIMAL_RULE("1000002"),
                "t.rules:2: ", "[rule 1000001] has no 'window'");
}

static void test_error_udp_port_not_137(void **state)
{
    (void)state;
    parse_fails("[global]\n"
                "[rule 1000003]\n" /* line 2 */
                "name = nbns\nproto = udp\nport = 138\nthreshold = 3\nwindow = 1m\n"
                "# end of file\n",
                "t.rules:2: ",
                "[rule 1000003]: udp rules watch NetBIOS name service only (port 137)");
}

/* --- sequential rules, dark_nets, [conficker] -------------------------------------- */

static void assert_walk_parameters(const struct ww_rule *r, double theta0, double theta1,
                                   double detection, double false_alarm)
{
    assert_int_equal(r->type, WW_RULE_SEQUENTIAL);
    assert_true(r->theta0 == theta0);
    assert_true(r->theta1 == theta1);
    assert_true(r->detection == detection);
    assert_true(r->false_alarm == false_alarm);
}

/* A sequential rule needs name, proto and port only; the walk has Jung et al.'s defaults. */
static void test_sequential_rule_needs_no_threshold_or_window(void **state)
{
    (void)state;
    parse_ok(SEQUENTIAL_RULE("1000004")
             "[rule 1000005]\nname = tuned\ntype = sequential\nproto = tcp\nport = 139\n"
             "theta0 = 0.9\ntheta1 = 0.35\ndetection = 0.999\nfalse_alarm = 0.001\n");
    assert_int_equal(ruleset.rule_count, 2);
    const struct ww_rule *r = &ruleset.rule[0];
    assert_rule(r, 1000004, WW_IPPROTO_TCP, 445, WW_COUNT_FAILED, 0, 0);
    assert_string_equal(r->name, "trw");
    assert_walk_parameters(r, 0.8, 0.2, 0.99, 0.01);
    assert_rule(&ruleset.rule[1], 1000005, WW_IPPROTO_TCP, 139, WW_COUNT_FAILED, 0, 0);
    assert_walk_parameters(&ruleset.rule[1], 0.9, 0.35, 0.999, 0.001);

    /* An explicit count rule still needs its threshold; a sequential one its port. */
    parse_fails("[global]\n[rule 1000001]\nname = x\ntype = count\nproto = tcp\nport = 445\n"
                "window = 1m\n",
                "t.rules:2: ", "[rule 1000001] has no 'threshold'");
    parse_fails("\n[rule 1000004]\nname = x\ntype = sequential\nproto = tcp\n", "t.rules:2: ",
                "[rule 1000004] has no 'port'");
}

static void test_dark_nets_and_conficker_section(void **state)
{
    (void)state;
    parse_ok("[global]\n"
             "dark_nets = 10.0.200.0/24, 192.168.99.7\n"
             "[conficker]\n"
             "target_mask = 0.192.0.128\n"
             "likely_bits = 7.5\n"
             "error_rate = 0.05\n" MINIMAL_RULE("1000001"));
    assert_int_equal(ruleset.dark_nets.count, 2);
    assert_prefix(&ruleset.dark_nets.item[0], IP4(10, 0, 200, 0), 0xFFFFFF00u);
    assert_prefix(&ruleset.dark_nets.item[1], IP4(192, 168, 99, 7), 0xFFFFFFFFu);
    assert_int_equal(ruleset.conficker.target_mask, IP4(0, 192, 0, 128));
    assert_true(ruleset.conficker.likely_bits == 7.5);
    assert_true(ruleset.conficker.error_rate == 0.05);
    assert_int_equal(ruleset.rule_count, 1);

    /* A [conficker] section states only what differs; keys after it are its own. */
    parse_ok("[conficker]\nlikely_bits = 0\n" SEQUENTIAL_RULE("1000004"));
    assert_int_equal(ruleset.conficker.target_mask, IP4(0, 128, 0, 128));
    assert_true(ruleset.conficker.likely_bits == 0.0);
    assert_true(ruleset.conficker.error_rate == 0.01);
    assert_int_equal(ruleset.dark_nets.count, 0);
}

static void test_error_rule_type(void **state)
{
    (void)state;
    parse_fails(MINIMAL_RULE("1000001") "type = bogus\n", "t.rules:7: ",
                "type must be 'count' or 'sequential', not 'bogus'");
}

static void test_arp_misses_key(void **state)
{
    (void)state;
    parse_ok(SEQUENTIAL_RULE("1000004") "arp_misses = yes\n");
    assert_true(ruleset.rule[0].arp_misses);
    parse_ok(SEQUENTIAL_RULE("1000004") "arp_misses = no\n");
    assert_false(ruleset.rule[0].arp_misses);
    parse_fails(SEQUENTIAL_RULE("1000004") "arp_misses = maybe\n", "t.rules:6: ",
                "arp_misses must be 'yes' or 'no', not 'maybe'");
    /* A count rule cannot take them: the error names the rule's header. */
    parse_fails(MINIMAL_RULE("1000001") "arp_misses = yes\n", "t.rules:1: ",
                "[rule 1000001]: arp_misses needs type = sequential");
}

static void test_also_port_key(void **state)
{
    (void)state;
    parse_ok(SEQUENTIAL_RULE("1000004") "also_port = 139\n");
    assert_int_equal(ruleset.rule[0].also_port, 139);
    parse_fails(SEQUENTIAL_RULE("1000004") "also_port = 0\n", "t.rules:6: ", "also_port");
    parse_fails(SEQUENTIAL_RULE("1000004") "also_port = 445\n", "t.rules:1: ",
                "[rule 1000004]: also_port needs a sequential tcp rule and another port");
    parse_fails(MINIMAL_RULE("1000001") "also_port = 139\n", "t.rules:1: ",
                "[rule 1000001]: also_port needs a sequential tcp rule and another port");
}

static void test_home_targets_key(void **state)
{
    (void)state;
    parse_ok(MINIMAL_RULE("1000001") "home_targets = yes\n");
    assert_true(ruleset.rule[0].home_targets);
    parse_ok(MINIMAL_RULE("1000001") "home_targets = no\n");
    assert_false(ruleset.rule[0].home_targets);
    parse_fails(MINIMAL_RULE("1000001") "home_targets = some\n", "t.rules:7: ",
                "home_targets must be 'yes' or 'no', not 'some'");
    parse_fails(SEQUENTIAL_RULE("1000004") "home_targets = yes\n", "t.rules:1: ",
                "[rule 1000004]: home_targets needs type = count");
}

/* Whole-rule checks: the error names the [rule SID] line, not the offending key's. */
static void test_error_theta1_not_below_theta0(void **state)
{
    (void)state;
    parse_fails("[global]\n" SEQUENTIAL_RULE("1000004") "theta0 = 0.5\ntheta1 = 0.5\n",
                "t.rules:2: ",
                "[rule 1000004]: theta1 (a scanner's success rate) must be below theta0");
    parse_fails("[global]\n" SEQUENTIAL_RULE("1000004") "theta1 = 0.9\n\n" MINIMAL_RULE("1000001"),
                "t.rules:2: ", "theta1 (a scanner's success rate) must be below theta0");
}

static void test_error_false_alarm_not_below_detection(void **state)
{
    (void)state;
    parse_fails("# x\n" SEQUENTIAL_RULE("1000005") "detection = 0.3\nfalse_alarm = 0.3\n",
                "t.rules:2: ", "[rule 1000005]: false_alarm must be below detection");
    parse_fails(SEQUENTIAL_RULE("1000005") "false_alarm = 0.995\n", "t.rules:1: ",
                "[rule 1000005]: false_alarm must be below detection");
}

/* Probabilities lie strictly between 0 and 1: 1 and 0 would make the walk's logs infinite. */
static void test_error_probability_out_of_range(void **state)
{
    (void)state;
    parse_fails(SEQUENTIAL_RULE("1000004") "theta0 = 1\n", "t.rules:6: ",
                "theta0 must be a number above 0 and below 1, not '1'");
    parse_fails(SEQUENTIAL_RULE("1000004") "\ntheta1 = 0\n", "t.rules:7: ",
                "theta1 must be a number above 0 and below 1, not '0'");
    parse_fails(SEQUENTIAL_RULE("1000004") "detection = high\n", "t.rules:6: ",
                "detection must be a number above 0 and below 1, not 'high'");
    parse_fails("[conficker]\nerror_rate = 0.5\n", "t.rules:2: ",
                "error_rate must be a number above 0 and below 0.5, not '0.5'");
}

static void test_error_conficker_section(void **state)
{
    (void)state;
    parse_fails("[conficker]\n# the mask\ntarget_mask = 1.2.3\n", "t.rules:3: ",
                "target_mask must be a dotted mask such as 0.128.0.128, not '1.2.3'");
    parse_fails("[conficker]\nlikely_bits = -1\n", "t.rules:2: ",
                "likely_bits must be a number from 0 to 1000, not '-1'");
    parse_fails(MINIMAL_RULE("1000001") "[conficker]\nthreshold = 5\n", "t.rules:8: ",
                "unknown key 'threshold' in [conficker]");
}

static void test_error_no_rules(void **state)
{
    (void)state;
    parse_fails("", "t.rules:1: ", "no [rule SID] sections");
    parse_fails("[global]\nhome_nets = 10.0.0.0/8\n", "t.rules:", "no [rule SID] sections");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rules),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_defaults_and_keys_before_sections),
        cmocka_unit_test(test_crlf_line_endings),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_prefix),
        cmocka_unit_test(test_prefix_list_contains_and_broadcast),
        cmocka_unit_test(test_error_unknown_key),
        cmocka_unit_test(test_payload_sections),
        cmocka_unit_test(test_error_unknown_section),
        cmocka_unit_test(test_error_sid_below_local_range),
        cmocka_unit_test(test_error_duplicate_sid),
        cmocka_unit_test(test_error_threshold_out_of_range),
        cmocka_unit_test(test_error_bad_values),
        cmocka_unit_test(test_error_line_without_equals),
        cmocka_unit_test(test_error_rule_missing_window),
        cmocka_unit_test(test_error_udp_port_not_137),
        cmocka_unit_test(test_sequential_rule_needs_no_threshold_or_window),
        cmocka_unit_test(test_dark_nets_and_conficker_section),
        cmocka_unit_test(test_arp_misses_key),
        cmocka_unit_test(test_also_port_key),
        cmocka_unit_test(test_home_targets_key),
        cmocka_unit_test(test_error_rule_type),
        cmocka_unit_test(test_error_theta1_not_below_theta0),
        cmocka_unit_test(test_error_false_alarm_not_below_detection),
        cmocka_unit_test(test_error_probability_out_of_range),
        cmocka_unit_test(test_error_conficker_section),
        cmocka_unit_test(test_error_no_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
