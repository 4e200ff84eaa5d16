/*
 * p2p_tool: the C side of tests/test_p2p_nmap.sh, which checks src/p2p.c
 * against nmap's p2p-conficker script.
 *
 *   p2p_tool ports IP WEEK            the four ports, "tcp A B udp C D"
 *   p2p_tool check-table FILE         compares lines "IP UNIX_TIME WEEK TCP,TCP UDP,UDP" (what
 *                                     tests/p2p/nmap-ports.sh prints) with ww_p2p_ports()
 *   p2p_tool respond READY LOG BIND=PORTS_OF ...
 *                                     a Conficker.C peer stand-in: listens on BIND (an address)
 *                                     at the TCP and UDP ports of PORTS_OF for this week, checks
 *                                     each request with ww_p2p_verify(), logs it to LOG, answers
 *                                     a valid one with a message of ww_p2p_encode() that carries
 *                                     every optional field and noise (so nmap's parser judges our
 *                                     encoder), until SIGTERM. Touches READY once listening.
 *   p2p_tool check-capture PCAP SCANNER DST=PORTS_OF ...
 *                                     from a capture of nmap's run: the ports SCANNER probed at
 *                                     each DST must be the ports of PORTS_OF, its messages and
 *                                     the answers must verify; then the detector's alerts.
 * Exit status 0 when everything matched, 1 when something did not, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "wormwatch/p2p.h"
#include "wormwatch/p2p_detect.h"

#define MAX_PAIRS 16

static bool parse_ip(const char *s, uint32_t *ip)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *ip = ntohl(a.s_addr);
    return true;
}

static const char *ip_str(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
    struct in_addr a = {htonl(ip)};
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* "A=B" into two addresses. */
static bool parse_pair(const char *arg, uint32_t *a, uint32_t *b)
{
    char left[64];
    const char *eq = strchr(arg, '=');
    if (!eq || (size_t)(eq - arg) >= sizeof left)
        return false;
    memcpy(left, arg, (size_t)(eq - arg));
    left[eq - arg] = '\0';
    return parse_ip(left, a) && parse_ip(eq + 1, b);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- ports, check-table ------------------------------------------------------------------- */

static int cmd_ports(int argc, char **argv)
{
    uint32_t ip;
    if (argc != 2 || !parse_ip(argv[0], &ip))
        return 2;
    struct ww_p2p_ports p;
    ww_p2p_ports(ip, strtoll(argv[1], NULL, 10), &p);
    printf("tcp %u %u udp %u %u\n", p.tcp[0], p.tcp[1], p.udp[0], p.udp[1]);
    return 0;
}

/* "a,b" (or "a") as a sorted pair string, to compare with nmap's sorted lists. */
static void pair_str(uint16_t x, uint16_t y, char *out, size_t len)
{
    if (x == y)
        snprintf(out, len, "%u", x);
    else
        snprintf(out, len, "%u,%u", x < y ? x : y, x < y ? y : x);
}

static int cmd_check_table(int argc, char **argv)
{
    if (argc != 1)
        return 2;
    FILE *f = fopen(argv[0], "r");
    if (!f) {
        perror(argv[0]);
        return 2;
    }
    char line[256], ip_s[64], tcp_s[32], udp_s[32];
    long long t, week;
    unsigned rows = 0, matched = 0;
    while (fgets(line, sizeof line, f)) {
        uint32_t ip;
        if (sscanf(line, "%63s %lld %lld %31s %31s", ip_s, &t, &week, tcp_s, udp_s) != 5 ||
            !parse_ip(ip_s, &ip) || t < 0) {
            fprintf(stderr, "check-table: bad line: %s", line);
            fclose(f);
            return 2;
        }
        rows++;
        int64_t ours = ww_p2p_week((uint64_t)t * 1000000000ULL);
        struct ww_p2p_ports p;
        ww_p2p_ports(ip, ours, &p);
        char tcp[32], udp[32];
        pair_str(p.tcp[0], p.tcp[1], tcp, sizeof tcp);
        pair_str(p.udp[0], p.udp[1], udp, sizeof udp);
        if (ours == week && !strcmp(tcp, tcp_s) && !strcmp(udp, udp_s))
            matched++;
        else
            fprintf(stderr, "check-table: %s at %lld: nmap week %lld tcp %s udp %s, ours week %lld tcp %s udp %s\n",
                    ip_s, t, week, tcp_s, udp_s, (long long)ours, tcp, udp);
    }
    fclose(f);
    printf("table: %u of %u (address, time) rows match nmap\n", matched, rows);
    return rows > 0 && matched == rows ? 0 : 1;
}

/* --- respond ------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

struct listener {
    int fd;
    bool tcp;
    uint32_t addr;
    uint16_t port;
};

static int open_listener(uint32_t addr, uint16_t port, bool tcp)
{
    int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(addr)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || (tcp && listen(fd, 16) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The answer a peer would give: every optional field, some noise. */
static size_t build_answer(const struct listener *l, uint32_t seq, uint8_t *out, size_t cap)
{
    static const uint8_t data[] = "wormwatch";
    static const uint8_t noise[] = {0xde, 0xad, 0xbe, 0xef, 0x42};
    struct ww_p2p_message m = {
        .key_lo = 0x13572468u ^ seq,
        .key_hi = 0x9abcdef0u + seq,
        .flags = WW_P2P_FLAG_MODE | WW_P2P_FLAG_ENCODED | WW_P2P_FLAG_PEER | WW_P2P_FLAG_UNKNOWN0 |
                 WW_P2P_FLAG_UNKNOWN1 | WW_P2P_FLAG_DATA | WW_P2P_FLAG_SYSINFO |
                 (l->tcp ? WW_P2P_FLAG_IS_TCP : 0),
        .tcp = l->tcp,
        .peer_ip = l->addr,
        .peer_port = l->port,
        .unknown0 = 0x01020304u,
        .unknown1 = seq,
        .data_type = 7,
        .data_len = sizeof data - 1,
    };
    for (size_t i = 0; i < WW_P2P_SYSINFO_BYTES; i++)
        m.sysinfo[i] = (uint8_t)(i + 1);
    return ww_p2p_encode(&m, data, noise, sizeof noise, out, cap);
}

static void log_request(FILE *log, const struct listener *l, const struct sockaddr_in *from,
                        const uint8_t *buf, size_t len)
{
    struct ww_p2p_message m;
    enum ww_p2p_verdict v = ww_p2p_verify(buf, len, len, l->tcp, &m);
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
    fprintf(log, "%s %s:%u <- %s:%u %zu bytes %s%s\n", l->tcp ? "tcp" : "udp", ip_str(l->addr, a),
            l->port, ip_str(ntohl(from->sin_addr.s_addr), b), ntohs(from->sin_port), len,
            ww_p2p_verdict_name(v), v == WW_P2P_VALID && ww_p2p_nmap_shaped(&m) ? " nmap-shaped" : "");
    fflush(log);
}

/* Reads one TCP-framed request (length prefix, then that many bytes) within 3 s. */
static size_t read_frame(int fd, uint8_t *buf, size_t cap)
{
    size_t have = 0, want = 2;
    while (have < want && have < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 3000) <= 0)
            break;
        ssize_t n = read(fd, buf + have, cap - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        if (have >= 2)
            want = 2 + (size_t)(buf[0] | buf[1] << 8);
    }
    return have;
}

static void serve_tcp(const struct listener *l, FILE *log, uint32_t *seq)
{
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    int c = accept(l->fd, (struct sockaddr *)&from, &fl);
    if (c < 0)
        return;
    uint8_t buf[8192], out[512];
    size_t n = read_frame(c, buf, sizeof buf);
    log_request(log, l, &from, buf, n);
    if (ww_p2p_verify(buf, n, n, true, NULL) == WW_P2P_VALID) {
        size_t len = build_answer(l, ++*seq, out, sizeof out);
        if (len && write(c, out, len) != (ssize_t)len)
            fprintf(log, "tcp write failed: %s\n", strerror(errno));
    }
    close(c);
}

static void serve_udp(const struct listener *l, FILE *log, uint32_t *seq)
{
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    uint8_t buf[8192], out[512];
    ssize_t n = recvfrom(l->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (n < 0)
        return;
    log_request(log, l, &from, buf, (size_t)n);
    if (ww_p2p_verify(buf, (size_t)n, (size_t)n, false, NULL) == WW_P2P_VALID) {
        size_t len = build_answer(l, ++*seq, out, sizeof out);
        if (len)
            sendto(l->fd, out, len, 0, (struct sockaddr *)&from, fl);
    }
}

static int cmd_respond(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    FILE *log = fopen(argv[1], "a");
    if (!log) {
        perror(argv[1]);
        return 2;
    }
    struct listener ls[MAX_PAIRS * 4];
    size_t nl = 0;
    int64_t week = ww_p2p_week(now_ns());
    for (int i = 2; i < argc && nl + 4 <= MAX_PAIRS * 4; i++) {
        uint32_t bind_addr, ports_of;
        if (!parse_pair(argv[i], &bind_addr, &ports_of)) {
            fprintf(stderr, "respond: bad pair %s\n", argv[i]);
            return 2;
        }
        struct ww_p2p_ports p;
        ww_p2p_ports(ports_of, week, &p);
        uint16_t want[4] = {p.tcp[0], p.tcp[1], p.udp[0], p.udp[1]};
        for (int k = 0; k < 4; k++) {
            bool tcp = k < 2;
            if (k % 2 == 1 && want[k] == want[k - 1])
                continue; /* the weekly port is the fixed one this week */
            int fd = open_listener(bind_addr, want[k], tcp);
            if (fd < 0) {
                fprintf(stderr, "respond: cannot listen on %u/%s: %s\n", want[k], tcp ? "tcp" : "udp",
                        strerror(errno));
                return 1;
            }
            ls[nl++] = (struct listener){fd, tcp, bind_addr, want[k]};
            char a[INET_ADDRSTRLEN];
            fprintf(log, "listening %s %s:%u (week %lld)\n", tcp ? "tcp" : "udp",
                    ip_str(bind_addr, a), want[k], (long long)week);
        }
    }
    fflush(log);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    FILE *ready = fopen(argv[0], "w");
    if (ready)
        fclose(ready);
    uint32_t seq = 0;
    while (!stop) {
        struct pollfd pf[MAX_PAIRS * 4];
        for (size_t i = 0; i < nl; i++)
            pf[i] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
        if (poll(pf, nl, 200) <= 0)
            continue;
        for (size_t i = 0; i < nl; i++)
            if (pf[i].revents & POLLIN)
                (ls[i].tcp ? serve_tcp : serve_udp)(&ls[i], log, &seq);
    }
    for (size_t i = 0; i < nl; i++)
        close(ls[i].fd);
    fclose(log);
    return 0;
}

/* --- check-capture ------------------------------------------------------------------------- */

struct target {
    uint32_t dst, ports_of;
    uint64_t first_probe_ns;
    uint16_t probed[2][8]; /* [tcp?][...]: distinct computable ports the scanner probed */
    unsigned nprobed[2];
    unsigned probe_mismatch;  /* probes at a port that is not ports_of's at that time */
    unsigned req_valid, req_nmap, req_other;
    unsigned ans_valid, ans_other;
};

struct capture_check {
    uint32_t scanner;
    struct target t[MAX_PAIRS];
    unsigned nt;
    struct ww_p2p_detector *det;
    unsigned alerts;
};

static struct target *target_of(struct capture_check *cc, uint32_t addr)
{
    for (unsigned i = 0; i < cc->nt; i++)
        if (cc->t[i].dst == addr)
            return &cc->t[i];
    return NULL;
}

static void add_probe(struct target *t, bool tcp, uint16_t port)
{
    unsigned *n = &t->nprobed[tcp];
    for (unsigned i = 0; i < *n; i++)
        if (t->probed[tcp][i] == port)
            return;
    if (*n < 8)
        t->probed[tcp][(*n)++] = port;
}

static void on_alert(void *ctx, const struct ww_p2p_alert *a)
{
    struct capture_check *cc = ctx;
    char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
    printf("detector: %s flagged (%s): %u targets, %u hits in %u candidates, %u verified to %u "
           "targets, %u serving, %u nmap-shaped, week %lld; first sample %s:%u/%s\n",
           ip_str(a->src, s), ww_p2p_reason_name(a->reason), a->targets, a->hits, a->candidates,
           a->verified, a->verified_targets, a->serving, a->nmap_shaped, (long long)a->week,
           a->samples ? ip_str(a->sample[0].dst, d) : "-", a->samples ? a->sample[0].dport : 0,
           a->samples && a->sample[0].tcp ? "tcp" : "udp");
    cc->alerts++;
}

static void on_packet(void *ctx, const struct ww_p2p_packet *pkt)
{
    struct capture_check *cc = ctx;
    ww_p2p_detect_packet(cc->det, pkt);
    bool has_payload = pkt->payload_len > 0;
    struct target *t;
    if (pkt->src == cc->scanner && (t = target_of(cc, pkt->dst))) {
        /* nmap's own -sS/-sU probes go to the port given with -p: keep it an excluded one. */
        if ((!pkt->tcp || pkt->syn) && !ww_p2p_port_excluded(pkt->dport)) {
            if (!t->first_probe_ns)
                t->first_probe_ns = pkt->ts_ns;
            add_probe(t, pkt->tcp, pkt->dport);
            if (ww_p2p_match_port(t->ports_of, pkt->dport, pkt->tcp, pkt->ts_ns, 0, NULL) ==
                WW_P2P_NO_MATCH)
                t->probe_mismatch++;
        }
        if (has_payload && !ww_p2p_port_excluded(pkt->dport)) {
            struct ww_p2p_message m;
            if (ww_p2p_verify(pkt->payload, pkt->payload_len, pkt->payload_wire_len, pkt->tcp, &m) ==
                WW_P2P_VALID) {
                t->req_valid++;
                t->req_nmap += ww_p2p_nmap_shaped(&m);
            } else {
                t->req_other++;
            }
        }
    } else if (pkt->dst == cc->scanner && (t = target_of(cc, pkt->src)) && has_payload &&
               !ww_p2p_port_excluded(pkt->sport)) {
        if (ww_p2p_verify(pkt->payload, pkt->payload_len, pkt->payload_wire_len, pkt->tcp, NULL) ==
            WW_P2P_VALID)
            t->ans_valid++;
        else
            t->ans_other++;
    }
}

static bool same_set(const uint16_t *got, unsigned n, uint16_t a, uint16_t b)
{
    unsigned want = a == b ? 1 : 2;
    if (n != want)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (got[i] != a && got[i] != b)
            return false;
    return true;
}

static int cmd_check_capture(int argc, char **argv)
{
    static struct capture_check cc;
    if (argc < 3 || !parse_ip(argv[1], &cc.scanner))
        return 2;
    for (int i = 2; i < argc && cc.nt < MAX_PAIRS; i++)
        if (!parse_pair(argv[i], &cc.t[cc.nt].dst, &cc.t[cc.nt].ports_of))
            return 2;
        else
            cc.nt++;
    struct ww_p2p_detect_config cfg;
    ww_p2p_detect_config_default(&cfg);
    cc.det = ww_p2p_detector_new(&cfg, on_alert, &cc);
    if (!cc.det)
        return 2;
    char err[512];
    if (p2p_feed_pcap(argv[0], on_packet, &cc, err, sizeof err) < 0) {
        fprintf(stderr, "check-capture: %s\n", err);
        return 2;
    }
    unsigned ok = 0;
    for (unsigned i = 0; i < cc.nt; i++) {
        struct target *t = &cc.t[i];
        struct ww_p2p_ports p;
        int64_t week = ww_p2p_week(t->first_probe_ns);
        ww_p2p_ports(t->ports_of, week, &p);
        bool tcp_ok = same_set(t->probed[1], t->nprobed[1], p.tcp[0], p.tcp[1]);
        bool udp_ok = same_set(t->probed[0], t->nprobed[0], p.udp[0], p.udp[1]);
        unsigned messages = t->nprobed[0] + t->nprobed[1];
        bool msg_ok = t->req_valid == messages && t->req_nmap == messages && !t->req_other &&
                      t->ans_valid == messages && !t->ans_other;
        bool good = t->first_probe_ns && tcp_ok && udp_ok && !t->probe_mismatch && msg_ok;
        ok += good;
        char d[INET_ADDRSTRLEN], o[INET_ADDRSTRLEN];
        printf("%s %s (ports of %s, week %lld): probed tcp", good ? "MATCH" : "DIFFER",
               ip_str(t->dst, d), ip_str(t->ports_of, o), (long long)week);
        for (unsigned k = 0; k < t->nprobed[1]; k++)
            printf(" %u", t->probed[1][k]);
        printf(" udp");
        for (unsigned k = 0; k < t->nprobed[0]; k++)
            printf(" %u", t->probed[0][k]);
        printf(", computed tcp %u %u udp %u %u; nmap's messages %u valid (%u nmap-shaped), %u not; "
               "answers %u valid, %u not\n",
               p.tcp[0], p.tcp[1], p.udp[0], p.udp[1], t->req_valid, t->req_nmap, t->req_other,
               t->ans_valid, t->ans_other);
    }
    const struct ww_p2p_detect_stats *st = ww_p2p_detect_stats(cc.det);
    printf("targets: %u of %u match; detector: %llu packets, %llu candidates, %llu hits, %llu "
           "verified, %u alerts\n",
           ok, cc.nt, (unsigned long long)st->packets, (unsigned long long)st->candidates,
           (unsigned long long)st->hits, (unsigned long long)st->verified, cc.alerts);
    ww_p2p_detector_free(cc.det);
    return ok == cc.nt ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        if (!strcmp(argv[1], "ports"))
            return cmd_ports(argc - 2, argv + 2);
        if (!strcmp(argv[1], "check-table"))
            return cmd_check_table(argc - 2, argv + 2);
        if (!strcmp(argv[1], "respond"))
            return cmd_respond(argc - 2, argv + 2);
        if (!strcmp(argv[1], "check-capture"))
            return cmd_check_capture(argc - 2, argv + 2);
    }
    fprintf(stderr, "usage: p2p_tool ports IP WEEK | check-table FILE | respond READY LOG "
                    "BIND=PORTS_OF... | check-capture PCAP SCANNER DST=PORTS_OF...\n");
    return 2;
}
