/*
 * The report's two faces over a fold (fold.h): a table for the terminal,
 * and one self-contained HTML page (no script, no fetch: it opens from a
 * USB stick on a machine with no network) with the same table and a
 * timeline of when each host was active and when each indicator fired.
 */
#ifndef WW_REPORT_H
#define WW_REPORT_H

#include <stdio.h>

#include "wormwatch/fold.h"

/* One line per flagged host, infected first, then the coverage per sensor. */
void ww_report_text(const struct ww_fold *f, FILE *out);
/* The page; `title` heads it. False if writing failed. */
bool ww_report_html(const struct ww_fold *f, const char *title, FILE *out);

/* The host's name for people: NetBIOS name, else DHCP host name, else "-". */
const char *ww_report_name(const struct ww_fold_host *h);
/* "a, b" of the sensors that saw it. */
void ww_report_sensors(const struct ww_fold *f, const struct ww_fold_host *h, char *buf,
                       size_t len);

#endif
