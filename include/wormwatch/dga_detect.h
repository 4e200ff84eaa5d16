/*
 * The DGA detector: names a host that looks up the day's Conficker A or B
 * domains.
 *
 * A Conficker A or B host resolves its 250 names of the day, one after the
 * other, every few hours; nearly all answer NXDOMAIN. So a client that looks
 * up several distinct names of one variant's list for one day is infected,
 * while one name (a generated name that happens to be a real domain) is
 * not evidence: the threshold is at least two, three by default.
 *
 * Fed DNS messages on port 53 with the client and resolver addresses, the
 * detector looks each question up in the day set (today's lists and the days
 * either side, by packet time) and keeps, for each client with a match, the
 * names it looked up per (variant, day) list as bits, so repeats count once.
 * A query is remembered until its response, paired by (client, resolver, DNS
 * ID, name), to learn the name's response code; a response whose query was
 * not seen (a capture of one direction) counts as the lookup itself. Only
 * clients with a match get a record, in a table of fixed size: when it is
 * full the least recently active client goes, and that is counted.
 *
 * When a client reaches the threshold on one list it is reported once for
 * that list, through a callback, with what the lead turns into an alert.
 */
#ifndef WW_DGA_DETECT_H
#define WW_DGA_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/hash.h"

#include "wormwatch/dga.h"
#include "wormwatch/dga_days.h"
#include "wormwatch/dns.h"

#define WW_DGA_REPORT_SAMPLES 4   /* names a report shows */
#define WW_DGA_DEFAULT_MIN_NAMES 3
#define WW_DGA_DEFAULT_MAX_CLIENTS 1024 /* about 1 MB */

struct ww_dga_detect_config {
    uint32_t min_names;   /* distinct names of one list that flag a client: 2..250 */
    uint32_t max_clients; /* clients tracked at once: memory is fixed at creation */
    struct ww_hash_key key; /* keys the client table (the pipeline's own key) */
};

void ww_dga_detect_config_default(struct ww_dga_detect_config *cfg);

/* A client that looked up min_names names of one list. */
struct ww_dga_report {
    uint64_t ts_ns;               /* packet time of the lookup that reached the threshold */
    uint64_t first_seen_ns;       /* packet time of its first lookup from this list */
    uint32_t client;              /* the infected host, host byte order */
    uint32_t resolver;            /* the server of that last lookup */
    enum ww_dga_variant variant;
    struct ww_dga_date list_date; /* the UTC day of the list */
    uint32_t distinct;            /* names of the list looked up, each once */
    uint32_t answered;            /* of those, names whose response was seen */
    uint32_t nxdomain;            /* of the answered, those whose last answer was NXDOMAIN */
    double nxdomain_share;        /* nxdomain / answered; 0 when none was answered */
    uint32_t sample_count;
    char samples[WW_DGA_REPORT_SAMPLES][WW_DGA_NAME_MAX]; /* the first names, in order seen */
};

typedef void (*ww_dga_report_fn)(void *ctx, const struct ww_dga_report *report);

struct ww_dga_detect_stats {
    uint64_t messages;           /* messages given */
    uint64_t skipped;            /* no question, not a standard query, class not IN */
    uint64_t direction_mismatch; /* a query from the resolver's side or the reverse */
    uint64_t matches;            /* messages whose question is on a list */
    uint64_t paired;             /* matching responses to a query seen */
    uint64_t unpaired_responses; /* matching responses whose query was not seen */
    uint64_t clients;            /* client records made */
    uint64_t client_evictions;   /* clients dropped, least recently active, for room */
    uint64_t list_evictions;     /* a client's list dropped for room (more lists than slots) */
    uint64_t pending_evictions;  /* queries forgotten before their answer, for room */
    uint64_t reports;            /* clients reported */
};

struct ww_dga_detect;

/* NULL if the configuration is out of range or memory could not be had. */
struct ww_dga_detect *ww_dga_detect_new(const struct ww_dga_detect_config *cfg,
                                        ww_dga_report_fn report, void *ctx);
void ww_dga_detect_free(struct ww_dga_detect *d);

/* Bytes the detector takes for a configuration (fixed for its life). */
size_t ww_dga_detect_bytes(const struct ww_dga_detect_config *cfg);

/*
 * One parsed DNS message (ww_dns_parse() returned WW_DNS_OK) at packet time
 * ts_ns. `client` is the host that asks, `resolver` the server, whatever the
 * direction (host byte order); is_response says the message went from the
 * resolver to the client (source port 53).
 */
void ww_dga_detect_message(struct ww_dga_detect *d, uint64_t ts_ns, uint32_t client,
                           uint32_t resolver, const struct ww_dns_message *msg, bool is_response);

const struct ww_dga_detect_stats *ww_dga_detect_stats(const struct ww_dga_detect *d);
/* The day set's own counters (lists built, lookups). */
const struct ww_dga_days_stats *ww_dga_detect_days_stats(const struct ww_dga_detect *d);

#endif
