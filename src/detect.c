/*
 * Detector: lays out each source's record as one block per rule and judges
 * probe events against the rules.
 *
 * The block of a rule holds its counters and a small set of the most
 * recently counted distinct targets, at most `threshold` of them. That is
 * enough for an exact answer to "are there >= threshold distinct targets
 * in the window?": if there are, the newest `threshold` of them are in the
 * set. The window slides over the times outcomes were decided (a RST when it
 * arrives, an unanswered attempt at its deadline), which move forward with
 * packet time; probe times do not (a rejection overtakes an older probe that
 * is still waiting for its timeout). Each held target stores how many ms
 * before the newest decision it was decided, saturating at 49 days: small,
 * and free of wrap-around however long a source lives.
 */
#include "wormwatch/detect.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ULL

struct counted_target {
    uint32_t addr;
    uint32_t ms_before_newest; /* decided this long before newest_ms (saturating) */
};

struct rule_state {
    uint64_t first_seen_ns;
    uint64_t last_seen_ns;      /* newest attempt */
    uint64_t newest_ms;         /* newest decision among targets[], ms since the epoch */
    uint64_t last_alert_ns;
    uint32_t attempts, failed, accepted;
    uint8_t target_count;     /* used entries of targets[] */
    uint8_t alerted;          /* last_alert_ns is valid */
    uint8_t reserved[2];
    struct counted_target targets[]; /* rule->threshold entries */
};

struct ww_detector {
    const struct ww_ruleset *rules;
    size_t block_offset[WW_MAX_RULES]; /* where each rule's block starts in a record */
    struct ww_table *table;
    uint64_t clock_ns;                 /* newest packet time seen */
    ww_alert_sink sink;
    void *sink_ctx;
    struct ww_detect_stats stats;
};

static size_t block_size(const struct ww_rule *r)
{
    size_t n = sizeof(struct rule_state) + r->threshold * sizeof(struct counted_target);
    return (n + 7) & ~(size_t)7;
}

struct ww_detector *ww_detector_new(const struct ww_ruleset *rules, uint64_t table_memory,
                                    ww_alert_sink sink, void *sink_ctx)
{
    struct ww_detector *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->rules = rules;
    d->sink = sink;
    d->sink_ctx = sink_ctx;
    size_t record = 0;
    for (size_t i = 0; i < rules->rule_count; i++) {
        d->block_offset[i] = record;
        record += block_size(&rules->rule[i]);
    }
    d->table = ww_table_new(record, table_memory, rules->idle_timeout_ns);
    if (!d->table) {
        free(d);
        return NULL;
    }
    return d;
}

void ww_detector_free(struct ww_detector *d)
{
    if (!d)
        return;
    ww_table_free(d->table);
    free(d);
}

const struct ww_detect_stats *ww_detector_stats(const struct ww_detector *d)
{
    return &d->stats;
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
}

static struct rule_state *block_of(const struct ww_detector *d, void *record, size_t rule)
{
    return (struct rule_state *)(void *)((uint8_t *)record + d->block_offset[rule]);
}

static uint64_t to_ms(uint64_t ns)
{
    return ns / NS_PER_MS;
}

/* How long before `at_ms` the target was decided (negative: after it). */
static int64_t age_at(const struct rule_state *s, const struct counted_target *t, uint64_t at_ms)
{
    return (int64_t)at_ms - (int64_t)s->newest_ms + (int64_t)t->ms_before_newest;
}

/* Whether the target lies in the window (at - window, at]. */
static bool in_window(const struct rule_state *s, const struct ww_rule *r,
                      const struct counted_target *t, uint64_t at_ms)
{
    int64_t age = age_at(s, t, at_ms);
    return age >= 0 && age < (int64_t)(r->window_ns / NS_PER_MS);
}

static uint32_t add_saturating(uint32_t a, uint64_t b)
{
    return b >= UINT32_MAX - a ? UINT32_MAX : (uint32_t)(a + b);
}

/* A newer decision: every held target is now that much further back. */
static void advance_newest(struct rule_state *s, uint64_t decided_ms)
{
    if (s->target_count > 0 && decided_ms > s->newest_ms)
        for (size_t i = 0; i < s->target_count; i++)
            s->targets[i].ms_before_newest =
                add_saturating(s->targets[i].ms_before_newest, decided_ms - s->newest_ms);
    if (s->target_count == 0 || decided_ms > s->newest_ms)
        s->newest_ms = decided_ms;
}

/* Adds or refreshes `addr` in the set, pushing out the oldest when full. */
static void count_target(struct rule_state *s, const struct ww_rule *r, uint32_t addr,
                         uint64_t decided_ns)
{
    uint64_t decided_ms = to_ms(decided_ns);
    advance_newest(s, decided_ms);
    uint32_t before = add_saturating(0, s->newest_ms - decided_ms);
    size_t oldest = 0;
    for (size_t i = 0; i < s->target_count; i++) {
        if (s->targets[i].addr == addr) {
            if (before < s->targets[i].ms_before_newest)
                s->targets[i].ms_before_newest = before;
            return;
        }
        if (s->targets[i].ms_before_newest > s->targets[oldest].ms_before_newest)
            oldest = i;
    }
    size_t at = s->target_count < r->threshold ? s->target_count++ : oldest;
    s->targets[at] = (struct counted_target){addr, before};
}

static uint32_t targets_in_window(const struct rule_state *s, const struct ww_rule *r,
                                  uint64_t at_ns)
{
    uint32_t n = 0;
    for (size_t i = 0; i < s->target_count; i++)
        n += in_window(s, r, &s->targets[i], to_ms(at_ns));
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
static void collect_samples(const struct rule_state *s, const struct ww_rule *r, uint64_t at_ns,
                            struct ww_alert *a)
{
    bool taken[WW_MAX_THRESHOLD] = {false};
    while (a->sample_count < WW_ALERT_SAMPLES) {
        int best = -1;
        for (size_t i = 0; i < s->target_count; i++) {
            if (taken[i] || !in_window(s, r, &s->targets[i], to_ms(at_ns)))
                continue;
            if (best < 0 || s->targets[i].ms_before_newest < s->targets[best].ms_before_newest)
                best = (int)i;
        }
        if (best < 0)
            break;
        taken[best] = true;
        a->sample[a->sample_count++] = s->targets[best].addr;
    }
}

/* Judges the window ending at `decided_ns`; the alert carries the probe's time. */
static void judge(struct ww_detector *d, struct rule_state *s, const struct ww_rule *r,
                  const struct ww_probe *probe, uint64_t decided_ns)
{
    uint32_t count = targets_in_window(s, r, decided_ns);
    if (count < r->threshold || !failed_enough(s, r))
        return;
    if (s->alerted && probe->ts_ns >= s->last_alert_ns &&
        probe->ts_ns - s->last_alert_ns < r->suppress_ns) {
        d->stats.suppressed++;
        return;
    }
    if (s->alerted && probe->ts_ns < s->last_alert_ns) { /* out-of-order time: stay quiet */
        d->stats.suppressed++;
        return;
    }
    s->alerted = 1;
    s->last_alert_ns = probe->ts_ns;
    d->stats.alerts++;
    struct ww_alert a = {
        .rule = r, .ts_ns = probe->ts_ns, .probe = *probe, .targets = count,
        .attempts = s->attempts, .failed = s->failed, .accepted = s->accepted,
        .first_seen_ns = s->first_seen_ns, .last_seen_ns = s->last_seen_ns};
    collect_samples(s, r, decided_ns, &a);
    d->sink(d->sink_ctx, &a);
}

static void note_attempt(struct rule_state *s, const struct ww_probe *probe)
{
    if (s->attempts == 0 || probe->ts_ns < s->first_seen_ns)
        s->first_seen_ns = probe->ts_ns;
    if (probe->ts_ns > s->last_seen_ns)
        s->last_seen_ns = probe->ts_ns;
    if (s->attempts < UINT32_MAX)
        s->attempts++;
}

static void apply_event(struct ww_detector *d, struct rule_state *s, const struct ww_rule *r,
                        const struct ww_probe_event *ev)
{
    const struct ww_probe *probe = &ev->probe;
    bool counts;
    if (ev->kind == WW_PROBE_ATTEMPT) {
        note_attempt(s, probe);
        counts = r->count == WW_COUNT_ALL;
    } else if (ev->outcome == WW_OUTCOME_ACCEPTED) {
        s->accepted += s->accepted < UINT32_MAX;
        counts = false;
    } else {
        s->failed += s->failed < UINT32_MAX;
        counts = r->count == WW_COUNT_FAILED;
    }
    if (!counts)
        return;
    uint64_t decided_ns = ev->kind == WW_PROBE_RESULT ? ev->outcome_ts_ns : probe->ts_ns;
    count_target(s, r, probe->dst, decided_ns);
    judge(d, s, r, probe, decided_ns);
}

static bool rule_watches(const struct ww_rule *r, const struct ww_probe *probe)
{
    return r->proto == probe->proto && r->port == probe->dport;
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
    void *record = NULL;
    for (size_t i = 0; i < rules->rule_count; i++) {
        const struct ww_rule *r = &rules->rule[i];
        if (!rule_watches(r, probe))
            continue;
        if (!record) {
            bool created;
            record = ww_table_upsert(d->table, probe->src, d->clock_ns, &created);
        }
        apply_event(d, block_of(d, record, i), r, ev);
    }
}
