/*
 * Walk: the threshold random walk of one (source, sequential rule).
 *
 * The test of Jung, Paxson, Berger and Balakrishnan (IEEE S&P 2004) over a
 * source's first contacts: a failure moves the log-likelihood ratio up by
 * ln((1 - theta1) / (1 - theta0)), a success down by ln(theta0 / theta1); the
 * source is a scanner once it reaches ln(P_D / P_F). What counts as a first
 * contact, and how much it weighs, is where a LAN differs from the paper's
 * border router (contacts.h):
 *
 *   - A host is one contact, whichever SMB ports the source tries on it.
 *   - A host tried on 445 and 139 together that answers on neither (or
 *     that the network reports unreachable) is a Windows client reaching
 *     for a server that is gone: half a failure. A RST still weighs one
 *     (the host is there and says no).
 *   - An accepted contact followed within 2 s by the host's other SMB port
 *     was a port check, not a use: a failure.
 *   - An accepted contact of a host outside home_nets, by a source inside
 *     them, is a failure: theta0 is high because benign clients reach their
 *     own servers, and a LAN's SMB servers are in its networks; the far
 *     host's accept says it is there, not why the source went.
 *   - Going below the lower bound ends the test (benign), and the next one
 *     starts from that bound, not from zero: a host that just showed many
 *     successes needs more failures in a row than a stranger does.
 *   - An unanswered ARP request for a dark address (a switched LAN's probe
 *     of nobody) counts only for a walk that has a failure on a real port;
 *     WW_WALK_HELD of them (one) waits for that first failure.
 *
 * Outcomes are taken in the order the contacts were made (a refusal takes
 * milliseconds, a timeout seconds, and later successes must not jump ahead
 * of earlier failures); an ARP miss, known only a second after its request,
 * is put in its place by time among the contacts still waiting. When more
 * than WW_WALK_QUEUE contacts wait, the oldest is judged failed: no answer
 * while that many newer ones were made.
 */
#ifndef WW_WALK_H
#define WW_WALK_H

#include <stdint.h>

#include "wormwatch/contacts.h"
#include "wormwatch/probe.h"

#define WW_WALK_SAMPLES 8
#define WW_WALK_QUEUE 8
#define WW_WALK_HELD 1
#define WW_WALK_SUCCESSES 2

enum ww_walk_contact_state { WW_WALK_WAITING, WW_WALK_SUCCEEDED, WW_WALK_FAILED };

/* A first contact, waiting for its outcome or just decided. */
struct ww_walk_contact {
    uint64_t ts_ns;     /* its probe's time */
    uint32_t target;
    uint16_t sport, dport;
    uint8_t state;      /* enum ww_walk_contact_state */
    uint8_t proto;      /* WW_IPPROTO_TCP, or WW_PROTO_ARP for a dark ARP miss */
    uint8_t paired;     /* the host's other SMB port was tried while this waited */
    uint8_t unanswered; /* failed by silence or an ICMP unreachable, not by a RST */
    uint8_t outside;    /* a home source's contact of a host outside home_nets */
};

struct ww_walk {
    double llr;                 /* ln likelihood ratio, scanner vs benign */
    uint32_t first_contacts;    /* judged since the last benign verdict */
    uint32_t failed_contacts;   /* ... of which failed (a half failure counts one here) */
    uint32_t port_failures;     /* failures on a real port (not ARP misses), ever */
    uint32_t sample[WW_WALK_SAMPLES]; /* newest failed first contacts, a ring */
    uint8_t sample_count, sample_next;
    uint8_t queue_head, queue_len;
    uint8_t held_count, success_next, success_count;
    uint8_t have_newest;        /* newest is valid */
    struct ww_walk_contact newest;                       /* newest failed contact taken */
    struct ww_walk_contact held[WW_WALK_HELD];           /* ARP misses before a port failure */
    struct ww_walk_contact success[WW_WALK_SUCCESSES];   /* newest successes taken */
    struct ww_walk_contact queue[WW_WALK_QUEUE];
};

struct ww_walk_stats {
    uint64_t benign;       /* walks that concluded "benign" */
    uint64_t forced;       /* first contacts judged failed for waiting too long */
    uint64_t half_failures; /* failed redirector pairs, counted half */
    uint64_t port_checks;  /* successes turned failures by a check of the other port */
    uint64_t outside_accepts; /* accepts outside home_nets, taken as failures */
};

/* Called when a failure takes the walk to the upper bound; `tipping` is
   the newest failed contact the walk has taken (the evidence's date). */
typedef void (*ww_walk_tip_fn)(void *ctx, const struct ww_walk *walk,
                               const struct ww_walk_contact *tipping);

struct ww_walk_env {
    double fail_step, success_step; /* > 0 and < 0 */
    double upper, lower;            /* ln(P_D / P_F), ln((1 - P_D) / (1 - P_F)) */
    ww_walk_tip_fn tip;
    void *ctx;
    struct ww_walk_stats *stats;
};

void ww_walk_env_init(struct ww_walk_env *env, double theta0, double theta1, double detection,
                      double false_alarm, ww_walk_tip_fn tip, void *ctx,
                      struct ww_walk_stats *stats);

/* An attempt the contact ring classified as `kind` (decided at once if
   dark); `outside`: a home source trying a host outside home_nets, whose
   accept is no success (see above). */
void ww_walk_attempt(struct ww_walk *w, const struct ww_walk_env *env, const struct ww_probe *probe,
                     enum ww_contact_kind kind, int dark, int outside);
/* An attempt on a port this walk does not watch, of a host it may hold:
   a pair or a port check still says something about that host. */
void ww_walk_other_port(struct ww_walk *w, const struct ww_walk_env *env,
                        const struct ww_probe *probe, enum ww_contact_kind kind);
/* An outcome of an attempt on (target, dport); `by_icmp`: an ICMP unreachable
   (the network saying the host is not there), not the host's own RST. */
void ww_walk_result(struct ww_walk *w, const struct ww_walk_env *env, uint32_t target,
                    uint16_t dport, enum ww_outcome outcome, int by_icmp);
/* An unanswered ARP request for a dark address, new to the source. */
void ww_walk_arp_miss(struct ww_walk *w, const struct ww_walk_env *env, const struct ww_probe *probe);

#endif
