/*
 * One line per flagged host. See summary.h. The list is small and filled
 * once per alert (alerts are suppressed per host and rule), so a linear
 * search is plenty; sorting happens once, at the end.
 */
#include "wormwatch/summary.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/format.h"
#include "wormwatch/indicators.h"
#include "wormwatch/payload.h"

/* Families of signatures, from their ids (README: the rules table). */
#define KIND_SCAN 0x01     /* 1000001-1000005 */
#define KIND_MS08_CHECK 0x02
#define KIND_MS17_CHECK 0x04
#define KIND_EXPLOIT 0x08  /* exploits, DoublePulsar, infected answers */
#define KIND_P2P 0x10
#define KIND_DGA 0x20

static uint8_t kind_of(uint32_t sid)
{
    if (sid == WW_SID_SMB_FIRST + 1)
        return KIND_MS08_CHECK;
    if (sid == WW_SID_SMB_FIRST + 4)
        return KIND_MS17_CHECK;
    if (sid >= WW_SID_SMB_FIRST && sid <= WW_SID_SMB_FIRST + 7)
        return KIND_EXPLOIT;
    if (sid >= WW_SID_P2P_PORTS && sid <= WW_SID_P2P_SERVING)
        return KIND_P2P;
    if (sid == WW_SID_DGA)
        return KIND_DGA;
    return KIND_SCAN;
}

void ww_summary_init(struct ww_summary *s)
{
    memset(s, 0, sizeof *s);
}

void ww_summary_add(struct ww_summary *s, const struct ww_summary_alert *a)
{
    struct ww_summary_host *h = NULL;
    for (uint32_t i = 0; i < s->count && !h; i++)
        if (s->host[i].addr == a->src)
            h = &s->host[i];
    if (!h) {
        if (s->count == WW_SUMMARY_HOSTS) {
            s->unlisted_alerts++;
            return;
        }
        h = &s->host[s->count++];
        *h = (struct ww_summary_host){.addr = a->src};
    }
    ww_summary_host_add(h, a);
}

void ww_summary_host_add(struct ww_summary_host *h, const struct ww_summary_alert *a)
{
    if (h->alerts == 0) {
        h->addr = a->src;
        h->first_ns = h->last_ns = a->ts_ns;
    }
    if (a->ts_ns < h->first_ns)
        h->first_ns = a->ts_ns;
    if (a->ts_ns > h->last_ns)
        h->last_ns = a->ts_ns;
    h->alerts++;
    if (a->targets > h->targets)
        h->targets = a->targets;
    h->likely |= a->likely;
    h->indicators |= a->indicators;
    if (a->variant)
        h->variant = a->variant;
    h->kinds |= kind_of(a->sid);
    if (a->name && a->name[0])
        snprintf(h->name, sizeof h->name, "%s", a->name);
}

const char *ww_summary_verdict(const struct ww_summary_host *h, char *buf, size_t len)
{
    if (h->likely) {
        if (h->variant)
            snprintf(buf, len, "Conficker %c", h->variant);
        else
            snprintf(buf, len, "Conficker");
        return buf;
    }
    const char *words = "scanner";
    if (h->indicators & WW_IND_BIT(WW_IND_MS17_010))
        words = "SMB worm"; /* EternalBlue: WannaCry and its kin */
    else if (h->indicators & (WW_IND_BIT(WW_IND_MS08_067) | WW_IND_BIT(WW_IND_P2P) |
                              WW_IND_BIT(WW_IND_DGA)))
        words = "Conficker (unconfirmed)";
    else if ((h->kinds & KIND_MS08_CHECK) && (h->kinds & KIND_MS17_CHECK))
        words = "vulnerability scanner";
    else if (h->kinds & KIND_MS08_CHECK)
        words = "MS08-067 check";
    else if (h->kinds & KIND_MS17_CHECK)
        words = "MS17-010 check";
    snprintf(buf, len, "%s", words);
    return buf;
}

/* Infected (likely) first, then SMB worms, then the rest; within each, by first seen. */
int ww_summary_rank(const struct ww_summary_host *h)
{
    if (h->likely)
        return 0;
    if (h->indicators & ~WW_IND_BIT(WW_IND_SCAN))
        return 1;
    return 2;
}

static int by_rank(const void *x, const void *y)
{
    const struct ww_summary_host *a = x, *b = y;
    if (ww_summary_rank(a) != ww_summary_rank(b))
        return ww_summary_rank(a) - ww_summary_rank(b);
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

void ww_summary_print(struct ww_summary *s, FILE *out)
{
    qsort(s->host, s->count, sizeof s->host[0], by_rank);
    for (uint32_t i = 0; i < s->count; i++) {
        const struct ww_summary_host *h = &s->host[i];
        char ip[WW_IPV4_LEN], first[WW_TIMESTAMP_LEN], last[WW_TIMESTAMP_LEN], verdict[40];
        char indicators[64] = "";
        ww_format_ipv4(h->addr, ip);
        ww_format_timestamp(h->first_ns, first);
        ww_format_timestamp(h->last_ns, last);
        for (int k = 0; k < WW_IND__COUNT; k++)
            if (h->indicators & WW_IND_BIT(k)) {
                if (indicators[0])
                    strncat(indicators, ",", sizeof indicators - strlen(indicators) - 1);
                strncat(indicators, ww_indicator_name((enum ww_indicator)k),
                        sizeof indicators - strlen(indicators) - 1);
            }
        first[19] = last[19] = '\0'; /* seconds are enough for a person */
        fprintf(out, "  %-15s  %-15s  %-24s %-26s %s .. %s  %u alert%s", ip,
                h->name[0] ? h->name : "-", ww_summary_verdict(h, verdict, sizeof verdict),
                indicators[0] ? indicators : "-",
                first, last + 11, h->alerts, h->alerts == 1 ? "" : "s");
        if (h->targets)
            fprintf(out, ", %u targets", h->targets);
        fputc('\n', out);
    }
    unsigned infected = 0;
    for (uint32_t i = 0; i < s->count; i++)
        infected += s->host[i].likely;
    fprintf(out, "wormwatch: %u flagged host%s, %u likely Conficker", s->count,
            s->count == 1 ? "" : "s", infected);
    if (s->unlisted_alerts)
        fprintf(out, " (%llu alerts about further hosts not listed)",
                (unsigned long long)s->unlisted_alerts);
    fputc('\n', out);
}
