/* Text forms shared by the output and the tests: addresses and EVE timestamps. */
#ifndef WW_FORMAT_H
#define WW_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define WW_TIMESTAMP_LEN 32 /* "2009-03-30T12:00:07.123456+0000" and NUL */
#define WW_IPV4_LEN 16

/* Suricata's EVE form: %Y-%m-%dT%H:%M:%S.uuuuuu+0000, UTC. */
void ww_format_timestamp(uint64_t ts_ns, char out[WW_TIMESTAMP_LEN]);
void ww_format_ipv4(uint32_t addr, char out[WW_IPV4_LEN]);

#endif
