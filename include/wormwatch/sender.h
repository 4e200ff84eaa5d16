/*
 * Sender: is this address one machine, or a name that spoofed packets share?
 *
 * A SYN's source address is whatever its sender wrote. On an Internet-facing
 * link, floods from random spoofed sources are routine, and with millions of
 * them an address is drawn again and again; a flood that also sprays other
 * hosts leaves addresses that "failed" at three or four targets, which the
 * sequential test would flag after four. Two parts defend against that:
 *
 * - The flood watch (one per detector) counts new sources a second. While it
 *   counts at least `flood_sources`, a flood is on; if most of the new
 *   sources go to one (target, port), the flood's victim, a newcomer there is
 *   not given a probation slot: the flood cannot churn the probation table,
 *   so a slow scanner's first contact is still there when its second comes.
 *   A flood with no victim (sprayed over many hosts) still fills the
 *   probation table, but one tool's SYNs share one stack class (verdict.h):
 *   if most new sources have one, a full table turns out newcomers of that
 *   class first, so a worm's first contact, in a Windows SYN, outlives them.
 *
 * - The sender record (one per source record) holds what only a real stack
 *   leaves: a SYN retransmitted when it went unanswered (a kernel's timer;
 *   a flood tool sends each spoofed SYN once), and one TTL for all its SYNs
 *   (one machine, one path). A source that made an attempt while a flood was
 *   on alerts on its TCP rules only if it showed a retransmission and no
 *   change of TTL, or failed at `flood_failures` targets, more than a chance
 *   spoofed address does. The alert is held, not lost: the next failure
 *   judges again.
 *
 * Without a flood nothing changes: a masscan-like scanner that never
 * retransmits is flagged as before. During one it needs flood_failures.
 */
#ifndef WW_SENDER_H
#define WW_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/probe.h"

#define WW_FLOOD_HOLD_SECONDS 10 /* a flood stays on this long after its last busy second */
#define WW_SENDER_TTL_SLACK 2    /* route changes move a sender's TTL by a hop or two */

struct ww_flood_stats {
    uint64_t seconds;      /* seconds of packet time with at least flood_sources new sources */
    uint64_t peak_sources; /* new sources in the busiest second */
    uint64_t skipped;      /* new sources at the flood's victim, not put on probation */
    uint64_t held;         /* alerts held back: no sign of one sender during a flood */
};

struct ww_flood_watch {
    uint32_t threshold;       /* new sources a second that make a flood; 0: never */
    uint64_t second;          /* the packet-time second being counted */
    uint32_t newcomers;       /* new sources in it */
    uint32_t candidate;       /* majority vote over their (target, port) */
    uint16_t candidate_port;
    uint32_t votes;
    uint64_t on_until;        /* the flood is on through this second (0: never was) */
    uint32_t victim;          /* the (target, port) most new sources go to, while on */
    uint16_t victim_port;
    bool has_victim;
    uint8_t stack_candidate;  /* majority vote over their SYNs' stack class */
    uint32_t stack_votes;
    uint8_t flood_stack;      /* the class most new sources' SYNs have, while on */
    bool has_flood_stack;
    struct ww_flood_stats *stats; /* the owner's, counted into */
};

void ww_flood_init(struct ww_flood_watch *w, uint32_t threshold, struct ww_flood_stats *stats);
/* A new source's first attempt; true if it goes to the flood's victim and
   should not be remembered. */
bool ww_flood_newcomer(struct ww_flood_watch *w, const struct ww_probe *probe);
bool ww_flood_on(const struct ww_flood_watch *w, uint64_t ts_ns);
/* Whether a newcomer whose SYN has stack class `stack` (enum ww_stack) looks like
   the flood's, at `now_ns`: the first to go from a full probation table. */
bool ww_flood_shaped(const struct ww_flood_watch *w, uint8_t stack, uint64_t now_ns);
bool ww_flood_shape_known(const struct ww_flood_watch *w, uint64_t now_ns);

#define WW_SENDER_RECENT 4 /* newest attempts remembered: a Windows retry comes 3 s later */

/* Per source, inside its record (zeroed when the record is made). */
struct ww_sender {
    uint32_t recent_dst[WW_SENDER_RECENT]; /* its newest attempts (a ring), so that */
    uint16_t recent_sport[WW_SENDER_RECENT]; /* one seen again is known as a retry */
    uint8_t ttl;           /* TTL of its first SYN seen, 0 if none yet */
    uint8_t flags;         /* WW_SENDER_* */
    uint8_t retransmitted; /* attempts whose SYN it retransmitted (saturating) */
    uint8_t recent_next;   /* where the next attempt goes in the ring */
};

#define WW_SENDER_FLOODED 0x01  /* made an attempt while a flood was on */
#define WW_SENDER_TTL_MIXED 0x02 /* SYNs with TTLs further apart than the slack */

void ww_sender_attempt(struct ww_sender *s, const struct ww_probe *probe, bool flood_on);
/* An attempt known only from probation (its TTL lost): remembered for retries. */
void ww_sender_remember(struct ww_sender *s, uint32_t dst, uint16_t sport);
void ww_sender_result(struct ww_sender *s, const struct ww_probe_event *result);
/* Whether an alert of a TCP rule may go out for a source with `failures`. */
bool ww_sender_vouched(const struct ww_sender *s, uint32_t failures, uint32_t flood_failures);

#endif
