/*
 * Walk: one sequential test's state machine (see walk.h for the rules).
 *
 * Everything is in the fixed struct ww_walk inside the source's record: a
 * queue of contacts in the order they were made, a few ARP misses held for
 * a first port failure, and the last few successes (a port check may yet
 * turn one into a failure). No allocation, no time of its own: contacts
 * carry their probe times, and a tip is handed to the caller, which owns
 * suppression and the alert.
 */
#include "wormwatch/walk.h"

#include <math.h>
#include <stdbool.h>

void ww_walk_env_init(struct ww_walk_env *env, double theta0, double theta1, double detection,
                      double false_alarm, ww_walk_tip_fn tip, void *ctx,
                      struct ww_walk_stats *stats)
{
    env->fail_step = log((1.0 - theta1) / (1.0 - theta0));
    env->success_step = log(theta1 / theta0);
    env->upper = log(detection / false_alarm);
    env->lower = log((1.0 - detection) / (1.0 - false_alarm));
    env->tip = tip;
    env->ctx = ctx;
    env->stats = stats;
}

static void add_sample(struct ww_walk *w, uint32_t target)
{
    w->sample[w->sample_next] = target;
    w->sample_next = (uint8_t)((w->sample_next + 1) % WW_WALK_SAMPLES);
    if (w->sample_count < WW_WALK_SAMPLES)
        w->sample_count++;
}

/* A benign verdict: the test starts over, from the bound it reached. */
static void conclude_benign(struct ww_walk *w, const struct ww_walk_env *env)
{
    env->stats->benign++;
    w->llr = env->lower;
    w->first_contacts = w->failed_contacts = 0;
    w->sample_count = w->sample_next = 0;
    w->success_count = w->success_next = 0;
    w->have_newest = 0;
}

/* A failure of weight `weight` moves the walk up; it may tip. The alert
   names the newest failed contact taken so far: a contact judged late (an
   ARP miss, a success turned failure) must not date the alert before the
   evidence it rests on. */
static void step_failure(struct ww_walk *w, const struct ww_walk_env *env,
                         const struct ww_walk_contact *c, double weight)
{
    w->failed_contacts++;
    w->llr += weight * env->fail_step;
    add_sample(w, c->target);
    if (!w->have_newest || c->ts_ns >= w->newest.ts_ns) {
        w->newest = *c;
        w->have_newest = 1;
    }
    if (w->llr >= env->upper - 1e-9)
        env->tip(env->ctx, w, &w->newest);
}

/* ARP misses held for a first port failure join the walk just before it
   (they came earlier), without tipping it themselves. */
static void absorb_held(struct ww_walk *w, const struct ww_walk_env *env)
{
    for (uint8_t i = 0; i < w->held_count; i++) {
        w->first_contacts++;
        w->failed_contacts++;
        w->llr += env->fail_step;
        add_sample(w, w->held[i].target);
    }
    w->held_count = 0;
}

/* One decided first contact moves the walk. */
static void step(struct ww_walk *w, const struct ww_walk_env *env, const struct ww_walk_contact *c)
{
    if (c->state == WW_WALK_FAILED && c->proto == WW_PROTO_ARP && w->port_failures == 0) {
        if (w->held_count < WW_WALK_HELD)
            w->held[w->held_count++] = *c;
        return;
    }
    w->first_contacts++;
    if (c->state == WW_WALK_SUCCEEDED && c->outside) {
        env->stats->outside_accepts++;
        w->port_failures++; /* an SMB contact, not an ARP miss: held misses may join */
        absorb_held(w, env);
        step_failure(w, env, c, 1.0);
        return;
    }
    if (c->state == WW_WALK_FAILED) {
        bool half = c->paired && c->unanswered;
        env->stats->half_failures += half;
        if (c->proto != WW_PROTO_ARP && w->port_failures++ == 0)
            absorb_held(w, env);
        step_failure(w, env, c, half ? 0.5 : 1.0);
        return;
    }
    w->llr += env->success_step;
    w->success[w->success_next] = *c;
    w->success_next = (uint8_t)((w->success_next + 1) % WW_WALK_SUCCESSES);
    if (w->success_count < WW_WALK_SUCCESSES)
        w->success_count++;
    /* Only a failure can tip: a success leaving the walk above the bound is
       no new evidence of scanning, and must not raise or re-raise an alert. */
    if (w->llr <= env->lower)
        conclude_benign(w, env);
}

static struct ww_walk_contact *queued(struct ww_walk *w, uint8_t i)
{
    return &w->queue[(w->queue_head + i) % WW_WALK_QUEUE];
}

/* Feeds the walk every decided contact at the head of the queue. */
static void drain(struct ww_walk *w, const struct ww_walk_env *env)
{
    while (w->queue_len > 0 && w->queue[w->queue_head].state != WW_WALK_WAITING) {
        struct ww_walk_contact c = w->queue[w->queue_head];
        w->queue_head = (uint8_t)((w->queue_head + 1) % WW_WALK_QUEUE);
        w->queue_len--;
        step(w, env, &c);
    }
}

/* Appends a contact, or puts it by time among those still waiting. */
static void enqueue(struct ww_walk *w, const struct ww_walk_env *env, struct ww_walk_contact c)
{
    if (w->queue_len == WW_WALK_QUEUE) { /* the oldest waited through 8 newer contacts */
        w->queue[w->queue_head].state = WW_WALK_FAILED;
        w->queue[w->queue_head].unanswered = 1;
        env->stats->forced++;
        drain(w, env);
    }
    uint8_t at = w->queue_len++;
    while (at > 0 && queued(w, (uint8_t)(at - 1))->ts_ns > c.ts_ns) {
        *queued(w, at) = *queued(w, (uint8_t)(at - 1));
        at--;
    }
    *queued(w, at) = c;
    drain(w, env);
}

static struct ww_walk_contact contact_of(const struct ww_probe *probe, uint8_t state)
{
    return (struct ww_walk_contact){.ts_ns = probe->ts_ns, .target = probe->dst,
                                    .sport = probe->sport, .dport = probe->dport,
                                    .state = state, .proto = probe->proto,
                                    .unanswered = state == WW_WALK_FAILED};
}

/* The host's accepted contact was a port check: a failure after all. */
static void port_check(struct ww_walk *w, const struct ww_walk_env *env,
                       const struct ww_probe *check, bool own_port)
{
    uint32_t target = check->dst;
    for (uint8_t i = 0; i < w->queue_len; i++) {
        struct ww_walk_contact *c = queued(w, i);
        if (c->target == target && c->state == WW_WALK_SUCCEEDED) {
            c->state = WW_WALK_FAILED;
            env->stats->port_checks++;
            return;
        }
    }
    /* A success already taken is taken back by a walk that watches the
       check's port: the check is then its own evidence, with its own date. */
    for (uint8_t i = 0; own_port && i < w->success_count; i++) {
        struct ww_walk_contact *c = &w->success[i];
        if (c->target != target || c->state != WW_WALK_SUCCEEDED)
            continue;
        c->state = WW_WALK_FAILED; /* taken back once */
        env->stats->port_checks++;
        w->llr -= env->success_step;
        struct ww_walk_contact evidence = contact_of(check, WW_WALK_FAILED);
        step_failure(w, env, &evidence, 1.0); /* dated by the check that showed it */
        return;
    }
}

/* A silent host tried on its other port once the first went unanswered: the
   redirector's fallback, half a failure like a pair. Still queued, the first
   contact is marked; taken already (among the newest failures), half of its
   weight is given back, once. */
static void silent_fallback(struct ww_walk *w, const struct ww_walk_env *env, uint32_t target)
{
    for (uint8_t i = 0; i < w->queue_len; i++)
        if (queued(w, i)->target == target) {
            queued(w, i)->paired = 1;
            return;
        }
    for (uint8_t i = 0; i < w->sample_count; i++)
        if (w->sample[(w->sample_next + WW_WALK_SAMPLES - 1 - i) % WW_WALK_SAMPLES] == target) {
            w->llr -= 0.5 * env->fail_step;
            env->stats->half_failures++;
            return;
        }
}

static void note_other_port(struct ww_walk *w, const struct ww_walk_env *env,
                            const struct ww_probe *probe, enum ww_contact_kind kind, bool own_port)
{
    if (kind == WW_CONTACT_PAIRED) {
        for (uint8_t i = 0; i < w->queue_len; i++)
            if (queued(w, i)->target == probe->dst)
                queued(w, i)->paired = 1;
    } else if (kind == WW_CONTACT_SILENT_FALLBACK) {
        silent_fallback(w, env, probe->dst);
    } else if (kind == WW_CONTACT_PORT_CHECK) {
        port_check(w, env, probe, own_port);
    }
}

void ww_walk_other_port(struct ww_walk *w, const struct ww_walk_env *env,
                        const struct ww_probe *probe, enum ww_contact_kind kind)
{
    note_other_port(w, env, probe, kind, false);
}

void ww_walk_attempt(struct ww_walk *w, const struct ww_walk_env *env, const struct ww_probe *probe,
                     enum ww_contact_kind kind, int dark, int outside)
{
    note_other_port(w, env, probe, kind, true);
    if (kind == WW_CONTACT_NEW || kind == WW_CONTACT_PORT_CHECK) {
        struct ww_walk_contact c = contact_of(probe, dark ? WW_WALK_FAILED : WW_WALK_WAITING);
        c.outside = outside != 0;
        enqueue(w, env, c);
    }
}

void ww_walk_result(struct ww_walk *w, const struct ww_walk_env *env, uint32_t target,
                    uint16_t dport, enum ww_outcome outcome, int by_icmp)
{
    bool failed = outcome != WW_OUTCOME_ACCEPTED;
    /* An accept on either port settles the host; a failure only its own port. */
    for (uint8_t i = 0; i < w->queue_len; i++) {
        struct ww_walk_contact *c = queued(w, i);
        if (c->target == target && c->state == WW_WALK_WAITING && (!failed || c->dport == dport)) {
            c->state = failed ? WW_WALK_FAILED : WW_WALK_SUCCEEDED;
            c->unanswered = outcome == WW_OUTCOME_UNANSWERED || by_icmp;
            drain(w, env);
            return;
        }
    }
}

void ww_walk_arp_miss(struct ww_walk *w, const struct ww_walk_env *env, const struct ww_probe *probe)
{
    enqueue(w, env, contact_of(probe, WW_WALK_FAILED));
}
