/*
 * Conficker verdict: evidence per source and its weighing. See verdict.h.
 *
 * The first WW_EXACT_TARGETS distinct targets are listed exactly, which is
 * what scoring needs: whether a target, a /16 or a /24 is new. Past the list
 * a target's novelty is unknown, so it is no longer scored (32 targets give
 * dozens of bits either way), and only the HyperLogLog sketches go on
 * counting. Everything is exact, and deterministic, for small scanners.
 */
#include "wormwatch/verdict.h"

#include <math.h>
#include <string.h>

#include "wormwatch/decode.h"

#define NS_PER_SEC 1000000000ULL
#define RETRY_139_WINDOW_NS (5 * NS_PER_SEC)
#define SHAPE_RULES_OUT_BITS (-10.0)
#define XP_SHAPE_BITS 1.0
#define BEHAVIOUR_BITS 1.0
#define SWEEP_STEP 2 /* a remote target this close to the previous one is a sweep step */
#define SWEEP_RUN 2  /* small steps in a row that make a sweep (one is mere chance) */

void ww_verdict_config_defaults(struct ww_verdict_config *cfg)
{
    cfg->target_mask = 0x00800080u; /* 0.128.0.128 */
    cfg->likely_bits = 5.0;
    cfg->error_rate = 0.01;
    cfg->ms08_067_bits = 10.0;
    cfg->ms17_010_bits = 0.0;
    cfg->p2p_bits = 10.0;
    cfg->dga_bits = 10.0;
}

static unsigned popcount8(uint8_t v)
{
    unsigned n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

double ww_verdict_octet_bits(uint32_t mask, uint8_t octet_index, uint8_t octet, double error_rate)
{
    uint8_t m = (uint8_t)(mask >> (8 * (3 - octet_index)));
    unsigned bits = popcount8(m);
    if (bits == 0)
        return 0.0;
    double uniform_clear = ldexp(1.0, -(int)bits); /* chance a uniform octet avoids the mask */
    if ((octet & m) == 0)
        return log2((1.0 - error_rate) / uniform_clear);
    return log2(error_rate / (1.0 - uniform_clear));
}

/* --- SYN shapes ----------------------------------------------------------- */

static bool options_are(const struct ww_syn_shape *s, const uint8_t *kinds, uint8_t n)
{
    return s->option_count == n && memcmp(s->option_kinds, kinds, n) == 0;
}

enum ww_stack ww_stack_of(const struct ww_syn_shape *s)
{
    if (s->ttl == 0) /* no shape was recorded */
        return WW_STACK_UNKNOWN;
    static const uint8_t xp_options[] = {WW_TCPOPT_MSS, WW_TCPOPT_NOP, WW_TCPOPT_NOP,
                                         WW_TCPOPT_SACK_PERM};
    bool bare = s->option_count == 0 ||
                (s->option_count == 1 && s->option_kinds[0] == WW_TCPOPT_MSS);
    /* masscan/zmap: no options, TTL 255 or window 1024; nmap -sS: MSS only, small window */
    if (bare && (s->ttl > 128 || s->window <= 4096))
        return WW_STACK_SCAN_TOOL;
    if (s->ttl <= 64)
        return WW_STACK_UNIX;
    if (s->ttl > 128)
        return WW_STACK_OTHER;
    if (s->df && (s->window == 65535 || s->window == 64512 || s->window == 16384) &&
        options_are(s, xp_options, sizeof xp_options))
        return WW_STACK_WINDOWS_XP;
    return WW_STACK_WINDOWS;
}

struct ww_syn_shape ww_stack_example(enum ww_stack stack)
{
    struct ww_syn_shape s = {0};
    switch (stack) {
    case WW_STACK_WINDOWS_XP:
        s = (struct ww_syn_shape){.ttl = 128, .df = true, .window = 65535, .mss = 1460,
                                  .option_count = 4,
                                  .option_kinds = {WW_TCPOPT_MSS, WW_TCPOPT_NOP, WW_TCPOPT_NOP,
                                                   WW_TCPOPT_SACK_PERM}};
        break;
    case WW_STACK_WINDOWS:
        s = (struct ww_syn_shape){.ttl = 128, .df = true, .window = 8192, .mss = 1460,
                                  .option_count = 2,
                                  .option_kinds = {WW_TCPOPT_MSS, WW_TCPOPT_SACK_PERM}};
        break;
    case WW_STACK_SCAN_TOOL: s = (struct ww_syn_shape){.ttl = 255, .window = 1024}; break;
    case WW_STACK_UNIX:
        s = (struct ww_syn_shape){.ttl = 64, .df = true, .window = 29200, .option_count = 1,
                                  .option_kinds = {WW_TCPOPT_MSS}};
        break;
    case WW_STACK_OTHER:
        s = (struct ww_syn_shape){.ttl = 200, .window = 8192, .option_count = 1,
                                  .option_kinds = {WW_TCPOPT_MSS}};
        break;
    default: break;
    }
    return s;
}

const char *ww_stack_name(enum ww_stack stack)
{
    static const char *const names[WW_STACK__COUNT] = {"unknown",   "windows-xp", "windows",
                                                       "scan-tool", "unix",       "other"};
    return (unsigned)stack < WW_STACK__COUNT ? names[stack] : "unknown";
}

/* --- evidence ------------------------------------------------------------- */

static void inc16(uint16_t *v)
{
    if (*v < UINT16_MAX)
        (*v)++;
}

static void score_octet(struct ww_evidence *ev, const struct ww_verdict_config *cfg,
                        uint32_t dst, uint8_t index)
{
    uint8_t octet = (uint8_t)(dst >> (8 * (3 - index)));
    uint8_t m = (uint8_t)(cfg->target_mask >> (8 * (3 - index)));
    if (!m)
        return;
    ev->octet_bits += (float)ww_verdict_octet_bits(cfg->target_mask, index, octet, cfg->error_rate);
    if (octet & m)
        inc16(&ev->octet_violations);
}

/* Whether a target already scored shares dst's top `bits` bits. */
static bool scored_net(const struct ww_evidence *ev, uint32_t dst, unsigned bits)
{
    for (unsigned i = 0; i < ev->target_count; i++)
        if ((ev->scored_mask >> i & 1) && (ev->targets[i] ^ dst) >> (32 - bits) == 0)
            return true;
    return false;
}

/* Scores each octet once per independent choice of it (see verdict.h). */
static void score_target(struct ww_evidence *ev, const struct ww_verdict_config *cfg, uint32_t dst,
                         unsigned slot)
{
    if (!scored_net(ev, dst, 16)) {
        score_octet(ev, cfg, dst, 0);
        score_octet(ev, cfg, dst, 1);
    }
    if (!scored_net(ev, dst, 24))
        score_octet(ev, cfg, dst, 2);
    score_octet(ev, cfg, dst, 3);
    ev->scored_mask |= 1u << slot;
    inc16(&ev->scored_targets);
}

static bool listed_target(const struct ww_evidence *ev, uint32_t dst)
{
    for (unsigned i = 0; i < ev->target_count; i++)
        if (ev->targets[i] == dst)
            return true;
    return false;
}

static uint32_t sketched(uint16_t exact, const struct ww_hll *sketch, bool overflowed)
{
    if (!overflowed)
        return exact;
    double e = ww_hll_estimate(sketch);
    return e > exact ? (uint32_t)(e + 0.5) : exact;
}

uint32_t ww_evidence_local_targets(const struct ww_evidence *ev)
{
    return sketched(ev->local_targets, &ev->local_sketch, ev->targets_overflowed);
}

uint32_t ww_evidence_remote_targets(const struct ww_evidence *ev)
{
    return sketched(ev->remote_targets, &ev->remote_sketch, ev->targets_overflowed);
}

void ww_evidence_attempt(struct ww_evidence *ev, const struct ww_verdict_config *cfg,
                         const struct ww_hash_key *key, const struct ww_probe *probe)
{
    if (probe->proto != WW_IPPROTO_TCP) {
        inc16(&ev->netbios_probes);
        return;
    }
    inc16(&ev->stack_syns[ww_stack_of(&probe->shape)]);
    if (probe->dport == 139 && probe->dst == ev->last_445_refused &&
        probe->ts_ns >= ev->last_445_refused_ns &&
        probe->ts_ns - ev->last_445_refused_ns <= RETRY_139_WINDOW_NS)
        inc16(&ev->tcp139_after_445);
    if (listed_target(ev, probe->dst))
        return; /* not a new target */
    bool local = (probe->dst >> 16) == (probe->src >> 16);
    ww_hll_add(local ? &ev->local_sketch : &ev->remote_sketch, ww_hash_u32(key, probe->dst));
    if (ev->target_count == WW_EXACT_TARGETS) {
        ev->targets_overflowed = 1; /* new or not, the list cannot say: counted only */
        return;
    }
    unsigned slot = ev->target_count++;
    ev->targets[slot] = probe->dst;
    if (local) {
        inc16(&ev->local_targets);
        return;
    }
    inc16(&ev->remote_targets);
    uint32_t previous = ev->last_remote_target;
    ev->last_remote_target = probe->dst;
    uint32_t step = probe->dst > previous ? probe->dst - previous : previous - probe->dst;
    if (previous && step <= SWEEP_STEP)
        inc16(&ev->sweep_steps);
    else
        ev->sweep_steps = 0;
    if (ev->sweep_steps >= SWEEP_RUN) {
        inc16(&ev->sequential_targets);
        return;
    }
    score_target(ev, cfg, probe->dst, slot);
}

void ww_evidence_refused(struct ww_evidence *ev, const struct ww_probe *probe, uint64_t when_ns)
{
    if (probe->proto == WW_IPPROTO_TCP && probe->dport == 445) {
        ev->last_445_refused = probe->dst;
        ev->last_445_refused_ns = when_ns;
    }
}

/* The shape seen most; SYNs of unknown shape do not count against the rest. */
static enum ww_stack prevailing_stack(const struct ww_evidence *ev)
{
    enum ww_stack best = WW_STACK_UNKNOWN;
    uint16_t most = 0;
    for (int s = WW_STACK_UNKNOWN + 1; s < WW_STACK__COUNT; s++)
        if (ev->stack_syns[s] > most) {
            most = ev->stack_syns[s];
            best = (enum ww_stack)s;
        }
    return best;
}

static double shape_bits(enum ww_stack stack)
{
    switch (stack) {
    case WW_STACK_WINDOWS_XP: return XP_SHAPE_BITS;
    case WW_STACK_WINDOWS:
    case WW_STACK_UNKNOWN: return 0.0;
    default: return SHAPE_RULES_OUT_BITS; /* Conficker only runs on Windows */
    }
}

void ww_verdict_judge(const struct ww_evidence *ev, const struct ww_verdict_config *cfg,
                      struct ww_verdict *out)
{
    out->stack = prevailing_stack(ev);
    out->score = ev->octet_bits + shape_bits(out->stack);
    if (ev->tcp139_after_445)
        out->score += BEHAVIOUR_BITS;
    if (ev->local_targets && ev->remote_targets)
        out->score += BEHAVIOUR_BITS;
    /* SYNs whose shape a short snap length cut off are no evidence either way:
       they neither rule Conficker out nor vouch for Windows. */
    bool windows = out->stack == WW_STACK_WINDOWS_XP || out->stack == WW_STACK_WINDOWS ||
                   (out->stack == WW_STACK_UNKNOWN && ev->stack_syns[WW_STACK_UNKNOWN] > 0);
    out->likely = windows && out->score >= cfg->likely_bits;
    out->windows_or_unknown = windows || out->stack == WW_STACK_UNKNOWN;
    out->indicators = 0;
    out->variant = 0;
    out->evidence = *ev;
}

void ww_verdict_add_indicators(struct ww_verdict *v, const struct ww_host_indicators *ind,
                               const struct ww_verdict_config *cfg)
{
    if (!ind)
        return;
    const double bits[WW_IND__COUNT] = {
        [WW_IND_MS08_067] = cfg->ms08_067_bits, [WW_IND_MS17_010] = cfg->ms17_010_bits,
        [WW_IND_P2P] = cfg->p2p_bits, [WW_IND_DGA] = cfg->dga_bits};
    for (int i = 0; i < WW_IND__COUNT; i++)
        if (ind->bits & WW_IND_BIT(i) && !(v->indicators & WW_IND_BIT(i)))
            v->score += bits[i];
    v->indicators |= ind->bits;
    if (ind->variant)
        v->variant = ind->variant;
    /* Conficker's own traffic needs no Windows SYN to vouch for it; a shape
       that rules Windows out still does (no worm of its runs elsewhere). */
    bool own = ind->bits & (WW_IND_BIT(WW_IND_MS08_067) | WW_IND_BIT(WW_IND_P2P) |
                            WW_IND_BIT(WW_IND_DGA));
    v->likely = v->score >= cfg->likely_bits && (own ? v->windows_or_unknown : v->likely);
}
