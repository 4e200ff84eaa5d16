/*
 * Unit tests for the probe tracker (probe.h).
 *
 * Packets are ww_packet structs filled the way decode fills them (no bytes
 * needed); a sink records every event so each test can check the exact
 * sequence of attempts and outcomes, and when they became known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/probe.h"
#include "wormwatch/rules.h"
#include "test_key.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

#define T0 (1238414400ULL * NS_PER_SEC) /* 2009-03-30 12:00:00 */
#define TIMEOUT (5 * NS_PER_SEC)
#define SCANNER IP4(10, 0, 0, 5)
#define TARGET IP4(10, 0, 1, 9)
#define MAX_EVENTS 32

/* --- fixture: a tracker watching 445, 139 and NBNS, and what it emitted ------------ */

struct fixture {
    struct ww_prefix_list home_nets;
    struct ww_probe_tracker *tracker;
    struct ww_probe_event events[MAX_EVENTS];
    size_t count;
};

static struct fixture fx;

static void record_event(void *ctx, const struct ww_probe_event *event)
{
    struct fixture *f = ctx;
    assert_true(f->count < MAX_EVENTS);
    f->events[f->count++] = *event;
}

/* A tracker holding `capacity` attempts; `arp` also watches ARP requests. */
static void start_tracker(uint32_t capacity, bool arp, uint32_t hosts_capacity)
{
    struct ww_prefix home[] = {{IP4(10, 0, 0, 0), 0xFF000000u},
                               {IP4(192, 168, 1, 0), 0xFFFFFFC0u}}; /* /26: broadcast .63 */
    fx.home_nets.count = 2;
    memcpy(fx.home_nets.item, home, sizeof home);
    struct ww_probe_config cfg = {.tcp_ports = {445, 139}, .tcp_port_count = 2, .nbns = true,
                                  .arp = arp, .home_nets = &fx.home_nets, .timeout_ns = TIMEOUT,
                                  .capacity = capacity, .hosts_capacity = hosts_capacity};
    fx.tracker = ww_probe_tracker_new(&cfg, record_event, &fx);
    assert_non_null(fx.tracker);
}

static void start(uint32_t capacity)
{
    start_tracker(capacity, false, 64);
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ww_probe_tracker_free(fx.tracker);
    fx.tracker = NULL;
    return 0;
}

static const struct ww_probe_stats *stats(void)
{
    return ww_probe_stats(fx.tracker);
}

static void feed(const struct ww_packet *pkt)
{
    ww_probe_packet(fx.tracker, pkt);
}

/* --- packets as decode would deliver them ------------------------------------------------ */

static struct ww_packet tcp_packet(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                   uint8_t flags, uint64_t ts)
{
    return (struct ww_packet){.ts_ns = ts, .link = WW_LINK_ETHERNET, .ip_version = 4,
                              .src = src, .dst = dst, .ttl = 128, .df = true,
                              .proto = WW_IPPROTO_TCP, .has_l4 = true, .sport = sport,
                              .dport = dport, .tcp_flags = flags, .tcp_window = 64240};
}

static struct ww_packet syn_to(uint32_t dst, uint16_t dport, uint64_t ts)
{
    return tcp_packet(SCANNER, dst, 1025, dport, WW_TCP_SYN, ts);
}

/* The target's answer to `syn`: same 4-tuple reversed. */
static struct ww_packet answer_to(const struct ww_packet *syn, uint8_t flags, uint64_t ts)
{
    return tcp_packet(syn->dst, syn->src, syn->dport, syn->sport, flags, ts);
}

/* An ICMP port unreachable from the target, quoting `probe`. */
static struct ww_packet unreachable_for(const struct ww_packet *probe, uint64_t ts)
{
    struct ww_packet p = {.ts_ns = ts, .ip_version = 4, .src = probe->dst, .dst = probe->src,
                          .ttl = 64, .proto = WW_IPPROTO_ICMP, .has_l4 = true,
                          .has_icmp_quote = true};
    p.icmp_quote = (struct ww_icmp_quote){.type = 3, .code = 3, .src = probe->src,
                                          .dst = probe->dst, .proto = probe->proto,
                                          .sport = probe->sport, .dport = probe->dport};
    return p;
}

static struct ww_packet nbns_packet(uint32_t src, uint32_t dst, struct ww_nbns nbns, uint64_t ts)
{
    return (struct ww_packet){.ts_ns = ts, .ip_version = 4, .src = src, .dst = dst, .ttl = 128,
                              .proto = WW_IPPROTO_UDP, .has_l4 = true, .sport = 137,
                              .dport = 137, .has_nbns = true, .nbns = nbns};
}

static struct ww_packet nbstat_query_to(uint32_t dst, uint64_t ts)
{
    struct ww_nbns q = {.trn_id = 0x8001, .qdcount = 1, .qtype = WW_NBNS_QTYPE_NBSTAT};
    return nbns_packet(SCANNER, dst, q, ts);
}

static struct ww_packet nbns_answer_to(const struct ww_packet *query, uint64_t ts)
{
    struct ww_nbns a = {.trn_id = query->nbns.trn_id, .response = true};
    return nbns_packet(query->dst, query->src, a, ts);
}

/* --- checking events ------------------------------------------------------------------ */

static void assert_event_count(size_t n)
{
    if (fx.count != n)
        fail_msg("%zu events emitted, expected %zu", fx.count, n);
}

static void assert_probe_of(const struct ww_probe *p, const struct ww_packet *first)
{
    assert_int_equal(p->src, first->src);
    assert_int_equal(p->dst, first->dst);
    assert_int_equal(p->sport, first->sport);
    assert_int_equal(p->dport, first->dport);
    assert_int_equal(p->proto, first->proto);
    assert_int_equal(p->ts_ns, first->ts_ns);
}

static void assert_attempt(size_t i, const struct ww_packet *first)
{
    assert_true(i < fx.count);
    assert_int_equal(fx.events[i].kind, WW_PROBE_ATTEMPT);
    assert_probe_of(&fx.events[i].probe, first);
}

static void assert_result(size_t i, const struct ww_packet *first, enum ww_outcome outcome,
                          uint64_t outcome_ts)
{
    assert_true(i < fx.count);
    assert_int_equal(fx.events[i].kind, WW_PROBE_RESULT);
    assert_int_equal(fx.events[i].outcome, outcome);
    assert_int_equal(fx.events[i].outcome_ts_ns, outcome_ts);
    assert_probe_of(&fx.events[i].probe, first);
}

static void assert_nothing_counted(void)
{
    const struct ww_probe_stats *s = stats();
    assert_int_equal(s->tcp_attempts + s->nbns_attempts + s->retransmits + s->accepted +
                         s->rejected + s->rejected_icmp + s->unanswered + s->pending_evicted,
                     0);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);
}

/* --- ARP and live hosts ------------------------------------------------------------------ */

static struct ww_packet arp_packet(uint16_t op, uint32_t sender, uint32_t target, uint64_t ts)
{
    return (struct ww_packet){.ts_ns = ts, .link = WW_LINK_ETHERNET, .has_arp = true,
                              .arp = {.op = op, .sender = sender, .target = target}};
}

/* Only a request for a home address never seen live, left unanswered, is reported. */
static void test_arp_miss_reported_for_dark_address(void **state)
{
    (void)state;
    start_tracker(16, true, 64);
    const uint32_t dark = IP4(10, 0, 1, 77), live = IP4(10, 0, 1, 78), answering = IP4(10, 0, 1, 79);
    /* A host answering on a probed port is live; one only seen on the web is not known. */
    struct ww_packet from_live = syn_to(SCANNER, 50000, T0);
    from_live.src = live;
    from_live.sport = 445;
    from_live.tcp_flags = WW_TCP_SYN | WW_TCP_ACK;
    feed(&from_live);
    struct ww_packet web = syn_to(TARGET, 80, T0);
    web.src = dark;
    feed(&web);
    feed(&(struct ww_packet){0}); /* not IP, not ARP: ignored */
    struct ww_packet requests[] = {arp_packet(WW_ARP_REQUEST, SCANNER, dark, T0 + 1),
                                   arp_packet(WW_ARP_REQUEST, SCANNER, live, T0 + 2),
                                   arp_packet(WW_ARP_REQUEST, SCANNER, answering, T0 + 3),
                                   arp_packet(WW_ARP_REQUEST, SCANNER, dark, T0 + 1000)};
    for (size_t i = 0; i < 4; i++)
        feed(&requests[i]);
    struct ww_packet reply = arp_packet(WW_ARP_REPLY, answering, SCANNER, T0 + 4);
    feed(&reply);
    /* ARP never reports attempts; the dark address asked again was judged at
       once (its miss is the one event), not at the timeout. */
    assert_event_count(1);
    assert_int_equal(fx.events[0].outcome_ts_ns, T0 + 1000);
    assert_int_equal(stats()->arp_requests, 3);
    assert_int_equal(stats()->retransmits, 0); /* the repeated request is not a SYN retransmit */

    ww_probe_advance(fx.tracker, T0 + 1000 + TIMEOUT + 1);
    assert_event_count(1); /* and only once */
    const struct ww_probe_event *ev = &fx.events[0];
    assert_int_equal(ev->kind, WW_PROBE_RESULT);
    assert_int_equal(ev->outcome, WW_OUTCOME_UNANSWERED);
    assert_int_equal(ev->probe.proto, WW_PROTO_ARP);
    assert_int_equal(ev->probe.src, SCANNER);
    assert_int_equal(ev->probe.dst, dark);
    assert_int_equal(ev->probe.ts_ns, T0 + 1);
    assert_int_equal(stats()->arp_misses, 1);
    assert_int_equal(stats()->unanswered, 0); /* ARP is not counted among SYN outcomes */
    assert_int_equal(ww_probe_hosts_stats(fx.tracker)->live, 3); /* live, answering, scanner */
}

static void test_arp_gratuitous_probe_and_foreign_ignored(void **state)
{
    (void)state;
    start_tracker(16, true, 64);
    feed(&(struct ww_packet){.ts_ns = T0, .has_arp = true,
                             .arp = {.op = WW_ARP_REQUEST, .sender = SCANNER, .target = SCANNER}});
    feed(&(struct ww_packet){.ts_ns = T0, .has_arp = true,
                             .arp = {.op = WW_ARP_REQUEST, .sender = 0, .target = TARGET}});
    feed(&(struct ww_packet){.ts_ns = T0, .has_arp = true,
                             .arp = {.op = WW_ARP_REQUEST, .sender = SCANNER,
                                     .target = IP4(172, 16, 0, 9)}}); /* not a home net */
    assert_int_equal(stats()->arp_requests, 0);
    ww_probe_flush(fx.tracker);
    assert_event_count(0);
}

static void test_arp_not_tracked_unless_asked(void **state)
{
    (void)state;
    start_tracker(16, false, 64);
    struct ww_packet req = arp_packet(WW_ARP_REQUEST, SCANNER, IP4(10, 0, 1, 77), T0);
    feed(&req);
    ww_probe_flush(fx.tracker);
    assert_event_count(0);
    assert_int_equal(stats()->arp_requests, 0);
    assert_int_equal(ww_probe_hosts_stats(fx.tracker)->live, 1); /* the sender is still learned */
}

/*
 * The host table: home addresses only, bounded; when full the address
 * learned (or refreshed) longest ago goes, and comes back with its next packet.
 */
static void test_hosts_learned_and_bounded(void **state)
{
    (void)state;
    struct ww_prefix_list scope = {.item = {{IP4(10, 0, 0, 0), 0xFF000000u}}, .count = 1};
    struct ww_hosts *h = ww_hosts_new(2, &scope, &ww_test_key);
    assert_non_null(h);
    ww_hosts_saw(h, IP4(8, 8, 8, 8)); /* outside the scope */
    ww_hosts_saw(h, 0);
    ww_hosts_saw(h, IP4(10, 0, 0, 1));
    ww_hosts_saw(h, IP4(10, 0, 0, 2));
    ww_hosts_saw(h, IP4(10, 0, 0, 3)); /* full: .1, learned first, goes */
    assert_false(ww_hosts_is_live(h, IP4(8, 8, 8, 8)));
    assert_false(ww_hosts_is_live(h, IP4(10, 0, 0, 1)));
    assert_true(ww_hosts_is_live(h, IP4(10, 0, 0, 2)));
    assert_true(ww_hosts_is_live(h, IP4(10, 0, 0, 3)));
    ww_hosts_saw(h, IP4(10, 0, 0, 1)); /* its next packet brings it back; .2 goes */
    assert_true(ww_hosts_is_live(h, IP4(10, 0, 0, 1)));
    assert_false(ww_hosts_is_live(h, IP4(10, 0, 0, 2)));
    const struct ww_hosts_stats *st = ww_hosts_stats(h);
    assert_int_equal(st->live, 2);
    assert_int_equal(st->capacity, 2);
    assert_int_equal(st->learned, 4);
    assert_int_equal(st->evictions, 2);
    ww_hosts_free(h);
}

/* --- configuration ----------------------------------------------------------------------- */

static void test_config_from_default_rules(void **state)
{
    (void)state;
    static struct ww_ruleset rules;
    char err[256];
    assert_true(ww_rules_load_default(&rules, err, sizeof err));
    struct ww_probe_config cfg;
    ww_probe_config_from_rules(&rules, 1000, 1000, &ww_test_key, &cfg);
    assert_int_equal(cfg.tcp_port_count, 2);
    assert_int_equal(cfg.tcp_ports[0], 445);
    assert_int_equal(cfg.tcp_ports[1], 139);
    assert_true(cfg.nbns);
    assert_ptr_equal(cfg.home_nets, &rules.home_nets);
    assert_int_equal(cfg.timeout_ns, 5 * NS_PER_SEC);
    assert_int_equal(cfg.capacity, 1000);
    assert_int_equal(cfg.hosts_capacity, 1000);
    assert_true(cfg.arp); /* rule 1000004 takes ARP misses */
}

static void test_zero_capacity_refused(void **state)
{
    (void)state;
    struct ww_probe_config cfg = {.tcp_ports = {445}, .tcp_port_count = 1, .timeout_ns = TIMEOUT};
    assert_null(ww_probe_tracker_new(&cfg, record_event, &fx));
}

/* --- TCP outcomes ----------------------------------------------------------------------- */

static void test_syn_then_synack_is_accepted(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    assert_event_count(1);
    assert_attempt(0, &syn);
    assert_int_equal(fx.events[0].probe.retransmits, 0);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);

    struct ww_packet synack = answer_to(&syn, WW_TCP_SYN | WW_TCP_ACK, T0 + 2 * NS_PER_MS);
    feed(&synack);
    assert_event_count(2);
    assert_result(1, &syn, WW_OUTCOME_ACCEPTED, T0 + 2 * NS_PER_MS);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);
    assert_int_equal(stats()->tcp_attempts, 1);
    assert_int_equal(stats()->accepted, 1);
    assert_int_equal(stats()->rejected + stats()->unanswered, 0);

    /* The outcome is final: nothing more comes of this attempt. */
    ww_probe_flush(fx.tracker);
    assert_event_count(2);
}

static void test_syn_then_rst_is_rejected(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 139, T0);
    feed(&syn);
    struct ww_packet rst = answer_to(&syn, WW_TCP_RST | WW_TCP_ACK, T0 + NS_PER_MS);
    feed(&rst);
    assert_event_count(2);
    assert_attempt(0, &syn);
    assert_result(1, &syn, WW_OUTCOME_REJECTED, T0 + NS_PER_MS);
    assert_int_equal(stats()->rejected, 1);
    assert_int_equal(stats()->rejected_icmp, 0);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);
}

static void test_icmp_unreachable_rejects(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    struct ww_packet icmp = unreachable_for(&syn, T0 + 40 * NS_PER_MS);
    feed(&icmp);
    assert_event_count(2);
    assert_result(1, &syn, WW_OUTCOME_REJECTED, T0 + 40 * NS_PER_MS);
    assert_int_equal(stats()->rejected, 1);
    assert_int_equal(stats()->rejected_icmp, 1);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);
}

/* Unanswered exactly when the timeout has passed: at the deadline it may still be answered. */
static void test_unanswered_only_after_timeout(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    ww_probe_advance(fx.tracker, T0 + TIMEOUT - 1);
    ww_probe_advance(fx.tracker, T0 + TIMEOUT);
    assert_event_count(1);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);

    ww_probe_advance(fx.tracker, T0 + TIMEOUT + 1);
    assert_event_count(2);
    assert_result(1, &syn, WW_OUTCOME_UNANSWERED, T0 + TIMEOUT);
    assert_int_equal(stats()->unanswered, 1);

    /* Judged, it lingers one more timeout (probe.h), and is reported only once. */
    assert_int_equal(ww_probe_pending(fx.tracker), 1);
    ww_probe_advance(fx.tracker, T0 + 2 * TIMEOUT + 1);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);
    ww_probe_advance(fx.tracker, T0 + 2 * TIMEOUT + 2);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);
    ww_probe_flush(fx.tracker);
    assert_event_count(2);
    assert_int_equal(stats()->unanswered, 1);
}

static void test_answer_at_deadline_still_counts(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    struct ww_packet synack = answer_to(&syn, WW_TCP_SYN | WW_TCP_ACK, T0 + TIMEOUT);
    feed(&synack);
    assert_event_count(2);
    assert_result(1, &syn, WW_OUTCOME_ACCEPTED, T0 + TIMEOUT);

    /* One nanosecond later the attempt has already been judged unanswered. */
    struct ww_packet syn2 = syn_to(IP4(10, 0, 1, 10), 445, T0 + TIMEOUT);
    feed(&syn2);
    struct ww_packet late = answer_to(&syn2, WW_TCP_SYN | WW_TCP_ACK, T0 + 2 * TIMEOUT + 1);
    feed(&late);
    assert_event_count(4);
    assert_result(3, &syn2, WW_OUTCOME_UNANSWERED, T0 + 2 * TIMEOUT);
    assert_int_equal(stats()->accepted, 1);
    assert_int_equal(stats()->unanswered, 1);
    assert_int_equal(stats()->late_answers, 1);
}

/* After the judgment an answer or refusal is late: counted, never a second outcome. */
static void test_late_answers_after_judgment(void **state)
{
    (void)state;
    start(16);
    struct ww_packet a = syn_to(IP4(10, 0, 1, 1), 445, T0);
    struct ww_packet b = syn_to(IP4(10, 0, 1, 2), 445, T0);
    feed(&a);
    feed(&b);
    ww_probe_advance(fx.tracker, T0 + TIMEOUT + 1);
    assert_event_count(4);

    struct ww_packet rst = answer_to(&a, WW_TCP_RST | WW_TCP_ACK, T0 + TIMEOUT + 2);
    struct ww_packet icmp = unreachable_for(&b, T0 + TIMEOUT + 3);
    feed(&rst);
    feed(&icmp);
    assert_event_count(4);
    assert_int_equal(stats()->late_answers, 2);
    assert_int_equal(stats()->rejected, 0);
    assert_int_equal(stats()->rejected_icmp, 0);
    assert_int_equal(stats()->unanswered, 2);
    assert_int_equal(ww_probe_pending(fx.tracker), 0); /* settled: no longer held */
}

/*
 * Each retransmission comes within the timeout of the previous one: one
 * attempt, judged unanswered 5 s after the last SYN.
 */
static void test_retransmits_extend_deadline(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    struct ww_packet again = syn;
    again.ts_ns = T0 + 3 * NS_PER_SEC;
    feed(&again);
    again.ts_ns = T0 + 7 * NS_PER_SEC;
    feed(&again);
    assert_event_count(1);
    assert_int_equal(stats()->tcp_attempts, 1);
    assert_int_equal(stats()->retransmits, 2);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);

    ww_probe_advance(fx.tracker, T0 + TIMEOUT + 1); /* the first SYN's deadline has passed */
    ww_probe_advance(fx.tracker, T0 + 7 * NS_PER_SEC + TIMEOUT);
    assert_event_count(1);

    ww_probe_advance(fx.tracker, T0 + 7 * NS_PER_SEC + TIMEOUT + 1);
    assert_event_count(2);
    assert_result(1, &syn, WW_OUTCOME_UNANSWERED, T0 + 12 * NS_PER_SEC);
    assert_int_equal(fx.events[1].probe.retransmits, 2);
    assert_int_equal(fx.events[1].probe.ts_ns, T0); /* the first SYN's time */
}

/*
 * A SYN repeated after its attempt was judged, while it lingers, is still a
 * retransmission; once the lingering is over, the same 4-tuple is a new attempt.
 */
static void test_syn_after_judgment(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    struct ww_packet late = syn;
    late.ts_ns = T0 + TIMEOUT + 1;
    feed(&late);
    assert_event_count(2);
    assert_result(1, &syn, WW_OUTCOME_UNANSWERED, T0 + TIMEOUT);
    assert_int_equal(stats()->tcp_attempts, 1);
    assert_int_equal(stats()->retransmits, 1);

    /* The late SYN restarted the lingering: it ends a timeout after it. */
    struct ww_packet again = syn;
    again.ts_ns = late.ts_ns + TIMEOUT + 1;
    feed(&again);
    assert_event_count(3);
    assert_attempt(2, &again);
    assert_int_equal(fx.events[2].probe.retransmits, 0);
    assert_int_equal(stats()->tcp_attempts, 2);
    assert_int_equal(stats()->unanswered, 1);
}

/*
 * Windows XP retransmits a SYN after 3 s and again 6 s later, which is more
 * than the default attempt_timeout: with the default rules that must still
 * be one attempt with two retransmissions, and one failure.
 */
static void test_default_rules_fold_xp_retransmits(void **state)
{
    (void)state;
    static struct ww_ruleset rules;
    char err[256];
    assert_true(ww_rules_load_default(&rules, err, sizeof err));
    struct ww_probe_config cfg;
    ww_probe_config_from_rules(&rules, 16, 16, &ww_test_key, &cfg);
    fx.tracker = ww_probe_tracker_new(&cfg, record_event, &fx);
    assert_non_null(fx.tracker);

    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    struct ww_packet again = syn;
    again.ts_ns = T0 + 3 * NS_PER_SEC;
    feed(&again);
    again.ts_ns = T0 + 9 * NS_PER_SEC;
    feed(&again);
    ww_probe_flush(fx.tracker);

    assert_int_equal(stats()->tcp_attempts, 1);
    assert_int_equal(stats()->retransmits, 2);
    assert_int_equal(stats()->unanswered, 1);
    assert_event_count(2);
    /* Judged attempt_timeout after the last SYN it had seen (the one at 3 s). */
    assert_result(1, &syn, WW_OUTCOME_UNANSWERED, T0 + 3 * NS_PER_SEC + rules.attempt_timeout_ns);
    assert_int_equal(fx.events[1].probe.retransmits, 1);
}

/* --- what is not an attempt or not an answer ----------------------------------------------- */

static void test_answers_without_pending_ignored(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0); /* never fed */
    struct ww_packet synack = answer_to(&syn, WW_TCP_SYN | WW_TCP_ACK, T0);
    struct ww_packet rst = answer_to(&syn, WW_TCP_RST, T0);
    struct ww_packet icmp = unreachable_for(&syn, T0);
    feed(&synack);
    feed(&rst);
    feed(&icmp);
    assert_event_count(0);
    assert_nothing_counted();
}

/* An answer must match the attempt's exact 4-tuple. */
static void test_answer_for_other_tuple_ignored(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 445, T0);
    feed(&syn);
    struct ww_packet other_port = syn;
    other_port.sport = 1026;
    struct ww_packet synack = answer_to(&other_port, WW_TCP_SYN | WW_TCP_ACK, T0 + 1);
    feed(&synack);
    struct ww_packet other_host = syn;
    other_host.dst = IP4(10, 0, 1, 10);
    struct ww_packet rst = answer_to(&other_host, WW_TCP_RST, T0 + 2);
    feed(&rst);
    /* The scanner's own RST is not the target refusing. */
    struct ww_packet own_rst = syn;
    own_rst.tcp_flags = WW_TCP_RST;
    feed(&own_rst);
    assert_event_count(1);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);
    assert_int_equal(stats()->accepted + stats()->rejected, 0);
}

static void test_syn_to_unwatched_port_ignored(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn = syn_to(TARGET, 80, T0);
    feed(&syn);
    struct ww_packet synack = answer_to(&syn, WW_TCP_SYN | WW_TCP_ACK, T0 + 1);
    feed(&synack);
    assert_event_count(0);
    assert_nothing_counted();
}

/* Only a bare SYN (no ACK, no RST) opens an attempt. */
static void test_only_bare_syn_is_attempt(void **state)
{
    (void)state;
    start(16);
    const uint8_t not_attempts[] = {WW_TCP_SYN | WW_TCP_ACK, WW_TCP_SYN | WW_TCP_RST, WW_TCP_ACK,
                                    WW_TCP_PSH | WW_TCP_ACK, WW_TCP_FIN};
    for (size_t i = 0; i < sizeof not_attempts; i++) {
        struct ww_packet p = tcp_packet(SCANNER, TARGET, 1025, 445, not_attempts[i], T0);
        feed(&p);
    }
    assert_event_count(0);
    assert_nothing_counted();
}

static void test_syn_to_group_destination_ignored(void **state)
{
    (void)state;
    start(16);
    const uint32_t group[] = {IP4(255, 255, 255, 255), IP4(10, 1, 2, 255), IP4(224, 0, 0, 252),
                              IP4(239, 1, 2, 3), IP4(192, 168, 1, 63)};
    for (size_t i = 0; i < sizeof group / sizeof group[0]; i++) {
        struct ww_packet syn = syn_to(group[i], 445, T0);
        feed(&syn);
    }
    struct ww_packet l2 = syn_to(TARGET, 445, T0);
    l2.l2_group = true; /* Ethernet broadcast to a unicast IP */
    feed(&l2);
    assert_event_count(0);
    assert_nothing_counted();

    /* .63 is only a broadcast inside its /26: a host of a /24 elsewhere is probed. */
    struct ww_packet host = syn_to(IP4(192, 168, 2, 63), 445, T0);
    feed(&host);
    assert_event_count(1);
}

static void test_non_ipv4_and_fragments_ignored(void **state)
{
    (void)state;
    start(16);
    struct ww_packet v6 = syn_to(TARGET, 445, T0);
    v6.ip_version = 6;
    feed(&v6);
    struct ww_packet frag = syn_to(TARGET, 445, T0);
    frag.has_l4 = false;
    frag.later_fragment = true;
    feed(&frag);
    assert_event_count(0);
    assert_nothing_counted();
}

/* --- NBNS ------------------------------------------------------------------------------ */

static void test_nbns_unicast_query_answered(void **state)
{
    (void)state;
    start(16);
    struct ww_packet q = nbstat_query_to(TARGET, T0);
    feed(&q);
    assert_event_count(1);
    assert_attempt(0, &q);
    assert_int_equal(fx.events[0].probe.proto, WW_IPPROTO_UDP);
    assert_int_equal(fx.events[0].probe.shape.window, 0);
    assert_int_equal(fx.events[0].probe.shape.ttl, 128);
    assert_int_equal(stats()->nbns_attempts, 1);
    assert_int_equal(stats()->tcp_attempts, 0);

    struct ww_packet a = nbns_answer_to(&q, T0 + 3 * NS_PER_MS);
    feed(&a);
    assert_event_count(2);
    assert_result(1, &q, WW_OUTCOME_ACCEPTED, T0 + 3 * NS_PER_MS);
    assert_int_equal(stats()->accepted, 1);
    assert_int_equal(stats()->nbns_broadcast, 0);
}

static void test_nbns_unicast_query_unanswered(void **state)
{
    (void)state;
    start(16);
    struct ww_packet q = nbstat_query_to(TARGET, T0);
    q.nbns.qtype = WW_NBNS_QTYPE_NB; /* a name query probes as well */
    feed(&q);
    struct ww_packet repeat = q;
    repeat.ts_ns = T0 + 1500 * NS_PER_MS;
    feed(&repeat);
    assert_int_equal(stats()->retransmits, 1);
    ww_probe_advance(fx.tracker, repeat.ts_ns + TIMEOUT + 1);
    assert_event_count(2);
    assert_result(1, &q, WW_OUTCOME_UNANSWERED, repeat.ts_ns + TIMEOUT);
    assert_int_equal(fx.events[1].probe.retransmits, 1);
}

static void test_nbns_broadcast_queries_are_chatter(void **state)
{
    (void)state;
    start(16);
    struct ww_packet l2 = nbstat_query_to(TARGET, T0);
    l2.l2_group = true;
    feed(&l2);
    const uint32_t broadcast[] = {IP4(10, 0, 0, 255), IP4(172, 20, 3, 255),
                                  IP4(255, 255, 255, 255), IP4(192, 168, 1, 63),
                                  IP4(224, 0, 0, 1)};
    for (size_t i = 0; i < sizeof broadcast / sizeof broadcast[0]; i++) {
        struct ww_packet q = nbstat_query_to(broadcast[i], T0);
        feed(&q);
    }
    assert_event_count(0);
    assert_int_equal(stats()->nbns_broadcast, 6);
    assert_int_equal(stats()->nbns_attempts, 0);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);
}

/* The destination decides: nbtscan sets the B flag on its unicast queries,
   and a query to one host's address and MAC probes that host. */
static void test_nbns_b_flag_to_one_host_is_a_probe(void **state)
{
    (void)state;
    start(16);
    struct ww_packet flagged = nbstat_query_to(TARGET, T0);
    flagged.nbns.broadcast = true;
    feed(&flagged);
    assert_event_count(1);
    assert_int_equal(fx.events[0].kind, WW_PROBE_ATTEMPT);
    assert_int_equal(stats()->nbns_broadcast, 0);
    assert_int_equal(stats()->nbns_attempts, 1);
}

static void test_nbns_non_queries_not_probes(void **state)
{
    (void)state;
    start(16);
    struct ww_packet reg = nbstat_query_to(TARGET, T0); /* to a WINS server */
    reg.nbns.opcode = 5;
    reg.nbns.qtype = WW_NBNS_QTYPE_NB;
    feed(&reg);
    struct ww_packet other_type = nbstat_query_to(TARGET, T0);
    other_type.nbns.qtype = 0x0001; /* not NB or NBSTAT */
    feed(&other_type);
    struct ww_packet no_question = nbstat_query_to(TARGET, T0);
    no_question.nbns.qdcount = 0;
    feed(&no_question);
    struct ww_packet stray_answer = nbns_answer_to(&reg, T0);
    feed(&stray_answer);
    assert_event_count(0);
    assert_nothing_counted();
    assert_int_equal(stats()->nbns_broadcast, 0);
}

/* Only a response answers a query: the target's own traffic from 137 does not. */
static void test_nbns_only_responses_answer(void **state)
{
    (void)state;
    start(16);
    struct ww_packet q = nbstat_query_to(TARGET, T0);
    feed(&q);
    struct ww_packet registration = nbns_answer_to(&q, T0 + 1);
    registration.nbns.response = false;
    registration.nbns.opcode = 5;
    registration.nbns.qdcount = 1;
    registration.nbns.qtype = WW_NBNS_QTYPE_NB;
    feed(&registration);
    assert_event_count(1);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);
    assert_int_equal(stats()->accepted, 0);

    struct ww_packet a = nbns_answer_to(&q, T0 + 2);
    feed(&a);
    assert_event_count(2);
    assert_result(1, &q, WW_OUTCOME_ACCEPTED, T0 + 2);
}

static void test_nbns_ignored_when_not_watched(void **state)
{
    (void)state;
    struct ww_probe_config cfg = {.tcp_ports = {445}, .tcp_port_count = 1, .nbns = false,
                                  .timeout_ns = TIMEOUT, .capacity = 4};
    fx.tracker = ww_probe_tracker_new(&cfg, record_event, &fx);
    assert_non_null(fx.tracker);
    struct ww_packet q = nbstat_query_to(TARGET, T0);
    feed(&q);
    assert_event_count(0);
    assert_nothing_counted();
}

/* --- table bounds, flush and time -------------------------------------------------------- */

static void test_full_table_evicts_oldest_as_unanswered(void **state)
{
    (void)state;
    start(2);
    struct ww_packet a = syn_to(IP4(10, 0, 1, 1), 445, T0);
    struct ww_packet b = syn_to(IP4(10, 0, 1, 2), 445, T0 + 1 * NS_PER_MS);
    struct ww_packet a_again = a;
    a_again.ts_ns = T0 + 2 * NS_PER_MS; /* a retransmission makes `a` the newest */
    struct ww_packet c = syn_to(IP4(10, 0, 1, 3), 445, T0 + 3 * NS_PER_MS);
    feed(&a);
    feed(&b);
    feed(&a_again);
    feed(&c);

    assert_event_count(4);
    assert_attempt(0, &a);
    assert_attempt(1, &b);
    assert_result(2, &b, WW_OUTCOME_UNANSWERED, c.ts_ns); /* room is made before c is added */
    assert_attempt(3, &c);
    assert_int_equal(stats()->pending_evicted, 1);
    assert_int_equal(stats()->unanswered, 1);
    assert_int_equal(ww_probe_pending(fx.tracker), 2);

    /* The survivors still get their own outcomes. */
    struct ww_packet synack = answer_to(&a, WW_TCP_SYN | WW_TCP_ACK, T0 + 4 * NS_PER_MS);
    feed(&synack);
    assert_result(4, &a, WW_OUTCOME_ACCEPTED, T0 + 4 * NS_PER_MS);
}

/*
 * A judged attempt that lingers is bookkeeping: dropping it for room judges
 * nothing, so it is not "pushed out of a full table (counted as unanswered)".
 */
static void test_dropping_judged_attempt_is_not_an_eviction(void **state)
{
    (void)state;
    start(1);
    struct ww_packet a = syn_to(IP4(10, 0, 1, 1), 445, T0);
    feed(&a);
    ww_probe_advance(fx.tracker, T0 + TIMEOUT + 1);
    struct ww_packet b = syn_to(IP4(10, 0, 1, 2), 445, T0 + TIMEOUT + 2);
    feed(&b);
    assert_event_count(3);
    assert_result(1, &a, WW_OUTCOME_UNANSWERED, T0 + TIMEOUT);
    assert_attempt(2, &b);
    assert_int_equal(stats()->unanswered, 1);
    assert_int_equal(stats()->pending_evicted, 0);
    assert_int_equal(ww_probe_pending(fx.tracker), 1);
}

static void test_flush_makes_pending_unanswered(void **state)
{
    (void)state;
    start(16);
    struct ww_packet syn[3];
    for (int i = 0; i < 3; i++) {
        syn[i] = syn_to(IP4(10, 0, 1, 1 + i), 445, T0 + (uint64_t)i * NS_PER_SEC);
        feed(&syn[i]);
    }
    ww_probe_flush(fx.tracker);
    assert_event_count(6);
    for (int i = 0; i < 3; i++)
        assert_result(3 + (size_t)i, &syn[i], WW_OUTCOME_UNANSWERED,
                      syn[i].ts_ns + TIMEOUT);
    assert_int_equal(stats()->unanswered, 3);
    assert_int_equal(stats()->pending_evicted, 0);
    assert_int_equal(ww_probe_pending(fx.tracker), 0);

    ww_probe_flush(fx.tracker);
    assert_event_count(6);
}

/*
 * A packet stamped earlier than one already seen (stitched captures) does not
 * move the clock back: its deadline runs from the newest time seen, and
 * advancing to an older time expires nothing new.
 */
static void test_clock_never_runs_backwards(void **state)
{
    (void)state;
    start(16);
    struct ww_packet late = syn_to(IP4(10, 0, 1, 1), 445, T0 + 10 * NS_PER_SEC);
    struct ww_packet early = syn_to(IP4(10, 0, 1, 2), 445, T0 + 2 * NS_PER_SEC);
    feed(&late);
    feed(&early);
    assert_event_count(2);
    assert_attempt(1, &early); /* its own packet time is kept in the probe */

    ww_probe_advance(fx.tracker, T0 + 8 * NS_PER_SEC); /* past early's own ts + timeout */
    ww_probe_advance(fx.tracker, T0 + 15 * NS_PER_SEC);
    assert_event_count(2);

    ww_probe_advance(fx.tracker, T0 + 15 * NS_PER_SEC + 1);
    assert_event_count(4);
    assert_result(2, &late, WW_OUTCOME_UNANSWERED, T0 + 15 * NS_PER_SEC);
    assert_result(3, &early, WW_OUTCOME_UNANSWERED, T0 + 15 * NS_PER_SEC);
}

/* --- the shape of the first SYN --------------------------------------------------------- */

static const struct ww_syn_shape *shape_of_syn(const uint8_t *options, uint8_t len)
{
    struct ww_packet syn = syn_to(IP4(10, 0, 1, (uint8_t)(fx.count + 1)), 445, T0);
    syn.ttl = 64;
    syn.df = true;
    syn.tcp_window = 29200;
    syn.tcp_options = options;
    syn.tcp_options_len = len;
    syn.vlan_outer = 42;
    size_t before = fx.count;
    feed(&syn);
    assert_event_count(before + 1);
    assert_int_equal(fx.events[before].probe.vlan, 42);
    return &fx.events[before].probe.shape;
}

static void assert_option_kinds(const struct ww_syn_shape *s, const uint8_t *kinds, uint8_t n)
{
    assert_int_equal(s->option_count, n);
    assert_memory_equal(s->option_kinds, kinds, n);
}

static void test_syn_shape_recorded(void **state)
{
    (void)state;
    start(16);
    /* Linux: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
    const uint8_t linux_opts[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
                                  0, 0, 0, 0, 1, 3, 3, 7};
    const struct ww_syn_shape *s = shape_of_syn(linux_opts, sizeof linux_opts);
    assert_int_equal(s->ttl, 64);
    assert_true(s->df);
    assert_int_equal(s->window, 29200);
    assert_int_equal(s->mss, 1460);
    const uint8_t linux_kinds[] = {WW_TCPOPT_MSS, WW_TCPOPT_SACK_PERM, WW_TCPOPT_TIMESTAMP,
                                   WW_TCPOPT_NOP, WW_TCPOPT_WSCALE};
    assert_option_kinds(s, linux_kinds, sizeof linux_kinds);

    /* No options at all. */
    s = shape_of_syn(NULL, 0);
    assert_int_equal(s->mss, 0);
    assert_int_equal(s->option_count, 0);
    assert_int_equal(s->window, 29200);
}

static void test_syn_shape_odd_options(void **state)
{
    (void)state;
    start(16);
    /* EOL ends the list: what follows it is padding. */
    const uint8_t eol[] = {1, 0, 2, 4, 0x05, 0xb4};
    const struct ww_syn_shape *s = shape_of_syn(eol, sizeof eol);
    const uint8_t eol_kinds[] = {WW_TCPOPT_NOP, WW_TCPOPT_EOL};
    assert_option_kinds(s, eol_kinds, sizeof eol_kinds);
    assert_int_equal(s->mss, 0);

    /* At most WW_SYN_MAX_OPTIONS kinds are kept. */
    const uint8_t nops[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    s = shape_of_syn(nops, sizeof nops);
    assert_int_equal(s->option_count, WW_SYN_MAX_OPTIONS);

    /* An option whose length runs past the end stops the walk; no MSS is invented. */
    const uint8_t cut[] = {3, 3, 2, 2, 4, 0x05};
    s = shape_of_syn(cut, sizeof cut);
    const uint8_t cut_kinds[] = {WW_TCPOPT_WSCALE, WW_TCPOPT_MSS};
    assert_option_kinds(s, cut_kinds, sizeof cut_kinds);
    assert_int_equal(s->mss, 0);

    /* An MSS option is 4 bytes long; one of another length is not believed. */
    const uint8_t long_mss[] = {2, 6, 0x05, 0xb4, 0, 0};
    s = shape_of_syn(long_mss, sizeof long_mss);
    assert_int_equal(s->option_count, 1);
    assert_int_equal(s->mss, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_arp_miss_reported_for_dark_address),
        T(test_arp_gratuitous_probe_and_foreign_ignored),
        T(test_arp_not_tracked_unless_asked),
        T(test_hosts_learned_and_bounded),
        T(test_config_from_default_rules),
        T(test_zero_capacity_refused),
        T(test_syn_then_synack_is_accepted),
        T(test_syn_then_rst_is_rejected),
        T(test_icmp_unreachable_rejects),
        T(test_unanswered_only_after_timeout),
        T(test_answer_at_deadline_still_counts),
        T(test_retransmits_extend_deadline),
        T(test_late_answers_after_judgment),
        T(test_syn_after_judgment),
        T(test_default_rules_fold_xp_retransmits),
        T(test_answers_without_pending_ignored),
        T(test_answer_for_other_tuple_ignored),
        T(test_syn_to_unwatched_port_ignored),
        T(test_only_bare_syn_is_attempt),
        T(test_syn_to_group_destination_ignored),
        T(test_non_ipv4_and_fragments_ignored),
        T(test_nbns_unicast_query_answered),
        T(test_nbns_unicast_query_unanswered),
        T(test_nbns_broadcast_queries_are_chatter),
        T(test_nbns_b_flag_to_one_host_is_a_probe),
        T(test_nbns_non_queries_not_probes),
        T(test_nbns_only_responses_answer),
        T(test_nbns_ignored_when_not_watched),
        T(test_full_table_evicts_oldest_as_unanswered),
        T(test_dropping_judged_attempt_is_not_an_eviction),
        T(test_flush_makes_pending_unanswered),
        T(test_clock_never_runs_backwards),
        T(test_syn_shape_recorded),
        T(test_syn_shape_odd_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
