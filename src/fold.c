/*
 * Folding EVE events into hosts and sensors (fold.h). Events come from
 * other programs' files as much as ours, so every field is looked up and
 * type-checked; an alert without a parsable source or time is skipped.
 */
#include "wormwatch/fold.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/payload.h"

void ww_fold_init(struct ww_fold *f)
{
    memset(f, 0, sizeof *f);
}

void ww_fold_free(struct ww_fold *f)
{
    free(f->host);
    memset(f, 0, sizeof *f);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

bool ww_fold_parse_time(const char *t, uint64_t *ns)
{
    int y, mo, d, h, mi, s;
    unsigned long frac = 0;
    int n = 0;
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6)
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    const char *p = t + n;
    unsigned long scale = 1000000000UL;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (scale > 1) {
                scale /= 10;
                frac += (unsigned long)(*p - '0') * scale;
            }
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ns = ((uint64_t)days * 86400 + (uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)s) *
              1000000000ULL + frac;
    return true;
}

static bool parse_ipv4(const char *text, uint32_t *addr)
{
    unsigned a, b, c, d;
    char tail;
    if (!text || sscanf(text, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 ||
        b > 255 || c > 255 || d > 255)
        return false;
    *addr = a << 24 | b << 16 | c << 8 | d;
    return true;
}

static json_t *at(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return b ? json_object_get(v, b) : v;
}

static const char *string_at(json_t *o, const char *a, const char *b)
{
    return json_string_value(at(o, a, b));
}

static struct ww_fold_sensor *sensor_of(struct ww_fold *f, const char *name)
{
    if (!name)
        name = "(unnamed)";
    for (size_t i = 0; i < f->sensor_count; i++)
        if (!strcmp(f->sensor[i].name, name))
            return &f->sensor[i];
    struct ww_fold_sensor *s =
        &f->sensor[f->sensor_count < WW_FOLD_SENSORS ? f->sensor_count++ : WW_FOLD_SENSORS - 1];
    if (!s->name[0])
        snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static struct ww_fold_host *host_of(struct ww_fold *f, uint32_t addr)
{
    for (size_t i = 0; i < f->host_count; i++)
        if (f->host[i].s.addr == addr)
            return &f->host[i];
    if (f->host_count == f->host_cap) {
        size_t cap = f->host_cap ? 2 * f->host_cap : 64;
        struct ww_fold_host *bigger = realloc(f->host, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        f->host = bigger;
        f->host_cap = cap;
    }
    struct ww_fold_host *h = &f->host[f->host_count++];
    memset(h, 0, sizeof *h);
    h->s.addr = addr;
    return h;
}

static void copy_name(char *out, const char *in)
{
    if (in && *in)
        snprintf(out, WW_FOLD_NAME, "%s", in);
}

static void fold_alert(struct ww_fold *f, json_t *e, uint64_t ts, size_t sensor)
{
    uint32_t src;
    if (!parse_ipv4(string_at(e, "src_ip", NULL), &src))
        return;
    struct ww_summary_alert a = {.src = src, .ts_ns = ts};
    a.sid = (uint32_t)json_integer_value(at(e, "alert", "signature_id"));
    a.targets = (uint32_t)json_integer_value(at(e, "scan", "targets"));
    if (!a.targets)
        a.targets = (uint32_t)json_integer_value(at(e, "p2p", "targets"));
    a.likely = json_is_true(at(e, "conficker", "likely"));
    size_t i;
    json_t *name;
    json_array_foreach(at(e, "conficker", "indicators"), i, name)
    {
        for (int k = 0; k < WW_IND__COUNT; k++)
            if (json_is_string(name) && !strcmp(json_string_value(name),
                                                ww_indicator_name((enum ww_indicator)k)))
                a.indicators |= (uint8_t)WW_IND_BIT(k);
    }
    const char *variant = string_at(e, "conficker", "variant");
    if (variant && (variant[0] == 'A' || variant[0] == 'B' || variant[0] == 'C') && !variant[1])
        a.variant = variant[0];
    struct ww_fold_host *h = host_of(f, src);
    if (!h)
        return;
    ww_summary_host_add(&h->s, &a);
    h->sensors |= 1u << sensor;
    for (int k = 0; k < WW_IND__COUNT; k++)
        if ((a.indicators & WW_IND_BIT(k)) && (!h->indicator_first_ns[k] || ts < h->indicator_first_ns[k]))
            h->indicator_first_ns[k] = ts;
    copy_name(h->netbios_name, string_at(e, "identity", "netbios_name"));
    copy_name(h->dhcp_hostname, string_at(e, "identity", "dhcp_hostname"));
    copy_name(h->mac, string_at(e, "identity", "mac"));
    if (h->mark_count < WW_FOLD_MARKS) {
        /* The family an alert shows: the strongest indicator it carries, or a check's. */
        uint8_t family = WW_IND__COUNT;
        static const enum ww_indicator strongest[] = {WW_IND_MS08_067, WW_IND_P2P, WW_IND_DGA,
                                                      WW_IND_MS17_010, WW_IND_SCAN};
        bool check = a.sid == WW_SID_SMB_FIRST + 1 || a.sid == WW_SID_SMB_FIRST + 4;
        for (size_t k = 0; k < 5 && !check && family == WW_IND__COUNT; k++)
            if (a.indicators & WW_IND_BIT(strongest[k]))
                family = (uint8_t)strongest[k];
        h->mark[h->mark_count++] = (struct ww_fold_mark){ts, family};
    }
}

static void fold_stats(struct ww_fold_sensor *s, json_t *e)
{
    json_t *stats = json_object_get(e, "stats");
    json_int_t worker = json_integer_value(json_object_get(stats, "worker"));
    size_t w = worker > 0 ? (worker < 8 ? (size_t)worker : 7) : 0;
    /* Counters are totals since the sensor started: the newest event holds them. */
    uint64_t pkts = (uint64_t)json_integer_value(at(stats, "decoder", "pkts"));
    if (pkts >= s->packets[w])
        s->packets[w] = pkts;
    json_t *capture = json_object_get(stats, "capture");
    if (capture) {
        s->live = true;
        uint64_t kp = (uint64_t)json_integer_value(json_object_get(capture, "kernel_packets"));
        uint64_t kd = (uint64_t)json_integer_value(json_object_get(capture, "kernel_drops")) +
                      (uint64_t)json_integer_value(json_object_get(capture, "kernel_ifdrops"));
        if (kp >= s->kernel_packets[w]) {
            s->kernel_packets[w] = kp;
            s->drops[w] = kd;
        }
    }
}

bool ww_fold_line(struct ww_fold *f, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0)
        return true; /* a blank line says nothing */
    json_error_t err;
    json_t *e = json_loadb(line, len, 0, &err);
    uint64_t ts;
    const char *type = json_is_object(e) ? string_at(e, "event_type", NULL) : NULL;
    if (!type || !ww_fold_parse_time(string_at(e, "timestamp", NULL), &ts)) {
        json_decref(e);
        f->bad_lines++;
        return false;
    }
    f->events++;
    struct ww_fold_sensor *s = sensor_of(f, string_at(e, "host", NULL));
    if (!s->first_ns || ts < s->first_ns)
        s->first_ns = ts;
    if (ts > s->last_ns)
        s->last_ns = ts;
    if (!strcmp(type, "alert")) {
        s->alerts++;
        fold_alert(f, e, ts, (size_t)(s - f->sensor));
    } else if (!strcmp(type, "stats")) {
        fold_stats(s, e);
    }
    json_decref(e);
    return true;
}

static int by_rank(const void *x, const void *y)
{
    const struct ww_summary_host *a = &((const struct ww_fold_host *)x)->s;
    const struct ww_summary_host *b = &((const struct ww_fold_host *)y)->s;
    if (ww_summary_rank(a) != ww_summary_rank(b))
        return ww_summary_rank(a) - ww_summary_rank(b);
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

void ww_fold_sort(struct ww_fold *f)
{
    if (f->host_count > 1)
        qsort(f->host, f->host_count, sizeof f->host[0], by_rank);
}

uint64_t ww_fold_sensor_packets(const struct ww_fold_sensor *s)
{
    uint64_t n = 0;
    for (int w = 0; w < 8; w++)
        n += s->packets[w];
    return n;
}

uint64_t ww_fold_sensor_drops(const struct ww_fold_sensor *s)
{
    uint64_t n = 0;
    for (int w = 0; w < 8; w++)
        n += s->drops[w];
    return n;
}

double ww_fold_sensor_loss(const struct ww_fold_sensor *s)
{
    uint64_t seen = 0;
    for (int w = 0; w < 8; w++)
        seen += s->kernel_packets[w];
    uint64_t drops = ww_fold_sensor_drops(s);
    return seen + drops ? 100.0 * (double)drops / (double)(seen + drops) : 0.0;
}
