/*
 * Detect: per-source evidence from probe events, and the decision to alert.
 *
 * For each rule a source keeps its attempt counters and the most recent
 * distinct targets that count towards the rule (failed ones, or all), each
 * with the time of its probe. A rule tips when at least `threshold` of those
 * targets fall inside the sliding window ending at the probe being judged,
 * and (for failure-counting rules) enough of the source's attempts failed.
 * One alert per (source, rule) per suppression interval. Detect never formats
 * output; alerts leave through a callback.
 */
#ifndef WW_DETECT_H
#define WW_DETECT_H

#include <stdint.h>

#include "wormwatch/probe.h"
#include "wormwatch/rules.h"
#include "wormwatch/table.h"

#define WW_ALERT_SAMPLES 10

struct ww_alert {
    const struct ww_rule *rule;
    uint64_t ts_ns;          /* packet time of the probe that tipped the rule */
    struct ww_probe probe;   /* that probe */
    uint32_t targets;        /* distinct counted targets in the window */
    uint32_t attempts;       /* the source's attempts on the rule's port */
    uint32_t failed;         /* of which rejected or unanswered */
    uint32_t accepted;       /* of which accepted or answered */
    uint64_t first_seen_ns;  /* first attempt of this source on the port */
    uint64_t last_seen_ns;   /* newest attempt */
    uint32_t sample_count;
    uint32_t sample[WW_ALERT_SAMPLES]; /* counted targets, newest first */
};

typedef void (*ww_alert_sink)(void *ctx, const struct ww_alert *alert);

struct ww_detect_stats {
    uint64_t events;           /* probe events judged */
    uint64_t ignored_sources;  /* events from never_flag sources */
    uint64_t ignored_targets;  /* events to ignore_targets */
    uint64_t alerts;
    uint64_t suppressed;       /* tipped again inside the suppression interval */
};

struct ww_detector;

/* Budget in bytes for the per-source table. NULL if memory is short. */
struct ww_detector *ww_detector_new(const struct ww_ruleset *rules, uint64_t table_memory,
                                    ww_alert_sink sink, void *sink_ctx);
void ww_detector_free(struct ww_detector *det);

void ww_detector_event(struct ww_detector *det, const struct ww_probe_event *event);
/* Moves packet time forward: forgets idle sources. */
void ww_detector_advance(struct ww_detector *det, uint64_t now_ns);

const struct ww_detect_stats *ww_detector_stats(const struct ww_detector *det);
const struct ww_table_stats *ww_detector_table_stats(const struct ww_detector *det);

#endif
