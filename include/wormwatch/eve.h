/*
 * EVE JSON building blocks shared by every kind of event (eve.c formats
 * the scan alerts and stats; the payload stages' alerts use the same
 * pieces), so that all events read alike to Suricata's consumers.
 */
#ifndef WW_EVE_H
#define WW_EVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

json_t *ww_eve_ip(uint32_t addr);       /* "10.0.0.1" */
json_t *ww_eve_time(uint64_t ts_ns);    /* Suricata's timestamp form, UTC */
json_t *ww_eve_real2(double v);         /* rounded to 2 decimals */
const char *ww_eve_proto_name(uint8_t proto);
struct ww_verdict;
struct ww_identity;
/*
 * An alert from a stage that reads what a host sends (its exploit, its P2P
 * messages, its DNS look-ups), not a scan rule: the flow fields of the
 * packet that decided, the stage's evidence objects, and the verdict.
 */
struct ww_finding {
    uint32_t sid;            /* signature id (README: the rules table) */
    const char *signature;
    const char *category;
    uint8_t severity;
    uint64_t ts_ns;          /* packet time of the deciding packet */
    uint32_t src, dst;       /* its addresses, host order */
    uint16_t sport, dport;
    uint8_t proto;           /* WW_IPPROTO_TCP or _UDP */
    bool no_sport, no_dport; /* a port that is not known is not written (nor a community_id) */
    json_t *evidence;        /* an object whose members join the event (e.g. "p2p"); consumed */
    const struct ww_identity *identity; /* what the source is, or NULL */
    const struct ww_verdict *verdict;
};
char *ww_eve_format_finding(const struct ww_finding *f, const char *host, const char *iface);

/* The event as one line, newline included (consumes `event`); caller frees. */
char *ww_eve_line(json_t *event);

#endif
