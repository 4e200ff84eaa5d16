/*
 * wwlatency: how many probes does a scanner get to send before it is flagged?
 *
 *   wwlatency CAPTURE TRUTH.json [CAPTURE TRUTH.json ...]
 *
 * For every expected scanner of each truth file (its `expect`), prints one
 * Markdown table row with the number of the scanner's probes (entries of its
 * truth `probes` list, each a first contact) whose timestamp is at or before
 * the detection point of four detectors, "never" when a detector never flags
 * it. Under the table: the median per capture and kind and per kind over all
 * captures, the false alarms (flagged sources not in `expect`) and one
 * summary line per detector. docs/latency.md shows the output.
 *
 * The detectors:
 *
 *   wormwatch  the real thing, run in-process with the default rules; its
 *              detection point is the timestamp of the source's earliest alert
 *              of any rule (the probe that tipped it).
 *
 * and three small models of well-known rule sets, fed by the same capture
 * through the library's decoder and probe tracker (default rules' ports and
 * attempt timeout). The models see only the SMB traffic wormwatch watches
 * (TCP SYNs to 445 and 139, outcomes from the tracker), as if all four sat
 * behind the README's `tcp port 445 or tcp port 139 or udp port 137` filter:
 *
 *   1. Zeek scan.zeek, Address Scan. Per (source, port): distinct
 *      destination hosts of FAILED attempts (rejected, or unanswered after the
 *      attempt timeout), counted in SumStats epochs of 5 min; epochs tumble
 *      from the first packet of the capture, and an observation falls in the
 *      epoch of the time its outcome became known. Flagged when 25 hosts are
 *      reached in one epoch; detection point: the probe of the 25th host.
 *   2. Snort 3 port_scan, TCP portsweep. Per source, in tumbling 90 s windows
 *      (a window opens at the source's first SYN or rejection after the
 *      previous window ended): flagged when the window holds SYNs to >= 7
 *      distinct destination addresses AND (>= 30 SYN packets, retransmissions
 *      included, OR >= 7 rejected attempts). Checked at every SYN; detection
 *      point: the SYN packet that completes the condition.
 *   3. Emerging Threats sid 2001569, "ET SCAN Behavioral Unusual Port 445
 *      traffic Potential Scan or Infection" (flags:S; threshold: type both,
 *      track by_src, count 70, seconds 60). Per source, 70 SYN packets
 *      (retransmissions included) to TCP/445 in a tumbling 60 s window that
 *      opens at the source's first SYN after the previous window; detection
 *      point: the 70th SYN.
 *
 * A SYN is a TCP segment with SYN set and ACK clear. Truth timestamps are
 * JSON numbers, so they are compared with a slack of TRUTH_SLACK_NS (a
 * double's precision at 2009 epoch seconds); alert timestamps, cut to the
 * microsecond, cover their whole microsecond.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wormwatch/capture.h"
#include "wormwatch/decode.h"
#include "wormwatch/format.h"
#include "wormwatch/output.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/probe.h"
#include "wormwatch/rules.h"

#define ERR_LEN 512

/* Probe runs here replay the pipeline stage by stage; any key does. */
static const struct ww_hash_key bench_key = {0x5eed, 0xbe4c};
#define NS_PER_S 1000000000ull
#define NS_PER_US 1000ull
#define TRUTH_SLACK_NS 250ull

#define ZEEK_EPOCH_NS (300 * NS_PER_S)
#define ZEEK_THRESHOLD 25

#define SNORT_WINDOW_NS (90 * NS_PER_S)
#define SNORT_MIN_ADDRS 7
#define SNORT_MIN_SYNS 30
#define SNORT_MIN_REJECTS 7

#define ET_WINDOW_NS (60 * NS_PER_S)
#define ET_COUNT 70
#define ET_PORT 445

enum detector { DET_WORMWATCH, DET_ZEEK, DET_SNORT, DET_ET, DET__COUNT };

static const char *const detector_names[DET__COUNT] = {
    "wormwatch", "Zeek scan.zeek", "Snort 3 port_scan", "ET 2001569"};

/* --- errors and memory ------------------------------------------------------ */

_Noreturn static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

_Noreturn static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wwlatency: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

/* --- a growable hash map: 64-bit key -> zeroed record of fixed size ---------- */

struct recmap {
    size_t rec_size, cap, used; /* cap is 0 or a power of two */
    uint64_t *keys;
    bool *taken;
    unsigned char *recs;
};

static void recmap_init(struct recmap *m, size_t rec_size)
{
    *m = (struct recmap){.rec_size = rec_size};
}

static void recmap_free(struct recmap *m)
{
    free(m->keys);
    free(m->taken);
    free(m->recs);
    recmap_init(m, m->rec_size);
}

/* The slot holding `key`, or the free slot where it belongs. Needs cap > used. */
static size_t recmap_slot(const struct recmap *m, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
    while (m->taken[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void *recmap_find(const struct recmap *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t i = recmap_slot(m, key);
    return m->taken[i] ? m->recs + i * m->rec_size : NULL;
}

/* The record at `slot` (and its key), or NULL if the slot is free: for iterating. */
static void *recmap_at(const struct recmap *m, size_t slot, uint64_t *key)
{
    if (!m->taken[slot])
        return NULL;
    *key = m->keys[slot];
    return m->recs + slot * m->rec_size;
}

static void recmap_grow(struct recmap *m)
{
    struct recmap bigger = {.rec_size = m->rec_size, .cap = m->cap ? 2 * m->cap : 64};
    bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
    bigger.taken = xcalloc(bigger.cap, sizeof *bigger.taken);
    bigger.recs = xcalloc(bigger.cap, bigger.rec_size);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->taken[i])
            continue;
        size_t j = recmap_slot(&bigger, m->keys[i]);
        bigger.taken[j] = true;
        bigger.keys[j] = m->keys[i];
        memcpy(bigger.recs + j * m->rec_size, m->recs + i * m->rec_size, m->rec_size);
    }
    bigger.used = m->used;
    recmap_free(m);
    *m = bigger;
}

/* Finds `key`'s record, adding a zeroed one if there is none. */
static void *recmap_get(struct recmap *m, uint64_t key)
{
    if (2 * (m->used + 1) > m->cap)
        recmap_grow(m);
    size_t i = recmap_slot(m, key);
    if (!m->taken[i]) {
        m->taken[i] = true;
        m->keys[i] = key;
        m->used++;
    }
    return m->recs + i * m->rec_size;
}

/* --- detections: the first time each detector flagged a source -------------- */

enum likely { LIKELY_NONE, LIKELY_FALSE, LIKELY_TRUE }; /* conficker.likely, wormwatch only */

struct detection {
    uint64_t ts_ns; /* detection point */
    uint32_t sid;   /* signature_id of the alert, wormwatch only */
    enum likely likely;
};

/* One map (IPv4 source -> struct detection) per detector, for one capture. */
struct findings {
    struct recmap by_detector[DET__COUNT];
};

static void findings_init(struct findings *f)
{
    for (int d = 0; d < DET__COUNT; d++)
        recmap_init(&f->by_detector[d], sizeof(struct detection));
}

static void findings_free(struct findings *f)
{
    for (int d = 0; d < DET__COUNT; d++)
        recmap_free(&f->by_detector[d]);
}

/* Keeps the earliest detection of `src`. */
static void note_detection(struct findings *f, enum detector d, uint32_t src,
                           struct detection found)
{
    bool is_new = !recmap_find(&f->by_detector[d], src);
    struct detection *have = recmap_get(&f->by_detector[d], src);
    if (is_new || found.ts_ns < have->ts_ns)
        *have = found;
}

/* --- building blocks of the models ------------------------------------------ */

/* A tumbling window that opens at an event. */
struct tumbling {
    bool open;
    uint64_t start_ns;
};

/* True when `now_ns` opens a new window: the first event, or the first after the window ended. */
static bool window_roll(struct tumbling *w, uint64_t now_ns, uint64_t length_ns)
{
    if (w->open && now_ns >= w->start_ns && now_ns - w->start_ns < length_ns)
        return false;
    w->open = true;
    w->start_ns = now_ns;
    return true;
}

/* Adds `addr` to a small set of at most `cap` addresses; true if it was new and fit. */
static bool addr_set_add(uint32_t *set, uint32_t *count, uint32_t cap, uint32_t addr)
{
    for (uint32_t i = 0; i < *count; i++)
        if (set[i] == addr)
            return false;
    if (*count == cap)
        return false;
    set[(*count)++] = addr;
    return true;
}

static bool is_syn(const struct ww_packet *pkt)
{
    return pkt->has_l4 && pkt->proto == WW_IPPROTO_TCP && (pkt->tcp_flags & WW_TCP_SYN) &&
           !(pkt->tcp_flags & WW_TCP_ACK);
}

static bool is_watched_tcp_port(const struct ww_probe_config *cfg, uint16_t port)
{
    for (uint32_t i = 0; i < cfg->tcp_port_count; i++)
        if (cfg->tcp_ports[i] == port)
            return true;
    return false;
}

static bool is_tcp_failure(const struct ww_probe_event *ev)
{
    return ev->kind == WW_PROBE_RESULT && ev->probe.proto == WW_IPPROTO_TCP &&
           ev->outcome != WW_OUTCOME_ACCEPTED;
}

/* Everything the three models keep while reading one capture. */
struct model_run {
    struct ww_probe_config cfg;
    uint64_t first_packet_ns; /* Zeek's epochs start here */
    bool seen_packet;
    struct recmap zeek;  /* src << 16 | port -> struct zeek_source */
    struct recmap snort; /* src -> struct snort_source */
    struct recmap et;    /* src -> struct et_source */
    struct findings *findings;
};

static void flag_source(struct model_run *run, enum detector d, uint32_t src, uint64_t ts_ns)
{
    note_detection(run->findings, d, src, (struct detection){.ts_ns = ts_ns});
}

/* --- model 1: Zeek scan.zeek, Address Scan ----------------------------------- */

struct zeek_source { /* one (source, port) */
    uint64_t epoch;  /* 1 + index of the epoch the hosts below belong to; 0 = none yet */
    uint32_t failed_hosts[ZEEK_THRESHOLD];
    uint32_t count;
    bool flagged;
};

static void zeek_on_event(struct model_run *run, const struct ww_probe_event *ev)
{
    if (!is_tcp_failure(ev))
        return;
    const struct ww_probe *p = &ev->probe;
    struct zeek_source *s = recmap_get(&run->zeek, (uint64_t)p->src << 16 | p->dport);
    if (s->flagged)
        return;
    uint64_t since_start = ev->outcome_ts_ns > run->first_packet_ns
                               ? ev->outcome_ts_ns - run->first_packet_ns
                               : 0;
    uint64_t epoch = 1 + since_start / ZEEK_EPOCH_NS;
    if (s->epoch != epoch) {
        s->epoch = epoch;
        s->count = 0;
    }
    if (addr_set_add(s->failed_hosts, &s->count, ZEEK_THRESHOLD, p->dst) &&
        s->count == ZEEK_THRESHOLD) {
        s->flagged = true;
        flag_source(run, DET_ZEEK, p->src, p->ts_ns);
    }
}

/* --- model 2: Snort 3 port_scan, TCP portsweep ------------------------------- */

struct snort_source {
    struct tumbling window;
    uint32_t addrs[SNORT_MIN_ADDRS]; /* distinct destinations, enough to decide */
    uint32_t addr_count;
    uint32_t syns;
    uint32_t rejects;
    bool flagged;
};

/* The source's state, its counters reset if `now_ns` opens a new window. */
static struct snort_source *snort_source_at(struct model_run *run, uint32_t src, uint64_t now_ns)
{
    struct snort_source *s = recmap_get(&run->snort, src);
    if (window_roll(&s->window, now_ns, SNORT_WINDOW_NS))
        s->addr_count = s->syns = s->rejects = 0;
    return s;
}

static void snort_on_syn(struct model_run *run, const struct ww_packet *pkt)
{
    if (!is_watched_tcp_port(&run->cfg, pkt->dport))
        return;
    struct snort_source *s = snort_source_at(run, pkt->src, pkt->ts_ns);
    if (s->flagged)
        return;
    addr_set_add(s->addrs, &s->addr_count, SNORT_MIN_ADDRS, pkt->dst);
    s->syns++;
    if (s->addr_count >= SNORT_MIN_ADDRS &&
        (s->syns >= SNORT_MIN_SYNS || s->rejects >= SNORT_MIN_REJECTS)) {
        s->flagged = true;
        flag_source(run, DET_SNORT, pkt->src, pkt->ts_ns);
    }
}

static void snort_on_event(struct model_run *run, const struct ww_probe_event *ev)
{
    if (is_tcp_failure(ev) && ev->outcome == WW_OUTCOME_REJECTED)
        snort_source_at(run, ev->probe.src, ev->outcome_ts_ns)->rejects++;
}

/* --- model 3: Emerging Threats 2001569 ---------------------------------------- */

struct et_source {
    struct tumbling window;
    uint32_t syns;
    bool flagged;
};

static void et_on_syn(struct model_run *run, const struct ww_packet *pkt)
{
    if (pkt->dport != ET_PORT)
        return;
    struct et_source *s = recmap_get(&run->et, pkt->src);
    if (s->flagged)
        return;
    if (window_roll(&s->window, pkt->ts_ns, ET_WINDOW_NS))
        s->syns = 0;
    if (++s->syns == ET_COUNT) {
        s->flagged = true;
        flag_source(run, DET_ET, pkt->src, pkt->ts_ns);
    }
}

/* --- running the models over a capture --------------------------------------- */

static struct ww_capture *open_capture(const char *path)
{
    char err[ERR_LEN];
    struct ww_capture *cap = ww_capture_open_file(path, err, sizeof err);
    if (!cap)
        die("%s", err);
    return cap;
}

/* The same pending-attempt budget the pipeline gives its tracker. */
static uint32_t pending_capacity(const struct ww_ruleset *rules)
{
    uint64_t capacity =
        rules->max_memory / WW_PENDING_MEMORY_SHARE / ww_probe_bytes_per_attempt();
    return (uint32_t)(capacity > UINT32_MAX - 1 ? UINT32_MAX - 1 : capacity);
}

/* The tracker's sink: hands each attempt outcome to the models that use outcomes. */
static void record_probe_event(void *ctx, const struct ww_probe_event *ev)
{
    zeek_on_event(ctx, ev);
    snort_on_event(ctx, ev);
}

/* One decoded IPv4 packet: its SYNs to the SYN-counting models, then the packet to the tracker. */
static void record_packet(struct model_run *run, struct ww_probe_tracker *tracker,
                          const struct ww_packet *pkt)
{
    if (is_syn(pkt)) {
        snort_on_syn(run, pkt);
        et_on_syn(run, pkt);
    }
    ww_probe_packet(tracker, pkt);
}

static void run_models(const char *capture, const struct ww_ruleset *rules,
                       struct findings *findings)
{
    struct model_run run = {.findings = findings};
    recmap_init(&run.zeek, sizeof(struct zeek_source));
    recmap_init(&run.snort, sizeof(struct snort_source));
    recmap_init(&run.et, sizeof(struct et_source));
    ww_probe_config_from_rules(rules, pending_capacity(rules), 65536, &bench_key, &run.cfg);
    struct ww_probe_tracker *tracker = ww_probe_tracker_new(&run.cfg, record_probe_event, &run);
    if (!tracker)
        die("out of memory for the probe tracker");

    struct ww_capture *cap = open_capture(capture);
    struct ww_decode_stats decode_stats = {0};
    struct ww_frame frame;
    struct ww_packet pkt;
    char err[ERR_LEN];
    enum ww_capture_status status;
    while ((status = ww_capture_next(cap, &frame, err, sizeof err)) == WW_CAPTURE_FRAME) {
        if (!run.seen_packet) {
            run.first_packet_ns = frame.ts_ns;
            run.seen_packet = true;
        }
        if (ww_decode(&decode_stats, frame.link, frame.ts_ns, frame.data, frame.cap_len,
                      frame.wire_len, &pkt) == WW_DECODED_IPV4)
            record_packet(&run, tracker, &pkt);
        else
            ww_probe_advance(tracker, frame.ts_ns);
    }
    if (status == WW_CAPTURE_ERROR)
        die("%s", err);
    ww_probe_flush(tracker);

    ww_capture_close(cap);
    ww_probe_tracker_free(tracker);
    recmap_free(&run.zeek);
    recmap_free(&run.snort);
    recmap_free(&run.et);
}

/* --- running wormwatch in-process --------------------------------------------- */

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    unsigned year_of_era = (unsigned)(year - era * 400);
    unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (int64_t)day_of_era - 719468;
}

static unsigned days_in_month(int64_t year, unsigned month)
{
    int64_t first_of_next =
        month == 12 ? days_from_civil(year + 1, 1, 1) : days_from_civil(year, month + 1, 1);
    return (unsigned)(first_of_next - days_from_civil(year, month, 1));
}

/* Reads exactly `digits` decimal digits followed by `end` (NUL for the last field). */
static bool take_field(const char **text, int digits, char end, unsigned *value)
{
    unsigned v = 0;
    for (int i = 0; i < digits; i++, (*text)++) {
        if (**text < '0' || **text > '9')
            return false;
        v = v * 10 + (unsigned)(**text - '0');
    }
    if (**text != end)
        return false;
    if (end)
        (*text)++;
    *value = v;
    return true;
}

/* Parses an EVE timestamp, "%Y-%m-%dT%H:%M:%S.uuuuuu+0000" (UTC), into ns since the epoch. */
static bool parse_eve_timestamp(const char *text, uint64_t *ts_ns)
{
    static const struct {
        int digits;
        char end;
    } layout[] = {{4, '-'}, {2, '-'}, {2, 'T'}, {2, ':'}, {2, ':'}, {2, '.'}, {6, '+'}, {4, '\0'}};
    enum { YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, MICROS, ZONE, FIELDS };
    unsigned f[FIELDS];
    for (int i = 0; i < FIELDS; i++)
        if (!take_field(&text, layout[i].digits, layout[i].end, &f[i]))
            return false;
    if (f[ZONE] != 0 || f[YEAR] < 1970 || f[MONTH] < 1 || f[MONTH] > 12 || f[DAY] < 1 ||
        f[DAY] > days_in_month(f[YEAR], f[MONTH]) || f[HOUR] > 23 || f[MINUTE] > 59 ||
        f[SECOND] > 59)
        return false;
    uint64_t days = (uint64_t)days_from_civil(f[YEAR], f[MONTH], f[DAY]);
    uint64_t seconds = days * 86400 + f[HOUR] * 3600ull + f[MINUTE] * 60ull + f[SECOND];
    *ts_ns = seconds * NS_PER_S + f[MICROS] * NS_PER_US;
    return true;
}

static bool parse_ipv4(const char *text, uint32_t *addr)
{
    struct in_addr in;
    if (!text || inet_pton(AF_INET, text, &in) != 1)
        return false;
    *addr = ntohl(in.s_addr);
    return true;
}

/* Records one EVE event if it is an alert; other events (stats) are skipped. */
static void note_alert(struct findings *findings, const json_t *event)
{
    if (!json_is_string(json_object_get(event, "event_type")) ||
        strcmp(json_string_value(json_object_get(event, "event_type")), "alert") != 0)
        return;
    const char *src_text = json_string_value(json_object_get(event, "src_ip"));
    const char *ts_text = json_string_value(json_object_get(event, "timestamp"));
    json_t *sid = json_object_get(json_object_get(event, "alert"), "signature_id");
    json_t *likely = json_object_get(json_object_get(event, "conficker"), "likely");
    uint32_t src;
    uint64_t ts_ns;
    if (!parse_ipv4(src_text, &src) || !ts_text || !parse_eve_timestamp(ts_text, &ts_ns) ||
        !json_is_integer(sid))
        die("an alert without a usable src_ip, timestamp or signature_id");
    struct detection found = {
        .ts_ns = ts_ns + NS_PER_US - 1, /* the tipping probe is somewhere in this microsecond */
        .sid = (uint32_t)json_integer_value(sid),
        .likely = json_is_boolean(likely) ? (json_is_true(likely) ? LIKELY_TRUE : LIKELY_FALSE)
                                          : LIKELY_NONE};
    note_detection(findings, DET_WORMWATCH, src, found);
}

static void read_alerts(const char *path, struct findings *findings)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read back %s", path);
    char *line = NULL;
    size_t line_cap = 0;
    while (getline(&line, &line_cap, f) != -1) {
        json_error_t jerr;
        json_t *event = json_loads(line, 0, &jerr);
        if (!event)
            die("%s: not JSON: %s", path, jerr.text);
        note_alert(findings, event);
        json_decref(event);
    }
    free(line);
    fclose(f);
}

/* Creates an empty temporary file for the events; its name goes to `path`. */
static void make_temp_file(char *path, size_t path_len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, path_len, "%s/wwlatency-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        die("cannot create a temporary file in %s", dir && *dir ? dir : "/tmp");
    close(fd);
}

/* Dies with `err`, removing the temporary file first. */
_Noreturn static void die_removing(const char *temp_path, const char *err)
{
    unlink(temp_path);
    die("%s", err);
}

static void run_wormwatch(const char *capture, const struct ww_ruleset *rules,
                          struct findings *findings)
{
    char path[4096], err[ERR_LEN];
    struct ww_capture *cap = open_capture(capture);
    make_temp_file(path, sizeof path);
    struct ww_output *out = ww_output_open(path, "wwlatency", err, sizeof err);
    if (!out)
        die_removing(path, err);
    struct ww_pipeline *pipeline = ww_pipeline_new(rules, out, err, sizeof err);
    if (!pipeline)
        die_removing(path, err);
    bool read_ok = ww_pipeline_run_capture(pipeline, cap, err, sizeof err);
    ww_capture_close(cap);
    if (!read_ok)
        die_removing(path, err);
    ww_pipeline_finish(pipeline);
    ww_pipeline_free(pipeline);
    if (!ww_output_close(out, err, sizeof err))
        die_removing(path, err);
    read_alerts(path, findings);
    unlink(path);
}

/* --- the report ------------------------------------------------------------ */

struct detector_summary {
    size_t scanners, flagged, false_alarms;
    size_t *probe_counts; /* probes to detection, one per flagged scanner */
};

/* The scanners of one kind in one capture (or in all: capture ""). */
struct group {
    char capture[128];
    char kind[32];
    struct detector_summary det[DET__COUNT];
};

struct report {
    struct detector_summary det[DET__COUNT];
    struct group *groups;
    size_t group_count;
    FILE *notes; /* printed under the table: false alarms */
    char *notes_text;
    size_t notes_len;
};

/* Seconds (a JSON number) to ns; within a double's precision, see TRUTH_SLACK_NS. */
static uint64_t seconds_to_ns(double seconds)
{
    double whole = floor(seconds);
    return (uint64_t)whole * NS_PER_S + (uint64_t)llround((seconds - whole) * 1e9);
}

/* Truth probes (first contacts) at or before `ts_ns`. */
static size_t probes_until(const json_t *probes, uint64_t ts_ns)
{
    size_t count = 0, i;
    json_t *entry;
    json_array_foreach(probes, i, entry) {
        if (seconds_to_ns(json_number_value(json_array_get(entry, 0))) <= ts_ns + TRUTH_SLACK_NS)
            count++;
    }
    return count;
}

static void summary_add(struct detector_summary *s, const struct detection *found, size_t probes)
{
    s->scanners++;
    if (!found)
        return;
    s->probe_counts = realloc(s->probe_counts, (s->flagged + 1) * sizeof *s->probe_counts);
    if (!s->probe_counts)
        die("out of memory");
    s->probe_counts[s->flagged++] = probes;
}

static void print_kind(const json_t *kind)
{
    if (json_is_string(kind)) {
        fputs(json_string_value(kind), stdout);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(kind, i, item) {
        printf("%s%s", i ? "+" : "", json_string_value(item));
    }
}

static const char *likely_text(const struct detection *found)
{
    static const char *const text[] = {[LIKELY_NONE] = "-", [LIKELY_FALSE] = "false",
                                       [LIKELY_TRUE] = "true"};
    return found ? text[found->likely] : "-";
}

static const char *claim_text(const json_t *claim)
{
    return json_is_true(claim) ? "true" : json_is_false(claim) ? "false" : "null";
}

static void print_table_header(void)
{
    printf("| capture | scanner | kind | probes | wormwatch (sid) | conficker likely / truth |");
    for (int d = DET_WORMWATCH + 1; d < DET__COUNT; d++)
        printf(" %s |", detector_names[d]);
    printf("\n|---|---|---|---:|---:|---|");
    for (int d = DET_WORMWATCH + 1; d < DET__COUNT; d++)
        printf("---:|");
    printf("\n");
}

/* The kind as the table prints it: "tcp445", or "tcp445+tcp139" for a list. */
static void kind_text(const json_t *kind, char *out, size_t len)
{
    if (json_is_string(kind)) {
        snprintf(out, len, "%s", json_string_value(kind));
        return;
    }
    size_t i, used = 0;
    json_t *item;
    out[0] = '\0';
    json_array_foreach(kind, i, item) {
        int n = snprintf(out + used, len - used, "%s%s", i ? "+" : "", json_string_value(item));
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

static struct group *group_of(struct report *r, const char *capture, const char *kind)
{
    for (size_t i = 0; i < r->group_count; i++)
        if (!strcmp(r->groups[i].capture, capture) && !strcmp(r->groups[i].kind, kind))
            return &r->groups[i];
    r->groups = realloc(r->groups, (r->group_count + 1) * sizeof *r->groups);
    if (!r->groups)
        die("out of memory");
    struct group *g = &r->groups[r->group_count++];
    memset(g, 0, sizeof *g);
    snprintf(g->capture, sizeof g->capture, "%s", capture);
    snprintf(g->kind, sizeof g->kind, "%s", kind);
    return g;
}

/* One cell: the probes `src` sent up to a detector's detection point, or "never". */
static void report_cell(struct report *r, enum detector d, const struct findings *findings,
                        uint32_t src, const json_t *probes, struct group *per_capture,
                        struct group *per_kind)
{
    const struct detection *found = recmap_find(&findings->by_detector[d], src);
    size_t probes_seen = found ? probes_until(probes, found->ts_ns) : 0;
    summary_add(&r->det[d], found, probes_seen);
    summary_add(&per_capture->det[d], found, probes_seen);
    summary_add(&per_kind->det[d], found, probes_seen);
    if (!found)
        printf(" never |");
    else if (d == DET_WORMWATCH)
        printf(" %zu (%u) |", probes_seen, found->sid);
    else
        printf(" %zu |", probes_seen);
}

/* One table row: the scanner's probes to detection under each detector. */
static void report_scanner(struct report *r, const char *capture_name, const char *src_text,
                           const json_t *expected, const json_t *probes,
                           const struct findings *findings)
{
    uint32_t src;
    if (!parse_ipv4(src_text, &src))
        die("%s: expect key '%s' is not an IPv4 address", capture_name, src_text);
    char kind[32];
    kind_text(json_object_get(expected, "kind"), kind, sizeof kind);
    group_of(r, capture_name, kind); /* both made first: group_of may move them */
    struct group *per_kind = group_of(r, "", kind);
    struct group *per_capture = group_of(r, capture_name, kind);
    printf("| %s | %s | ", capture_name, src_text);
    print_kind(json_object_get(expected, "kind"));
    printf(" | %zu |", json_array_size(probes));
    report_cell(r, DET_WORMWATCH, findings, src, probes, per_capture, per_kind);
    printf(" %s / %s |", likely_text(recmap_find(&findings->by_detector[DET_WORMWATCH], src)),
           claim_text(json_object_get(expected, "conficker")));
    for (int d = DET_WORMWATCH + 1; d < DET__COUNT; d++)
        report_cell(r, d, findings, src, probes, per_capture, per_kind);
    printf("\n");
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Notes every source a detector flagged that the truth does not expect. */
static void report_false_alarms(struct report *r, const char *capture_name, const json_t *expect,
                                const struct findings *findings)
{
    for (int d = 0; d < DET__COUNT; d++) {
        const struct recmap *m = &findings->by_detector[d];
        uint32_t *alarms = xcalloc(m->used, sizeof *alarms);
        size_t count = 0;
        uint64_t key;
        char text[WW_IPV4_LEN];
        for (size_t slot = 0; slot < m->cap; slot++) {
            if (!recmap_at(m, slot, &key))
                continue;
            ww_format_ipv4((uint32_t)key, text);
            if (!json_object_get(expect, text))
                alarms[count++] = (uint32_t)key;
        }
        qsort(alarms, count, sizeof *alarms, compare_u32);
        for (size_t i = 0; i < count; i++) {
            ww_format_ipv4(alarms[i], text);
            if (i == 0)
                fprintf(r->notes, "- %s, %s: %s", detector_names[d], capture_name, text);
            else
                fprintf(r->notes, ", %s", text);
        }
        if (count)
            fprintf(r->notes, "\n");
        r->det[d].false_alarms += count;
        free(alarms);
    }
}

static json_t *load_truth(const char *path)
{
    json_error_t jerr;
    json_t *truth = json_load_file(path, 0, &jerr);
    if (!truth)
        die("%s:%d: %s", path, jerr.line, jerr.text);
    if (!json_is_object(json_object_get(truth, "expect")) ||
        !json_is_object(json_object_get(truth, "probes")))
        die("%s: no \"expect\" or \"probes\" object", path);
    return truth;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void report_capture(struct report *r, const char *capture, const char *truth_path,
                           const struct ww_ruleset *rules)
{
    json_t *truth = load_truth(truth_path);
    struct findings findings;
    findings_init(&findings);
    run_wormwatch(capture, rules, &findings);
    run_models(capture, rules, &findings);

    json_t *expect = json_object_get(truth, "expect");
    json_t *probes = json_object_get(truth, "probes");
    const char *src_text;
    json_t *expected;
    json_object_foreach(expect, src_text, expected) {
        report_scanner(r, base_name(capture), src_text, expected,
                       json_object_get(probes, src_text) /* NULL: no probes */, &findings);
    }
    report_false_alarms(r, base_name(capture), expect, &findings);
    findings_free(&findings);
    json_decref(truth);
}

static int compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static double median(size_t *values, size_t count)
{
    qsort(values, count, sizeof *values, compare_size);
    return count % 2 ? (double)values[count / 2]
                     : (values[count / 2 - 1] + values[count / 2]) / 2.0;
}

/* A group's median for one detector: "4", "4.5", or "never"; then how many were flagged. */
static void print_group_cell(struct detector_summary *s)
{
    if (s->flagged)
        printf(" %g (%zu/%zu) |", median(s->probe_counts, s->flagged), s->flagged, s->scanners);
    else
        printf(" never (0/%zu) |", s->scanners);
}

/* Medians per capture and kind, then per kind over every capture. */
static void print_groups(struct report *r)
{
    for (int pass = 0; pass < 2; pass++) {
        printf(pass == 0 ? "\nMedian probes to detection per capture and kind (flagged/scanners):\n\n"
                         : "\nMedian probes to detection per kind, all captures:\n\n");
        printf("| %skind |", pass == 0 ? "capture | " : "");
        for (int d = 0; d < DET__COUNT; d++)
            printf(" %s |", detector_names[d]);
        printf("\n|%s---|", pass == 0 ? "---|" : "");
        for (int d = 0; d < DET__COUNT; d++)
            printf("---:|");
        printf("\n");
        for (size_t i = 0; i < r->group_count; i++) {
            struct group *g = &r->groups[i];
            if ((pass == 0) != (g->capture[0] != '\0'))
                continue;
            if (pass == 0)
                printf("| %s | %s |", g->capture, g->kind);
            else
                printf("| %s |", g->kind);
            for (int d = 0; d < DET__COUNT; d++)
                print_group_cell(&g->det[d]);
            printf("\n");
        }
    }
}

static void print_summary(struct report *r)
{
    print_groups(r);
    printf("\nFalse alarms (flagged sources not in `expect`):\n\n%s",
           r->notes_len ? r->notes_text : "- none\n");
    printf("\nSummary:\n\n");
    for (int d = 0; d < DET__COUNT; d++) {
        struct detector_summary *s = &r->det[d];
        printf("- **%s**: %zu/%zu scanners flagged, ", detector_names[d], s->flagged, s->scanners);
        if (s->flagged)
            printf("median %g probes to detection", median(s->probe_counts, s->flagged));
        else
            printf("no median");
        printf(" (%zu never), %zu false alarms\n", s->scanners - s->flagged, s->false_alarms);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc % 2 == 0) {
        fprintf(stderr, "Usage: wwlatency CAPTURE TRUTH.json [CAPTURE TRUTH.json ...]\n"
                        "Prints, per expected scanner, the probes it sent before wormwatch and\n"
                        "models of Zeek, Snort 3 and ET 2001569 flagged it (Markdown).\n");
        return 2;
    }
    static struct ww_ruleset rules; /* large */
    char err[ERR_LEN];
    if (!ww_rules_load_default(&rules, err, sizeof err))
        die("%s", err);

    struct report report = {0};
    report.notes = open_memstream(&report.notes_text, &report.notes_len);
    if (!report.notes)
        die("out of memory");
    print_table_header();
    for (int i = 1; i + 1 < argc; i += 2)
        report_capture(&report, argv[i], argv[i + 1], &rules);
    fclose(report.notes);
    print_summary(&report);

    free(report.notes_text);
    for (int d = 0; d < DET__COUNT; d++)
        free(report.det[d].probe_counts);
    for (size_t i = 0; i < report.group_count; i++)
        for (int d = 0; d < DET__COUNT; d++)
            free(report.groups[i].det[d].probe_counts);
    free(report.groups);
    return 0;
}
