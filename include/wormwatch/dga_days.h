/*
 * Day sets: the names Conficker A and B look up on a UTC day and on the days
 * either side, ready to be looked up by name.
 *
 * An infected host draws its list from its own idea of the date, so around
 * midnight (or with a clock a little off) its lookups come from yesterday's
 * or tomorrow's list as often as from today's. The set holds all three days
 * of both variants, 1500 names, sorted, and a lookup is a binary search: no
 * hash, so no input can be chosen to make lookups slow, and the whole set is
 * one fixed array (about 30 KB) inside the struct.
 *
 * The set follows packet time. It is rebuilt around the packet's day when
 * that day moves forward, or jumps back more than one day (a new capture);
 * a late packet from the day before the centre is still covered, so packets
 * that straddle midnight out of order do not rebuild it back and forth.
 */
#ifndef WW_DGA_DAYS_H
#define WW_DGA_DAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/dga.h"

#define WW_DGA_DAYS_SPAN 3 /* the day before the centre, the centre, the day after */
#define WW_DGA_DAYS_NAMES (WW_DGA_DAYS_SPAN * WW_DGA__COUNT * WW_DGA_NAMES)

/* Where a looked-up name comes from. */
struct ww_dga_match {
    enum ww_dga_variant variant;
    int32_t day;    /* the list's day, days since 1970-01-01 (UTC) */
    uint16_t index; /* the name's place in that list, 0..249 */
};

struct ww_dga_days_entry {
    char name[WW_DGA_NAME_MAX]; /* lower case, no trailing dot */
    uint8_t variant;            /* enum ww_dga_variant */
    uint8_t offset;             /* day - centre + 1: 0, 1 or 2 */
    uint8_t index;              /* place in the day's list */
};

struct ww_dga_days_stats {
    uint64_t builds;    /* times the three days were generated */
    uint64_t lookups;   /* names looked up */
    uint64_t matches;   /* lookups that found a name */
    uint64_t too_long;  /* names longer than any list's, refused before the search */
};

struct ww_dga_days {
    bool built;
    int32_t centre;     /* the day the set is built around */
    size_t count;       /* entries in use */
    struct ww_dga_days_entry entries[WW_DGA_DAYS_NAMES]; /* sorted by name */
    struct ww_dga_days_stats stats;
};

void ww_dga_days_init(struct ww_dga_days *set);

/*
 * Makes the set cover the UTC day of ts_ns (packet time), rebuilding it if
 * needed (see above). Returns true if it was rebuilt.
 */
bool ww_dga_days_advance(struct ww_dga_days *set, uint64_t ts_ns);

/*
 * Looks up a DNS name of len bytes, in any case, with or without one trailing
 * dot. True and *m filled if it is on one of the set's lists. A name on two
 * lists (never seen, but possible) gives the first by variant, then day.
 */
bool ww_dga_days_lookup(struct ww_dga_days *set, const char *name, size_t len,
                        struct ww_dga_match *m);

#endif
