/*
 * Detector: lays out each source's record and judges probe events against
 * the rules.
 *
 * A record is the source's Conficker evidence, its contact ring, then one
 * block per rule: a common header (counters, suppression) and the rule
 * type's state.
 *
 * A count rule's state is a small set of the most recently counted distinct
 * targets, at most `threshold` of them. That is enough for an exact answer
 * to "are there >= threshold distinct targets in the window?": if there are,
 * the newest `threshold` of them are in the set. The window slides over the
 * times outcomes were decided (a RST when it arrives, an unanswered attempt
 * at its deadline), which move forward with packet time; probe times do not
 * (a rejection overtakes an older probe that is still waiting for its
 * timeout). Each held target stores how many ms before the newest decision
 * it was decided, saturating at 49 days: small, and free of wrap-around
 * however long a source lives.
 *
 * A source's first contact does not get a record: it waits in a small
 * probation table (one 24-byte newcomer, 60 bytes with its index share:
 * the contact, its outcome, and how often it was retried), and only a
 * second distinct target promotes it, replaying what it kept into the new
 * record (the SYN's shape survives as its stack class, the VLAN id not).
 * A contact is a (target, port): a Windows client trying 445 and 139 on
 * one server is promoted too, at the cost of a record. A flood of spoofed
 * sources, one SYN each, churns the probation table and never touches the
 * records of real scanners; when the record table itself is full, the
 * least-evidenced of its 8 oldest records goes. A flood aimed at one
 * server does not even churn it: its newcomers there are not kept (the
 * flood watch, sender.h). Each record also holds a sender block (its SYNs'
 * TTL, whether it retransmitted), and during a flood a TCP rule's alert
 * waits for that sign of one real sender, or for flood_failures failures.
 *
 * A sequential rule's state is its random walk (walk.h). Which attempt is
 * a first contact, and what a second port of the same host says, comes from
 * the source's contact ring (contacts.h), one per record and shared by the
 * rules: a host is one contact whatever SMB ports the source tries on it.
 */
#include "wormwatch/detect.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/hash.h"
#include "wormwatch/sender.h"
#include "wormwatch/walk.h"

#define NS_PER_MS 1000000ULL

struct counted_target {
    uint32_t addr;
    uint32_t ms_before_newest; /* decided this long before newest_ms (saturating) */
};

/* Common to every rule's block. */
struct rule_state {
    uint64_t first_seen_ns;
    uint64_t last_seen_ns;      /* newest attempt */
    uint64_t last_alert_ns;
    uint32_t attempts, failed, accepted;
    uint8_t alerted;            /* last_alert_ns is valid */
    uint8_t reserved[3];
};

/* A count rule's state, after the common header. */
struct count_state {
    uint64_t newest_ms;         /* newest decision among targets[], ms since the epoch */
    uint32_t target_count;      /* used entries of targets[] */
    uint32_t reserved;
    struct counted_target targets[]; /* rule->threshold entries */
};

/* A source seen once: its first contact, waiting for a second target. */
struct newcomer {
    uint64_t ts_ns;             /* the first contact's probe time */
    uint32_t target;
    uint16_t decided_after_ms;  /* outcome time - probe time (saturating) */
    uint16_t sport, dport;
    uint8_t repeats;            /* later attempts to the same target (saturating) */
    uint8_t repeat_failures;    /* ... of which failed */
    uint8_t repeat_accepts;     /* ... of which accepted */
    uint8_t proto;
    uint8_t outcome;            /* NEWCOMER_WAITING or an enum ww_outcome + 1 */
    uint8_t stack;              /* enum ww_stack of its SYN */
};

#define NEWCOMER_WAITING 0
#define EVICTION_SAMPLE 8
#define FLOOD_EVICTION_SAMPLE 4 /* newcomers read per eviction while a flood's shape is known */

struct ww_detector {
    const struct ww_ruleset *rules;
    size_t block_offset[WW_MAX_RULES]; /* where each rule's block starts in a record */
    size_t sender_offset;              /* where the sender record starts (sender.h) */
    struct ww_flood_watch flood;       /* new sources a second, and the flood's victim */
    struct ww_table *table;            /* sources seen at two targets or more */
    struct ww_table *probation;        /* sources seen at one target */
    struct ww_hash_key key;            /* keys both tables and the evidence sketches */
    uint64_t clock_ns;                 /* newest packet time seen */
    ww_alert_sink sink;
    void *sink_ctx;
    struct ww_detect_stats stats;
    struct ww_walk_stats walk_stats;   /* the walks' counters, copied into stats */
    struct ww_walk_env walk_envs[WW_MAX_RULES]; /* each sequential rule's steps and bounds */
};

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t block_size(const struct ww_rule *r)
{
    size_t specific = r->type == WW_RULE_SEQUENTIAL
                          ? sizeof(struct ww_walk)
                          : sizeof(struct count_state) + r->threshold * sizeof(struct counted_target);
    return round8(sizeof(struct rule_state) + specific);
}

static struct rule_state *block_of(const struct ww_detector *d, void *record, size_t rule);
static void *promote(struct ww_detector *d, uint32_t src, uint32_t hash, const struct newcomer *n);

/* How much evidence a record holds: failures weigh most (for eviction). */
static uint32_t evidence_score(const void *record, const void *ctx)
{
    const struct ww_detector *d = ctx;
    uint64_t score = 0;
    for (size_t i = 0; i < d->rules->rule_count; i++) {
        const struct rule_state *s = block_of(d, (void *)record, i);
        score += 4ULL * s->failed + s->attempts;
    }
    return score > UINT32_MAX ? UINT32_MAX : (uint32_t)score;
}

/* Raises a sequential rule's alert; the walks call it (walk.h). */
static void walk_tipped(void *ctx, const struct ww_walk *w, const struct ww_walk_contact *tipping);

/* Newcomers shaped like a flood's SYNs go first from a full probation table (sender.h). */
static uint32_t newcomer_score(const void *record, const void *ctx)
{
    const struct ww_detector *d = ctx;
    const struct newcomer *n = record;
    return !ww_flood_shaped(&d->flood, n->stack, d->clock_ns);
}

struct ww_detector *ww_detector_new(const struct ww_ruleset *rules, uint64_t table_memory,
                                    const struct ww_hash_key *key, ww_alert_sink sink,
                                    void *sink_ctx)
{
    struct ww_detector *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->rules = rules;
    d->key = *key;
    d->sink = sink;
    d->sink_ctx = sink_ctx;
    size_t record = round8(sizeof(struct ww_evidence)) + round8(sizeof(struct ww_contacts));
    d->sender_offset = record;
    record += round8(sizeof(struct ww_sender));
    ww_flood_init(&d->flood, rules->flood_sources, &d->stats.flood);
    for (size_t i = 0; i < rules->rule_count; i++) {
        const struct ww_rule *r = &rules->rule[i];
        ww_walk_env_init(&d->walk_envs[i], r->theta0, r->theta1, r->detection, r->false_alarm,
                         walk_tipped, NULL, &d->walk_stats);
        d->block_offset[i] = record;
        record += block_size(&rules->rule[i]);
    }
    uint64_t probation_memory = table_memory / WW_PROBATION_MEMORY_SHARE;
    d->table = ww_table_new(record, table_memory - probation_memory, rules->idle_timeout_ns);
    d->probation = ww_table_new(sizeof(struct newcomer), probation_memory, rules->idle_timeout_ns);
    if (!d->table || !d->probation) {
        ww_detector_free(d);
        return NULL;
    }
    ww_table_set_eviction(d->table, evidence_score, d, EVICTION_SAMPLE);
    ww_table_set_eviction(d->probation, newcomer_score, d, 1);
    return d;
}

void ww_detector_free(struct ww_detector *d)
{
    if (!d)
        return;
    ww_table_free(d->table);
    ww_table_free(d->probation);
    free(d);
}

const struct ww_detect_stats *ww_detector_stats(const struct ww_detector *d)
{
    return &d->stats;
}

const struct ww_evidence *ww_detector_evidence(struct ww_detector *d, uint32_t src)
{
    return ww_table_find(d->table, src, (uint32_t)ww_hash_u32(&d->key, src));
}

const struct ww_table_stats *ww_detector_table_stats(const struct ww_detector *d)
{
    return ww_table_stats(d->table);
}

void ww_detector_advance(struct ww_detector *d, uint64_t now_ns)
{
    if (now_ns > d->clock_ns)
        d->clock_ns = now_ns;
    ww_table_expire(d->table, d->clock_ns);
    ww_table_expire(d->probation, d->clock_ns);
}

const struct ww_table_stats *ww_detector_probation_stats(const struct ww_detector *d)
{
    return ww_table_stats(d->probation);
}

static struct ww_evidence *evidence_of(void *record)
{
    return record;
}

static struct ww_sender *sender_of(const struct ww_detector *d, void *record)
{
    return (struct ww_sender *)(void *)((uint8_t *)record + d->sender_offset);
}

/*
 * During a flood, an alert of a TCP rule needs a sign of one real sender
 * (sender.h); held otherwise, until the next failure judges again.
 */
static bool sender_vouched(struct ww_detector *d, void *record, const struct ww_rule *r,
                           uint32_t failures)
{
    if (r->proto != WW_IPPROTO_TCP ||
        ww_sender_vouched(sender_of(d, record), failures, d->rules->flood_failures))
        return true;
    d->stats.flood.held++;
    return false;
}

static struct rule_state *block_of(const struct ww_detector *d, void *record, size_t rule)
{
    return (struct rule_state *)(void *)((uint8_t *)record + d->block_offset[rule]);
}

static struct count_state *count_of(struct rule_state *s)
{
    return (struct count_state *)(void *)(s + 1);
}

static struct ww_contacts *contacts_of(void *record)
{
    return (struct ww_contacts *)(void *)((uint8_t *)record + round8(sizeof(struct ww_evidence)));
}

static struct ww_walk *walk_of(struct rule_state *s)
{
    return (struct ww_walk *)(void *)(s + 1);
}

/* --- raising an alert (both rule types) ----------------------------------- */

/* Suppression: false if this (source, rule) alerted too recently. */
static bool may_alert(struct ww_detector *d, struct rule_state *s, const struct ww_rule *r,
                      uint64_t ts_ns)
{
    bool too_soon = s->alerted && (ts_ns < s->last_alert_ns || /* out-of-order time: stay quiet */
                                   ts_ns - s->last_alert_ns < r->suppress_ns);
    if (too_soon) {
        d->stats.suppressed++;
        return false;
    }
    s->alerted = 1;
    s->last_alert_ns = ts_ns;
    d->stats.alerts++;
    return true;
}

static void fill_alert(const struct ww_detector *d, void *record, const struct rule_state *s,
                       const struct ww_rule *r, const struct ww_probe *probe, struct ww_alert *a)
{
    memset(a, 0, sizeof *a);
    a->rule = r;
    a->ts_ns = probe->ts_ns;
    a->probe = *probe;
    a->attempts = s->attempts;
    a->failed = s->failed;
    a->accepted = s->accepted;
    a->first_seen_ns = s->first_seen_ns;
    a->last_seen_ns = s->last_seen_ns;
    ww_verdict_judge(evidence_of(record), &d->rules->conficker, &a->verdict);
}

/* --- count rules ---------------------------------------------------------- */

static uint64_t to_ms(uint64_t ns)
{
    return ns / NS_PER_MS;
}

/* How long before `at_ms` the target was decided (negative: after it). */
static int64_t age_at(const struct count_state *c, const struct counted_target *t, uint64_t at_ms)
{
    return (int64_t)at_ms - (int64_t)c->newest_ms + (int64_t)t->ms_before_newest;
}

/* Whether the target lies in the window (at - window, at]. */
static bool in_window(const struct count_state *c, const struct ww_rule *r,
                      const struct counted_target *t, uint64_t at_ms)
{
    int64_t age = age_at(c, t, at_ms);
    return age >= 0 && age < (int64_t)(r->window_ns / NS_PER_MS);
}

static uint32_t add_saturating(uint32_t a, uint64_t b)
{
    return b >= UINT32_MAX - a ? UINT32_MAX : (uint32_t)(a + b);
}

/* A newer decision: every held target is now that much further back. */
static void advance_newest(struct count_state *c, uint64_t decided_ms)
{
    if (c->target_count > 0 && decided_ms > c->newest_ms)
        for (size_t i = 0; i < c->target_count; i++)
            c->targets[i].ms_before_newest =
                add_saturating(c->targets[i].ms_before_newest, decided_ms - c->newest_ms);
    if (c->target_count == 0 || decided_ms > c->newest_ms)
        c->newest_ms = decided_ms;
}

/* Adds or refreshes `addr` in the set, pushing out the oldest when full. */
static void count_target(struct count_state *c, const struct ww_rule *r, uint32_t addr,
                         uint64_t decided_ns)
{
    uint64_t decided_ms = to_ms(decided_ns);
    advance_newest(c, decided_ms);
    uint32_t before = add_saturating(0, c->newest_ms - decided_ms);
    size_t oldest = 0;
    for (size_t i = 0; i < c->target_count; i++) {
        if (c->targets[i].addr == addr) {
            if (before < c->targets[i].ms_before_newest)
                c->targets[i].ms_before_newest = before;
            return;
        }
        if (c->targets[i].ms_before_newest > c->targets[oldest].ms_before_newest)
            oldest = i;
    }
    size_t at = c->target_count < r->threshold ? c->target_count++ : oldest;
    c->targets[at] = (struct counted_target){addr, before};
}

static uint32_t targets_in_window(const struct count_state *c, const struct ww_rule *r,
                                  uint64_t at_ns)
{
    uint32_t n = 0;
    for (size_t i = 0; i < c->target_count; i++)
        n += in_window(c, r, &c->targets[i], to_ms(at_ns));
    return n;
}

static bool failed_enough(const struct rule_state *s, const struct ww_rule *r)
{
    if (r->count != WW_COUNT_FAILED || r->min_failed_fraction <= 0.0)
        return true;
    uint32_t decided = s->failed + s->accepted;
    return decided > 0 && (double)s->failed >= r->min_failed_fraction * (double)decided;
}

/* The counted targets in the window, newest decision first. */
static void collect_samples(const struct count_state *c, const struct ww_rule *r, uint64_t at_ns,
                            struct ww_alert *a)
{
    bool taken[WW_MAX_THRESHOLD] = {false};
    while (a->sample_count < WW_ALERT_SAMPLES) {
        int best = -1;
        for (size_t i = 0; i < c->target_count; i++) {
            if (taken[i] || !in_window(c, r, &c->targets[i], to_ms(at_ns)))
                continue;
            if (best < 0 || c->targets[i].ms_before_newest < c->targets[best].ms_before_newest)
                best = (int)i;
        }
        if (best < 0)
            break;
        taken[best] = true;
        a->sample[a->sample_count++] = c->targets[best].addr;
    }
}

/* Counts the target and judges the window ending at its decision. */
static void count_rule(struct ww_detector *d, void *record, struct rule_state *s,
                       const struct ww_rule *r, const struct ww_probe *probe, uint64_t decided_ns)
{
    struct count_state *c = count_of(s);
    count_target(c, r, probe->dst, decided_ns);
    uint32_t count = targets_in_window(c, r, decided_ns);
    if (count < r->threshold || !failed_enough(s, r) || !sender_vouched(d, record, r, count) ||
        !may_alert(d, s, r, probe->ts_ns))
        return;
    struct ww_alert a;
    fill_alert(d, record, s, r, probe, &a);
    a.targets = count;
    collect_samples(c, r, decided_ns, &a);
    d->sink(d->sink_ctx, &a);
}

/* --- sequential rules (threshold random walk) -------------------------------- */

/* What a walk's tip needs to raise its alert. */
struct tip_ctx {
    struct ww_detector *d;
    void *record;
    struct rule_state *s;
    const struct ww_rule *r;
    const struct ww_probe *like; /* the event that moved the walk */
};

/* The probe a first contact was, for the alert; the event that decided it
   may be another kind of contact (an ARP miss, or a TCP result). */
static struct ww_probe contact_probe(const struct ww_probe *like, const struct ww_walk_contact *c)
{
    struct ww_probe p = *like;
    p.dst = c->target;
    p.sport = c->sport;
    p.ts_ns = c->ts_ns;
    p.proto = c->proto;
    p.dport = c->proto == WW_PROTO_ARP ? 0 : c->dport;
    return p;
}

static void walk_tipped(void *ctx, const struct ww_walk *w, const struct ww_walk_contact *tipping)
{
    struct tip_ctx *t = ctx;
    struct ww_probe probe = contact_probe(t->like, tipping);
    if (!sender_vouched(t->d, t->record, t->r, w->failed_contacts) ||
        !may_alert(t->d, t->s, t->r, probe.ts_ns))
        return;
    struct ww_alert a;
    fill_alert(t->d, t->record, t->s, t->r, &probe, &a);
    a.targets = w->failed_contacts;
    a.llr = w->llr;
    a.first_contacts = w->first_contacts;
    a.walk_failures = w->failed_contacts;
    for (uint32_t i = 0; i < w->sample_count && a.sample_count < WW_ALERT_SAMPLES; i++)
        a.sample[a.sample_count++] =
            w->sample[(w->sample_next + WW_WALK_SAMPLES - 1 - i) % WW_WALK_SAMPLES];
    t->d->sink(t->d->sink_ctx, &a);
}

/* The steps and bounds are logarithms: taken once per rule, not per event. */
static void walk_env(struct ww_detector *d, const struct ww_rule *r, struct tip_ctx *ctx,
                     struct ww_walk_env *env)
{
    *env = d->walk_envs[r - d->rules->rule];
    env->ctx = ctx;
}

/* Another port's attempt on a host the rule's walk may hold. */
static void walk_other_port(struct ww_detector *d, void *record, struct rule_state *s,
                            const struct ww_rule *r, const struct ww_probe_event *ev,
                            enum ww_contact_kind kind)
{
    struct tip_ctx ctx = {d, record, s, r, &ev->probe};
    struct ww_walk_env env;
    walk_env(d, r, &ctx, &env);
    ww_walk_other_port(walk_of(s), &env, &ev->probe, kind);
    d->stats.walks_port_checks = d->walk_stats.port_checks;
}

/* A home source's SMB contact of a host outside the home networks: where
   no LAN client's servers are (walk.h). */
static bool leaves_home(const struct ww_detector *d, const struct ww_probe *probe)
{
    const struct ww_prefix_list *home = &d->rules->home_nets;
    return probe->proto == WW_IPPROTO_TCP && ww_prefix_list_contains(home, probe->src) &&
           !ww_prefix_list_contains(home, probe->dst);
}

/* One event for one sequential rule: an attempt of the given kind, or an outcome. */
static void walk_event(struct ww_detector *d, void *record, struct rule_state *s,
                       const struct ww_rule *r, const struct ww_probe_event *ev,
                       enum ww_contact_kind kind, bool dark)
{
    struct tip_ctx ctx = {d, record, s, r, &ev->probe};
    struct ww_walk_env env;
    walk_env(d, r, &ctx, &env);
    if (ev->probe.proto == WW_PROTO_ARP)
        ww_walk_arp_miss(walk_of(s), &env, &ev->probe);
    else if (ev->kind == WW_PROBE_ATTEMPT)
        ww_walk_attempt(walk_of(s), &env, &ev->probe, kind, dark, leaves_home(d, &ev->probe));
    else
        ww_walk_result(walk_of(s), &env, ev->probe.dst, ev->probe.dport, ev->outcome,
                       ev->by_icmp);
    d->stats.walks_benign = d->walk_stats.benign;
    d->stats.walks_forced = d->walk_stats.forced;
    d->stats.walks_half_failures = d->walk_stats.half_failures;
    d->stats.walks_port_checks = d->walk_stats.port_checks;
    d->stats.walks_outside_accepts = d->walk_stats.outside_accepts;
}

/* --- events ----------------------------------------------------------------- */

static void note_attempt(struct rule_state *s, const struct ww_probe *probe)
{
    if (s->attempts == 0 || probe->ts_ns < s->first_seen_ns)
        s->first_seen_ns = probe->ts_ns;
    if (probe->ts_ns > s->last_seen_ns)
        s->last_seen_ns = probe->ts_ns;
    if (s->attempts < UINT32_MAX)
        s->attempts++;
}

static void apply_event(struct ww_detector *d, void *record, struct rule_state *s,
                        const struct ww_rule *r, const struct ww_probe_event *ev,
                        enum ww_contact_kind kind, bool dark)
{
    const struct ww_probe *probe = &ev->probe;
    bool attempt = ev->kind == WW_PROBE_ATTEMPT;
    bool failed = !attempt && ev->outcome != WW_OUTCOME_ACCEPTED;
    if (attempt)
        note_attempt(s, probe);
    else if (failed)
        s->failed += s->failed < UINT32_MAX;
    else
        s->accepted += s->accepted < UINT32_MAX;

    if (r->type == WW_RULE_SEQUENTIAL) {
        walk_event(d, record, s, r, ev, kind, dark);
        return;
    }
    /* A name query to a host the source tried over SMB is the name of a
       peer it talks to (Windows looks them up by NBSTAT), not a sweep. */
    bool peer = probe->proto == WW_IPPROTO_UDP &&
                ww_contacts_first_port(contacts_of(record), probe->dst) >= 0;
    bool counts = (r->count == WW_COUNT_ALL ? attempt : failed) && !peer &&
                  (!r->home_targets || ww_prefix_list_contains(&d->rules->home_nets, probe->dst));
    if (counts)
        count_rule(d, record, s, r, probe, attempt ? probe->ts_ns : ev->outcome_ts_ns);
}

static bool rule_watches(const struct ww_rule *r, const struct ww_probe *probe)
{
    if (probe->proto == WW_PROTO_ARP)
        return r->arp_misses;
    return r->proto == probe->proto &&
           (r->port == probe->dport || (r->also_port && r->also_port == probe->dport));
}

/*
 * An unanswered ARP request for a dark home address: a failed first contact
 * for the sequential rules that take them, but only for a walk that already
 * holds a failure on the rule's own port. ARP alone never makes an SMB
 * verdict: a router resolving for forwarded traffic, or a host discovery
 * sweep by a client whose SMB sessions all succeed, is not a worm.
 */
static void arp_miss(struct ww_detector *d, const struct ww_probe_event *ev, uint32_t hash)
{
    void *record = ww_table_find(d->table, ev->probe.src, hash);
    if (!record) { /* a newcomer whose one contact did not succeed: the dark address is its second */
        struct newcomer *n = ww_table_find(d->probation, ev->probe.src, hash);
        if (!n || n->outcome == WW_OUTCOME_ACCEPTED + 1)
            return;
        record = promote(d, ev->probe.src, hash, n);
    }
    struct ww_evidence *evidence = evidence_of(record);
    evidence->arp_misses += evidence->arp_misses < UINT16_MAX;
    if (ww_contacts_attempt(contacts_of(record), ev->probe.dst, WW_CONTACT_ARP, ev->probe.ts_ns) !=
        WW_CONTACT_NEW)
        return; /* a host the source already tried: not a new dark address */
    for (size_t i = 0; i < d->rules->rule_count; i++) {
        const struct ww_rule *r = &d->rules->rule[i];
        if (rule_watches(r, &ev->probe))
            walk_event(d, record, block_of(d, record, i), r, ev, WW_CONTACT_NEW, true);
    }
}

static void gather_evidence(const struct ww_detector *d, void *record,
                            const struct ww_probe_event *ev)
{
    if (ev->kind == WW_PROBE_ATTEMPT)
        ww_evidence_attempt(evidence_of(record), &d->rules->conficker, &d->key, &ev->probe);
    else if (ev->outcome == WW_OUTCOME_REJECTED)
        ww_evidence_refused(evidence_of(record), &ev->probe, ev->outcome_ts_ns);
}

static bool is_dark_contact(const struct ww_detector *d, const struct ww_probe_event *ev)
{
    return ev->kind == WW_PROBE_ATTEMPT &&
           ww_prefix_list_contains(&d->rules->dark_nets, ev->probe.dst);
}

/* Evidence and every watching rule: the event of a source with a record. */
static void judge_event(struct ww_detector *d, void *record, const struct ww_probe_event *ev)
{
    const struct ww_probe *probe = &ev->probe;
    bool dark = is_dark_contact(d, ev);
    gather_evidence(d, record, ev);
    /* One look at the contact ring serves every rule. */
    enum ww_contact_port port = ww_contact_port_of(probe->proto, probe->dport);
    enum ww_contact_kind kind = WW_CONTACT_NEW;
    if (port == WW_CONTACT_OTHER)
        ; /* the ring holds SMB hosts only: name queries are judged apart */
    else if (ev->kind == WW_PROBE_ATTEMPT)
        kind = ww_contacts_attempt(contacts_of(record), probe->dst, port, probe->ts_ns);
    else
        ww_contacts_result(contacts_of(record), probe->dst, port,
                           ev->outcome == WW_OUTCOME_ACCEPTED ? WW_FATE_ACCEPTED
                           : ev->outcome == WW_OUTCOME_UNANSWERED || ev->by_icmp ? WW_FATE_SILENT
                                                                                 : WW_FATE_REFUSED,
                           ev->outcome_ts_ns);
    for (size_t i = 0; i < d->rules->rule_count; i++) {
        const struct ww_rule *r = &d->rules->rule[i];
        if (rule_watches(r, probe))
            apply_event(d, record, block_of(d, record, i), r, ev, kind, dark);
        else if (r->type == WW_RULE_SEQUENTIAL &&
                 (kind == WW_CONTACT_PAIRED || kind == WW_CONTACT_PORT_CHECK ||
                  kind == WW_CONTACT_SILENT_FALLBACK))
            walk_other_port(d, record, block_of(d, record, i), r, ev, kind);
    }
}

/* Replays a newcomer's first contact (and its outcome, if known) into its new record. */
static void replay_first_contact(struct ww_detector *d, void *record, uint32_t src,
                                 const struct newcomer *n)
{
    struct ww_probe_event ev = {
        .kind = WW_PROBE_ATTEMPT,
        .probe = {.src = src, .dst = n->target, .sport = n->sport, .dport = n->dport,
                  .proto = n->proto, .ts_ns = n->ts_ns,
                  .shape = ww_stack_example((enum ww_stack)n->stack)}};
    judge_event(d, record, &ev);
    if (n->outcome != NEWCOMER_WAITING) {
        struct ww_probe_event result = ev;
        result.kind = WW_PROBE_RESULT;
        result.outcome = (enum ww_outcome)(n->outcome - 1);
        result.outcome_ts_ns = n->ts_ns + (uint64_t)n->decided_after_ms * NS_PER_MS;
        judge_event(d, record, &result);
    }
    /* Retries of the same target: counted, never new targets. */
    for (uint8_t i = 0; i < n->repeats; i++)
        judge_event(d, record, &ev);
    struct ww_probe_event repeat = ev;
    repeat.kind = WW_PROBE_RESULT;
    repeat.outcome_ts_ns = ev.probe.ts_ns;
    repeat.outcome = WW_OUTCOME_REJECTED;
    for (uint8_t i = 0; i < n->repeat_failures; i++)
        judge_event(d, record, &repeat);
    repeat.outcome = WW_OUTCOME_ACCEPTED;
    for (uint8_t i = 0; i < n->repeat_accepts; i++)
        judge_event(d, record, &repeat);
}

static void remember_newcomer(struct ww_detector *d, const struct ww_probe *probe, uint32_t hash)
{
    bool created;
    /* Each newcomer sampled for eviction is a memory read: only while a flood's
       shape is known is there a better one to turn out than the oldest. */
    ww_table_set_eviction(d->probation, newcomer_score, d,
                          ww_flood_shape_known(&d->flood, d->clock_ns) ? FLOOD_EVICTION_SAMPLE : 1);
    struct newcomer *n = ww_table_upsert(d->probation, probe->src, hash, d->clock_ns, &created);
    *n = (struct newcomer){.ts_ns = probe->ts_ns, .target = probe->dst, .sport = probe->sport,
                           .dport = probe->dport, .proto = probe->proto,
                           .stack = probe->proto == WW_IPPROTO_TCP
                                        ? (uint8_t)ww_stack_of(&probe->shape)
                                        : (uint8_t)WW_STACK_UNKNOWN};
    d->stats.newcomers++;
}

static uint8_t inc8(uint8_t v)
{
    return v < UINT8_MAX ? (uint8_t)(v + 1) : v;
}

/* Another event about a newcomer's one target: its outcome, or a retry. */
static void note_newcomer_again(struct newcomer *n, const struct ww_probe_event *ev)
{
    if (ev->kind == WW_PROBE_ATTEMPT) {
        n->repeats = inc8(n->repeats);
    } else if (n->outcome == NEWCOMER_WAITING) {
        uint64_t after = (ev->outcome_ts_ns > n->ts_ns ? ev->outcome_ts_ns - n->ts_ns : 0) /
                         NS_PER_MS;
        n->outcome = (uint8_t)(ev->outcome + 1);
        n->decided_after_ms = (uint16_t)(after > UINT16_MAX ? UINT16_MAX : after);
    } else if (ev->outcome == WW_OUTCOME_ACCEPTED) {
        n->repeat_accepts = inc8(n->repeat_accepts);
    } else {
        n->repeat_failures = inc8(n->repeat_failures);
    }
}

/* Gives a newcomer its record, with what it did so far replayed into it. */
static void *promote(struct ww_detector *d, uint32_t src, uint32_t hash, const struct newcomer *n)
{
    struct newcomer first = *n;
    ww_table_remove(d->probation, src, hash);
    bool created;
    void *record = ww_table_upsert(d->table, src, hash, d->clock_ns, &created);
    d->stats.promotions++;
    if (first.proto == WW_IPPROTO_TCP)
        ww_sender_remember(sender_of(d, record), first.target, first.sport);
    replay_first_contact(d, record, src, &first);
    return record;
}

/*
 * The record of a source new to the record table, or NULL while it is on
 * probation (the event is kept there, or dropped if it says nothing new).
 */
static void *admit(struct ww_detector *d, const struct ww_probe_event *ev, uint32_t hash)
{
    const struct ww_probe *probe = &ev->probe;
    struct newcomer *n = ww_table_find(d->probation, probe->src, hash);
    if (!n) {
        if (ev->kind == WW_PROBE_ATTEMPT && !ww_flood_newcomer(&d->flood, probe))
            remember_newcomer(d, probe, hash);
        return NULL; /* else: an outcome for a newcomer already forgotten */
    }
    if (probe->dst == n->target && probe->dport == n->dport && probe->proto == n->proto) {
        note_newcomer_again(n, ev);
        return NULL;
    }
    return promote(d, probe->src, hash, n); /* a second contact: another target, or port */
}

void ww_detector_event(struct ww_detector *d, const struct ww_probe_event *ev)
{
    const struct ww_ruleset *rules = d->rules;
    const struct ww_probe *probe = &ev->probe;
    uint64_t when = ev->kind == WW_PROBE_RESULT ? ev->outcome_ts_ns : probe->ts_ns;
    ww_detector_advance(d, when);
    d->stats.events++;
    if (ww_prefix_list_contains(&rules->never_flag, probe->src)) {
        d->stats.ignored_sources++;
        return;
    }
    if (ww_prefix_list_contains(&rules->ignore_targets, probe->dst)) {
        d->stats.ignored_targets++;
        return;
    }
    /* One keyed hash of the source serves both tables. */
    uint32_t hash = (uint32_t)ww_hash_u32(&d->key, probe->src);
    if (probe->proto == WW_PROTO_ARP) {
        arp_miss(d, ev, hash);
        return;
    }
    bool watched = false;
    for (size_t i = 0; i < rules->rule_count && !watched; i++)
        watched = rule_watches(&rules->rule[i], probe);
    if (!watched)
        return;
    d->stats.dark_contacts += is_dark_contact(d, ev);
    void *record = ww_table_touch(d->table, probe->src, hash, d->clock_ns);
    if (!record && !(record = admit(d, ev, hash)))
        return;
    if (ev->kind == WW_PROBE_ATTEMPT)
        ww_sender_attempt(sender_of(d, record), probe, ww_flood_on(&d->flood, probe->ts_ns));
    else
        ww_sender_result(sender_of(d, record), ev);
    judge_event(d, record, ev);
}
