/*
 * Capture: frames from libpcap, one source at a time.
 *
 * A source is a capture file (pcap with µs or ns stamps, or pcapng; "-" is
 * standard input), or a live interface. Times are handed on in nanoseconds
 * whatever the source's resolution. A live source is non-blocking: when no
 * frame is waiting, ww_capture_next() says so at once and the caller polls
 * ww_capture_fd() (with a timer, so time moves on a quiet link).
 */
#ifndef WW_CAPTURE_H
#define WW_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wormwatch/decode.h"
#include "wormwatch/triage.h"

struct ww_frame {
    uint64_t ts_ns;      /* packet time, ns since the epoch */
    uint32_t cap_len;    /* bytes in data */
    uint32_t wire_len;   /* bytes on the wire */
    enum ww_link link;   /* how to decode data */
    const uint8_t *data; /* valid until the next ww_capture_next() */
    bool attention;      /* a signal came since the last frame returned (see below) */
};

enum ww_capture_status {
    WW_CAPTURE_FRAME, /* *frame is filled */
    WW_CAPTURE_IDLE,  /* live: no frame waiting now */
    WW_CAPTURE_END,   /* the source is exhausted */
    WW_CAPTURE_ERROR, /* read error or truncated file; err says what */
    WW_CAPTURE_DROPPED /* triage dropped this one (already counted): only its time matters */
};

/* With triage set, one dropped frame in this many is still returned (as WW_CAPTURE_DROPPED). */
#define WW_CAPTURE_DROPPED_EVERY 256 /* a multiple of 16 */
_Static_assert(WW_CAPTURE_DROPPED_EVERY % 16 == 0, "dropped frames are counted in 16s");

/*
 * The stdio buffer a capture file or pipe is read through. stdio's default
 * is the file's block size, 4 KiB: one read(2) per five packets of a
 * busy link, and on the test machine 18% of a whole run went to them.
 * 256 KiB takes a read(2) per ~300 packets and still fits the L2 cache
 * the copies go through. bench/bare_loop.c reads with the same buffer, so
 * the throughput ratio is wormwatch's own cost.
 */
#define WW_CAPTURE_READ_BUFFER (256u * 1024u)

struct ww_capture;

/* Snap length that holds Ethernet, two VLAN tags, IPv4 and TCP with all
   options (14 + 8 + 60 + 60), or a NetBIOS name query with its question. */
#define WW_LIVE_SNAPLEN 256
#define WW_LIVE_TIMEOUT_MS 100

struct ww_live_options {
    const char *iface;
    int snaplen;          /* 0: WW_LIVE_SNAPLEN */
    bool promiscuous;     /* a SPAN port needs it: on by default */
    int buffer_kib;       /* kernel buffer; 0: libpcap's default */
};

/* The kernel's counters for a live capture (pcap_stats). */
struct ww_kernel_stats {
    uint64_t received;   /* packets the filter passed */
    uint64_t dropped;    /* dropped for lack of buffer space */
    uint64_t if_dropped; /* dropped by the interface or its driver */
};

/*
 * Opens and activates a live capture. NULL with "IFACE: cannot capture:
 * reason" in err. A warning from activation (e.g. promiscuous mode not
 * supported) is put in warn ("" if none): worth logging, not fatal.
 */
struct ww_capture *ww_capture_open_live(const struct ww_live_options *opt, char *warn,
                                        size_t warn_len, char *err, size_t err_len);
/* The descriptor to poll for frames, or -1 (files). */
int ww_capture_fd(const struct ww_capture *cap);
bool ww_capture_is_live(const struct ww_capture *cap);
/* The kernel's counters; false for files or on error. */
bool ww_capture_kernel_stats(struct ww_capture *cap, struct ww_kernel_stats *out);
/* Lists the interfaces libpcap can open, one "name<TAB>description" line each. */
bool ww_capture_list_interfaces(FILE *to, char *err, size_t err_len);
/*
 * The default live filter: the watched TCP ports, NBNS, ICMP (unreachables)
 * and ARP, on Ethernet also under one or two VLAN tags (a plain "tcp port
 * 445" silently misses QinQ frames; other link types, such as the Linux
 * cooked capture of "-i any", carry no tags and libpcap refuses "vlan" on
 * them). Written into buf.
 */
#define WW_FILTER_DNS 0x1 /* the DGA detector: UDP port 53 */
#define WW_FILTER_P2P 0x2 /* the P2P detector: all UDP, all TCP connection attempts */
void ww_capture_default_filter(const uint16_t *tcp_ports, size_t port_count, unsigned wants,
                               bool vlan_tags, char *buf, size_t len);
/*
 * Joins a live capture to a PACKET_FANOUT group (Linux): the
 * kernel then spreads the interface's frames over the group's captures by a
 * classic BPF program keyed on the INITIATOR's address (the source of a SYN
 * or NBNS query, the destination of a SYN-ACK, RST, NBNS answer or ICMP
 * error; ARP by its requester), so a scanner's probes and their answers all
 * reach the same worker and its tables. The `first` capture makes the
 * group, under an id unique on the host (PACKET_FANOUT_FLAG_UNIQUEID; a
 * random one on older kernels), sets the program and writes the id to
 * *group; the others join *group. False with the reason in err.
 */
bool ww_capture_join_fanout(struct ww_capture *cap, uint16_t *group, bool first, char *err,
                            size_t err_len);

/* How the capture's frames are decoded. */
enum ww_link ww_capture_link(const struct ww_capture *cap);

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
 * Triage in the read loop (triage.h): the frames nobody in `want` wants are
 * counted into `dropped` (the decoder's counters, as if decoded) and, but
 * for one in WW_CAPTURE_DROPPED_EVERY, not returned at all. Both must
 * outlive the capture's use; a NULL `dropped` turns triage off again.
 */
void ww_capture_set_triage(struct ww_capture *cap, const struct ww_interest *want,
                           struct ww_decode_stats *dropped);
/*
 * A counter every signal handler bumps (or NULL): when it moved, the next
 * frame read is returned at once, dropped or not, with `attention` set, so
 * that its owner answers the signal then and not a few hundred frames on.
 */
void ww_capture_set_attention(struct ww_capture *cap, const atomic_uint *attention);
/*
 * A signal interrupted a read blocked on a pipe (never a regular file):
 * answer it and return true to read on, or false to end the read (a stop;
 * ww_capture_next then fails and the owner knows why).
 */
typedef bool (*ww_capture_interrupt_fn)(void *ctx);
/* Who answers interrupted reads of this capture; without one they stop it. */
void ww_capture_on_interrupt(struct ww_capture *cap, ww_capture_interrupt_fn fn, void *ctx);
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
