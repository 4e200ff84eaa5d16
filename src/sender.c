/*
 * Sender: the flood watch and the per-source signs of one real sender.
 *
 * The watch counts new sources in whole seconds of packet time. That is
 * coarse, but a flood worth the name is tens of thousands a second and the
 * quiet baseline of an SMB port is a few: a one-second bucket separates them
 * with no state but a counter, and a flood is seen after its first
 * `threshold` new sources, a few milliseconds in. The victim is found by a
 * Boyer-Moore majority vote over the new sources' (target, port), reset
 * every second: O(1) per newcomer, no table. The vote's winner is only known
 * to hold a majority if one exists; requiring votes >= half the count makes
 * it hold at least three quarters of the second's new sources, so a flood
 * spread over many targets has no victim and nothing is skipped: then only
 * the sender test stands between its spoofed sources and an alert.
 *
 * Skipping the victim's newcomers costs a real client of the victim its
 * first contact there (its record starts at its second target): a scanner
 * loses one probe if its first one hits the flooded server.
 *
 * The same vote over the newcomers' stack class finds the flood's shape.
 * It only orders evictions from a full probation table (the flood-shaped
 * among the 4 oldest go first); nobody is refused for a shape, so a real
 * scanner whose SYNs look like the flood tool's (masscan's and hping3's are
 * both bare) is no worse off than without it: it churns with the flood.
 *
 * The sender test reads what a spoofing tool does not leave. A
 * retransmission is the strongest sign: a kernel resends an unanswered SYN
 * (Windows after 3 s, Linux after 1 s) with the same ports and sequence
 * number; a flood tool writes each spoofed SYN once, and two draws of one
 * spoofed address almost never share a port pair. The probe tracker folds
 * retransmissions into their attempt and says how many there were; but a
 * flood whose victim stops answering fills its pending table, an attempt is
 * pushed out before its retransmission, and the retransmission arrives as a
 * new attempt of the same target and port. So the record also keeps its
 * source's newest few (target, port) pairs, and a new attempt repeating one
 * counts as a retransmission too. The TTL is a weaker,
 * negative sign: one tool sends all its spoofed SYNs with one TTL (so a
 * spoofed address drawn four times looks consistent), but bots spoofing the
 * same address, or a tool randomizing TTLs, give it several.
 */
#include "wormwatch/sender.h"

#include "wormwatch/verdict.h"

#define NS_PER_SEC 1000000000ULL

void ww_flood_init(struct ww_flood_watch *w, uint32_t threshold, struct ww_flood_stats *stats)
{
    *w = (struct ww_flood_watch){.threshold = threshold, .stats = stats};
}

static void vote(struct ww_flood_watch *w, uint32_t target, uint16_t port)
{
    if (w->votes == 0) {
        w->candidate = target;
        w->candidate_port = port;
        w->votes = 1;
    } else if (w->candidate == target && w->candidate_port == port) {
        w->votes++;
    } else {
        w->votes--;
    }
}

static void vote_stack(struct ww_flood_watch *w, uint8_t stack)
{
    if (w->stack_votes == 0) {
        w->stack_candidate = stack;
        w->stack_votes = 1;
    } else if (w->stack_candidate == stack) {
        w->stack_votes++;
    } else {
        w->stack_votes--;
    }
}

bool ww_flood_newcomer(struct ww_flood_watch *w, const struct ww_probe *probe)
{
    if (w->threshold == 0)
        return false;
    uint64_t second = probe->ts_ns / NS_PER_SEC;
    if (second > w->second) { /* a time that steps back counts in the current second */
        w->second = second;
        w->newcomers = w->votes = w->stack_votes = 0;
    }
    w->newcomers++;
    vote(w, probe->dst, probe->dport);
    vote_stack(w, probe->proto == WW_IPPROTO_TCP ? (uint8_t)ww_stack_of(&probe->shape)
                                                 : (uint8_t)WW_STACK_UNKNOWN);
    if (w->newcomers > w->stats->peak_sources)
        w->stats->peak_sources = w->newcomers;
    if (w->newcomers >= w->threshold) {
        w->stats->seconds += w->newcomers == w->threshold;
        w->on_until = w->second + WW_FLOOD_HOLD_SECONDS;
        if (2ULL * w->votes >= w->newcomers) {
            w->victim = w->candidate;
            w->victim_port = w->candidate_port;
            w->has_victim = true;
        }
        if (2ULL * w->stack_votes >= w->newcomers) {
            w->flood_stack = w->stack_candidate;
            w->has_flood_stack = true;
        }
    }
    bool skip = ww_flood_on(w, probe->ts_ns) && w->has_victim && probe->dst == w->victim &&
                probe->dport == w->victim_port;
    w->stats->skipped += skip;
    return skip;
}

bool ww_flood_on(const struct ww_flood_watch *w, uint64_t ts_ns)
{
    return w->on_until != 0 && ts_ns / NS_PER_SEC <= w->on_until;
}

bool ww_flood_shape_known(const struct ww_flood_watch *w, uint64_t now_ns)
{
    return w->has_flood_stack && ww_flood_on(w, now_ns);
}

bool ww_flood_shaped(const struct ww_flood_watch *w, uint8_t stack, uint64_t now_ns)
{
    return stack == w->flood_stack && ww_flood_shape_known(w, now_ns);
}

/* Whether (dst, sport) is among the newest attempts; remembered if not. */
static bool seen_recently(struct ww_sender *s, uint32_t dst, uint16_t sport)
{
    for (unsigned i = 0; i < WW_SENDER_RECENT; i++)
        if (s->recent_dst[i] == dst && s->recent_sport[i] == sport && dst != 0)
            return true;
    s->recent_dst[s->recent_next] = dst;
    s->recent_sport[s->recent_next] = sport;
    s->recent_next = (uint8_t)((s->recent_next + 1) % WW_SENDER_RECENT);
    return false;
}

void ww_sender_remember(struct ww_sender *s, uint32_t dst, uint16_t sport)
{
    seen_recently(s, dst, sport);
}

void ww_sender_attempt(struct ww_sender *s, const struct ww_probe *probe, bool flood_on)
{
    if (flood_on)
        s->flags |= WW_SENDER_FLOODED;
    if (probe->proto != WW_IPPROTO_TCP)
        return;
    if (seen_recently(s, probe->dst, probe->sport) && s->retransmitted < UINT8_MAX)
        s->retransmitted++; /* its first SYN left the tracker's table before this one */
    uint8_t ttl = probe->shape.ttl;
    if (ttl == 0)
        return; /* no SYN shape (cut by the snap length) */
    if (s->ttl == 0)
        s->ttl = ttl;
    else if ((ttl > s->ttl ? ttl - s->ttl : s->ttl - ttl) > WW_SENDER_TTL_SLACK)
        s->flags |= WW_SENDER_TTL_MIXED;
}

void ww_sender_result(struct ww_sender *s, const struct ww_probe_event *result)
{
    if (result->probe.proto == WW_IPPROTO_TCP && result->probe.retransmits > 0 &&
        s->retransmitted < UINT8_MAX)
        s->retransmitted++;
}

bool ww_sender_vouched(const struct ww_sender *s, uint32_t failures, uint32_t flood_failures)
{
    if (!(s->flags & WW_SENDER_FLOODED))
        return true;
    if (s->retransmitted > 0 && !(s->flags & WW_SENDER_TTL_MIXED))
        return true;
    return failures >= flood_failures;
}
