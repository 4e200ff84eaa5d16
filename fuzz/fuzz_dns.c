/*
 * Fuzz target: the DNS parser on one UDP payload, then what the DGA detector
 * does with a parsed message: the question name looked up in a day set, and
 * names read from offsets the input picks (pointers from anywhere).
 * The payload is copied into a buffer of exactly its size, so any read past
 * it is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/dga_days.h"
#include "wormwatch/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ww_dga_days *day_set(void)
{
    static struct ww_dga_days *set;
    if (!set) {
        set = malloc(sizeof *set);
        if (!set)
            abort();
        ww_dga_days_init(set);
        ww_dga_days_advance(set, 1577880000ULL * 1000000000ULL); /* 2020-01-01 12:00 UTC */
    }
    return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *payload = malloc(size ? size : 1);
    if (!payload)
        return 0;
    memcpy(payload, data, size);
    static struct ww_dns_stats stats;
    static struct ww_dns_message msg;
    if (ww_dns_parse(&stats, payload, size, &msg) == WW_DNS_OK && msg.has_question) {
        if (strlen(msg.qname) != msg.qname_len)
            abort();
        struct ww_dga_match m;
        ww_dga_days_lookup(day_set(), msg.qname, msg.qname_len, &m);
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
