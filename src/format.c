/*
 * Address and timestamp text, without locale or static buffers.
 *
 * Written digit by digit: every alert carries a dozen addresses and three
 * stamps, and snprintf and gmtime_r cost 1,700 and 3,000 instructions
 * each, a tenth of an alert's whole cost. A uint64_t of nanoseconds ends in
 * 2554, so every stamp has the four-digit year of the EVE form.
 */
#include "wormwatch/format.h"

static char *put_digits(char *p, uint32_t value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return p + width;
}

/* The proleptic Gregorian date of a day count since 1970-01-01, from the
   400-year era it falls in (eras start on 1 March, so the leap day is the
   last day of its year). */
static void civil_date(uint64_t days, uint32_t *year, uint32_t *month, uint32_t *day)
{
    uint64_t z = days + 719468;                /* days since 0000-03-01 */
    uint64_t era = z / 146097;
    uint32_t doe = (uint32_t)(z - era * 146097); /* day of the era, 0-146096 */
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* from 1 March, 0-365 */
    uint32_t mp = (5 * doy + 2) / 153;                      /* 0 is March */
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (uint32_t)(era * 400 + yoe) + (*month <= 2);
}

void ww_format_timestamp(uint64_t ts_ns, char out[WW_TIMESTAMP_LEN])
{
    uint64_t secs = ts_ns / 1000000000ULL;
    uint32_t usec = (uint32_t)(ts_ns % 1000000000ULL / 1000);
    uint32_t of_day = (uint32_t)(secs % 86400), year, month, day;
    civil_date(secs / 86400, &year, &month, &day);
    char *p = out;
    p = put_digits(p, year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, of_day / 3600, 2);
    *p++ = ':';
    p = put_digits(p, of_day / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, of_day % 60, 2);
    *p++ = '.';
    p = put_digits(p, usec, 6);
    for (const char *zone = "+0000"; *zone; zone++)
        *p++ = *zone;
    *p = '\0';
}

void ww_format_ipv4(uint32_t addr, char out[WW_IPV4_LEN])
{
    char *p = out;
    for (int shift = 24; shift >= 0; shift -= 8) {
        uint32_t octet = (addr >> shift) & 0xFF;
        if (octet >= 100)
            *p++ = (char)('0' + octet / 100);
        if (octet >= 10)
            *p++ = (char)('0' + octet / 10 % 10);
        *p++ = (char)('0' + octet % 10);
        if (shift)
            *p++ = '.';
    }
    *p = '\0';
}
