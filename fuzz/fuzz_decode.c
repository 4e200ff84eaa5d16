/*
 * Fuzz target: the decoder and the probe stage on one frame (the input
 * format is frame_input.h's).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame_input.h"
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
    struct fuzz_frame f;
    if (!fuzz_frame_from(data, size, &f))
        return 0;
    struct ww_decode_stats stats = {0};
    struct ww_packet pkt;
    static uint64_t clock_ns;
    clock_ns += 1000000; /* 1 ms per frame, so timeouts happen */
    if (ww_decode(&stats, f.link, clock_ns, f.bytes, f.cap_len, f.wire_len, &pkt) ==
        WW_DECODED_IPV4)
        ww_probe_packet(tracker(), &pkt);
    free(f.bytes);
    return 0;
}
