/*
 * Indicators: what each source has shown so far, across every detector.
 *
 * A worm shows itself several ways: it scans, it sends an exploit, it talks
 * to its peers, it looks up the day's rendezvous domains. Each detector
 * judges its own evidence; this table remembers, per source, which of them
 * fired and which variant the evidence named, so that every alert about the
 * source carries the whole picture (conficker.indicators, .variant) and one
 * verdict weighs it all (verdict.h). A bounded per-source table (table.h)
 * with the detectors' idle timeout: a flood of spoofed sources can only push
 * out sources that showed nothing for longest.
 */
#ifndef WW_INDICATORS_H
#define WW_INDICATORS_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/hash.h"
#include "wormwatch/table.h"

enum ww_indicator {
    WW_IND_SCAN,     /* a scan rule fired (fan-out or sequential test) */
    WW_IND_MS08_067, /* an MS08-067 exploit (not a scanner's check) */
    WW_IND_MS17_010, /* an MS17-010 exploit (EternalBlue, DoublePulsar) */
    WW_IND_P2P,      /* Conficker.C peer-to-peer scanning or serving */
    WW_IND_DGA,      /* a run of the day's Conficker A/B domain names */
    WW_IND__COUNT
};
#define WW_IND_BIT(i) (1u << (i))

/* Payload signatures whose alerts are suppressed per source (payload.h's SIDs). */
#define WW_IND_ALERT_SLOTS 16

/* What one source has shown. */
struct ww_host_indicators {
    uint8_t bits;     /* WW_IND_BIT()s */
    char variant;     /* 'A', 'B', 'C' (the newest evidence that names one), or 0 */
    uint16_t alerted; /* bit i: alert_s[i] holds a time */
    uint32_t reserved;
    uint64_t first_ns; /* packet time of its first indicator */
    uint64_t last_ns;  /* ... and of its newest */
    uint32_t alert_s[WW_IND_ALERT_SLOTS]; /* packet time (s) of the last alert of slot i */
};

const char *ww_indicator_name(enum ww_indicator what); /* "scan", "ms08_067", ... */

struct ww_indicators;

/* As many sources as fit in `memory` bytes; NULL if not one fits. */
struct ww_indicators *ww_indicators_new(uint64_t memory, uint64_t idle_timeout_ns,
                                        const struct ww_hash_key *key);
void ww_indicators_free(struct ww_indicators *t);
/* `src` showed `what` at ts_ns; `variant` 0 if the evidence names none. */
const struct ww_host_indicators *ww_indicators_note(struct ww_indicators *t, uint32_t src,
                                                    enum ww_indicator what, char variant,
                                                    uint64_t ts_ns);
/* What `src` has shown, or NULL for nothing. */
const struct ww_host_indicators *ww_indicators_get(struct ww_indicators *t, uint32_t src);
void ww_indicators_expire(struct ww_indicators *t, uint64_t now_ns);
/*
 * Whether `src` may be alerted for signature slot `slot` at ts_ns: not if
 * it was within suppress_ns before (as the scan rules' suppress). Records
 * the alert when it may.
 */
bool ww_indicators_may_alert(struct ww_indicators *t, uint32_t src, unsigned slot, uint64_t ts_ns,
                             uint64_t suppress_ns);
const struct ww_table_stats *ww_indicators_stats(const struct ww_indicators *t);

#endif
