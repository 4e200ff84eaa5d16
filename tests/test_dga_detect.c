/*
 * Unit tests for the DGA detector (dga_detect.h): when a client is flagged
 * and with what, repeats, lists either side of midnight, pairing queries
 * with responses for the NXDOMAIN share, and the fixed-size tables'
 * evictions. The names are downatool2's lists (tests/data) for 2020-01-01
 * and -02, and the generator's for 2019-12-31.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/dga_detect.h"

#define NS_PER_S 1000000000ULL
#define T_2020_01_01 (1577836800ULL * NS_PER_S) /* midnight UTC */
#define T_2020_01_02 (T_2020_01_01 + 86400ULL * NS_PER_S)
#define CLIENT 0x0a000105u   /* 10.0.1.5 */
#define RESOLVER 0x0a000001u /* 10.0.0.1 */
#define OTHER_RESOLVER 0x08080808u

static const char *const a_2020_01_01[] = {"fvqcih.net", "nwyoodof.com", "rhrcwu.com",
                                           "xoijndpn.net", "nuogwthm.com", "lnpbgcy.net"};
static const char *const b_2020_01_01[] = {"jqfgtmjl.ws", "wytetvzvfb.com", "zrbmw.info"};
static const char *const a_2020_01_02[] = {"rrdstvvy.com", "ltyvro.info", "zqicbp.org"};
static const char *const b_2020_01_02[] = {"agostkro.ws", "rzzjsvlk.net", "zbgwdvc.biz"};
static const char *const a_2019_12_31[] = {"yenmyfsxrn.com", "pttvb.info"};

/* Reports the detector made, kept for the asserts. */
struct reports {
    int count;
    struct ww_dga_report last;
};

static void keep_report(void *ctx, const struct ww_dga_report *r)
{
    struct reports *reports = ctx;
    reports->count++;
    reports->last = *r;
}

struct fixture {
    struct ww_dga_detect *d;
    struct reports reports;
};

static void setup_with(struct fixture *f, uint32_t min_names, uint32_t max_clients)
{
    memset(f, 0, sizeof *f);
    struct ww_dga_detect_config cfg = {.min_names = min_names, .max_clients = max_clients};
    f->d = ww_dga_detect_new(&cfg, keep_report, &f->reports);
    assert_non_null(f->d);
}

static void message(struct ww_dns_message *msg, const char *name, uint16_t id, bool response,
                    uint8_t rcode)
{
    memset(msg, 0, sizeof *msg);
    msg->id = id;
    msg->response = response;
    msg->rcode = rcode;
    msg->qdcount = 1;
    msg->has_question = true;
    snprintf(msg->qname, sizeof msg->qname, "%s", name);
    msg->qname_len = strlen(name);
    msg->qtype = 1;
    msg->qclass = 1;
}

static void query(struct fixture *f, uint64_t ts, uint32_t client, uint32_t resolver,
                  const char *name, uint16_t id)
{
    struct ww_dns_message msg;
    message(&msg, name, id, false, 0);
    ww_dga_detect_message(f->d, ts, client, resolver, &msg, false);
}

static void answer(struct fixture *f, uint64_t ts, uint32_t client, uint32_t resolver,
                   const char *name, uint16_t id, uint8_t rcode)
{
    struct ww_dns_message msg;
    message(&msg, name, id, true, rcode);
    ww_dga_detect_message(f->d, ts, client, resolver, &msg, true);
}

static const struct ww_dga_detect_stats *stats(const struct fixture *f)
{
    return ww_dga_detect_stats(f->d);
}

static void test_three_names_flag_once(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_01 + 3600 * NS_PER_S;
    query(&f, t, CLIENT, RESOLVER, "fvqcih.net", 1);
    query(&f, t + 1, CLIENT, RESOLVER, "nwyoodof.com", 2);
    assert_int_equal(f.reports.count, 0);
    query(&f, t + 2, CLIENT, RESOLVER, "RHRCWU.com", 3);
    assert_int_equal(f.reports.count, 1);
    const struct ww_dga_report *r = &f.reports.last;
    assert_int_equal(r->variant, WW_DGA_A);
    assert_int_equal(r->list_date.year, 2020);
    assert_int_equal(r->list_date.month, 1);
    assert_int_equal(r->list_date.day, 1);
    assert_int_equal(r->client, CLIENT);
    assert_int_equal(r->resolver, RESOLVER);
    assert_int_equal(r->ts_ns, t + 2);
    assert_int_equal(r->first_seen_ns, t);
    assert_int_equal(r->distinct, 3);
    assert_int_equal(r->answered, 0);
    assert_int_equal(r->nxdomain, 0);
    assert_true(r->nxdomain_share == 0.0);
    assert_int_equal(r->sample_count, 3);
    assert_string_equal(r->samples[0], "fvqcih.net");
    assert_string_equal(r->samples[1], "nwyoodof.com");
    assert_string_equal(r->samples[2], "rhrcwu.com");
    /* more names of the same list: still one report */
    for (int i = 3; i < 6; i++)
        query(&f, t + 10, CLIENT, RESOLVER, a_2020_01_01[i], (uint16_t)(10 + i));
    assert_int_equal(f.reports.count, 1);
    assert_int_equal(stats(&f)->reports, 1);
    assert_int_equal(stats(&f)->matches, 6);
    assert_int_equal(stats(&f)->clients, 1);
    ww_dga_detect_free(f.d);
}

static void test_one_name_never_flags(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 2, 16);
    uint64_t t = T_2020_01_01 + 60 * NS_PER_S;
    for (int i = 0; i < 10; i++) {
        query(&f, t + (uint64_t)i, CLIENT, RESOLVER, "fvqcih.net", (uint16_t)i);
        answer(&f, t + (uint64_t)i + 1, CLIENT, RESOLVER, "fvqcih.net", (uint16_t)i, 0);
    }
    assert_int_equal(f.reports.count, 0);
    assert_int_equal(stats(&f)->matches, 20);
    assert_int_equal(stats(&f)->paired, 10);
    /* a second name reaches a threshold of two */
    query(&f, t + 100, CLIENT, RESOLVER, "nwyoodof.com", 99);
    assert_int_equal(f.reports.count, 1);
    assert_int_equal(f.reports.last.distinct, 2);
    assert_int_equal(f.reports.last.answered, 1);
    ww_dga_detect_free(f.d);
}

static void test_same_name_ten_times_counts_once(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_01 + 60 * NS_PER_S;
    for (int i = 0; i < 10; i++)
        query(&f, t, CLIENT, RESOLVER, "fvqcih.net", (uint16_t)i);
    query(&f, t, CLIENT, RESOLVER, "nwyoodof.com", 20);
    assert_int_equal(f.reports.count, 0);
    query(&f, t, CLIENT, RESOLVER, "rhrcwu.com", 21);
    assert_int_equal(f.reports.count, 1);
    assert_int_equal(f.reports.last.distinct, 3);
    assert_int_equal(f.reports.last.sample_count, 3);
    ww_dga_detect_free(f.d);
}

static void test_yesterdays_list_after_midnight(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_02 + 30 * NS_PER_S; /* 2020-01-02 00:00:30 */
    for (int i = 0; i < 3; i++)
        query(&f, t + (uint64_t)i, CLIENT, RESOLVER, a_2020_01_01[i], (uint16_t)i);
    assert_int_equal(f.reports.count, 1);
    assert_int_equal(f.reports.last.list_date.day, 1);
    /* and tomorrow's, from a host whose clock is ahead, on the evening before */
    struct fixture g;
    setup_with(&g, 3, 16);
    uint64_t evening = T_2020_01_01 + 23 * 3600 * NS_PER_S;
    for (int i = 0; i < 3; i++)
        query(&g, evening, CLIENT, RESOLVER, b_2020_01_02[i], (uint16_t)i);
    assert_int_equal(g.reports.count, 1);
    assert_int_equal(g.reports.last.variant, WW_DGA_B);
    assert_int_equal(g.reports.last.list_date.day, 2);
    ww_dga_detect_free(f.d);
    ww_dga_detect_free(g.d);
}

/* Names from different lists do not add up: each (variant, day) counts alone. */
static void test_lists_count_apart(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_02 + 60 * NS_PER_S;
    query(&f, t, CLIENT, RESOLVER, a_2020_01_01[0], 1);
    query(&f, t, CLIENT, RESOLVER, a_2020_01_01[1], 2);
    query(&f, t, CLIENT, RESOLVER, a_2020_01_02[0], 3);
    query(&f, t, CLIENT, RESOLVER, b_2020_01_02[0], 4);
    query(&f, t, CLIENT, RESOLVER, b_2020_01_02[1], 5);
    assert_int_equal(f.reports.count, 0);
    /* a name two days old is on no list the set holds */
    query(&f, t, CLIENT, RESOLVER, a_2019_12_31[0], 6);
    assert_int_equal(stats(&f)->matches, 5);
    /* another client's names are its own */
    query(&f, t, CLIENT + 1, RESOLVER, a_2020_01_01[2], 7);
    assert_int_equal(f.reports.count, 0);
    query(&f, t, CLIENT, RESOLVER, a_2020_01_01[2], 8);
    assert_int_equal(f.reports.count, 1);
    assert_int_equal(f.reports.last.client, CLIENT);
    ww_dga_detect_free(f.d);
}

static void test_nxdomain_share_from_paired_answers(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_01 + 7200 * NS_PER_S;
    query(&f, t, CLIENT, RESOLVER, "fvqcih.net", 0x100);
    answer(&f, t + 1, CLIENT, RESOLVER, "fvqcih.net", 0x100, WW_DNS_RCODE_NXDOMAIN);
    query(&f, t + 2, CLIENT, RESOLVER, "nwyoodof.com", 0x101);
    answer(&f, t + 3, CLIENT, RESOLVER, "nwyoodof.com", 0x101, WW_DNS_RCODE_NXDOMAIN);
    query(&f, t + 4, CLIENT, RESOLVER, "rhrcwu.com", 0x102);
    assert_int_equal(f.reports.count, 1);
    assert_int_equal(f.reports.last.distinct, 3);
    assert_int_equal(f.reports.last.answered, 2);
    assert_int_equal(f.reports.last.nxdomain, 2);
    assert_true(f.reports.last.nxdomain_share == 1.0);
    assert_int_equal(stats(&f)->paired, 2);
    assert_int_equal(stats(&f)->unpaired_responses, 0);
    /* an answer from another resolver, or with another ID, is not the query's */
    answer(&f, t + 5, CLIENT, OTHER_RESOLVER, "rhrcwu.com", 0x102, 0);
    answer(&f, t + 6, CLIENT, RESOLVER, "rhrcwu.com", 0x999, 0);
    assert_int_equal(stats(&f)->unpaired_responses, 2);
    answer(&f, t + 7, CLIENT, RESOLVER, "rhrcwu.com", 0x102, 0);
    assert_int_equal(stats(&f)->paired, 3);
    ww_dga_detect_free(f.d);
}

/* A capture of the resolver's answers only: they are the lookups. */
static void test_responses_alone_count(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_01 + 60 * NS_PER_S;
    answer(&f, t, CLIENT, RESOLVER, "jqfgtmjl.ws", 1, WW_DNS_RCODE_NXDOMAIN);
    answer(&f, t + 1, CLIENT, RESOLVER, "wytetvzvfb.com", 2, WW_DNS_RCODE_NXDOMAIN);
    answer(&f, t + 2, CLIENT, RESOLVER, "zrbmw.info", 3, WW_DNS_RCODE_NOERROR);
    assert_int_equal(f.reports.count, 1);
    const struct ww_dga_report *r = &f.reports.last;
    assert_int_equal(r->variant, WW_DGA_B);
    assert_int_equal(r->distinct, 3);
    assert_int_equal(r->answered, 3);
    assert_int_equal(r->nxdomain, 2);
    assert_true(r->nxdomain_share > 0.6666 && r->nxdomain_share < 0.6667);
    assert_int_equal(stats(&f)->unpaired_responses, 3);
    ww_dga_detect_free(f.d);
}

static void test_client_table_full_evicts_oldest(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 2);
    uint64_t t = T_2020_01_01 + 60 * NS_PER_S;
    query(&f, t, CLIENT, RESOLVER, a_2020_01_01[0], 1);
    query(&f, t, CLIENT, RESOLVER, a_2020_01_01[1], 2);
    query(&f, t + 1, CLIENT + 1, RESOLVER, a_2020_01_01[0], 3);
    query(&f, t + 2, CLIENT + 2, RESOLVER, a_2020_01_01[0], 4); /* CLIENT is the oldest: out */
    assert_int_equal(stats(&f)->client_evictions, 1);
    /* CLIENT starts again from nothing, so its third name is its first */
    query(&f, t + 3, CLIENT, RESOLVER, a_2020_01_01[2], 5);
    assert_int_equal(f.reports.count, 0);
    assert_int_equal(stats(&f)->clients, 4);
    assert_int_equal(stats(&f)->client_evictions, 2);
    /* lookups of ordinary names never take a record */
    query(&f, t + 4, CLIENT + 9, RESOLVER, "example.com", 6);
    assert_int_equal(stats(&f)->clients, 4);
    ww_dga_detect_free(f.d);
}

static void test_lists_and_pending_queries_bounded(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 3, 16);
    uint64_t t = T_2020_01_02 + 60 * NS_PER_S; /* the set holds 01-01, 01-02, 01-03 */
    /* five lists for one client: four slots, the least recently used goes */
    query(&f, t, CLIENT, RESOLVER, a_2020_01_01[0], 1);
    query(&f, t + 1, CLIENT, RESOLVER, b_2020_01_01[0], 2);
    query(&f, t + 2, CLIENT, RESOLVER, a_2020_01_02[0], 3);
    query(&f, t + 3, CLIENT, RESOLVER, b_2020_01_02[0], 4);
    assert_int_equal(stats(&f)->list_evictions, 0);
    query(&f, t + 4, CLIENT, RESOLVER, "isscfhga.org", 5); /* A, 2020-01-03 */
    assert_int_equal(stats(&f)->list_evictions, 1);
    assert_int_equal(stats(&f)->pending_evictions, 0);
    /* eight queries wait at most; the ninth pushes the first out */
    for (int i = 1; i < 5; i++)
        query(&f, t + 5, CLIENT, RESOLVER, a_2020_01_02[i % 3], (uint16_t)(100 + i));
    assert_int_equal(stats(&f)->pending_evictions, 1);
    /* its answer then finds no query */
    answer(&f, t + 6, CLIENT, RESOLVER, a_2020_01_01[0], 1, WW_DNS_RCODE_NXDOMAIN);
    assert_int_equal(stats(&f)->unpaired_responses, 1);
    /* a retransmitted query (same ID) waits once */
    uint64_t before = stats(&f)->pending_evictions;
    query(&f, t + 7, CLIENT, RESOLVER, a_2020_01_02[0], 103);
    query(&f, t + 7, CLIENT, RESOLVER, a_2020_01_02[0], 103);
    assert_int_equal(stats(&f)->pending_evictions, before);
    ww_dga_detect_free(f.d);
}

static void test_skipped_messages(void **state)
{
    (void)state;
    struct fixture f;
    setup_with(&f, 2, 16);
    uint64_t t = T_2020_01_01 + 60 * NS_PER_S;
    struct ww_dns_message msg;
    message(&msg, "fvqcih.net", 1, false, 0);
    msg.qclass = 3; /* CHAOS */
    ww_dga_detect_message(f.d, t, CLIENT, RESOLVER, &msg, false);
    message(&msg, "fvqcih.net", 1, false, 0);
    msg.opcode = 2; /* STATUS */
    ww_dga_detect_message(f.d, t, CLIENT, RESOLVER, &msg, false);
    message(&msg, "fvqcih.net", 1, false, 0);
    msg.has_question = false;
    ww_dga_detect_message(f.d, t, CLIENT, RESOLVER, &msg, false);
    message(&msg, "nwyoodof.com", 2, true, 3); /* a response that came from the client's side */
    ww_dga_detect_message(f.d, t, CLIENT, RESOLVER, &msg, false);
    message(&msg, "nwyoodof.com", 2, false, 0); /* a query that came from port 53 */
    ww_dga_detect_message(f.d, t, CLIENT, RESOLVER, &msg, true);
    assert_int_equal(stats(&f)->messages, 5);
    assert_int_equal(stats(&f)->skipped, 3);
    assert_int_equal(stats(&f)->direction_mismatch, 2);
    assert_int_equal(stats(&f)->matches, 0);
    assert_int_equal(f.reports.count, 0);
    /* a trailing dot and capitals are the same name */
    query(&f, t, CLIENT, RESOLVER, "FVQCIH.NET.", 3);
    query(&f, t, CLIENT, RESOLVER, "fvqcih.net", 4);
    assert_int_equal(f.reports.count, 0);
    query(&f, t, CLIENT, RESOLVER, "NwYoodof.com.", 5);
    assert_int_equal(f.reports.count, 1);
    assert_string_equal(f.reports.last.samples[0], "fvqcih.net");
    assert_string_equal(f.reports.last.samples[1], "nwyoodof.com");
    ww_dga_detect_free(f.d);
}

static void test_configuration(void **state)
{
    (void)state;
    struct ww_dga_detect_config cfg;
    ww_dga_detect_config_default(&cfg);
    assert_int_equal(cfg.min_names, 3);
    assert_int_equal(cfg.max_clients, 1024);
    struct ww_dga_detect *d = ww_dga_detect_new(&cfg, NULL, NULL);
    assert_non_null(d);
    /* no callback: still counted */
    struct ww_dns_message msg;
    for (int i = 0; i < 3; i++) {
        message(&msg, a_2020_01_01[i], (uint16_t)i, false, 0);
        ww_dga_detect_message(d, T_2020_01_01, CLIENT, RESOLVER, &msg, false);
    }
    assert_int_equal(ww_dga_detect_stats(d)->reports, 1);
    assert_int_equal(ww_dga_detect_days_stats(d)->builds, 1);
    ww_dga_detect_free(d);
    ww_dga_detect_free(NULL);
    const struct ww_dga_detect_config bad[] = {
        {.min_names = 1, .max_clients = 16}, {.min_names = 0, .max_clients = 16},
        {.min_names = 251, .max_clients = 16}, {.min_names = 3, .max_clients = 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(ww_dga_detect_new(&bad[i], NULL, NULL));
    /* memory is fixed by the client count: under a kilobyte each */
    struct ww_dga_detect_config small = {.min_names = 3, .max_clients = 1024},
                                large = {.min_names = 3, .max_clients = 2048};
    size_t per_client = (ww_dga_detect_bytes(&large) - ww_dga_detect_bytes(&small)) / 1024;
    assert_in_range(per_client, 500, 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_names_flag_once),
        cmocka_unit_test(test_one_name_never_flags),
        cmocka_unit_test(test_same_name_ten_times_counts_once),
        cmocka_unit_test(test_yesterdays_list_after_midnight),
        cmocka_unit_test(test_lists_count_apart),
        cmocka_unit_test(test_nxdomain_share_from_paired_answers),
        cmocka_unit_test(test_responses_alone_count),
        cmocka_unit_test(test_client_table_full_evicts_oldest),
        cmocka_unit_test(test_lists_and_pending_queries_bounded),
        cmocka_unit_test(test_skipped_messages),
        cmocka_unit_test(test_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
