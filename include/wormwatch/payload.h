/*
 * Payload stages: what a host sends, beside how it scans.
 *
 * The scan detector judges first contacts; these stages read payloads: the
 * Conficker.C peer-to-peer protocol (p2p_detect.h), DNS look-ups of the A/B
 * rendezvous domains (dga_detect.h) and SMB exploits (smb.h). This file is
 * their common front: it decides per packet, from ports and flags alone,
 * which stage (if any) wants it, so that the common packet pays a few
 * comparisons and no lookup; and it turns each stage's report into a
 * finding (eve.h) with its evidence object and the indicator it proves.
 * The pipeline weighs the verdict and writes the alert.
 */
#ifndef WW_PAYLOAD_H
#define WW_PAYLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/triage.h"
#include "wormwatch/decode.h"
#include "wormwatch/dga_detect.h"
#include "wormwatch/dns.h"
#include "wormwatch/eve.h"
#include "wormwatch/hash.h"
#include "wormwatch/indicators.h"
#include "wormwatch/p2p_detect.h"
#include "wormwatch/rules.h"
#include "wormwatch/smb.h"

/* Signature ids of the payload stages' alerts (README: the rules table). */
#define WW_SID_P2P_PORTS 1000020    /* computed P2P ports of several hosts */
#define WW_SID_P2P_MESSAGES 1000021 /* verified P2P messages to several hosts */
#define WW_SID_P2P_SERVING 1000022  /* a verified P2P answer from its own port */
#define WW_SID_DGA 1000030          /* a run of one day's Conficker A/B names */
/* SMB: 1000010 + enum ww_smb_kind (MS08-067 exploit, check, infected answer;
   MS17-010 exploit, check, DoublePulsar ping, command, implant answer). */
#define WW_SID_SMB_FIRST 1000010

/* One stage's alert, for the pipeline to judge and write. */
struct ww_payload_report {
    enum ww_indicator indicator; /* what it proves */
    bool counts;                 /* false: worth an alert, but no indicator (a scanner's check) */
    char variant;                /* 'A', 'B', 'C' or 0 */
    struct ww_finding finding;   /* its evidence object is the sink's to consume */
};

typedef void (*ww_payload_sink)(void *ctx, struct ww_payload_report *report);

struct ww_payload_stats {
    uint64_t alerts;                       /* written (the pipeline counts them) */
    uint64_t suppressed;                   /* same source and signature within the hour */
    const struct ww_p2p_detect_stats *p2p; /* NULL when [p2p] is off */
    uint64_t dns_seen;                     /* UDP port 53 datagrams */
    const struct ww_dns_stats *dns;        /* of those, the ones whose name has the DGA shape;
                                              NULL when [dga] is off */
    const struct ww_dga_detect_stats *dga;
    const struct ww_smb_stats *smb;        /* NULL when [smb] is off */
    const struct ww_stream_stats *streams;
    uint32_t stream_capacity;
};

struct ww_payload;

/* NULL if memory is short; `rules` must outlive it. `memory`: bytes for all stages. */
struct ww_payload *ww_payload_new(const struct ww_ruleset *rules, uint64_t memory,
                                  const struct ww_hash_key *key, ww_payload_sink sink, void *ctx);
void ww_payload_free(struct ww_payload *pl);
/* One decoded IPv4 packet (has_l4); a stage's report may reach the sink. */
void ww_payload_packet(struct ww_payload *pl, const struct ww_packet *pkt);
void ww_payload_stats(const struct ww_payload *pl, struct ww_payload_stats *out);
/* Which suppression slot of indicators.h a payload SID takes. */
unsigned ww_payload_sid_slot(uint32_t sid);
/* Moves packet time on (idle SMB flows expire); at the end, every flow is judged. */
void ww_payload_advance(struct ww_payload *pl, uint64_t now_ns);
/* For triage (triage.h): SMB flows awaiting a server's answer, and the
   addresses the P2P stage keeps records of; NULL when that stage is off. */
const uint32_t *ww_payload_smb_answers_due(const struct ww_payload *pl);
const struct ww_flow_skips *ww_payload_smb_skips(const struct ww_payload *pl);
/* Where triage counts the DNS datagrams it kept from the DGA stage (in `dns_seen`). */
uint64_t *ww_payload_dns_dropped(struct ww_payload *pl);
const struct ww_addr_filter *ww_payload_p2p_talkers(const struct ww_payload *pl);
void ww_payload_finish(struct ww_payload *pl);

#endif
