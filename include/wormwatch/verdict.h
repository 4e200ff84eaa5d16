/*
 * Verdict: is a flagged source Conficker, or some other scanner?
 *
 * Evidence is gathered per source from its attempts, and weighed as a
 * log2 likelihood ratio "Conficker-like" versus "uniform scanner":
 *
 * - Target octets. Conficker A/B fill each 16-bit half of a random target
 *   from a 15-bit rand(), so the top bit of the 2nd and 4th octet is never
 *   set (rules: [conficker] target_mask = 0.128.0.128). A uniform scanner
 *   sets a masked bit with probability 1 - 2^-bits. Each octet is scored
 *   once per independent choice: the 4th for every distinct target, the 3rd
 *   once per /24, the 1st and 2nd once per /16; targets in the source's own
 *   /16 (a local sweep), and remote targets in a sequential run (each within
 *   2 addresses of the previous one for two steps or more: .1, .2, .3 are all
 *   "below 128" without being random), say nothing and are not scored. A small error rate keeps
 *   one odd target from vetoing everything.
 * - SYN shape. Conficker runs on Windows: a Windows XP/2003 SYN (TTL 65-128,
 *   DF, window 65535/64512/16384, MSS,NOP,NOP,SACK) adds a bit; masscan,
 *   zmap, nmap or Linux shapes rule Conficker out.
 * - Behaviour: a local sweep together with remote targets, and TCP/139
 *   tried right after 445 was refused, add a bit each.
 *
 * `likely` needs the total to reach [conficker] likely_bits AND a Windows
 * shape: the shape alone says "Windows", not "Conficker" (WannaCry scans
 * uniformly from the very same stack and scores far below zero).
 */
#ifndef WW_VERDICT_H
#define WW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/distinct.h"
#include "wormwatch/hash.h"
#include "wormwatch/indicators.h"
#include "wormwatch/probe.h"
#include "wormwatch/rules.h" /* struct ww_verdict_config */

/* Distinct targets a record lists exactly; past them, sketches count. */
#define WW_EXACT_TARGETS 32

/* What a SYN's IP/TCP shape says about the sending stack. */
enum ww_stack {
    WW_STACK_UNKNOWN,      /* no SYN seen (NBNS only) */
    WW_STACK_WINDOWS_XP,   /* Windows XP/2003: Conficker's home */
    WW_STACK_WINDOWS,      /* another Windows SYN (Vista and later) */
    WW_STACK_SCAN_TOOL,    /* masscan/zmap/nmap: TTL 255 or window 1024, no options */
    WW_STACK_UNIX,         /* Linux/BSD: TTL <= 64 */
    WW_STACK_OTHER,
    WW_STACK__COUNT
};

/* Per-source evidence; lives inside the source's table record. */
struct ww_evidence {
    float octet_bits;            /* log2 LR from target octets */
    uint16_t scored_targets;     /* remote targets whose octets were scored */
    uint16_t octet_violations;   /* scored octets with a masked bit set */
    uint16_t local_targets;      /* distinct targets in the source's /16, of targets[] */
    uint16_t remote_targets;     /* distinct targets elsewhere, of targets[] */
    uint16_t sequential_targets; /* remote targets in a sequential run: not scored */
    uint16_t stack_syns[WW_STACK__COUNT]; /* first SYNs by shape */
    uint16_t tcp139_after_445;   /* 139 tried within 5 s of a 445 refusal, same target */
    uint16_t netbios_probes;     /* unicast NBNS queries sent */
    uint16_t arp_misses;         /* unanswered ARP requests for dark home addresses */
    uint32_t last_remote_target; /* for spotting sequential sweeps */
    uint16_t sweep_steps;        /* small steps in a row up to last_remote_target */
    uint32_t last_445_refused;   /* target of the newest 445 refusal */
    uint64_t last_445_refused_ns;
    uint32_t targets[WW_EXACT_TARGETS]; /* the first distinct targets, in order */
    uint32_t scored_mask;        /* bit i: targets[i] had its octets scored */
    uint8_t target_count;        /* used entries of targets[] */
    uint8_t targets_overflowed;  /* a target outside a full targets[] was tried */
    struct ww_hll local_sketch;  /* every distinct local target (keyed hashes) */
    struct ww_hll remote_sketch; /* every distinct remote target */
};

/* Distinct targets: exact while they fit in targets[], else estimated (~9%). */
uint32_t ww_evidence_local_targets(const struct ww_evidence *ev);
uint32_t ww_evidence_remote_targets(const struct ww_evidence *ev);

struct ww_verdict {
    bool likely;
    bool windows_or_unknown;     /* the SYN shape does not rule Windows out */
    uint8_t indicators;          /* WW_IND_BIT()s the source has shown (indicators.h) */
    char variant;                /* 'A', 'B', 'C' when the evidence says, else 0 */
    double score;                /* total log2 likelihood ratio */
    enum ww_stack stack;         /* the source's prevailing SYN shape */
    struct ww_evidence evidence; /* a copy, for the event */
};

void ww_verdict_config_defaults(struct ww_verdict_config *cfg);
enum ww_stack ww_stack_of(const struct ww_syn_shape *shape);
/* A SYN shape that ww_stack_of() puts in `stack` (to replay a remembered
   class where the shape itself was not kept); TTL 0 for WW_STACK_UNKNOWN. */
struct ww_syn_shape ww_stack_example(enum ww_stack stack);
const char *ww_stack_name(enum ww_stack stack);

/* A new attempt by the source (TCP SYN or NBNS query); `key` keys the sketches. */
void ww_evidence_attempt(struct ww_evidence *ev, const struct ww_verdict_config *cfg,
                         const struct ww_hash_key *key, const struct ww_probe *probe);
/* A refused TCP attempt (for "139 after 445"). */
void ww_evidence_refused(struct ww_evidence *ev, const struct ww_probe *probe, uint64_t when_ns);

void ww_verdict_judge(const struct ww_evidence *ev, const struct ww_verdict_config *cfg,
                      struct ww_verdict *out);
/*
 * Folds in what the source showed other detectors: each indicator's bits
 * ([conficker] ms08_067_bits, ...) once, and the variant. An MS08-067
 * exploit, P2P or DGA evidence makes `likely` possible without a Windows SYN
 * (a non-Windows shape still rules it out); NULL changes nothing.
 */
void ww_verdict_add_indicators(struct ww_verdict *v, const struct ww_host_indicators *ind,
                               const struct ww_verdict_config *cfg);

/* Bits one target adds to octet_bits (exposed for tests and docs). */
double ww_verdict_octet_bits(uint32_t mask, uint8_t octet_index, uint8_t octet,
                             double error_rate);

#endif
