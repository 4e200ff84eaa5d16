/*
 * Fuzz target: the DNS parser on one UDP payload, then the DGA detector on
 * the parsed message (a day set lookup, the client table, pairing), and
 * names read from offsets the input picks (pointers from anywhere). Packet
 * time starts at 2020-01-01 12:00 UTC and moves on five hours every 4096
 * inputs, so the day set is rebuilt now and then. The payload is copied into a buffer of
 * exactly its size, so any read past it is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/dga_detect.h"
#include "wormwatch/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(void *ctx, const struct ww_dga_report *r)
{
    (void)ctx;
    if (r->distinct < 2 || r->answered > r->distinct || r->nxdomain > r->answered ||
        r->sample_count > WW_DGA_REPORT_SAMPLES || r->nxdomain_share < 0 || r->nxdomain_share > 1)
        abort();
}

static struct ww_dga_detect *detector(void)
{
    static struct ww_dga_detect *d;
    if (!d) {
        struct ww_dga_detect_config cfg = {.min_names = 2, .max_clients = 64, .key = {1, 2}};
        if (!(d = ww_dga_detect_new(&cfg, check_report, NULL)))
            abort();
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *payload = malloc(size ? size : 1);
    if (!payload)
        return 0;
    memcpy(payload, data, size);
    static struct ww_dns_stats stats;
    static struct ww_dns_message msg;
    static uint64_t clock_ns = 1577880000ULL * 1000000000ULL; /* 2020-01-01 12:00 UTC */
    static unsigned inputs;
    if (++inputs % 4096 == 0) /* a rebuild costs thousands of inputs' time: now and then */
        clock_ns += 5 * 3600 * 1000000000ULL;
    if (ww_dns_parse(&stats, payload, size, &msg) == WW_DNS_OK) {
        if (strlen(msg.qname) != msg.qname_len)
            abort();
        /* the client and resolver from the ID, so a few clients come back */
        uint32_t client = 0x0a000000u | (msg.id & 0x3f), resolver = 0x0a0000feu | (msg.id >> 15);
        ww_dga_detect_message(detector(), clock_ns, client, resolver, &msg,
                              size > 2 && (payload[2] & 0x40) ? !msg.response : msg.response);
    }
    static char text[WW_DNS_NAME_TEXT_MAX];
    for (size_t i = 0; i + 1 < size && i < 8; i += 2) {
        size_t offset = ((size_t)payload[i] << 8 | payload[i + 1]) % (size + 2);
        size_t len, end;
        if (ww_dns_read_name(payload, size, offset, text, &len, &end) == WW_DNS_OK &&
            (end > size || strlen(text) != len || len >= WW_DNS_NAME_TEXT_MAX))
            abort();
    }
    free(payload);
    return 0;
}
