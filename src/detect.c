/*
 * Detector: lays out each source's record as one block per rule and judges
 * probe events against the rules.
 *
 * The block of a rule holds its counters and a small set of the most
 * recently counted distinct targets, at most `threshold` of them. That is
 * enough for an exact answer to "are there >= threshold distinct targets
 * in the window?": if there are, the newest `threshold` of them are in the
 * set. Probe times in the set are stored as 32-bit milliseconds compared by
 * signed difference, which is exact while the held targets span less than
 * 24 days; pruning to one window on every update keeps them far inside that.
 */
#include "wormwatch/detect.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ULL

struct counted_target {
    uint32_t addr;
    uint32_t probe_ms; /* probe time, ms since the epoch, mod 2^32 */
};

struct rule_state {
    uint64_t first_seen_ns;
    uint64_t last_seen_ns;      /* newest attempt */
    uint64_t newest_counted_ns; /* newest probe among targets[] */
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

static uint32_t to_ms(uint64_t ns)
{
    return (uint32_t)(ns / NS_PER_MS);
}

/* Signed age of a counted target relative to `now_ms` (negative: newer). */
static int64_t age_ms(uint32_t now_ms, uint32_t then_ms)
{
    return (int32_t)(now_ms - then_ms);
}

/* Drops the counted targets older than the window before `ref_ms`. */
static void prune_targets(struct rule_state *s, const struct ww_rule *r, uint32_t ref_ms)
{
    int64_t window_ms = (int64_t)(r->window_ns / NS_PER_MS);
    size_t kept = 0;
    for (size_t i = 0; i < s->target_count; i++)
        if (age_ms(ref_ms, s->targets[i].probe_ms) < window_ms)
            s->targets[kept++] = s->targets[i];
    s->target_count = (uint8_t)kept;
}

/*
 * Adds or refreshes `addr` in the set, pushing out the oldest when full.
 * Afterwards every held target is within one window of the newest, which is
 * what keeps the 32-bit millisecond arithmetic exact.
 */
static void count_target(struct rule_state *s, const struct ww_rule *r, uint32_t addr,
                         uint64_t probe_ns)
{
    if (probe_ns > s->newest_counted_ns && probe_ns - s->newest_counted_ns >= r->window_ns)
        s->target_count = 0; /* everything held is older than the window */
    if (probe_ns > s->newest_counted_ns)
        s->newest_counted_ns = probe_ns;
    prune_targets(s, r, to_ms(s->newest_counted_ns));

    uint32_t probe_ms = to_ms(probe_ns);
    size_t oldest = 0;
    for (size_t i = 0; i < s->target_count; i++) {
        if (s->targets[i].addr == addr) {
            if (age_ms(probe_ms, s->targets[i].probe_ms) > 0)
                s->targets[i].probe_ms = probe_ms;
            return;
        }
        if (age_ms(s->targets[i].probe_ms, s->targets[oldest].probe_ms) < 0)
            oldest = i;
    }
    size_t at = s->target_count < r->threshold ? s->target_count++ : oldest;
    s->targets[at] = (struct counted_target){addr, probe_ms};
}

static uint32_t targets_in_window(const struct rule_state *s, const struct ww_rule *r,
                                  uint64_t at_ns)
{
    uint32_t now_ms = to_ms(at_ns), n = 0;
    int64_t window_ms = (int64_t)(r->window_ns / NS_PER_MS);
    for (size_t i = 0; i < s->target_count; i++)
        if (age_ms(now_ms, s->targets[i].probe_ms) < window_ms)
            n++;
    return n;
}

static bool failed_enough(const struct rule_state *s, const struct ww_rule *r)
{
    if (r->count != WW_COUNT_FAILED || r->min_failed_fraction <= 0.0)
        return true;
    uint32_t decided = s->failed + s->accepted;
    return decided > 0 && (double)s->failed >= r->min_failed_fraction * (double)decided;
}

/* The counted targets in the window, newest first. */
static void collect_samples(const struct rule_state *s, const struct ww_rule *r, uint64_t at_ns,
                            struct ww_alert *a)
{
    uint32_t now_ms = to_ms(at_ns);
    int64_t window_ms = (int64_t)(r->window_ns / NS_PER_MS);
    bool taken[WW_MAX_THRESHOLD] = {false};
    while (a->sample_count < WW_ALERT_SAMPLES) {
        int best = -1;
        for (size_t i = 0; i < s->target_count; i++) {
            if (taken[i] || age_ms(now_ms, s->targets[i].probe_ms) >= window_ms)
                continue;
            if (best < 0 || age_ms(s->targets[i].probe_ms, s->targets[best].probe_ms) > 0)
                best = (int)i;
        }
        if (best < 0)
            break;
        taken[best] = true;
        a->sample[a->sample_count++] = s->targets[best].addr;
    }
}

static void judge(struct ww_detector *d, struct rule_state *s, const struct ww_rule *r,
                  const struct ww_probe *probe)
{
    uint32_t in_window = targets_in_window(s, r, probe->ts_ns);
    if (in_window < r->threshold || !failed_enough(s, r))
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
        .rule = r, .ts_ns = probe->ts_ns, .probe = *probe, .targets = in_window,
        .attempts = s->attempts, .failed = s->failed, .accepted = s->accepted,
        .first_seen_ns = s->first_seen_ns, .last_seen_ns = s->last_seen_ns};
    collect_samples(s, r, probe->ts_ns, &a);
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
    count_target(s, r, probe->dst, probe->ts_ns);
    judge(d, s, r, probe);
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
