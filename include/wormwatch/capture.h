/*
 * Capture: frames from libpcap, one source at a time.
 *
 * A source is a capture file (pcap with µs or ns stamps, or pcapng; "-" is
 * standard input). Times are handed on in nanoseconds whatever the file's
 * resolution. The live sensor adds another kind of source behind the same
 * ww_capture_next() call, so nothing downstream changes.
 */
#ifndef WW_CAPTURE_H
#define WW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wormwatch/decode.h"

struct ww_frame {
    uint64_t ts_ns;      /* packet time, ns since the epoch */
    uint32_t cap_len;    /* bytes in data */
    uint32_t wire_len;   /* bytes on the wire */
    enum ww_link link;   /* how to decode data */
    int dlt;             /* libpcap's link type, for messages */
    const uint8_t *data; /* valid until the next ww_capture_next() */
};

enum ww_capture_status {
    WW_CAPTURE_FRAME, /* *frame is filled */
    WW_CAPTURE_END,   /* the source is exhausted */
    WW_CAPTURE_ERROR  /* read error or truncated file; err says what */
};

struct ww_capture;

/* Opens a capture file ("-" = stdin). NULL with a one-line reason in err. */
struct ww_capture *ww_capture_open_file(const char *path, char *err, size_t err_len);
/*
 * Reads a capture from an open stream (a pipe, a memory buffer), which the
 * capture then owns and closes; `name` is for messages. NULL with a reason
 * in err (the stream is closed then too).
 */
struct ww_capture *ww_capture_open_stream(FILE *stream, const char *name, char *err,
                                          size_t err_len);
enum ww_capture_status ww_capture_next(struct ww_capture *cap, struct ww_frame *frame, char *err,
                                       size_t err_len);
/*
 * Checks that a BPF filter expression compiles (for link type `dlt`, e.g.
 * Ethernet); false with libpcap's reason in err. Used to refuse a bad filter
 * before any capture is read.
 */
bool ww_capture_check_filter(const char *expression, int dlt, char *err, size_t err_len);
/* Applies a BPF filter (NULL or "" for none); false with the reason in err. */
bool ww_capture_set_filter(struct ww_capture *cap, const char *expression, char *err,
                           size_t err_len);

/* The name of the source, for messages. */
const char *ww_capture_name(const struct ww_capture *cap);
void ww_capture_close(struct ww_capture *cap);

#endif
