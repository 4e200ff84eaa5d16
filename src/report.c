/*
 * The report as text and as a page (report.h). The page is plain HTML and
 * inline SVG: every host a row of the table and a lane of the timeline, its
 * active span a bar, each alert a mark coloured by the indicator it showed.
 */
#include "wormwatch/report.h"

#include <string.h>

#include "wormwatch/format.h"

const char *ww_report_name(const struct ww_fold_host *h)
{
    return h->netbios_name[0] ? h->netbios_name : h->dhcp_hostname[0] ? h->dhcp_hostname : "-";
}

void ww_report_sensors(const struct ww_fold *f, const struct ww_fold_host *h, char *buf,
                       size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < f->sensor_count; i++)
        if (h->sensors >> i & 1) {
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f->sensor[i].name);
        }
}

static void indicators_text(const struct ww_fold_host *h, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int k = 0; k < WW_IND__COUNT; k++)
        if (h->s.indicators & WW_IND_BIT(k)) {
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                     ww_indicator_name((enum ww_indicator)k));
        }
    if (!buf[0])
        snprintf(buf, len, "-");
}

/* "2009-03-30 00:01:03": seconds are enough for a person. */
static void when(uint64_t ns, char out[WW_TIMESTAMP_LEN])
{
    ww_format_timestamp(ns, out);
    out[10] = ' ';
    out[19] = '\0';
}

static void span(const struct ww_fold *f, uint64_t *first, uint64_t *last)
{
    *first = UINT64_MAX;
    *last = 0;
    for (size_t i = 0; i < f->sensor_count; i++) {
        if (f->sensor[i].first_ns < *first)
            *first = f->sensor[i].first_ns;
        if (f->sensor[i].last_ns > *last)
            *last = f->sensor[i].last_ns;
    }
    if (*first == UINT64_MAX)
        *first = 0;
}

static unsigned infected(const struct ww_fold *f)
{
    unsigned n = 0;
    for (size_t i = 0; i < f->host_count; i++)
        n += f->host[i].s.likely;
    return n;
}

void ww_report_text(const struct ww_fold *f, FILE *out)
{
    uint64_t first, last;
    span(f, &first, &last);
    char a[WW_TIMESTAMP_LEN], b[WW_TIMESTAMP_LEN];
    when(first, a);
    when(last, b);
    fprintf(out, "%zu flagged host%s, %u likely Conficker, from %zu sensor%s (%s .. %s UTC)\n\n",
            f->host_count, f->host_count == 1 ? "" : "s", infected(f), f->sensor_count,
            f->sensor_count == 1 ? "" : "s", a, b);
    if (f->host_count)
        fprintf(out, "%-15s  %-15s  %-17s  %-23s  %-19s  %-19s  %-16s  %-24s  %s\n", "ADDRESS",
                "NAME", "MAC", "VERDICT", "FIRST SEEN", "LAST SEEN", "SENSORS", "INDICATORS",
                "TARGETS");
    for (size_t i = 0; i < f->host_count; i++) {
        const struct ww_fold_host *h = &f->host[i];
        char ip[WW_IPV4_LEN], verdict[40], sensors[256], ind[64];
        ww_format_ipv4(h->s.addr, ip);
        when(h->s.first_ns, a);
        when(h->s.last_ns, b);
        ww_report_sensors(f, h, sensors, sizeof sensors);
        indicators_text(h, ind, sizeof ind);
        char targets[16] = "-";
        if (h->s.targets)
            snprintf(targets, sizeof targets, "%u", h->s.targets);
        fprintf(out, "%-15s  %-15s  %-17s  %-23s  %-19s  %-19s  %-16s  %-24s  %s\n", ip,
                ww_report_name(h), h->mac[0] ? h->mac : "-",
                ww_summary_verdict(&h->s, verdict, sizeof verdict), a, b, sensors, ind, targets);
    }
    fprintf(out, "\nCoverage: what each sensor saw, so what the list could not have\n");
    fprintf(out, "%-20s  %12s  %10s  %6s  %-19s  %-19s  %s\n", "SENSOR", "PACKETS", "DROPS", "LOSS",
            "FROM", "TO", "ALERTS");
    for (size_t i = 0; i < f->sensor_count; i++) {
        const struct ww_fold_sensor *s = &f->sensor[i];
        when(s->first_ns, a);
        when(s->last_ns, b);
        char loss[16] = "file";
        if (s->live)
            snprintf(loss, sizeof loss, "%.2f%%", ww_fold_sensor_loss(s));
        fprintf(out, "%-20s  %12llu  %10llu  %6s  %-19s  %-19s  %llu\n", s->name,
                (unsigned long long)ww_fold_sensor_packets(s),
                (unsigned long long)ww_fold_sensor_drops(s), loss, a, b,
                (unsigned long long)s->alerts);
    }
    if (f->bad_lines)
        fprintf(out, "\n%llu input lines were not EVE JSON and were skipped\n",
                (unsigned long long)f->bad_lines);
}

/* --- the page --------------------------------------------------------------------- */

static void html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* Colours by indicator, and for a scanner's check. */
static const char *colour(uint8_t indicator)
{
    switch (indicator) {
    case WW_IND_SCAN: return "#7a7a7a";
    case WW_IND_MS08_067: return "#c0392b";
    case WW_IND_MS17_010: return "#d35400";
    case WW_IND_P2P: return "#8e44ad";
    case WW_IND_DGA: return "#2c7fb8";
    default: return "#27ae60"; /* a check */
    }
}

#define LANE 22
#define LABEL 150
#define WIDTH 900

static void timeline(const struct ww_fold *f, FILE *out)
{
    uint64_t first, last;
    span(f, &first, &last);
    double range = last > first ? (double)(last - first) : 1.0;
    size_t rows = f->host_count;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
                 "role=\"img\" aria-label=\"timeline\">\n",
            LABEL + WIDTH + 20, rows * LANE + 40);
    char a[WW_TIMESTAMP_LEN], b[WW_TIMESTAMP_LEN];
    when(first, a);
    when(last, b);
    fprintf(out, "<text x=\"%d\" y=\"%zu\" class=\"axis\">%s UTC</text>\n", LABEL,
             rows * LANE + 30, a);
    fprintf(out, "<text x=\"%d\" y=\"%zu\" class=\"axis\" text-anchor=\"end\">%s UTC</text>\n",
            LABEL + WIDTH, rows * LANE + 30, b);
    for (size_t i = 0; i < rows; i++) {
        const struct ww_fold_host *h = &f->host[i];
        char ip[WW_IPV4_LEN];
        ww_format_ipv4(h->s.addr, ip);
        double y = (double)i * LANE + 10;
        double x0 = LABEL + WIDTH * (double)(h->s.first_ns - first) / range;
        double x1 = LABEL + WIDTH * (double)(h->s.last_ns - first) / range;
        fprintf(out, "<text x=\"0\" y=\"%.1f\" class=\"lane\">%s</text>\n", y + 12, ip);
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" rx=\"3\" "
                     "fill=\"%s\" opacity=\"0.35\"/>\n",
                x0, y + 5, x1 - x0 < 3 ? 3 : x1 - x0, h->s.likely ? "#c0392b" : "#555");
        for (uint32_t m = 0; m < h->mark_count; m++) {
            double x = LABEL + WIDTH * (double)(h->mark[m].ts_ns - first) / range;
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", x, y + 8,
                    colour(h->mark[m].indicator));
        }
    }
    fputs("</svg>\n", out);
}

bool ww_report_html(const struct ww_fold *f, const char *title, FILE *out)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", out);
    html_text(out, title);
    fputs("</title>\n<style>\n"
          "body{font:14px/1.4 sans-serif;margin:24px;color:#222}\n"
          "h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}\n"
          "th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;white-space:nowrap}\n"
          "th{background:#f3f3f3}tr.infected td{background:#fdecea}\n"
          ".lane{font:12px monospace}.axis{font:12px sans-serif;fill:#666}\n"
          ".key span{display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 4px 0 12px}\n"
          "</style></head><body>\n<h1>",
          out);
    html_text(out, title);
    fprintf(out, "</h1>\n<p>%zu flagged host%s, <b>%u likely Conficker</b>, from %zu sensor%s.</p>\n",
            f->host_count, f->host_count == 1 ? "" : "s", infected(f), f->sensor_count,
            f->sensor_count == 1 ? "" : "s");
    fputs("<table id=\"hosts\"><tr><th>Address</th><th>Name</th><th>MAC</th><th>Verdict</th>"
          "<th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Sensors</th><th>Indicators</th>"
          "<th>Targets</th></tr>\n",
          out);
    for (size_t i = 0; i < f->host_count; i++) {
        const struct ww_fold_host *h = &f->host[i];
        char ip[WW_IPV4_LEN], verdict[40], sensors[256], ind[64], a[WW_TIMESTAMP_LEN],
            b[WW_TIMESTAMP_LEN];
        ww_format_ipv4(h->s.addr, ip);
        when(h->s.first_ns, a);
        when(h->s.last_ns, b);
        ww_report_sensors(f, h, sensors, sizeof sensors);
        indicators_text(h, ind, sizeof ind);
        fprintf(out, "<tr%s><td>%s</td><td>", h->s.likely ? " class=\"infected\"" : "", ip);
        html_text(out, ww_report_name(h));
        fputs("</td><td>", out);
        html_text(out, h->mac[0] ? h->mac : "-");
        fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>",
                ww_summary_verdict(&h->s, verdict, sizeof verdict), a, b);
        html_text(out, sensors);
        if (h->s.targets)
            fprintf(out, "</td><td>%s</td><td>%u</td></tr>\n", ind, h->s.targets);
        else
            fprintf(out, "</td><td>%s</td><td>-</td></tr>\n", ind);
    }
    fputs("</table>\n<h2>Timeline</h2>\n<p class=\"key\">", out);
    static const char *const names[] = {"scan", "MS08-067", "MS17-010", "P2P", "domains"};
    for (int k = 0; k < WW_IND__COUNT; k++)
        fprintf(out, "<span style=\"background:%s\"></span>%s", colour((uint8_t)k), names[k]);
    fprintf(out, "<span style=\"background:%s\"></span>a scanner's check</p>\n",
            colour(WW_IND__COUNT));
    timeline(f, out);
    fputs("<h2>Coverage</h2>\n<p>What each sensor saw, and so what the list could not have.</p>\n"
          "<table id=\"coverage\"><tr><th>Sensor</th><th>Packets</th><th>Drops</th><th>Loss</th>"
          "<th>From (UTC)</th><th>To (UTC)</th><th>Alerts</th></tr>\n",
          out);
    for (size_t i = 0; i < f->sensor_count; i++) {
        const struct ww_fold_sensor *s = &f->sensor[i];
        char a[WW_TIMESTAMP_LEN], b[WW_TIMESTAMP_LEN], loss[16] = "capture file";
        when(s->first_ns, a);
        when(s->last_ns, b);
        if (s->live)
            snprintf(loss, sizeof loss, "%.2f%%", ww_fold_sensor_loss(s));
        fputs("<tr><td>", out);
        html_text(out, s->name);
        fprintf(out, "</td><td>%llu</td><td>%llu</td><td>%s</td><td>%s</td><td>%s</td>"
                     "<td>%llu</td></tr>\n",
                (unsigned long long)ww_fold_sensor_packets(s),
                (unsigned long long)ww_fold_sensor_drops(s), loss, a, b,
                (unsigned long long)s->alerts);
    }
    fputs("</table>\n</body></html>\n", out);
    return !ferror(out);
}
