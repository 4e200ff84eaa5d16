/*
 * Capture over libpcap's offline reader. The file is opened asking libpcap
 * for nanosecond stamps, so µs and ns files reach the pipeline alike.
 *
 * A pipe or terminal is read through a stdio stream of our own
 * (fopencookie): a signal that interrupts a blocked read(2) there would
 * otherwise reach libpcap as a read error and end the run. Our reader asks
 * the owner what the signal meant (answer it and read on, or stop), so
 * `tcpdump -w - | wormwatch -r -` survives logrotate's SIGHUP. Regular files
 * keep libpcap's own stdio: a disk read is never interrupted. Either way the
 * stream gets a large buffer of ours (WW_CAPTURE_READ_BUFFER) before libpcap
 * reads its first byte.
 */
/* libpcap headers use the BSD u_int/u_char types; fopencookie is GNU. */
#define _GNU_SOURCE
#include "wormwatch/capture.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include "wormwatch/hash.h"
#include "wormwatch/triage.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ww_capture {
    pcap_t *pcap;
    char name[256];
    int dlt;
    enum ww_link link;
    bool live;
    int fd;          /* live: selectable descriptor */
    struct interruptible *pipe; /* a pipe's reader, or NULL */
    char *read_buffer;          /* the stream's stdio buffer (offline), freed after it */
    const struct ww_interest *want;   /* triage: what is worth returning, or NULL: all */
    struct ww_decode_stats *dropped;  /* ... and where the frames it drops are counted */
    const atomic_uint *attention;     /* bumped by signal handlers, or NULL */
    unsigned attention_seen;          /* its value when last looked at */
};

/* The cookie of a pipe's stream: the stream it wraps, and who to ask on EINTR. */
struct interruptible {
    FILE *inner;                   /* the caller's stream; closed with ours */
    ww_capture_interrupt_fn on_interrupt;
    void *ctx;
};

static ssize_t interruptible_read(void *cookie, char *buf, size_t size)
{
    struct interruptible *in = cookie;
    for (;;) {
        ssize_t n = read(fileno(in->inner), buf, size);
        if (n >= 0 || errno != EINTR)
            return n;
        if (!in->on_interrupt || !in->on_interrupt(in->ctx))
            return -1; /* errno is still EINTR: a stop, which the owner knows */
    }
}

static int interruptible_close(void *cookie)
{
    struct interruptible *in = cookie;
    int rc = fclose(in->inner);
    free(in);
    return rc;
}

/* The stream libpcap should read: `stream` itself, or a wrapper for a pipe. */
static FILE *readable(FILE *stream, struct interruptible **pipe)
{
    struct stat st;
    *pipe = NULL;
    int fd = fileno(stream); /* -1 for a memory stream: nothing to interrupt */
    if (fd < 0 || fstat(fd, &st) != 0 || S_ISREG(st.st_mode))
        return stream;
    struct interruptible *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->inner = stream;
    cookie_io_functions_t io = {.read = interruptible_read, .close = interruptible_close};
    FILE *wrapped = fopencookie(in, "rb", io);
    if (!wrapped) {
        free(in);
        return NULL;
    }
    *pipe = in;
    return wrapped;
}

void ww_capture_on_interrupt(struct ww_capture *cap, ww_capture_interrupt_fn fn, void *ctx)
{
    if (cap->pipe) {
        cap->pipe->on_interrupt = fn;
        cap->pipe->ctx = ctx;
    }
}

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
    FILE *source = readable(stream, &cap->pipe);
    if (!source) {
        snprintf(err, err_len, "%s: out of memory", name);
        fclose(stream);
        free(cap);
        return NULL;
    }
    /* Nothing was read yet, so the buffer may still be set; without it (no
       memory) stdio's own small one serves. */
    cap->read_buffer = malloc(WW_CAPTURE_READ_BUFFER);
    if (cap->read_buffer && setvbuf(source, cap->read_buffer, _IOFBF, WW_CAPTURE_READ_BUFFER)) {
        free(cap->read_buffer);
        cap->read_buffer = NULL;
    }
    cap->pcap = pcap_fopen_offline_with_tstamp_precision(source, PCAP_TSTAMP_PRECISION_NANO,
                                                         pcap_err);
    if (!cap->pcap) {
        snprintf(err, err_len, "%s: cannot open capture: %s", cap->name, pcap_err);
        fclose(source);
        free(cap->read_buffer);
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

/* Whether a signal came since the last look (and now it has been looked at). */
static bool poked(struct ww_capture *cap)
{
    if (!cap->attention)
        return false;
    unsigned now = atomic_load_explicit(cap->attention, memory_order_relaxed);
    if (now == cap->attention_seen)
        return false;
    cap->attention_seen = now;
    return true;
}

enum ww_capture_status ww_capture_next(struct ww_capture *cap, struct ww_frame *frame, char *err,
                                       size_t err_len)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    enum ww_capture_status status = WW_CAPTURE_FRAME;
    /* Locals, so that the loop over dropped frames keeps them in registers. */
    const struct ww_interest *want = cap->want;
    struct ww_decode_stats *counted = cap->dropped;
    enum ww_link link = cap->link;
    const atomic_uint *attention = cap->attention;
    unsigned seen = cap->attention_seen, dropped = 0;
    for (;;) {
        int rc = pcap_next_ex(cap->pcap, &hdr, &data);
        if (rc != 1) { /* the common case first: one test a frame */
            if (rc == PCAP_ERROR_BREAK)
                return WW_CAPTURE_END;
            if (rc == 0) /* live, non-blocking: nothing waiting */
                return WW_CAPTURE_IDLE;
            snprintf(err, err_len, "%s: cannot read capture: %s", cap->name,
                     pcap_geterr(cap->pcap));
            return WW_CAPTURE_ERROR;
        }
        if (!want ||
            ww_triage(counted, want, link, data, hdr->caplen, hdr->len) == WW_TRIAGE_DECODE)
            break;
        /* The owner still hears of time passing, and of a signal within 16
           frames (WW_CAPTURE_DROPPED_EVERY is a multiple of 16). */
        if ((++dropped & 15) == 0 &&
            (dropped == WW_CAPTURE_DROPPED_EVERY ||
             (attention && atomic_load_explicit(attention, memory_order_relaxed) != seen))) {
            status = WW_CAPTURE_DROPPED;
            break;
        }
    }
    frame->attention = poked(cap);
    /* With nanosecond precision requested, tv_usec holds nanoseconds. A stamp
       before 1970 is a lie; it is pinned to the epoch rather than wrapped. */
    frame->ts_ns = hdr->ts.tv_sec < 0 || hdr->ts.tv_usec < 0
                       ? 0
                       : (uint64_t)hdr->ts.tv_sec * 1000000000ULL + (uint64_t)hdr->ts.tv_usec;
    frame->cap_len = hdr->caplen;
    frame->wire_len = hdr->len;
    frame->link = cap->link;
    frame->data = data;
    return status;
}

void ww_capture_set_attention(struct ww_capture *cap, const atomic_uint *attention)
{
    cap->attention = attention;
    cap->attention_seen = attention ? atomic_load(attention) : 0;
}

void ww_capture_set_triage(struct ww_capture *cap, const struct ww_interest *want,
                           struct ww_decode_stats *dropped)
{
    cap->want = dropped ? want : NULL;
    cap->dropped = dropped;
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

/* Why activation failed, in an operator's words where libpcap has a code. */
static const char *activation_problem(int rc, pcap_t *p)
{
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return "no such device";
    case PCAP_ERROR_PERM_DENIED:
        return "permission denied (run as root, or give the binary CAP_NET_RAW and CAP_NET_ADMIN)";
    case PCAP_ERROR_IFACE_NOT_UP: return "the interface is down";
    case PCAP_ERROR_RFMON_NOTSUP: return "monitor mode not supported";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "no permission to enable promiscuous mode";
    default: return pcap_geterr(p);
    }
}

static bool set_up_live(pcap_t *p, const struct ww_live_options *opt)
{
    return pcap_set_snaplen(p, opt->snaplen > 0 ? opt->snaplen : WW_LIVE_SNAPLEN) == 0 &&
           pcap_set_promisc(p, opt->promiscuous) == 0 &&
           pcap_set_timeout(p, WW_LIVE_TIMEOUT_MS) == 0 &&
           pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0 &&
           (opt->buffer_kib <= 0 || (opt->buffer_kib <= INT_MAX / 1024 && /* no wrap */
                                     pcap_set_buffer_size(p, opt->buffer_kib * 1024) == 0));
}

struct ww_capture *ww_capture_open_live(const struct ww_live_options *opt, char *warn,
                                        size_t warn_len, char *err, size_t err_len)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    warn[0] = '\0';
    struct ww_capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        snprintf(err, err_len, "%s: out of memory", opt->iface);
        return NULL;
    }
    snprintf(cap->name, sizeof cap->name, "%s", opt->iface);
    cap->live = true;
    cap->pcap = pcap_create(opt->iface, pcap_err);
    if (!cap->pcap) {
        snprintf(err, err_len, "%s: cannot capture: %s", opt->iface, pcap_err);
        free(cap);
        return NULL;
    }
    if (!set_up_live(cap->pcap, opt)) {
        snprintf(err, err_len, "%s: cannot capture: %s", opt->iface, pcap_geterr(cap->pcap));
        ww_capture_close(cap);
        return NULL;
    }
    int rc = pcap_activate(cap->pcap);
    if (rc < 0) {
        snprintf(err, err_len, "%s: cannot capture: %s", opt->iface,
                 activation_problem(rc, cap->pcap));
        ww_capture_close(cap);
        return NULL;
    }
    if (rc > 0) /* a warning: capture works, perhaps not as asked */
        snprintf(warn, warn_len, "%s: %s", opt->iface,
                 rc == PCAP_WARNING_PROMISC_NOTSUP ? "promiscuous mode not supported"
                                                    : pcap_geterr(cap->pcap));
    cap->dlt = pcap_datalink(cap->pcap);
    cap->link = ww_link_from_dlt(cap->dlt);
    const char *problem = NULL;
    if (cap->link == WW_LINK_UNSUPPORTED)
        problem = "its link type is not supported";
    else if (pcap_setnonblock(cap->pcap, 1, pcap_err) != 0)
        problem = pcap_err;
    else if ((cap->fd = pcap_get_selectable_fd(cap->pcap)) < 0)
        problem = "no pollable descriptor";
    if (problem) {
        snprintf(err, err_len, "%s: cannot capture: %s", opt->iface, problem);
        ww_capture_close(cap);
        return NULL;
    }
    return cap;
}

int ww_capture_fd(const struct ww_capture *cap)
{
    return cap->live ? cap->fd : -1;
}

bool ww_capture_is_live(const struct ww_capture *cap)
{
    return cap->live;
}

bool ww_capture_kernel_stats(struct ww_capture *cap, struct ww_kernel_stats *out)
{
    struct pcap_stat st;
    if (!cap->live || pcap_stats(cap->pcap, &st) != 0)
        return false;
    out->received = st.ps_recv;
    out->dropped = st.ps_drop;
    out->if_dropped = st.ps_ifdrop;
    return true;
}

bool ww_capture_list_interfaces(FILE *to, char *err, size_t err_len)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all;
    if (pcap_findalldevs(&all, pcap_err) != 0) {
        snprintf(err, err_len, "cannot list interfaces: %s", pcap_err);
        return false;
    }
    for (pcap_if_t *d = all; d; d = d->next)
        fprintf(to, "%s\t%s%s\n", d->name, d->description ? d->description : "",
                (d->flags & PCAP_IF_UP) ? "" : " (down)");
    pcap_freealldevs(all);
    return true;
}

enum ww_link ww_capture_link(const struct ww_capture *cap)
{
    return cap->link;
}

void ww_capture_default_filter(const uint16_t *tcp_ports, size_t port_count, unsigned wants,
                               bool vlan_tags, char *buf, size_t len)
{
    char wanted[640] = "(";
    size_t used = 1;
    for (size_t i = 0; i < port_count && used < sizeof wanted; i++)
        used += (size_t)snprintf(wanted + used, sizeof wanted - used, "tcp port %u or ",
                                 (unsigned)tcp_ports[i]);
    /* P2P peers are reached on ports computed per host: every UDP datagram and
       every connection attempt; the DNS detector needs UDP port 53. */
    /* NBNS and DHCP always: they name machines (identity.h). */
    const char *udp = wants & WW_FILTER_P2P ? "udp"
                      : wants & WW_FILTER_DNS ? "udp port 137 or udp port 67 or udp port 68 or udp port 53"
                                              : "udp port 137 or udp port 67 or udp port 68";
    const char *syns = wants & WW_FILTER_P2P ? " or tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" : "";
    if (used < sizeof wanted)
        snprintf(wanted + used, sizeof wanted - used, "%s%s or icmp or arp)", udp, syns);
    if (vlan_tags)
        snprintf(buf, len, "%s or (vlan and %s) or (vlan and vlan and %s)", wanted, wanted,
                 wanted);
    else
        snprintf(buf, len, "%s", wanted);
}

/*
 * The fanout program: returns a hash of the initiator's IPv4 address (the
 * kernel takes it modulo the number of workers). Loads go through
 * SKF_NET_OFF, relative to the network header whatever the capture path.
 * Frames it cannot read (IPv6, VLAN tags the driver did not strip) go to
 * worker 0: always the same one, so nothing is split.
 */
#define NET(k) ((__u32)(SKF_NET_OFF + (k)))
static const struct sock_filter initiator_program[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (__u32)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 4, 0),  /* IPv4 -> 6 */
    /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0806, 1, 0),  /* ARP -> 4 */
    /* 3 */ BPF_STMT(BPF_RET | BPF_K, 0),
    /* ARP: a request belongs to its sender, a reply to its target */
    /* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, NET(6)),
    /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 23, 25),     /* request -> 29, else -> 31 */
    /* IPv4: X = header length */
    /* 6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(0)),
    /* 7 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x0F),
    /* 8 */ BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),
    /* 9 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
    /* 10 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(9)),
    /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 3, 0),      /* TCP -> 15 */
    /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 6, 0),     /* UDP -> 19 */
    /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 13, 0),     /* ICMP -> dst */
    /* 14 */ BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0),              /* other -> src */
    /* TCP: a SYN without ACK belongs to its source, anything else to its destination */
    /* 15 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, NET(13)),
    /* 16 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
    /* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 7, 9),  /* -> src / dst */
    /* 18 */ BPF_STMT(BPF_RET | BPF_K, 0),
    /* UDP: NBNS (port 137) by the response bit; anything else by its source */
    /* 19 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, NET(2)),
    /* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 137, 2, 0),
    /* 21 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, NET(0)),
    /* 22 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 137, 0, 2),  /* not NBNS -> src */
    /* 23 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, NET(10)),      /* NBNS flags, high byte */
    /* 24 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 2, 0), /* response -> dst */
    /* 25 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),      /* src */
    /* 26 */ BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0),              /* -> hash */
    /* 27 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(16)),      /* dst */
    /* 28 */ BPF_JUMP(BPF_JMP | BPF_JA, 3, 0, 0),              /* -> hash */
    /* 29 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(14)),      /* ARP sender */
    /* 30 */ BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),              /* -> hash */
    /* 31 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(24)),      /* ARP target */
    /* hash: spread neighbouring addresses over the workers */
    /* 32 */ BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9E3779B1u),
    /* 33 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
    /* 34 */ BPF_STMT(BPF_RET | BPF_A, 0),
};

/* Joins `id` (or, with PACKET_FANOUT_FLAG_UNIQUEID, a fresh group of the kernel's). */
static bool fanout_setsockopt(int fd, uint16_t id, bool unique)
{
    int arg = id | (PACKET_FANOUT_CBPF | (unique ? PACKET_FANOUT_FLAG_UNIQUEID : 0)) << 16;
    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) == 0;
}

/* The first socket makes the group: an id no other socket on the host has. */
static bool fanout_create(int fd, uint16_t *group)
{
#ifdef PACKET_FANOUT_FLAG_UNIQUEID
    if (fanout_setsockopt(fd, 0, true)) {
        int arg = 0;
        socklen_t len = sizeof arg;
        if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) != 0)
            return false;
        *group = (uint16_t)(arg & 0xFFFF);
        return true;
    }
    if (errno != EINVAL)
        return false;
#endif
    /* Kernels before 4.20: a random id. Joining an existing group of another
       type fails (EINVAL): then another id; one of the same type would be
       joined silently, at odds of 1 in 65,536 per other group on the host. */
    for (int tries = 0; tries < 8; tries++) {
        struct ww_hash_key random;
        char err[128];
        if (!ww_hash_key_random(&random, err, sizeof err))
            return false;
        *group = (uint16_t)(random.k0 | 1);
        if (fanout_setsockopt(fd, *group, false))
            return true;
        if (errno != EINVAL)
            return false;
    }
    return false;
}

bool ww_capture_join_fanout(struct ww_capture *cap, uint16_t *group, bool first, char *err,
                            size_t err_len)
{
    int fd = pcap_fileno(cap->pcap);
    bool joined = cap->live && (first ? fanout_create(fd, group) : fanout_setsockopt(fd, *group, false));
    if (!joined) {
        snprintf(err, err_len, "%s: cannot join the capture fanout group: %s", cap->name,
                 cap->live ? strerror(errno) : "not a live capture");
        return false;
    }
    if (!first)
        return true;
    struct sock_fprog program = {
        .len = sizeof initiator_program / sizeof initiator_program[0],
        .filter = (struct sock_filter *)initiator_program};
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &program, sizeof program) != 0) {
        snprintf(err, err_len, "%s: cannot set the fanout program: %s", cap->name,
                 strerror(errno));
        return false;
    }
    return true;
}

const char *ww_capture_name(const struct ww_capture *cap)
{
    return cap->name;
}

void ww_capture_close(struct ww_capture *cap)
{
    if (!cap)
        return;
    pcap_close(cap->pcap); /* closes the stream, which is done with its buffer */
    free(cap->read_buffer);
    free(cap);
}
