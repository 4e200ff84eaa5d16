/*
 * Rules file parser.
 *
 * Line oriented on purpose: every error can name the one line that caused it
 * ("file:12: threshold must be 1..64"), which is what a person editing the
 * file at 3 a.m. needs. Defaults are filled in before parsing so that a rule
 * only states what differs.
 */
#include "wormwatch/rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/decode.h"
#include "wormwatch/verdict.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL
#define MAX_LINE 1024
#define MAX_RULES_FILE (1u << 20)

enum section { SECTION_GLOBAL, SECTION_RULE, SECTION_CONFICKER, SECTION_P2P, SECTION_DGA, SECTION_SMB };

struct parser {
    const char *origin;
    unsigned line;
    struct ww_ruleset *set;
    enum section section;
    struct ww_rule *rule;     /* section being filled, NULL outside [rule] */
    unsigned rule_line;       /* line of its [rule SID] header */
    bool rule_keys_seen[16];  /* required keys seen in this rule */
    char *err;
    size_t err_len;
};

/* Keys a rule must state; threshold and window only for count rules. */
enum required_key { REQ_NAME, REQ_PROTO, REQ_PORT, REQ_THRESHOLD, REQ_WINDOW, REQ__COUNT };
static const char *const required_key_name[REQ__COUNT] = {"name", "proto", "port", "threshold",
                                                          "window"};

static bool fail(struct parser *p, const char *fmt, ...)
{
    int n = snprintf(p->err, p->err_len, "%s:%u: ", p->origin, p->line);
    if (n < 0 || (size_t)n >= p->err_len)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* --- value parsers ------------------------------------------------------- */

static bool parse_uint(const char *text, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)*text))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

/* A number with an optional unit; returns the unit in *unit. */
static bool split_number_unit(const char *text, double *number, const char **unit)
{
    if (!isdigit((unsigned char)*text))
        return false;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (errno || !isfinite(v) || v < 0)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    *number = v;
    *unit = end;
    return true;
}

bool ww_parse_duration(const char *text, uint64_t *ns)
{
    double v;
    const char *unit;
    if (!split_number_unit(text, &v, &unit))
        return false;
    double scale;
    if (!strcmp(unit, "ms"))
        scale = 1e6;
    else if (!*unit || !strcmp(unit, "s"))
        scale = 1e9;
    else if (!strcmp(unit, "m"))
        scale = 60e9;
    else if (!strcmp(unit, "h"))
        scale = 3600e9;
    else if (!strcmp(unit, "d"))
        scale = 86400e9;
    else
        return false;
    double total = v * scale;
    if (total > 365.0 * 86400e9)
        return false;
    *ns = (uint64_t)total;
    return true;
}

bool ww_parse_size(const char *text, uint64_t *bytes)
{
    double v;
    const char *unit;
    if (!split_number_unit(text, &v, &unit))
        return false;
    double scale;
    if (!*unit || !strcmp(unit, "B"))
        scale = 1;
    else if (!strcmp(unit, "K") || !strcmp(unit, "KiB"))
        scale = 1024.0;
    else if (!strcmp(unit, "M") || !strcmp(unit, "MiB"))
        scale = 1024.0 * 1024;
    else if (!strcmp(unit, "G") || !strcmp(unit, "GiB"))
        scale = 1024.0 * 1024 * 1024;
    else
        return false;
    double total = v * scale;
    if (total > 1024.0 * 1024 * 1024 * 1024)
        return false;
    *bytes = (uint64_t)total;
    return true;
}

static bool parse_ipv4(const char *text, uint32_t *addr)
{
    uint32_t value = 0;
    const char *s = text;
    for (int part = 0; part < 4; part++) {
        if (!isdigit((unsigned char)*s))
            return false;
        unsigned octet = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 4) {
            octet = octet * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (octet > 255 || digits > 3)
            return false;
        value = value << 8 | octet;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *addr = value;
    return true;
}

bool ww_parse_prefix(const char *text, struct ww_prefix *out)
{
    char buf[32];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, text, n + 1);
    unsigned bits = 32;
    char *slash = strchr(buf, '/');
    if (slash) {
        uint64_t v;
        *slash = '\0';
        if (!parse_uint(slash + 1, 32, &v))
            return false;
        bits = (unsigned)v;
    }
    uint32_t addr;
    if (!parse_ipv4(buf, &addr))
        return false;
    uint32_t mask = bits == 0 ? 0 : UINT32_MAX << (32 - bits);
    if (addr & ~mask) /* host bits set: almost always a typo */
        return false;
    out->addr = addr;
    out->mask = mask;
    return true;
}

bool ww_prefix_list_contains(const struct ww_prefix_list *list, uint32_t addr)
{
    for (size_t i = 0; i < list->count; i++)
        if ((addr & list->item[i].mask) == list->item[i].addr)
            return true;
    return false;
}

bool ww_prefix_list_is_broadcast(const struct ww_prefix_list *list, uint32_t addr)
{
    for (size_t i = 0; i < list->count; i++) {
        const struct ww_prefix *p = &list->item[i];
        if (p->mask != UINT32_MAX && (addr & p->mask) == p->addr && (addr | p->mask) == UINT32_MAX)
            return true;
    }
    return false;
}

/* --- sections and keys --------------------------------------------------- */

static bool parse_prefix_list(struct parser *p, char *value, struct ww_prefix_list *list)
{
    char *state = NULL;
    list->count = 0;
    for (char *tok = strtok_r(value, ", \t", &state); tok; tok = strtok_r(NULL, ", \t", &state)) {
        if (list->count == WW_MAX_PREFIXES)
            return fail(p, "more than %d networks in one list", WW_MAX_PREFIXES);
        if (!ww_parse_prefix(tok, &list->item[list->count]))
            return fail(p, "'%s' is not an IPv4 address or network (a.b.c.d/len, host bits zero)",
                        tok);
        list->count++;
    }
    return true;
}

static bool parse_duration_key(struct parser *p, const char *key, const char *value, uint64_t min,
                               uint64_t *out)
{
    if (!ww_parse_duration(value, out))
        return fail(p, "%s: '%s' is not a duration (e.g. 500ms, 30s, 5m, 1h)", key, value);
    if (*out < min)
        return fail(p, "%s: '%s' is too short", key, value);
    return true;
}

static bool parse_count_key(struct parser *p, const char *key, const char *value, uint64_t min,
                            uint64_t max, uint32_t *out);

static bool global_key(struct parser *p, const char *key, char *value)
{
    struct ww_ruleset *s = p->set;
    if (!strcmp(key, "home_nets"))
        return parse_prefix_list(p, value, &s->home_nets);
    if (!strcmp(key, "never_flag"))
        return parse_prefix_list(p, value, &s->never_flag);
    if (!strcmp(key, "ignore_targets"))
        return parse_prefix_list(p, value, &s->ignore_targets);
    if (!strcmp(key, "dark_nets"))
        return parse_prefix_list(p, value, &s->dark_nets);
    if (!strcmp(key, "attempt_timeout"))
        return parse_duration_key(p, key, value, NS_PER_MS, &s->attempt_timeout_ns);
    if (!strcmp(key, "idle_timeout"))
        return parse_duration_key(p, key, value, NS_PER_SEC, &s->idle_timeout_ns);
    if (!strcmp(key, "max_memory")) {
        if (!ww_parse_size(value, &s->max_memory))
            return fail(p, "max_memory: '%s' is not a size (e.g. 64M, 1G)", value);
        if (s->max_memory < 1024 * 1024)
            return fail(p, "max_memory: '%s' is below the 1M minimum", value);
        return true;
    }
    if (!strcmp(key, "flood_sources"))
        return parse_count_key(p, key, value, 0, 100000000, &s->flood_sources);
    if (!strcmp(key, "flood_failures"))
        return parse_count_key(p, key, value, 1, 1000, &s->flood_failures);
    return fail(p, "unknown key '%s' in [global]", key);
}

/* A whole value that is a real number; NaN passes here and fails every
   caller's range check. */
static bool parse_real(const char *value, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(value, &end);
    return !errno && end != value && !*end;
}

/* A number strictly between 0 and 1 (or up to `max`). */
static bool parse_probability(struct parser *p, const char *key, const char *value, double max,
                              double *out)
{
    double v;
    if (!parse_real(value, &v) || !(v > 0.0 && v < max))
        return fail(p, "%s must be a number above 0 and below %g, not '%s'", key, max, value);
    *out = v;
    return true;
}

static bool conficker_key(struct parser *p, const char *key, const char *value)
{
    struct ww_verdict_config *c = &p->set->conficker;
    if (!strcmp(key, "target_mask")) {
        if (!parse_ipv4(value, &c->target_mask))
            return fail(p, "target_mask must be a dotted mask such as 0.128.0.128, not '%s'",
                        value);
        return true;
    }
    if (!strcmp(key, "likely_bits")) {
        double v;
        if (!parse_real(value, &v) || !(v >= 0.0 && v <= 1000.0))
            return fail(p, "likely_bits must be a number from 0 to 1000, not '%s'", value);
        c->likely_bits = v;
        return true;
    }
    if (!strcmp(key, "error_rate"))
        return parse_probability(p, key, value, 0.5, &c->error_rate);
    static const struct {
        const char *key;
        size_t offset;
    } weights[] = {{"ms08_067_bits", offsetof(struct ww_verdict_config, ms08_067_bits)},
                   {"ms17_010_bits", offsetof(struct ww_verdict_config, ms17_010_bits)},
                   {"p2p_bits", offsetof(struct ww_verdict_config, p2p_bits)},
                   {"dga_bits", offsetof(struct ww_verdict_config, dga_bits)}};
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++) {
        if (strcmp(key, weights[i].key))
            continue;
        double v;
        if (!parse_real(value, &v) || !(v >= -1000.0 && v <= 1000.0))
            return fail(p, "%s must be a number from -1000 to 1000, not '%s'", key, value);
        *(double *)(void *)((char *)c + weights[i].offset) = v;
        return true;
    }
    return fail(p, "unknown key '%s' in [conficker]", key);
}

static bool copy_text(struct parser *p, const char *key, const char *value, char *dst)
{
    size_t n = strlen(value);
    if (n == 0)
        return fail(p, "%s is empty", key);
    if (n >= WW_RULE_TEXT_MAX)
        return fail(p, "%s is longer than %d characters", key, WW_RULE_TEXT_MAX - 1);
    for (const char *c = value; *c; c++)
        if ((unsigned char)*c < 0x20)
            return fail(p, "%s has a control character", key);
    memcpy(dst, value, n + 1);
    return true;
}

static bool rule_number(struct parser *p, const char *key, const char *value, uint64_t min,
                        uint64_t max, uint64_t *out)
{
    if (!parse_uint(value, max, out) || *out < min)
        return fail(p, "%s must be a whole number from %llu to %llu, not '%s'", key,
                    (unsigned long long)min, (unsigned long long)max, value);
    return true;
}

static void mark_required(struct parser *p, enum required_key k)
{
    p->rule_keys_seen[k] = true;
}

static bool rule_key(struct parser *p, const char *key, char *value)
{
    struct ww_rule *r = p->rule;
    uint64_t v;
    if (!strcmp(key, "name")) {
        mark_required(p, REQ_NAME);
        return copy_text(p, key, value, r->name);
    }
    if (!strcmp(key, "category"))
        return copy_text(p, key, value, r->category);
    if (!strcmp(key, "rev")) {
        if (!rule_number(p, key, value, 1, UINT32_MAX, &v))
            return false;
        r->rev = (uint32_t)v;
        return true;
    }
    if (!strcmp(key, "severity")) {
        if (!rule_number(p, key, value, 1, 4, &v))
            return false;
        r->severity = (uint8_t)v;
        return true;
    }
    if (!strcmp(key, "type")) {
        if (!strcmp(value, "count"))
            r->type = WW_RULE_COUNT;
        else if (!strcmp(value, "sequential"))
            r->type = WW_RULE_SEQUENTIAL;
        else
            return fail(p, "type must be 'count' or 'sequential', not '%s'", value);
        return true;
    }
    if (!strcmp(key, "arp_misses")) {
        if (!strcmp(value, "yes"))
            r->arp_misses = true;
        else if (!strcmp(value, "no"))
            r->arp_misses = false;
        else
            return fail(p, "arp_misses must be 'yes' or 'no', not '%s'", value);
        return true;
    }
    if (!strcmp(key, "home_targets")) {
        if (!strcmp(value, "yes"))
            r->home_targets = true;
        else if (!strcmp(value, "no"))
            r->home_targets = false;
        else
            return fail(p, "home_targets must be 'yes' or 'no', not '%s'", value);
        return true;
    }
    if (!strcmp(key, "theta0"))
        return parse_probability(p, key, value, 1.0, &r->theta0);
    if (!strcmp(key, "theta1"))
        return parse_probability(p, key, value, 1.0, &r->theta1);
    if (!strcmp(key, "detection"))
        return parse_probability(p, key, value, 1.0, &r->detection);
    if (!strcmp(key, "false_alarm"))
        return parse_probability(p, key, value, 1.0, &r->false_alarm);
    if (!strcmp(key, "proto")) {
        mark_required(p, REQ_PROTO);
        if (!strcmp(value, "tcp"))
            r->proto = WW_IPPROTO_TCP;
        else if (!strcmp(value, "udp"))
            r->proto = WW_IPPROTO_UDP;
        else
            return fail(p, "proto must be tcp or udp, not '%s'", value);
        return true;
    }
    if (!strcmp(key, "port")) {
        mark_required(p, REQ_PORT);
        if (!rule_number(p, key, value, 1, 65535, &v))
            return false;
        r->port = (uint16_t)v;
        return true;
    }
    if (!strcmp(key, "also_port")) {
        if (!rule_number(p, key, value, 1, 65535, &v))
            return false;
        r->also_port = (uint16_t)v;
        return true;
    }
    if (!strcmp(key, "count")) {
        if (!strcmp(value, "failed"))
            r->count = WW_COUNT_FAILED;
        else if (!strcmp(value, "all"))
            r->count = WW_COUNT_ALL;
        else
            return fail(p, "count must be 'failed' or 'all', not '%s'", value);
        return true;
    }
    if (!strcmp(key, "threshold")) {
        mark_required(p, REQ_THRESHOLD);
        if (!rule_number(p, key, value, 1, WW_MAX_THRESHOLD, &v))
            return false;
        r->threshold = (uint32_t)v;
        return true;
    }
    if (!strcmp(key, "window")) {
        mark_required(p, REQ_WINDOW);
        if (!parse_duration_key(p, key, value, NS_PER_MS, &r->window_ns))
            return false;
        if (r->window_ns > 24 * 3600 * NS_PER_SEC)
            return fail(p, "window must be at most 24h");
        return true;
    }
    if (!strcmp(key, "suppress"))
        return parse_duration_key(p, key, value, 0, &r->suppress_ns);
    if (!strcmp(key, "min_failed_fraction")) {
        double f;
        if (!parse_real(value, &f) || !(f >= 0.0 && f <= 1.0))
            return fail(p, "min_failed_fraction must be a number from 0 to 1, not '%s'", value);
        r->min_failed_fraction = f;
        return true;
    }
    return fail(p, "unknown key '%s' in [rule %u]", key, r->sid);
}

/* Checks what a rule needs as a whole; errors name its [rule SID] line. */
static bool finish_rule(struct parser *p)
{
    struct ww_rule *r = p->rule;
    if (!r)
        return true;
    unsigned line = p->line;
    p->line = p->rule_line;
    int required = r->type == WW_RULE_COUNT ? REQ__COUNT : REQ_THRESHOLD;
    for (int k = 0; k < required; k++)
        if (!p->rule_keys_seen[k])
            return fail(p, "[rule %u] has no '%s'", r->sid, required_key_name[k]);
    if (r->type == WW_RULE_SEQUENTIAL && !(r->theta1 < r->theta0))
        return fail(p, "[rule %u]: theta1 (a scanner's success rate) must be below theta0",
                    r->sid);
    if (r->type == WW_RULE_SEQUENTIAL && !(r->false_alarm < r->detection))
        return fail(p, "[rule %u]: false_alarm must be below detection", r->sid);
    if (r->home_targets && r->type != WW_RULE_COUNT)
        return fail(p, "[rule %u]: home_targets needs type = count", r->sid);
    if (r->arp_misses && r->type != WW_RULE_SEQUENTIAL)
        return fail(p, "[rule %u]: arp_misses needs type = sequential", r->sid);
    if (r->proto == WW_IPPROTO_UDP && r->port != WW_NBNS_PORT)
        return fail(p, "[rule %u]: udp rules watch NetBIOS name service only (port 137)", r->sid);
    if (r->also_port && (r->type != WW_RULE_SEQUENTIAL || r->proto != WW_IPPROTO_TCP ||
                         r->also_port == r->port))
        return fail(p, "[rule %u]: also_port needs a sequential tcp rule and another port",
                    r->sid);
    p->line = line;
    return true;
}

static void rule_defaults(struct ww_rule *r, uint32_t sid)
{
    memset(r, 0, sizeof *r);
    r->sid = sid;
    r->rev = 1;
    r->severity = 2;
    snprintf(r->category, sizeof r->category, "Detection of a Network Scan");
    r->count = WW_COUNT_FAILED;
    r->suppress_ns = 3600 * NS_PER_SEC;
    r->theta0 = 0.8; /* the values of Jung et al. */
    r->theta1 = 0.2;
    r->detection = 0.99;
    r->false_alarm = 0.01;
}

static bool parse_switch(struct parser *p, const char *key, const char *value, bool *out)
{
    if (!strcmp(value, "yes") || !strcmp(value, "no")) {
        *out = !strcmp(value, "yes");
        return true;
    }
    return fail(p, "%s must be yes or no, not '%s'", key, value);
}

static bool parse_count_key(struct parser *p, const char *key, const char *value, uint64_t min,
                            uint64_t max, uint32_t *out)
{
    uint64_t v;
    if (!parse_uint(value, max, &v) || v < min)
        return fail(p, "%s must be a whole number from %llu to %llu, not '%s'", key,
                    (unsigned long long)min, (unsigned long long)max, value);
    *out = (uint32_t)v;
    return true;
}

/* [p2p], [dga] and [smb]: the payload stages' switches and thresholds. */
static bool payload_key(struct parser *p, const char *key, const char *value)
{
    struct ww_payload_rules *r = &p->set->payload;
    const char *section = p->section == SECTION_P2P ? "p2p" : p->section == SECTION_DGA ? "dga" : "smb";
    if (!strcmp(key, "enabled"))
        return parse_switch(p, key, value,
                            p->section == SECTION_P2P ? &r->p2p
                            : p->section == SECTION_DGA ? &r->dga
                                                        : &r->smb);
    if (p->section == SECTION_P2P) {
        if (!strcmp(key, "min_targets"))
            return parse_count_key(p, key, value, 1, 16, &r->p2p_min_targets);
        if (!strcmp(key, "window"))
            return parse_count_key(p, key, value, 1, 1000000, &r->p2p_window);
        if (!strcmp(key, "min_verified_targets"))
            return parse_count_key(p, key, value, 1, 16, &r->p2p_min_verified_targets);
        if (!strcmp(key, "min_serving"))
            return parse_count_key(p, key, value, 1, 1000, &r->p2p_min_serving);
        if (!strcmp(key, "week_slack"))
            return parse_duration_key(p, key, value, 0, &r->p2p_week_slack_ns);
    }
    if (p->section == SECTION_DGA && !strcmp(key, "min_names"))
        return parse_count_key(p, key, value, 2, 250, &r->dga_min_names);
    return fail(p, "unknown key '%s' in [%s]", key, section);
}

static bool open_section(struct parser *p, char *header)
{
    if (!finish_rule(p))
        return false;
    char *name = trim(header);
    p->rule = NULL;
    if (!strcmp(name, "global")) {
        p->section = SECTION_GLOBAL;
        return true;
    }
    if (!strcmp(name, "conficker")) {
        p->section = SECTION_CONFICKER;
        return true;
    }
    static const struct {
        const char *name;
        enum section section;
    } payload_sections[] = {{"p2p", SECTION_P2P}, {"dga", SECTION_DGA}, {"smb", SECTION_SMB}};
    for (size_t i = 0; i < sizeof payload_sections / sizeof payload_sections[0]; i++)
        if (!strcmp(name, payload_sections[i].name)) {
            p->section = payload_sections[i].section;
            return true;
        }
    if (strncmp(name, "rule", 4) != 0 || !isspace((unsigned char)name[4]))
        return fail(p, "unknown section [%s] (expected [global], [conficker], [p2p], [dga], [smb] "
                       "or [rule SID])",
                    name);
    p->section = SECTION_RULE;
    uint64_t sid;
    char *sid_text = trim(name + 4);
    if (!parse_uint(sid_text, UINT32_MAX, &sid) || sid < WW_MIN_LOCAL_SID)
        return fail(p, "rule id '%s' must be a number >= %u (the local signature range)", sid_text,
                    WW_MIN_LOCAL_SID);
    struct ww_ruleset *s = p->set;
    for (size_t i = 0; i < s->rule_count; i++)
        if (s->rule[i].sid == sid)
            return fail(p, "rule %llu is defined twice", (unsigned long long)sid);
    if (s->rule_count == WW_MAX_RULES)
        return fail(p, "more than %d rules", WW_MAX_RULES);
    p->rule = &s->rule[s->rule_count++];
    p->rule_line = p->line;
    rule_defaults(p->rule, (uint32_t)sid);
    memset(p->rule_keys_seen, 0, sizeof p->rule_keys_seen);
    return true;
}

static bool parse_line(struct parser *p, char *line)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return true;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || *trim(close + 1) != '\0')
            return fail(p, "section header must look like [global] or [rule 1000001]");
        *close = '\0';
        return open_section(p, s + 1);
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return fail(p, "expected 'key = value', a [section] or a # comment");
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    if (*key == '\0')
        return fail(p, "missing key before '='");
    switch (p->section) {
    case SECTION_RULE: return rule_key(p, key, value);
    case SECTION_CONFICKER: return conficker_key(p, key, value);
    case SECTION_P2P:
    case SECTION_DGA:
    case SECTION_SMB: return payload_key(p, key, value);
    default: return global_key(p, key, value);
    }
}

static void ruleset_defaults(struct ww_ruleset *s)
{
    memset(s, 0, sizeof *s);
    s->attempt_timeout_ns = 5 * NS_PER_SEC;
    s->idle_timeout_ns = 3600 * NS_PER_SEC;
    s->max_memory = 64ULL * 1024 * 1024;
    s->flood_sources = 1000;
    s->flood_failures = 8;
    ww_verdict_config_defaults(&s->conficker);
    s->payload = (struct ww_payload_rules){
        .p2p = true, .p2p_min_targets = 3, .p2p_window = 64, .p2p_min_verified_targets = 2,
        .p2p_min_serving = 1, .p2p_week_slack_ns = 24 * 3600 * NS_PER_SEC,
        .dga = true, .dga_min_names = 3, .smb = true};
}

bool ww_rules_parse(const char *text, const char *origin, struct ww_ruleset *out, char *err,
                    size_t err_len)
{
    struct parser p = {.origin = origin, .set = out, .err = err, .err_len = err_len};
    ruleset_defaults(out);
    char line[MAX_LINE];
    const char *s = text;
    while (*s) {
        p.line++;
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n >= sizeof line)
            return fail(&p, "line longer than %d characters", MAX_LINE - 1);
        memcpy(line, s, n);
        line[n] = '\0';
        if (memchr(line, '\r', n))
            *strchr(line, '\r') = '\0';
        if (!parse_line(&p, line))
            return false;
        s = nl ? nl + 1 : s + n;
    }
    if (!finish_rule(&p))
        return false;
    if (out->rule_count == 0) {
        p.line = p.line ? p.line : 1;
        return fail(&p, "no [rule SID] sections: nothing to detect");
    }
    return true;
}

bool ww_rules_load_file(const char *path, struct ww_ruleset *out, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open rules file: %s", path, strerror(errno));
        return false;
    }
    char *text = malloc(MAX_RULES_FILE + 1);
    if (!text) {
        fclose(f);
        snprintf(err, err_len, "%s: out of memory", path);
        return false;
    }
    size_t n = fread(text, 1, MAX_RULES_FILE + 1, f);
    bool read_error = ferror(f);
    fclose(f);
    bool ok = false;
    if (read_error)
        snprintf(err, err_len, "%s: cannot read rules file", path);
    else if (n > MAX_RULES_FILE)
        snprintf(err, err_len, "%s: rules file larger than %u bytes", path, MAX_RULES_FILE);
    else if (memchr(text, '\0', n))
        snprintf(err, err_len, "%s: rules file contains a NUL byte (not a text file?)", path);
    else {
        text[n] = '\0';
        ok = ww_rules_parse(text, path, out, err, err_len);
    }
    free(text);
    return ok;
}

bool ww_rules_load_default(struct ww_ruleset *out, char *err, size_t err_len)
{
    return ww_rules_parse(ww_default_rules_text, "<built-in default.rules>", out, err, err_len);
}
