/*
 * Fold: the EVE events of any number of sensors, as one list of hosts.
 *
 * wormwatch-report reads events, not packets: each alert updates the line
 * of the host it is about (the summary's folding, summary.h, plus the names
 * and MAC of its `identity`, which sensors saw it, and when each indicator
 * first fired, for the timeline); each stats event updates its sensor's
 * coverage (packets, drops, time span), so the reader knows what the list
 * could not have seen. Lines that are not EVE JSON are counted and skipped.
 */
#ifndef WW_FOLD_H
#define WW_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/indicators.h"
#include "wormwatch/summary.h"

#define WW_FOLD_SENSORS 32  /* sensors told apart (more share the last slot) */
#define WW_FOLD_MARKS 64    /* alerts kept per host for the timeline */
#define WW_FOLD_NAME 64

/* One alert on the timeline: when, and which family it was. */
struct ww_fold_mark {
    uint64_t ts_ns;
    uint8_t indicator;     /* enum ww_indicator, or WW_IND__COUNT for a scanner's check */
};

struct ww_fold_host {
    struct ww_summary_host s;            /* address, verdict inputs, first/last, counts */
    char netbios_name[WW_FOLD_NAME];     /* from the newest alert's identity, "" if none */
    char dhcp_hostname[WW_FOLD_NAME];
    char mac[WW_FOLD_NAME];
    uint32_t sensors;                    /* bit i: sensor i saw it */
    uint64_t indicator_first_ns[WW_IND__COUNT]; /* 0: never fired */
    uint32_t mark_count;
    struct ww_fold_mark mark[WW_FOLD_MARKS];
};

/* What one sensor saw: from its newest stats event per worker. */
struct ww_fold_sensor {
    char name[WW_FOLD_NAME];
    uint64_t first_ns, last_ns;          /* its events' time span */
    uint64_t alerts;                     /* alert events read */
    uint64_t packets[8];                 /* stats.decoder.pkts, per worker (8+ share) */
    uint64_t kernel_packets[8], drops[8]; /* live: stats.capture */
    bool live;                           /* it reported kernel counters */
};

struct ww_fold {
    struct ww_fold_host *host;
    size_t host_count, host_cap;
    struct ww_fold_sensor sensor[WW_FOLD_SENSORS];
    size_t sensor_count;
    uint64_t events;                     /* EVE events read */
    uint64_t bad_lines;                  /* lines that were not EVE JSON */
};

void ww_fold_init(struct ww_fold *f);
void ww_fold_free(struct ww_fold *f);
/* One line of EVE JSON (no newline needed); false if it was not one (counted). */
bool ww_fold_line(struct ww_fold *f, const char *line, size_t len);
/* Infected hosts first, then SMB worms, then scanners; within each by first seen. */
void ww_fold_sort(struct ww_fold *f);

/* A sensor's totals over its workers. */
uint64_t ww_fold_sensor_packets(const struct ww_fold_sensor *s);
uint64_t ww_fold_sensor_drops(const struct ww_fold_sensor *s);
/* Share of packets the kernel dropped, in percent (0 for a capture file). */
double ww_fold_sensor_loss(const struct ww_fold_sensor *s);

/* "2009-03-30T00:01:03.182346+0000" -> ns since the epoch; false if not that form. */
bool ww_fold_parse_time(const char *text, uint64_t *ns);

#endif
