/*
 * Summary: the alerts of a run folded into one line per flagged host, for a
 * person at a terminal (and the words the report uses for a verdict).
 *
 * Each alert updates its source's line: first and last seen, the
 * indicators and variant, the strongest verdict, the signatures that fired,
 * the most targets any alert counted. The list is bounded (the hosts beyond
 * it are counted, not listed) and printed infected hosts first.
 */
#ifndef WW_SUMMARY_H
#define WW_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define WW_SUMMARY_HOSTS 4096 /* hosts listed at most */

/* What one alert says about its source, for the summary. */
struct ww_summary_alert {
    uint32_t src;          /* the flagged host, host order */
    uint32_t sid;
    uint64_t ts_ns;
    uint32_t targets;      /* targets the alert counted (0: none) */
    bool likely;           /* conficker.likely */
    uint8_t indicators;    /* WW_IND_BIT()s (indicators.h) */
    char variant;          /* 'A', 'B', 'C' or 0 */
    const char *name;      /* the machine's NetBIOS or DHCP name, or NULL */
};

#define WW_SUMMARY_NAME 24

struct ww_summary_host {
    uint32_t addr;
    uint64_t first_ns, last_ns;
    uint32_t alerts;
    uint32_t targets;      /* the most any of its alerts counted */
    bool likely;
    uint8_t indicators;
    char variant;
    uint8_t kinds;         /* SUMMARY_KIND_* bits: which families of signatures fired */
    char name[WW_SUMMARY_NAME]; /* the newest name an alert gave, "" if none */
};

struct ww_summary {
    struct ww_summary_host host[WW_SUMMARY_HOSTS];
    uint32_t count;
    uint64_t unlisted_alerts; /* alerts about hosts past the list's bound */
};

void ww_summary_init(struct ww_summary *s);
void ww_summary_add(struct ww_summary *s, const struct ww_summary_alert *a);
/* Folds one alert into one host's line (its first alert sets the address). */
void ww_summary_host_add(struct ww_summary_host *h, const struct ww_summary_alert *a);
/* 0 infected, 1 another worm's or Conficker's traffic, 2 a scanner: the order of a list. */
int ww_summary_rank(const struct ww_summary_host *h);

/*
 * The verdict in words: "Conficker B", "Conficker", "SMB worm",
 * "vulnerability scanner", "MS08-067 check", "MS17-010 check", "scanner".
 */
const char *ww_summary_verdict(const struct ww_summary_host *h, char *buf, size_t len);
/* Infected hosts first, then by first seen; one line each, and a closing count. */
void ww_summary_print(struct ww_summary *s, FILE *out);

#endif
