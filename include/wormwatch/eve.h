/*
 * EVE JSON building blocks shared by every kind of event (eve.c formats
 * the scan alerts and stats; the payload stages' alerts use the same
 * pieces), so that all events read alike to Suricata's consumers.
 */
#ifndef WW_EVE_H
#define WW_EVE_H

#include <jansson.h>
#include <stdint.h>

json_t *ww_eve_ip(uint32_t addr);       /* "10.0.0.1" */
json_t *ww_eve_time(uint64_t ts_ns);    /* Suricata's timestamp form, UTC */
json_t *ww_eve_real2(double v);         /* rounded to 2 decimals */
const char *ww_eve_proto_name(uint8_t proto);
/* The event as one line, newline included (consumes `event`); caller frees. */
char *ww_eve_line(json_t *event);

#endif
