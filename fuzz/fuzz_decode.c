/*
 * Fuzz target: the decoder and the probe stage on one frame.
 * The first byte picks the link type (its low bits) and whether the frame
 * was cut by a snap length (its top bit: the wire length is then longer);
 * the rest is the frame. The frame is copied into a buffer of exactly its
 * size, so any read past it is caught.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/decode.h"
#include "wormwatch/probe.h"
#include "wormwatch/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_event(void *ctx, const struct ww_probe_event *event)
{
    (void)ctx;
    (void)event;
}

/* One tracker for the whole run: state carries from input to input, as on a wire. */
static struct ww_probe_tracker *tracker(void)
{
    static struct ww_probe_tracker *t;
    static struct ww_ruleset rules;
    if (!t) {
        char err[256];
        struct ww_probe_config cfg;
        if (!ww_rules_load_default(&rules, err, sizeof err))
            abort();
        ww_probe_config_from_rules(&rules, 64, 64, &(struct ww_hash_key){1, 2}, &cfg);
        t = ww_probe_tracker_new(&cfg, ignore_event, NULL);
        if (!t)
            abort();
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum ww_link link = (enum ww_link)((data[0] & 0x7f) % WW_LINK__COUNT);
    bool cut = data[0] & 0x80;
    size_t len = size - 1;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, len);
    struct ww_decode_stats stats = {0};
    struct ww_packet pkt;
    static uint64_t clock_ns;
    clock_ns += 1000000; /* 1 ms per frame, so timeouts happen */
    uint32_t wire_len = (uint32_t)len + (cut ? 1500 : 0);
    if (ww_decode(&stats, link, clock_ns, frame, (uint32_t)len, wire_len, &pkt) ==
        WW_DECODED_IPV4)
        ww_probe_packet(tracker(), &pkt);
    free(frame);
    return 0;
}
