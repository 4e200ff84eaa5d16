/*
 * Detect: per-source evidence from probe events, and the decision to alert.
 *
 * Two kinds of rule judge a source:
 * - count: the most recent distinct targets that count (failed ones, or
 *   all) are kept with the times their outcomes were decided; the rule tips
 *   when `threshold` of them fall in the sliding window, and (for
 *   failure-counting rules) enough of the source's attempts failed.
 * - sequential: a threshold random walk (Jung et al., IEEE S&P 2004) over
 *   the outcomes of the source's FIRST contacts with each host, whatever SMB
 *   port it tries (walk.h, contacts.h): a failure (or any contact with a
 *   dark address) moves the log-likelihood ratio up, a success down; it tips
 *   as soon as it crosses ln(P_D / P_F), and a source that falls below
 *   ln((1 - P_D) / (1 - P_F)) is judged benign and starts over from there.
 * Every alert carries the Conficker verdict of the source (verdict.h). One
 * alert per (source, rule) per suppression interval. Detect never formats
 * output; alerts leave through a callback.
 */
#ifndef WW_DETECT_H
#define WW_DETECT_H

#include <stdint.h>

#include "wormwatch/probe.h"
#include "wormwatch/rules.h"
#include "wormwatch/sender.h"
#include "wormwatch/table.h"
#include "wormwatch/verdict.h"

#define WW_ALERT_SAMPLES 10
#define WW_PROBATION_MEMORY_SHARE 4 /* of the table memory, for sources seen once */

struct ww_identity;

struct ww_alert {
    const struct ww_rule *rule;
    const struct ww_identity *identity; /* the machine the source is, if known (the pipeline's) */
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
    /* sequential rules: the walk's state when it tipped */
    double llr;              /* natural-log likelihood ratio, scanner vs benign */
    uint32_t first_contacts; /* distinct targets whose first contact was judged */
    uint32_t walk_failures;  /* of which failed */
    struct ww_verdict verdict;
};

typedef void (*ww_alert_sink)(void *ctx, const struct ww_alert *alert);

struct ww_detect_stats {
    uint64_t events;           /* probe events judged */
    uint64_t ignored_sources;  /* events from never_flag sources */
    uint64_t ignored_targets;  /* events to ignore_targets */
    uint64_t alerts;
    uint64_t suppressed;       /* tipped again inside the suppression interval */
    uint64_t dark_contacts;    /* attempts to dark_nets */
    uint64_t walks_benign;     /* sequential tests that concluded "benign" */
    uint64_t walks_forced;     /* first contacts judged failed for waiting too long */
    uint64_t walks_half_failures; /* failed 445+139 pairs of a silent host, counted half */
    uint64_t walks_port_checks;   /* successes turned failures: the host's other port checked */
    uint64_t walks_outside_accepts; /* accepts outside home_nets of home sources, taken as failures */
    uint64_t newcomers;        /* sources put on probation (first contact) */
    uint64_t promotions;       /* newcomers given a record (second target) */
    struct ww_flood_stats flood; /* what floods of new sources cost (sender.h) */
};

struct ww_detector;

/* Budget in bytes for the per-source table; `key` (copied) keys its hashes.
   NULL if memory is short. */
struct ww_detector *ww_detector_new(const struct ww_ruleset *rules, uint64_t table_memory,
                                    const struct ww_hash_key *key, ww_alert_sink sink,
                                    void *sink_ctx);
void ww_detector_free(struct ww_detector *det);

void ww_detector_event(struct ww_detector *det, const struct ww_probe_event *event);
/* Moves packet time forward: forgets idle sources. */
void ww_detector_advance(struct ww_detector *det, uint64_t now_ns);

const struct ww_detect_stats *ww_detector_stats(const struct ww_detector *det);
/* The scan evidence gathered for `src` (for other detectors' verdicts), or NULL. */
const struct ww_evidence *ww_detector_evidence(struct ww_detector *det, uint32_t src);
const struct ww_table_stats *ww_detector_table_stats(const struct ww_detector *det);
/* The probation table: sources seen at one target only. */
const struct ww_table_stats *ww_detector_probation_stats(const struct ww_detector *det);

#endif
