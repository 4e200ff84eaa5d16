/*
 * Rules: thresholds and settings from a human-edited file (rules/default.rules and its kin).
 *
 * The format is INI-like: a [global] section of site settings and one
 * [rule SID] section per detector rule, one `key = value` per line, `#`
 * comments. docs/rules.md is the reference. A ruleset is parsed once at start
 * and is read-only afterwards; every stage that needs it gets a const pointer.
 */
#ifndef WW_RULES_H
#define WW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_MAX_RULES 16
#define WW_MAX_PREFIXES 64
#define WW_MAX_THRESHOLD 64
#define WW_MIN_LOCAL_SID 1000000u
#define WW_RULE_TEXT_MAX 128

/* An IPv4 network, host byte order. */
struct ww_prefix {
    uint32_t addr;
    uint32_t mask;
};

struct ww_prefix_list {
    struct ww_prefix item[WW_MAX_PREFIXES];
    size_t count;
};

/* How a rule decides. */
enum ww_rule_type {
    WW_RULE_COUNT,     /* >= threshold distinct targets in a sliding window */
    WW_RULE_SEQUENTIAL /* threshold random walk over first-contact outcomes */
};

/* What a rule counts towards its threshold. */
enum ww_count_mode {
    WW_COUNT_FAILED, /* distinct targets whose attempt was rejected or unanswered */
    WW_COUNT_ALL     /* distinct targets probed, answered or not */
};

struct ww_rule {
    uint32_t sid;                    /* signature_id, >= 1000000 */
    uint32_t rev;
    uint8_t severity;                /* 1 (high) .. 4 */
    char name[WW_RULE_TEXT_MAX];     /* EVE alert.signature */
    char category[WW_RULE_TEXT_MAX]; /* EVE alert.category */
    enum ww_rule_type type;
    uint8_t proto;                   /* WW_IPPROTO_TCP or WW_IPPROTO_UDP */
    uint16_t port;                   /* probed port (UDP: only 137, NBNS) */
    uint16_t also_port;              /* sequential TCP: a second port whose contacts are
                                        contacts of the same host (0: none) */
    enum ww_count_mode count;
    uint32_t threshold;              /* distinct targets within window */
    uint64_t window_ns;              /* sliding window length */
    uint64_t suppress_ns;            /* one alert per source per this interval */
    double min_failed_fraction;      /* failed/(failed+accepted) needed to alert */
    /* sequential rules (Jung, Paxson, Berger, Balakrishnan 2004) */
    double theta0;                   /* P(first contact succeeds | benign) */
    double theta1;                   /* P(first contact succeeds | scanner) */
    double detection;                /* wanted P_D */
    double false_alarm;              /* wanted P_F */
    bool home_targets;               /* count: only targets inside home_nets count */
    bool arp_misses;                 /* sequential: an unanswered ARP for a dark home
                                        address counts as a failed first contact */
};

/* The Conficker fingerprint's settings ([conficker]; see verdict.h). */
struct ww_verdict_config {
    uint32_t target_mask;  /* bits Conficker never sets in a random target */
    double likely_bits;    /* total log2 likelihood ratio for likely = true */
    double error_rate;     /* chance a Conficker target breaks the mask anyway */
    /* Bits each of the other detectors' indicators adds (indicators.h). */
    double ms08_067_bits;  /* an MS08-067 exploit: Conficker's own */
    double ms17_010_bits;  /* an MS17-010 exploit: WannaCry's, not Conficker's */
    double p2p_bits;       /* Conficker.C P2P scanning or serving */
    double dga_bits;       /* a run of the day's A/B domain names */
};

/* What the payload stages look for: the [p2p], [dga] and [smb] sections. */
struct ww_payload_rules {
    bool p2p;                          /* Conficker.C peer-to-peer detection */
    uint32_t p2p_min_targets;          /* hosts whose computed ports a source hits ... */
    uint32_t p2p_window;               /* ... within this many of its candidate packets */
    uint32_t p2p_min_verified_targets; /* hosts sent a verified P2P message */
    uint32_t p2p_min_serving;          /* verified messages sent from its own computed port */
    uint64_t p2p_week_slack_ns;        /* the neighbouring week's ports count this near a boundary */
    bool dga;                          /* Conficker A/B domain look-ups */
    uint32_t dga_min_names;            /* distinct names of one day's list that flag a client */
    bool smb;                          /* MS08-067 and MS17-010 in SMB sessions */
};

struct ww_ruleset {
    struct ww_rule rule[WW_MAX_RULES];
    size_t rule_count;
    struct ww_prefix_list home_nets;      /* the site's own networks */
    struct ww_prefix_list never_flag;     /* sources never to alert on */
    struct ww_prefix_list ignore_targets; /* probes to these are not counted */
    struct ww_prefix_list dark_nets;      /* unused space: any contact there fails */
    struct ww_verdict_config conficker;   /* the Conficker fingerprint */
    struct ww_payload_rules payload;      /* the stages that read what hosts send */
    uint64_t attempt_timeout_ns;          /* no answer this long after the last SYN: unanswered */
    uint64_t idle_timeout_ns;             /* a source idle this long is forgotten */
    uint64_t max_memory;                  /* bytes for the source and attempt tables */
    uint32_t flood_sources;               /* new sources a second that make a flood (0: never) */
    uint32_t flood_failures;              /* failures that flag a source during one, unvouched */
};

/* rules/default.rules, compiled in (generated at build time). */
extern const char ww_default_rules_text[];

/*
 * Parses rules text. On failure returns false and writes
 * "ORIGIN:LINE: what is wrong" into err.
 */
bool ww_rules_parse(const char *text, const char *origin, struct ww_ruleset *out, char *err,
                    size_t err_len);
bool ww_rules_load_file(const char *path, struct ww_ruleset *out, char *err, size_t err_len);
bool ww_rules_load_default(struct ww_ruleset *out, char *err, size_t err_len);

bool ww_prefix_list_contains(const struct ww_prefix_list *list, uint32_t addr);
/* True for the directed broadcast address of any network in the list. */
bool ww_prefix_list_is_broadcast(const struct ww_prefix_list *list, uint32_t addr);

/* Parsers for values, exposed for the command line and tests. */
bool ww_parse_duration(const char *text, uint64_t *ns);
bool ww_parse_size(const char *text, uint64_t *bytes);
bool ww_parse_prefix(const char *text, struct ww_prefix *out);

#endif
