/*
 * Output: EVE JSON events (Suricata style), one object per line.
 *
 * Each event is formatted in memory and written with one write() call, so
 * a reader never sees half a line; if the write fails part way on a regular
 * file, the partial line is cut off again. A failed event is counted as
 * lost and the next one is tried all the same (a full disk may clear); the
 * first failure is reported when the output is closed. Upstream stages
 * never see JSON.
 */
#ifndef WW_OUTPUT_H
#define WW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/decode.h"
#include "wormwatch/detect.h"
#include "wormwatch/probe.h"
#include "wormwatch/table.h"

struct ww_output_stats {
    uint64_t events_written;
    uint64_t events_lost; /* could not be written */
};

/* Everything a stats event reports, gathered by the pipeline. */
struct ww_run_stats {
    uint64_t ts_ns;            /* packet time of the newest packet */
    uint32_t files;            /* capture sources opened */
    const struct ww_decode_stats *decode;
    const struct ww_probe_stats *probe;
    uint32_t pending;          /* attempts waiting for an answer */
    uint32_t pending_capacity;
    const struct ww_hosts_stats *hosts;
    const struct ww_table_stats *table;
    const struct ww_detect_stats *detect;
};

struct ww_output;

/* Opens `path` for appending ("-" or NULL = standard output). */
struct ww_output *ww_output_open(const char *path, const char *host, char *err, size_t err_len);
bool ww_output_alert(struct ww_output *out, const struct ww_alert *alert);
bool ww_output_stats(struct ww_output *out, const struct ww_run_stats *stats);
/* Closes; false (with err: the first failure and how many events were lost)
   if anything could not be written. */
bool ww_output_close(struct ww_output *out, char *err, size_t err_len);
const struct ww_output_stats *ww_output_get_stats(const struct ww_output *out);
/* The first write error, or NULL. */
const char *ww_output_error(const struct ww_output *out);

/* Formats an event object as one line (newline included); caller frees. */
char *ww_output_format_alert(const struct ww_alert *alert, const char *host);
char *ww_output_format_stats(const struct ww_run_stats *stats, const struct ww_output_stats *out,
                             const char *host);

#endif
