/*
 * Output: EVE JSON events (Suricata style), one object per line.
 *
 * Each event is formatted in memory and written with one write() call, so
 * a reader never sees half a line; if the write fails part way on a regular
 * file, the partial line is cut off again. A failed event is counted as
 * lost and the next one is tried all the same (a full disk may clear); the
 * first failure is reported when the output is closed. An event goes to
 * every sink (file, stdout, Unix socket, syslog, Redis); a socket or Redis
 * never blocks capture and its losses are counted, not fatal. Several workers may share
 * one output: writes are serialised, line by line. Upstream stages never see
 * JSON.
 */
#ifndef WW_OUTPUT_H
#define WW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/capture.h"
#include "wormwatch/decode.h"
#include "wormwatch/detect.h"
#include "wormwatch/dhcp.h"
#include "wormwatch/identity.h"
#include "wormwatch/nbname.h"
#include "wormwatch/payload.h"
#include "wormwatch/probe.h"
#include "wormwatch/table.h"

#define WW_OUTPUT_MAX_SINKS 8
#define WW_OUTPUT_NAME_MAX 128

/* What one output (a file, a socket, syslog...) took and lost. */
struct ww_sink_stats {
    char name[WW_OUTPUT_NAME_MAX];
    uint64_t written;
    uint64_t lost;       /* could not be written or sent */
    uint64_t connects;   /* Unix socket: (re)connections made */
    uint64_t reopens;    /* file: reopened on request (SIGHUP) */
};

struct ww_output_stats {
    uint64_t events_written;  /* taken by every output */
    uint64_t events_lost;     /* missed by at least one output */
    const struct ww_sink_stats *sinks; /* per output; may be NULL */
    size_t sink_count;
};

/* Everything a stats event reports, gathered by the pipeline. */
struct ww_run_stats {
    uint64_t ts_ns;            /* packet time of the newest packet */
    int worker;                /* --workers: which one; -1 for a single pipeline */
    uint32_t files;            /* capture sources opened */
    const struct ww_kernel_stats *kernel; /* live capture only; else NULL */
    const struct ww_decode_stats *decode;
    const struct ww_probe_stats *probe;
    uint32_t pending;          /* attempts waiting for an answer */
    uint32_t pending_capacity;
    const struct ww_hosts_stats *hosts;
    const struct ww_table_stats *table;
    const struct ww_table_stats *probation; /* sources seen once; may be NULL */
    const struct ww_detect_stats *detect;
    const struct ww_table_stats *indicators; /* sources with an indicator; may be NULL */
    const struct ww_identity_stats *identity; /* naming machines; may be NULL */
    const struct ww_table_stats *identity_table;
    const struct ww_dhcp_stats *dhcp;
    const struct ww_nbns_stats *nbns_names;
    struct ww_payload_stats payload;         /* the payload stages' counters */
};

struct ww_output;

/* An output with no sinks yet; `host` is the sensor name in every event. */
struct ww_output *ww_output_new(const char *host);
/*
 * Adds a sink: "-" (stdout), a file path (appended), "unix-dgram:PATH" or
 * "unix-stream:PATH" (a client of a listening socket, as Suricata's EVE
 * outputs; reconnects if the reader restarts), "syslog[:FACILITY]",
 * "redis://HOST[:PORT]/KEY[?...]" or "redis+unix:PATH?key=KEY[&...]"
 * (redis.h; a host name is resolved here, once). False
 * with a one-line reason (a file that cannot be opened; a bad spec). A
 * socket whose reader is not there yet is not an error.
 */
bool ww_output_add(struct ww_output *out, const char *spec, char *err, size_t err_len);
/* new + add, for one sink ("-" or NULL = standard output). */
struct ww_output *ww_output_open(const char *path, const char *host, char *err, size_t err_len);
/* Live capture: events name the interface ("in_iface"). */
void ww_output_set_iface(struct ww_output *out, const char *iface);
/* Reopens files (after logrotate moved them) and reconnects sockets. */
bool ww_output_reopen(struct ww_output *out, char *err, size_t err_len);
bool ww_output_alert(struct ww_output *out, const struct ww_alert *alert);
bool ww_output_stats(struct ww_output *out, const struct ww_run_stats *stats);
struct ww_finding;
/* An alert of a payload stage (eve.h); consumes its evidence object. */
bool ww_output_finding(struct ww_output *out, const struct ww_finding *finding);
/* Closes; false (with err: the first failure and how many events were lost)
   if anything could not be written. */
bool ww_output_close(struct ww_output *out, char *err, size_t err_len);
const struct ww_output_stats *ww_output_get_stats(const struct ww_output *out);
/* The first write error, or NULL. */
const char *ww_output_error(const struct ww_output *out);

/* Formats an event object as one line (newline included); caller frees.
   `iface` (live capture) may be NULL. */
char *ww_output_format_alert(const struct ww_alert *alert, const char *host, const char *iface);
char *ww_output_format_stats(const struct ww_run_stats *stats, const struct ww_output_stats *out,
                             const char *host, const char *iface);

#endif
