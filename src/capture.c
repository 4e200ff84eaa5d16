/*
 * Capture over libpcap's offline reader. The file is opened asking libpcap
 * for nanosecond stamps, so µs and ns files reach the pipeline alike.
 */
/* libpcap headers use the BSD u_int/u_char types. */
#define _DEFAULT_SOURCE
#include "wormwatch/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ww_capture {
    pcap_t *pcap;
    char name[256];
    int dlt;
    enum ww_link link;
};

struct ww_capture *ww_capture_open_stream(FILE *stream, const char *name, char *err,
                                          size_t err_len)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    struct ww_capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        snprintf(err, err_len, "%s: out of memory", name);
        fclose(stream);
        return NULL;
    }
    snprintf(cap->name, sizeof cap->name, "%s", name);
    cap->pcap = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_NANO,
                                                         pcap_err);
    if (!cap->pcap) {
        snprintf(err, err_len, "%s: cannot open capture: %s", cap->name, pcap_err);
        fclose(stream);
        free(cap);
        return NULL;
    }
    cap->dlt = pcap_datalink(cap->pcap);
    cap->link = ww_link_from_dlt(cap->dlt);
    if (cap->link == WW_LINK_UNSUPPORTED) {
        snprintf(err, err_len,
                 "%s: cannot read capture: link type %d is not supported (wormwatch reads "
                 "Ethernet, Linux SLL and SLL2, raw IP, NULL and LOOP)",
                 cap->name, cap->dlt);
        ww_capture_close(cap);
        return NULL;
    }
    return cap;
}

struct ww_capture *ww_capture_open_file(const char *path, char *err, size_t err_len)
{
    if (strcmp(path, "-") == 0)
        return ww_capture_open_stream(stdin, "<stdin>", err, err_len);
    /* Opening the file ourselves gives a plain errno message for a missing
       or unreadable file; libpcap then only judges the format. */
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open capture: %s", path, strerror(errno));
        return NULL;
    }
    return ww_capture_open_stream(f, path, err, err_len);
}

enum ww_capture_status ww_capture_next(struct ww_capture *cap, struct ww_frame *frame, char *err,
                                       size_t err_len)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(cap->pcap, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK)
        return WW_CAPTURE_END;
    if (rc != 1) {
        snprintf(err, err_len, "%s: cannot read capture: %s", cap->name, pcap_geterr(cap->pcap));
        return WW_CAPTURE_ERROR;
    }
    /* With nanosecond precision requested, tv_usec holds nanoseconds. A stamp
       before 1970 is a lie; it is pinned to the epoch rather than wrapped. */
    frame->ts_ns = hdr->ts.tv_sec < 0 || hdr->ts.tv_usec < 0
                       ? 0
                       : (uint64_t)hdr->ts.tv_sec * 1000000000ULL + (uint64_t)hdr->ts.tv_usec;
    frame->cap_len = hdr->caplen;
    frame->wire_len = hdr->len;
    frame->link = cap->link;
    frame->dlt = cap->dlt;
    frame->data = data;
    return WW_CAPTURE_FRAME;
}

bool ww_capture_check_filter(const char *expression, int dlt, char *err, size_t err_len)
{
    pcap_t *dead = pcap_open_dead(dlt, 65535);
    struct bpf_program program;
    if (!dead) {
        snprintf(err, err_len, "out of memory");
        return false;
    }
    bool ok = pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (ok)
        pcap_freecode(&program);
    else
        snprintf(err, err_len, "bad filter expression '%s': %s", expression, pcap_geterr(dead));
    pcap_close(dead);
    return ok;
}

bool ww_capture_set_filter(struct ww_capture *cap, const char *expression, char *err,
                           size_t err_len)
{
    if (!expression || !*expression)
        return true;
    struct bpf_program program;
    if (pcap_compile(cap->pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, err_len, "%s: filter '%s' does not fit this capture: %s", cap->name,
                 expression, pcap_geterr(cap->pcap));
        return false;
    }
    bool ok = pcap_setfilter(cap->pcap, &program) == 0;
    if (!ok)
        snprintf(err, err_len, "%s: cannot apply the filter: %s", cap->name,
                 pcap_geterr(cap->pcap));
    pcap_freecode(&program);
    return ok;
}

const char *ww_capture_name(const struct ww_capture *cap)
{
    return cap->name;
}

void ww_capture_close(struct ww_capture *cap)
{
    if (!cap)
        return;
    pcap_close(cap->pcap);
    free(cap);
}
