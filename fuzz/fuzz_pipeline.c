/*
 * Fuzz target: the whole pipeline over the bytes of a capture file
 * (libpcap's reader, decode, probe, detect, output to /dev/null).
 */
#define _DEFAULT_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wormwatch/capture.h"
#include "wormwatch/output.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ww_ruleset *rules(void)
{
    static struct ww_ruleset r;
    static int loaded;
    if (!loaded) {
        char err[256];
        if (!ww_rules_load_default(&r, err, sizeof err))
            abort();
        r.max_memory = 1024 * 1024; /* small tables: fast runs, and eviction gets exercised */
        loaded = 1;
    }
    return &r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    FILE *stream = fmemopen((void *)data, size, "rb");
    if (!stream)
        return 0;
    struct ww_capture *cap = ww_capture_open_stream(stream, "fuzz.pcap", err, sizeof err);
    if (!cap)
        return 0;
    struct ww_output *out = ww_output_open("/dev/null", "fuzz", err, sizeof err);
    /* A fixed key: a crash must replay the same way. */
    static const struct ww_hash_key key = {1, 2};
    struct ww_pipeline *p = out ? ww_pipeline_new_keyed(rules(), out, &key, err, sizeof err) : NULL;
    if (p) {
        ww_pipeline_run_capture(p, cap, err, sizeof err);
        ww_pipeline_finish(p);
    }
    ww_pipeline_free(p);
    ww_output_close(out, err, sizeof err);
    ww_capture_close(cap);
    return 0;
}
