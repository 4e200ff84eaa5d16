/* Address and timestamp text, without locale or static buffers. */
#include "wormwatch/format.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void ww_format_timestamp(uint64_t ts_ns, char out[WW_TIMESTAMP_LEN])
{
    time_t secs = (time_t)(ts_ns / 1000000000ULL);
    unsigned usec = (unsigned)(ts_ns % 1000000000ULL / 1000);
    struct tm tm;
    char seconds[20]; /* YYYY-MM-DDTHH:MM:SS */
    if (!gmtime_r(&secs, &tm) || !strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm) ||
        strlen(seconds) != 19) { /* years past 9999 do not fit the EVE form */
        snprintf(out, WW_TIMESTAMP_LEN, "1970-01-01T00:00:00.000000+0000");
        return;
    }
    snprintf(out, WW_TIMESTAMP_LEN, "%.19s.%06u+0000", seconds, usec % 1000000u);
}

void ww_format_ipv4(uint32_t addr, char out[WW_IPV4_LEN])
{
    snprintf(out, WW_IPV4_LEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF,
             addr & 0xFF);
}
